"""Delivery on Telegram: within the limits, through failures and restarts, nothing lost.

The fan-outs run with Telegram's limits scaled by the same factor on both sides (the
fake server enforces them, the transport keeps to them), and print the measured time
next to the limit's minimum. Only exactly-once is asserted, never a duration.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

import coworkbot
from bot.context import Letter, MemberContext
from bot.events import ChatRef, Document, OutgoingMessage, Platform
from bot.i18n import Markup
from bot.registry import Role, Router
from bot.testing import BotHarness
from bot.transports.base import DeliveryError
from bot.transports.telegram.transport import Timeouts
from storage.members import MemberStatus
from tests.support.fake_telegram import (
    FakeChat,
    FakeLimits,
    FakeTelegram,
    FakeUser,
    Faults,
    TelegramBot,
    eventually,
)

pytestmark = [
    pytest.mark.http,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

SPEED = 4  # Telegram's periods divided by this, on both sides
FANOUT = 300

reminders = Router("reminders_for_tests")


@reminders.command("remindall", role=Role.ADMIN)
async def remind_all(ctx: MemberContext) -> None:
    """A job-like fan-out: one private reminder to every active member."""
    members = await ctx.session.members.of_space(ctx.space.id, MemberStatus.ACTIVE)
    await ctx.send_private(
        Letter(m, lambda loc, n=m.id: Markup(f"Reminder #{n}: your share of the heating is due."))
        for m in members
    )


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(limits=FakeLimits().faster(SPEED))
    await fake.start()
    yield fake
    await fake.close()


def make_bot(server: FakeTelegram, path: Path, **kwargs: object) -> TelegramBot:
    return TelegramBot(
        server,
        path,
        speed=SPEED,
        routers=[*coworkbot.routers(), reminders],
        timeouts=Timeouts(connect=1, read=0.5, write=1, pool=2, poll=2),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
async def tg(server: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    bot = await make_bot(server, tmp_path).start()
    yield bot
    await bot.stop()


async def community(tg: TelegramBot, size: int) -> tuple[FakeUser, FakeChat, list[FakeUser]]:
    """Anna's space with `size` more active members, each with a private chat open."""
    server = tg.server
    anna = server.user("Anna")
    group = server.group("Veglio", creator=anna)
    await tg.say(anna, "/setup Veglio", group)
    people = [server.user(f"Person{i:03d}") for i in range(size)]
    async with tg.app.store.transaction() as session:
        space = await session.spaces.by_chat("telegram", str(group.id))
        assert space is not None
        for person in people:
            await session.members.create(
                space.id,
                f"telegram:{person.id}",
                person.first_name,
                tg.clock.now(),
                status=MemberStatus.ACTIVE,
            )
    return anna, group, people


async def queue_reminders(tg: TelegramBot, anna: FakeUser, group: FakeChat) -> None:
    """Anna's /remindall, processed and in the outbox, nothing sent yet."""
    update_id = tg.server.say(anna, group, "/remindall")
    await tg.server.wait_confirmed(update_id)


def received(server: FakeTelegram, people: list[FakeUser]) -> Counter[int]:
    ids = {p.id for p in people}
    return Counter(s.chat_id for s in server.sent if s.chat_id in ids)


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n    {text}")


async def test_fanout_of_300_is_delivered_exactly_once_within_the_limits(
    tg: TelegramBot, server: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    anna, group, people = await community(tg, FANOUT)
    await queue_reminders(tg, anna, group)
    assert await tg.pending() == FANOUT + 1  # Anna is a member too
    started = time.monotonic()
    await tg.deliver()
    elapsed = time.monotonic() - started
    assert received(server, people) == Counter({p.id: 1 for p in people})
    assert len(server.to(anna)) == 1
    assert server.error_count(429) == 0
    assert await tg.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'sent'") >= FANOUT + 1
    limits = server.limits
    minimum = (FANOUT + 1) / limits.overall * limits.overall_period
    report(
        capsys,
        f"fan-out: {FANOUT + 1} private messages in {elapsed:.2f} s; the limit's minimum "
        f"({limits.overall} per {limits.overall_period:.2f} s, Telegram's periods / {SPEED}) "
        f"is {minimum:.2f} s: {elapsed / minimum:.0%} of it; 429s: {server.error_count(429)}",
    )


async def test_ten_percent_failures_lose_nothing(
    tg: TelegramBot, server: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    anna, group, people = await community(tg, FANOUT)
    await queue_reminders(tg, anna, group)
    server.set_faults(Faults(rate=0.10, kinds=("5xx", "timeout", "drop"), hang=1.0, seed=11))
    await tg.deliver()
    failures = Counter(code for method, code, _ in server.errors if method == "sendMessage")
    assert sum(failures.values()) >= 20  # the faults did happen
    assert received(server, people) == Counter({p.id: 1 for p in people})
    states = await tg.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
    assert {r[0]: r[1] for r in states}.get("failed", 0) == 0
    retried = await tg.fetchval("SELECT COUNT(*) FROM outbox WHERE attempts > 1")
    assert retried >= 20
    report(
        capsys,
        f"10% faults: {sum(failures.values())} failed calls "
        f"(500/502: {failures[500] + failures[502]}, timeouts: {failures[504]}, "
        f"dropped: {failures[0]}), {retried} rows retried, all {FANOUT} delivered once",
    )


async def test_a_lost_answer_is_resent_not_lost(tg: TelegramBot, server: FakeTelegram) -> None:
    """Telegram accepted it but the answer never came: the bot must resend (no API can
    make that exactly-once); the person gets it twice rather than never."""
    anna, group, people = await community(tg, 3)
    await queue_reminders(tg, anna, group)
    server.fail_next("lost")
    await tg.deliver()
    counts = received(server, people) + Counter({anna.id: len(server.to(anna))})
    assert sorted(counts.values()) == [1, 1, 1, 2]


async def test_restart_mid_fanout_sends_only_the_rest(
    server: FakeTelegram, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = await make_bot(server, tmp_path).start()
    anna, group, people = await community(first, FANOUT)
    await queue_reminders(first, anna, group)
    delivering = asyncio.create_task(first.deliver())

    async def hundred_sent() -> bool:
        return len(server.sent) >= 100

    await eventually(hundred_sent)
    server.hold()  # sends in flight now wait, unprocessed
    accepted = len(server.sent)

    async def all_accepted_marked_sent() -> bool:
        sql = "SELECT COUNT(*) FROM outbox WHERE state = 'sent'"
        return bool(await first.fetchval(sql) >= accepted)

    await eventually(all_accepted_marked_sent)
    delivering.cancel()  # the process dies here
    with pytest.raises(asyncio.CancelledError):
        await delivering
    await first.crash()
    server.release(discard=True)  # what was in flight never reached Telegram
    before_restart = len(server.sent)

    second = await make_bot(server, tmp_path).start()
    try:
        await second.deliver()
        assert received(server, people) == Counter({p.id: 1 for p in people})
        assert len(server.to(anna)) == 1  # her own reminder
        assert await second.pending() == 0
    finally:
        await second.stop()
    report(
        capsys,
        f"restart: {before_restart - 1} sent before the crash, "
        f"{len(server.sent) - before_restart} after it, none twice",
    )


async def test_429_waits_retry_after_and_goes_on(tg: TelegramBot, server: FakeTelegram) -> None:
    anna, group, people = await community(tg, 40)
    await queue_reminders(tg, anna, group)
    server.fail_next("429", retry_after=1)
    await tg.deliver()
    assert server.error_count(429) == 1  # nobody sent during the pause: no second 429
    assert received(server, people) == Counter({p.id: 1 for p in people})
    retried = await tg.fetchval("SELECT COUNT(*) FROM outbox WHERE attempts > 1")
    assert retried == 0  # waited inside the transport: the outbox never saw it


async def test_unreachable_members_are_failed_and_admins_told_once(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, group, people = await community(tg, 4)
    blocked, never_started = people[0], people[1]
    blocked.blocked = True
    never_started.started = False
    for _ in range(2):
        await queue_reminders(tg, anna, group)
        await tg.deliver()
    failed = await tg.fetchall("SELECT chat_id, error FROM outbox WHERE state = 'failed'")
    assert sorted(r[0] for r in failed) == sorted([str(blocked.id), str(never_started.id)] * 2)
    assert {r[1] for r in failed} == {
        "forbidden: Forbidden: bot was blocked by the user",
        "forbidden: Forbidden: bot can't initiate conversation with a user",
    }
    notices = [s.text for s in server.to(anna) if "can't write privately" in s.text]
    assert notices == [
        f"I can't write privately to {blocked.first_name}: they blocked me or never opened a "
        "chat with me, so they miss my messages. Ask them to open a private chat with me and "
        "press Start.",
        f"I can't write privately to {never_started.first_name}: they blocked me or never "
        "opened a chat with me, so they miss my messages. Ask them to open a private chat "
        "with me and press Start.",
    ]
    assert received(server, people[2:]) == Counter({p.id: 2 for p in people[2:]})


async def test_a_group_that_removed_the_bot_is_reported_once(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.group("Veglio", creator=anna, members=(bruno,))
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(anna, "/set join open", group)
    group.bot_status = "kicked"
    await tg.say(bruno, "/join", group)  # the welcome cannot reach the group
    await tg.say(anna, "/members", group)
    notices = [s.text for s in server.to(anna) if "can't post in the group" in s.text]
    assert notices == [
        "I can't post in the group of Veglio any more (was I removed?): messages for the "
        "group aren't delivered."
    ]
    assert await tg.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'failed'") == 2


async def test_a_backlog_in_one_getupdates_answer_is_stored_in_one_transaction(
    server: FakeTelegram, tmp_path: Path
) -> None:
    """Updates that waited while the bot was away come in one getUpdates answer and are
    handed over together: one transaction, one flush, for all of them, in order."""
    tg = await make_bot(server, tmp_path).start()
    _, group, people = await community(tg, 15)
    await tg.stop()
    last = 0
    for person in people:
        last = server.say(person, group, "/checkin")
    tg = await make_bot(server, tmp_path).start()
    commits: list[str] = []
    tg.app.store.db.trace(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    await server.wait_confirmed(last)
    tg.app.store.db.trace(None)
    assert len(commits) == 1, commits
    before = len(server.sent)
    await tg.deliver()
    replies = [s.text for s in server.sent[before:] if s.chat_id == group.id]
    assert [next(p.first_name for p in people if p.first_name in r) for r in replies] == [
        p.first_name for p in people
    ]
    assert await tg.fetchval("SELECT COUNT(*) FROM visits WHERE checkout_at IS NULL") == 15
    await tg.stop()


async def test_updates_redelivered_after_a_restart_do_nothing_twice(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.group("Veglio", creator=anna, members=(bruno,))
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(bruno, "/join", group)
    request = next(s for s in server.to(anna) if s.buttons)
    await tg.press(anna, request, "Approve")
    sent, members = len(server.sent), await tg.fetchall("SELECT * FROM members")
    await tg.stop()
    server.unconfirm_all()  # Telegram never heard the confirmations: it sends all again
    await tg.start()
    last = server.updates[-1]["update_id"]
    await server.wait_confirmed(last)
    await tg.deliver()
    assert all(server.deliveries[u["update_id"]] == 2 for u in server.updates)
    assert len(server.sent) == sent
    assert [tuple(r) for r in await tg.fetchall("SELECT * FROM members")] == [
        tuple(r) for r in members
    ]


async def test_documents_and_html_telegram_refuses(tg: TelegramBot, server: FakeTelegram) -> None:
    anna = server.user("Anna")
    chat = ChatRef(Platform.TELEGRAM, str(anna.id), private=True)
    doc = Document("attendance-2026-11.csv", b"name,days\nAnna,12\n")
    await tg.transport.send(OutgoingMessage(chat, "<b>Attendance</b> for November", document=doc))
    sent = server.to(anna)[-1]
    assert sent.document == ("attendance-2026-11.csv", b"name,days\nAnna,12\n")
    assert sent.text == "Attendance for November"
    # Broken HTML cannot come from a catalog, but if it ever did: the words still arrive.
    await asyncio.sleep(0.1)  # the private chat's (scaled) one second
    await tg.transport.send(OutgoingMessage(chat, "Price < 5 <b>today"))
    assert server.to(anna)[-1].text == "Price < 5 today"
    with pytest.raises(DeliveryError) as caught:
        await tg.transport.send(OutgoingMessage(ChatRef(Platform.TELEGRAM, "1", True), "hi"))
    assert caught.value.permanent and "chat not found" in caught.value.reason.lower()


async def test_the_token_never_appears_in_any_log_line(
    server: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram", "aiohttp", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    tg = await make_bot(server, tmp_path).start()
    try:
        anna, group, people = await community(tg, 5)
        people[0].blocked = True
        await queue_reminders(tg, anna, group)
        server.fail_next("429")
        server.fail_next("5xx")
        server.fail_next("timeout")
        server.fail_next("drop")
        server.set_faults(Faults(hang=1.0))
        await tg.deliver()
        await tg.say(anna, "/setup", group, anonymous=True)
    finally:
        await tg.stop()
    secret = server.token.partition(":")[2]
    assert len(caplog.records) > 200
    assert "[secret]" in caplog.text  # the URLs were logged, scrubbed
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in (record.exc_text or "")
    assert secret not in caplog.text


async def test_webhook_mode_checks_the_secret_and_confirms_after_storing(
    server: FakeTelegram, tmp_path: Path
) -> None:
    tg = await make_bot(server, tmp_path, mode="webhook").start()
    try:
        assert server.webhook is not None
        assert server.webhook["url"] == "https://bot.example.org/telegram/hook"
        assert server.webhook["secret_token"] == tg.transport.webhook_secret
        assert "chat_member" in server.webhook["allowed_updates"]
        anna = server.user("Anna")
        group = server.group("Veglio", creator=anna)
        sent = await tg.say(anna, "/setup Veglio", group)
        assert sent[0].text.startswith("The space Veglio is ready")
        # a well-signed update the bot cannot read (no chat): skipped, not retried forever
        update = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/join"}}
        async with aiohttp.ClientSession() as session:
            for headers, status in (
                ({}, 403),
                ({"X-Telegram-Bot-Api-Secret-Token": "guess"}, 403),
                ({"X-Telegram-Bot-Api-Secret-Token": tg.transport.webhook_secret}, 200),
            ):
                target = server.webhook_target
                async with session.post(target, json=update, headers=headers) as response:
                    assert response.status == status
        assert await tg.fetchval("SELECT COUNT(*) FROM processed_updates") == 1
        assert server.calls["getUpdates"] == 0
    finally:
        await tg.stop()


async def test_the_undelivered_notice_serves_any_platform(bot: BotHarness) -> None:
    """The on_failed hook is the engine's: on the memory transport it tells admins once too."""
    await bot.setup_space("Anna", members=["Bruno"])
    for language in ("it", "en"):
        bot.transport.failures.append(DeliveryError("blocked", permanent=True))
        await bot.say(f"/lang {language}", as_="Bruno", chat="private")
        await bot.app.outbox.flush()
    notices = [s.text for s in bot.inbox("Anna") if "can't write privately" in s.text]
    assert notices == [
        "I can't write privately to Bruno: they blocked me or never opened a chat with me, so "
        "they miss my messages. Ask them to open a private chat with me and press Start."
    ]
    assert await bot.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'failed'") == 2
    assert await bot.fetchval("SELECT COUNT(*) FROM kv WHERE key LIKE 'undelivered:%'") == 1
