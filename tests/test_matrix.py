"""The Matrix transport end to end: real matrix-nio against a real Synapse.

Each test gets a fresh bot account and data directory and three people (see
tests/support/synapse/people.py); `world.command(person, "!cmd")` sends a message and returns the
bot's replies to it, so a new flow is a few lines.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.events import ChatRef, Document, IncomingMessage, OutgoingMessage, Platform
from bot.transports.base import DeliveryError
from bot.transports.matrix import MatrixTransport
from tests.support.synapse.people import PASSWORD, MatrixWorld

pytestmark = pytest.mark.synapse


async def test_membership_flow_end_to_end(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    anna, bruno, carla = world.anna, world.bruno, world.carla

    refused = await world.command(carla, "!setup Veglio")
    assert "Only an admin of this chat" in refused[0].body

    ready = await world.command(bruno, "!setup Veglio")
    assert "Veglio" in ready[0].body and "admin" in ready[0].body
    reply = ready[0].content
    assert reply["msgtype"] == "m.notice"
    assert reply["format"] == "org.matrix.custom.html"
    assert "<b>Veglio</b>" in reply["formatted_body"]
    assert "<br>" in reply["formatted_body"]
    assert reply["m.mentions"] == {"user_ids": [bruno.user_id]}

    asked = await world.command(anna, "!join")
    assert "asked the admins" in asked[0].body
    request = await bruno.next_private(lambda s: "asks to join" in s.body, world.room)
    assert "!approve" in request.body and "Approve: !approve" in request.body
    members = await world.bot.fetchall("SELECT id, status FROM members ORDER BY id")
    anna_id = members[1]["id"]
    assert [m["status"] for m in members] == ["active", "pending"]

    approved = await world.command(bruno, f"!approve {anna_id}", room=request.room_id)
    assert "is now a member" in approved[0].body
    assert approved[0].room_id == request.room_id  # answered in the private room
    await anna.next_private(lambda s: "You're in" in s.body, world.room)

    promoted = await world.command(bruno, f"!promote {anna_id}")
    assert "is now an admin" in promoted[0].body
    await anna.next_private(lambda s: "now an admin" in s.body, world.room)
    rows = await world.bot.fetchall("SELECT role, status FROM members ORDER BY id")
    assert [(r["role"], r["status"]) for r in rows] == [("admin", "active"), ("admin", "active")]


async def test_room_history_is_not_replayed_on_first_join(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room(before_bot=["!setup Old times", "!help"])

    ready = await world.command(world.bruno, "!setup New times")
    assert "New times" in ready[0].body
    await world.command(world.anna, "!help lang")
    assert all(not world.anna.replies_to(old) for old in world.history)
    spaces = await world.bot.fetchall("SELECT name FROM spaces")
    assert [s["name"] for s in spaces] == ["New times"]
    processed = await world.bot.fetchall("SELECT update_key FROM processed_updates")
    assert not {f"matrix:{old}" for old in world.history} & {p["update_key"] for p in processed}


async def test_a_burst_of_50_commands_is_answered_50_times_once_each(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    world.bot.timeline_limit = 10  # syncs come back `limited`: the gap is fetched
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()
    people = [world.anna, world.bruno, world.carla]
    lines = [(people[i % 3], "!lang en") for i in range(50)]

    sent = await world.burst(lines)

    await world.answered_once(sent)
    replies = [s for s in world.anna.in_room(world.room) if "English" in s.body]
    assert len(replies) == 50  # everyone in the room sees the same 50
    keys = {f"matrix:{event_id}" for _, event_id in sent}
    processed = await world.bot.fetchall("SELECT update_key FROM processed_updates")
    assert keys <= {p["update_key"] for p in processed}


def _rewind(database: Path, position: str) -> None:
    """Put the saved sync position back, as if the bot died after handling the events
    that came after it but before saving the next one."""
    with sqlite3.connect(database) as db:
        db.execute("UPDATE kv SET value = ? WHERE key LIKE 'matrix.next_batch:%'", (position,))


async def _position(world: MatrixWorld) -> str:
    rows = await world.bot.fetchall("SELECT value FROM kv WHERE key LIKE 'matrix.next_batch:%'")
    return str(rows[0]["value"])


async def test_killed_between_syncs_answers_nothing_twice_and_misses_nothing(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    world.bot.timeline_limit = 3
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()
    before = await _position(world)
    first = [(await world.anna.say(world.room, "!lang en")) for _ in range(5)]
    for event_id in first:
        await world.anna.wait_for(lambda _, e=event_id: bool(world.anna.replies_to(e)), "replies")
    await world.bot.stop()
    _rewind(world.bot.config.database_path, before)

    while_down = [
        (person, await person.say(world.room, "!lang en"))
        for person in (world.anna, world.bruno, world.carla, world.anna, world.bruno, world.carla)
    ]
    await world.bot.start()

    await world.answered_once([(world.anna, e) for e in first] + while_down)
    processed = await world.bot.fetchall("SELECT update_key FROM processed_updates")
    keys = {p["update_key"] for p in processed}
    assert {f"matrix:{e}" for e in first} | {f"matrix:{e}" for _, e in while_down} <= keys


async def test_killed_process_restarts_without_duplicates_or_losses(
    matrix: MatrixWorld, tmp_path: Path
) -> None:
    """The real `coworkbot run` killed with SIGKILL in the middle of a burst."""
    world = matrix
    config = world.bot.write_config(tmp_path / "config.toml")

    def run() -> subprocess.Popen[bytes]:
        return world.bot.process(config, tmp_path / "bot.log")

    process = run()
    try:
        room = await world.anna.client.room_create(
            invite=[world.bruno.user_id, world.carla.user_id, world.bot.user_id],
            power_level_override={"users": {world.bruno.user_id: 50}},
        )
        world.room = room.room_id
        await world.wait_for_membership(world.room, "join", world.anna)
        await world.setup_space()
        people = [world.anna, world.bruno, world.carla]
        sent = await world.burst([(people[i % 3], "!lang en") for i in range(15)])
        await world.anna.wait_for(
            lambda heard: sum("English" in s.body for s in heard) >= 3, "some replies"
        )
        devices_before = world.bot.devices()
        process.kill()
        process.wait(10)
        sent += [(p, await p.say(world.room, "!lang en")) for p in people]
        process = run()
        await world.answered_once(sent)
    finally:
        process.kill()
        process.wait(10)
    assert world.bot.devices() == devices_before  # the restart made no new device


async def test_a_synapse_restart_mid_run_is_survived(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()
    sent = [(world.anna, await world.anna.say(world.room, "!lang en")) for _ in range(3)]

    await asyncio.to_thread(world.server.restart)

    sent += [(p, await p.say(world.room, "!lang en")) for p in (world.bruno, world.carla)]
    await world.answered_once(sent)
    assert world.bot.transport.synced.is_set()


async def test_a_retried_send_is_not_a_duplicate(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    message = OutgoingMessage(ChatRef(Platform.MATRIX, world.room, False), "<b>once</b>", key=7)

    first = await world.bot.transport.send(message)
    again = await world.bot.transport.send(message)  # the outbox retrying an unconfirmed row

    assert first == again
    await world.command(world.anna, "!help lang")
    assert [s.event_id for s in world.anna.in_room(world.room) if s.body == "once"] == [first]


async def test_rate_limited_sends_wait_for_retry_after(matrix: MatrixWorld) -> None:
    world = matrix
    await asyncio.to_thread(world.server.register, "ratelimiter", PASSWORD, admin=True)
    token, _ = await asyncio.to_thread(world.server.login, "ratelimiter", PASSWORD)
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space(open_join=False)
    await asyncio.to_thread(
        world.server.admin_request,
        token,
        "POST",
        f"/_synapse/admin/v1/users/{world.bot.user_id}/override_ratelimit",
        {"messages_per_second": 1, "burst_count": 1},
    )
    chat = ChatRef(Platform.MATRIX, world.room, False)
    for _ in range(20):  # the setup's replies may have used the allowance up
        try:
            await world.bot.transport.send(OutgoingMessage(chat, "one", key=1001))
            break
        except DeliveryError as err:
            assert err.retry_after is not None
            await asyncio.sleep(err.retry_after)
    with pytest.raises(DeliveryError) as refused:
        await world.bot.transport.send(OutgoingMessage(chat, "two", key=1002))
    assert refused.value.retry_after is not None and refused.value.retry_after > 0
    assert not refused.value.permanent and "M_LIMIT_EXCEEDED" in refused.value.reason

    sent = [(world.bruno, await world.bruno.say(world.room, "!settings")) for _ in range(3)]

    await world.answered_once(sent)
    retried = await world.bot.fetchall(
        "SELECT COUNT(*) AS n FROM outbox WHERE state = 'sent' AND attempts > 1"
    )
    assert retried[0]["n"] > 0  # refused first, delivered after the wait


async def test_invites_accepted_only_where_the_bot_belongs(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()  # no space yet: any room may be set up
    await world.setup_space(open_join=False)

    stranger_room = await world.carla.client.room_create(name="elsewhere")
    await world.carla.client.room_invite(stranger_room.room_id, world.bot.user_id)
    await world.wait_for_membership(stranger_room.room_id, "leave", world.carla)

    admin_room = await world.bruno.client.room_create(name="second room")
    await world.invite_bot(admin_room.room_id, by=world.bruno)

    direct = await world.carla.client.room_create(is_direct=True, invite=[world.bot.user_id])
    await world.wait_for_membership(direct.room_id, "join", world.carla)
    hello = await world.command(world.carla, "!start", room=direct.room_id)
    assert "To join" in hello[0].body
    refused = await world.command(world.carla, "!setup", room=direct.room_id)
    assert "works in the community's group" in refused[0].body
    rows = await world.bot.fetchall("SELECT user_id, room_id FROM matrix_direct_rooms")
    assert (world.carla.user_id, direct.room_id) in [(r["user_id"], r["room_id"]) for r in rows]


async def test_private_messages_reuse_one_direct_room_and_carry_files(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    to_anna = ChatRef(Platform.MATRIX, world.anna.user_id, private=True)
    csv = Document("days.csv", b"day,hours\n2026-11-25,8\n")

    await world.bot.transport.send(
        OutgoingMessage(to_anna, "Your <i>export</i>", key=1, document=csv)
    )
    await world.bot.restart()
    await world.bot.transport.send(OutgoingMessage(to_anna, "second", key=2))

    heard = await world.anna.wait_for(
        lambda said: any(s.body == "second" for s in said), "the second message"
    )
    private = [s for s in heard if s.room_id != world.room]
    assert [s.body for s in private] == ["Your export", "days.csv", "second"]
    assert len({s.room_id for s in private}) == 1
    file = private[1].content
    assert file["msgtype"] == "m.file" and file["info"]["size"] == len(csv.content)
    downloaded = await world.anna.client.download(mxc=file["url"])
    assert getattr(downloaded, "body", None) == csv.content
    saved = world.bot.data_dir / "matrix-session.json"
    assert saved.stat().st_mode & 0o777 == 0o600


async def test_a_failing_handler_is_retried_with_its_batch_then_skipped(
    matrix: MatrixWorld,
) -> None:
    """The transport alone, with a sink that breaks: the loop survives, the batch is
    fetched again (position not saved), and an event that always fails is given up."""
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    config = world.bot.config
    await world.bot.stop()
    seen: list[str] = []
    flaky_failed = False

    async def sink(message: IncomingMessage) -> None:
        nonlocal flaky_failed
        seen.append(message.text)
        if message.text == "!poison" or (message.text == "!flaky" and not flaky_failed):
            flaky_failed = flaky_failed or message.text == "!flaky"
            raise RuntimeError("handler broke")

    assert config.matrix is not None
    transport = MatrixTransport(
        config.matrix, data_dir=world.bot.data_dir, database=config.database_path, max_backoff=0.3
    )
    await transport.start(sink)
    try:
        for text in ("!flaky", "!poison", "!after"):
            await world.anna.say(world.room, text)
        for _ in range(1200):
            if "!after" in seen:
                break
            await asyncio.sleep(0.05)
    finally:
        await transport.stop()
        await transport.close()
    assert seen.count("!poison") == 3  # tried with its batch three times, then skipped
    assert seen.count("!flaky") >= 2 and "!after" in seen
