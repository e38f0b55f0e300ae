"""Stopping always finishes, quietly: the console ended at once (`:help`, an empty pipe)
exits 0 with nothing on stderr, every time; a transaction cancelled on its way in leaves
no transaction open; the jobs running at the stop finish instead of being torn apart."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.scheduler import Scheduler
from bot.testing import BotHarness
from storage.db import Database
from tests.support.console import run_console

RUNS = 100


@pytest.mark.crash  # two hundred processes: a minute; `make test-fast` leaves it out
def test_the_console_ended_at_once_exits_quietly_a_hundred_times_in_a_row(
    tmp_path: Path,
) -> None:
    """Each run starts the jobs (they run at start) and stops while they may be in the
    middle of a transaction: the race that left a transaction open and hung the exit."""
    for run in range(RUNS):
        for script in (":help\n", ""):
            result = run_console(tmp_path, script, "run")
            assert (result.returncode, result.stderr) == (0, ""), f"run {run}, {script!r}"
            if script:
                assert ":private" in result.stdout  # the console's own help was printed


async def test_a_transaction_cancelled_while_its_begin_waits_leaves_none_open(
    tmp_path: Path,
) -> None:
    """The BEGIN that waits for another process's write lock waits in the database
    thread; cancelled meanwhile, it still runs there once the lock is free, and must be
    rolled back before the next transaction takes the connection."""
    db = await Database.open(tmp_path / "x.db")
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        entered = asyncio.Event()

        async def work() -> None:
            async with db.transaction() as tx:
                entered.set()
                await tx.execute("CREATE TABLE t (x INTEGER)")

        task = asyncio.create_task(work())
        await asyncio.sleep(0.2)  # its BEGIN waits in the database thread
        assert not entered.is_set()
        task.cancel()
        other.execute("COMMIT")  # the BEGIN gets the lock after all
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not entered.is_set()
        async with db.transaction() as tx:  # "within a transaction" if it stayed open
            assert await tx.fetchval("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'") == 0
    finally:
        other.close()
        await db.close()


async def test_stop_lets_a_running_job_finish_and_logs_no_error(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow(rt: object) -> None:
        async with bot.app.store.transaction() as session:
            started.set()
            await release.wait()
            await session.kv.set("slow", "done")
        finished.append("slow")

    job = bot.app.registry.jobs[0]
    scheduler = Scheduler([type(job)("slow", job.every, slow)], bot.app.rt)
    scheduler.start()
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(scheduler.stop(grace=10))
    await asyncio.sleep(0.05)
    assert not stopping.done()  # it waits for the job
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished == ["slow"]
    assert await bot.fetchval("SELECT value FROM kv WHERE key = 'slow'") == "done"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_job_past_the_grace_is_interrupted_without_a_traceback(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    started = asyncio.Event()

    async def stuck(rt: object) -> None:
        async with bot.app.store.transaction() as session:
            await session.kv.set("stuck", "half")
            started.set()
            await asyncio.Event().wait()

    job = bot.app.registry.jobs[0]
    scheduler = Scheduler([type(job)("stuck", job.every, stuck)], bot.app.rt)
    scheduler.start()
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.wait_for(scheduler.stop(grace=0.1), 10)
    assert await bot.fetchval("SELECT value FROM kv WHERE key = 'stuck'") is None  # rolled back
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("stuck still running at shutdown" in r.getMessage() for r in caplog.records)
