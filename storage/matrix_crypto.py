"""What Matrix end-to-end encryption keeps in the bot's database (see 0009_matrix_crypto).

Events waiting for their room key, the replay guard of decrypted events, the room
members a group session may go to, and the device files carried by a backup.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from storage.db import Tx, from_db, to_db


@dataclass(frozen=True)
class Parked:
    """An encrypted event kept until its room key arrives (its ciphertext only)."""

    event_id: str
    room_id: str
    sender: str
    session_id: str
    event_json: str
    parked_at: datetime


class MatrixCryptoRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- events waiting for their key ---------------------------------------------------

    async def park(
        self,
        event_id: str,
        room_id: str,
        sender: str,
        session_id: str,
        event_json: str,
        now: datetime,
    ) -> None:
        await self._tx.execute(
            "INSERT INTO matrix_undecrypted (event_id, room_id, sender, session_id, event_json,"
            " parked_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            (event_id, room_id, sender, session_id, event_json, to_db(now)),
        )

    async def parked(self) -> list[Parked]:
        rows = await self._tx.fetchall(
            "SELECT event_id, room_id, sender, session_id, event_json, parked_at"
            " FROM matrix_undecrypted ORDER BY parked_at, rowid"
        )
        return [
            Parked(
                r["event_id"],
                r["room_id"],
                r["sender"],
                r["session_id"],
                r["event_json"],
                from_db(r["parked_at"]),
            )
            for r in rows
        ]

    async def unpark(self, event_ids: Collection[str]) -> None:
        await self._tx.executemany(
            "DELETE FROM matrix_undecrypted WHERE event_id = ?", [(e,) for e in event_ids]
        )

    # -- replay guard ---------------------------------------------------------------------

    async def first_seen(
        self,
        sender_key: str,
        session_id: str,
        message_index: int,
        event_id: str,
        sender: str,
        now: datetime,
    ) -> bool:
        """Record the index; False if another event already came with it (a replay)."""
        await self._tx.execute(
            "INSERT INTO matrix_megolm_seen (sender_key, session_id, message_index, event_id,"
            " sender, seen_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (sender_key, session_id, message_index) DO NOTHING",
            (sender_key, session_id, message_index, event_id, sender, to_db(now)),
        )
        first = await self._tx.fetchval(
            "SELECT event_id FROM matrix_megolm_seen"
            " WHERE sender_key = ? AND session_id = ? AND message_index = ?",
            (sender_key, session_id, message_index),
        )
        return bool(first == event_id)

    async def prune_seen(self, before: datetime) -> int:
        return await self._tx.execute_rowcount(
            "DELETE FROM matrix_megolm_seen WHERE seen_at < ?", (to_db(before),)
        )

    # -- who may read the bot's messages in a room -----------------------------------------

    async def space_accounts(self, space_id: int) -> set[str]:
        """The Matrix accounts of the space's members, and of those asking to join."""
        rows = await self._tx.fetchall(
            "SELECT i.identity FROM identities i JOIN members m ON m.id = i.member_id"
            " WHERE i.space_id = ? AND m.status IN ('active', 'pending')"
            " AND i.identity LIKE 'matrix:%'",
            (space_id,),
        )
        return {str(r["identity"]).removeprefix("matrix:") for r in rows}

    # -- the device files a backup carries -------------------------------------------------

    async def identity_backup(self) -> dict[str, bytes]:
        rows = await self._tx.fetchall("SELECT name, content FROM matrix_identity_backup")
        return {str(r["name"]): bytes(r["content"]) for r in rows}

    async def clear_identity_backup(self) -> None:
        await self._tx.execute("DELETE FROM matrix_identity_backup")

    # -- personal data (handlers/privacy.py) ----------------------------------------------
    # Ciphertexts and event ids the member's Matrix accounts sent; never decrypted text.

    _OF_MEMBER = (
        " IN (SELECT substr(identity, 8) FROM identities"
        " WHERE member_id = ? AND identity LIKE 'matrix:%')"
    )

    async def export_member(self, member_id: int) -> dict[str, object]:
        waiting = await self._tx.fetchval(
            f"SELECT COUNT(*) FROM matrix_undecrypted WHERE sender{self._OF_MEMBER}",
            (member_id,),
        )
        return {"encrypted_messages_waiting_for_their_key": int(waiting or 0)}

    async def erase_member(self, member_id: int, now: datetime) -> None:
        """Only for accounts that are no other membership's: another space still needs
        its own replay guard for them."""
        for table, blank in (
            ("matrix_undecrypted", ("event_json",)),
            ("matrix_megolm_seen", ("event_id",)),
        ):
            await self._tx.erase(
                table,
                "sender IN (SELECT substr(i.identity, 8)"
                " FROM identities i WHERE i.member_id = ? AND i.identity LIKE 'matrix:%'"
                " AND NOT EXISTS (SELECT 1 FROM identities j WHERE j.identity = i.identity"
                " AND j.member_id <> i.member_id))",
                (member_id,),
                blank,
            )

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        """Nothing moves: rows belong to accounts, and accounts move with the member."""
