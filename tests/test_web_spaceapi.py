"""SpaceAPI v15 at /spaces/<slug>/spaceapi.json, valid against the official schema in
every state the space goes through, naming only members who chose /privacy public."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft7Validator

import coworkbot
from bot.config import SpaceSection
from bot.testing import BotHarness
from tests.support.web import Client, web_section

pytestmark = pytest.mark.http

ROME = ZoneInfo("Europe/Rome")
SCHEMA = json.loads((Path(__file__).parent / "spaceapi" / "15.json").read_text("utf-8"))
VALIDATOR = Draft7Validator(SCHEMA)


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


async def spaceapi(client: Client, slug: str = "veglio") -> dict[str, Any]:
    answer = await client.get(f"/spaces/{slug}/spaceapi.json")
    assert answer.status == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    doc: dict[str, Any] = answer.json()
    assert [e.message for e in VALIDATOR.iter_errors(doc)] == []
    return doc


def state(doc: dict[str, Any]) -> tuple[bool, int, int, list[str] | None, str | None]:
    present = doc["sensors"]["people_now_present"]
    assert len(present) == 1
    return (
        doc["state"]["open"],
        doc["state"]["lastchange"],
        present[0]["value"],
        present[0].get("names"),
        doc["state"].get("trigger_person"),
    )


def test_the_schema_refuses_what_it_must() -> None:
    """The copy of the schema is the real one: `"open": "unknown"` (seen in templates)
    and a missing `api_compatibility` are invalid in v15."""
    good = {
        "api_compatibility": ["15"],
        "space": "X",
        "logo": "https://x/logo.png",
        "url": "https://x",
        "contact": {},
        "state": {"open": True},
    }
    assert list(VALIDATOR.iter_errors(good)) == []
    assert list(VALIDATOR.iter_errors({**good, "state": {"open": "unknown"}}))
    assert list(VALIDATOR.iter_errors({k: v for k, v in good.items() if k != "space"}))
    assert list(VALIDATOR.iter_errors({**good, "api_compatibility": ["14"]}))


async def test_spaceapi_in_every_state(web_bot: BotHarness, client: Client) -> None:
    bot = web_bot
    bot.clock.set(at(8))
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/set closing 20:00", as_="Anna")
    created = at(8)

    # Never opened: closed since the space was made, nobody in, nobody named.
    doc = await spaceapi(client)
    assert doc["space"] == "Veglio" and doc["api_compatibility"] == ["15"]
    assert state(doc) == (False, stamp(created) - 1, 0, None, None)
    base = bot.web_url
    assert doc["url"] == f"{base}/spaces/veglio/"
    assert doc["logo"] == f"{base}/spaces/veglio/logo.svg"
    assert doc["feeds"]["calendar"] == {"type": "ical", "url": f"{base}/spaces/veglio/calendar.ics"}
    assert doc["location"] == {"timezone": "Europe/Rome"}
    assert doc["links"] == [{"name": "Status page", "url": f"{base}/spaces/veglio/"}]
    logo = await client.get("/spaces/veglio/logo.svg")
    assert logo.status == 200 and logo.headers["Content-Type"].startswith("image/svg+xml")

    # The first check-in opens it; Bruno is visible to members, not public: counted only.
    bot.clock.set(at(9))
    await bot.say("/checkin", as_="Bruno")
    assert state(await spaceapi(client)) == (True, stamp(at(9)), 1, None, None)

    # Carla chose public: named. A second check-in does not change when it opened.
    await bot.say("/privacy public", as_="Carla")
    bot.clock.set(at(9, 30))
    await bot.say("/checkin", as_="Carla")
    assert state(await spaceapi(client)) == (True, stamp(at(9)), 2, ["Carla"], None)
    # Bruno hides: still counted, still not named.
    await bot.say("/privacy hidden", as_="Bruno")
    assert state(await spaceapi(client)) == (True, stamp(at(9)), 2, ["Carla"], None)

    # The last check-out closes it, at that time, by that (public) person.
    bot.clock.set(at(12))
    await bot.say("/checkout", as_="Bruno")
    assert state(await spaceapi(client)) == (True, stamp(at(9)), 1, ["Carla"], None)
    bot.clock.set(at(13))
    await bot.say("/checkout", as_="Carla")
    assert state(await spaceapi(client)) == (False, stamp(at(13)), 0, None, "Carla")

    # /open with nobody in: open, by Anna (not public, so not named).
    bot.clock.set(at(14))
    await bot.say("/open", as_="Anna")
    assert state(await spaceapi(client)) == (True, stamp(at(14)), 0, None, None)
    # /close with Bruno still in: closed, and he is still counted.
    bot.clock.set(at(15))
    await bot.say("/checkin", as_="Bruno")
    bot.clock.set(at(16))
    await bot.say("/close", as_="Anna")
    assert state(await spaceapi(client)) == (False, stamp(at(16)), 1, None, None)
    # A check-in after /close opens it again.
    bot.clock.set(at(17))
    await bot.say("/privacy public", as_="Carla")
    await bot.say("/checkin", as_="Carla")
    assert state(await spaceapi(client)) == (True, stamp(at(17)), 2, ["Carla"], "Carla")

    # Closing time: even before the job has run, the page shows the visits ended at 20:00.
    bot.clock.set(at(20, 0))
    assert state(await spaceapi(client)) == (False, stamp(at(20)), 0, None, None)
    await bot.tick()
    assert state(await spaceapi(client)) == (False, stamp(at(20)), 0, None, None)
    rows = await bot.fetchall("SELECT is_open, changed_at, changed_by FROM space_state")
    assert [tuple(r) for r in rows] == [(0, "2026-11-25T19:00:00Z", "closing")]

    # A space nobody has heard of.
    missing = await client.get("/spaces/nowhere/spaceapi.json")
    assert missing.status == 404
    assert (await client.get("/spaces/%2e%2e/spaceapi.json")).status == 404


async def test_details_and_slug_from_the_config(tmp_path: Path, client: Client) -> None:
    section = SpaceSection(
        name="Coworking Veglio",
        slug="cowo",
        hours="mon-fri 09:00-19:00",
        web={
            "website": "https://veglio.example.org",
            "logo": "https://veglio.example.org/logo.png",
            "address": "Via Roma 1, 10010 Veglio, Italy",
            "lat": 45.64,
            "lon": 8.11,
            "contact": {"email": "ciao@veglio.example.org", "matrix": "#veglio:example.org"},
        },
    )
    bot = await BotHarness.start(
        tmp_path / "cfg", routers=coworkbot.routers(), spaces=[section], web=web_section()
    )
    try:
        own = Client(bot.web_url, client.session)
        doc = await spaceapi(own, "cowo")
        assert doc["space"] == "Coworking Veglio"
        assert doc["url"] == "https://veglio.example.org"
        assert doc["logo"] == "https://veglio.example.org/logo.png"
        assert doc["location"] == {
            "timezone": "Europe/Rome",
            "address": "Via Roma 1, 10010 Veglio, Italy",
            "lat": 45.64,
            "lon": 8.11,
        }
        assert doc["contact"] == {
            "email": "ciao@veglio.example.org",
            "matrix": "#veglio:example.org",
        }
        assert (await own.get("/spaces/coworking-veglio/spaceapi.json")).status == 404
    finally:
        await bot.close()


async def test_spaces_made_in_chat_get_a_slug_that_stays(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    await bot.setup_space("Anna", name="Caffè Città")
    doc = await spaceapi(client, "caffe-citta")
    assert doc["space"] == "Caffè Città"
    await bot.say("/set name Officina", as_="Anna")
    doc = await spaceapi(client, "caffe-citta")
    assert doc["space"] == "Officina"
    # Trailing slash or not, the status page is found.
    moved = await client.get("/spaces/caffe-citta")
    assert moved.status == 308 and moved.headers["Location"] == "/spaces/caffe-citta/"


@pytest.mark.parametrize("hidden", [False, True])
async def test_a_public_member_who_hides_again_is_no_longer_named(
    web_bot: BotHarness, client: Client, hidden: bool
) -> None:
    bot = web_bot
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/privacy public", as_="Bruno")
    sent = await bot.say("/privacy", as_="Bruno")
    assert sent[0].text == (
        "Your presence is public, on the web too. To show it only to members: /privacy visible"
    )
    await bot.say("/checkin", as_="Bruno")
    assert state(await spaceapi(client))[3] == ["Bruno"]
    await bot.say("/privacy hidden" if hidden else "/privacy visible", as_="Bruno")
    assert state(await spaceapi(client))[3] is None
    bot.clock.advance(timedelta(minutes=5))
    assert "Bruno" not in (await client.get("/spaces/veglio/spaceapi.json")).text
