"""Figure group 2: Telegram fan-out of 1,000 private reminders.

A space of 1,000 members each owes a share of a charge due a week ago, so the costs job
reminds each of them privately: 1,000 messages queued in one transaction, then sent by
the outbox through the real TelegramTransport (python-telegram-bot over HTTP) to the
fake Bot API server, which enforces Telegram's limits with 429 `retry_after`.

The baseline is the limits' own minimum: 1,000 messages at 30 per second is 33.3 s.
With `--quick` both the server's limits and the bot's are made 10 times faster (same
counts, shorter periods), so the minimum is 3.3 s and the ratio stays comparable.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import coworkbot
from bench.report import Figure, Group
from bench.world import ROME, Options, RunningClock
from bot.app import App
from bot.config import BotSection, Config, TelegramSection
from bot.transports.telegram.limits import TELEGRAM_LIMITS
from bot.transports.telegram.transport import TelegramTransport
from storage import Store
from storage.costs import NewCost, NewShare
from storage.members import MemberRole, MemberStatus
from tests.support.fake_telegram import FakeLimits, FakeTelegram, FakeUser

MEMBERS = 1000
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ROME)  # reminder time (09:00) has passed
DUE = date(2026, 11, 18)  # a week ago: the first payment reminder is due today


@dataclass(frozen=True)
class Outcome:
    seconds: float
    delivered: int
    duplicates: int
    lost: int
    too_many: int
    failed_rows: int
    job_seconds: float


async def populate(path: Path, users: list[FakeUser]) -> None:
    """One space, 1,000 members with Telegram identities, one unpaid share each."""
    store = await Store.open(path)
    now = NOW - timedelta(days=15)
    try:
        async with store.transaction() as session:
            space = await session.spaces.create("Fan-out", now, language="en", join_policy="open")
            members = []
            for i, user in enumerate(users):
                members.append(
                    await session.members.create(
                        space.id,
                        f"telegram:{user.id}",
                        user.first_name,
                        now,
                        role=MemberRole.ADMIN if i == 0 else MemberRole.MEMBER,
                        status=MemberStatus.ACTIVE,
                        language="en",
                    )
                )
            cost = await session.costs.add(
                NewCost(
                    space.id,
                    "Heating",
                    100_000,
                    "EUR",
                    "monthly",
                    18,
                    0,
                    None,
                    "equal",
                    DUE + timedelta(days=30),
                    members[0].id,
                ),
                now,
            )
            shares = [NewShare(m.id, 100, 1, 30, 1) for m in members]
            await session.costs.create_charge(
                cost,
                DUE,
                (DUE - timedelta(days=30), DUE - timedelta(days=1)),
                "equal",
                shares,
                now,
            )
    finally:
        await store.close()


async def fan_out(work: Path, speed: float) -> Outcome:
    server = FakeTelegram(limits=FakeLimits().faster(speed))
    await server.start()
    users = [server.user(f"Member{i:04d}") for i in range(MEMBERS)]
    await populate(work / "coworkbot.db", users)
    section = TelegramSection(token=server.token, api_base_url=server.base_url)
    clock = RunningClock(NOW)
    transport = TelegramTransport(
        section, clock=clock, limits=TELEGRAM_LIMITS.faster(speed), language="en"
    )
    config = Config(path=None, bot=BotSection(data_dir=work, default_language="en"))
    app = App(config, [transport], routers=coworkbot.routers(), clock=clock, background=False)
    await app.start()
    try:
        start = time.monotonic()
        await app.scheduler.run_all()  # the costs job queues the 1,000 reminders
        job_seconds = time.monotonic() - start
        app.outbox.start()
        minimum = MEMBERS / 30 / speed
        deadline = start + max(60.0, minimum * 10)
        while time.monotonic() < deadline:
            async with app.store.transaction() as session:
                pending = await session.outbox.pending_count()
            if pending == 0:
                break
            await asyncio.sleep(0.05)
        private = [s for s in server.sent if s.chat_id > 0]
        per_chat = Counter(s.chat_id for s in private)
        async with app.store.transaction() as session:
            failed = await session.tx.fetchval("SELECT COUNT(*) FROM outbox WHERE state <> 'sent'")
        last = max((s.at for s in private), default=time.monotonic())
        return Outcome(
            seconds=last - start,
            delivered=len(per_chat),
            duplicates=sum(n - 1 for n in per_chat.values()),
            lost=sum(1 for u in users if per_chat[u.id] == 0),
            too_many=server.error_count(429),
            failed_rows=int(failed),
            job_seconds=job_seconds,
        )
    finally:
        await app.stop()
        await server.close()


async def run(options: Options) -> Group:
    group = Group("fanout", "2. Telegram fan-out: 1,000 private reminders")
    speed = 10.0 if options.quick else 1.0
    work = options.data_dir / "fanout"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    outcome = await fan_out(work, speed)
    minimum = MEMBERS / 30 / speed
    scale = "Telegram's limits" if speed == 1 else f"limits {speed:g}× faster on both sides"
    group.add(
        Figure(
            "time to deliver 1,000 reminders",
            outcome.seconds,
            "s",
            minimum,
            f"1000 / 30 per s ({scale})",
            note=f"costs job {outcome.job_seconds:.2f} s of it",
        )
    )
    group.add(Figure("429 Too Many Requests received", outcome.too_many, "", better="lower"))
    group.add(Figure("duplicates", outcome.duplicates, "", better="lower"))
    group.add(
        Figure(
            "lost (never delivered)",
            outcome.lost,
            "",
            better="lower",
            note=f"{outcome.delivered} members reached, {outcome.failed_rows} rows not sent",
        )
    )
    return group
