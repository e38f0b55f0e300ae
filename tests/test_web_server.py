"""The engine's web server: routes from Routers, no stack traces out, strict headers, the
memo of GET answers, and nothing at all when `[web]` is not configured."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.clock import FakeClock
from bot.config import BotSection, Config, WebSection
from bot.context import Runtime
from bot.registry import Registry, Router
from bot.transports.memory import MemoryTransport
from storage.db import Conflict
from tests.support.web import Client, web_section

pytestmark = pytest.mark.http

START = datetime(2026, 11, 25, 9, 0, 30, tzinfo=ZoneInfo("Europe/Rome"))


class Probe:
    """A router whose routes count how often they really ran."""

    def __init__(self) -> None:
        self.router = Router("probe")
        self.calls = {"data": 0, "hour": 0, "slow": 0, "refused": 0}
        self.router.route("GET", "/boom")(self.boom)
        self.router.route("GET", "/slow-boom", fresh="data")(self.slow_boom)
        self.router.route("GET", "/data", fresh="data")(self.data)
        self.router.route("GET", "/hour", fresh=timedelta(hours=1))(self.hour)
        self.router.route("GET", "/slow", fresh="data")(self.slow)
        self.router.route("POST", "/write")(self.write)
        self.router.route("POST", "/refused")(self.refused)

    async def boom(self, rt: Runtime, request: web.Request) -> web.Response:
        raise RuntimeError("secret internals /spaces/x/calendar/TOKEN.ics")

    async def slow_boom(self, rt: Runtime, request: web.Request) -> web.Response:
        await asyncio.sleep(0.1)
        raise RuntimeError("drawing failed")

    async def data(self, rt: Runtime, request: web.Request) -> web.Response:
        self.calls["data"] += 1
        return web.Response(text=f"data {self.calls['data']}", headers={"X-Kept": "yes"})

    async def hour(self, rt: Runtime, request: web.Request) -> web.Response:
        self.calls["hour"] += 1
        return web.Response(text=f"hour {self.calls['hour']}")

    async def slow(self, rt: Runtime, request: web.Request) -> web.Response:
        self.calls["slow"] += 1
        await asyncio.sleep(0.2)
        return web.Response(text="slow")

    async def write(self, rt: Runtime, request: web.Request) -> web.Response:
        async with rt.store.transaction() as session:
            await session.kv.set("probe", str(await request.text()))
        return web.Response(text="written")

    async def refused(self, rt: Runtime, request: web.Request) -> web.Response:
        """Refused twice by the database, as PostgreSQL refuses one of two replicas'."""
        self.calls["refused"] += 1
        async with rt.store.transaction() as session:
            await session.kv.set("refused", str(self.calls["refused"]))
            if self.calls["refused"] <= 2:
                raise Conflict("could not serialize access (SQLSTATE 40001)")
        return web.Response(text=await request.text())


@pytest.fixture
async def probed(tmp_path: Path) -> AsyncIterator[tuple[App, Probe, Client]]:
    probe = Probe()
    section = web_section()
    config = Config(path=None, bot=BotSection(data_dir=tmp_path), web=section)
    app = App(
        config,
        [MemoryTransport()],
        clock=FakeClock(START),
        routers=[probe.router],
        background=False,
    )
    await app.start()
    async with aiohttp.ClientSession() as session:
        yield app, probe, Client(f"http://127.0.0.1:{app.web.port}", session)
    await app.stop()


async def test_a_failing_route_answers_500_without_a_trace(
    probed: tuple[App, Probe, Client], caplog: pytest.LogCaptureFixture
) -> None:
    _, _, client = probed
    with caplog.at_level(logging.ERROR):
        answer = await client.get("/boom")
    assert (answer.status, answer.text) == (500, "Internal Server Error\n")
    assert "Traceback" not in answer.text and "secret" not in answer.text
    # Logged for whoever runs the bot, by the route's pattern (never a path with a token).
    assert any("web route GET /boom failed" in r.getMessage() for r in caplog.records)
    for path, status in (("/nothing", 404), ("/data?x=1", 200)):
        answer = await client.get(path)
        assert answer.status == status and "Traceback" not in answer.text
    answer = await client.post("/data")
    assert answer.status == 405 and "Traceback" not in answer.text


async def test_a_route_refused_for_a_transaction_beside_it_runs_again(
    probed: tuple[App, Probe, Client],
) -> None:
    app, probe, client = probed
    answer = await client.post("/refused", data="the body, read again")
    assert (answer.status, answer.text) == (200, "the body, read again")
    assert probe.calls["refused"] == 3
    async with app.store.transaction() as session:
        assert await session.kv.get("refused") == "3"  # the third attempt stood


async def test_every_answer_carries_the_safety_headers(probed: tuple[App, Probe, Client]) -> None:
    _, _, client = probed
    for path in ("/data", "/boom", "/slow-boom"):
        headers = (await client.get(path)).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Server"] == "coworkbot"


async def test_the_memo_keeps_answers_until_the_data_or_the_minute_changes(
    probed: tuple[App, Probe, Client],
) -> None:
    app, probe, client = probed
    clock = app.clock
    assert isinstance(clock, FakeClock)
    first = await client.get("/data")
    again = await client.get("/data")
    assert (first.text, again.text, probe.calls["data"]) == ("data 1", "data 1", 1)
    assert again.headers["X-Kept"] == "yes"
    # Anything written to the database makes it stale.
    assert (await client.post("/write", data="x")).text == "written"
    assert (await client.get("/data")).text == "data 2"
    # So does the minute turning (the clock's, not the machine's).
    clock.advance(timedelta(seconds=20))
    assert (await client.get("/data")).text == "data 2"
    clock.advance(timedelta(seconds=20))
    assert (await client.get("/data")).text == "data 3"
    # Each path and query is kept apart.
    assert (await client.get("/data?page=2")).text == "data 4"

    # A route kept for an hour ignores writes, and is drawn again after the hour.
    assert (await client.get("/hour")).text == "hour 1"
    await client.post("/write", data="y")
    clock.advance(timedelta(minutes=59))
    assert (await client.get("/hour")).text == "hour 1"
    clock.advance(timedelta(minutes=2))
    assert (await client.get("/hour")).text == "hour 2"


async def test_requests_arriving_together_share_one_computation(
    probed: tuple[App, Probe, Client],
) -> None:
    _, probe, client = probed
    answers = await asyncio.gather(*(client.get("/slow") for _ in range(5)))
    assert [a.text for a in answers] == ["slow"] * 5
    assert probe.calls["slow"] == 1
    # When the one computing fails, those waiting are not left hanging: each gets a 500.
    failed = await asyncio.gather(*(client.get("/slow-boom") for _ in range(3)))
    assert [a.status for a in failed] == [500] * 3


async def test_no_web_section_no_server(tmp_path: Path) -> None:
    config = Config(path=None, bot=BotSection(data_dir=tmp_path))
    app = App(config, [MemoryTransport()], routers=[], clock=FakeClock(START), background=False)
    await app.start()
    try:
        with pytest.raises(AssertionError, match="with \\[web\\] configured"):
            _ = app.web
        assert app.rt.public_url == ""
    finally:
        await app.stop()


def test_a_route_declared_twice_is_refused() -> None:
    one, two = Router("one"), Router("two")

    async def page(rt: Runtime, request: web.Request) -> web.Response:
        return web.Response()

    one.route("GET", "/x")(page)
    two.route("GET", "/x")(page)
    with pytest.raises(ValueError, match="declared twice"):
        Registry([one, two])


def test_links_use_the_public_url_else_the_listening_address() -> None:
    assert WebSection("0.0.0.0", 8080, "https://cowo.example.org").base_url == (
        "https://cowo.example.org"
    )
    assert WebSection("127.0.0.1", 8081).base_url == "http://127.0.0.1:8081"
