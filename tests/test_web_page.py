"""The status page, loaded in a real headless Chromium at a phone's size: it shows the
right state after a check-in and after a check-out, in the space's language, with no
script, no names, nothing wider than the phone, and the chart drawn."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.testing import BotHarness
from tests.support.browser import Browser, Page, ensure_chromium
from tests.support.web import Client

pytestmark = [pytest.mark.http, pytest.mark.browser]

ROME = ZoneInfo("Europe/Rome")
READ = """JSON.stringify({
  state: document.getElementById("state").className,
  headline: document.getElementById("state").innerText.replace(/\\s+/g, " ").trim(),
  facts: [...document.querySelectorAll("#facts li")].map(li => li.innerText.trim()),
  hours: [...document.querySelectorAll("#hours li")].map(li => li.innerText.trim()),
  text: document.body.innerText,
  title: document.title,
  lang: document.documentElement.lang,
  scripts: document.scripts.length,
  wide: document.documentElement.scrollWidth > window.innerWidth,
  fontSize: parseFloat(getComputedStyle(document.body).fontSize),
  viewport: document.querySelector('meta[name=viewport]').content,
  chart: [document.images[0].complete, document.images[0].naturalWidth],
})"""


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    path = await asyncio.to_thread(ensure_chromium)
    chromium = await Browser(path).start()
    yield chromium
    await chromium.stop()


async def read(page: Page, url: str) -> dict[str, Any]:
    await page.open(url)
    found: dict[str, Any] = json.loads(await page.evaluate(READ))
    # Readable on a phone, and nothing that needs a script.
    assert found["scripts"] == 0
    assert not found["wide"]
    assert found["fontSize"] >= 16
    assert found["viewport"] == "width=device-width, initial-scale=1"
    return found


async def test_the_status_page_follows_check_ins_in_a_real_browser(
    web_bot: BotHarness, client: Client, browser: Browser
) -> None:
    bot = web_bot
    bot.clock.set(at(8))
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/set closing 20:00", as_="Anna")
    await bot.say("/set hours mon-fri 09:00-19:00", as_="Anna")
    await bot.say("/going", as_="Carla")
    page = await browser.page()
    url = f"{bot.web_url}/spaces/veglio/"

    found = await read(page, url)
    assert (found["state"], found["headline"]) == ("state closed", "Closed")
    assert found["facts"] == ["Nobody's in", "1 more person is coming today", "Opens at 09:00"]
    assert found["hours"] == ["Mon–Fri 09:00–19:00"]
    assert (found["title"], found["lang"]) == ("Veglio — Closed", "en")
    assert found["chart"] == [True, 660]  # the last four weeks, drawn by matplotlib

    bot.clock.set(at(9, 5))
    await bot.say("/checkin", as_="Bruno")
    found = await read(page, url)
    assert (found["state"], found["headline"]) == ("state open", "Open since 09:05")
    assert found["facts"] == ["1 person in", "1 more person is coming today", "Closes at 19:00"]

    bot.clock.set(at(9, 30))
    await bot.say("/checkin", as_="Carla")
    found = await read(page, url)
    assert found["facts"] == ["2 people in", "Closes at 19:00"]
    assert "Bruno" not in found["text"] and "Carla" not in found["text"]

    bot.clock.set(at(12))
    await bot.say("/checkout", as_="Bruno")
    bot.clock.set(at(12, 15))
    await bot.say("/checkout", as_="Carla")
    found = await read(page, url)
    assert (found["state"], found["headline"]) == ("state closed", "Closed since 12:15")
    assert found["facts"] == ["Nobody's in", "Opens Thu, 26 Nov 2026 at 09:00"]
    await page.close()


async def test_the_status_page_speaks_the_spaces_language(
    web_bot: BotHarness, client: Client, browser: Browser
) -> None:
    bot = web_bot
    bot.clock.set(at(10))
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/set language it", as_="Anna")
    await bot.say("/set hours lun-ven 09:00-13:00; lun-ven 14:00-18:00", as_="Anna")
    await bot.say("/checkin", as_="Bruno")
    page = await browser.page()
    found = await read(page, f"{bot.web_url}/spaces/veglio/")
    assert (found["lang"], found["headline"]) == ("it", "Aperto dalle 10:00")
    assert found["facts"] == ["1 persona dentro", "Chiude alle 13:00"]
    assert found["hours"] == ["lun–ven 09:00–13:00", "lun–ven 14:00–18:00"]
    # The page itself, as served: a refresh every minute instead of a script.
    answer = await client.get("/spaces/veglio/")
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<meta http-equiv="refresh" content="60">' in answer.text
    assert "script-src" not in answer.headers["Content-Security-Policy"]
    await page.close()
