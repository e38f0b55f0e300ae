"""`forgetme` on real Matrix: the goodbye reaches the private room the person asked in,
then the bot forgets that room (its record is keyed by the person's Matrix id).

Real matrix-nio clients, the real Synapse of tests/support/synapse/, the real app on the real
Matrix transport. Without the room kept for the goodbye, the transport would find no
room for an erased account and open a new one (recording the account again).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.privacy import find_everywhere
from tests.support.synapse.people import MatrixWorld

pytestmark = pytest.mark.synapse


async def test_forgetme_says_goodbye_in_the_private_room_then_forgets_it(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()
    carla = world.carla
    direct = await world.private_room(carla)
    export = await world.command(carla, "!myexport", room=direct)
    assert export[0].body.startswith("Here's everything I keep about you")
    rooms = await world.bot.fetchall("SELECT user_id, room_id FROM matrix_direct_rooms")
    assert [(r["user_id"], r["room_id"]) for r in rooms] == [(carla.user_id, direct)]
    known_rooms = len(await world.bot.fetchall("SELECT room_id FROM matrix_rooms"))

    [goodbye] = await world.command(carla, "!forgetme confirm", room=direct)
    assert goodbye.body.startswith("Done: I've forgotten you.")
    assert goodbye.room_id == direct

    # The privacy job forgets the room once the goodbye is recorded as delivered.
    for _ in range(200):
        assert world.bot.app is not None
        await world.bot.app.run_jobs()
        if not await world.bot.fetchall("SELECT 1 FROM matrix_direct_rooms"):
            break
        await asyncio.sleep(0.05)
    assert await world.bot.fetchall("SELECT user_id FROM matrix_direct_rooms") == []
    assert len(await world.bot.fetchall("SELECT room_id FROM matrix_rooms")) == known_rooms
    assert await find_everywhere(world.bot, [carla.user_id]) == []  # type: ignore[arg-type]
    # Nothing else reached her in private, in this room or a new one.
    private = [s for s in carla.heard if s.room_id != world.room]
    assert {s.room_id for s in private} == {direct}
    assert private[-1].body.startswith("Done: I've forgotten you.")
