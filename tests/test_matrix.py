"""The Matrix transport end to end: real matrix-nio against a real Synapse.

Each test gets a fresh bot account and data directory and three people (see
tests/synapse/people.py); `world.command(person, "!cmd")` sends a message and returns the
bot's replies to it, so a new flow is a few lines.
"""

from __future__ import annotations

from tests.synapse.people import MatrixWorld


async def test_membership_flow_end_to_end(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    anna, bruno, carla = world.anna, world.bruno, world.carla

    refused = await world.command(carla, "!setup Veglio")
    assert "Only an administrator of this chat" in refused[0].body

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
    await anna.next_private(lambda s: "You are in" in s.body, world.room)

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
