"""Storage for privacy: link codes, erasures, and wiping the outbox of a forgotten person.

Every repository that keeps something about a member implements `PersonalData`, so
`myexport`, `forgetme` and `link` (handlers/privacy/) walk the same list of
repositories: a new capability with member rows adds its repository to that list and
its three methods, and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage.db import Tx, from_db, opt_from_db, to_db
from storage.members import OnPlatform

# What a blanked outbox row keeps: its id (so it is never reused), state and times.
_BLANK = (
    "chat_id = '', html = '', buttons = '[]', reply_to = '', doc_name = NULL,"
    " doc_mime = NULL, doc_content = NULL, error = NULL"
)


# The tables an erasure changes: vacuumed after one on PostgreSQL.
ERASED_TABLES = (
    "members",
    "identities",
    "visits",
    "planned_visits",
    "skills",
    "help_requests",
    "help_notices",
    "link_codes",
    "outbox",
    "matrix_direct_rooms",
    "matrix_undecrypted",
    "matrix_megolm_seen",
)


class PersonalData(Protocol):
    """A repository holding rows about members."""

    async def export_member(self, member_id: int) -> dict[str, object]:
        """Everything kept about the member, as JSON-ready values."""
        ...

    async def erase_member(self, member_id: int, now: datetime) -> None:
        """Remove what identifies the member; rows the ledger needs stay, anonymous."""
        ...

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        """Move the source member's rows to the target (both of one space)."""
        ...


@dataclass(frozen=True)
class LinkCode(OnPlatform):
    member_id: int
    space_id: int
    identity: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class OutboxText:
    """An outbox row as the erasure reads it: where it goes and what it says."""

    id: int
    platform: str
    chat_id: str
    private: bool
    pending: bool
    member_id: int | None
    text: str


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


class PrivacyRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- link codes ------------------------------------------------------------------

    async def new_link_code(
        self,
        code_hash: str,
        member_id: int,
        space_id: int,
        identity: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Store a code; the member's earlier unused codes stop working (one live code)."""
        await self._tx.execute(
            "DELETE FROM link_codes WHERE member_id = ? AND used_at IS NULL", (member_id,)
        )
        await self._tx.execute(
            "INSERT INTO link_codes"
            " (code_hash, member_id, space_id, identity, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (code_hash, member_id, space_id, identity, to_db(now), to_db(expires_at)),
        )

    async def live_link_code(self, code_hash: str, now: datetime) -> LinkCode | None:
        """The code if it exists, was never used and has not expired."""
        row = await self._tx.fetchone(
            "SELECT member_id, space_id, identity, created_at, expires_at, used_at"
            " FROM link_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
            (code_hash, to_db(now)),
        )
        if row is None:
            return None
        return LinkCode(
            member_id=row["member_id"],
            space_id=row["space_id"],
            identity=row["identity"],
            created_at=from_db(row["created_at"]),
            expires_at=from_db(row["expires_at"]),
            used_at=opt_from_db(row["used_at"]),
        )

    async def use_link_code(self, code_hash: str, now: datetime) -> bool:
        """Spend a code; False if it was spent already (it then links nothing)."""
        count = await self._tx.execute_rowcount(
            "UPDATE link_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
            (to_db(now), code_hash),
        )
        return count == 1

    async def prune_link_codes(self, before: datetime) -> int:
        """Codes expired before `before` are of no use, and name the account that asked."""
        return await self._tx.execute_rowcount(
            "DELETE FROM link_codes WHERE expires_at < ?", (to_db(before),)
        )

    # -- erasures --------------------------------------------------------------------

    async def erased_since_vacuum(self) -> bool:
        """Whether someone was forgotten since the last `vacuumed()` (PostgreSQL keeps
        the old versions of the erased rows until a VACUUM)."""
        newest = await self._tx.fetchval("SELECT MAX(erased_at) FROM erasures")
        done = await self._tx.fetchval("SELECT value FROM kv WHERE key = 'privacy.vacuumed'")
        return newest is not None and (done is None or str(newest) > str(done))

    async def vacuumed(self, now: datetime) -> None:
        await self._tx.execute(
            "INSERT INTO kv (key, value) VALUES ('privacy.vacuumed', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (to_db(now),),
        )

    async def record_erasure(self, member_id: int, space_id: int, now: datetime) -> None:
        await self._tx.execute(
            "INSERT INTO erasures (member_id, space_id, erased_at) VALUES (?, ?, ?)"
            " ON CONFLICT (member_id) DO NOTHING",
            (member_id, space_id, to_db(now)),
        )

    # -- the outbox of a forgotten person ----------------------------------------------

    async def outbox_about(
        self, space_ids: Sequence[int], member_ids: Sequence[int], chat_ids: Sequence[str]
    ) -> list[OutboxText]:
        """Outbox rows of these spaces, to these members or to these chats, with their text.

        Sent rows are kept only a few weeks (housekeeping), so this stays a modest read.
        """
        clauses: list[str] = []
        params: list[int | str] = []
        for column, values in (
            ("space_id", list(space_ids)),
            ("member_id", list(member_ids)),
            ("chat_id", list(chat_ids)),
        ):
            if values:
                clauses.append(f"{column} IN ({_marks(values)})")
                params.extend(values)
        if not clauses:
            return []
        rows = await self._tx.fetchall(
            "SELECT id, platform, chat_id, private, state, member_id, html, buttons, doc_content"
            f" FROM outbox WHERE {' OR '.join(clauses)} ORDER BY id",
            params,
        )
        out: list[OutboxText] = []
        for r in rows:
            content = r["doc_content"]
            text = r["html"] + "\n" + r["buttons"]
            if content is not None:
                text += "\n" + bytes(content).decode("utf-8", errors="replace")
            out.append(
                OutboxText(
                    id=r["id"],
                    platform=r["platform"],
                    chat_id=r["chat_id"],
                    private=bool(r["private"]),
                    pending=r["state"] == "pending",
                    member_id=r["member_id"],
                    text=text,
                )
            )
        return out

    async def blank_outbox(self, ids: Sequence[int]) -> None:
        """Delivered rows lose chat and text; queued ones are cancelled the same way."""
        if ids:
            await self._tx.execute(
                f"UPDATE outbox SET {_BLANK},"
                " state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END"
                f" WHERE id IN ({_marks(ids)})",
                list(ids),
            )

    async def wipe_after_delivery(self, ids: Sequence[int], now: datetime) -> None:
        await self._tx.executemany(
            "INSERT INTO outbox_wipe (outbox_id, added_at) VALUES (?, ?)"
            " ON CONFLICT (outbox_id) DO NOTHING",
            [(i, to_db(now)) for i in ids],
        )

    async def pending_for_members(self, member_ids: Sequence[int]) -> list[int]:
        if not member_ids:
            return []
        rows = await self._tx.fetchall(
            "SELECT id FROM outbox WHERE state = 'pending'"
            f" AND member_id IN ({_marks(member_ids)}) ORDER BY id",
            list(member_ids),
        )
        return [r["id"] for r in rows]

    async def wipe_delivered(self) -> int:
        """Blank the listed rows that are no longer pending; returns how many."""
        done = "SELECT id FROM outbox WHERE state <> 'pending'"
        count = await self._tx.execute_rowcount(
            f"UPDATE outbox SET {_BLANK} WHERE id IN (SELECT outbox_id FROM outbox_wipe)"
            f" AND id IN ({done})",
        )
        await self._tx.execute(f"DELETE FROM outbox_wipe WHERE outbox_id IN ({done})")
        return count

    # -- PersonalData ------------------------------------------------------------------

    async def export_member(self, member_id: int) -> dict[str, object]:
        row = await self._tx.fetchone(
            "SELECT COUNT(*) AS n FROM link_codes WHERE member_id = ? AND used_at IS NULL",
            (member_id,),
        )
        return {"unused_link_codes": int(row["n"]) if row else 0}

    async def erase_member(self, member_id: int, now: datetime) -> None:
        await self._tx.erase(
            "link_codes", "member_id = ?", (member_id,), blank=("identity", "created_at")
        )

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        # A code of the merged-away member would link to a member that no longer exists;
        # its queued messages now belong to the member it became.
        await self._tx.execute("DELETE FROM link_codes WHERE member_id = ?", (source_id,))
        await self._tx.execute(
            "UPDATE outbox SET member_id = ? WHERE member_id = ?", (target_id, source_id)
        )
