"""Flood control: a sender who sends too many commands is told once, then ignored a while."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal


@dataclass
class FloodGuard:
    """At most `limit` commands per `window` seconds per sender; others are not slowed.

    Kept in memory on purpose: it protects the bot's time now; after a restart everyone
    starts fresh, which costs nothing.
    """

    limit: int = 20
    window: float = 10.0
    now: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _warned: set[str] = field(default_factory=set)

    def check(self, who: str) -> Literal["ok", "warn", "drop"]:
        moment = self.now()
        if len(self._seen) > 1000:
            self.forget_idle()
        stamps = self._seen.setdefault(who, deque())
        while stamps and stamps[0] <= moment - self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(moment)
            self._warned.discard(who)
            return "ok"
        if who in self._warned:
            return "drop"
        self._warned.add(who)
        return "warn"

    def forget_idle(self) -> None:
        moment = self.now()
        for who in [w for w, s in self._seen.items() if not s or s[-1] <= moment - self.window]:
            del self._seen[who]
            self._warned.discard(who)
