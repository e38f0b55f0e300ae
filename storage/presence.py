"""Storage for the presence capability (see handlers/presence/): visits and planned days.

A visit's `local_date` is fixed at check-in in the space's timezone, so every count of
days (`me`, `stats`, the attendance split of costs) is a plain comparison of dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from storage.db import Row, Tx, date_to_db, from_db, opt_from_db, to_db


class ClosedBy(StrEnum):
    """Who ended a visit: the member, the closing-time job, the end of the day, an admin,
    or the member's device leaving (handlers/web/devices.py)."""

    MEMBER = "member"
    CLOSING = "closing"
    MIDNIGHT = "midnight"
    ADMIN = "admin"
    DEVICE = "device"


@dataclass(frozen=True)
class Visit:
    id: int
    space_id: int
    member_id: int
    local_date: date
    checkin_at: datetime
    checkout_at: datetime | None
    closed_by: ClosedBy | None
    note: str

    @property
    def is_open(self) -> bool:
        return self.checkout_at is None

    def length(self, now: datetime) -> timedelta:
        """How long the visit lasted, or has lasted so far if it is still open."""
        end = self.checkout_at or now
        return max(timedelta(0), end - self.checkin_at)

    @classmethod
    def from_row(cls, row: Row) -> Visit:
        return cls(
            id=row["id"],
            space_id=row["space_id"],
            member_id=row["member_id"],
            local_date=date.fromisoformat(row["local_date"]),
            checkin_at=from_db(row["checkin_at"]),
            checkout_at=opt_from_db(row["checkout_at"]),
            closed_by=ClosedBy(row["closed_by"]) if row["closed_by"] else None,
            note=row["note"],
        )


@dataclass(frozen=True)
class Closing:
    """An open visit to end at `at` (which may be earlier than now: closing time, midnight)."""

    visit_id: int
    at: datetime
    closed_by: ClosedBy


@dataclass(frozen=True)
class VisitChange:
    """One correction of a visit: its times before (None: it was added) and after (None:
    it was removed), who made it and when."""

    visit_id: int
    member_id: int
    local_date: date
    old_in: datetime | None
    old_out: datetime | None
    new_in: datetime | None
    new_out: datetime | None
    changed_by: int | None
    changed_at: datetime

    @classmethod
    def of(
        cls, before: Visit | None, after: Visit | None, by: int | None, now: datetime
    ) -> VisitChange:
        some = after or before
        assert some is not None
        return cls(
            some.id,
            some.member_id,
            some.local_date,
            before.checkin_at if before else None,
            before.checkout_at if before else None,
            after.checkin_at if after else None,
            after.checkout_at if after else None,
            by,
            now,
        )

    @classmethod
    def from_row(cls, row: Row) -> VisitChange:
        return cls(
            row["visit_id"],
            row["member_id"],
            date.fromisoformat(row["local_date"]),
            opt_from_db(row["old_checkin_at"]),
            opt_from_db(row["old_checkout_at"]),
            opt_from_db(row["new_checkin_at"]),
            opt_from_db(row["new_checkout_at"]),
            row["changed_by"],
            from_db(row["changed_at"]),
        )


@dataclass(frozen=True)
class PlannedVisit:
    member_id: int
    local_date: date


_VISIT_COLUMNS = "id, space_id, member_id, local_date, checkin_at, checkout_at, closed_by, note"


class PresenceRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- visits ------------------------------------------------------------------------

    async def open_visit(self, member_id: int) -> Visit | None:
        row = await self._tx.fetchone(
            f"SELECT {_VISIT_COLUMNS} FROM visits WHERE member_id = ? AND checkout_at IS NULL",
            (member_id,),
        )
        return None if row is None else Visit.from_row(row)

    async def open_visits(self, space_id: int, *, before: date | None = None) -> list[Visit]:
        """Everyone in now, first arrived first; only those checked in on a day `before`
        that one, if given."""
        if before is None:
            rows = await self._tx.fetchall(
                f"SELECT {_VISIT_COLUMNS} FROM visits WHERE space_id = ? AND checkout_at IS NULL"
                " ORDER BY checkin_at, id",
                (space_id,),
            )
        else:
            rows = await self._tx.fetchall(
                f"SELECT {_VISIT_COLUMNS} FROM visits WHERE space_id = ? AND checkout_at IS NULL"
                # `+local_date`: not by its index (every past visit of the space), by
                # the open visits' one, then the day of those few.
                " AND +local_date < ? ORDER BY checkin_at, id",
                (space_id, date_to_db(before)),
            )
        return [Visit.from_row(r) for r in rows]

    async def count_open(self, space_id: int) -> int:
        """How many are in now (counted by the index, no row read)."""
        return int(
            await self._tx.fetchval(
                "SELECT COUNT(*) FROM visits WHERE space_id = ? AND checkout_at IS NULL",
                (space_id,),
            )
        )

    async def check_in(
        self, space_id: int, member_id: int, local_date: date, at: datetime, note: str
    ) -> Visit:
        stamp = to_db(at)
        visit_id = await self._tx.execute(
            "INSERT INTO visits (space_id, member_id, local_date, checkin_at, note)"
            " VALUES (?, ?, ?, ?, ?)",
            (space_id, member_id, date_to_db(local_date), stamp, note),
        )
        # The visit as stored (whole seconds), without reading it back.
        return Visit(visit_id, space_id, member_id, local_date, from_db(stamp), None, None, note)

    async def get(self, visit_id: int) -> Visit:
        row = await self._tx.fetchone(
            f"SELECT {_VISIT_COLUMNS} FROM visits WHERE id = ?", (visit_id,)
        )
        assert row is not None
        return Visit.from_row(row)

    async def of_member_on(self, member_id: int, day: date) -> list[Visit]:
        """A member's visits of one local day, first arrived first."""
        rows = await self._tx.fetchall(
            f"SELECT {_VISIT_COLUMNS} FROM visits WHERE member_id = ? AND local_date = ?"
            " ORDER BY checkin_at, id",
            (member_id, date_to_db(day)),
        )
        return [Visit.from_row(r) for r in rows]

    async def add(
        self,
        space_id: int,
        member_id: int,
        local_date: date,
        checkin_at: datetime,
        checkout_at: datetime,
        closed_by: ClosedBy,
    ) -> Visit:
        """A visit written afterwards (an admin's fix), already closed."""
        visit_id = await self._tx.execute(
            "INSERT INTO visits (space_id, member_id, local_date, checkin_at, checkout_at,"
            " closed_by) VALUES (?, ?, ?, ?, ?, ?)",
            (
                space_id,
                member_id,
                date_to_db(local_date),
                to_db(checkin_at),
                to_db(checkout_at),
                closed_by.value,
            ),
        )
        return await self.get(visit_id)

    async def set_times(
        self,
        visit_id: int,
        checkin_at: datetime,
        checkout_at: datetime | None,
        closed_by: ClosedBy | None,
    ) -> Visit:
        await self._tx.execute(
            "UPDATE visits SET checkin_at = ?, checkout_at = ?, closed_by = ? WHERE id = ?",
            (
                to_db(checkin_at),
                None if checkout_at is None else to_db(checkout_at),
                None if closed_by is None else closed_by.value,
                visit_id,
            ),
        )
        return await self.get(visit_id)

    async def set_note(self, visit_id: int, note: str) -> None:
        await self._tx.execute("UPDATE visits SET note = ? WHERE id = ?", (note, visit_id))

    async def delete(self, visit_id: int) -> None:
        await self._tx.execute("DELETE FROM visits WHERE id = ?", (visit_id,))

    async def record_change(self, space_id: int, change: VisitChange) -> None:
        def stamp(moment: datetime | None) -> str | None:
            return None if moment is None else to_db(moment)

        await self._tx.execute(
            "INSERT INTO visit_changes (visit_id, space_id, member_id, local_date,"
            " old_checkin_at, old_checkout_at, new_checkin_at, new_checkout_at, changed_by,"
            " changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                change.visit_id,
                space_id,
                change.member_id,
                date_to_db(change.local_date),
                stamp(change.old_in),
                stamp(change.old_out),
                stamp(change.new_in),
                stamp(change.new_out),
                change.changed_by,
                to_db(change.changed_at),
            ),
        )

    async def changes(self, space_id: int, first: date, last: date) -> list[VisitChange]:
        """The corrections of the visits of days in [first, last], oldest first."""
        rows = await self._tx.fetchall(
            "SELECT * FROM visit_changes WHERE space_id = ? AND local_date BETWEEN ? AND ?"
            " ORDER BY changed_at, id",
            (space_id, date_to_db(first), date_to_db(last)),
        )
        return [VisitChange.from_row(r) for r in rows]

    async def close(self, closings: Sequence[Closing]) -> None:
        """End open visits; one already closed is left alone, so closing twice is harmless."""
        await self._tx.executemany(
            "UPDATE visits SET checkout_at = ?, closed_by = ? WHERE id = ? AND checkout_at IS NULL",
            [(to_db(c.at), c.closed_by.value, c.visit_id) for c in closings],
        )

    async def visits(
        self, space_id: int, first: date, last: date, *, member_id: int | None = None
    ) -> list[Visit]:
        """Visits whose day is in [first, last], in order of day and arrival."""
        sql = (
            f"SELECT {_VISIT_COLUMNS} FROM visits WHERE space_id = ? AND local_date BETWEEN ? AND ?"
        )
        params: list[str | int] = [space_id, date_to_db(first), date_to_db(last)]
        if member_id is not None:
            sql += " AND member_id = ?"
            params.append(member_id)
        rows = await self._tx.fetchall(sql + " ORDER BY local_date, checkin_at, id", params)
        return [Visit.from_row(r) for r in rows]

    async def closed_since(self, space_id: int, since: datetime, first_day: date) -> list[Visit]:
        """Visits closed after `since` (a visit ends on its own day, so their day is
        `first_day`, the local day of `since`, or later), in order of arrival."""
        rows = await self._tx.fetchall(
            f"SELECT {_VISIT_COLUMNS} FROM visits WHERE space_id = ? AND local_date >= ?"
            " AND checkout_at > ? ORDER BY checkin_at, id",
            (space_id, date_to_db(first_day), to_db(since)),
        )
        return [Visit.from_row(r) for r in rows]

    async def planned_counts(self, space_id: int, first: date, last: date) -> dict[date, int]:
        """How many active members said they are coming, per day in [first, last]."""
        rows = await self._tx.fetchall(
            "SELECT p.local_date, COUNT(*) AS n FROM planned_visits p"
            " JOIN members m ON m.id = p.member_id AND m.status = 'active'"
            " WHERE p.space_id = ? AND p.local_date BETWEEN ? AND ? GROUP BY p.local_date",
            (space_id, date_to_db(first), date_to_db(last)),
        )
        return {date.fromisoformat(r["local_date"]): r["n"] for r in rows}

    async def planned_between(self, space_id: int, first: date, last: date) -> list[PlannedVisit]:
        rows = await self._tx.fetchall(
            "SELECT member_id, local_date FROM planned_visits"
            " WHERE space_id = ? AND local_date BETWEEN ? AND ? ORDER BY local_date, id",
            (space_id, date_to_db(first), date_to_db(last)),
        )
        return [PlannedVisit(r["member_id"], date.fromisoformat(r["local_date"])) for r in rows]

    # -- planned days ------------------------------------------------------------------

    async def plan(self, space_id: int, member_id: int, day: date, now: datetime) -> bool:
        """Record a planned day; False if it was already planned."""
        count = await self._tx.execute_rowcount(
            "INSERT INTO planned_visits (space_id, member_id, local_date, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (member_id, local_date) DO NOTHING",
            (space_id, member_id, date_to_db(day), to_db(now)),
        )
        return count > 0

    async def unplan_from(self, member_id: int, day: date) -> None:
        """Drop every day planned from `day` on (someone who leaves is not coming)."""
        await self._tx.execute(
            "DELETE FROM planned_visits WHERE member_id = ? AND local_date >= ?",
            (member_id, date_to_db(day)),
        )

    async def unplan(self, member_id: int, day: date) -> bool:
        count = await self._tx.execute_rowcount(
            "DELETE FROM planned_visits WHERE member_id = ? AND local_date = ?",
            (member_id, date_to_db(day)),
        )
        return count > 0

    async def planned(self, space_id: int, day: date) -> list[PlannedVisit]:
        """Who said they are coming on `day`, in the order they said it."""
        rows = await self._tx.fetchall(
            "SELECT member_id, local_date FROM planned_visits"
            " WHERE space_id = ? AND local_date = ? ORDER BY id",
            (space_id, date_to_db(day)),
        )
        return [PlannedVisit(r["member_id"], date.fromisoformat(r["local_date"])) for r in rows]

    # -- personal data (handlers/privacy/) ----------------------------------------------

    async def export_member(self, member_id: int) -> dict[str, object]:
        visits = await self._tx.fetchall(
            "SELECT local_date, checkin_at, checkout_at, closed_by, note FROM visits"
            " WHERE member_id = ? ORDER BY checkin_at, id",
            (member_id,),
        )
        planned = await self._tx.fetchall(
            "SELECT local_date FROM planned_visits WHERE member_id = ? ORDER BY local_date",
            (member_id,),
        )
        changes = await self._tx.fetchall(
            "SELECT * FROM visit_changes WHERE member_id = ? ORDER BY changed_at, id",
            (member_id,),
        )
        return {
            "visit_changes": [
                {
                    "day": r["local_date"],
                    "before": [r["old_checkin_at"], r["old_checkout_at"]],
                    "after": [r["new_checkin_at"], r["new_checkout_at"]],
                    "by_yourself": r["changed_by"] == member_id,
                    "changed_at": r["changed_at"],
                }
                for r in changes
            ],
            "visits": [
                {
                    "day": r["local_date"],
                    "checkin": r["checkin_at"],
                    "checkout": r["checkout_at"],
                    "closed_by": r["closed_by"],
                    "note": r["note"],
                }
                for r in visits
            ],
            "planned_days": [r["local_date"] for r in planned],
        }

    async def erase_member(self, member_id: int, now: datetime) -> None:
        """Notes and plans go; the visits stay (attendance splits of costs count them)."""
        await self._tx.execute(
            "UPDATE visits SET note = '' WHERE member_id = ? AND note <> ''", (member_id,)
        )
        await self._tx.execute(
            "UPDATE visits SET checkout_at = ?, closed_by = ?"
            " WHERE member_id = ? AND checkout_at IS NULL",
            (to_db(now), ClosedBy.MEMBER.value, member_id),
        )
        await self._tx.erase("planned_visits", "member_id = ?", (member_id,), blank=("created_at",))

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        """Visits and plans move over; the one open visit allowed is the target's, if any."""
        await self._tx.execute(
            "UPDATE visits SET checkout_at = ?, closed_by = ?"
            " WHERE member_id = ? AND checkout_at IS NULL"
            " AND EXISTS (SELECT 1 FROM visits v WHERE v.member_id = ? AND v.checkout_at IS NULL)",
            (to_db(now), ClosedBy.MEMBER.value, source_id, target_id),
        )
        await self._tx.execute(
            "UPDATE visits SET member_id = ? WHERE member_id = ?", (target_id, source_id)
        )
        await self._tx.execute(
            "DELETE FROM planned_visits WHERE member_id = ? AND local_date IN"
            " (SELECT local_date FROM planned_visits WHERE member_id = ?)",
            (source_id, target_id),
        )
        await self._tx.execute(
            "UPDATE planned_visits SET member_id = ? WHERE member_id = ?", (target_id, source_id)
        )
        for column in ("member_id", "changed_by"):
            await self._tx.execute(
                f"UPDATE visit_changes SET {column} = ? WHERE {column} = ?",
                (target_id, source_id),
            )
