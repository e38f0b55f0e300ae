"""One busy chat never holds up the others: the outbox's lanes, with a platform whose
group chat may send only so often (as Telegram's 20 a minute) and whose private chats
are free. What is asserted is order, never time: a private reply committed while the
group is backlogged is delivered while the group still has rows waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.events import ChatRef, OutgoingMessage, Platform
from bot.outbox import IDLE_WAIT, OutboxSender
from bot.testing import DEFAULT_START
from bot.transports.base import DeliveryError
from bot.transports.memory import MemoryTransport
from storage import Store
from storage.outbox import NewOutboxItem

GROUP = "group"
GAP = 0.05  # seconds between two sends to the group


class SlowGroup(MemoryTransport):
    """A platform whose group takes one message every GAP seconds; the outbox learns it
    from `ready_in`, as from Telegram's limiter."""

    def __init__(self) -> None:
        super().__init__()
        self.last_group_send = 0.0
        self.order: list[str] = []

    def ready_in(self, chat: ChatRef) -> float:
        if chat.chat_id != GROUP:
            return 0.0
        return max(0.0, self.last_group_send + GAP - time.monotonic())

    async def send(self, message: OutgoingMessage) -> str:
        if message.chat.chat_id == GROUP:
            self.last_group_send = time.monotonic()
        self.order.append(message.chat.chat_id)
        return await super().send(message)


@pytest.fixture
async def store(tmp_path: Path, database_url: str) -> AsyncIterator[Store]:
    """The store on both engines (tests/conftest.py, `database_url`)."""
    opened = await Store.open(database_url or tmp_path / "bot.db")
    yield opened
    await opened.close()


async def queue(store: Store, chat_id: str, html: str, merge: str | None = None) -> None:
    async with store.transaction() as session:
        item = NewOutboxItem(Platform.MEMORY, chat_id, chat_id != GROUP, html, merge_kind=merge)
        await session.outbox.enqueue(item, DEFAULT_START)


async def pending(store: Store, chat_id: str) -> int:
    async with store.transaction() as session:
        sql = "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND chat_id = ?"
        return int(await session.tx.fetchval(sql, (chat_id,)))


async def reach(condition: Callable[[], bool], within: float = 20.0) -> None:
    """Until `condition()` holds (a state to reach, not a time to assert)."""
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_a_private_reply_does_not_wait_for_a_backlogged_group(store: Store) -> None:
    transport = SlowGroup()
    sender = OutboxSender(store, {Platform.MEMORY: transport}, FakeClock(DEFAULT_START))
    for n in range(40):
        await queue(store, GROUP, f"group {n}")
    sender.start()
    try:
        await reach(lambda: len(transport.sent) >= 3)  # the group's lane is on its way
        await queue(store, "anna", "your reply")  # a new row, committed meanwhile
        sender.wake()
        await reach(lambda: "anna" in transport.order)
        waiting = await pending(store, GROUP)
        assert waiting >= 20, f"the reply waited for the group ({waiting} left)"
        await reach(lambda: transport.order.count(GROUP) == 40)
        groups = [m.html for m in transport.sent if m.chat.chat_id == GROUP]
        assert groups == [f"group {n}" for n in range(40)]  # in order, each once
    finally:
        await sender.stop(1.0)


async def test_many_private_chats_go_out_while_the_group_waits(store: Store) -> None:
    transport = SlowGroup()
    sender = OutboxSender(store, {Platform.MEMORY: transport}, FakeClock(DEFAULT_START))
    for n in range(30):
        await queue(store, GROUP, f"group {n}")
    for n in range(150):
        await queue(store, f"member{n}", f"your share {n}")
    sender.start()
    try:
        await reach(lambda: sum(1 for c in transport.order if c != GROUP) == 150)
        assert await pending(store, GROUP) >= 15  # the letters did not queue behind it
    finally:
        await sender.stop(1.0)


async def test_a_backlog_of_announcements_goes_out_as_one_message(store: Store) -> None:
    transport = SlowGroup()
    sender = OutboxSender(store, {Platform.MEMORY: transport}, FakeClock(DEFAULT_START))
    await queue(store, GROUP, "the first one, alone")
    for name in ("Anna", "Bruno", "Carla"):
        await queue(store, GROUP, f"{name} is in.", merge="checkin")
    await queue(store, GROUP, "a request, with its own message")
    await queue(store, GROUP, "Dario is in.", merge="checkin")
    assert await sender.flush() == 6
    assert [m.html for m in transport.sent] == [
        "the first one, alone",
        "Anna is in.\nBruno is in.\nCarla is in.",
        "a request, with its own message",
        "Dario is in.",
    ]
    async with store.transaction() as session:
        rows = await session.tx.fetchall("SELECT state, delivery_id FROM outbox ORDER BY id")
    assert {r["state"] for r in rows} == {"sent"}
    assert len({r["delivery_id"] for r in rows[1:4]}) == 1  # three rows, one message


async def test_a_merged_message_that_fails_for_good_fails_every_row_once(store: Store) -> None:
    transport = SlowGroup()
    failed: list[int] = []

    async def on_failed(row: object, err: DeliveryError) -> None:
        failed.append(getattr(row, "id", 0))

    sender = OutboxSender(
        store, {Platform.MEMORY: transport}, FakeClock(DEFAULT_START), on_failed=on_failed
    )
    for name in ("Anna", "Bruno"):
        await queue(store, GROUP, f"Welcome, {name}!", merge="welcome")
    transport.failures.append(DeliveryError("kicked from the group", permanent=True))
    assert await sender.flush() == 0
    async with store.transaction() as session:
        states = await session.tx.fetchall("SELECT state FROM outbox")
    assert [r["state"] for r in states] == ["failed", "failed"]
    assert failed == [1]  # the admins are told about the chat once, not per row


async def test_a_chat_with_more_rows_than_a_lane_takes_gets_them_all_in_order(
    store: Store,
) -> None:
    """A lane takes 50 rows at a time; the rest of a long queue follows at once, with no
    new commit to wake anyone (the loop's idle wait is half a minute)."""
    transport = MemoryTransport()
    sender = OutboxSender(store, {Platform.MEMORY: transport}, FakeClock(DEFAULT_START))
    for n in range(120):
        await queue(store, "anna", f"line {n}")
    sender.start()
    try:
        await reach(lambda: len(transport.sent) == 120, within=IDLE_WAIT / 3)
        assert [m.html for m in transport.sent] == [f"line {n}" for n in range(120)]
    finally:
        await sender.stop(1.0)


async def test_a_read_leaves_out_busy_chats_and_rows_on_their_way(store: Store) -> None:
    """What the loop reads: not the chats a lane serves, not the rows sent whose record
    is on its way, at most `per_chat` rows of a chat; a chat's own read skips the same."""
    for chat_id in (GROUP, "anna", "bruno", GROUP, "anna", "anna"):
        await queue(store, chat_id, f"to {chat_id}")
    async with store.read() as session:
        everything = await session.outbox.due(Platform.MEMORY, DEFAULT_START, 10)
        ids = {
            row.chat_id: [r.id for r in everything if r.chat_id == row.chat_id]
            for row in everything
        }
        read = await session.outbox.due(
            Platform.MEMORY,
            DEFAULT_START,
            10,
            exclude=[GROUP],
            per_chat=1,
            skip=[ids["anna"][0]],
        )
        own = await session.outbox.due_in_chat(
            Platform.MEMORY, "anna", DEFAULT_START, 10, skip=ids["anna"][:2]
        )
    assert len(everything) == 6
    assert [r.id for r in read] == sorted([ids["anna"][1], *ids["bruno"]])
    assert [r.id for r in own] == ids["anna"][2:]
