"""Figure group 1: command throughput and latency through the full stack.

`checkin`/`checkout` pairs from 200 members of 20 spaces go memory transport →
dispatcher → handler → SQLite (WAL, `synchronous=FULL`) with the reply in the outbox,
and the outbox sender running in the background hands each reply to the transport.

Baselines, measured in the same run on the same disk:
- raw `sqlite3`: one durable insert per transaction, the physical limit for one write
  per command;
- a minimal python-telegram-bot bot: `Application.process_update` with a
  `CommandHandler` doing that same insert with aiosqlite.

The peak rounds run again in a process of their own pinned to one core
(`python -m bench.throughput --pinned-child DIR`, under `taskset -c 0`).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import astuple, dataclass
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
    quiet,
    start_app,
)
from bot.app import App
from bot.events import ChatRef, IncomingMessage, UserRef

SPACES = 20
PER_SPACE = 10  # the space's admin and nine members: 200 people in all
TABLE = "CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, member TEXT, at TEXT)"
INSERT = "INSERT INTO visits (member, at) VALUES (?, ?)"
# Updates handed over together at the peak: what one getUpdates answer holds at most,
# and what it holds whenever commands queue up faster than the bot takes them.
FEED = 100


@dataclass(frozen=True)
class Sizes:
    raw: int  # raw inserts
    peak: int  # commands at the maximum rate
    load: int  # commands at half of it
    cap: float  # seconds at most for one phase

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        return cls(1500, 2400, 1500, 20.0) if quick else cls(10000, 10000, 5000, 60.0)


@dataclass(frozen=True, order=True)
class Peak:
    """One closed-loop round: commands/s (replies delivered), commands/s committed, and
    the process's CPU seconds per command (all its threads: the loop's and SQLite's), a
    figure other work on the machine moves far less than the rates."""

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


class RawSqlite:
    """Durable single-row transactions: WAL, synchronous=FULL, as the bot opens it.

    One connection for every round, warmed up first, as the bot's and the PTB baseline's
    are: on a fresh file each commit also grows the WAL file (a costlier flush), which
    made this limit look lower than it is.
    """

    WARM_UP = 1200  # past the WAL's first automatic checkpoint (1,000 pages)

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(TABLE)
        self.stamp = datetime.now(UTC).isoformat()
        self.rate(self.WARM_UP, 60.0)

    def rate(self, count: int, cap: float) -> float:
        start = time.perf_counter()
        done = 0
        while done < count and time.perf_counter() - start < cap:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(INSERT, (f"m{done % 200}", self.stamp))
            self.conn.execute("COMMIT")
            done += 1
        return done / (time.perf_counter() - start)

    def close(self) -> None:
        self.conn.close()


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

    async def peak(self, count: int, cap: float, feed: int = FEED) -> Peak:
        """Commands as a polling transport feeds them when they queue up (`feed` at a
        time, the next batch once the last is stored), until every reply was delivered."""
        messages = self.workload(count)
        batches = [messages[i : i + feed] for i in range(0, count, feed)]
        before = self.transport.count
        cpu = time.process_time()

        async def send(i: int) -> None:
            await self.transport.receive_many(batches[i])

        fed, committed = await closed_loop(send, len(batches), cap)
        done = sum(len(b) for b in batches[:fed])
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

        self.app.store.db.trace(trace)
        messages = self.workload(count)
        before = self.transport.count
        for i in range(0, count, FEED):
            await self.transport.receive_many(messages[i : i + FEED])
        await self.transport.wait_count(before + count)
        await asyncio.sleep(0.2)  # let the outbox loop's last bookkeeping finish
        self.app.store.db.trace(None)
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

    def __init__(self, data_dir: Path, name: str = "ptb") -> None:
        self.path = data_dir / f"{name}.db"
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


# -- the rounds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Peaks:
    """The closed-loop rounds of the three, taken in turns."""

    raws: list[float]
    bots: list[Peak]
    ptbs: list[Peak]

    def shown(self) -> str:
        return (
            f"raw sqlite3 {max(self.raws):.0f} ({', '.join(f'{r:.0f}' for r in self.raws)}); "
            f"bot {max(self.bots).rate:.0f} ({', '.join(f'{b.rate:.0f}' for b in self.bots)}); "
            f"minimal PTB {max(self.ptbs).rate:.0f} "
            f"({', '.join(f'{b.rate:.0f}' for b in self.ptbs)})"
        )


async def peak_rounds(
    work: Path, bot: BotUnderLoad, ptb: MinimalPtbBot, sizes: Sizes, rounds: int
) -> Peaks:
    """The three rates in alternating rounds. Other work on a shared machine only ever
    slows a round down, and taking turns makes a busy moment fall on all three alike:
    the best round of each is the one to compare."""
    peaks = Peaks([], [], [])
    raw = RawSqlite(work / f"raw-{os.getpid()}.db")
    try:
        for _ in range(rounds):
            peaks.raws.append(raw.rate(sizes.raw // rounds, sizes.cap / rounds))
            peaks.bots.append(await bot.peak(sizes.peak // rounds, sizes.cap / rounds))
            peaks.ptbs.append(await ptb.peak(sizes.peak // rounds, sizes.cap / rounds))
    finally:
        raw.close()
    return peaks


async def load_rounds(
    bot: BotUnderLoad, ptb: MinimalPtbBot, sizes: Sizes, rounds: int, rates: tuple[float, float]
) -> tuple[list[Load], list[Load]]:
    """Each at half its own best rate, in turns, `rounds` times."""
    bots: list[Load] = []
    ptbs: list[Load] = []
    for _ in range(rounds):
        bots.append(await bot.under_load(sizes.load // rounds, rates[0]))
        ptbs.append(await ptb.under_load(sizes.load // rounds, rates[1]))
    return bots, ptbs


def least(loads: list[Load], p: float, reply: bool = True) -> float:
    """The lowest p-th percentile of the rounds, in ms (the quietest round's)."""
    return min(ms(percentile(x.reply if reply else x.commit, p)) for x in loads)


# -- one core ----------------------------------------------------------------------------

PINNED_CORE = 0
REPO = Path(__file__).resolve().parent.parent


async def pinned_child(work: Path, quick: bool) -> None:
    """In a process pinned to one core: the peak rounds, printed as JSON for the parent."""
    import json

    quiet()
    sizes = Sizes.of(quick)
    rounds = ROUNDS_QUICK if quick else ROUNDS
    bot = BotUnderLoad(work / "bot-pinned")
    ptb = MinimalPtbBot(work, name="ptb-pinned")
    await bot.start()
    await ptb.start()
    try:
        peaks = await peak_rounds(work, bot, ptb, sizes, rounds)
    finally:
        await bot.stop()
        await ptb.stop()
    print(
        json.dumps(
            {
                "raws": peaks.raws,
                "bots": [list(astuple(b)) for b in peaks.bots],
                "ptbs": [list(astuple(b)) for b in peaks.ptbs],
            }
        )
    )


async def pinned(work: Path, quick: bool) -> Peaks:
    """The peak rounds again in a process of their own on one core, as on a small board:
    started under `taskset -c 0` (or pinned by `sched_setaffinity`, which taskset calls,
    where taskset is missing) before it starts any thread."""
    import json

    command = [sys.executable, "-m", "bench.throughput", "--pinned-child", str(work)]
    if quick:
        command.append("--quick")
    taskset = shutil.which("taskset")
    if taskset:
        command = [taskset, "-c", str(PINNED_CORE), *command]
    else:
        command.append("--pin-self")
    proc = await asyncio.create_subprocess_exec(*command, cwd=REPO, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the pinned run failed ({proc.returncode})")
    data = json.loads(out.decode().strip().splitlines()[-1])
    return Peaks(
        data["raws"],
        [Peak(*b) for b in data["bots"]],
        [Peak(*b) for b in data["ptbs"]],
    )


# -- the group -----------------------------------------------------------------------------

ROUNDS = 5
ROUNDS_QUICK = 3
LOAD_ROUNDS = 5
LOAD_ROUNDS_QUICK = 3


def ms(seconds: float) -> float:
    return seconds * 1000


async def run(options: Options) -> Group:
    group = Group("throughput", "1. Command throughput and latency (full stack)")
    sizes = Sizes.of(options.quick)
    work = options.data_dir / "throughput"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    rounds = ROUNDS_QUICK if options.quick else ROUNDS
    load_rounds_n = LOAD_ROUNDS_QUICK if options.quick else LOAD_ROUNDS
    bot = BotUnderLoad(work / "bot")
    ptb = MinimalPtbBot(work)
    await bot.start()
    await ptb.start()
    try:
        peaks = await peak_rounds(work, bot, ptb, sizes, rounds)
        raw = max(peaks.raws)
        best, ptb_best = max(peaks.bots), max(peaks.ptbs)
        delivered, ptb_peak = best.rate, ptb_best.rate
        bot_cpu = min(b.cpu for b in peaks.bots)
        ptb_cpu = min(b.cpu for b in peaks.ptbs)
        group.note(
            f"closed loop, best of {rounds} alternating rounds (commands/s): {peaks.shown()}; "
            f"the bot fed {FEED} updates at a time as a getUpdates answer brings them "
            f"when they queue up; {best.committed:.0f}/s committed in its best round"
        )
        single = await bot.peak(max(FEED, sizes.peak // (2 * rounds)), sizes.cap / rounds, feed=1)
        group.note(
            f"the bot fed one update at a time (nothing to share a commit with): "
            f"{single.rate:.0f} commands/s, {ms(single.cpu):.3f} ms CPU per command"
        )
        bot_loads, ptb_loads = await load_rounds(
            bot, ptb, sizes, load_rounds_n, (delivered / 2, ptb_peak / 2)
        )
        statements, transactions = await bot.per_command(400)
        group.note(
            f"bot per command, fed {FEED} at a time: {statements:.1f} SQL statements, "
            f"{transactions:.3f} transactions (command + outbox delivery)"
        )
    finally:
        await bot.stop()
        await ptb.stop()
    one_core = await pinned(work, options.quick)
    group.note(f"pinned to core {PINNED_CORE}, best of {rounds} rounds: {one_core.shown()}")

    group.add(
        Figure(
            "commands/s, replies delivered, vs minimal PTB",
            delivered,
            "cmd/s",
            ptb_peak,
            "PTB CommandHandler + aiosqlite insert",
            better="higher",
            goal=1.0,
        )
    )
    group.add(
        Figure(
            "commands/s, replies delivered, vs raw sqlite3",
            delivered,
            "cmd/s",
            raw,
            "raw sqlite3, one insert per transaction",
            better="higher",
            goal=0.5,
        )
    )
    group.add(
        Figure(
            "CPU per command (process, all threads)",
            bot_cpu * 1000,
            "ms",
            ptb_cpu * 1000,
            "minimal PTB",
            note="least of the rounds",
            goal=3.0,
        )
    )
    bot_p99, ptb_p99 = least(bot_loads, 99), least(ptb_loads, 99, reply=False)
    group.add(
        Figure(
            "p99 latency to reply at 50% load",
            bot_p99,
            "ms",
            ptb_p99,
            "minimal PTB at 50% of its own max",
            note=(
                f"commit only: {least(bot_loads, 99, reply=False):.1f} ms; "
                f"least of {load_rounds_n} rounds"
            ),
            goal=2.0,
        )
    )
    group.add(
        Figure(
            "p50 latency to reply at 50% load",
            least(bot_loads, 50),
            "ms",
            least(ptb_loads, 50, reply=False),
            "minimal PTB at 50% of its own max",
            note=f"commit only: {least(bot_loads, 50, reply=False):.1f} ms",
        )
    )
    group.add(
        Figure(
            f"commands/s on one core (taskset -c {PINNED_CORE}), vs minimal PTB",
            max(one_core.bots).rate,
            "cmd/s",
            max(one_core.ptbs).rate,
            "minimal PTB on the same core",
            better="higher",
            note=f"CPU per command {ms(min(b.cpu for b in one_core.bots)):.3f} ms",
        )
    )
    rounds_shown = "; ".join(
        f"bot {b.offered:.0f}/s → p99 {ms(percentile(b.reply, 99)):.1f} ms, "
        f"PTB {p.offered:.0f}/s → p99 {ms(percentile(p.commit, 99)):.1f} ms"
        for b, p in zip(bot_loads, ptb_loads, strict=True)
    )
    group.note(
        f"50% load (Poisson arrivals, each command in its own task), round by round: {rounds_shown}"
    )
    return group


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.throughput --pinned-child DIR [--quick] [--pin-self]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.throughput")
    parser.add_argument("--pinned-child", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pin-self", action="store_true")
    args = parser.parse_args(argv)
    if args.pin_self:
        os.sched_setaffinity(0, {PINNED_CORE})
    asyncio.run(pinned_child(args.pinned_child, args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
