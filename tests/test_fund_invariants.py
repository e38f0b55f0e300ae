"""The fund's invariants, over random sequences of every money command through the bot.

Hypothesis plays a community: costs charged, shares declared, confirmed and recorded,
bills paid from the fund, expenses fronted (for the fund or split among members),
reimbursements, settle-up lines paid, a new treasurer, members leaving or forgetting
themselves, and bad input in between. Beside the bot, the test keeps the real world's
money: what each member has paid out of or received into their pocket, what the fund
holds, what went to suppliers, moved only by the commands the bot accepted, with the
amounts people typed. After every step:

- money is integer cents in every table;
- the fund's balance is money in minus money out (confirmed payments and deposits, less
  bills and reimbursements), and it is the money the world says the treasurer holds;
- no money appears or vanishes: for every member, what left their pocket plus what they
  are owed equals what they bear (their shares and their parts of split expenses);
- members' positions add up to the opposite of the fund's (what is owed to it, less
  what it owes);
- forgetting a member changes no total.

At the end the settle-up plan is paid line by line: each line paid leaves the others as
they were, and once all are paid every balance is zero.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import coworkbot
from bot.testing import BotHarness, Sent
from handlers.fund.ledger import Transfer
from tests.support.costs import lift_flood_guard

PEOPLE = ("Anna", "Bruno", "Carla", "Dario")
MONEY_TABLES = {
    "fund_entries": "amount",
    "fund_splits": "amount",
    "payments": "amount",
    "charge_shares": "amount",
    "charges": "amount",
}


def cents(n: int) -> str:
    return f"{n // 100},{n % 100:02d}"


@dataclass
class World:
    """The money outside the bot: pockets (negative: paid out), the fund's cash, suppliers."""

    pocket: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    fund: int = 0
    suppliers: int = 0
    forgotten: set[str] = field(default_factory=set)


@dataclass
class Community:
    bot: BotHarness
    ids: dict[str, int]
    world: World = field(default_factory=World)
    costs: int = 0

    async def say(self, who: str, line: str) -> list[Sent]:
        return await self.bot.say(line, as_=who, chat="private")

    async def val(self, sql: str, params: tuple[object, ...] = ()) -> int:
        return int(await self.bot.fetchval(sql, params) or 0)

    async def snapshot(self) -> tuple[int, ...]:
        """Something that changes whenever a money command is accepted."""
        row = (
            await self.bot.fetchall(
                "SELECT (SELECT COUNT(*) FROM fund_entries), (SELECT COUNT(*) FROM payments),"
                " (SELECT COUNT(*) FROM payments WHERE state = 'confirmed'),"
                " (SELECT COUNT(*) FROM charges), (SELECT COALESCE(SUM(amount), 0) FROM payments)"
            )
        )[0]
        return tuple(row)

    async def standing(self) -> tuple[int, dict[int, int]]:
        async with self.bot.app.store.transaction() as s:
            standing = await s.fund.standing(1)
        return standing.balance, standing.positions

    async def plan(self) -> tuple[list[Transfer], list[Sent]]:
        sent = await self.say("Anna", "/settle")
        transfers = []
        for button in sent[0].buttons:
            payer, payee, amount = button.command.split()[1:]
            transfers.append(
                Transfer(
                    None if payer == "fund" else int(payer),
                    None if payee == "fund" else int(payee),
                    round(float(amount) * 100),
                )
            )
        return transfers, sent


# -- the steps ----------------------------------------------------------------------------------


amounts = st.integers(1, 40_000)
members = st.sampled_from(PEOPLE)
steps = st.one_of(
    st.tuples(st.just("cost"), amounts, st.sampled_from(["equal", "shares"])),
    st.tuples(st.just("declare"), members, st.integers(1, 6), st.one_of(st.none(), amounts)),
    st.tuples(st.just("confirm"), st.integers(1, 12)),
    st.tuples(st.just("record"), members, st.integers(1, 6), amounts),
    st.tuples(st.just("bill"), members, st.integers(1, 4), amounts),
    st.tuples(st.just("spent"), members, amounts, st.sampled_from(["", "all", "two"])),
    st.tuples(st.just("reimburse"), members, st.one_of(st.none(), amounts)),
    st.tuples(st.just("remove"), members, st.integers(1, 12)),
    st.tuples(st.just("settle"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("treasurer"), members),
    st.tuples(st.just("forget"), st.sampled_from(["Carla", "Dario"])),
    st.tuples(
        st.just("bad"),
        members,
        st.sampled_from(
            [
                "/bill Heating 0",
                "/bill C1 -5",
                "/spent 0 nothing",
                "/spent -3 pens",
                "/spent 12 pens for Bruno, Nobody",
                "/reimburse Bruno 999999",
                "/set iban IT60X0542811101000000123457",
                "/settled fund fund 1,00",
                "/settled fund 2 999999",
            ]
        ),
    ),
)


async def play(c: Community, step: tuple[object, ...]) -> None:
    bot, world, ids = c.bot, c.world, c.ids
    kind = step[0]
    before = await c.snapshot()
    balance_before, positions_before = await c.standing()
    if kind == "cost":
        _, amount, split = step
        c.costs += 1
        await c.say("Anna", f"/cost add C{c.costs} {cents(int(amount))} once today {split}")
        await bot.tick()
        return
    if kind == "declare":
        _, who, charge, amount = step
        if who in world.forgotten:
            return
        line = f"/paid {charge}" + (f" {cents(int(amount))}" if amount else "")
        await c.say(str(who), line)
        return  # declared: no money counted until confirmed
    if kind == "confirm":
        payment = int(step[1])
        row = await bot.fetchall(
            "SELECT member_id, amount, state FROM payments WHERE id = ?", (payment,)
        )
        await c.say("Anna", f"/confirm {payment}")
        if row and row[0][2] == "declared" and (await c.snapshot()) != before:
            world.pocket[row[0][0]] -= row[0][1]
            world.fund += row[0][1]
        return
    if kind == "record":
        _, who, charge, amount = step
        confirmed = "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE state = 'confirmed'"
        was = await c.val(confirmed)
        await c.say("Anna", f"/paid {charge} {cents(int(amount))} #{ids[str(who)]}")
        received = await c.val(confirmed) - was  # Anna's own payment is only declared
        assert received in (0, int(amount))
        world.pocket[ids[str(who)]] -= received
        world.fund += received
        return
    if kind == "bill":
        _, who, cost, amount = step
        if who in world.forgotten:
            return
        await c.say(str(who), f"/bill C{cost} {cents(int(amount))} stove")
        if await c.snapshot() != before:
            world.fund -= int(amount)
            world.suppliers += int(amount)
        return
    if kind == "spent":
        _, who, amount, among = step
        if who in world.forgotten:
            return
        others = [p for p in PEOPLE if p != who and p not in world.forgotten][:2]
        tail = {"": "", "all": " for all", "two": f" for {', '.join(others)}"}[str(among)]
        await c.say(str(who), f"/spent {cents(int(amount))} pellet{tail}")
        if await c.snapshot() != before:
            world.pocket[ids[str(who)]] -= int(amount)
            world.suppliers += int(amount)
        return
    if kind == "remove":  # `bill remove` / `spent remove`: as if it had never been
        _, who, number = step
        if who in world.forgotten:
            return
        async with bot.app.store.transaction() as s:
            entry = await s.fund.entry(1, int(number))
        word = entry.kind.value if entry and entry.kind.value in ("bill", "spent") else "spent"
        await c.say(str(who), f"/{word} remove {number}")
        if await c.snapshot() != before:
            assert entry is not None and entry.kind.value == word
            event(f"took back a {word}")
            world.suppliers -= entry.amount
            if word == "bill":
                world.fund += entry.amount
            else:
                assert entry.member_id is not None
                world.pocket[entry.member_id] += entry.amount
        return
    if kind == "reimburse":
        _, who, amount = step
        line = f"/reimburse #{ids[str(who)]}" + (f" {cents(int(amount))}" if amount else "")
        async with bot.app.store.transaction() as s:
            fronted = await s.fund.fronted(1, ids[str(who)])
        await c.say("Anna", line)
        if await c.snapshot() != before:
            # Without an amount the fund pays all it owes them, or at least what they
            # fronted for it (their other debts are for /settle).
            paid = int(amount) if amount else max(positions_before[ids[str(who)]], fronted)
            world.pocket[ids[str(who)]] += paid
            world.fund -= paid
        return
    if kind == "settle":
        _, index, partly = step
        plan, _ = await c.plan()
        if not plan:
            return
        transfer = plan[int(index) % len(plan)]
        amount = max(1, transfer.amount // 2) if partly else transfer.amount
        sides = [("fund" if x is None else str(x)) for x in (transfer.payer, transfer.payee)]
        await c.say("Anna", f"/settled {sides[0]} {sides[1]} {cents(amount)}")
        assert await c.snapshot() != before or amount == 0
        for member, sign in ((transfer.payer, -1), (transfer.payee, 1)):
            if member is not None:
                world.pocket[member] += sign * amount
        if transfer.payer is None:
            world.fund -= amount
        if transfer.payee is None:
            world.fund += amount
        paid = Transfer(transfer.payer, transfer.payee, amount)
        rest = [t for t in plan if t != transfer]
        if amount < transfer.amount:
            rest = [
                Transfer(t.payer, t.payee, t.amount - amount) if t == transfer else t for t in plan
            ]
        after, _ = await c.plan()
        assert after == rest, (plan, paid, after)
        return
    if kind == "treasurer":
        await c.say("Anna", f"/treasurer #{ids[str(step[1])]}")
        return
    if kind == "forget":
        who = str(step[1])
        if who in world.forgotten:
            return
        await c.say(who, "/forgetme confirm")
        world.forgotten.add(who)
        balance, positions = await c.standing()
        assert balance == balance_before
        assert {k: v for k, v in positions.items() if v} == {
            k: v for k, v in positions_before.items() if v
        }
        return
    if kind == "bad":
        await c.say(str(step[1]), str(step[2]))
        assert await c.snapshot() == before, step
        return
    raise AssertionError(kind)


async def check(c: Community) -> None:
    world = c.world
    for table, column in MONEY_TABLES.items():
        kinds = await c.bot.fetchall(f"SELECT DISTINCT typeof({column}) FROM {table}")
        assert {r[0] for r in kinds} <= {"integer"}, table
    balance, positions = await c.standing()
    money_in = await c.val(
        "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE state = 'confirmed'"
    ) + await c.val("SELECT COALESCE(SUM(amount), 0) FROM fund_entries WHERE kind = 'deposit'")
    money_out = await c.val(
        "SELECT COALESCE(SUM(amount), 0) FROM fund_entries WHERE kind IN ('bill', 'reimburse')"
    )
    assert balance == money_in - money_out == world.fund
    burden: dict[int, int] = defaultdict(int)
    for row in await c.bot.fetchall(
        "SELECT member_id, SUM(amount) FROM charge_shares GROUP BY member_id"
    ):
        burden[row[0]] += row[1]
    for row in await c.bot.fetchall(
        "SELECT member_id, SUM(amount) FROM fund_splits GROUP BY member_id"
    ):
        burden[row[0]] += row[1]
    everyone = set(burden) | set(positions) | set(world.pocket)
    for member in everyone:
        assert world.pocket[member] + positions.get(member, 0) == -burden[member], member
    # What is owed to the fund, less what it owes: everything borne, less what it paid
    # out to suppliers and what it still holds.
    fund_position = sum(burden.values()) - world.suppliers - balance
    assert sum(positions.values()) == -fund_position
    assert world.fund + world.suppliers + sum(world.pocket.values()) == 0


async def settle_everything(c: Community) -> None:
    plan, _ = await c.plan()
    while plan:
        first = plan[0]
        sides = [("fund" if x is None else str(x)) for x in (first.payer, first.payee)]
        await c.say("Anna", f"/settled {sides[0]} {sides[1]} {cents(first.amount)}")
        for member, sign in ((first.payer, -1), (first.payee, 1)):
            if member is not None:
                c.world.pocket[member] += sign * first.amount
        c.world.fund += (first.payee is None) * first.amount - (first.payer is None) * first.amount
        after, _ = await c.plan()
        assert after == plan[1:]
        plan = after
        await check(c)
    _, positions = await c.standing()
    assert set(positions.values()) <= {0}
    reply = await c.say("Anna", "/settle")
    assert reply[0].text == "Everyone's square: there's nothing to settle."
    open_shares = await c.val(
        "SELECT COUNT(*) FROM charge_shares s WHERE s.amount > (SELECT COALESCE(SUM(p.amount), 0)"
        " FROM payments p WHERE p.charge_id = s.charge_id AND p.member_id = s.member_id"
        " AND p.state = 'confirmed')"
    )
    assert open_shares == 0


async def live(data_dir: Path, story: list[tuple[object, ...]]) -> tuple[int, int | None]:
    """Plays the story, checking the invariants after each step; the fund's balance as
    the model keeps it and as the ledger's CSV adds it up (None without a ledger)."""
    bot = await BotHarness.start(data_dir, routers=coworkbot.routers())
    try:
        lift_flood_guard(bot)
        await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario"])
        ids = {
            p: int(await bot.fetchval("SELECT id FROM members WHERE display_name = ?", (p,)))
            for p in PEOPLE
        }
        c = Community(bot, ids)
        accepted = 0
        for step in story:
            before = await c.snapshot()
            await play(c, step)
            accepted += await c.snapshot() != before
            await check(c)
        event(f"accepted steps: {min(accepted, 20) // 5 * 5}+")
        await settle_everything(c)
        return c.world.fund, await ledger_balance(c)
    finally:
        await bot.close()


async def ledger_balance(c: Community) -> int | None:
    sent = await c.say("Anna", "/export fund")
    if sent[0].document is None:
        return None
    text = sent[0].document.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    if not rows:
        return None
    total = 0
    for row in rows:
        money_in = round(float(row[2]) * 100) if row[2] else 0
        money_out = round(float(row[3]) * 100) if row[3] else 0
        total += money_in - money_out
        assert round(float(row[4]) * 100) == total
    return total


@pytest.mark.fuzz
@settings(
    max_examples=int(os.environ.get("FUND_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    # Half the stories start with costs charged (a fund in use from the start), half
    # without (members who only split expenses settle among themselves until then).
    st.sampled_from([[], [("cost", 12000, "equal"), ("cost", 3333, "shares")]]),
    st.lists(steps, min_size=8, max_size=40),
)
def test_no_money_appears_or_vanishes(
    start: list[tuple[object, ...]], story: list[tuple[object, ...]]
) -> None:
    shm = Path("/dev/shm")
    data_dir = Path(tempfile.mkdtemp(prefix="coworkbot-fund-", dir=shm if shm.is_dir() else None))
    try:
        fund, csv_balance = asyncio.run(live(data_dir, start + story))
        assert csv_balance in (None, fund)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
