"""Nothing public names a member who did not choose /privacy public: every page and feed
anyone can read, after a day in which everyone did everything that leaves a trace."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.testing import BotHarness
from tests.support.web import Client

pytestmark = pytest.mark.http

ROME = ZoneInfo("Europe/Rome")
PUBLIC_PATHS = (
    "/spaces/veglio/",
    "/spaces/veglio/spaceapi.json",
    "/spaces/veglio/calendar.ics",
)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 25, hour, minute, tzinfo=ROME)


async def test_only_public_members_are_named_anywhere_public(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    bot.clock.set(at(8))
    await bot.setup_space("Annalisa", members=["Bruno", "Carlotta", "Dario"])
    await bot.say("/set hours mon-fri 09:00-19:00", as_="Annalisa")
    await bot.say("/privacy hidden", as_="Carlotta")
    await bot.say("/privacy public", as_="Dario")
    await bot.say("/open", as_="Bruno")  # a visible member changes the state
    for who in ("Annalisa", "Bruno", "Carlotta", "Dario"):
        await bot.say("/going tomorrow", as_=who)
    bot.clock.set(at(9))
    for who in ("Bruno", "Carlotta", "Dario"):
        await bot.say("/checkin working on <b>secrets</b>", as_=who)

    def private_names(text: str) -> list[str]:
        return [n for n in ("Annalisa", "Bruno", "Carlotta", "secrets") if n in text]

    texts = {path: (await client.get(path)).text for path in PUBLIC_PATHS}
    for path, text in texts.items():
        assert private_names(text) == [], path
    assert "Dario" in texts["/spaces/veglio/spaceapi.json"]
    assert "Dario" not in texts["/spaces/veglio/"]  # the page shows counts only
    # Bruno leaves last of the visible ones; Dario's check-out closes the space.
    bot.clock.set(at(12))
    await bot.say("/checkout", as_="Bruno")
    await bot.say("/checkout", as_="Carlotta")
    for path in PUBLIC_PATHS:
        assert private_names((await client.get(path)).text) == [], path
    bot.clock.set(at(13))
    await bot.say("/checkout", as_="Dario")
    spaceapi = (await client.get("/spaces/veglio/spaceapi.json")).json()
    assert spaceapi["state"] == {
        "open": False,
        "lastchange": int(at(13).timestamp()),
        "trigger_person": "Dario",
    }


async def test_the_choices_are_typed_in_the_readers_language(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    await bot.setup_space("Anna", members=["Bruno", "Dora"])
    # Typed anywhere; answered privately in their own language (the group reads the
    # space's).
    await bot.say("/lang it", as_="Bruno")
    sent = await bot.say("/privacy pubblico", as_="Bruno")
    assert sent[0].text.startswith("Your presence is now public")
    sent = await bot.say("/privacy", as_="Bruno", chat="private")
    assert sent[0].text.endswith("Per mostrarla solo ai membri: /privacy visibile")
    await bot.say("/lang de", as_="Dora")
    sent = await bot.say("/privacy öffentlich", as_="Dora", chat="private")
    assert sent[0].text.startswith("Deine Anwesenheit ist jetzt öffentlich")
    await bot.say("/apri", as_="Bruno")  # the Italian name of /open works for everyone
    spaceapi = (await client.get("/spaces/veglio/spaceapi.json")).json()
    assert spaceapi["state"]["open"] is True
    assert spaceapi["state"]["trigger_person"] == "Bruno"
    sent = await bot.say("/calendario", as_="Bruno", chat="private")
    assert sent[0].text.startswith("Il tuo calendario\n")
    sent = await bot.say("/calendario", as_="Bruno", chat="private")
    assert "/calendario nuovo ne crea uno nuovo" in sent[0].text  # her menu's name
    sent = await bot.say("/calendar nuovo", as_="Bruno", chat="private")
    assert sent[0].text.startswith("Il tuo calendario\n")
