"""When a cost falls due, what period a charge covers, and when a day's work is due.

Pure date arithmetic in the space's local calendar, so every rule (the 31st in short
months, leap days, daylight-saving days) is tested directly.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.arguments import ArgError, parse_date

_SHOWN = 32
_DAY_MONTH = re.compile(r"(\d{1,2})[-/.](\d{1,2})")
_LEAP_YEAR = 2000  # any leap year: `yearly 29-02` is a real day of some years


class Every(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"
    ONCE = "once"


def clamp_day(year: int, month: int, day: int) -> date:
    """Day `day` of a month, or its last day when the month is shorter (31 → 30 April)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    """The local days a charge covers, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def covered(self, spans: Iterable[tuple[date, date | None]]) -> int:
        """Days of this period inside at least one of `spans` (first, last; last None:
        still going), each day once however many spans hold it."""
        clipped = sorted(
            (max(self.start, first), min(self.end, last) if last else self.end)
            for first, last in spans
        )
        days, reached = 0, self.start - timedelta(days=1)
        for start, end in clipped:
            start = max(start, reached + timedelta(days=1))
            if start <= end:
                days += (end - start).days + 1
                reached = end
        return days


@dataclass(frozen=True)
class Schedule:
    """`monthly <day>`, `yearly <dd-mm>` or `once <date>`."""

    every: Every
    day: int = 0
    month: int = 0
    on: date | None = None

    def _in_month(self, year: int, month: int) -> date:
        return clamp_day(year, month, self.day)

    def due_from(self, day: date) -> date | None:
        """The first due date on or after `day` (None: a one-off already past)."""
        if self.every is Every.ONCE:
            return self.on if self.on is not None and self.on >= day else None
        if self.every is Every.MONTHLY:
            candidate = self._in_month(day.year, day.month)
            if candidate < day:
                candidate = self._in_month(*add_months(day.year, day.month, 1))
            return candidate
        candidate = clamp_day(day.year, self.month, self.day)
        return candidate if candidate >= day else clamp_day(day.year + 1, self.month, self.day)

    def due_after(self, due: date) -> date | None:
        return None if self.every is Every.ONCE else self.due_from(due + timedelta(days=1))

    def due_before(self, due: date) -> date:
        """The due date before `due` of a recurring cost."""
        if self.every is Every.YEARLY:
            return clamp_day(due.year - 1, self.month, self.day)
        return clamp_day(*add_months(due.year, due.month, -1), self.day)

    def period(self, due: date) -> Period:
        """What the charge made on `due` pays for: from the previous due date to the eve.

        So consecutive charges cover the calendar without a gap or an overlap: for
        `monthly 31`, 31 Jan pays 31 Dec–30 Jan and 28 Feb pays 31 Jan–27 Feb. A one-off
        pays for nothing before it: its "period" is its day, and those who are members
        that day share it.
        """
        if self.every is Every.ONCE:
            return Period(due, due)
        return Period(self.due_before(due), due - timedelta(days=1))


def schedule_words(schedule: Schedule) -> list[str]:
    """The words of `cost add` that make this schedule again, the same whatever the day:
    `monthly 31`, `yearly 15-01`, `once 2027-03-28`."""
    if schedule.every is Every.MONTHLY:
        return ["monthly", str(schedule.day)]
    if schedule.every is Every.YEARLY:
        return ["yearly", f"{schedule.day:02d}-{schedule.month:02d}"]
    assert schedule.on is not None
    return ["once", schedule.on.isoformat()]


def parse_schedule(
    every: str, value: str, today: date, days: dict[str, int] | None = None
) -> Schedule:
    """The schedule words of `cost add`, checked: `monthly 31`, `yearly 15-01`, `once …`
    (`days`: the words for days counted from today, `tomorrow`, `domani`…)."""
    kind = Every(every.lower())
    shown = value[:_SHOWN]
    if kind is Every.MONTHLY:
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 31:
            raise ArgError("schedule.bad_day", value=shown)
        return Schedule(kind, day=int(value))
    if kind is Every.YEARLY:
        m = _DAY_MONTH.fullmatch(value)
        if m is None:
            raise ArgError("schedule.bad_yearly", value=shown)
        day, month = int(m[1]), int(m[2])
        try:
            date(_LEAP_YEAR, month, day)
        except ValueError as exc:
            raise ArgError("schedule.bad_yearly", value=shown) from exc
        return Schedule(kind, day=day, month=month)
    on = parse_date(value, today, days)
    if on < today:
        raise ArgError("schedule.past", value=shown)
    return Schedule(kind, on=on)


# -- when the day's work is due ---------------------------------------------------------


def parse_hhmm(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def reached_day(now: datetime, tz: ZoneInfo, at: time) -> date:
    """The latest local day whose `at` o'clock has come: what is due up to it is due now.

    Compared on the local wall clock, so it is right on daylight-saving days too: a
    time the clocks skip counts as reached when they jump past it, and a time they
    repeat is reached the first time.
    """
    local = now.astimezone(tz)
    return local.date() if local.time() >= at else local.date() - timedelta(days=1)


def moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant of `at` o'clock on a local day."""
    return datetime.combine(day, at, tzinfo=tz)
