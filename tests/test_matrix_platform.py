"""What a Matrix homeserver really does to a community's room, end to end: real
matrix-nio against the real Synapse the suite starts.

A room upgraded through the client-server upgrade endpoint (the space follows it to the
replacement room), commands sent in threads (answered in the thread), invites declined
and made again, the bot kicked or banned (never back by itself, the admins told once),
and events that waited while the bot was down, or that claim a time ahead of ours.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nio import RoomCreateResponse, RoomPreset, RoomSendResponse

from tests.support.synapse.people import MatrixWorld, Person

pytestmark = pytest.mark.synapse

REMOVED = "I was removed from the group of Veglio"


class ShiftedClock:
    """The real time, moved by `shift`: a transport that judges events' timestamps as if
    it had been away (ahead) or as if the homeserver's clock ran ahead of it (behind)."""

    def __init__(self, shift: timedelta) -> None:
        self.shift = shift

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


async def rows(world: MatrixWorld, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await world.bot.fetchall(sql)]


async def until(check: Any, what: str, within: float = 60.0) -> None:
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def request(person: Person, method: str, path: str, body: dict[str, Any]) -> Any:
    """A client-server API call nio has no method for, as `person`."""
    response = await person.client.send(
        method,
        f"/_matrix/client/v3{path}",
        json.dumps(body),
        headers={"Authorization": f"Bearer {person.client.access_token}"},
    )
    data = await response.json()
    assert response.status == 200, data
    return data


async def upgrade(person: Person, room: str) -> str:
    """`person` upgrades the room to its own version (a new room all the same), through
    the client-server API's upgrade endpoint; the replacement room's id."""
    create = await person.client.room_get_state_event(room, "m.room.create")
    version = str(getattr(create, "content", {}).get("room_version", "1"))
    upgraded = await request(person, "POST", f"/rooms/{room}/upgrade", {"new_version": version})
    return str(upgraded["replacement_room"])


async def public_room(world: MatrixWorld) -> str:
    response = await world.anna.client.room_create(
        name="Coworking",
        preset=RoomPreset.public_chat,
        invite=[world.bruno.user_id, world.carla.user_id],
        power_level_override={"users": {world.bruno.user_id: 50}},
    )
    assert isinstance(response, RoomCreateResponse), response
    await world.invite_bot(response.room_id)
    return str(response.room_id)


async def test_an_upgraded_room_takes_its_space_along(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = old = await public_room(world)
    await world.setup_space()

    # Anna upgrades the room, as Element's "upgrade this room" does.
    new = await upgrade(world.anna, old)

    async def moved() -> bool:
        return await rows(world, "SELECT chat_id FROM space_chats") == [(new,)]

    await until(moved, "the space moved to the new room")
    await world.anna.wait_for(
        lambda heard: any(s.room_id == new and "carries on here" in s.body for s in heard),
        "the notice in the new room",
    )
    world.room = new
    for person in (world.bruno, world.carla):
        await person.client.join(new)
    who = await world.command(world.carla, "!who")
    assert who[0].room_id == new and who[0].body == "Nobody's in right now.\nThe space is closed."

    # Restarted, it sees the tombstone again: the move is not made twice.
    await world.bot.restart()
    await world.command(world.carla, "!help lang")
    notices = [s for s in world.anna.heard if "carries on here" in s.body]
    assert len(notices) == 1
    assert await rows(world, "SELECT COUNT(*) FROM spaces") == [(1,)]
    assert await rows(world, "SELECT old_chat_id, new_chat_id FROM chat_moves") == [(old, new)]


async def test_an_invite_only_room_upgraded_is_followed_when_invited(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    await world.bot.start()
    world.room = old = await world.open_room()
    await world.setup_space()
    new = await upgrade(world.anna, old)
    # The new room is invite-only like the old one: the bot cannot join it by itself;
    # Anna invites the members (Element offers to), the bot among them.
    invited = await world.anna.client.room_invite(new, world.bot.user_id)
    assert type(invited).__name__ == "RoomInviteResponse", invited
    await world.wait_for_membership(new, "join", world.anna)

    async def moved() -> bool:
        return await rows(world, "SELECT chat_id FROM space_chats") == [(new,)]

    await until(moved, "the space moved to the new room")


async def test_a_command_in_a_thread_is_answered_in_the_thread(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()
    root = await world.anna.say(world.room, "Who is coming in today?")
    content = {
        "msgtype": "m.text",
        "body": "!who",
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root},
        },
    }
    sent = await world.carla.client.room_send(world.room, "m.room.message", content)
    assert isinstance(sent, RoomSendResponse), sent
    await world.carla.wait_for(
        lambda heard: any(
            (s.content.get("m.relates_to") or {}).get("m.in_reply_to", {}).get("event_id")
            == sent.event_id
            for s in heard
        ),
        "the answer in the thread",
    )
    (answer,) = [s for s in world.carla.heard if s.reply_to == sent.event_id]
    assert answer.content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": sent.event_id},
    }
    assert answer.body == "Nobody's in right now.\nThe space is closed."
    plain = await world.command(world.carla, "!who")
    assert plain[0].content["m.relates_to"] == {"m.in_reply_to": {"event_id": plain[0].reply_to}}


async def test_a_declined_invite_is_looked_at_again_when_invited_again(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()  # Bruno is the space's admin; Carla a member
    second = await world.carla.client.room_create(name="Carla's corner")
    await world.carla.client.room_invite(second.room_id, world.bot.user_id)
    await world.wait_for_membership(second.room_id, "leave", world.carla)  # declined

    members = await world.bot.fetchall("SELECT id FROM members WHERE display_name LIKE 'carla%'")
    await world.command(world.bruno, f"!promote {members[0]['id']}")
    await world.carla.client.room_invite(second.room_id, world.bot.user_id)
    await world.wait_for_membership(second.room_id, "join", world.carla)  # now accepted
    joined = await world.carla.client.joined_members(second.room_id)
    assert world.bot.user_id in {m.user_id for m in getattr(joined, "members", [])}


async def test_kicked_or_banned_the_bot_stays_out_and_the_admins_hear_once(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    await world.bot.start()
    world.room = room = await public_room(world)
    await world.setup_space()  # Bruno is the space's admin

    await world.anna.client.room_kick(room, world.bot.user_id, reason="tidying up")
    notice = await world.bruno.next_private(lambda s: REMOVED in s.body, room)
    assert notice.body.startswith(REMOVED)
    # Restarted: the room is public, yet the bot does not walk back in.
    await world.bot.restart()
    await asyncio.sleep(1.0)
    await world.wait_for_membership(room, "leave", world.anna)
    assert len([s for s in world.bruno.heard if REMOVED in s.body]) == 1

    # Invited back: in again, and the next removal (a ban) is told again.
    await world.invite_bot(room)
    await world.anna.wait_for(
        lambda heard: any(s.room_id == room and "back in the group" in s.body for s in heard),
        "the bot saying it is back",
    )
    await world.anna.client.room_ban(room, world.bot.user_id, reason="for good")
    await world.bruno.wait_for(
        lambda heard: len([s for s in heard if REMOVED in s.body]) == 2, "the second notice"
    )
    await world.bot.restart()
    await asyncio.sleep(1.0)
    await world.wait_for_membership(room, "ban", world.anna)
    assert len([s for s in world.bruno.heard if REMOVED in s.body]) == 2


async def test_kicked_while_the_bot_was_down_it_does_not_rejoin(matrix: MatrixWorld) -> None:
    world = matrix
    await world.bot.start()
    world.room = room = await public_room(world)
    await world.setup_space()
    await world.bot.stop()
    await world.anna.client.room_kick(room, world.bot.user_id)
    await world.bot.start()
    await world.bruno.next_private(lambda s: REMOVED in s.body, room)
    await world.wait_for_membership(room, "leave", world.anna)
    assert await rows(world, "SELECT room_id, membership FROM matrix_removed") == [(room, "leave")]


async def test_events_that_waited_count_when_sent_and_future_ones_now(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()
    await world.bot.stop()
    waited = await world.carla.say(world.room, "!checkin")
    # Back after what its clock says is twenty minutes.
    world.bot.transport_clock = ShiftedClock(timedelta(minutes=20))
    await world.bot.start()
    await world.carla.wait_for(lambda _: bool(world.carla.replies_to(waited)), "the late reply")
    (reply,) = world.carla.replies_to(waited)
    first, note = reply.body.splitlines()
    assert first.startswith("Welcome, carla") and "You checked in at" in first
    assert note.startswith("You sent this at ") and note.endswith(
        ", while I was offline: I could only answer now."
    )
    (checkin_at,) = (await rows(world, "SELECT checkin_at FROM visits"))[0]
    stored = datetime.fromisoformat(checkin_at.replace("Z", "+00:00"))
    assert datetime.now(UTC) - stored > timedelta(minutes=19)  # when it was sent

    # A homeserver whose clock runs an hour ahead of ours: its times are not trusted.
    await world.bot.stop()
    world.bot.transport_clock = ShiftedClock(timedelta(hours=-1))
    await world.bot.start()
    ahead = await world.anna.say(world.room, "!checkin")
    await world.anna.wait_for(lambda _: bool(world.anna.replies_to(ahead)), "the reply")
    (reply,) = world.anna.replies_to(ahead)
    assert len(reply.body.splitlines()) == 1  # news, not late
    (checkin_at,) = (await rows(world, "SELECT checkin_at FROM visits ORDER BY id"))[-1]
    stored = datetime.fromisoformat(checkin_at.replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - stored) < timedelta(minutes=5)  # handled now: now
