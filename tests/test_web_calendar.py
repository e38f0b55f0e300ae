"""iCal feeds: the public one (opening hours, planned days as counts) and a member's
secret one (names of visible members, their own due dates), parsed back with icalendar."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.testing import BotHarness
from tests.support.web import Client

pytestmark = pytest.mark.http

ROME = ZoneInfo("Europe/Rome")
HOST = "127.0.0.1"


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


def events(body: bytes) -> dict[str, tuple[Any, ...]]:
    """uid → (summary, start, end, rrule, description) of every event in a feed."""
    cal = Calendar.from_ical(body)
    found = {}
    for event in cal.walk("VEVENT"):
        rrule = event.get("rrule")
        found[str(event["uid"])] = (
            str(event["summary"]),
            event.decoded("dtstart"),
            event.decoded("dtend") if "dtend" in event else None,
            rrule.to_ical().decode() if rrule else None,
            str(event["description"]) if "description" in event else None,
        )
    return found


async def planned_community(bot: BotHarness) -> None:
    bot.clock.set(at(8))
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario"])
    await bot.say("/set hours mon-fri 09:00-19:00; sab 10:00-13:00", as_="Anna")
    await bot.say("/privacy hidden", as_="Dario")
    for who in ("Bruno", "Carla", "Dario"):
        await bot.say("/going tomorrow", as_=who)
    await bot.say("/going 28/11/2026", as_="Carla")


def hours_events(name: str = "Veglio open") -> dict[str, tuple[Any, ...]]:
    return {
        f"hours-0-veglio@{HOST}": (
            name,
            at(9),
            at(19),
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            None,
        ),
        f"hours-1-veglio@{HOST}": (
            name,
            at(10, day=28),
            at(13, day=28),
            "FREQ=WEEKLY;BYDAY=SA",
            None,
        ),
    }


async def test_the_public_calendar_has_hours_and_counts_but_no_names(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    await planned_community(bot)
    answer = await client.get("/spaces/veglio/calendar.ics")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert events(answer.body) == {
        **hours_events(),
        f"going-2026-11-26-veglio@{HOST}": (
            "3 people coming",
            date(2026, 11, 26),
            None,
            None,
            None,
        ),
        f"going-2026-11-28-veglio@{HOST}": (
            "1 person coming",
            date(2026, 11, 28),
            None,
            None,
            None,
        ),
    }
    for name in ("Bruno", "Carla", "Dario", "Anna"):
        assert name not in answer.text
    cal = Calendar.from_ical(answer.body)
    assert str(cal["x-wr-timezone"]) == "Europe/Rome"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Rome"]

    # Someone takes a day back, and the feed follows at once.
    await bot.say("/notgoing 28/11/2026", as_="Carla")
    later = events((await client.get("/spaces/veglio/calendar.ics")).body)
    assert f"going-2026-11-28-veglio@{HOST}" not in later


async def test_a_members_feed_names_visible_members_and_their_due_dates(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    await planned_community(bot)
    await bot.say("/cost add Internet 40 once 2026-11-25", as_="Anna")
    await bot.say("/cost add Heating 120 monthly 5", as_="Anna")
    bot.clock.set(at(10))
    await bot.tick()  # Internet falls due today (at 09:00): €10 each for the four members
    sent = await bot.say("/calendar", as_="Bruno", chat="private")
    found = re.search(r"(http://\S+/calendar/\S+\.ics)", sent[0].text)
    assert found, sent[0].text
    feed = found[1]
    assert sent[0].text.endswith(
        f"Without names, for everyone: {bot.web_url}/spaces/veglio/calendar.ics"
    )
    token = feed.rsplit("/", 1)[1].removesuffix(".ics")
    assert await bot.count("calendar_feeds", token_hash=token) == 0

    answer = await client.get(feed)
    assert answer.status == 200
    internet, heating = (
        await bot.fetchval("SELECT id FROM charges WHERE name = 'Internet'"),
        await bot.fetchval("SELECT id FROM costs WHERE name = 'Heating'"),
    )
    bruno = (await bot.member("Bruno")).id
    assert events(answer.body) == {
        **hours_events(),
        f"going-2026-11-26-veglio@{HOST}": (
            "3 people coming",
            date(2026, 11, 26),
            None,
            None,
            "Coming: Bruno, Carla, 1 other person",
        ),
        f"going-2026-11-28-veglio@{HOST}": (
            "1 person coming",
            date(2026, 11, 28),
            None,
            None,
            "Coming: Carla",
        ),
        f"share-{internet}-{bruno}@{HOST}": (
            "Internet: €10.00 to pay",
            date(2026, 11, 25),
            None,
            None,
            None,
        ),
        f"cost-{heating}-2026-12-05@{HOST}": (
            "Heating falls due",
            date(2026, 12, 5),
            None,
            None,
            None,
        ),
    }
    assert "Dario" not in answer.text

    # Asked again, the address cannot be shown (only its hash is kept).
    sent = await bot.say("/calendar", as_="Bruno", chat="private")
    assert sent[0].text.startswith("You've had a calendar feed since Wed, 25 Nov 2026.")
    # A new one replaces it; the old address stops working.
    sent = await bot.say("/calendar new", as_="Bruno", chat="private")
    renewed = re.search(r"(http://\S+/calendar/\S+\.ics)", sent[0].text)
    assert renewed and renewed[1] != feed
    assert (await client.get(feed)).status == 404
    assert (await client.get(renewed[1])).status == 200
    # Under another space's slug the token opens nothing.
    other = renewed[1].replace("/spaces/veglio/", "/spaces/elsewhere/")
    assert (await client.get(other)).status == 404
    # Off: gone.
    sent = await bot.say("/calendar off", as_="Bruno", chat="private")
    assert sent[0].text == "Your calendar feed is off: its address no longer works."
    assert (await client.get(renewed[1])).status == 404
    sent = await bot.say("/calendar off", as_="Bruno", chat="private")
    assert sent[0].text == "You have no calendar feed. /calendar makes one."


async def test_a_feed_speaks_its_members_language_and_dies_when_they_leave(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    await planned_community(bot)
    await bot.say("/lang it", as_="Carla")
    sent = await bot.say("/calendar", as_="Carla", chat="private")
    assert sent[0].text.startswith("Il tuo calendario\nhttp://")
    found = re.search(r"(http://\S+\.ics)", sent[0].text)
    assert found
    feed = events((await client.get(found[1])).body)
    assert feed[f"hours-0-veglio@{HOST}"][0] == "Veglio aperto"
    assert feed[f"going-2026-11-26-veglio@{HOST}"][0] == "3 persone in arrivo"
    await bot.say("/leave", as_="Carla")
    assert (await client.get(found[1])).status == 404


async def test_without_web_there_is_no_feed(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    sent = await bot.say("/calendar", as_="Anna", chat="private")
    assert sent[0].text.startswith("The web server isn't set up")
