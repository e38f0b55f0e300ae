"""Open or closed: the first check-in or /open opens the space, the last check-out, the
closing time or /close closes it; who says so, in the chat, in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.testing import BotHarness
from handlers.web.state import replay
from storage.presence import ClosedBy, Visit
from storage.web import SpaceState

ROME = ZoneInfo("Europe/Rome")
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def visit(
    vid: int, member: int, start: int, end: int | None, by: ClosedBy = ClosedBy.MEMBER
) -> Visit:
    return Visit(
        vid,
        1,
        member,
        date(2026, 11, 25),
        minutes(start),
        None if end is None else minutes(end),
        by if end is not None else None,
        "",
    )


def never(at: datetime) -> datetime:
    return at + timedelta(days=1)


def test_replay_opens_with_the_first_check_in_and_closes_with_the_last_check_out() -> None:
    closed = SpaceState(False, T0, "", None)
    visits = [visit(1, 7, 10, 50), visit(2, 8, 20, 40)]
    assert replay(closed, visits, minutes(30), never) == SpaceState(True, minutes(10), "checkin", 7)
    assert replay(closed, visits, minutes(60), never) == SpaceState(False, minutes(50), "member", 7)
    # A hand-over at the same minute is not a moment closed.
    handover = [visit(1, 7, 10, 30), visit(2, 8, 30, None)]
    assert replay(closed, handover, minutes(60), never) == SpaceState(
        True, minutes(10), "checkin", 7
    )
    # Closing time closes the space, not the last person in it.
    by_job = [visit(1, 7, 10, 50, ClosedBy.CLOSING)]
    assert replay(closed, by_job, minutes(60), never) == SpaceState(
        False, minutes(50), "closing", None
    )


def test_replay_keeps_what_was_said_by_hand() -> None:
    opened = SpaceState(True, minutes(5), "open", 3)
    # Opened by hand and nobody came: it closes by itself at its cut-off.
    cut = lambda moment: moment + timedelta(hours=2)  # noqa: E731
    assert replay(opened, [], minutes(60), cut) == opened
    assert replay(opened, [], minutes(200), cut) == SpaceState(False, minutes(125), "closing", None)
    # Someone came and went: the last check-out closes it.
    assert replay(opened, [visit(1, 7, 10, 50)], minutes(60), cut) == SpaceState(
        False, minutes(50), "member", 7
    )
    # Closed by hand while Bruno is in: his check-out changes nothing, a new check-in opens.
    closed = SpaceState(False, minutes(30), "close", 3)
    inside = [visit(1, 7, 10, 50)]
    assert replay(closed, inside, minutes(60), cut) == closed
    assert replay(closed, [*inside, visit(2, 8, 55, None)], minutes(60), cut) == SpaceState(
        True, minutes(55), "checkin", 8
    )


async def test_open_and_close_in_the_chat(bot: BotHarness) -> None:
    bot.clock.set(at(8))
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/set closing 20:00", as_="Anna")
    sent = await bot.say("/who", as_="Bruno")
    assert sent[0].text == "Nobody's in right now.\nThe space is closed."

    bot.clock.set(at(8, 30))
    sent = await bot.say("/open", as_="Bruno", chat="private")
    assert [(s.to, s.text) for s in sent] == [
        (
            "bruno",
            "The space is open now. It stays open until the last person checks out, "
            "closing time, or /close.",
        ),
        ("group", "Bruno opened the space."),
    ]
    sent = await bot.say("/open", as_="Carla")
    assert [s.text for s in sent] == ["The space has been open since 08:30."]
    sent = await bot.say("/who", as_="Carla")
    assert sent[0].text == "Nobody's in right now.\nThe space has been open since 08:30."

    bot.clock.set(at(9))
    await bot.say("/checkin", as_="Carla")
    bot.clock.set(at(18))
    sent = await bot.say("/close", as_="Anna")
    assert [s.text for s in sent] == [
        "The space is closed now. 1 person is still checked in, until they check out or "
        "closing time."
    ]  # said in the group: no second post there
    sent = await bot.say("/who", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "1 person in",
        "Carla — since 09:00",
        "The space has been closed since 18:00.",
    ]
    sent = await bot.say("/close", as_="Bruno")
    assert [s.text for s in sent] == ["The space has been closed since 18:00."]
    # A hidden member who opens it, from private, is not named to the group.
    await bot.say("/privacy hidden", as_="Carla")
    sent = await bot.say("/open", as_="Carla", chat="private")
    assert [(s.to, s.text) for s in sent][1:] == [("group", "The space is open.")]
    await bot.say("/close", as_="Carla")

    # The next morning it shows the day it closed; Italian speakers read it in Italian
    # in private (the group reads the space's language).
    bot.clock.set(at(7, day=26))
    await bot.say("/lang it", as_="Bruno")
    sent = await bot.say("/who", as_="Bruno")
    reply = next(s for s in sent if s.to == "group")  # Carla is told her visit was closed
    assert reply.text.splitlines()[-1] == "The space has been closed since Wed, 25 Nov 2026, 18:00."
    sent = await bot.say("/who", as_="Bruno", chat="private")
    assert sent[0].text.splitlines()[-1] == "Lo spazio è chiuso da mer 25 nov 2026, 18:00."
    # Carla's visit ended at closing time; the space had been closed since /close.
    rows = await bot.fetchall("SELECT is_open, changed_at, changed_by FROM space_state")
    assert [tuple(r) for r in rows] == [(0, "2026-11-25T17:00:00Z", "close")]
    assert (await bot.fetchall("SELECT closed_by FROM visits"))[0][0] == "closing"


async def test_nobody_but_members_opens_or_closes(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    sent = await bot.say("/open", as_="Zeno")
    assert sent[0].text == "This is for members. Send /join in the group to become one."
    assert await bot.count("space_state") == 0
