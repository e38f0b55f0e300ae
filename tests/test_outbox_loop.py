"""The outbox's background loop: it asks the database when the next retry is due only
when a retry may be waiting, and a reply committed while a pass runs is not left for
the idle poll."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.events import OutgoingMessage, Platform
from bot.outbox import IDLE_WAIT, OutboxSender
from bot.testing import DEFAULT_START
from bot.transports.base import DeliveryError
from bot.transports.memory import MemoryTransport
from storage import Store
from storage.outbox import NewOutboxItem


class ChainTransport(MemoryTransport):
    """Queues one more message (as a handler committing meanwhile would) during the first
    send, and can fail the first send of a chat once."""

    def __init__(self, store: Store, sender: list[OutboxSender]) -> None:
        super().__init__()
        self.store = store
        self.sender = sender
        self.arrived = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> str:
        if message.html == "first":
            async with self.store.transaction() as session:
                item = NewOutboxItem(Platform.MEMORY, "other", True, "second")
                await session.outbox.enqueue(item, DEFAULT_START)
            self.sender[0].wake()
        result = await super().send(message)
        if message.html == "second":
            self.arrived.set()
        return result


async def test_a_reply_committed_during_a_pass_goes_out_without_the_idle_wait(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "bot.db")
    holder: list[OutboxSender] = []
    transport = ChainTransport(store, holder)
    sender = OutboxSender(store, {Platform.MEMORY: transport}, FakeClock(DEFAULT_START))
    holder.append(sender)

    async def queue(text: str) -> None:
        async with store.transaction() as session:
            await session.outbox.enqueue(
                NewOutboxItem(Platform.MEMORY, "someone", True, text), DEFAULT_START
            )
        sender.wake()

    sender.start()
    try:
        await queue("zero")  # the loop's first passes look at everything; let them go by
        await until(lambda: _truthy(len(transport.sent)), IDLE_WAIT / 3)
        await asyncio.sleep(0.2)
        await queue("first")
        # Well before the idle poll would have found it.
        await asyncio.wait_for(transport.arrived.wait(), IDLE_WAIT / 3)
        assert [m.html for m in transport.sent] == ["zero", "first", "second"]
    finally:
        await sender.stop(1.0)
        await store.close()


async def until(check: Callable[[], Awaitable[bool]], within: float) -> None:
    """Wait for a condition to hold (a state to reach, not a time to assert)."""
    for _ in range(int(within / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_after_a_failure_the_loop_wakes_itself_for_the_retry(tmp_path: Path) -> None:
    """Nobody wakes the loop here: it must have asked the database when the retry is due."""
    store = await Store.open(tmp_path / "bot.db")
    clock = FakeClock(DEFAULT_START)
    transport = MemoryTransport()
    transport.failures.append(DeliveryError("hiccup", retry_after=1))
    sender = OutboxSender(store, {Platform.MEMORY: transport}, clock)

    async def attempts() -> int:
        async with store.transaction() as session:
            return int(await session.tx.fetchval("SELECT attempts FROM outbox"))

    async with store.transaction() as session:
        item = NewOutboxItem(Platform.MEMORY, "x", True, "hello")
        await session.outbox.enqueue(item, clock.now())
    sender.start()
    try:
        await until(lambda: _equals(attempts(), 1), IDLE_WAIT / 3)
        assert transport.sent == []
        clock.advance(timedelta(seconds=3))  # the retry was set two seconds ahead
        await until(lambda: _truthy(len(transport.sent)), IDLE_WAIT / 3)
        assert [m.html for m in transport.sent] == ["hello"]
    finally:
        await sender.stop(1.0)
        await store.close()


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def _truthy(value: int) -> bool:
    return bool(value)
