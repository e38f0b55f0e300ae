"""Helpers the skills tests share: ids, presence, and a snapshot of everything skills store.

Presence is set by writing the visit row the presence capability would write (the table
is fixed by storage/schema/0002_presence.sql), so these tests do not depend on its commands.
"""

from __future__ import annotations

from typing import Any

from bot.testing import ROME, BotHarness, Sent

SKILL_TABLES = ("skills", "help_requests", "help_notices", "kudos")


async def member_id(bot: BotHarness, name: str) -> int:
    value = await bot.fetchval(
        "SELECT member_id FROM identities WHERE identity = ?",
        (f"memory:{bot.user(name).user_id}",),
    )
    assert value is not None, f"{name} is not a member"
    return int(value)


async def execute(bot: BotHarness, sql: str, params: tuple[Any, ...] = ()) -> None:
    async with bot.app.store.transaction() as session:
        await session.tx.execute(sql, params)


async def check_in(bot: BotHarness, name: str) -> None:
    """An open visit for `name` now: what `/checkin` stores."""
    mid = await member_id(bot, name)
    now = bot.clock.now()
    await execute(
        bot,
        "INSERT INTO visits (space_id, member_id, local_date, checkin_at)"
        " SELECT space_id, id, ?, ? FROM members WHERE id = ?",
        (now.astimezone(ROME).date().isoformat(), now.strftime("%Y-%m-%dT%H:%M:%SZ"), mid),
    )


async def snapshot(bot: BotHarness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the skills capability owns, to prove a refusal changed nothing."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in SKILL_TABLES:
        rows = await bot.fetchall(f"SELECT * FROM {table} ORDER BY 1, 2")
        out[table] = [tuple(r) for r in rows]
    return out


async def request_row(bot: BotHarness, number: int) -> dict[str, Any]:
    rows = await bot.fetchall("SELECT * FROM help_requests WHERE number = ?", (number,))
    assert len(rows) == 1
    return dict(rows[0])


def private_to(sent: list[Sent]) -> list[str]:
    """Who was written to privately, in order."""
    return [s.to for s in sent if s.private]


def only(sent: list[Sent]) -> Sent:
    assert len(sent) == 1, [s.text for s in sent]
    return sent[0]
