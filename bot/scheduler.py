"""APScheduler wiring. Jobs only *tick*; what is due lives in the database.

Every job runs once at start (so anything missed while the bot was down happens now)
and then at its interval. A job decides from the clock and the stored state what to
do, and records what it did in the same transaction as its messages, so a tick that
comes twice, late, or after a crash does each thing exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.context import Runtime
from bot.registry import Job

log = logging.getLogger(__name__)

# Seconds between two asks of a replica that does not run the ticks (see Scheduler).
STANDBY_WAIT = 2.0


class Scheduler:
    """With replicas, every replica has a scheduler, and only the one that holds the
    `scheduler` lease (storage/postgres.py) runs a tick: it asks before every job, so a
    replica that lost the lease stops at once. A standby asks for it every
    `STANDBY_WAIT` seconds; the one that takes it over runs every job once at once, as a
    start does (what the dead one left undone happens now). With one process (SQLite)
    the lease is always held."""

    def __init__(
        self, jobs: Sequence[Job], rt: Runtime, on_done: Callable[[], None] = lambda: None
    ) -> None:
        self.jobs = list(jobs)
        self.rt = rt
        self._on_done = on_done
        self._scheduler: AsyncIOScheduler | None = None
        self._running: dict[asyncio.Task[object], str] = {}
        self._stopping = False
        self.lease = rt.store.lease("scheduler")
        self._watcher: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        for job in self.jobs:
            self._scheduler.add_job(
                self.run_one,
                IntervalTrigger(seconds=job.every.total_seconds(), timezone=UTC),
                args=[job],
                id=job.id,
                name=job.id,
                replace_existing=True,
                next_run_time=datetime.now(UTC),
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
        self._scheduler.start()
        self._watcher = asyncio.create_task(self._watch(), name="scheduler-lease")

    async def _watch(self) -> None:
        """Take the ticks over when the replica that ran them is gone."""
        held = self.lease.held
        while True:
            await asyncio.sleep(STANDBY_WAIT)
            now_held = await self.lease.hold()
            if now_held and not held:
                await self.run_all()
            held = now_held

    async def stop(self, grace: float = 10.0) -> None:
        """No new runs; let the runs in progress finish (each is one transaction per
        space), then stop. A run still going after `grace` seconds is cancelled: its
        transaction rolls back and the next start does its work."""
        self._stopping = True
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.pause()
        running = dict(self._running)
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                log.warning("job %s still running at shutdown: interrupted", running[task])
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def release(self) -> None:
        """Let another replica run the ticks now (at a clean stop)."""
        await self.lease.release()

    async def run_one(self, job: Job) -> None:
        if self._stopping:
            return
        task = asyncio.current_task()
        if task is not None:
            self._running[task] = job.id
        try:
            if await self.lease.hold():  # else another replica runs the ticks
                await job.func(self.rt)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # Interrupted by stop(): said once above, and not a failure of the job.
        except Exception:
            log.exception("job %s failed", job.id)
        finally:
            if task is not None:
                self._running.pop(task, None)
            self._on_done()

    async def run_all(self) -> None:
        """Every job once, in order: what a tick does, callable from tests."""
        for job in self.jobs:
            await self.run_one(job)
