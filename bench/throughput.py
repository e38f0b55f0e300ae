"""Figure group 1: command throughput and latency through the full stack.

`checkin`/`checkout` pairs from 200 members of 20 spaces go memory transport →
dispatcher → handler → SQLite (WAL, `synchronous=FULL`) with the reply in the outbox,
and the outbox sender running in the background hands each reply to the transport.

Baselines, measured in the same run on the same disk:
- raw `sqlite3`: one durable insert per transaction, the physical limit for one write
  per command;
- a minimal python-telegram-bot bot: `Application.process_update` with a
  `CommandHandler` doing that same insert with aiosqlite.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bench.report import Figure, Group, percentile
from bench.world import (
    Options,
    Speaker,
    TimedTransport,
    group_chat,
    person,
    start_app,
)
from bot.app import App
from bot.events import ChatRef, IncomingMessage, UserRef

SPACES = 20
PER_SPACE = 10  # the space's admin and nine members: 200 people in all
TABLE = "CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, member TEXT, at TEXT)"
INSERT = "INSERT INTO visits (member, at) VALUES (?, ?)"


@dataclass(frozen=True)
class Sizes:
    raw: int  # raw inserts
    peak: int  # commands at the maximum rate
    load: int  # commands at half of it
    cap: float  # seconds at most for one phase

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        return cls(800, 1200, 800, 20.0) if quick else cls(3000, 4000, 2400, 60.0)


@dataclass(frozen=True, order=True)
class Peak:
    """One closed-loop round: commands/s (replies delivered), commands/s committed, and
    the process's CPU seconds per command (both threads: the loop's and SQLite's), a
    figure other work on the machine barely moves."""

    rate: float
    committed: float
    cpu: float


@dataclass(frozen=True)
class Load:
    """What an open-loop run at a given rate measured."""

    offered: float  # commands per second asked for
    achieved: float
    commit: list[float]  # seconds from arrival to the command's commit
    reply: list[float]  # seconds from arrival to the reply handed to the transport


# -- raw sqlite3 -----------------------------------------------------------------------------


def raw_rate(path: Path, count: int, cap: float) -> float:
    """Durable single-row transactions per second: WAL, synchronous=FULL, as the bot opens it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(TABLE)
        stamp = datetime.now(UTC).isoformat()
        start = time.perf_counter()
        done = 0
        while done < count and time.perf_counter() - start < cap:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, (f"m{done % 200}", stamp))
            conn.execute("COMMIT")
            done += 1
        return done / (time.perf_counter() - start)
    finally:
        conn.close()


# -- the load shapes, for the bot and the baseline alike ----------------------------------------

Send = Callable[[int], Awaitable[None]]


async def closed_loop(send: Send, count: int, cap: float) -> tuple[int, float]:
    """One command after another, as a polling transport feeds them; (done, seconds)."""
    start = time.perf_counter()
    done = 0
    while done < count and time.perf_counter() - start < cap:
        await send(done)
        done += 1
    return done, time.perf_counter() - start


async def open_loop(
    send: Send, count: int, rate: float, seed: int = 9
) -> tuple[list[float], list[float]]:
    """Poisson arrivals at `rate`, each command in its own task as soon as it arrives.

    Returns each command's arrival time and the time its `send` returned (perf_counter).
    """
    rng = random.Random(seed)
    arrivals: list[float] = []
    finished = [0.0] * count
    at = time.perf_counter() + 0.05

    async def one(index: int) -> None:
        await send(index)
        finished[index] = time.perf_counter()

    tasks: list[asyncio.Task[None]] = []
    for index in range(count):
        at += rng.expovariate(rate)
        arrivals.append(at)
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    return arrivals, finished


# -- the bot ---------------------------------------------------------------------------------


class BotUnderLoad:
    """The App on a timing transport, with 20 spaces of 10 members made by commands."""

    def __init__(self, data_dir: Path, *, timing: bool = True) -> None:
        self.data_dir = data_dir
        self.transport = TimedTransport(timing=timing)
        self.speaker = Speaker("b")
        self.people: list[tuple[UserRef, ChatRef]] = []
        self._app: App | None = None
        self.rounds = 0

    @property
    def app(self) -> App:
        assert self._app is not None
        return self._app

    async def start(self) -> None:
        self._app = await start_app(self.data_dir, self.transport)
        for s in range(SPACES):
            chat = group_chat(f"g{s}")
            admin = person(f"s{s}m0", f"Admin {s}")
            self.transport.chat_admins.add((chat.chat_id, admin.user_id))
            await self.say(f"/setup Space {s}", admin, chat)
            await self.say("/set join open", admin, chat)
            self.people.append((admin, chat))
            for j in range(1, PER_SPACE):
                user = person(f"s{s}m{j}", f"Member {s}-{j}")
                await self.say("/join", user, chat)
                self.people.append((user, chat))
        await self.app.outbox.flush()
        members = await self.fetchval("SELECT COUNT(*) FROM members WHERE status = 'active'")
        assert members == SPACES * PER_SPACE, f"{members} members, not {SPACES * PER_SPACE}"

    async def say(self, text: str, user: UserRef, chat: ChatRef) -> None:
        await self.transport.receive(self.speaker.message(text, user, chat))

    async def fetchval(self, sql: str) -> Any:
        async with self.app.store.transaction() as session:
            return await session.tx.fetchval(sql)

    def workload(self, count: int) -> list[IncomingMessage]:
        """`count` commands: rounds of everyone checking in, then everyone checking out."""
        out: list[IncomingMessage] = []
        while len(out) < count:
            verb = "/checkin" if self.rounds % 2 == 0 else "/checkout"
            for user, chat in self.people:
                out.append(self.speaker.message(verb, user, chat))
            self.rounds += 1
        return out[:count]

    async def peak(self, count: int, cap: float) -> Peak:
        """Commands one after another, until every reply was delivered."""
        messages = self.workload(count)
        before = self.transport.count
        cpu = time.process_time()

        async def send(i: int) -> None:
            await self.transport.receive(messages[i])

        done, committed = await closed_loop(send, count, cap)
        start = time.perf_counter() - committed
        await self.transport.wait_count(before + done)
        cpu = time.process_time() - cpu
        last = max(self.transport.replied_at[m.message_id] for m in messages[:done])
        return Peak(done / (last - start), done / committed, cpu / done)

    async def under_load(self, count: int, rate: float) -> Load:
        messages = self.workload(count)
        before = self.transport.count

        async def send(i: int) -> None:
            await self.transport.receive(messages[i])

        arrivals, finished = await open_loop(send, count, rate)
        await self.transport.wait_count(before + count)
        replied = [self.transport.replied_at[m.message_id] for m in messages]
        span = finished[-1] - arrivals[0]
        return Load(
            offered=rate,
            achieved=count / span if span > 0 else 0.0,
            commit=[f - a for a, f in zip(arrivals, finished, strict=True)],
            reply=[r - a for a, r in zip(arrivals, replied, strict=True)],
        )

    async def per_command(self, count: int) -> tuple[float, float]:
        """(SQL statements, transactions) per command, with the outbox delivering too."""
        statements = 0
        transactions = 0

        def trace(sql: str) -> None:
            nonlocal statements, transactions
            if sql == "SELECT last_insert_rowid()":
                return  # aiosqlite's execute_insert reads the id in the same trip
            statements += 1
            if sql.startswith("BEGIN"):
                transactions += 1

        conn = self.app.store.db._conn  # the benchmark looks inside on purpose
        await conn.set_trace_callback(trace)
        messages = self.workload(count)
        before = self.transport.count
        for msg in messages:
            await self.transport.receive(msg)
        await self.transport.wait_count(before + count)
        await asyncio.sleep(0.2)  # let the outbox loop's last bookkeeping finish
        await conn.set_trace_callback(None)  # type: ignore[arg-type]
        return statements / count, transactions / count

    async def stop(self) -> None:
        if self._app is not None:
            await self._app.stop()


# -- the minimal python-telegram-bot bot ------------------------------------------------------


class MinimalPtbBot:
    """`Application.process_update` + one `CommandHandler` doing one durable insert.

    `initialize()` asks getMe of the fake Bot API server; nothing else touches the
    network. Updates are built before the clock starts, as the bot's messages are.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "ptb.db"
        self.updates: list[Any] = []
        self._server: Any = None
        self._app: Any = None
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._next = 0

    async def start(self) -> None:
        from telegram.ext import ApplicationBuilder, CommandHandler

        from tests.support.fake_telegram import FakeTelegram

        self._server = FakeTelegram()
        await self._server.start()
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=FULL")
        await self._db.execute(TABLE)
        self._app = (
            ApplicationBuilder()
            .token(self._server.token)
            .base_url(f"{self._server.base_url}/bot")
            .updater(None)
            .build()
        )
        self._app.add_handler(CommandHandler(["checkin", "checkout"], self._command))
        await self._app.initialize()

    async def _command(self, update: Any, context: Any) -> None:
        assert self._db is not None
        async with self._lock:  # one connection: transactions one at a time, as the bot's
            await self._db.execute("BEGIN IMMEDIATE")
            await self._db.execute(INSERT, (str(update.effective_user.id), update.message.text))
            await self._db.execute("COMMIT")

    def workload(self, count: int) -> list[Any]:
        from telegram import Update

        out = []
        for _ in range(count):
            self._next += 1
            n = self._next
            member = n % (SPACES * PER_SPACE)
            verb = "/checkin" if (n // (SPACES * PER_SPACE)) % 2 == 0 else "/checkout"
            payload = {
                "update_id": n,
                "message": {
                    "message_id": n,
                    "date": int(time.time()),
                    "chat": {
                        "id": -1001000000000 - member // PER_SPACE,
                        "type": "supergroup",
                        "title": "Space",
                    },
                    "from": {"id": 600000 + member, "is_bot": False, "first_name": "M"},
                    "text": verb,
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(verb)}],
                },
            }
            out.append(Update.de_json(payload, self._app.bot))
        return out

    async def peak(self, count: int, cap: float) -> Peak:
        updates = self.workload(count)
        cpu = time.process_time()

        async def send(i: int) -> None:
            await self._app.process_update(updates[i])

        done, seconds = await closed_loop(send, count, cap)
        cpu = time.process_time() - cpu
        return Peak(done / seconds, done / seconds, cpu / done)

    async def under_load(self, count: int, rate: float) -> Load:
        updates = self.workload(count)

        async def send(i: int) -> None:
            await self._app.process_update(updates[i])

        arrivals, finished = await open_loop(send, count, rate)
        latencies = [f - a for a, f in zip(arrivals, finished, strict=True)]
        span = finished[-1] - arrivals[0]
        return Load(rate, count / span if span > 0 else 0.0, latencies, latencies)

    async def stop(self) -> None:
        if self._app is not None:
            await self._app.shutdown()
        if self._db is not None:
            await self._db.close()
        if self._server is not None:
            await self._server.close()


# -- the group -----------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return seconds * 1000


async def run(options: Options) -> Group:
    group = Group("throughput", "1. Command throughput and latency (full stack)")
    sizes = Sizes.of(options.quick)
    work = options.data_dir / "throughput"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    # The three rates are measured in alternating rounds and the best round of each is
    # kept: other work on a shared machine only ever slows a round down, and taking
    # turns makes a busy minute fall on all three alike.
    rounds = 2 if options.quick else 3
    bot = BotUnderLoad(work / "bot")
    ptb = MinimalPtbBot(work)
    await bot.start()
    await ptb.start()
    try:
        raws: list[float] = []
        bots: list[Peak] = []
        ptbs: list[Peak] = []
        for n in range(rounds):
            raws.append(raw_rate(work / f"raw{n}.db", sizes.raw // rounds, sizes.cap / rounds))
            bots.append(await bot.peak(sizes.peak // rounds, sizes.cap / rounds))
            ptbs.append(await ptb.peak(sizes.peak // rounds, sizes.cap / rounds))
        raw = max(raws)
        best, ptb_best = max(bots), max(ptbs)
        delivered, ptb_peak = best.rate, ptb_best.rate
        bot_cpu, ptb_cpu = min(b.cpu for b in bots), min(b.cpu for b in ptbs)
        group.note(
            f"best of {rounds} alternating rounds: raw sqlite3 {raw:.0f} durable one-row "
            f"transactions/s on {work} ({', '.join(f'{r:.0f}' for r in raws)}); "
            f"bot {delivered:.0f} commands/s with every reply delivered, "
            f"{best.committed:.0f}/s committed ({', '.join(f'{b.rate:.0f}' for b in bots)}); "
            f"minimal PTB bot {ptb_peak:.0f}/s ({', '.join(f'{b.rate:.0f}' for b in ptbs)})"
        )
        bot_load = await bot.under_load(sizes.load, delivered / 2)
        ptb_load = await ptb.under_load(sizes.load, ptb_peak / 2)
        statements, transactions = await bot.per_command(400)
        group.note(
            f"bot per command: {statements:.1f} SQL statements, {transactions:.2f} transactions"
            " (command + outbox delivery)"
        )
    finally:
        await bot.stop()
        await ptb.stop()

    group.add(
        Figure(
            "commands/s, replies delivered",
            delivered,
            "cmd/s",
            raw,
            "raw sqlite3 durable inserts",
            better="higher",
        )
    )
    group.add(
        Figure(
            "commands/s vs minimal PTB",
            delivered,
            "cmd/s",
            ptb_peak,
            "PTB CommandHandler + aiosqlite insert",
            better="higher",
        )
    )
    group.add(
        Figure(
            "CPU per command (process, both threads)",
            bot_cpu * 1000,
            "ms",
            ptb_cpu * 1000,
            "minimal PTB",
            note="least of the rounds",
        )
    )
    for label, p in (("p50", 50.0), ("p99", 99.0)):
        group.add(
            Figure(
                f"{label} latency to reply at 50% load",
                ms(percentile(bot_load.reply, p)),
                "ms",
                ms(percentile(ptb_load.commit, p)),
                "minimal PTB at 50% of its own max",
                note=f"commit only: {ms(percentile(bot_load.commit, p)):.1f} ms",
            )
        )
    group.note(
        f"50% load: bot offered {bot_load.offered:.0f}/s, achieved {bot_load.achieved:.0f}/s; "
        f"PTB offered {ptb_load.offered:.0f}/s, achieved {ptb_load.achieved:.0f}/s "
        "(Poisson arrivals, each command in its own task)"
    )
    return group
