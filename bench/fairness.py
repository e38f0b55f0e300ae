"""Figure group 6: one busy chat never holds up the others.

A group whose queue is 150 messages deep waits on Telegram's 20 messages a minute for a
group chat; nothing else should wait with it. The whole path is real: people write to
the fake Bot API server (`tests/fake_telegram.py`, Telegram's limits with 429s), the
real TelegramTransport polls it, the App handles the command and commits the reply to
the outbox, and the outbox sender delivers it back to the server.

- **private reply latency during the backlog**: members send `/me` privately, one after
  another (each a different person, so no private chat's own limit of one a second is
  involved), while the group's 150 messages wait; from the message reaching the server
  to the reply accepted by it, p50 and max. Baseline: the same replies, same people,
  measured in the same run with no backlog.
- **150 private shares during the backlog**: 150 more group messages are queued, then
  an admin adds a one-off cost split among the 150 members and the costs job charges
  it: 150 private letters, one each. From the letters' commit (the end of the job, whose
  own time is in the note) to the last letter accepted, against Telegram's minimum, 150
  messages at 30 a second.

`--quick` makes the limits 10 times faster on both sides (same counts, shorter periods),
as in group 2, so the backlog lasts 45 s instead of 7.5 minutes; the ratios compare.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import coworkbot
from bench.report import Figure, Group
from bench.world import ROME, Options, RunningClock
from bot.app import App
from bot.config import BotSection, Config, TelegramSection
from bot.transports.telegram.limits import TELEGRAM_LIMITS
from bot.transports.telegram.transport import TelegramTransport, Timeouts
from storage import Store
from storage.members import MemberRole, MemberStatus
from storage.outbox import NewOutboxItem
from tests.support.fake_telegram import FakeChat, FakeLimits, FakeTelegram, FakeUser

MEMBERS = 150
BACKLOG = 150
SAMPLES = 30
GROUP_BURST = 20  # a group's messages a minute, which Telegram lets go at once
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ROME)
PATIENCE = 120.0  # a reply slower than this counts as this (the old outbox took minutes)


@dataclass
class World:
    server: FakeTelegram
    app: App
    transport: TelegramTransport
    admin: FakeUser
    users: list[FakeUser]
    group: FakeChat
    space_id: int
    speed: float
    job_seconds: float = 0.0


async def populate(path: Path, group: FakeChat, admin: FakeUser, users: list[FakeUser]) -> int:
    """One space bound to the group; the admin and 150 members, all with Telegram accounts."""
    store = await Store.open(path)
    now = NOW - timedelta(days=15)
    try:
        async with store.transaction() as session:
            space = await session.spaces.create("Backlog", now, language="en", join_policy="open")
            await session.spaces.bind_chat(space.id, "telegram", str(group.id))
            for i, user in enumerate([admin, *users]):
                await session.members.create(
                    space.id,
                    f"telegram:{user.id}",
                    user.first_name,
                    now,
                    role=MemberRole.ADMIN if i == 0 else MemberRole.MEMBER,
                    status=MemberStatus.ACTIVE,
                    language="en",
                )
            return space.id
    finally:
        await store.close()


async def open_world(work: Path, speed: float) -> World:
    server = FakeTelegram(limits=FakeLimits().faster(speed))
    await server.start()
    admin = server.user("Admin")
    users = [server.user(f"Member{i:03d}") for i in range(MEMBERS)]
    group = server.group("Backlog", creator=admin, members=tuple(users))
    space_id = await populate(work / "coworkbot.db", group, admin, users)
    section = TelegramSection(token=server.token, api_base_url=server.base_url)
    clock = RunningClock(NOW)
    transport = TelegramTransport(
        section,
        clock=clock,
        limits=TELEGRAM_LIMITS.faster(speed),
        timeouts=Timeouts(poll=2),
        language="en",
    )
    config = Config(path=None, bot=BotSection(data_dir=work, default_language="en"))
    app = App(config, [transport], routers=coworkbot.routers(), clock=clock, background=False)
    await app.start()
    app.outbox.start()
    return World(server, app, transport, admin, users, group, space_id, speed)


async def queue_backlog(world: World) -> None:
    """150 group messages committed at once, none of them mergeable (help requests'
    posts, say): the group's queue stays 150 deep for as long as its limit makes it."""
    async with world.app.store.transaction() as session:
        for i in range(BACKLOG):
            await session.outbox.enqueue(
                NewOutboxItem(
                    "telegram",
                    str(world.group.id),
                    False,
                    f"Group message {i + 1} of {BACKLOG}",
                    space_id=world.space_id,
                ),
                world.app.clock.now(),
            )
    world.app.outbox.wake()


async def reply_latency(world: World, user: FakeUser) -> float:
    """Seconds from `/me` reaching the server to the bot's reply accepted by it."""
    before = len(world.server.to(user))
    start = time.monotonic()
    world.server.say(user, None, "/me")
    deadline = start + PATIENCE
    while len(world.server.to(user)) == before:
        if time.monotonic() > deadline:
            return PATIENCE
        await asyncio.sleep(0.002)
    return world.server.to(user)[before].at - start


async def latencies(world: World, users: list[FakeUser]) -> list[float]:
    out = []
    for user in users:
        out.append(await reply_latency(world, user))
        await asyncio.sleep(0.05)
    return out


async def backlogged(world: World) -> None:
    """Until the group waits on its own limit: its 20 a minute went out at once (a burst
    Telegram allows, which takes 20 of the 30 messages a second the bot has in all for
    that second), and the rest waits. The figures are about that waiting."""
    burst = len(world.server.to(world.group)) + GROUP_BURST
    for _ in range(int(PATIENCE / 0.01)):
        if len(world.server.to(world.group)) >= burst:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(1.1 / world.speed)  # the burst's second is over


async def group_waiting(world: World) -> int:
    async with world.app.store.transaction() as session:
        value = await session.tx.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND chat_id = ?",
            (str(world.group.id),),
        )
    return int(value)


async def shares(world: World) -> tuple[float, int]:
    """The 150 letters of a one-off cost charged today, with 150 more group messages
    queued just before the job: (seconds, letters delivered)."""
    reply = await reply_latency_text(world, world.admin, "/cost add Boiler 150 once today")
    assert "Boiler" in reply, reply
    await queue_backlog(world)
    await backlogged(world)
    before = len(world.server.sent)
    job = time.monotonic()
    costs = next(j for j in world.app.scheduler.jobs if j.id == "costs.tick")
    await world.app.scheduler.run_one(costs)  # it charges the cost: one letter each
    started = time.monotonic()  # the letters are committed, the outbox woken
    world.job_seconds = started - job
    ids = {u.id for u in world.users}
    deadline = started + PATIENCE
    while True:
        letters = [s for s in world.server.sent[before:] if s.chat_id in ids]
        if len({s.chat_id for s in letters}) >= len(ids) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.005)
    last = max((s.at for s in letters), default=time.monotonic())
    return last - started, len({s.chat_id for s in letters})


async def reply_latency_text(world: World, user: FakeUser, text: str) -> str:
    before = len(world.server.to(user))
    world.server.say(user, None, text)
    deadline = time.monotonic() + PATIENCE
    while len(world.server.to(user)) == before:
        if time.monotonic() > deadline:
            return ""
        await asyncio.sleep(0.005)
    sent = world.server.to(user)
    return sent[before].text if len(sent) > before else ""


async def run(options: Options) -> Group:
    group = Group("fairness", "7. One busy chat never holds up the others")
    speed = 10.0 if options.quick else 1.0
    work = options.data_dir / "fairness"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    world = await open_world(work, speed)
    try:
        quiet = await latencies(world, world.users[:SAMPLES])
        await asyncio.sleep(1.1 / speed)  # the private chats' own limits are free again
        await queue_backlog(world)
        await backlogged(world)
        busy = await latencies(world, world.users[:SAMPLES])
        waiting = await group_waiting(world)
        # The letters get a backlog of their own, so that they meet one 150 deep
        # whatever became of the first (an outbox that served the group first has
        # emptied it by now).
        seconds, reached = await shares(world)
        still = await group_waiting(world)
    finally:
        await world.app.stop()
        await world.server.close()
    scale = "Telegram's limits" if speed == 1 else f"limits {speed:g}× faster on both sides"
    for name, pick in (("p50", statistics.median), ("max", max)):
        group.add(
            Figure(
                f"private reply latency during a {BACKLOG}-message group backlog, {name}",
                pick(busy) * 1000,
                "ms",
                pick(quiet) * 1000,
                f"the same replies with no backlog ({name})",
                note=f"{len(busy)} replies; the group still had {waiting} waiting after them",
            )
        )
    minimum = MEMBERS / 30 / speed
    group.add(
        Figure(
            f"{MEMBERS} private shares during the backlog",
            seconds,
            "s",
            minimum,
            f"{MEMBERS} / 30 per s ({scale})",
            note=f"{reached} members reached; the group still had {still} waiting; the"
            f" costs job took {world.job_seconds:.2f} s before",
        )
    )
    return group
