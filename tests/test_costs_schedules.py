"""Due dates, periods and "is it time yet" across month ends, leap years and DST."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.arguments import ArgError
from handlers.costs.schedules import Every, Period, Schedule, parse_schedule, reached_day

ROME = ZoneInfo("Europe/Rome")
TODAY = date(2026, 11, 25)


def dues(schedule: Schedule, start: date, count: int) -> list[date]:
    out: list[date] = []
    due = schedule.due_from(start)
    while due is not None and len(out) < count:
        out.append(due)
        due = schedule.due_after(due)
    return out


def test_monthly_31_falls_on_the_last_day_of_shorter_months() -> None:
    assert dues(Schedule(Every.MONTHLY, day=31), date(2026, 11, 25), 6) == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]


def test_monthly_29_in_a_leap_february() -> None:
    assert dues(Schedule(Every.MONTHLY, day=29), date(2028, 1, 30), 3) == [
        date(2028, 2, 29),
        date(2028, 3, 29),
        date(2028, 4, 29),
    ]
    assert dues(Schedule(Every.MONTHLY, day=30), date(2027, 2, 1), 2) == [
        date(2027, 2, 28),
        date(2027, 3, 30),
    ]


def test_due_from_includes_today() -> None:
    assert Schedule(Every.MONTHLY, day=25).due_from(TODAY) == TODAY
    assert Schedule(Every.YEARLY, day=25, month=11).due_from(TODAY) == TODAY
    assert Schedule(Every.MONTHLY, day=24).due_from(TODAY) == date(2026, 12, 24)


def test_yearly_and_leap_day() -> None:
    assert dues(Schedule(Every.YEARLY, day=1, month=6), TODAY, 2) == [
        date(2027, 6, 1),
        date(2028, 6, 1),
    ]
    assert dues(Schedule(Every.YEARLY, day=29, month=2), TODAY, 3) == [
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2029, 2, 28),
    ]


def test_once_is_once() -> None:
    once = Schedule(Every.ONCE, on=date(2027, 1, 10))
    assert dues(once, TODAY, 5) == [date(2027, 1, 10)]
    assert once.due_from(date(2027, 1, 11)) is None


def test_periods_chain_without_gaps_or_overlaps() -> None:
    heating = Schedule(Every.MONTHLY, day=31)
    assert heating.period(date(2027, 1, 31)) == Period(date(2026, 12, 31), date(2027, 1, 30))
    assert heating.period(date(2027, 2, 28)) == Period(date(2027, 1, 31), date(2027, 2, 27))
    assert heating.period(date(2027, 3, 31)) == Period(date(2027, 2, 28), date(2027, 3, 30))
    assert Schedule(Every.MONTHLY, day=1).period(date(2027, 1, 1)) == Period(
        date(2026, 12, 1), date(2026, 12, 31)
    )
    assert Schedule(Every.YEARLY, day=1, month=6).period(date(2027, 6, 1)).days == 365
    # A one-off pays for no period before it: its day, shared by the members of that day.
    assert Schedule(Every.ONCE, on=date(2027, 3, 31)).period(date(2027, 3, 31)) == Period(
        date(2027, 3, 31), date(2027, 3, 31)
    )


@given(
    day=st.integers(min_value=1, max_value=31),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
)
def test_monthly_periods_tile_the_calendar(day: int, start: date) -> None:
    schedule = Schedule(Every.MONTHLY, day=day)
    due = schedule.due_from(start)
    assert due is not None
    for _ in range(14):
        following = schedule.due_after(due)
        assert following is not None
        assert schedule.period(following).start == due
        assert schedule.period(following).end < following
        assert following.day == min(day, calendar.monthrange(following.year, following.month)[1])
        assert (following.year * 12 + following.month) - (due.year * 12 + due.month) == 1
        due = following


def test_period_covered_counts_days_of_membership() -> None:
    period = Period(date(2027, 1, 31), date(2027, 2, 27))
    assert period.days == 28
    assert period.covered([(date(2026, 1, 1), None)]) == 28
    assert period.covered([(date(2027, 2, 10), None)]) == 18
    assert period.covered([(date(2026, 1, 1), date(2027, 2, 1))]) == 2
    assert period.covered([(date(2027, 3, 1), None)]) == 0
    assert period.covered([(date(2026, 1, 1), date(2027, 1, 1))]) == 0
    assert period.covered([]) == 0


def test_period_covered_adds_every_stretch_of_membership_each_day_once() -> None:
    """Left on the 5th, back on the 20th: 5 + 9 days of February; a day in two
    stretches (left and came back the same day) counts once."""
    february = Period(date(2027, 2, 1), date(2027, 2, 28))
    spans = [(date(2027, 1, 10), date(2027, 2, 5)), (date(2027, 2, 20), None)]
    assert february.covered(spans) == 5 + 9
    same_day = [(date(2027, 1, 10), date(2027, 2, 5)), (date(2027, 2, 5), date(2027, 2, 6))]
    assert february.covered(same_day) == 6
    nested = [(date(2027, 2, 1), date(2027, 2, 28)), (date(2027, 2, 3), date(2027, 2, 4))]
    assert february.covered(nested) == 28


@pytest.mark.parametrize(
    ("every", "value", "expected"),
    [
        ("monthly", "31", Schedule(Every.MONTHLY, day=31)),
        ("MONTHLY", "1", Schedule(Every.MONTHLY, day=1)),
        ("yearly", "15-01", Schedule(Every.YEARLY, day=15, month=1)),
        ("yearly", "29/02", Schedule(Every.YEARLY, day=29, month=2)),
        ("once", "2026-11-25", Schedule(Every.ONCE, on=TODAY)),
        ("once", "31/12/2026", Schedule(Every.ONCE, on=date(2026, 12, 31))),
    ],
)
def test_parse_schedule(every: str, value: str, expected: Schedule) -> None:
    assert parse_schedule(every, value, TODAY) == expected


@pytest.mark.parametrize(
    ("every", "value", "key"),
    [
        ("monthly", "0", "schedule.bad_day"),
        ("monthly", "32", "schedule.bad_day"),
        ("monthly", "-1", "schedule.bad_day"),
        ("monthly", "x", "schedule.bad_day"),
        ("yearly", "30-02", "schedule.bad_yearly"),
        ("yearly", "31-04", "schedule.bad_yearly"),
        ("yearly", "12", "schedule.bad_yearly"),
        ("yearly", "01-13", "schedule.bad_yearly"),
        ("once", "2026-11-24", "schedule.past"),
        ("once", "yesterday", "schedule.past"),
        ("once", "2026-02-30", "args.no_such_date"),
        ("once", "soon", "args.bad_date"),
    ],
)
def test_parse_schedule_refuses(every: str, value: str, key: str) -> None:
    with pytest.raises(ArgError) as err:
        parse_schedule(every, value, TODAY)
    assert err.value.key == key


def at_rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)


def test_reached_day_turns_at_the_reminder_time() -> None:
    nine = time(9, 0)
    assert reached_day(at_rome(2027, 1, 31, 8, 59), ROME, nine) == date(2027, 1, 30)
    assert reached_day(at_rome(2027, 1, 31, 9, 0), ROME, nine) == date(2027, 1, 31)
    # 08:30 UTC is 09:30 in Rome in winter: the server's zone does not matter.
    assert reached_day(datetime(2027, 1, 31, 8, 30, tzinfo=UTC), ROME, nine) == date(2027, 1, 31)


def test_reached_day_on_daylight_saving_days() -> None:
    nine = time(9, 0)
    # 28 March 2027: clocks jump 02:00 → 03:00; 09:00 CEST is 07:00 UTC.
    assert reached_day(datetime(2027, 3, 28, 6, 59, tzinfo=UTC), ROME, nine) == date(2027, 3, 27)
    assert reached_day(datetime(2027, 3, 28, 7, 0, tzinfo=UTC), ROME, nine) == date(2027, 3, 28)
    # 31 October 2027: clocks go back 03:00 → 02:00; 09:00 CET is 08:00 UTC.
    assert reached_day(datetime(2027, 10, 31, 7, 59, tzinfo=UTC), ROME, nine) == date(2027, 10, 30)
    assert reached_day(datetime(2027, 10, 31, 8, 0, tzinfo=UTC), ROME, nine) == date(2027, 10, 31)
    # A reminder time the clocks skip counts as reached once they jump past it.
    skipped = time(2, 30)
    assert reached_day(datetime(2027, 3, 28, 0, 59, tzinfo=UTC), ROME, skipped) == date(2027, 3, 27)
    assert reached_day(datetime(2027, 3, 28, 1, 0, tzinfo=UTC), ROME, skipped) == date(2027, 3, 28)
    # A repeated time is reached the first time, and stays reached the second.
    repeated = time(2, 30)
    first = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert reached_day(first, ROME, repeated) == date(2027, 10, 31)
    assert reached_day(second, ROME, repeated) == date(2027, 10, 31)
