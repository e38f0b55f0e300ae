"""Delivering what handlers and jobs put in the outbox.

Every chat has its own lane: the rows of one chat go one after another, in id order,
so replies keep their order; different chats never wait for each other. A lane that
must wait for its chat's own limit (Telegram: 20 messages a minute in a group) waits
alone, holding nothing the others need, and the loop keeps reading new rows for every
other chat meanwhile: a private reply committed while a group is 150 messages behind
goes out at once.

When a chat is backlogged on a platform that limits how often a chat may be written to
(Telegram: its transport has `ready_in`), the rows waiting for it that say the same kind
of thing (check-ins, welcomes: their `merge_kind`) go out as one message, not a stream.

A row is marked sent only after the platform accepted it; a transient failure is
retried later with backoff (or after the platform's own `retry_after`), and a permanent
one is marked failed and reported to `on_failed`: nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from bot.clock import Clock
from bot.events import Button, ChatRef, Document, OutgoingMessage, Platform
from bot.transports.base import DeliveryError, Transport
from storage import Session, Store, Unit
from storage.db import TaskLease
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

FailedHook = Callable[[OutboxRow, DeliveryError], Awaitable[None]]
T = TypeVar("T")

MAX_BACKOFF = 300.0
BATCH = 200  # rows read at once, over every chat that is not busy
PER_CHAT = 50  # rows of one chat a lane takes at once
IDLE_WAIT = 30.0
MERGE_LIMIT = 3000  # characters of HTML in one merged message: one Telegram message
# How often a replica that does not send for a platform asks whether it may now (the
# sender it stood behind died): a takeover within a second or two.
STANDBY_WAIT = 1.0


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts + 1`: 1, 2, 4 … up to five minutes, with jitter."""
    base = min(MAX_BACKOFF, 2.0 ** min(attempts, 16))
    return base * random.uniform(0.8, 1.2)


def chat_of(row: OutboxRow) -> ChatRef:
    return ChatRef(Platform(row.platform), row.chat_id, row.private)


def to_message(row: OutboxRow) -> OutgoingMessage:
    document = None
    if row.doc_name is not None and row.doc_content is not None:
        document = Document(row.doc_name, row.doc_content, row.doc_mime or "text/csv")
    return OutgoingMessage(
        chat=chat_of(row),
        html=row.html,
        buttons=tuple(Button(label, command) for label, command in row.buttons),
        document=document,
        reply_to=row.reply_to,
        key=row.id,
        thread_id=row.thread_id,
    )


def mergeable(row: OutboxRow) -> bool:
    return row.merge_kind is not None and not row.buttons and row.doc_name is None


def merge_run(rows: Sequence[OutboxRow]) -> list[OutboxRow]:
    """The rows at the head of a chat's queue that go out as one message: the first
    row, and the rows after it of the same kind, to the same thread, that fit."""
    head = rows[0]
    run = [head]
    if not mergeable(head):
        return run
    size = len(head.html)
    for row in rows[1:]:
        size += len(row.html) + 1
        fits = size <= MERGE_LIMIT
        if not (fits and mergeable(row) and row.merge_kind == head.merge_kind):
            break
        if row.thread_id != head.thread_id:
            break
        run.append(row)
    return run


def merged_message(run: Sequence[OutboxRow]) -> OutgoingMessage:
    """One message for a run: a single row as it is; several as their lines, replying
    to none of them (one message cannot answer many)."""
    if len(run) == 1:
        return to_message(run[0])
    head = run[0]
    return OutgoingMessage(
        chat=chat_of(head),
        html="\n".join(row.html for row in run),
        key=head.id,
        thread_id=head.thread_id,
    )


def _recording(sent: list[tuple[int, str]], now: datetime) -> Unit:
    """The unit of work that records rows as sent: (row id, delivery id) pairs."""

    async def work(session: Session) -> None:
        await session.outbox.mark_sent_many(sent, now)

    return Unit("outbox records", work)


@dataclass
class _Platform:
    """One platform's delivery state: the chats with a lane, and the rows they hold."""

    wake: asyncio.Event = field(default_factory=asyncio.Event)
    reading: asyncio.Lock = field(default_factory=asyncio.Lock)
    lanes: dict[str, asyncio.Task[int]] = field(default_factory=dict)
    held: set[int] = field(default_factory=set)
    resuming: dict[str, float] = field(default_factory=dict)  # chat -> loop time it sends again


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
        # Sends in flight at once; a lane waiting for its chat's own limit holds no place.
        self._limit = asyncio.Semaphore(concurrency)
        self._platforms = {p: _Platform() for p in self.transports}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        # Rows the platform accepted whose record is not committed yet: a read that
        # finds them still pending leaves them alone (see `_deliver`).
        self._unsettled: set[int] = set()
        self._marks: list[tuple[int, str]] = []  # (row id, delivery id) to record
        self._marking: asyncio.Task[None] | None = None
        self._recorded = asyncio.Event()  # set while nothing waits to be recorded
        self._recorded.set()
        self._record_failure: Exception | None = None
        # Platforms that may have a row waiting for a retry (all of them at start).
        self._retrying: set[str] = set(self.transports)
        self._failures = 0
        self._sent = 0
        self._commits = 0  # wakes so far: a lane that ends after one may have rows waiting
        # One sender per platform among replicas: Telegram's 30 messages/s are per bot
        # token, so one sender keeps the limiter exact (storage/postgres.py, Lease). A
        # transport may hold a lease of its own for everything it does (Matrix: the
        # replica that syncs is the device, and sends): then the sender uses that one.
        self.leases: dict[str, TaskLease] = {p: store.lease(f"outbox.{p}") for p in self.transports}

    def wake(self) -> None:
        """Something was committed (a reply, a job's letters): read what is due."""
        self._commits += 1
        for state in self._platforms.values():
            state.wake.set()

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
        state = self._platforms.get(platform)
        if state is not None:
            state.wake.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Deliver what can go out within `grace` seconds, then stop; the rest stays queued.

        A lane still waiting for its chat's limit at the end of the grace is abandoned
        where it waits; a send in flight then may or may not have arrived, and its row
        stays pending: at the next start it goes again (at least once, never lost).
        Nothing is cut in the middle of a transaction (see `_db`).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        self._stopping = True
        self.wake()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        try:
            for platform in self.transports:
                state = self._platforms[platform]
                while loop.time() < deadline:
                    more = await self._read(platform)
                    if not state.lanes and more:
                        continue
                    if not state.lanes or all(
                        state.resuming.get(chat, 0.0) >= deadline for chat in state.lanes
                    ):
                        break  # nothing left that could go out before the deadline
                    await asyncio.wait(
                        list(state.lanes.values()),
                        timeout=max(0.0, deadline - loop.time()),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
        except Exception:
            log.exception("outbox: the last deliveries failed; what is left stays queued")
        lanes = [t for state in self._platforms.values() for t in state.lanes.values()]
        if lanes:
            log.warning("outbox not empty at shutdown; the rest goes out at the next start")
        for lane in lanes:
            lane.cancel()
        await asyncio.gather(*lanes, return_exceptions=True)
        # What went out is recorded before the store closes, or it would go again.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._recorded.wait(), max(1.0, deadline - loop.time()))
        for lease in self.leases.values():
            await lease.release()  # another replica sends from now on

    async def flush(self) -> int:
        """Deliver every row that is due now, on every platform; returns how many were sent
        once their records are committed (the error of a record that failed is raised).

        Lanes the background loop started are waited for too; an error a lane met is
        raised here (after every lane ended), as it would be in a direct delivery.
        """
        before = self._sent
        for platform in self.transports:
            if not await self._lease(platform).hold():
                continue  # another replica sends for this platform
            state = self._platforms[platform]
            while True:
                more = await self._read(platform)
                lanes = list(state.lanes.values())
                if not lanes:
                    if more:
                        continue
                    break
                try:
                    await asyncio.wait(lanes)
                except asyncio.CancelledError:
                    for lane in lanes:  # cancelled as a whole, as one gather would be
                        lane.cancel()
                    raise
                for lane in lanes:
                    error = None if lane.cancelled() else lane.exception()
                    if error is not None:
                        raise error
        await self._settled()
        return self._sent - before

    async def _db(self, work: Callable[[Session], Awaitable[T]]) -> T:
        """One transaction (run again if the database refused it for a conflict) that a
        cancelled lane (a stop past its grace) cannot cut in half: it runs to its end on
        its own, and the store closes only after it."""
        return await asyncio.shield(self.store.run(work))

    async def _reading(self, work: Callable[[Session], Awaitable[T]]) -> T:
        """A read on the side: a reply committed a moment ago must not wait for the batch
        of commands that took the database right after (storage/db.py, `read`)."""
        async with self.store.read() as session:
            return await work(session)

    # -- the loop: read what is due, hand it to the lanes -------------------------------

    async def _loop(self, platform: str) -> None:
        state = self._platforms[platform]
        while not self._stopping:
            if not await self._lease(platform).hold():  # before every read: a lost lease
                await asyncio.sleep(STANDBY_WAIT)  # stops us at once
                continue
            # Cleared before the read: a row committed meanwhile wakes the next one.
            state.wake.clear()
            try:
                more = await self._read(platform)
                upcoming = None if more else await self._upcoming(platform)
            except Exception:
                log.exception("outbox loop error on %s; retrying shortly", platform)
                more, upcoming = False, None
            if more:
                continue  # a full batch was handed out: more may be due already
            wait = IDLE_WAIT
            if upcoming is not None:
                wait = max(0.05, min(IDLE_WAIT, (upcoming - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.wake.wait(), wait)

    async def _read(self, platform: str) -> bool:
        """Start a lane for every chat with rows due and no lane yet; True if more rows
        may be due at once: the read was full, or a chat it left out as busy had its lane
        end meanwhile (its new rows were not read)."""
        state = self._platforms[platform]
        async with state.reading:
            busy = list(state.lanes)
            now = self.clock.now()
            # Commits from here on may hold rows this read misses: a lane that ends
            # after one asks for another read (see _lane_done).
            seen = self._commits
            # Rows whose record is on its way now: it may commit while we read and the
            # read still find them pending. Taken before the read, not after, or such a
            # row would look new and go twice.
            sent = list(self._unsettled)
            rows = await self._reading(
                lambda session: session.outbox.due(
                    platform, now, BATCH, exclude=busy, per_chat=PER_CHAT, skip=sent
                )
            )
            by_chat: dict[str, list[OutboxRow]] = {}
            for row in rows:
                # Not a row a lane holds (it moved to another chat meanwhile), nor one
                # sent whose record is on its way.
                if row.id not in state.held and row.id not in self._unsettled:
                    by_chat.setdefault(row.chat_id, []).append(row)
            for chat_id, chat_rows in by_chat.items():
                state.held.update(r.id for r in chat_rows)
                lane = asyncio.create_task(
                    self._lane(platform, chat_id, chat_rows), name=f"outbox-{platform}-lane"
                )
                state.lanes[chat_id] = lane
                lane.add_done_callback(functools.partial(self._lane_done, platform, chat_id, seen))
            freed = any(chat_id not in state.lanes for chat_id in busy)
            return freed or (len(rows) == BATCH and bool(by_chat))

    def _lane_done(
        self, platform: str, chat_id: str, commits: int, task: asyncio.Task[int]
    ) -> None:
        state = self._platforms[platform]
        if state.lanes.get(chat_id) is task:
            del state.lanes[chat_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox lane of %s failed", platform, exc_info=task.exception())
        if commits != self._commits:
            # Rows committed while the lane was busy were not read for its chat: read
            # now. (After none, nothing new can be due: a burst of 150 letters ending
            # costs no 150 reads.)
            state.wake.set()

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
        now = self.clock.now()
        upcoming = await self._reading(lambda session: session.outbox.next_attempt(platform, now))
        if upcoming is None and failures == self._failures:  # none scheduled meanwhile
            self._retrying.discard(platform)
        return upcoming

    # -- a lane: one chat's rows, in order ----------------------------------------------

    async def _lane(self, platform: str, chat_id: str, rows: list[OutboxRow]) -> int:
        state = self._platforms[platform]
        transport = self.transports[platform]
        ready_in: Callable[[ChatRef], float] | None = getattr(transport, "ready_in", None)
        sent = 0
        full = len(rows) == PER_CHAT
        try:
            while rows:
                wait = ready_in(chat_of(rows[0])) if ready_in is not None else 0.0
                if wait > 0:
                    # Waiting for this chat's own limit: alone, holding no place. What
                    # came for the chat meanwhile is read again after the wait, so a
                    # backlog of announcements goes out merged.
                    state.resuming[chat_id] = asyncio.get_running_loop().time() + wait
                    try:
                        await asyncio.sleep(wait)
                    finally:
                        state.resuming.pop(chat_id, None)
                    rows = await self._reread(platform, chat_id, rows)
                    full = len(rows) == PER_CHAT
                    if not rows:
                        break
                # Merged only where a platform limits how often a chat may be written
                # to (it says so with ready_in): there a queue is what makes a stream.
                run = merge_run(rows) if ready_in is not None else rows[:1]
                async with self._limit:
                    if not await self._deliver(run):
                        break  # keep this chat's order: later rows wait for this one
                sent += len(run)
                rows = rows[len(run) :]
                state.held.difference_update(r.id for r in run)
                if not rows and full:  # it was given all it could take: more may wait
                    rows = await self._reread(platform, chat_id, rows)
                    full = len(rows) == PER_CHAT
        finally:
            state.held.difference_update(r.id for r in rows)
        return sent

    async def _reread(self, platform: str, chat_id: str, held: list[OutboxRow]) -> list[OutboxRow]:
        """What waits for the chat now (the rows it held, and any that came since); none
        if this replica lost the platform's lease while the lane waited (the one that
        holds it now reads them)."""
        state = self._platforms[platform]
        state.held.difference_update(r.id for r in held)
        if not await self._lease(platform).hold():
            return []
        now = self.clock.now()
        sent = list(self._unsettled)
        found = await self._reading(
            lambda session: session.outbox.due_in_chat(platform, chat_id, now, PER_CHAT, sent)
        )
        rows = [r for r in found if r.id not in self._unsettled]
        state.held.update(r.id for r in rows)
        return rows

    async def _deliver(self, run: list[OutboxRow]) -> bool:
        head = run[0]
        transport = self.transports[head.platform]
        try:
            delivery_id = await transport.send(merged_message(run))
        except DeliveryError as err:
            await self._failed(run, err)
            return False
        except Exception as exc:
            log.warning("sending outbox row %d failed: %r", head.id, exc)
            await self._failed(run, DeliveryError(repr(exc)))
            return False
        # The next row goes without waiting for this record, a flush to disk that
        # shares the next batch of commands' commit: a row whose record is on its way
        # is known here and not sent again meanwhile, and a record that fails leaves its
        # row pending, to go again (at least once, never lost).
        self._unsettled.update(r.id for r in run)
        self._marks.extend((r.id, delivery_id) for r in run)
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
                else:
                    self._sent += len(batch)
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

    async def _failed(self, run: list[OutboxRow], err: DeliveryError) -> None:
        head = run[0]
        if err.permanent:
            log.warning("outbox row %d failed for good: %s", head.id, err.reason)
            ids = [row.id for row in run]
            await self._db(lambda session: session.outbox.mark_failed_many(ids, err.reason))
            if self.on_failed is not None:
                try:
                    await self.on_failed(head, err)
                except Exception:
                    log.exception("on_failed hook broke for row %d", head.id)
            return
        delay = err.retry_after if err.retry_after is not None else backoff(head.attempts)
        # Stored times have whole seconds: round up, so a retry never comes early.
        retry_at = self.clock.now() + timedelta(seconds=math.ceil(delay) + 1)
        # Only the head waits: the rows after it wait behind it (a chat keeps its order).
        at = retry_at.replace(microsecond=0)
        await self._db(lambda session: session.outbox.mark_retry(head.id, at, err.reason))
        # Once it is committed, the loop learns when the retry is due (told before, it
        # could read no retry yet and stop asking).
        self._retrying.add(head.platform)
        self._failures += 1
        self._platforms[head.platform].wake.set()
