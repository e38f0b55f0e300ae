"""Figure group 3: the scale of the store.

The commands `who`, `me`, `stats`, `whoknows`, `balance`, `fund` and `settle`, and the
monthly attendance
split of a 50-member space, timed through the full stack (dispatcher, handler, SQLite,
reply into the outbox) on the big store: 1,000 spaces, 50,000 members, 2,000,000
visits, 200,000 help requests, 36 months of charges (bench/dataset.py).

The baseline is the same measurement on a store of one space with exactly the same
data as each of the thousand (space 1 of the big store is that space): a ratio of 1
means the command does not notice the other 999 spaces; more is the cost of scale
(a missing index, a query over everyone). One tick of every scheduled job is timed
the same way, per space.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.dataset import MEMBERS, SKILLS, TODAY, Size, cached, counts
from bench.report import Figure, Group, percentile
from bench.world import BENCH_NOW, Options, Speaker, TimedTransport, person, start_app
from bot.app import App
from bot.events import ChatRef, Platform
from handlers.costs.jobs import make_charges, run_costs
from storage.costs import NewCost

COMMANDS = ("who", "me", "stats", "whoknows", "balance", "fund", "settle")
ADMIN_PRIVATE = ("balance", "fund", "settle")  # what the admin asks, privately
SPLIT = "attendance split"
MINUTE_JOBS = ("presence.closing", "skills.requests", "costs.tick", "web.presence")
NEW_DAY = "costs.tick, first of a day"


@dataclass(frozen=True)
class Budget:
    samples: int
    seconds: float  # at most, per command and store

    @classmethod
    def of(cls, quick: bool) -> Budget:
        return cls(60, 8.0) if quick else cls(200, 25.0)


class StoreUnderTest:
    """The App on a copy of a cached store (the cached file stays as it was made)."""

    def __init__(self, source: Path, work: Path, spaces: int) -> None:
        self.source = source
        self.directory = work
        self.spaces = spaces
        self.transport = TimedTransport()
        self.speaker = Speaker(f"x{spaces}-")
        self.rng = random.Random(spaces)
        self._app: App | None = None

    @property
    def app(self) -> App:
        assert self._app is not None
        return self._app

    async def start(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        shutil.copyfile(self.source, self.directory / "coworkbot.db")
        # No background tasks: the jobs are timed on their own, not behind the commands.
        self._app = await start_app(self.directory, self.transport, background=False)

    async def stop(self) -> None:
        if self._app is not None:
            await self._app.stop()

    def pick(self) -> tuple[int, int]:
        """A space and one of its ordinary active members (not the admin, not those who left)."""
        space = self.rng.randrange(1, self.spaces + 1)
        return space, (space - 1) * MEMBERS + 1 + self.rng.randrange(1, MEMBERS - 2)

    async def command(self, name: str) -> None:
        space, member = self.pick()
        user = person(f"u{member}", "")
        chat = ChatRef(Platform.MEMORY, f"g{space}", private=False)
        text = f"/{name}"
        if name == "whoknows":
            text += f" {self.rng.choice(SKILLS)}"
        elif name in ADMIN_PRIVATE:
            admin = (space - 1) * MEMBERS + 1
            user = person(f"u{admin}", "")
            chat = ChatRef(Platform.MEMORY, user.user_id, private=True)
        before = self.transport.count
        await self.transport.receive(self.speaker.message(text, user, chat))
        await self.app.outbox.flush()
        if self.transport.count == before:
            raise RuntimeError(f"{text} got no reply")

    async def attendance_split(self) -> None:
        """What the costs job does on a due date for an attendance-split cost."""
        space_id, _ = self.pick()
        async with self.app.store.transaction() as session:
            space = await session.spaces.get(space_id)
            assert space is not None
            ctx = self.app.rt.context(session, space)
            await session.costs.add(
                NewCost(
                    space_id,
                    "Bench heating",
                    45_000,
                    "EUR",
                    "monthly",
                    TODAY.day,
                    0,
                    None,
                    "attendance",
                    TODAY,
                    None,
                ),
                BENCH_NOW - timedelta(days=40),
            )
            await make_charges(ctx, TODAY)

    def work(self, name: str) -> Callable[[], Awaitable[None]]:
        """The measured unit of work called `name` (a command, or the split)."""
        if name == SPLIT:
            return self.attendance_split

        async def command() -> None:
            await self.command(name)

        return command

    async def ticks(self) -> dict[str, float]:
        """Seconds for one tick of each every-minute job over every space."""
        jobs = {job.id: job for job in self.app.registry.jobs}
        out: dict[str, float] = {}
        for job_id in MINUTE_JOBS:
            begin = time.perf_counter()
            await self.app.scheduler.run_one(jobs[job_id])
            out[job_id] = time.perf_counter() - begin
        return out

    async def new_day(self, sample: int) -> float:
        """Mean seconds of the costs job's first tick of a day (when reminders and debts
        are looked at) for one space, over a sample of spaces: what the job does for
        each space, as `each_space` does it. The first run only warms up."""
        total = 0.0
        spaces = [self.rng.randrange(1, self.spaces + 1) for _ in range(sample + 1)]
        for index, space_id in enumerate(spaces):
            async with self.app.store.transaction() as session:
                await session.kv.delete(f"costs.day_done:{space_id}")
            begin = time.perf_counter()
            async with self.app.store.transaction() as session:
                space = await session.spaces.get(space_id)
                assert space is not None
                await run_costs(self.app.rt.context(session, space))
            if index:
                total += time.perf_counter() - begin
        return total / sample


async def paired(
    big: Callable[[], Awaitable[None]], small: Callable[[], Awaitable[None]], budget: Budget
) -> tuple[list[float], list[float]]:
    """Samples of the same work on the big store, then at once on the small one, each
    warmed up first (its pages come back from the disk).

    One after the other, not in turn: alternating the two databases sample by sample
    made the big store about 1 ms slower and the small one about 1 ms faster per
    command than either is alone (400 `me` in a row: 2.65 vs 2.69 ms), a figure of
    the benchmark, not of the bot.
    """
    out: tuple[list[float], list[float]] = ([], [])
    for work, samples in ((big, out[0]), (small, out[1])):
        begin = time.perf_counter()
        await work()
        if time.perf_counter() - begin < 0.5:
            await work()
        start = time.perf_counter()
        while len(samples) < budget.samples and (
            len(samples) < 5 or time.perf_counter() - start < budget.seconds
        ):
            begin = time.perf_counter()
            await work()
            samples.append(time.perf_counter() - begin)
    return out


def megabytes(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return total / 2**20


@dataclass
class Measured:
    samples: dict[str, list[float]]
    ticks: dict[str, float]


async def measure(
    stores: tuple[StoreUnderTest, StoreUnderTest], budget: Budget
) -> tuple[Measured, Measured]:
    big, small = stores
    out = Measured({}, {}), Measured({}, {})
    # The jobs first: the attendance splits below add a cost and a charge each time,
    # to the one space of the small store far more often than to any of the big one's.
    for store, measured in zip(stores, out, strict=True):
        measured.ticks = await store.ticks()
        measured.ticks[NEW_DAY] = await store.new_day(5 if budget.samples < 100 else 10)
    for name in (*COMMANDS, SPLIT):
        out[0].samples[name], out[1].samples[name] = await paired(
            big.work(name), small.work(name), budget
        )
    return out


async def run(options: Options) -> Group:
    group = Group("scale", "3. Scale of the store")
    big_size = Size(100 if options.quick else 1000)
    budget = Budget.of(options.quick)
    stores: dict[int, Path] = {}
    for size in (Size(1), big_size):
        path, made = await cached(options.data_dir, size)
        stores[size.spaces] = path
        if made is not None:
            group.note(f"generated {size.label} in {made:.0f} s → {path.name}")
    n = counts(stores[big_size.spaces])
    group.note(
        "big store: "
        + ", ".join(f"{count:,} {table}" for table, count in n.items())
        + "; baseline store: 1 space with the same data as each of them"
    )
    work = options.data_dir / "scale"
    under = (
        StoreUnderTest(stores[big_size.spaces], work / "big", big_size.spaces),
        StoreUnderTest(stores[1], work / "small", 1),
    )
    try:
        for store in under:
            await store.start()
        measured = await measure(under, budget)
    finally:
        for store in under:
            await store.stop()
    big, small = measured[0].samples, measured[1].samples
    big_tick, small_tick = measured[0].ticks, measured[1].ticks
    for name in (*COMMANDS, SPLIT):
        group.add(
            Figure(
                f"p99 {name}",
                percentile(big[name], 99) * 1000,
                "ms",
                percentile(small[name], 99) * 1000,
                "same space in a 1-space store",
                note=f"p50 {percentile(big[name], 50) * 1000:.1f} ms vs "
                f"{percentile(small[name], 50) * 1000:.1f} ms, {len(big[name])} samples",
            )
        )
    minute = sum(big_tick[j] for j in MINUTE_JOBS)
    group.add(
        Figure(
            "every-minute jobs, one tick, per space",
            minute / big_size.spaces * 1000,
            "ms",
            sum(small_tick[j] for j in MINUTE_JOBS) * 1000,
            "1-space store",
            note=f"{minute:.1f} s for all {big_size.spaces} spaces, every minute ("
            + ", ".join(f"{j} {big_tick[j]:.1f} s" for j in MINUTE_JOBS)
            + ")",
        )
    )
    group.add(
        Figure(
            "costs job, first tick of a day, per space",
            big_tick[NEW_DAY] * 1000,
            "ms",
            small_tick[NEW_DAY] * 1000,
            "1-space store",
            note=f"mean of a sample of spaces; × {big_size.spaces} = "
            f"{big_tick[NEW_DAY] * big_size.spaces:.0f} s a day",
        )
    )
    size_mb = megabytes(stores[big_size.spaces])
    small_mb = megabytes(stores[1])
    group.add(
        Figure(
            "database size on disk",
            size_mb,
            "MiB",
            small_mb * big_size.spaces,
            f"{big_size.spaces} × the 1-space store",
            note=f"{size_mb * 2**20 / (big_size.spaces * MEMBERS) / 1024:.1f} KiB per member",
        )
    )
    shutil.rmtree(work, ignore_errors=True)
    return group
