"""Group commit: the units of work that arrive while a transaction is in flight share
the next one.

With `synchronous=FULL` every commit is a flush to disk, and that flush, not the work,
set how many commands a second the bot could take. Work comes in bursts (a Telegram
getUpdates answer holds up to 100 updates, a Matrix sync many, webhooks and the
outbox's records of what was sent arrive side by side), so each unit is handed here
and its caller waits: one worker takes every unit that is ready, in the order they
arrived, runs them in one transaction, each in its own savepoint, and commits once.
While that commit is being flushed the next units gather, and go together into the
transaction after it.

What stays true, unit by unit:
- a unit's writes commit whole or not at all, and `submit` returns only after the
  commit that holds them (so a transport confirms an update only once it is stored,
  and the outbox, which reads what is committed, sends a reply only then);
- a unit that fails is undone alone (its savepoint); `failed` then records in its
  place what its caller wants recorded instead (the dispatcher's apology), or, if it
  has none, the error is raised to its caller;
- the order of arrival is the order of execution: a unit holds its place from the
  moment it was `reserve`d, even while its caller still awaits something (a chat admin
  check) before it can `submit`;
- if the transaction as a whole cannot commit (a full disk, an I/O error), no unit is
  lost with it: each runs again alone, in a transaction of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from storage.db import Aborted

if TYPE_CHECKING:
    from storage import Session, Store

log = logging.getLogger(__name__)

Work = Callable[["Session"], Awaitable[None]]

# Updates in one transaction at most: the size of a getUpdates answer. It bounds the
# time the event loop spends in one batch before its commit lets other work run.
BATCH = 100
# Seconds of a batch's work after which the event loop gets a turn (sends, receives).
BREATHE = 0.005


@dataclass(frozen=True)
class Unit:
    """A unit of work: `work` its writes; `failed` what to record in their place if it
    raised (in a savepoint of its own), or None to have the error raised to the caller."""

    name: str
    work: Work
    failed: Work | None = None


@dataclass(eq=False)
class Ticket:
    """A unit's place in line."""

    unit: Unit | None = None
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    def __init__(self, store: Store, *, batch: int = BATCH, adaptive: bool = False) -> None:
        self.store = store
        self.batch = batch
        # `adaptive` (PostgreSQL with replicas): a batch another replica's transaction
        # made the database refuse runs again whole, so the size halves after such a
        # conflict and grows by one after each batch without (up to `batch`).
        self.most = batch
        self.adaptive = adaptive
        if adaptive:
            self.batch = max(1, batch // 4)
        self._line: deque[Ticket] = deque()
        self._worker: asyncio.Task[None] | None = None

    def reserve(self) -> Ticket:
        """Take a place in line now, before anything the caller awaits."""
        ticket = Ticket()
        self._line.append(ticket)
        return ticket

    def cancel(self, ticket: Ticket) -> None:
        """Give the place up (nothing to do after all); those behind it move on."""
        with contextlib.suppress(ValueError):
            self._line.remove(ticket)
        self._kick()

    async def submit(self, ticket: Ticket, unit: Unit) -> None:
        """Run `unit` in its turn; returns once the transaction holding it is committed."""
        ticket.unit = unit
        self._kick()
        await ticket.done

    async def run(self, unit: Unit, *, first: bool = False) -> None:
        """Run `unit` after everything already in line; with `first`, before it (a unit
        whose order against the others does not matter and that should not wait: the
        outbox's records of what was sent)."""
        if not first:
            await self.submit(self.reserve(), unit)
            return
        ticket = Ticket(unit)
        self._line.appendleft(ticket)
        self._kick()
        await ticket.done

    def _kick(self) -> None:
        idle = self._worker is None or self._worker.done()
        if idle and self._line and self._line[0].unit is not None:
            self._worker = asyncio.create_task(self._work(), name="group-commit")

    def _take(self) -> list[Ticket]:
        """The ready units at the head of the line, in order, up to one batch."""
        taken: list[Ticket] = []
        while self._line and self._line[0].unit is not None and len(taken) < self.batch:
            taken.append(self._line.popleft())
        return taken

    async def _work(self) -> None:
        while taken := self._take():
            try:
                await self._commit(taken)
            except Exception as exc:  # not a unit's error (those are theirs): a bug here
                log.exception("group commit broke")
                for ticket in taken:
                    _finish(ticket, exc)
            except BaseException:
                for ticket in taken:
                    if not ticket.done.done():
                        ticket.done.cancel()
                raise

    async def _commit(self, taken: list[Ticket]) -> None:
        units = [t.unit for t in taken if t.unit is not None]
        conflicts = self.store.conflicts
        try:
            errors = await self.store.run(lambda session: self._all(session, units))
        except Exception:
            log.exception("a transaction of %d units failed; each runs again alone", len(units))
            for ticket, unit in zip(taken, units, strict=True):
                _finish(ticket, await self._alone(unit))
            return
        for ticket, error in zip(taken, errors, strict=True):
            _finish(ticket, error)
        if self.adaptive:
            if self.store.conflicts > conflicts:
                self.batch = max(1, self.batch // 2)
            else:
                self.batch = min(self.most, self.batch + 1)

    async def _all(self, session: Session, units: list[Unit]) -> list[Exception | None]:
        loop = asyncio.get_running_loop()
        breathe = loop.time() + BREATHE
        errors: list[Exception | None] = []
        for unit in units:
            if loop.time() >= breathe:
                # The statements run in the loop's thread: let other work in now and then.
                await asyncio.sleep(0)
                breathe = loop.time() + BREATHE
            errors.append(await _one(session, unit))
        return errors

    async def _alone(self, unit: Unit) -> Exception | None:
        try:
            return await self.store.run(lambda session: _one(session, unit))
        except Exception as exc:
            if unit.failed is None:
                return exc
            log.exception("%s could not be stored", unit.name)
            return None


async def _one(session: Session, unit: Unit) -> Exception | None:
    """The unit in its savepoint; if it fails, what it wants recorded in its place.
    Returns the error its caller is to get (a unit with no `failed`)."""
    try:
        async with session.savepoint():
            await unit.work(session)
        return None
    except Aborted:
        raise  # the transaction itself is gone: the whole batch must be given up
    except Exception as exc:
        if unit.failed is None:
            return exc
        log.exception("%s failed; undone alone", unit.name)
    try:
        async with session.savepoint():
            await unit.failed(session)
    except Aborted:
        raise
    except Exception:
        log.exception("could not even record the failure of %s", unit.name)
    return None


def _finish(ticket: Ticket, error: Exception | None) -> None:
    if ticket.done.done():
        return  # its caller gave up waiting
    if error is None:
        ticket.done.set_result(None)
    else:
        ticket.done.set_exception(error)
