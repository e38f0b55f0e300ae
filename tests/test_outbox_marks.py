"""Marking delivered rows: deliveries that finish together share one transaction.

With `synchronous=FULL` every commit is a flush to disk; a burst of replies to many
chats used to cost one each. A row is still marked only after its platform accepted
it, and a failed record leaves every row of its group pending, as it would alone.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import datetime

import pytest

from bot.events import Platform
from bot.testing import BotHarness
from storage.outbox import NewOutboxItem, OutboxRepo

CHATS = 20


async def queue_private_messages(bot: BotHarness) -> None:
    """One private message to each of CHATS chats, queued in one transaction (as a job does)."""
    async with bot.app.store.transaction() as session:
        for n in range(CHATS):
            item = NewOutboxItem(Platform.MEMORY, f"user{n}", True, f"Reminder {n}")
            await session.outbox.enqueue(item, bot.clock.now())


async def test_a_burst_is_marked_sent_in_fewer_transactions_than_rows(bot: BotHarness) -> None:
    await queue_private_messages(bot)
    transactions: list[str] = []
    bot.app.store.db.trace(lambda sql: transactions.append(sql) if sql == "COMMIT" else None)
    assert await bot.app.outbox.flush() == CHATS
    bot.app.store.db.trace(None)

    assert sorted(m.chat.chat_id for m in bot.transport.sent) == sorted(
        f"user{n}" for n in range(CHATS)
    )
    rows = await bot.fetchall("SELECT state, delivery_id FROM outbox")
    assert {r["state"] for r in rows} == {"sent"}
    assert len({r["delivery_id"] for r in rows}) == CHATS
    # One transaction reads what is due; the marks of 20 deliveries take far fewer than 20.
    assert len(transactions) <= CHATS // 2, transactions


async def test_a_failed_record_leaves_the_whole_group_pending(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await queue_private_messages(bot)

    async def broken(self: OutboxRepo, sent: Sequence[tuple[int, str]], now: datetime) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(OutboxRepo, "mark_sent_many", broken)
    with pytest.raises(sqlite3.OperationalError):
        await bot.app.outbox.flush()
    # The other chats' deliveries of that batch finish after flush() raised; let them.
    for _ in range(50):
        await asyncio.sleep(0.01)
        if len(bot.transport.sent) == CHATS:
            break
    assert len(bot.transport.sent) == CHATS
    assert await bot.count("outbox", state="sent") == 0

    monkeypatch.undo()
    assert await bot.app.outbox.flush() == CHATS  # delivered again: at least once, never lost
    assert await bot.count("outbox", state="pending") == 0
