"""Presence's pure calculations: cut-offs, attendance, month figures, the CSV file."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bot.arguments import YearMonth
from handlers.spreadsheet import cell, table
from storage.presence import ClosedBy, Closing, Visit, VisitChange

END_OF_DAY = time(23, 59)
CSV_HEADER = ("member", "date", "in", "out", "minutes", "closed_by", "changes")


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day.

    A time the clock skips (spring forward) lands one hour later, as a wall clock shows
    it; a time that happens twice (fall back) is its first occurrence.
    """
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def parse_hhmm(text: str | None) -> time | None:
    if not text:
        return None
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def cutoff(visit: Visit, closing_time: str | None, tz: ZoneInfo) -> Closing:
    """When an open visit ends by itself: its day's closing time, else 23:59 of its day.

    A check-in after the closing time (someone working late) is not closed in the past:
    it runs to the end of its day like a space with no closing time.
    """
    end_of_day = max(local_instant(visit.local_date, END_OF_DAY, tz), visit.checkin_at)
    closing = parse_hhmm(closing_time)
    if closing is not None:
        at = local_instant(visit.local_date, closing, tz)
        if visit.checkin_at < at <= end_of_day:
            return Closing(visit.id, at, ClosedBy.CLOSING)
    return Closing(visit.id, end_of_day, ClosedBy.MIDNIGHT)


def due_before(closing_time: str | None, tz: ZoneInfo, now: datetime) -> date:
    """The open visits whose cut-off can have come by `now` are those of a day before the
    one returned: every earlier day's, and today's once today's closing time, or its
    end, has come. (`settle` reads only those: every presence command runs it.)"""
    today = now.astimezone(tz).date()
    ends = [local_instant(today, END_OF_DAY, tz)]
    closing = parse_hhmm(closing_time)
    if closing is not None:
        ends.append(local_instant(today, closing, tz))
    return today + timedelta(days=1) if min(ends) <= now else today


def due_closings(
    visits: Iterable[Visit], closing_time: str | None, tz: ZoneInfo, now: datetime
) -> list[tuple[Visit, Closing]]:
    """The open visits whose cut-off has come, each with the closing that ends it."""
    out = []
    for visit in visits:
        closing = cutoff(visit, closing_time, tz)
        if visit.is_open and closing.at <= now:
            out.append((visit, closing))
    return out


@dataclass(frozen=True)
class Attendance:
    days: int
    time: timedelta


def attendance(visits: Iterable[Visit], now: datetime) -> Attendance:
    """Distinct days with a visit, and time spent (an open visit counts up to now)."""
    days: set[date] = set()
    spent = timedelta(0)
    for visit in visits:
        days.add(visit.local_date)
        spent += visit.length(now)
    return Attendance(len(days), spent)


@dataclass(frozen=True)
class MonthStats:
    days_open: int
    average: Decimal
    peak: int
    peak_day: date | None
    days_per_member: Mapping[int, int]


def month_stats(visits: Iterable[Visit]) -> MonthStats:
    """Days with anyone in, people per day (average and peak), days per member.

    People per day counts each member once a day however often they came and went.
    The peak day is the earliest of equal peaks, so the answer is stable.
    """
    pairs = {(v.local_date, v.member_id) for v in visits}
    per_day = Counter(day for day, _ in pairs)
    per_member = Counter(member for _, member in pairs)
    if not per_day:
        return MonthStats(0, Decimal(0), 0, None, {})
    peak_day = min(per_day, key=lambda d: (-per_day[d], d))
    average = (Decimal(len(pairs)) / len(per_day)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return MonthStats(len(per_day), average, per_day[peak_day], peak_day, dict(per_member))


def month_range(month: YearMonth) -> tuple[date, date]:
    return month.first_day, month.next.first_day - timedelta(days=1)


def hhmm(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def span_text(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    """`09:00–18:30`; `09:00–` while open; `—` for no visit at all."""
    if start is None:
        return "—"
    return f"{hhmm(start, tz)}–{hhmm(end, tz) if end else ''}"


def change_text(change: VisitChange, names: Mapping[int, str], tz: ZoneInfo) -> str:
    """`2026-11-29 10:05 Anna: 09:00–23:59 → 09:00–18:30`."""
    when = change.changed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    who = names.get(change.changed_by or 0, "?")
    before = span_text(change.old_in, change.old_out, tz)
    after = span_text(change.new_in, change.new_out, tz)
    return f"{when} {who}: {before} → {after}"


def attendance_csv(
    visits: Iterable[Visit],
    changes: Iterable[VisitChange],
    names: Mapping[int, str],
    tz: ZoneInfo,
    lang: str,
) -> bytes:
    """One row per visit: member, date, in, out, minutes, closed_by (times local HH:MM),
    and the changes made to it; a removed visit is a row of its own, `removed`.

    An open visit has no out, minutes or closed_by yet.
    """
    history: dict[int, list[VisitChange]] = {}
    for change in changes:
        history.setdefault(change.visit_id, []).append(change)
    rows: list[tuple[date, datetime, list[object]]] = []
    for visit in visits:
        out = visit.checkout_at
        row: list[object] = [
            cell(names.get(visit.member_id, f"#{visit.member_id}")),
            visit.local_date.isoformat(),
            hhmm(visit.checkin_at, tz),
            hhmm(out, tz) if out else "",
            int((out - visit.checkin_at).total_seconds() // 60) if out else "",
            visit.closed_by.value if visit.closed_by else "",
            "; ".join(change_text(c, names, tz) for c in history.pop(visit.id, [])),
        ]
        rows.append((visit.local_date, visit.checkin_at, row))
    for gone in history.values():  # visits removed: what they were, and why they are not
        last = gone[-1]
        if last.new_in is not None or last.old_in is None:
            continue
        row = [
            cell(names.get(last.member_id, f"#{last.member_id}")),
            last.local_date.isoformat(),
            hhmm(last.old_in, tz),
            hhmm(last.old_out, tz) if last.old_out else "",
            "",
            "removed",
            "; ".join(change_text(c, names, tz) for c in gone),
        ]
        rows.append((last.local_date, last.old_in, row))
    rows.sort(key=lambda item: (item[0], item[1]))
    return table(CSV_HEADER, [row for _, _, row in rows], lang)


_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")


def parse_clock(text: str) -> time | None:
    """`18:30`, `9:00`, `18.30` as a wall-clock time; None if it is not one."""
    m = _CLOCK.fullmatch(text.strip())
    if m is None or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return time(int(m[1]), int(m[2]))


def looks_like_clock(text: str) -> bool:
    return bool(re.fullmatch(r"\d{1,2}[:.]\d+", text.strip()))
