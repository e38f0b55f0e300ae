"""The pure parts of presence: cut-offs across DST, attendance, month figures, CSV, catalog."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.mentions import defuse_mentions
from handlers.presence.calc import (
    attendance,
    attendance_csv,
    cutoff,
    due_before,
    due_closings,
    local_instant,
    month_stats,
)
from handlers.spreadsheet import cell
from storage.presence import ClosedBy, Closing, Visit

ROME = ZoneInfo("Europe/Rome")


def visit(
    day: date,
    checkin: datetime,
    checkout: datetime | None = None,
    *,
    member: int = 1,
    visit_id: int = 1,
) -> Visit:
    return Visit(
        visit_id,
        1,
        member,
        day,
        checkin,
        checkout,
        ClosedBy.MEMBER if checkout else None,
        "",
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "wall", "expected"),
    [
        (date(2027, 3, 27), time(20, 0), utc(2027, 3, 27, 19, 0)),  # CET
        (date(2027, 3, 28), time(20, 0), utc(2027, 3, 28, 18, 0)),  # CEST from 03:00
        (date(2027, 3, 28), time(1, 30), utc(2027, 3, 28, 0, 30)),  # still CET
        (date(2027, 3, 28), time(2, 30), utc(2027, 3, 28, 1, 30)),  # skipped: reads as 03:30
        (date(2027, 10, 31), time(20, 0), utc(2027, 10, 31, 19, 0)),  # CET again
        (date(2027, 10, 31), time(2, 30), utc(2027, 10, 31, 0, 30)),  # twice: the first
        (date(2027, 10, 31), time(23, 59), utc(2027, 10, 31, 22, 59)),
        (date(2027, 3, 28), time(23, 59), utc(2027, 3, 28, 21, 59)),
    ],
)
def test_local_instant_across_daylight_saving(day: date, wall: time, expected: datetime) -> None:
    assert local_instant(day, wall, ROME) == expected


def test_cutoff_prefers_closing_time_then_end_of_day() -> None:
    day = date(2027, 3, 28)
    morning = visit(day, utc(2027, 3, 28, 7, 0))
    assert cutoff(morning, "20:00", ROME) == Closing(1, utc(2027, 3, 28, 18, 0), ClosedBy.CLOSING)
    assert cutoff(morning, None, ROME) == Closing(1, utc(2027, 3, 28, 21, 59), ClosedBy.MIDNIGHT)
    assert cutoff(morning, "", ROME).closed_by is ClosedBy.MIDNIGHT
    late = visit(day, utc(2027, 3, 28, 19, 0))  # 21:00 CEST, after closing
    assert cutoff(late, "20:00", ROME) == Closing(1, utc(2027, 3, 28, 21, 59), ClosedBy.MIDNIGHT)
    # A closing time of 23:59 is the closing, not the midnight cut.
    assert cutoff(morning, "23:59", ROME).closed_by is ClosedBy.CLOSING
    # Checked in in the last minute of the day: closed where it began, never before.
    last_minute = visit(day, utc(2027, 3, 28, 21, 59, 30))
    assert cutoff(last_minute, None, ROME).at == utc(2027, 3, 28, 21, 59, 30)


def test_due_closings_only_takes_open_visits_whose_time_has_come() -> None:
    day = date(2026, 11, 25)
    open_one = visit(day, utc(2026, 11, 25, 8, 0), visit_id=1)
    closed = visit(day, utc(2026, 11, 25, 8, 0), utc(2026, 11, 25, 9, 0), visit_id=2)
    assert due_closings([open_one, closed], "20:00", ROME, utc(2026, 11, 25, 18, 59)) == []
    assert due_closings([open_one, closed], "20:00", ROME, utc(2026, 11, 25, 19, 0)) == [
        (open_one, Closing(1, utc(2026, 11, 25, 19, 0), ClosedBy.CLOSING))
    ]


ZONES = [
    ROME,
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),
]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    closing=st.one_of(st.none(), st.times().map(lambda t: f"{t.hour:02d}:{t.minute:02d}")),
    now=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31)).map(
        lambda d: d.replace(tzinfo=UTC)
    ),
    ages=st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=8),
)
def test_settle_reads_every_visit_that_can_be_due(
    zone: ZoneInfo, closing: str | None, now: datetime, ages: list[int]
) -> None:
    """`settle` reads only the open visits of a day before `due_before`: across DST and
    odd offsets, none it leaves out could have been due."""
    visits = []
    for n, minutes in enumerate(ages):
        checkin = now - timedelta(minutes=minutes)
        visits.append(visit(checkin.astimezone(zone).date(), checkin, visit_id=n, member=n))
    limit = due_before(closing, zone, now)
    read = [v for v in visits if v.local_date < limit]
    assert due_closings(read, closing, zone, now) == due_closings(visits, closing, zone, now)


def test_attendance_counts_days_once_and_open_visits_up_to_now() -> None:
    now = utc(2026, 11, 26, 10, 0)
    visits = [
        visit(date(2026, 11, 25), utc(2026, 11, 25, 8, 0), utc(2026, 11, 25, 10, 0)),
        visit(date(2026, 11, 25), utc(2026, 11, 25, 13, 0), utc(2026, 11, 25, 14, 30)),
        visit(date(2026, 11, 26), utc(2026, 11, 26, 9, 0)),
    ]
    assert attendance(visits, now).days == 2
    assert attendance(visits, now).time == timedelta(hours=4, minutes=30)
    assert attendance([], now).days == 0


def test_month_stats_average_peak_and_members() -> None:
    d1, d2, d3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
    t = utc(2026, 11, 2, 8, 0)
    visits = [
        visit(d1, t, member=1),
        visit(d1, t, member=1),  # twice the same day counts once
        visit(d1, t, member=2),
        visit(d2, t, member=1),
        visit(d2, t, member=2),
        visit(d3, t, member=3),
    ]
    figures = month_stats(visits)
    assert figures.days_open == 3
    assert figures.average == Decimal("1.7")  # 5 member-days over 3 days
    assert (figures.peak, figures.peak_day) == (2, d1)  # the earliest of equal peaks
    assert figures.days_per_member == {1: 2, 2: 2, 3: 1}
    empty = month_stats([])
    assert (empty.days_open, empty.peak, empty.peak_day) == (0, 0, None)


def test_csv_quotes_and_defuses_formulas() -> None:
    day = date(2026, 11, 2)
    v = visit(day, utc(2026, 11, 2, 8, 0), utc(2026, 11, 2, 9, 1))
    content = attendance_csv([v], [], {1: 'Rossi, "Tino"'}, ROME, "en").decode("utf-8-sig")
    assert content.splitlines()[1] == '"Rossi, ""Tino""",2026-11-02,09:00,10:01,61,member,'
    assert cell("=SUM(A1)") == "'=SUM(A1)"
    assert cell("+39 333") == "'+39 333"
    assert cell("Anna") == "Anna"
    rows = attendance_csv([v], [], {}, ROME, "it").decode("utf-8-sig").splitlines()
    assert rows[1] == "#1;2026-11-02;09:00;10:01;61;member;"  # Italian spreadsheets split on ;


def test_defuse_mentions_breaks_pings_not_text() -> None:
    assert defuse_mentions("hi @room and @anna") == "hi @\u2060room and @\u2060anna"
    assert defuse_mentions("no mention") == "no mention"
