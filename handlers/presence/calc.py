"""Presence's pure calculations: cut-offs, attendance, month figures, the CSV file."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bot.arguments import YearMonth
from storage.presence import ClosedBy, Closing, Visit

END_OF_DAY = time(23, 59)
CSV_HEADER = ("member", "date", "in", "out", "minutes", "closed_by")


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


def spreadsheet_safe(text: str) -> str:
    """Keep a name from being run as a formula when the CSV is opened in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def attendance_csv(visits: Iterable[Visit], names: Mapping[int, str], tz: ZoneInfo) -> bytes:
    """One row per visit: member, date, in, out, minutes, closed_by (times local HH:MM).

    An open visit has no out, minutes or closed_by yet.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for visit in visits:
        out = visit.checkout_at
        writer.writerow(
            (
                spreadsheet_safe(names.get(visit.member_id, f"#{visit.member_id}")),
                visit.local_date.isoformat(),
                visit.checkin_at.astimezone(tz).strftime("%H:%M"),
                out.astimezone(tz).strftime("%H:%M") if out else "",
                int((out - visit.checkin_at).total_seconds() // 60) if out else "",
                visit.closed_by.value if visit.closed_by else "",
            )
        )
    return buffer.getvalue().encode("utf-8")
