"""Shared fixtures: a whole bot on a real database, a SQLite file in a temporary
directory and a PostgreSQL schema of its own: every test that takes `bot`, `make_bot`
or `database_url` runs on both engines (`[sqlite]`, `[postgresql]`), unless it is
marked `sqlite_only` (it looks inside SQLite itself).

Markers (pyproject.toml) sort the slow tests out: `make test-fast` runs the rest.
"""

from __future__ import annotations

import atexit
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import coworkbot
from bot.testing import BotHarness
from tests.support.fake_telegram import SPEED, FakeLimits, FakeTelegram
from tests.support.postgres import PostgresServer
from tests.support.synapse.fixtures import matrix, synapse_server  # noqa: F401 (Matrix tests)
from tests.support.web import Client, web_section

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run, started when a test first needs it."""
    server = PostgresServer()
    atexit.register(server.stop)  # even if the run is interrupted
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=ENGINES)
async def database_url(
    request: pytest.FixtureRequest,
) -> AsyncIterator[str]:
    """ "" for the SQLite file in the test's data directory, or the URL of a fresh
    PostgreSQL schema."""
    if request.param == "sqlite":
        yield ""
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with server.emptied_schema() as url:
        yield url


@pytest.fixture
async def bot(tmp_path: Path, database_url: str) -> AsyncIterator[BotHarness]:
    harness = await BotHarness.start(
        tmp_path, routers=coworkbot.routers(), database_url=database_url
    )
    yield harness
    await harness.close()


@pytest.fixture
async def make_bot(
    tmp_path: Path, database_url: str
) -> AsyncIterator[Callable[..., Awaitable[BotHarness]]]:
    """Start harnesses (e.g. with config spaces); every one still running is closed at the end,
    even when the test fails, so no database thread outlives its test."""
    started: list[BotHarness] = []

    async def start(**kwargs: Any) -> BotHarness:
        kwargs.setdefault("database_url", database_url)
        harness = await BotHarness.start(tmp_path, routers=coworkbot.routers(), **kwargs)
        started.append(harness)
        return harness

    yield start
    for harness in started:
        await harness.close()


@pytest.fixture
async def web_bot(tmp_path: Path, database_url: str) -> AsyncIterator[BotHarness]:
    """The bot with `[web]` configured, listening on a free port of 127.0.0.1."""
    harness = await BotHarness.start(
        tmp_path, routers=coworkbot.routers(), web=web_section(), database_url=database_url
    )
    yield harness
    await harness.close()


@pytest.fixture
async def client(web_bot: BotHarness) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(web_bot.web_url, session)


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server at the platform tests' SPEED (a module that needs other
    limits defines its own `server`)."""
    fake = FakeTelegram(limits=FakeLimits().faster(SPEED))
    await fake.start()
    yield fake
    await fake.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that needs Synapse is a `synapse` test, marked or not: `make test-fast`
    must never start it. A test on PostgreSQL is a `postgresql` test; a `sqlite_only`
    one is not run there at all."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if "synapse_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.synapse)
        engine = _engine(item)
        if engine == "postgresql":
            if item.get_closest_marker("sqlite_only"):
                dropped.append(item)
                continue
            item.add_marker(pytest.mark.postgresql)
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _engine(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    engine = callspec.params.get("database_url")
    return engine if isinstance(engine, str) else None
