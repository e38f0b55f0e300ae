"""What the Matrix transport keeps between runs: joined rooms and the direct room per user."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from storage.db import Tx, to_db


@dataclass(frozen=True)
class KnownRoom:
    room_id: str
    history_before: int
    encryption_reported: bool


class MatrixRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def rooms(self, room_ids: Collection[str]) -> dict[str, KnownRoom]:
        """The rooms among `room_ids` the bot has seen before (one query for a whole sync)."""
        if not room_ids:
            return {}
        marks = ", ".join("?" for _ in room_ids)
        rows = await self._tx.fetchall(
            "SELECT room_id, history_before, encryption_reported FROM matrix_rooms"
            f" WHERE room_id IN ({marks})",
            tuple(room_ids),
        )
        return {
            r["room_id"]: KnownRoom(
                r["room_id"], r["history_before"], bool(r["encryption_reported"])
            )
            for r in rows
        }

    async def add_room(self, room_id: str, history_before: int, now: datetime) -> None:
        await self._tx.execute(
            "INSERT INTO matrix_rooms (room_id, history_before, first_seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT (room_id) DO NOTHING",
            (room_id, history_before, to_db(now)),
        )

    async def forget_room(self, room_id: str) -> None:
        await self._tx.execute("DELETE FROM matrix_rooms WHERE room_id = ?", (room_id,))
        await self._tx.execute("DELETE FROM matrix_direct_rooms WHERE room_id = ?", (room_id,))

    async def report_encryption(self, room_id: str) -> bool:
        """Mark the room's encryption as reported; True only the first time."""
        count = await self._tx.execute_rowcount(
            "UPDATE matrix_rooms SET encryption_reported = 1"
            " WHERE room_id = ? AND encryption_reported = 0",
            (room_id,),
        )
        return count == 1

    async def direct_room(self, user_id: str) -> str | None:
        value = await self._tx.fetchval(
            "SELECT room_id FROM matrix_direct_rooms WHERE user_id = ?", (user_id,)
        )
        return None if value is None else str(value)

    async def direct_users(self, room_ids: Collection[str]) -> dict[str, str]:
        """room id -> the user whose private chat it is, for the rooms that are one."""
        if not room_ids:
            return {}
        marks = ", ".join("?" for _ in room_ids)
        rows = await self._tx.fetchall(
            f"SELECT user_id, room_id FROM matrix_direct_rooms WHERE room_id IN ({marks})",
            tuple(room_ids),
        )
        return {r["room_id"]: r["user_id"] for r in rows}

    async def set_direct_room(self, user_id: str, room_id: str, now: datetime) -> None:
        await self._tx.execute(
            "INSERT INTO matrix_direct_rooms (user_id, room_id, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET room_id = excluded.room_id,"
            " updated_at = excluded.updated_at",
            (user_id, room_id, to_db(now)),
        )

    async def forget_direct_room(self, room_id: str) -> None:
        await self._tx.execute("DELETE FROM matrix_direct_rooms WHERE room_id = ?", (room_id,))

    # -- personal data (handlers/privacy/) ----------------------------------------------
    # A direct room belongs to a Matrix account, not to a member: the member's accounts
    # are read from `identities`, which the members repository erases after this one.

    async def export_member(self, member_id: int) -> dict[str, object]:
        rows = await self._tx.fetchall(
            "SELECT user_id, room_id, updated_at FROM matrix_direct_rooms"
            " WHERE 'matrix:' || user_id IN (SELECT identity FROM identities WHERE member_id = ?)"
            " ORDER BY user_id",
            (member_id,),
        )
        return {
            "private_rooms": [
                {"account": r["user_id"], "room": r["room_id"], "since": r["updated_at"]}
                for r in rows
            ]
        }

    async def erase_member(self, member_id: int, now: datetime) -> None:
        """The private room of each of the member's Matrix accounts is forgotten, unless
        the account is still a member of another space (it still needs its room)."""
        await self._tx.erase(
            "matrix_direct_rooms",
            "'matrix:' || user_id IN"
            " (SELECT i.identity FROM identities i WHERE i.member_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM identities j WHERE j.identity = i.identity"
            " AND j.member_id <> i.member_id))",
            (member_id,),
            blank=("room_id", "updated_at"),
        )

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        """Nothing moves: the accounts move to the target and keep their own rooms."""

    async def forget_rooms_of_the_forgotten(self) -> int:
        """Forget the private room kept for a forgotten account's goodbye, once it is
        delivered (or failed for good): the account is nobody's any more. The goodbye is
        in `outbox_wipe`; other rows there go to people who still have an account."""
        return await self._tx.execute_rowcount(
            "DELETE FROM matrix_direct_rooms WHERE user_id IN (SELECT o.chat_id FROM outbox o"
            " JOIN outbox_wipe w ON w.outbox_id = o.id WHERE o.platform = 'matrix'"
            " AND o.private = 1 AND o.state <> 'pending') AND NOT EXISTS (SELECT 1"
            " FROM identities i WHERE i.identity = 'matrix:' || matrix_direct_rooms.user_id)"
        )
