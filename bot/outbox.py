"""Delivering what handlers and jobs put in the outbox.

Rows are read in id order. Different chats are served side by side; the rows of one
chat go one after another, so replies keep their order. A row is marked sent only after
the platform accepted it; a transient failure is retried later with backoff (or after
the platform's own `retry_after`), and a permanent one is marked failed and reported to
`on_failed`: nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.events import Button, ChatRef, Document, OutgoingMessage, Platform
from bot.transports.base import DeliveryError, Transport
from storage import Session, Store, Unit
from storage.db import TaskLease
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

FailedHook = Callable[[OutboxRow, DeliveryError], Awaitable[None]]

MAX_BACKOFF = 300.0
BATCH = 200
IDLE_WAIT = 30.0
# How often a replica that does not send for a platform asks whether it may now (the
# sender it stood behind died): a takeover within a second or two.
STANDBY_WAIT = 1.0


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts + 1`: 1, 2, 4 … up to five minutes, with jitter."""
    base = min(MAX_BACKOFF, 2.0 ** min(attempts, 16))
    return base * random.uniform(0.8, 1.2)


def to_message(row: OutboxRow) -> OutgoingMessage:
    document = None
    if row.doc_name is not None and row.doc_content is not None:
        document = Document(row.doc_name, row.doc_content, row.doc_mime or "text/csv")
    return OutgoingMessage(
        chat=ChatRef(Platform(row.platform), row.chat_id, row.private),
        html=row.html,
        buttons=tuple(Button(label, command) for label, command in row.buttons),
        document=document,
        reply_to=row.reply_to,
        key=row.id,
    )


def _recording(sent: list[tuple[int, str]], now: datetime) -> Unit:
    """The unit of work that records rows as sent: (row id, delivery id) pairs."""

    async def work(session: Session) -> None:
        await session.outbox.mark_sent_many(sent, now)

    return Unit("outbox records", work)


class OutboxSender:
    def __init__(
        self,
        store: Store,
        transports: Mapping[str, Transport],
        clock: Clock,
        *,
        on_failed: FailedHook | None = None,
        concurrency: int = 8,
    ) -> None:
        self.store = store
        self.transports = dict(transports)
        self.clock = clock
        self.on_failed = on_failed
        self._limit = asyncio.Semaphore(concurrency)
        self._wake: dict[str, asyncio.Event] = {p: asyncio.Event() for p in self.transports}
        # One delivery pass per platform at a time, or the loop and a flush could both
        # pick the same pending row and send it twice.
        self._busy: dict[str, asyncio.Lock] = {p: asyncio.Lock() for p in self.transports}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        # Rows the platform accepted whose record is not committed yet: a pass that
        # reads them as still pending leaves them alone (see `_deliver`).
        self._unsettled: set[int] = set()
        self._marks: list[tuple[int, str]] = []  # (row id, delivery id) to record
        self._marking: asyncio.Task[None] | None = None
        self._recorded = asyncio.Event()  # set while nothing waits to be recorded
        self._recorded.set()
        self._record_failure: Exception | None = None
        # Platforms that may have a row waiting for a retry (all of them at start).
        self._retrying: set[str] = set(self.transports)
        self._failures = 0
        # One sender per platform among replicas: Telegram's 30 messages/s are per bot
        # token, so one sender keeps the limiter exact (storage/postgres.py, Lease). A
        # transport may hold a lease of its own for everything it does (Matrix: the
        # replica that syncs is the device, and sends): then the sender uses that one.
        self.leases: dict[str, TaskLease] = {p: store.lease(f"outbox.{p}") for p in self.transports}

    def wake(self) -> None:
        for event in self._wake.values():
            event.set()

    def start(self) -> None:
        for platform in self.transports:
            self._tasks.append(asyncio.create_task(self._loop(platform), name=f"outbox-{platform}"))

    def _lease(self, platform: str) -> TaskLease:
        own: TaskLease | None = getattr(self.transports[platform], "lease", None)
        return own if own is not None else self.leases[platform]

    async def listen(self) -> None:
        """Wake when another replica commits rows to send (PostgreSQL's NOTIFY)."""
        await self.store.listen("outbox", self._notified)

    def _notified(self, platform: str) -> None:
        event = self._wake.get(platform)
        if event is not None:
            event.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Deliver what can go out within `grace` seconds, then stop; the rest stays queued."""
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(self.flush(), grace)
        except TimeoutError:
            log.warning("outbox not empty at shutdown; the rest goes out at the next start")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for lease in self.leases.values():
            await lease.release()  # another replica sends from now on

    async def flush(self) -> int:
        """Deliver every row that is due now, on every platform; returns how many were sent
        once their records are committed (the error of one that failed is raised)."""
        total = 0
        for platform in self.transports:
            if not await self._lease(platform).hold():
                continue  # another replica sends for this platform
            while True:
                sent, remaining = await self._deliver_due(platform)
                total += sent
                if not remaining:
                    break
                if not sent:  # what it read is on its way: once recorded, read on
                    await self._settled()
        await self._settled()
        return total

    async def _loop(self, platform: str) -> None:
        wake = self._wake[platform]
        while not self._stopping:
            if not await self._lease(
                platform
            ).hold():  # before every batch: a lost lease stops us at once
                await asyncio.sleep(STANDBY_WAIT)
                continue
            # Cleared before the pass: a row committed while it runs wakes the next one.
            wake.clear()
            try:
                sent, more = await self._deliver_due(platform)
                if more and not sent:  # what it read is on its way: once recorded, read on
                    await self._settled()
                upcoming = None if more else await self._upcoming(platform)
            except Exception:
                log.exception("outbox loop error on %s; retrying shortly", platform)
                more, upcoming = False, None
            if more:
                continue  # a full batch went out: the next one is due already
            wait = IDLE_WAIT
            if upcoming is not None:
                wait = max(0.05, min(IDLE_WAIT, (upcoming - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)

    async def _upcoming(self, platform: str) -> datetime | None:
        """When the next retry of `platform` is due, if any.

        Only retries wait in the outbox with a time in the future (a new row is due at
        once and its commit wakes the loop), and only this sender schedules them, so
        the database is asked only when one may be waiting: at start, and after a
        failure. Asking after every pass cost a transaction per reply.
        """
        if platform not in self._retrying:
            return None
        failures = self._failures
        async with self.store.read() as session:
            upcoming = await session.outbox.next_attempt(platform)
        if upcoming is None and failures == self._failures:  # none scheduled meanwhile
            self._retrying.discard(platform)
        return upcoming

    async def _deliver_due(self, platform: str) -> tuple[int, bool]:
        """One batch: returns (rows sent, whether more may be due: the read was full, or
        it held rows sent already whose record is on its way)."""
        async with self._busy[platform]:
            return await self._deliver_batch(platform)

    async def _deliver_batch(self, platform: str) -> tuple[int, bool]:
        # Rows whose record is on its way now: their record may commit while we read
        # (the read awaits the database), and the read still find them pending. Taken
        # before the read, not after, or such a row would look new and go twice.
        unsettled = set(self._unsettled)
        # Read on the side: a reply committed a moment ago must not wait for the batch
        # of commands that took the database right after (storage/db.py, `read`).
        async with self.store.read() as session:
            rows = await session.outbox.due(platform, self.clock.now(), BATCH)
        read = len(rows)
        rows = [row for row in rows if row.id not in unsettled]
        if not rows:
            return 0, read > 0
        by_chat: dict[str, list[OutboxRow]] = {}
        for row in rows:
            by_chat.setdefault(row.chat_id, []).append(row)
        results = await asyncio.gather(*(self._deliver_chat(chat) for chat in by_chat.values()))
        return sum(results), read == BATCH and sum(results) > 0

    async def _deliver_chat(self, rows: list[OutboxRow]) -> int:
        sent = 0
        async with self._limit:
            for row in rows:
                if not await self._deliver(row):
                    break  # keep this chat's order: later rows wait for this one
                sent += 1
        return sent

    async def _deliver(self, row: OutboxRow) -> bool:
        """Send a row; once the platform accepted it, its record goes to be committed.

        The next row (of this chat, or of the next pass) goes without waiting for that
        record, a flush to disk that shares the next batch of commands' commit: a row
        whose record is on the way is known here and not sent again meanwhile, and a
        record that fails leaves its row pending, to go again (at least once, never
        lost; only a crash or such a failure sends a row twice).
        """
        transport = self.transports[row.platform]
        try:
            delivery_id = await transport.send(to_message(row))
        except DeliveryError as err:
            await self._failed(row, err)
            return False
        except Exception as exc:
            log.warning("sending outbox row %d failed: %r", row.id, exc)
            await self._failed(row, DeliveryError(repr(exc)))
            return False
        self._unsettled.add(row.id)
        self._marks.append((row.id, delivery_id))
        self._recorded.clear()
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._record(), name="outbox-records")
        return True

    async def _record(self) -> None:
        """Commit the records of accepted rows, all that are waiting at a time, in the
        store's group commit (with the commands' effects when they come together: a
        burst of replies costs no flush of its own)."""
        try:
            while self._marks:
                batch, self._marks = self._marks, []
                try:
                    await self._commit_marks(batch)
                except Exception as exc:  # the rows stay pending: they go again
                    log.warning("outbox: recording %d sent rows failed: %r", len(batch), exc)
                    self._record_failure = self._record_failure or exc
                self._unsettled.difference_update(row_id for row_id, _ in batch)
        except BaseException:
            self._marks.clear()
            self._unsettled.clear()
            raise
        finally:
            if not self._marks:
                self._recorded.set()

    async def _commit_marks(self, batch: list[tuple[int, str]]) -> None:
        """One SQLite file: in the group commit, first in line (until it commits, a
        crash would send these again), sharing the commands' flush. PostgreSQL: a blind
        transaction of its own, beside the commands' (marking rows by id decides
        nothing from what it reads, so it need not be SERIALIZABLE, nor make the
        commands' transactions conflict with it)."""
        unit = _recording(batch, self.clock.now())
        if self.store.engine == "sqlite":
            await self.store.group.run(unit, first=True)
        else:
            await self.store.run(unit.work, blind=True)

    async def _settled(self) -> None:
        """Until every record of a row sent so far is committed; raises the error of one
        that failed since the last call (its rows are pending again)."""
        await self._recorded.wait()
        failure, self._record_failure = self._record_failure, None
        if failure is not None:
            raise failure

    async def _failed(self, row: OutboxRow, err: DeliveryError) -> None:
        if err.permanent:
            log.warning("outbox row %d failed for good: %s", row.id, err.reason)
            await self.store.run(lambda session: session.outbox.mark_failed(row.id, err.reason))
            if self.on_failed is not None:
                try:
                    await self.on_failed(row, err)
                except Exception:
                    log.exception("on_failed hook broke for row %d", row.id)
            return
        self._retrying.add(row.platform)
        self._failures += 1
        delay = err.retry_after if err.retry_after is not None else backoff(row.attempts)
        # Stored times have whole seconds: round up, so a retry never comes early.
        retry_at = self.clock.now() + timedelta(seconds=math.ceil(delay) + 1)
        at = retry_at.replace(microsecond=0)
        await self.store.run(lambda session: session.outbox.mark_retry(row.id, at, err.reason))
