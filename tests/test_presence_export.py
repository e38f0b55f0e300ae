"""`export attendance`: one CSV row per visit, for admins, in private only."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.testing import BotHarness

ROME = ZoneInfo("Europe/Rome")


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)  # type: ignore[misc]


async def month_of_visits(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla", "=cmd|calc"])
    await bot.say("/set closing 20:00", as_="Anna")
    await bot.say("/privacy hidden", as_="Carla")
    bot.clock.set(rome(2026, 10, 30, 9, 0))  # last month: not in November's file
    await bot.say("/in", as_="Bruno")
    bot.clock.set(rome(2026, 10, 30, 13, 0))
    await bot.say("/out", as_="Bruno")
    bot.clock.set(rome(2026, 11, 2, 9, 0))
    await bot.say('/in notes, "quoted"', as_="Bruno")
    await bot.say("/in", as_="Carla")
    bot.clock.set(rome(2026, 11, 2, 12, 30))
    await bot.say("/out", as_="Bruno")
    bot.clock.set(rome(2026, 11, 2, 21, 15))  # Carla closed at 20:00; Bruno back late
    await bot.tick()
    await bot.say("/in", as_="Bruno")
    bot.clock.set(rome(2026, 11, 3, 8, 45))  # Bruno's late visit cut at 23:59
    await bot.tick()
    await bot.say("/in", as_="=cmd|calc")  # still open at export time
    bot.clock.set(rome(2026, 11, 3, 10, 0))


async def test_export_attendance_sends_the_month_as_csv(bot: BotHarness) -> None:
    await month_of_visits(bot)
    sent = await bot.say("/export attendance 2026-11", as_="Anna", chat="private")
    assert len(sent) == 1 and sent[0].private
    assert sent[0].text == "Attendance in November 2026: 4 visits."
    document = sent[0].document
    assert document is not None
    assert document.filename == "attendance-2026-11.csv"
    assert document.mime_type == "text/csv"
    assert document.content.decode("utf-8") == (
        "\ufeffmember,date,in,out,minutes,closed_by,changes\r\n"
        "Bruno,2026-11-02,09:00,12:30,210,member,\r\n"
        "Carla,2026-11-02,09:00,20:00,660,closing,\r\n"
        "Bruno,2026-11-02,21:15,23:59,164,midnight,\r\n"
        "'=cmd|calc,2026-11-03,08:45,,,,\r\n"
    )
    rows = list(csv.DictReader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert [r["minutes"] for r in rows] == ["210", "660", "164", ""]
    # The default month is the current one; other months have their own rows.
    sent = await bot.say("/export attendance", as_="Anna", chat="private")
    assert sent[0].document == document
    sent = await bot.say("/export attendance 2026-10", as_="Anna", chat="private")
    assert sent[0].text == "Attendance in October 2026: 1 visit."
    assert sent[0].document is not None
    assert sent[0].document.content.decode().splitlines()[1:] == [
        "Bruno,2026-10-30,09:00,13:00,240,member,"
    ]


async def test_export_attendance_is_private_admin_only_and_says_when_empty(
    bot: BotHarness,
) -> None:
    await month_of_visits(bot)
    sent = await bot.say("/export attendance", as_="Anna")
    assert [(s.to, s.text, s.document) for s in sent] == [
        ("group", "/export attendance is private: send it to me in a private chat.", None)
    ]
    sent = await bot.say("/export attendance", as_="Bruno", chat="private")
    assert sent[0].text == "Only the space's admins can use /export attendance."
    assert sent[0].document is None
    sent = await bot.say("/export attendance 2026-09", as_="Anna", chat="private")
    assert (sent[0].text, sent[0].document) == (
        "No visits in September 2026: nothing to export.",
        None,
    )
    sent = await bot.say("/export attendance 2026-9x", as_="Anna", chat="private")
    assert sent[0].text.startswith("“2026-9x” isn't a month")
    sent = await bot.say("/export", as_="Anna", chat="private")
    assert "/export attendance [YYYY-MM]" in sent[0].text
    await bot.say("/lang it", as_="Anna")
    sent = await bot.say("/export attendance 2026-11", as_="Anna", chat="private")
    assert sent[0].text == "Presenze di novembre 2026: 4 visite."
    assert docs_sent(bot) == 1  # refusals and the empty month sent no file


def docs_sent(bot: BotHarness) -> int:
    return sum(1 for s in bot.sent if s.document is not None)
