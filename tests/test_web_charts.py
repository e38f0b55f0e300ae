"""Charts: presence by weekday and hour, drawn by matplotlib in its own process after the
command's transaction, sent as a PNG; days per member only for admins in private."""

from __future__ import annotations

import struct
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.testing import BotHarness
from handlers.web import charts
from handlers.web.charts import presence_grid
from storage.presence import ClosedBy, Visit

ROME = ZoneInfo("Europe/Rome")


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def visit(member: int, start: datetime, end: datetime | None) -> Visit:
    day = start.astimezone(ROME).date()
    return Visit(
        1, 1, member, day, start.astimezone(UTC), end and end.astimezone(UTC), ClosedBy.MEMBER, ""
    )


def test_the_grid_is_people_in_on_average_per_weekday_and_hour() -> None:
    # Two Wednesdays in the period (18 and 25 Nov 2026); Bruno came on one, from 09:30
    # to 11:00, and Carla on both, from 10:00 to 10:30.
    visits = [
        visit(1, at(9, 30), at(11)),
        visit(2, at(10, day=18), at(10, 30, day=18)),
        visit(2, at(10), at(10, 30)),
    ]
    grid = presence_grid(visits, ROME, date(2026, 11, 16), date(2026, 11, 29), at(23))
    wednesday = grid[2]
    assert wednesday[9] == 0.25  # half an hour, one Wednesday of two
    assert wednesday[10] == 1.0  # Bruno's hour and Carla's two half hours, over two
    assert sum(wednesday) == 1.25 and sum(map(sum, grid)) == 1.25
    # An open visit counts up to now.
    grid = presence_grid(
        [visit(1, at(18), None)], ROME, date(2026, 11, 25), date(2026, 11, 25), at(19, 30)
    )
    assert grid[2][18:20] == [1.0, 0.5]


def test_the_grid_keeps_local_hours_across_the_change_of_time() -> None:
    """2027-03-28 (a Sunday): 02:00 becomes 03:00; a visit 01:30–03:30 is 1 hour long."""
    start = datetime(2027, 3, 28, 1, 30, tzinfo=ROME)
    end = datetime(2027, 3, 28, 3, 30, tzinfo=ROME)
    grid = presence_grid([visit(1, start, end)], ROME, date(2027, 3, 28), date(2027, 3, 28), end)
    assert grid[6][1:4] == [0.5, 0.0, 0.5]


async def test_stats_chart_sends_a_png_and_names_only_to_admins_in_private(
    bot: BotHarness,
) -> None:
    bot.clock.set(at(8))
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    bot.clock.set(at(9))
    await bot.say("/checkin", as_="Bruno")
    bot.clock.set(at(10))
    await bot.say("/checkin", as_="Carla")
    bot.clock.set(at(12))

    sent = await bot.say("/stats chart", as_="Bruno")
    assert [(s.to, s.text) for s in sent] == [("group", "Presence at Veglio, November 2026.")]
    document = sent[0].document
    assert document is not None and document.mime_type == "image/png"
    assert document.filename == "presence-2026-11.png"
    plain = png_size(document.content)

    sent = await bot.say("/stats chart 2026-11", as_="Anna", chat="private")
    assert sent[0].private and sent[0].document is not None
    with_members = png_size(sent[0].document.content)
    assert with_members[0] == plain[0] and with_members[1] > plain[1]
    # An admin in the group gets the plain chart: names stay private.
    sent = await bot.say("/stats chart", as_="Anna")
    assert sent[0].document is not None and png_size(sent[0].document.content) == plain

    # matplotlib was never imported by the bot itself.
    assert "matplotlib" not in sys.modules
    # The data was read in the command's transaction; only the reply came after.
    assert await bot.count("outbox", doc_mime="image/png") == 3


async def test_stats_chart_without_visits_or_with_a_bad_month(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    sent = await bot.say("/stats chart", as_="Anna")
    assert [s.text for s in sent] == ["No visits in November 2026."]
    sent = await bot.say("/stats chart 2026-13", as_="Anna")
    assert sent[0].text == (
        "“2026-13” isn't a month: write it as YYYY-MM, e.g. 2026-11.\nUsage: /stats chart [YYYY-MM]"
    )
    sent = await bot.say("/stats 2026-11", as_="Anna")  # the text stats are still there
    assert sent[0].text == "No visits in November 2026."


async def test_a_chart_that_cannot_be_drawn_gets_an_apology(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await bot.setup_space("Anna")
    await bot.say("/checkin", as_="Anna")
    broken = tmp_path / "drawing.py"
    broken.write_text("import sys; sys.exit('no display here')\n")
    monkeypatch.setattr(charts, "DRAWING", broken)
    sent = await bot.say("/stats chart", as_="Anna")
    assert [s.text for s in sent] == [
        "Sorry, I couldn't draw the chart this time. Please try again later."
    ]
