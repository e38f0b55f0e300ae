"""End-to-end encryption on Matrix, against the real Synapse of the suite.

The people here are matrix-nio clients with encryption on, as Element is: their own
device keys, rooms and direct chats encrypted from the start. Every answer the bot
gives must reach them as `m.room.encrypted` and decrypt on each of their devices (a
`Said.encrypted` answer; `Person.unreadable` lists what a device could not decrypt).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from nio import RoomSendResponse, ToDeviceMessage, ToDeviceResponse
from nio.api import Api
from nio.crypto import decrypt_attachment

from bot.events import ChatRef, OutgoingMessage, Platform
from bot.transports.base import DeliveryError
from coworkbot import main as cli_main
from tests.support.privacy import bytes_found
from tests.support.synapse.people import (
    ENCRYPTION,
    PASSWORD,
    MatrixWorld,
    Person,
    RunningClock,
    Said,
)
from tests.support.synapse.server import SynapseServer

pytestmark = pytest.mark.synapse

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
    assert nothing.body == "You don't owe anything at the moment."

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
        "#1 Internet (25 Oct – 24 Nov 2026), due Wed, 25 Nov 2026: €10.00",
        "Still to pay: €10.00. When you've paid, send !paid with the number.",
    ]
    code = await one(world, anna, "!link", room=dm)
    shown = lines(code)[0].removeprefix("Your code: ")
    assert len(shown) == 9 and f"link {shown} privately within 10 minutes" in code.body
    stored = await world.bot.fetchall("SELECT COUNT(*) AS n FROM link_codes")
    assert stored[0]["n"] == 1

    text = await one(world, anna, "!myexport", room=dm)
    assert text.body.startswith("Here's everything I keep about you")
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
    second = anna.another_device()
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


async def newcomer(world: MatrixWorld, name: str) -> Person:
    """Someone Anna invites into the room later, on an encrypted client of their own."""
    person = Person(
        world.server,
        f"{name}{world.anna.localpart.removeprefix('anna')}",
        world.bot.user_id,
        encrypted=True,
        store_dir=world.anna.store_dir,
    )
    await person.start()
    await world.anna.client.room_invite(world.room, person.user_id)
    for _ in range(200):  # the person's loop joins on the invite
        if world.room in person.client.rooms:
            return person
        await asyncio.sleep(0.05)
    raise AssertionError(f"{person.localpart} never joined the room")


def heard_all(person: Person, event_ids: list[str]) -> bool:
    return set(event_ids) <= {s.event_id for s in person.heard if s.encrypted}


async def test_an_encrypted_room_answers_every_member_device_and_a_late_joiner(
    e2e: MatrixWorld,
) -> None:
    world = e2e
    await start_space(world)
    anna, bruno, carla = world.anna, world.bruno, world.carla
    a = anna.localpart
    unread_before = {p.localpart: list(p.unreadable) for p in world.people}

    checkin = await one(world, anna, "!checkin at the big table")
    who = await one(world, carla, "!who")
    assert a in who.body and "at the big table" in who.body
    await one(world, bruno, "!skills add Excel")
    post = await one(world, carla, "!ask excel: how do I freeze the first row?")
    assert lines(post)[1] == "how do I freeze the first row?"
    notice = await private(bruno, world, f"🙋 {carla.localpart} asks for help with excel")
    assert await is_encrypted(bruno, notice.room_id)  # a private room the bot opened
    answers = [checkin.event_id, who.event_id, post.event_id]
    for person in world.people:  # every member's device reads every answer
        await person.wait_for(lambda _, p=person: heard_all(p, answers), "every answer")
    visits = await world.bot.fetchall("SELECT note FROM visits")
    assert [v["note"] for v in visits] == ["at the big table"]

    # Dave joins the room after all that, and the space; the next answers reach him.
    dave = await newcomer(world, "dave")
    erin = None
    try:
        welcome = await one(world, dave, "!join")
        assert welcome.body.startswith(f"Welcome to Veglio, {dave.localpart}")
        again = await one(world, anna, "!who")
        for person in [*world.people, dave]:
            await person.wait_for(lambda _, p=person: heard_all(p, [again.event_id]), "!who")
        assert welcome.event_id not in dave.unreadable  # (what came before him, he cannot)

        # Erin is in the room but no member of the space: her device gets no keys.
        erin = await newcomer(world, "erin")
        last = await one(world, anna, "!who")
        for person in [*world.people, dave]:
            await person.wait_for(lambda _, p=person: heard_all(p, [last.event_id]), "!who")
        for _ in range(200):
            if last.event_id in erin.unreadable:
                break
            await asyncio.sleep(0.05)
        assert last.event_id in erin.unreadable and not erin.heard
    finally:
        await dave.stop()
        if erin is not None:
            await erin.stop()
    assert {p.localpart: p.unreadable for p in world.people} == unread_before


async def test_restarted_and_killed_between_messages_it_decrypts_and_answers_once(
    e2e: MatrixWorld, tmp_path: Path
) -> None:
    """The real `coworkbot run`, SIGKILLed and later stopped with SIGTERM between
    messages: each start finds its device and keys again, decrypts what came while it
    was down, and answers everything exactly once, encrypted."""
    world = e2e
    config = world.bot.write_config(tmp_path / "config.toml")
    log = tmp_path / "bot.log"

    def run() -> subprocess.Popen[bytes]:
        return world.bot.process(config, log)

    people = world.people
    process = run()
    try:
        await keys_published(world)
        room = await world.anna.client.room_create(
            invite=[world.bruno.user_id, world.carla.user_id, world.bot.user_id],
            power_level_override={"users": {world.bruno.user_id: 50}},
            initial_state=[ENCRYPTION],
        )
        world.room = room.room_id
        await world.wait_for_membership(world.room, "join", world.anna)
        await world.setup_space()
        sent = [(p, await p.say(world.room, "!lang en")) for p in people]
        await world.answered_once(sent)
        devices_before = world.bot.devices()

        process.kill()  # SIGKILL, between messages
        process.wait(10)
        sent += [(p, await p.say(world.room, "!lang en")) for p in people]
        process = run()
        await world.answered_once(sent)

        process.terminate()  # SIGTERM: a clean stop
        process.wait(30)
        sent += [(p, await p.say(world.room, "!lang en")) for p in people]
        process = run()
        await world.answered_once(sent)
    finally:
        process.kill()
        process.wait(10)
    assert world.bot.devices() == devices_before  # no restart made a new device
    replies = [s for _, e in sent for s in world.anna.replies_to(e)] + [
        s for p, e in sent for s in p.replies_to(e)
    ]
    assert replies and all(s.encrypted for s in replies)
    assert "Traceback" not in log.read_text()


async def keys_published(world: MatrixWorld) -> None:
    """Until the bot's device has published its keys (its first sync after a first
    start): a client that looks the bot up before that has no device to share with."""
    for _ in range(600):
        found = await asyncio.to_thread(
            world.server.admin_request,
            world.anna.client.access_token,
            "POST",
            "/_matrix/client/v3/keys/query",
            {"device_keys": {world.bot.user_id: []}},
        )
        if found["device_keys"].get(world.bot.user_id):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the bot never published its device keys")


async def test_a_homeserver_restart_while_sharing_the_room_key_loses_and_doubles_nothing(
    e2e: MatrixWorld,
) -> None:
    world = e2e
    await start_space(world)
    anna, bruno, carla = world.anna, world.bruno, world.carla
    await one(world, anna, "!who")
    left = await one(world, carla, "!leave")  # the answer to her, she reads; no more
    assert left.body.startswith("You've left Veglio")

    # The next message needs a new room key, shared while the homeserver goes away.
    await asyncio.to_thread(world.server.stop)
    message = OutgoingMessage(ChatRef(Platform.MATRIX, world.room, False), "<b>after</b>", key=9001)
    with pytest.raises(DeliveryError):
        await world.bot.transport.send(message)
    await asyncio.to_thread(world.server.start)
    first = await retried(world, message)
    assert await world.bot.transport.send(message) == first  # a retry is a no-op

    for person in (anna, bruno):
        await person.wait_for(lambda _, p=person: heard_all(p, [first]), "the message")
    for _ in range(200):
        if first in carla.unreadable:
            break
        await asyncio.sleep(0.05)
    assert first in carla.unreadable
    assert [s.body for s in anna.heard if s.event_id == first] == ["after"]

    # Commands go on, once each, across another restart in the middle of a burst.
    sent = [(p, await p.say(world.room, "!lang en")) for p in (anna, bruno)]
    await asyncio.to_thread(world.server.restart)
    sent += [(p, await p.say(world.room, "!lang en")) for p in (anna, bruno)]
    await world.answered_once(sent)


async def retried(world: MatrixWorld, message: OutgoingMessage) -> str:
    """What the outbox does after a failed send: try again until the server is back."""
    for _ in range(100):
        try:
            return await world.bot.transport.send(message)
        except DeliveryError:
            await asyncio.sleep(0.2)
    raise AssertionError("the message never went out")


# -- keys that come late or never, and what a client or server may send wrong ---------------

MEGOLM = "m.megolm.v1.aes-sha2"


def withheld_key(person: Person, room: str) -> dict[str, str]:
    """A new room key the person's client writes with but gives to nobody yet, as when
    its to-device message is late or lost; returns the key, to be given later."""
    olm = person.client.olm
    olm.create_outbound_group_session(room)
    session = olm.outbound_group_sessions[room]
    session.shared = True  # so that room_send uses it as it is
    return {
        "algorithm": MEGOLM,
        "room_id": room,
        "session_id": session.id,
        "session_key": session.session_key,
    }


async def give_key(person: Person, world: MatrixWorld, key: dict[str, str]) -> None:
    """The room key reaches the bot's device after all, as an Olm-encrypted m.room_key."""
    client, bot = person.client, world.bot.user_id
    device_id = world.bot.transport.client.device_id
    missing = client.olm.get_missing_sessions([bot])
    if missing:
        await client.keys_claim(missing)
    device = client.device_store[bot][device_id]
    session = client.olm.session_store.get(device.curve25519)
    payload = client.olm._olm_encrypt(session, device, "m.room_key", key)
    response = await client.to_device(ToDeviceMessage("m.room.encrypted", bot, device_id, payload))
    assert isinstance(response, ToDeviceResponse), response


async def parked(world: MatrixWorld, event_id: str) -> None:
    for _ in range(600):
        rows = await world.bot.fetchall(
            "SELECT event_json FROM matrix_undecrypted WHERE event_id = ?", (event_id,)
        )
        if rows:
            assert json.loads(rows[0]["event_json"])["type"] == "m.room.encrypted"
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{event_id} was never kept for later")


async def test_a_message_waits_for_its_late_key_and_a_key_that_never_comes_is_said(
    e2e: MatrixWorld,
) -> None:
    world = e2e
    world.bot.unreadable_after = 4.0
    await start_space(world)
    anna, bruno = world.anna, world.bruno

    key = withheld_key(anna, world.room)
    late = await anna.say(world.room, "!checkin the key comes later")
    await parked(world, late)
    await give_key(anna, world, key)
    await anna.wait_for(lambda _: bool(anna.replies_to(late)), "the late answer")
    assert anna.replies_to(late)[0].body.startswith(f"Welcome, {anna.localpart}! You checked in")

    key = withheld_key(anna, world.room)
    never = await anna.say(world.room, "!checkout")
    await parked(world, never)
    for _ in range(600):  # the word is queued when the wait is over; the outbox's loop
        await world.bot.app.outbox.flush()  # takes it within half a minute, flush() now
        if await world.bot.fetchall("SELECT id FROM outbox WHERE reply_to = ?", (never,)):
            break
        await asyncio.sleep(0.05)
    await anna.wait_for(lambda _: bool(anna.replies_to(never)), "a word")
    said = anna.replies_to(never)
    assert [s.body for s in said] == [
        f"{anna.localpart}, I couldn't read your message: it's encrypted with a key that"
        " never reached me. Please send it again."
    ]
    assert said[0].encrypted and said[0].content["m.mentions"] == {"user_ids": [anna.user_id]}
    # The key comes after all: too late, she was asked to send it again; it never runs.
    await give_key(anna, world, key)
    who = await one(world, bruno, "!who")
    assert anna.localpart in who.body  # still in: the !checkout never ran
    assert len(anna.replies_to(never)) == 1  # told once
    assert await world.bot.fetchall("SELECT event_id FROM matrix_undecrypted") == []


async def raw_send(person: Person, room: str, kind: str, content: dict[str, Any]) -> str:
    """An event sent as it is, past the client's own encryption: what a broken client,
    a replaying server or an attacker with an account can put in a room."""
    method, path, data = Api.room_send(
        person.client.access_token, room, kind, content, f"raw.{uuid4().hex}"
    )
    response = await person.client._send(RoomSendResponse, method, path, data, (room,))
    assert isinstance(response, RoomSendResponse), response
    return str(response.event_id)


async def test_replayed_garbled_and_impostor_events_are_logged_and_never_run(
    e2e: MatrixWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = e2e
    await start_space(world)
    anna, bruno = world.anna, world.bruno
    original = await anna.say(world.room, "!checkin only once")
    await anna.wait_for(lambda _: bool(anna.replies_to(original)), "the answer")
    raw = await asyncio.to_thread(
        world.server.admin_request,
        anna.client.access_token,
        "GET",
        f"/_matrix/client/v3/rooms/{world.room}/event/{original}",
    )
    ciphertext = raw["content"]
    assert raw["type"] == "m.room.encrypted" and ciphertext["algorithm"] == MEGOLM

    bad = [
        await raw_send(anna, world.room, "m.room.encrypted", ciphertext),  # replayed
        await raw_send(  # garbled ciphertext of a session the bot has
            anna, world.room, "m.room.encrypted", {**ciphertext, "ciphertext": "AwgAEhAB" * 20}
        ),
        await raw_send(anna, world.room, "m.room.encrypted", {"algorithm": MEGOLM}),
        await raw_send(
            anna, world.room, "m.room.encrypted", {"algorithm": "m.olm.v1.curve25519-aes-sha2"}
        ),
    ]
    await world.bot.restart()  # nio's own replay guard is in memory; ours is not
    bad.append(await raw_send(anna, world.room, "m.room.encrypted", ciphertext))

    # Someone logs in with Anna's password on her device id, with new keys: an impostor.
    impostor = anna.another_device(device=anna.device_id)
    await impostor.start()
    try:
        bad.append(await impostor.say(world.room, "!checkout"))
        who = await one(world, bruno, "!who")  # the loop goes on; answered once, in order
    finally:
        await impostor.stop()
    assert anna.localpart in who.body and "only once" in who.body  # never checked out
    assert [e for e in bad if anna.replies_to(e) or impostor.replies_to(e)] == []
    assert len(anna.replies_to(original)) == 1
    visits = await world.bot.fetchall("SELECT note, checkout_at FROM visits")
    assert [(v["note"], v["checkout_at"]) for v in visits] == [("only once", None)]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "Duplicate message index, possible replay attack" in logged  # nio's, in memory
    assert logged.count("replays an earlier message") == 1  # ours, after the restart
    assert "Error decrypting megolm event: failed to decode" in logged  # the garbled one
    assert logged.count("not a Megolm event") == 2  # no session fields; an Olm algorithm
    assert "Device keys mismatch" in logged  # the impostor


# -- a broken install, a backup, forgetme, one-time keys ------------------------------------


async def test_a_broken_encryption_extra_starts_anyway_and_says_so_once(
    matrix: MatrixWorld, tmp_path: Path
) -> None:
    """vodozemac that does not load (a wheel for another machine): the real `coworkbot
    run` starts without encryption, logs why, and tells an encrypted room and its
    space's admins once that it cannot read there, as before encryption existed."""
    world = matrix  # people whose clients do not encrypt: they read what the bot says
    broken = tmp_path / "broken" / "vodozemac"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text(
        'raise ImportError("libvodozemac.so: cannot open shared object file")\n'
    )
    room = await world.anna.client.room_create(
        invite=[world.bruno.user_id], initial_state=[ENCRYPTION]
    )
    world.room = room.room_id
    config = world.bot.write_config(
        tmp_path / "config.toml",
        f'[[spaces]]\nname = "Secret"\nlanguage = "it"\nmatrix_room = "{world.room}"\n'
        f'admins = ["matrix:{world.bruno.user_id}"]\n',
    )
    log = tmp_path / "bot.log"
    env = {**os.environ, "PYTHONPATH": str(broken.parent)}

    def run() -> subprocess.Popen[bytes]:
        return world.bot.process(config, log, env)

    database = world.bot.data_dir / "coworkbot.db"
    process = run()
    try:
        await world.invite_bot(world.room)  # accepted: the room is the space's
        for _ in range(600):
            if database.exists() and _reported(database):
                break
            await asyncio.sleep(0.05)
        assert _reported(database), "the encrypted room was never reported"
        process.terminate()  # a clean stop delivers what is queued
        assert process.wait(30) == 0
        note = await world.bruno.next_private(lambda s: "cifrata" in s.body, world.room)
        assert "Secret" in note.body  # in the space's language, Italian here
        await world.anna.wait_for(
            lambda heard: any(s.room_id == world.room and "cifrata" in s.body for s in heard),
            "the notice in the room",
        )
        process = run()  # and again: said once, not at every start
        await world.anna.say(world.room, "!help")  # unencrypted: it does read that
        await world.anna.wait_for(lambda heard: any("!aiuto" in s.body for s in heard), "help")
        process.terminate()
        assert process.wait(30) == 0
    finally:
        process.kill()
        process.wait(10)
    with sqlite3.connect(database) as db:
        notices = db.execute("SELECT COUNT(*) FROM outbox WHERE html LIKE '%cifrata%'").fetchone()
    assert notices[0] == 2  # the room's and Bruno's, not again after the restart
    text = log.read_text()
    why = "end-to-end encryption is off (vodozemac cannot be imported (ImportError: libvodozemac"
    assert text.count(why) == 2  # once per start
    assert "Traceback" not in text


def _reported(database: Path) -> bool:
    with contextlib.closing(sqlite3.connect(database)) as db:
        try:
            row = db.execute("SELECT MAX(encryption_reported) FROM matrix_rooms").fetchone()
        except sqlite3.OperationalError:
            return False  # not migrated yet
    return bool(row and row[0])


async def test_a_backup_brings_the_device_and_its_keys_back(
    e2e: MatrixWorld, tmp_path: Path
) -> None:
    world = e2e
    await start_space(world)
    anna = world.anna
    await one(world, anna, "!who")
    devices_before = world.bot.devices()
    config = world.bot.write_config(tmp_path / "config.toml")
    backup = tmp_path / "backup.db"
    assert (
        await asyncio.to_thread(
            cli_main, ["backup", "--config", str(config), "--output", str(backup)]
        )
        == 0
    )
    assert backup.stat().st_mode & 0o777 == 0o600  # it holds the device's keys
    with contextlib.closing(sqlite3.connect(backup)) as db:
        names = {r[0] for r in db.execute("SELECT name FROM matrix_identity_backup")}
    assert "matrix-session.json" in names and "matrix-crypto/pickle-key" in names
    assert any(n.endswith(".db") for n in names)

    # The disk is lost; the backup is copied back as the database.
    await world.bot.stop()
    shutil.rmtree(world.bot.data_dir)
    world.bot.data_dir.mkdir()
    shutil.copy(backup, world.bot.config.database_path)
    await world.bot.start()

    # Anna's client goes on with the room key it gave the bot's device before the
    # backup: only the restored keys can read it.
    answered = await one(world, anna, "!lang en")
    assert answered.body == "I'll speak English with you."
    assert world.bot.devices() == devices_before  # the same device, no new one
    assert await world.bot.fetchall("SELECT name FROM matrix_identity_backup") == []
    crypto = world.bot.data_dir / "matrix-crypto"
    assert {p.stat().st_mode & 0o777 for p in crypto.iterdir()} == {0o600}

    # Without a backup, keys that are lost make a new device, and the old one goes.
    old = world.bot.transport.client.device_id
    await world.bot.stop()
    shutil.rmtree(crypto)
    await world.bot.start()
    after = world.bot.devices()
    assert old in devices_before and old not in after
    assert len(after) == len(devices_before)  # (the account's registration is one more)
    await one(world, anna, "!who")  # her client meets the new device and shares with it


async def test_forgetme_leaves_no_decrypted_text_behind(e2e: MatrixWorld) -> None:
    world = e2e
    world.bot.unreadable_after = 3600.0  # a message still waiting for its key stays
    await start_space(world)
    anna = world.anna
    secrets = ["kiln-7731", "ladder-4412", "chatter-5520", "waiting-9934"]
    dm = await world.private_room(anna, encrypted=True)
    await one(world, anna, "!checkin fixing the kiln-7731")
    await one(world, anna, "!ask excel: where is the ladder-4412?")
    await anna.say(world.room, "just chatter-5520, no command")
    withheld_key(anna, world.room)
    waiting = await anna.say(world.room, "!checkout waiting-9934")
    await parked(world, waiting)

    ask = await one(world, anna, "!forgetme", room=dm)
    assert "Forget you?" in ask.body
    await one(world, anna, "!forgetme confirm", room=dm)
    await world.bot.app.run_jobs()  # the privacy job blanks what was delivered
    await world.bot.app.run_jobs()
    assert await world.bot.fetchall("SELECT event_id FROM matrix_undecrypted") == []
    seen = await world.bot.fetchall(
        "SELECT COUNT(*) AS n FROM matrix_megolm_seen WHERE sender = ?", (anna.user_id,)
    )
    assert seen[0]["n"] == 0
    await world.bot.stop()
    left = {
        str(path.relative_to(world.bot.data_dir)): found
        for path in world.bot.data_dir.rglob("*")
        if path.is_file() and (found := bytes_found(path, secrets))
    }
    assert left == {}


async def test_one_time_keys_used_up_are_topped_up_and_direct_chats_can_stay_plain(
    e2e: MatrixWorld,
) -> None:
    world = e2e
    world.bot.encrypt_direct_chats = False  # [matrix] encrypt_direct_chats = false
    await start_space(world)
    anna, bot = world.anna, world.bot.user_id
    device = world.bot.transport.client.device_id

    async def claim() -> bool:
        found = await asyncio.to_thread(
            world.server.admin_request,
            anna.client.access_token,
            "POST",
            "/_matrix/client/v3/keys/claim",
            {"one_time_keys": {bot: {device: "signed_curve25519"}}},
        )
        return bool(found["one_time_keys"].get(bot, {}).get(device))

    claimed = 0
    while await claim():  # someone takes every one-time key the bot published
        claimed += 1
        assert claimed <= 200
    assert claimed >= 50
    await one(world, world.bruno, "!who")  # a sync tells the bot it has none left
    for _ in range(200):
        if await claim():
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the bot never published new one-time keys")
    # So a device it has never met can still start talking to it.
    newcomer_device = world.carla.another_device()
    await newcomer_device.start()
    try:
        await one(world, newcomer_device, "!lang en")
    finally:
        await newcomer_device.stop()

    to_anna = ChatRef(Platform.MATRIX, anna.user_id, private=True)
    event_id = await world.bot.transport.send(OutgoingMessage(to_anna, "plain hello", key=777))
    heard = await anna.wait_for(
        lambda said: any(s.event_id == event_id for s in said), "the private message"
    )
    said = next(s for s in heard if s.event_id == event_id)
    assert said.body == "plain hello" and not said.encrypted
    assert not await is_encrypted(anna, said.room_id)


async def test_messages_missed_past_the_timeline_limit_are_decrypted_from_the_gap(
    e2e: MatrixWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = e2e
    world.bot.timeline_limit = 3  # the sync after the restart comes back `limited`
    await start_space(world)
    await world.bot.stop()
    sent = [(p, await p.say(world.room, "!lang en")) for p in world.people * 3]
    caplog.set_level(logging.DEBUG, logger="bot.transports.matrix.transport")
    await world.bot.start()

    await world.answered_once(sent)
    fetched = [r.args[0] for r in caplog.records if "missed events fetched" in r.getMessage()]
    assert fetched and max(fetched) >= 6  # the nine minus the three of the timeline
    replies = [s for p, e in sent for s in p.replies_to(e)]
    assert len(replies) == 9 and all(s.encrypted for s in replies)


async def test_with_an_access_token_its_device_keeps_the_keys_across_restarts(
    e2e: MatrixWorld,
) -> None:
    world = e2e
    localpart = world.bot.user_id[1:].split(":")[0]
    token, device = await asyncio.to_thread(world.server.login, localpart, PASSWORD)
    world.bot.access_token = token  # [matrix] access_token, no password
    await start_space(world)
    assert world.bot.transport.client.device_id == device
    await world.bot.restart()
    # Anna's client goes on with the room key it gave that device before the restart.
    assert (await one(world, world.anna, "!lang en")).body == "I'll speak English with you."
    assert (world.bot.data_dir / "matrix-crypto" / f"{world.bot.user_id}_{device}.db").exists()
    assert not (world.bot.data_dir / "matrix-session.json").exists()
