"""Shared fixtures: a whole bot on a real SQLite file in a temporary directory.

Markers (pyproject.toml) sort the slow tests out: `make test-fast` runs the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import coworkbot
from bot.testing import BotHarness
from tests.support.synapse.fixtures import matrix, synapse_server  # noqa: F401 (Matrix tests)
from tests.support.web import Client, web_section


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = await BotHarness.start(tmp_path, routers=coworkbot.routers())
    yield harness
    await harness.close()


@pytest.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[BotHarness]]]:
    """Start harnesses (e.g. with config spaces); every one still running is closed at the end,
    even when the test fails, so no database thread outlives its test."""
    started: list[BotHarness] = []

    async def start(**kwargs: Any) -> BotHarness:
        harness = await BotHarness.start(tmp_path, routers=coworkbot.routers(), **kwargs)
        started.append(harness)
        return harness

    yield start
    for harness in started:
        await harness.close()


@pytest.fixture
async def web_bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The bot with `[web]` configured, listening on a free port of 127.0.0.1."""
    harness = await BotHarness.start(tmp_path, routers=coworkbot.routers(), web=web_section())
    yield harness
    await harness.close()


@pytest.fixture
async def client(web_bot: BotHarness) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(web_bot.web_url, session)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs Synapse is a `synapse` test, marked or not: `make test-fast`
    must never start it."""
    for item in items:
        if "synapse_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.synapse)
