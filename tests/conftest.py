"""Shared fixtures: a whole bot on a real SQLite file in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing import BotHarness
from tests.synapse.fixtures import matrix, synapse_server  # noqa: F401 (Matrix tests)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = await BotHarness.start(tmp_path)
    yield harness
    await harness.close()
