"""End-to-end encryption on Matrix, against the real Synapse of the suite.

The people here are matrix-nio clients with encryption on, as Element is: their own
device keys, rooms and direct chats encrypted from the start. Every answer the bot
gives must reach them as `m.room.encrypted` and decrypt on each of their devices (a
`Said.encrypted` answer; `Person.unreadable` lists what a device could not decrypt).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from nio.crypto import decrypt_attachment

from tests.synapse.people import MatrixWorld, Person, RunningClock, Said
from tests.synapse.server import SynapseServer

ROME = ZoneInfo("Europe/Rome")


def rome(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=ROME)


@pytest.fixture
async def e2e(synapse_server: SynapseServer, tmp_path: Path) -> AsyncIterator[MatrixWorld]:
    world = await MatrixWorld.create(synapse_server, tmp_path / "bot", encrypted=True)
    try:
        yield world
    finally:
        await world.close()


async def start_space(world: MatrixWorld, at: datetime | None = None) -> RunningClock | None:
    """The bot (from `at`), an encrypted room; Bruno sets it up, Anna and Carla join."""
    clock = None
    if at is not None:
        clock = world.bot.clock = RunningClock(at)
    await world.bot.start()
    world.room = await world.open_room(encrypted=True)
    await world.setup_space()
    return clock


async def one(world: MatrixWorld, person: Person, text: str, room: str = "") -> Said:
    replies = await world.command(person, text, room=room)
    assert len(replies) == 1, [r.body for r in replies]
    assert replies[0].encrypted, f"the answer to {text!r} came unencrypted"
    return replies[0]


async def private(person: Person, world: MatrixWorld, starts: str) -> Said:
    said = await person.next_private(lambda s: s.body.startswith(starts), world.room)
    assert said.encrypted
    return said


async def is_encrypted(person: Person, room_id: str) -> bool:
    state = await person.client.room_get_state_event(room_id, "m.room.encryption")
    return getattr(state, "content", {}).get("algorithm") == "m.megolm.v1.aes-sha2"


def lines(said: Said) -> list[str]:
    return said.body.split("\n")


async def test_an_encrypted_direct_chat_answers_due_link_and_myexport(e2e: MatrixWorld) -> None:
    world = e2e
    clock = await start_space(world, rome(1, 10))
    assert clock is not None
    anna, bruno = world.anna, world.bruno
    # Before `!join` Anna was no member: the answers then were not for her to read.
    unread_before = {p.localpart: list(p.unreadable) for p in world.people}
    dm = await world.private_room(anna, encrypted=True)  # as Element opens one

    nothing = await one(world, anna, "!due", room=dm)
    assert nothing.body == "You owe nothing at the moment."

    await one(world, bruno, "!cost add Internet 30 monthly 25")
    clock.set(rome(25, 9, 0, 20))
    await world.bot.app.run_jobs()
    notices = {p.localpart: await private(p, world, "Internet, 25 Oct") for p in world.people}
    assert notices[anna.localpart].room_id == dm  # her own encrypted chat, reused
    # The private chats the bot opened itself are encrypted too, as Element's are.
    assert await is_encrypted(bruno, notices[bruno.localpart].room_id)

    due = await one(world, anna, "!due", room=dm)
    assert lines(due) == [
        "What you owe",
        "#1 Internet (25 Oct – 24 Nov 2026), due Wed 25 Nov 2026: €10.00",
        "Still to pay: €10.00. When you have paid, send !paid with the number.",
    ]
    code = await one(world, anna, "!link", room=dm)
    shown = lines(code)[0].removeprefix("Your code: ")
    assert len(shown) == 9 and f"link {shown} within 10 minutes" in code.body
    stored = await world.bot.fetchall("SELECT COUNT(*) AS n FROM link_codes")
    assert stored[0]["n"] == 1

    text = await one(world, anna, "!myexport", room=dm)
    assert text.body.startswith("Here is everything I keep about you")
    heard = await anna.wait_for(
        lambda heard: any(s.content.get("msgtype") == "m.file" for s in heard), "the file"
    )
    file = next(s for s in heard if s.content.get("msgtype") == "m.file")
    assert file.room_id == dm and file.encrypted
    encrypted_file = file.content["file"]
    assert "url" not in file.content  # the file itself is encrypted on the server
    downloaded = await anna.client.download(mxc=encrypted_file["url"])
    plain = decrypt_attachment(
        downloaded.body,
        encrypted_file["key"]["k"],
        encrypted_file["hashes"]["sha256"],
        encrypted_file["iv"],
    )
    export = json.loads(plain)
    assert anna.user_id in json.dumps(export)
    assert file.content["info"]["size"] == len(plain)

    # Anna logs in on a second device: the bot's next answer reaches it too.
    second = Person(
        world.server, anna.localpart, world.bot.user_id, encrypted=True,
        store_dir=anna.store_dir, register=False,
    )
    await second.start()
    try:
        again = await one(world, anna, "!due", room=dm)
        await second.wait_for(
            lambda heard: any(s.event_id == again.event_id for s in heard), "the next answer"
        )
        assert [s.encrypted for s in second.heard if s.event_id == again.event_id] == [True]
        assert second.device_id != anna.device_id
    finally:
        await second.stop()
    assert {p.localpart: p.unreadable for p in world.people} == unread_before
