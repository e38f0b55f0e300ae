"""Storage for help between peers: skills, help requests, notices and kudos.

Matching a question to skills is a pure function in handlers/skills/matching.py; this module
only hands it every skill of a space in one query, with what ranking needs (presence,
kudos), and records what the handlers and jobs decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.db import Row, Tx, from_db, opt_from_db, to_db


class RequestState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ACTIVE_STATES = (RequestState.OPEN, RequestState.CLAIMED)


@dataclass(frozen=True)
class Skill:
    """A skill of one member: `tag` matches, `label` is shown."""

    member_id: int
    tag: str
    label: str


@dataclass(frozen=True)
class SkillHolder:
    """A skill of an active member, with what ranking needs to know about them."""

    member_id: int
    display_name: str
    tag: str
    label: str
    present: bool
    hidden: bool
    kudos: int


@dataclass(frozen=True)
class HelpRequest:
    id: int
    space_id: int
    number: int
    requester_id: int | None
    skill_tag: str
    skill_label: str
    question: str
    state: RequestState
    helper_id: int | None
    created_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None
    closed_by: int | None
    escalated_at: datetime | None
    thanked: bool

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @classmethod
    def from_row(cls, row: Row) -> HelpRequest:
        return cls(
            id=row["id"],
            space_id=row["space_id"],
            number=row["number"],
            requester_id=row["requester_id"],
            skill_tag=row["skill_tag"],
            skill_label=row["skill_label"],
            question=row["question"],
            state=RequestState(row["state"]),
            helper_id=row["helper_id"],
            created_at=from_db(row["created_at"]),
            claimed_at=opt_from_db(row["claimed_at"]),
            closed_at=opt_from_db(row["closed_at"]),
            closed_by=row["closed_by"],
            escalated_at=opt_from_db(row["escalated_at"]),
            thanked=bool(row["thanked"]),
        )


# Every read of a request also says whether it was thanked, so handlers never ask twice.
_REQUEST = (
    "SELECT r.*, EXISTS (SELECT 1 FROM kudos k WHERE k.request_id = r.id) AS thanked"
    " FROM help_requests r"
)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


class SkillsRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- skills ------------------------------------------------------------------------

    async def of_member(self, member_id: int) -> list[Skill]:
        """A member's skills in alphabetical order, accents and case aside."""
        rows = await self._tx.fetchall(
            "SELECT member_id, tag, label FROM skills WHERE member_id = ? ORDER BY tag",
            (member_id,),
        )
        return [Skill(r["member_id"], r["tag"], r["label"]) for r in rows]

    async def add(
        self, space_id: int, member_id: int, skills: Sequence[tuple[str, str]], now: datetime
    ) -> None:
        """Add `(tag, label)` pairs; a tag the member already has keeps its first writing."""
        await self._tx.executemany(
            "INSERT INTO skills (member_id, space_id, tag, label, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id, tag) DO NOTHING",
            [(member_id, space_id, tag, label, to_db(now)) for tag, label in skills],
        )

    async def remove(self, member_id: int, tags: Sequence[str]) -> int:
        if not tags:
            return 0
        return await self._tx.execute_rowcount(
            f"DELETE FROM skills WHERE member_id = ? AND tag IN ({_marks(tags)})",
            (member_id, *tags),
        )

    async def holders(self, space_id: int) -> list[SkillHolder]:
        """Every skill of the space's active members, with presence and kudos, in one query."""
        rows = await self._tx.fetchall(
            "SELECT s.member_id, s.tag, s.label, m.display_name, m.visibility,"
            " EXISTS (SELECT 1 FROM visits v"
            "   WHERE v.member_id = s.member_id AND v.checkout_at IS NULL) AS present,"
            " (SELECT COUNT(*) FROM kudos k WHERE k.helper_id = s.member_id) AS kudos"
            " FROM skills s JOIN members m ON m.id = s.member_id"
            " WHERE s.space_id = ? AND m.status = 'active'"
            " ORDER BY s.member_id, s.created_at",
            (space_id,),
        )
        return [
            SkillHolder(
                member_id=r["member_id"],
                display_name=r["display_name"],
                tag=r["tag"],
                label=r["label"],
                present=bool(r["present"]),
                hidden=r["visibility"] == "hidden",
                kudos=int(r["kudos"]),
            )
            for r in rows
        ]

    async def present_members(self, space_id: int) -> set[int]:
        """Members with an open visit (checked in and not out) right now."""
        rows = await self._tx.fetchall(
            "SELECT member_id FROM visits WHERE space_id = ? AND checkout_at IS NULL",
            (space_id,),
        )
        return {r["member_id"] for r in rows}

    async def kudos(self, member_id: int) -> int:
        value = await self._tx.fetchval(
            "SELECT COUNT(*) FROM kudos WHERE helper_id = ?", (member_id,)
        )
        return int(value or 0)

    # -- requests ----------------------------------------------------------------------

    async def open_request(
        self,
        space_id: int,
        requester_id: int,
        skill_tag: str,
        skill_label: str,
        question: str,
        now: datetime,
    ) -> HelpRequest:
        """A new request, numbered after the space's last one (transactions are exclusive)."""
        number = await self._tx.fetchval(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM help_requests WHERE space_id = ?",
            (space_id,),
        )
        request_id = await self._tx.execute(
            "INSERT INTO help_requests"
            " (space_id, number, requester_id, skill_tag, skill_label, question, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (space_id, int(number), requester_id, skill_tag, skill_label, question, to_db(now)),
        )
        request = await self.get(request_id)
        assert request is not None
        return request

    async def get(self, request_id: int) -> HelpRequest | None:
        row = await self._tx.fetchone(f"{_REQUEST} WHERE r.id = ?", (request_id,))
        return None if row is None else HelpRequest.from_row(row)

    async def by_number(self, space_id: int, number: int) -> HelpRequest | None:
        row = await self._tx.fetchone(
            f"{_REQUEST} WHERE r.space_id = ? AND r.number = ?", (space_id, number)
        )
        return None if row is None else HelpRequest.from_row(row)

    async def active(self, space_id: int) -> list[HelpRequest]:
        """Open and claimed requests, oldest first."""
        rows = await self._tx.fetchall(
            f"{_REQUEST} WHERE r.space_id = ? AND r.state IN (?, ?) ORDER BY r.number",
            (space_id, *ACTIVE_STATES),
        )
        return [HelpRequest.from_row(r) for r in rows]

    async def claim(self, request_id: int, helper_id: int, now: datetime) -> bool:
        """Claim an open request; False if someone else got there first."""
        count = await self._tx.execute_rowcount(
            "UPDATE help_requests SET state = 'claimed', helper_id = ?, claimed_at = ?"
            " WHERE id = ? AND state = 'open'",
            (helper_id, to_db(now), request_id),
        )
        return count == 1

    async def close(
        self, request_id: int, state: RequestState, by: int | None, now: datetime
    ) -> bool:
        """Resolve, cancel or expire an active request; False if it was closed already."""
        if state in ACTIVE_STATES:
            raise ValueError(f"{state} is not a closing state")
        count = await self._tx.execute_rowcount(
            "UPDATE help_requests SET state = ?, closed_at = ?, closed_by = ?"
            " WHERE id = ? AND state IN (?, ?)",
            (state, to_db(now), by, request_id, *ACTIVE_STATES),
        )
        return count == 1

    async def thank(self, request: HelpRequest, given_by: int, now: datetime) -> bool:
        """One kudos to the request's helper; False if this request was thanked already."""
        if request.helper_id is None:
            raise ValueError("a request without a helper cannot be thanked")
        count = await self._tx.execute_rowcount(
            "INSERT INTO kudos (request_id, space_id, helper_id, given_by, given_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
            (request.id, request.space_id, request.helper_id, given_by, to_db(now)),
        )
        return count == 1

    async def record_notices(
        self, notices: Sequence[tuple[int, int]], reason: str, now: datetime
    ) -> None:
        """Record `(request id, member id)` pairs told privately, in the order they were told."""
        rank: dict[int, int] = {}
        rows: list[tuple[int, int, str, int, str]] = []
        for request_id, member_id in notices:
            rank[request_id] = rank.get(request_id, -1) + 1
            rows.append((request_id, member_id, reason, rank[request_id], to_db(now)))
        await self._tx.executemany(
            "INSERT INTO help_notices (request_id, member_id, reason, rank, sent_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id, member_id, reason) DO NOTHING",
            rows,
        )

    # -- what the jobs look at ------------------------------------------------------------

    async def to_escalate(self, space_id: int, created_before: datetime) -> list[HelpRequest]:
        """Open requests nobody took, older than the cut-off, not escalated yet."""
        rows = await self._tx.fetchall(
            f"{_REQUEST} WHERE r.space_id = ? AND r.state = 'open'"
            " AND r.escalated_at IS NULL AND r.created_at <= ? ORDER BY r.number",
            (space_id, to_db(created_before)),
        )
        return [HelpRequest.from_row(r) for r in rows]

    async def mark_escalated(self, request_ids: Sequence[int], now: datetime) -> None:
        if request_ids:
            await self._tx.execute(
                f"UPDATE help_requests SET escalated_at = ? WHERE id IN ({_marks(request_ids)})",
                (to_db(now), *request_ids),
            )

    async def active_created_before(
        self, space_id: int, created_before: datetime
    ) -> list[HelpRequest]:
        """Candidates for expiry; the handler decides exactly, in the space's calendar."""
        rows = await self._tx.fetchall(
            f"{_REQUEST} WHERE r.space_id = ? AND r.state IN (?, ?) AND r.created_at <= ?"
            " ORDER BY r.number",
            (space_id, *ACTIVE_STATES, to_db(created_before)),
        )
        return [HelpRequest.from_row(r) for r in rows]

    async def expire(self, request_ids: Sequence[int], now: datetime) -> None:
        if request_ids:
            await self._tx.execute(
                "UPDATE help_requests SET state = 'expired', closed_at = ?"
                f" WHERE state IN (?, ?) AND id IN ({_marks(request_ids)})",
                (to_db(now), *ACTIVE_STATES, *request_ids),
            )

    # -- personal data (handlers/privacy/) ----------------------------------------------

    async def export_member(self, member_id: int) -> dict[str, object]:
        skills = await self._tx.fetchall(
            "SELECT label, created_at FROM skills WHERE member_id = ? ORDER BY tag", (member_id,)
        )
        asked = await self._tx.fetchall(
            f"{_REQUEST} WHERE r.requester_id = ? ORDER BY r.number", (member_id,)
        )
        helped = await self._tx.fetchall(
            f"{_REQUEST} WHERE r.helper_id = ? ORDER BY r.number", (member_id,)
        )
        kudos = await self._tx.fetchall(
            "SELECT r.number, k.given_at, k.helper_id, k.given_by FROM kudos k"
            " LEFT JOIN help_requests r ON r.id = k.request_id"
            " WHERE k.helper_id = ? OR k.given_by = ? ORDER BY k.given_at, k.id",
            (member_id, member_id),
        )
        return {
            "skills": [{"skill": r["label"], "since": r["created_at"]} for r in skills],
            "requests_asked": [_request_export(HelpRequest.from_row(r)) for r in asked],
            "requests_helped": [_request_export(HelpRequest.from_row(r)) for r in helped],
            "kudos_received": [
                {"request": r["number"], "at": r["given_at"]}
                for r in kudos
                if r["helper_id"] == member_id
            ],
            "kudos_given": [
                {"request": r["number"], "at": r["given_at"]}
                for r in kudos
                if r["given_by"] == member_id
            ],
        }

    async def withdraw_member(self, member_id: int, by: int, now: datetime) -> int:
        """Someone stops being a member: their active requests are cancelled (by `by`)
        and the ones they took are open again. Returns how many requests were cancelled."""
        cancelled = await self._tx.execute_rowcount(
            "UPDATE help_requests SET state = 'cancelled', closed_at = ?, closed_by = ?"
            " WHERE requester_id = ? AND state IN (?, ?)",
            (to_db(now), by, member_id, *ACTIVE_STATES),
        )
        await self._tx.execute(
            "UPDATE help_requests SET state = 'open', helper_id = NULL, claimed_at = NULL"
            " WHERE helper_id = ? AND state = 'claimed'",
            (member_id,),
        )
        return cancelled

    async def erase_member(self, member_id: int, now: datetime) -> None:
        """Skills and question texts go; open requests are cancelled, claims given back.

        Kudos stay as counts for the helpers who earned them.
        """
        await self._tx.erase("skills", "member_id = ?", (member_id,), blank=("label",))
        await self.withdraw_member(member_id, member_id, now)
        await self._tx.execute(
            "UPDATE help_requests SET question = '' WHERE requester_id = ?", (member_id,)
        )
        await self._tx.erase("help_notices", "member_id = ?", (member_id,), blank=("sent_at",))

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        moves = (source_id, target_id)
        await self._tx.execute(
            "DELETE FROM skills WHERE member_id = ? AND tag IN"
            " (SELECT tag FROM skills WHERE member_id = ?)",
            moves,
        )
        await self._tx.execute(
            "UPDATE skills SET member_id = ? WHERE member_id = ?", (target_id, source_id)
        )
        for column in ("requester_id", "helper_id", "closed_by"):
            await self._tx.execute(
                f"UPDATE help_requests SET {column} = ? WHERE {column} = ?",
                (target_id, source_id),
            )
        await self._tx.execute(
            "DELETE FROM help_notices WHERE member_id = ? AND EXISTS (SELECT 1 FROM help_notices"
            " n WHERE n.member_id = ? AND n.request_id = help_notices.request_id"
            " AND n.reason = help_notices.reason)",
            moves,
        )
        await self._tx.execute(
            "UPDATE help_notices SET member_id = ? WHERE member_id = ?", (target_id, source_id)
        )
        for column in ("helper_id", "given_by"):
            await self._tx.execute(
                f"UPDATE kudos SET {column} = ? WHERE {column} = ?", (target_id, source_id)
            )


def _request_export(request: HelpRequest) -> dict[str, object]:
    return {
        "number": request.number,
        "skill": request.skill_label,
        "question": request.question,
        "state": request.state.value,
        "asked_at": to_db(request.created_at),
        "closed_at": to_db(request.closed_at) if request.closed_at else None,
        "thanked": request.thanked,
    }
