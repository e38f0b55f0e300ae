"""Figure group 5: what Matrix end-to-end encryption costs.

Against a local Synapse started as the test suite starts it, with people who are
matrix-nio clients with encryption on (tests/support/synapse/people.py), as Element users are:

- **RSS**: the real `coworkbot run` (its own process, Matrix only) serving an encrypted
  room: a space set up, people joined, a round of commands answered, then idle. Its
  baseline is the same run in a plain room with the encryption extra not loaded at all
  (vodozemac shadowed by a module that refuses to import, the bot's "broken install"
  path), as the bot was before encryption.
- **time to answer**: one bot (in this process, encryption on) with two spaces, one in an
  encrypted room and one in a plain room; a person sends `!who` in each in turn and
  waits for the answer. The times include what the person's client does (encrypting
  the command, decrypting the answer), as a person would see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.growth import rss_kib
from bench.memory import stop, synced
from bench.report import Figure, Group
from bench.world import Options
from bot.flood import FloodGuard
from tests.support.synapse.people import ENCRYPTION, PASSWORD, MatrixWorld, Person
from tests.support.synapse.server import SynapseServer

BROKEN_EXTRA = 'raise ImportError("the encryption extra is left out for this measurement")\n'


def mib(kib: float) -> float:
    return kib / 1024


def p(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- RSS of the real process ---------------------------------------------------------------


async def say_and_wait(person: Person, room: str, text: str) -> None:
    event_id = await person.say(room, text)
    await person.wait_for(lambda _: bool(person.replies_to(event_id)), f"an answer to {text}")


def prepare(
    work: Path, server: SynapseServer, bot_id: str, encrypted: bool
) -> tuple[Path, dict[str, str]]:
    """The bot's config file and environment; without encryption, an extra that fails."""
    work.mkdir(parents=True)
    config = work / "config.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{work / "data"}"\ndefault_language = "en"\nlog_level = "WARNING"\n'
        f'[matrix]\nhomeserver = "{server.url}"\nuser_id = "{bot_id}"\npassword = "{PASSWORD}"\n'
    )
    env = dict(os.environ)
    if not encrypted:
        broken = work / "no-extra" / "vodozemac"
        broken.mkdir(parents=True)
        (broken / "__init__.py").write_text(BROKEN_EXTRA)
        env["PYTHONPATH"] = str(broken.parent)
    return config, env


async def served_rss(
    server: SynapseServer, work: Path, name: str, encrypted: bool, rounds: int, settle: float
) -> float:
    """RSS (MiB) of `coworkbot run` after serving a room (encrypted or not) for a while."""
    bot_id = await asyncio.to_thread(server.register, f"bot{name}", PASSWORD)
    config, env = prepare(work, server, bot_id, encrypted)
    log = (work / "coworkbot.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "coworkbot", "run", "--config", str(config),
        stdout=log, stderr=log, env=env,
    )  # fmt: skip
    people = [
        Person(server, f"{who}{name}", bot_id, encrypted=True, store_dir=work / "people")
        for who in ("anna", "bruno", "carla")
    ]
    try:
        for _ in range(1200):
            if synced(work / "data" / "coworkbot.db"):
                break
            await asyncio.sleep(0.05)
        for person in people:
            await person.start()
        anna, bruno, carla = people
        created = await anna.client.room_create(
            invite=[bruno.user_id, carla.user_id, bot_id],
            power_level_override={"users": {bruno.user_id: 50}},
            initial_state=[ENCRYPTION] if encrypted else [],
        )
        room = created.room_id
        await say_and_wait(bruno, room, "!setup Bench")
        await say_and_wait(bruno, room, "!set join open")
        for person in (anna, carla):
            await say_and_wait(person, room, "!join")
        for i in range(rounds):
            person = people[i % 3]
            for line in ("!checkin", "!who", "!checkout"):
                await say_and_wait(person, room, line)
                await asyncio.sleep(0.3)  # under the flood guard of 20 commands in 10 s
        await asyncio.sleep(settle)
        return mib(rss_kib(proc.pid or 0))
    finally:
        for person in people:
            with contextlib.suppress(Exception):
                await person.stop()
        await stop(proc)
        log.close()


# -- time to answer --------------------------------------------------------------------------


async def answer_times(server: SynapseServer, work: Path, samples: int) -> dict[str, list[float]]:
    """Seconds from sending `!who` to reading the answer, in an encrypted and a plain
    room of the same bot, taken in turn so a busy moment falls on both alike."""
    world = await MatrixWorld.create(server, work / "bot", encrypted=True)
    times: dict[str, list[float]] = {"encrypted": [], "plain": []}
    try:
        await world.bot.start()
        # Measured people are faster than people: lift the flood guard (as bench.world does).
        world.bot.app.dispatcher.flood = FloodGuard(limit=10**9)
        rooms = {"encrypted": await world.open_room(encrypted=True)}
        # The second room: the bot joins it on the invitation of the first space's admin.
        created = await world.anna.client.room_create(
            invite=[world.bruno.user_id, world.carla.user_id],
            power_level_override={"users": {world.bruno.user_id: 50}},
        )
        rooms["plain"] = created.room_id
        for _ in range(600):
            if rooms["plain"] in world.bruno.client.rooms:
                break
            await asyncio.sleep(0.05)
        for kind, room in rooms.items():
            if kind == "plain":
                await world.invite_bot(room, by=world.bruno)
            world.room = room
            await world.command(world.bruno, f"!setup Bench {kind}")
            await world.command(world.bruno, "!set join open")
            await world.command(world.anna, "!join")
        for _ in range(3):  # warm up both: room keys shared, devices known
            for room in rooms.values():
                await world.command(world.anna, "!who", room=room)
        for _ in range(samples):
            for kind, room in rooms.items():
                start = time.perf_counter()
                await world.command(world.anna, "!who", room=room)
                times[kind].append(time.perf_counter() - start)
    finally:
        await world.close()
    return times


def start_synapse(base: Path) -> SynapseServer:
    server = SynapseServer(base)
    server.start()
    return server


async def run(options: Options) -> Group:
    group = Group("e2ee", "5. Matrix end-to-end encryption")
    # The people's clients warn about the answers they may not read (before `!join`).
    logging.getLogger("nio.crypto").setLevel(logging.ERROR)
    work = options.data_dir / "e2ee"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    samples = 20 if options.quick else 100
    rounds = 5 if options.quick else 20
    settle = 3.0 if options.quick else 10.0

    server = await asyncio.to_thread(start_synapse, work / "synapse")
    try:
        times = await answer_times(server, work / "latency", samples)
        on = await served_rss(server, work / "on", "on", True, rounds, settle)
        off = await served_rss(server, work / "off", "off", False, rounds, settle)
    finally:
        await asyncio.to_thread(server.stop)

    group.add(
        Figure(
            "RSS of `coworkbot run`, an encrypted room served",
            on,
            "MiB",
            off,
            "a plain room, the encryption extra not loaded",
            note=f"{on - off:+.1f} MiB (goal: at most +25 MiB); "
            f"{rounds * 3 + 4} commands answered, then {settle:g} s idle",
        )
    )
    encrypted, plain = times["encrypted"], times["plain"]
    group.add(
        Figure(
            "time to answer `!who` in an encrypted room, p50",
            statistics.median(encrypted) * 1000,
            "ms",
            statistics.median(plain) * 1000,
            "the same bot, a plain room",
            note=f"p90 {p(encrypted, 0.9) * 1000:.0f} against {p(plain, 0.9) * 1000:.0f} ms; "
            f"{samples} each, in turn (goal: at most 1.5×)",
        )
    )
    shutil.rmtree(work, ignore_errors=True)
    return group
