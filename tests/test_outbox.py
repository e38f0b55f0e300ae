"""The outbox: written with the effect, delivered in order, retried, never dropped."""

from __future__ import annotations

from datetime import timedelta

from bot.testing import BotHarness
from bot.transports.base import DeliveryError


async def test_replies_wait_in_the_outbox_until_delivered(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    bot.transport.failures.append(DeliveryError("network down"))
    sent = await bot.say("/settings", as_="Anna")
    assert sent == []
    row = (await bot.fetchall("SELECT state, attempts, error FROM outbox ORDER BY id DESC"))[0]
    assert (row["state"], row["attempts"], row["error"]) == ("pending", 1, "network down")

    assert await bot.app.outbox.flush() == 0  # not due yet: backoff
    bot.clock.advance(timedelta(seconds=5))
    assert await bot.app.outbox.flush() == 1
    assert "Settings of Veglio" in bot.sent[-1].text
    assert await bot.count("outbox", state="pending") == 0


async def test_retry_after_is_honoured(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    bot.transport.failures.append(DeliveryError("429", retry_after=30))
    await bot.say("/settings", as_="Anna")
    bot.clock.advance(timedelta(seconds=20))
    assert await bot.app.outbox.flush() == 0
    bot.clock.advance(timedelta(seconds=12))
    assert await bot.app.outbox.flush() == 1


async def test_permanent_failures_are_marked_not_dropped_and_admins_told_once(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    bot.transport.failures.append(DeliveryError("blocked by user", permanent=True))
    await bot.say("/me", as_="Bruno", chat="private")
    rows = await bot.fetchall("SELECT state, error FROM outbox WHERE error IS NOT NULL")
    assert [(r["state"], r["error"]) for r in rows] == [("failed", "blocked by user")]
    await bot.app.outbox.flush()
    told = [s for s in bot.inbox("Anna") if "can't write privately to Bruno" in s.text]
    assert len(told) == 1
    bot.transport.failures.append(DeliveryError("blocked by user", permanent=True))
    await bot.say("/me", as_="Bruno", chat="private")
    await bot.app.outbox.flush()
    assert len([s for s in bot.inbox("Anna") if "can't write privately" in s.text]) == 1


async def test_a_chat_keeps_its_order_when_one_message_fails(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    bot.transport.failures.append(DeliveryError("hiccup"))
    await bot.say("/settings", as_="Anna")
    await bot.say("/members", as_="Anna")
    assert await bot.count("outbox", state="pending") == 2
    bot.clock.advance(timedelta(seconds=10))
    await bot.app.outbox.flush()
    texts = [s.text for s in bot.sent[-2:]]
    assert texts[0].startswith("Settings of") and texts[1].startswith("Members of")


async def test_pending_rows_survive_a_restart(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    bot.transport.failures.append(DeliveryError("down"))
    await bot.say("/settings", as_="Anna")
    await bot.restart()
    bot.clock.advance(timedelta(minutes=1))
    assert await bot.app.outbox.flush() == 1
    assert bot.sent[-1].text.startswith("Settings of")


async def test_housekeeping_prunes_old_rows(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    before = await bot.count("outbox")
    assert before > 0
    await bot.tick(timedelta(days=31))
    assert await bot.count("outbox") == 0
    assert await bot.count("processed_updates") == 0


async def test_outbox_ids_are_never_reused_after_pruning(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    newest = await bot.fetchval("SELECT MAX(id) FROM outbox")
    await bot.tick(timedelta(days=31))  # housekeeping deletes every delivered row
    assert await bot.count("outbox") == 0
    await bot.say("/settings", as_="Anna")
    assert await bot.fetchval("SELECT MIN(id) FROM outbox") > newest
