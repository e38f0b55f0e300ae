"""Storage for the space on the web and in the building (see handlers/web/).

Open/closed state, the presence hook's token, members' devices and their calendar
feeds. Secrets (the hook's token, a feed's token) are kept only as SHA-256 hashes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Row, Tx, from_db, opt_from_db, to_db


@dataclass(frozen=True)
class SpaceState:
    """Open or closed since `changed_at`; `changed_by` says why (see schema 0009)."""

    is_open: bool
    changed_at: datetime
    changed_by: str
    member_id: int | None = None


@dataclass(frozen=True)
class Device:
    id: int
    space_id: int
    member_id: int
    device: str
    label: str
    present: bool
    last_seen_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Device:
        return cls(
            id=row["id"],
            space_id=row["space_id"],
            member_id=row["member_id"],
            device=row["device"],
            label=row["label"],
            present=bool(row["present"]),
            last_seen_at=opt_from_db(row["last_seen_at"]),
            created_at=from_db(row["created_at"]),
        )


@dataclass(frozen=True)
class Feed:
    member_id: int
    space_id: int
    created_at: datetime


class WebRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- open / closed -------------------------------------------------------------------

    async def state(self, space_id: int) -> SpaceState | None:
        row = await self._tx.fetchone(
            "SELECT is_open, changed_at, changed_by, member_id FROM space_state WHERE space_id = ?",
            (space_id,),
        )
        if row is None:
            return None
        return SpaceState(
            bool(row["is_open"]), from_db(row["changed_at"]), row["changed_by"], row["member_id"]
        )

    async def set_state(self, space_id: int, state: SpaceState) -> None:
        await self._tx.execute(
            "INSERT INTO space_state (space_id, is_open, changed_at, changed_by, member_id)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (space_id) DO UPDATE SET"
            " is_open = excluded.is_open, changed_at = excluded.changed_at,"
            " changed_by = excluded.changed_by, member_id = excluded.member_id",
            (
                space_id,
                int(state.is_open),
                to_db(state.changed_at),
                state.changed_by,
                state.member_id,
            ),
        )

    # -- the presence hook's token -------------------------------------------------------

    async def token(self, space_id: int) -> tuple[str, datetime] | None:
        """The token's hash and when it was made, if the space has one."""
        row = await self._tx.fetchone(
            "SELECT token_hash, created_at FROM presence_tokens WHERE space_id = ?", (space_id,)
        )
        return None if row is None else (row["token_hash"], from_db(row["created_at"]))

    async def set_token(self, space_id: int, token_hash: str, now: datetime) -> None:
        await self._tx.execute(
            "INSERT INTO presence_tokens (space_id, token_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (space_id) DO UPDATE SET"
            " token_hash = excluded.token_hash, created_at = excluded.created_at",
            (space_id, token_hash, to_db(now)),
        )

    # -- devices -------------------------------------------------------------------------

    async def add_device(
        self, space_id: int, member_id: int, device: str, label: str, now: datetime
    ) -> bool:
        """Register a device; False if the space already has one with this id."""
        count = await self._tx.execute_rowcount(
            "INSERT INTO devices (space_id, member_id, device, label, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (space_id, device) DO NOTHING",
            (space_id, member_id, device, label, to_db(now)),
        )
        return count > 0

    async def remove_device(self, member_id: int, device: str) -> bool:
        count = await self._tx.execute_rowcount(
            "DELETE FROM devices WHERE member_id = ? AND device = ?", (member_id, device)
        )
        return count > 0

    async def devices_of(self, member_id: int) -> list[Device]:
        rows = await self._tx.fetchall(
            "SELECT * FROM devices WHERE member_id = ? ORDER BY id", (member_id,)
        )
        return [Device.from_row(r) for r in rows]

    async def devices_in(
        self,
        space_id: int,
        *,
        devices: Sequence[str] | None = None,
        members: Collection[int] | None = None,
    ) -> list[Device]:
        """The space's devices: all, or those with these ids, or these members'."""
        sql = "SELECT * FROM devices WHERE space_id = ?"
        params: list[str | int] = [space_id]
        for column, values in (("device", devices), ("member_id", members)):
            if values is None:
                continue
            if not values:
                return []
            sql += f" AND {column} IN ({', '.join('?' for _ in values)})"
            params += list(values)
        rows = await self._tx.fetchall(sql + " ORDER BY id", params)
        return [Device.from_row(r) for r in rows]

    async def mark_device(self, device_id: int, present: bool, seen: datetime | None) -> None:
        await self._tx.execute(
            "UPDATE devices SET present = ?, last_seen_at = COALESCE(?, last_seen_at) WHERE id = ?",
            (int(present), to_db(seen) if seen else None, device_id),
        )

    # -- calendar feeds ------------------------------------------------------------------

    async def feed(self, token_hash: str) -> Feed | None:
        row = await self._tx.fetchone(
            "SELECT member_id, space_id, created_at FROM calendar_feeds WHERE token_hash = ?",
            (token_hash,),
        )
        return None if row is None else Feed(row[0], row[1], from_db(row[2]))

    async def feed_of(self, member_id: int) -> Feed | None:
        row = await self._tx.fetchone(
            "SELECT member_id, space_id, created_at FROM calendar_feeds WHERE member_id = ?",
            (member_id,),
        )
        return None if row is None else Feed(row[0], row[1], from_db(row[2]))

    async def set_feed(self, member_id: int, space_id: int, token_hash: str, now: datetime) -> None:
        await self._tx.execute(
            "INSERT INTO calendar_feeds (member_id, space_id, token_hash, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
            " token_hash = excluded.token_hash, created_at = excluded.created_at",
            (member_id, space_id, token_hash, to_db(now)),
        )

    async def drop_feed(self, member_id: int) -> bool:
        count = await self._tx.execute_rowcount(
            "DELETE FROM calendar_feeds WHERE member_id = ?", (member_id,)
        )
        return count > 0

    # -- personal data (handlers/privacy.py) -------------------------------------------------

    async def export_member(self, member_id: int) -> dict[str, object]:
        devices = await self.devices_of(member_id)
        feed = await self.feed_of(member_id)
        return {
            "devices": [
                {
                    "device": d.device,
                    "label": d.label,
                    "present": d.present,
                    "last_seen": to_db(d.last_seen_at) if d.last_seen_at else None,
                    "added": to_db(d.created_at),
                }
                for d in devices
            ],
            "calendar_feed_since": to_db(feed.created_at) if feed else None,
        }

    async def erase_member(self, member_id: int, now: datetime) -> None:
        await self._tx.execute("DELETE FROM devices WHERE member_id = ?", (member_id,))
        await self._tx.execute("DELETE FROM calendar_feeds WHERE member_id = ?", (member_id,))

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        """Devices move over; the target's calendar feed is kept, else the source's moves."""
        await self._tx.execute(
            "UPDATE devices SET member_id = ? WHERE member_id = ?", (target_id, source_id)
        )
        await self._tx.execute(
            "DELETE FROM calendar_feeds WHERE member_id = ?"
            " AND EXISTS (SELECT 1 FROM calendar_feeds f WHERE f.member_id = ?)",
            (source_id, target_id),
        )
        await self._tx.execute(
            "UPDATE calendar_feeds SET member_id = ? WHERE member_id = ?", (target_id, source_id)
        )
