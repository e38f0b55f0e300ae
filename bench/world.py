"""The pieces every figure group builds on: a clock that runs, a transport that times
what it is given, and the real App on it.

The App is the one `coworkbot run` builds (dispatcher, handlers, SQLite with
`synchronous=FULL`, the outbox sender and the scheduler running in the background);
only the platform is the memory transport, so the figures are the bot's, not a
network's.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import coworkbot
from bot.app import App
from bot.config import BotSection, Config
from bot.events import ChatRef, IncomingMessage, OutgoingMessage, Platform, UserRef
from bot.flood import FloodGuard
from bot.transports.memory import MemoryTransport

ROME = ZoneInfo("Europe/Rome")
# A Wednesday in November, mid-morning in Rome: no DST change, no month end.
BENCH_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ROME)


@dataclass(frozen=True)
class Options:
    """What `bench.run` passes to every group."""

    quick: bool
    data_dir: Path


class RunningClock:
    """Real time, but starting from a chosen instant: jobs and retries behave as in
    production while dates (month ends, due dates) stay the ones the data was made for."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


class TimedTransport(MemoryTransport):
    """A memory transport that remembers when each reply arrived, not the reply itself
    (a long run must not grow because the benchmark kept every message)."""

    def __init__(self, keep: bool = False, timing: bool = True) -> None:
        super().__init__()
        self.keep = keep
        self.timing = timing
        self.count = 0
        self.replied_at: dict[str, float] = {}
        self.changed = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> str:
        self.count += 1
        if self.keep:
            self.sent.append(message)
        if self.timing and message.reply_to:
            self.replied_at[message.reply_to] = time.perf_counter()
        self.changed.set()
        return f"memory-{self.count}"

    async def receive_many(self, messages: list[IncomingMessage]) -> None:
        """A batch of updates handed over together, as a getUpdates answer or a Matrix
        sync brings them: each in its own task, started in order; returns when all are
        stored (when a polling transport may confirm them)."""
        await asyncio.gather(*(self.receive(m) for m in messages))

    async def wait_count(self, count: int, patience: float = 120.0) -> None:
        """Until `count` messages were handed over in all (the outbox runs by itself)."""
        deadline = time.monotonic() + patience
        while self.count < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"only {self.count} of {count} messages delivered")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
            except TimeoutError:
                continue


def bench_config(data_dir: Path) -> Config:
    return Config(path=None, bot=BotSection(data_dir=data_dir, default_language="en"))


async def start_app(
    data_dir: Path,
    transport: MemoryTransport,
    *,
    clock: RunningClock | None = None,
    background: bool = True,
) -> App:
    """The real App on `transport`, with its outbox sender and scheduler running unless
    `background` is False.

    The flood guard (20 commands in 10 s per sender) is lifted: a benchmark's simulated
    members send far faster than people, and it is a guard for people, not a cost.
    """
    app = App(
        bench_config(data_dir),
        [transport],
        routers=coworkbot.routers(),
        clock=clock or RunningClock(BENCH_NOW),
        background=background,
    )
    await app.start()
    gc.freeze()  # as App.run does once started
    app.dispatcher.flood = FloodGuard(limit=10**9)
    return app


def group_chat(name: str) -> ChatRef:
    return ChatRef(Platform.MEMORY, name, private=False, title=name)


def person(user_id: str, name: str) -> UserRef:
    return UserRef(Platform.MEMORY, user_id, name, username=user_id, language="en")


class Speaker:
    """Makes incoming messages with unique update and message ids."""

    def __init__(self, prefix: str = "u") -> None:
        self.prefix = prefix
        self.next_id = 0

    def message(self, text: str, sender: UserRef, chat: ChatRef) -> IncomingMessage:
        self.next_id += 1
        ident = f"{self.prefix}{self.next_id}"
        return IncomingMessage(
            update_id=ident,
            chat=chat,
            sender=sender,
            text=text,
            timestamp=datetime.now(UTC),
            message_id=ident,
        )


def quiet() -> None:
    """Warnings only: the bot's INFO lines would drown the figures."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("httpx", "telegram", "nio", "apscheduler", "aiohttp", "bot", "handlers"):
        logging.getLogger(name).setLevel(logging.WARNING)
