"""Staying inside Telegram's sending limits, so that 429s are the exception.

Telegram allows about 30 messages per second in all, one per second in a private chat
and 20 per minute in a group. A `Window` admits at most `count` sends in any `period`,
and a send occupies its place from the moment it starts until `period` after its
answer came back. The server saw the request somewhere between those two moments, so
the server's own sliding window can never count more than `count`, whatever the
network's latency: correctness costs one round trip per window, not a safety margin.

A 429 that still happens (someone else sends with the same token, or Telegram's limits
are tighter than published) pauses every send for the `retry_after` it names.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

Now = Callable[[], float]


@dataclass(frozen=True)
class Rate:
    count: int
    period: float  # seconds


@dataclass(frozen=True)
class RateLimits:
    overall: Rate = Rate(30, 1.0)
    private_chat: Rate = Rate(1, 1.0)
    group: Rate = Rate(20, 60.0)

    def faster(self, factor: float) -> RateLimits:
        """The same counts over periods `factor` times shorter (tests and benchmarks)."""
        return RateLimits(
            Rate(self.overall.count, self.overall.period / factor),
            Rate(self.private_chat.count, self.private_chat.period / factor),
            Rate(self.group.count, self.group.period / factor),
        )


TELEGRAM_LIMITS = RateLimits()


class Window:
    """At most `rate.count` sends in flight or finished less than `rate.period` ago."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.in_flight = 0
        self.finished: deque[float] = deque()

    def wait(self, now: float) -> float | None:
        """Seconds until a place frees; 0 if one is free; None if only an answer frees one."""
        while self.finished and self.finished[0] <= now - self.rate.period:
            self.finished.popleft()
        if self.in_flight + len(self.finished) < self.rate.count:
            return 0.0
        if not self.finished:
            return None
        return self.finished[0] + self.rate.period - now

    def take(self) -> None:
        self.in_flight += 1

    def give_back(self, now: float) -> None:
        self.in_flight -= 1
        self.finished.append(now)

    def idle(self, now: float) -> bool:
        return self.in_flight == 0 and self.wait(now) == 0.0 and not self.finished


class SendLimiter:
    def __init__(self, limits: RateLimits = TELEGRAM_LIMITS, now: Now = time.monotonic) -> None:
        self.limits = limits
        self._now = now
        self._overall = Window(limits.overall)
        self._chats: dict[str, Window] = {}
        self._paused_until = 0.0
        # Resolved (and replaced) whenever a place frees. A future, not a Condition:
        # Python 3.11's `wait_for(condition.wait(), t)` can break the condition's lock
        # when the waiting task is cancelled as the timeout fires ("Lock is not
        # acquired"), and a task then waits forever to take the lock back. Nothing
        # here needs a lock: the windows change with no await in between.
        self._changed: asyncio.Future[None] | None = None

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def _chat(self, chat_id: str, private: bool) -> Window:
        window = self._chats.get(chat_id)
        if window is None:
            if len(self._chats) > 1000:
                self._forget_idle()
            rate = self.limits.private_chat if private else self.limits.group
            window = self._chats[chat_id] = Window(rate)
        return window

    def _forget_idle(self) -> None:
        now = self._now()
        for chat_id in [c for c, w in self._chats.items() if w.idle(now)]:
            del self._chats[chat_id]

    def _wait(self, chat: Window) -> float | None:
        now = self._now()
        waits = [chat.wait(now), self._overall.wait(now), max(0.0, self._paused_until - now)]
        if any(w is None for w in waits):
            timed = [w for w in waits if w]
            return max(timed) if timed else None
        return max(w for w in waits if w is not None)

    @asynccontextmanager
    async def slot(self, chat_id: str, private: bool) -> AsyncIterator[None]:
        """Hold a place for one send to `chat_id` for as long as the request lasts."""
        chat = self._chat(chat_id, private)
        while True:
            wait = self._wait(chat)
            if wait == 0.0:
                break
            if self._changed is None or self._changed.done():
                self._changed = asyncio.get_running_loop().create_future()
            with suppress(TimeoutError):
                # shield: a cancelled waiter leaves the others' future alone.
                await asyncio.wait_for(asyncio.shield(self._changed), wait)
        chat.take()
        self._overall.take()
        try:
            yield
        finally:
            now = self._now()
            chat.give_back(now)
            self._overall.give_back(now)
            if self._changed is not None and not self._changed.done():
                self._changed.set_result(None)
