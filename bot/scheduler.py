"""APScheduler wiring. Jobs only *tick*; what is due lives in the database.

Every job runs once at start (so anything missed while the bot was down happens now)
and then at its interval. A job decides from the clock and the stored state what to
do, and records what it did in the same transaction as its messages, so a tick that
comes twice, late, or after a crash does each thing exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.context import Runtime
from bot.registry import Job

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self, jobs: Sequence[Job], rt: Runtime, on_done: Callable[[], None] = lambda: None
    ) -> None:
        self.jobs = list(jobs)
        self.rt = rt
        self._on_done = on_done
        self._scheduler: AsyncIOScheduler | None = None

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

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None

    async def run_one(self, job: Job) -> None:
        try:
            await job.func(self.rt)
        except Exception:
            log.exception("job %s failed", job.id)
        finally:
            self._on_done()

    async def run_all(self) -> None:
        """Every job once, in order: what a tick does, callable from tests."""
        for job in self.jobs:
            await self.run_one(job)
