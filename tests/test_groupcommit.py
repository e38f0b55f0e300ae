"""Group commit: updates handed over together share one transaction, each in a savepoint
of its own; one that fails is undone alone; if the whole transaction cannot commit,
each update runs again alone; replies go out only once committed; an update keeps its
turn while it waits for a chat admin check.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.context import Context
from bot.events import ChatRef, IncomingMessage, OutgoingMessage, UserRef
from bot.testing import BotHarness
from storage.db import Database

PEOPLE = ["Bruno", "Carla", "Dario", "Elena", "Franco", "Giulia"]


def message(bot: BotHarness, text: str, who: str, n: int) -> IncomingMessage:
    return IncomingMessage(
        update_id=f"g{n}",
        chat=bot.group,
        sender=bot.user(who),
        text=text,
        timestamp=bot.clock.now(),
        message_id=f"gm{n}",
    )


async def hand_over(bot: BotHarness, messages: list[IncomingMessage]) -> None:
    """Together, as one getUpdates answer brings them: each in its own task, in order."""
    await asyncio.gather(*(bot.transport.receive(m) for m in messages))


@contextmanager
def commits(bot: BotHarness) -> Iterator[list[str]]:
    seen: list[str] = []
    bot.app.store.db.trace(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    try:
        yield seen
    finally:
        bot.app.store.db.trace(None)


@contextmanager
def replaced(bot: BotHarness, command: str, func: Callable[..., Any]) -> Iterator[None]:
    """Swap a command's handler for the test (routers are shared: it is put back)."""
    entry = bot.app.registry.commands[command]
    original = entry.func
    object.__setattr__(entry, "func", func)
    try:
        yield
    finally:
        object.__setattr__(entry, "func", original)


async def open_visits(bot: BotHarness) -> list[str]:
    rows = await bot.fetchall(
        "SELECT m.display_name FROM visits v JOIN members m ON m.id = v.member_id"
        " WHERE v.checkout_at IS NULL ORDER BY m.display_name"
    )
    return [r[0] for r in rows]


async def test_updates_handed_over_together_commit_once_and_answer_in_order(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=PEOPLE)
    batch = [message(bot, "/checkin", who, n) for n, who in enumerate(PEOPLE)]
    before = len(bot.transport.sent)
    with commits(bot) as seen:
        await hand_over(bot, batch)
    # Six commands, one flush to disk (PostgreSQL's batches are smaller: a conflict
    # with another replica runs a whole batch again).
    assert len(seen) == math.ceil(len(batch) / bot.app.store.group.batch)
    await bot.app.outbox.flush()
    replies = [m.html for m in bot.transport.sent[before:]]
    assert [next(p for p in PEOPLE if p in html) for html in replies] == PEOPLE
    assert "6 people" in replies[-1]  # each saw the ones before it
    assert await open_visits(bot) == sorted(PEOPLE)


async def test_one_failing_command_is_undone_alone(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=PEOPLE)
    checkin = bot.app.registry.commands["checkin"].func

    async def fails_for_carla(ctx: Context, note: str = "") -> None:
        await checkin(ctx, note)
        if ctx.msg is not None and ctx.msg.sender.display_name == "Carla":
            raise RuntimeError("boom")

    batch = [message(bot, "/checkin", who, n) for n, who in enumerate(PEOPLE[:3])]
    before = len(bot.transport.sent)
    with replaced(bot, "checkin", fails_for_carla), commits(bot) as seen:
        await hand_over(bot, batch)
    assert len(seen) == 1
    await bot.app.outbox.flush()
    assert await open_visits(bot) == ["Bruno", "Dario"]
    replies = [m.html for m in bot.transport.sent[before:]]
    assert len(replies) == 3
    assert "Bruno" in replies[0] and "Dario" in replies[2]
    assert "something went wrong" in replies[1] and "Carla" not in replies[1]
    # Carla's update is recorded with the apology: sent again, it does nothing.
    recorded = "SELECT COUNT(*) FROM processed_updates WHERE update_key = ?"
    assert await bot.fetchval(recorded, (batch[1].dedupe_key,)) == 1
    await hand_over(bot, [batch[1]])
    await bot.app.outbox.flush()
    assert len(bot.transport.sent) == before + 3


@pytest.mark.sqlite_only  # SQLite's own failures and files
async def test_a_transaction_that_cannot_commit_runs_each_update_again_alone(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.setup_space("Anna", members=PEOPLE)
    real = Database._to_the_end
    failures = [sqlite3.OperationalError("disk I/O error")]

    async def flaky(self: Database, func: Callable[..., object], *args: Any) -> None:
        if args == ("COMMIT",) and failures:
            raise failures.pop()
        await real(self, func, *args)

    monkeypatch.setattr(Database, "_to_the_end", flaky)
    batch = [message(bot, "/checkin", who, n) for n, who in enumerate(PEOPLE[:4])]
    before = len(bot.transport.sent)
    await hand_over(bot, batch)
    await bot.app.outbox.flush()
    assert failures == []
    assert await open_visits(bot) == sorted(PEOPLE[:4])
    assert await bot.fetchval("SELECT COUNT(*) FROM visits") == 4
    assert len(bot.transport.sent) == before + 4
    assert await bot.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'pending'") == 0


async def test_a_command_that_wrecks_the_transaction_costs_the_others_nothing(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=PEOPLE)
    checkin = bot.app.registry.commands["checkin"].func

    async def wrecks_for_carla(ctx: Context, note: str = "") -> None:
        await checkin(ctx, note)
        if ctx.msg is not None and ctx.msg.sender.display_name == "Carla":
            # What SQLite does after a full disk or an I/O error: the whole transaction
            # is gone, the others' work in it too.
            await ctx.session.tx.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")

    batch = [message(bot, "/checkin", who, n) for n, who in enumerate(PEOPLE[:3])]
    with replaced(bot, "checkin", wrecks_for_carla):
        await hand_over(bot, batch)
    await bot.app.outbox.flush()
    assert await open_visits(bot) == ["Bruno", "Dario"]
    assert await bot.fetchval("SELECT COUNT(*) FROM visits") == 2
    keys = [m.dedupe_key for m in batch]
    stored = {r[0] for r in await bot.fetchall("SELECT update_key FROM processed_updates")}
    assert keys[0] in stored and keys[2] in stored
    assert keys[1] not in stored  # nothing of it stands: a redelivery runs it again


async def test_an_update_keeps_its_turn_while_its_chat_admin_check_runs(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.transport.chat_admins.add((bot.group.chat_id, "anna"))

    async def slow_check(chat: ChatRef, user: UserRef) -> bool:
        await asyncio.sleep(0.05)  # getChatMember over the network
        return (chat.chat_id, user.user_id) in bot.transport.chat_admins

    monkeypatch.setattr(bot.transport, "is_chat_admin", slow_check)
    batch = [
        message(bot, "/setup Veglio", "Anna", 1),
        message(bot, "/join", "Bruno", 2),
        message(bot, "/set join open", "Anna", 3),
    ]
    await hand_over(bot, batch)
    await bot.app.outbox.flush()
    texts = [m.html for m in bot.transport.sent]
    assert not any("not set up" in t for t in texts), texts
    assert await bot.fetchval("SELECT status FROM members WHERE display_name = 'Bruno'") in (
        "pending",
        "active",
    )


@pytest.mark.sqlite_only  # SQLite's own failures and files
async def test_every_reply_is_durable_before_it_is_handed_to_the_platform(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.setup_space("Anna", members=PEOPLE)
    path = bot.app.store.db.path
    checked: list[str] = []
    send = bot.transport.send

    async def checking_send(message: OutgoingMessage) -> str:
        # Another connection, as after a crash: the row and its update must be there.
        other = sqlite3.connect(path)
        try:
            row = other.execute("SELECT html FROM outbox WHERE id = ?", (message.key,)).fetchone()
            done = other.execute(
                "SELECT COUNT(*) FROM processed_updates WHERE update_key = ?",
                (f"memory:g{message.reply_to.removeprefix('gm')}",),
            ).fetchone()[0]
        finally:
            other.close()
        assert row is not None and row[0] == message.html
        assert done == 1, message.reply_to
        checked.append(message.reply_to)
        return await send(message)

    monkeypatch.setattr(bot.transport, "send", checking_send)
    bot.app.outbox.start()
    batch = [message(bot, "/checkin", who, n) for n, who in enumerate(PEOPLE)]
    await hand_over(bot, batch)
    await hand_over(bot, [message(bot, "/checkout", who, 10 + n) for n, who in enumerate(PEOPLE)])
    for _ in range(200):
        if len(checked) == 2 * len(PEOPLE):
            break
        await asyncio.sleep(0.01)
    assert sorted(checked) == sorted(
        [f"gm{n}" for n in range(len(PEOPLE))] + [f"gm{10 + n}" for n in range(len(PEOPLE))]
    )
