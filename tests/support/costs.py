"""Helpers the costs tests share (this module holds no tests itself)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.flood import FloodGuard
from bot.testing import BotHarness, Sent
from storage.db import to_db

ROME = ZoneInfo("Europe/Rome")


def lift_flood_guard(bot: BotHarness) -> None:
    """The flood guard counts real seconds; a scripted year sends far more than 20 in 10 s."""
    bot.app.dispatcher.flood = FloodGuard(limit=1_000_000)


async def start_space(bot: BotHarness, members: Iterable[str] = ("Bruno", "Carla")) -> None:
    lift_flood_guard(bot)
    await bot.setup_space("Anna", members=list(members))


def at_rome(year: int, month: int, day: int, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


async def member_id(bot: BotHarness, name: str) -> int:
    return (await bot.member(name)).id


async def add_visits(bot: BotHarness, name: str, days: Iterable[date]) -> None:
    """Attendance without the presence commands: one closed visit per day, by SQL."""
    mid = await member_id(bot, name)
    space = int(await bot.fetchval("SELECT space_id FROM members WHERE id = ?", (mid,)))
    rows = []
    for day in days:
        start = datetime.combine(day, time(10), tzinfo=ROME)
        rows.append((space, mid, day.isoformat(), to_db(start), to_db(start + timedelta(hours=6))))
    async with bot.app.store.transaction() as session:
        await session.tx.executemany(
            "INSERT INTO visits (space_id, member_id, local_date, checkin_at, checkout_at,"
            " closed_by) VALUES (?, ?, ?, ?, ?, 'member')",
            rows,
        )


def days(first: date, count: int, step: int = 1) -> list[date]:
    return [first + timedelta(days=i * step) for i in range(count)]


def to(sent: Iterable[Sent], name: str) -> list[Sent]:
    """The private messages among `sent` that went to `name`."""
    user = BotHarness.user(name).user_id
    return [s for s in sent if s.private and s.to == user]


async def counts(bot: BotHarness) -> tuple[int, int, int, int]:
    """(costs, charges, shares, payments): what a refused command must leave unchanged."""
    row = (
        await bot.fetchall(
            "SELECT (SELECT COUNT(*) FROM costs), (SELECT COUNT(*) FROM charges),"
            " (SELECT COUNT(*) FROM charge_shares), (SELECT COUNT(*) FROM payments)"
        )
    )[0]
    return (row[0], row[1], row[2], row[3])
