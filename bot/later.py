"""Work that must wait until a transaction has committed, done one item at a time.

A handler that has something slow to do (drawing a chart) reads what it needs in its
transaction and leaves the slow part here with `ctx.after_commit(work)`: the update's
transaction (and with it the database) is not held while the work runs, and the next
update is not kept waiting. The work opens its own transaction to queue its messages.
Items run in order, one at a time, so a burst of requests never runs many at once.
Work is kept in memory: if the bot stops before it ran, it is lost and the person asks
again; nothing that must happen exactly once belongs here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


class Later:
    def __init__(self, on_done: Callable[[], None] = lambda: None) -> None:
        self.on_done = on_done
        self._queue: asyncio.Queue[Work] | None = None
        self._worker: asyncio.Task[None] | None = None

    def submit(self, works: Iterable[Work]) -> None:
        for work in works:
            if self._queue is None:
                self._queue = asyncio.Queue()
            self._queue.put_nowait(work)
            if self._worker is None or self._worker.done():
                self._worker = asyncio.create_task(self._run(self._queue))

    async def _run(self, queue: asyncio.Queue[Work]) -> None:
        while True:
            work = await queue.get()
            try:
                await work()
            except Exception:
                log.exception("work after commit failed")
            finally:
                queue.task_done()
                self.on_done()

    async def idle(self) -> None:
        """Wait until everything submitted so far has run (tests, stopping)."""
        if self._queue is not None:
            await self._queue.join()

    async def stop(self, grace: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle(), grace)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
