"""Fixtures: one Synapse for the whole run (started on first use, stopped at the end),
and a fresh bot with three people for each test that asks for `matrix`."""

from __future__ import annotations

import atexit
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.synapse.people import MatrixWorld
from tests.support.synapse.server import SynapseServer


@pytest.fixture(scope="session")
def synapse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    atexit.register(server.stop)  # even if the run is interrupted
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def matrix(synapse_server: SynapseServer, tmp_path: Path) -> AsyncIterator[MatrixWorld]:
    world = await MatrixWorld.create(synapse_server, tmp_path / "bot")
    try:
        yield world
    finally:
        await world.close()
