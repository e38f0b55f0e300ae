"""The queries that got slow at scale (bench/, figure group 3) keep the plans that fixed them.

No timing: each repository call runs with SQLite's trace on, and every SELECT it ran
is asked for its query plan. A whole-table scan of visits, shares or payments costs
nothing in a test database and seconds on an instance of a thousand spaces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from storage import Session, Store
from storage.costs import NewCost, NewShare, PaymentState
from storage.members import MemberStatus
from storage.presence import ClosedBy, Closing

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BIG_TABLES = ("visits", "charge_shares", "payments", "charges")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Two spaces with members, open and closed visits, a charge, shares and payments."""
    store = await Store.open(tmp_path / "plans.db")
    async with store.transaction() as s:
        for name in ("One", "Two"):
            space = await s.spaces.create(name, NOW)
            members = [
                await s.members.create(
                    space.id, f"memory:{name}{i}", f"{name} {i}", NOW, status=MemberStatus.ACTIVE
                )
                for i in range(3)
            ]
            for i, m in enumerate(members):
                past = await s.presence.check_in(
                    space.id, m.id, date(2026, 11, 20 + i), NOW - timedelta(days=5), ""
                )
                await s.presence.close([Closing(past.id, NOW - timedelta(days=4), ClosedBy.MEMBER)])
                if i:
                    await s.presence.check_in(space.id, m.id, date(2026, 11, 25), NOW, "")
            cost = await s.costs.add(
                NewCost(
                    space.id,
                    "Heat",
                    300,
                    "EUR",
                    "monthly",
                    5,
                    0,
                    None,
                    "equal",
                    date(2026, 12, 5),
                    members[0].id,
                ),
                NOW,
            )
            charge = await s.costs.create_charge(
                cost,
                date(2026, 11, 5),
                (date(2026, 10, 5), date(2026, 11, 4)),
                "equal",
                [NewShare(m.id, 100, 1, 31, 1) for m in members],
                NOW,
            )
            assert charge is not None
            await s.costs.add_payment(
                charge.id, members[0].id, 100, NOW, confirmed_by=members[0].id
            )
            await s.costs.add_payment(charge.id, members[1].id, 50, NOW)
    yield store
    await store.close()


async def plans(store: Store, call: Callable[[Session], Awaitable[object]]) -> list[str]:
    """The query plan lines of every SELECT that `call` ran."""
    statements: list[str] = []
    store.db.trace(statements.append)
    async with store.transaction() as session:
        await call(session)
    store.db.trace(None)
    out: list[str] = []
    async with store.transaction() as session:
        for sql in statements:
            if sql.lstrip().upper().startswith("SELECT") and "last_insert_rowid" not in sql:
                rows = await session.tx.fetchall(f"EXPLAIN QUERY PLAN {sql}")
                out += [str(r["detail"]) for r in rows]
    assert out, "the call ran no SELECT"
    return out


def scans(lines: list[str]) -> list[str]:
    """Plan lines that read a whole big table (SQLite says SCAN, with the table or alias)."""
    return [
        line
        for line in lines
        if line.startswith("SCAN")
        or line.startswith("MATERIALIZE")
        or any(f"SCAN {t}" in line for t in BIG_TABLES)
    ]


async def test_open_visits_of_a_space_use_the_open_visits_index(store: Store) -> None:
    lines = await plans(store, lambda s: s.presence.open_visits(1))
    assert any("visits_open_space" in line for line in lines), lines
    lines = await plans(store, lambda s: s.presence.count_open(1))
    assert any("visits_open_space" in line for line in lines), lines
    lines = await plans(store, lambda s: s.presence.open_visits(1, before=date(2026, 11, 25)))
    assert any("visits_open_space" in line for line in lines), lines
    lines = await plans(store, lambda s: s.skills.present_members(1))
    assert any("visits_open_space" in line for line in lines), lines


async def test_the_caller_of_a_group_command_is_found_by_keys_in_one_query(store: Store) -> None:
    async with store.transaction() as s:
        await s.spaces.bind_chat(1, "memory", "group-one")
        space, member = await s.members.in_chat("memory", "group-one", "memory:One1")
        nobody = await s.members.in_chat("memory", "group-one", "memory:Two1")
        unbound = await s.members.in_chat("memory", "group-two", "memory:Two1")
    assert space is not None and space.name == "One"
    assert member is not None and member.display_name == "One 1"
    assert nobody[0] == space and nobody[1] is None
    assert unbound == (None, None)
    lines = await plans(store, lambda s: s.members.in_chat("memory", "group-one", "memory:One1"))
    assert scans(lines) == [], lines
    statements: list[str] = []
    store.db.trace(statements.append)
    async with store.transaction() as s:
        await s.members.in_chat("memory", "group-one", "memory:One1")
    store.db.trace(None)
    assert [sql.split()[0] for sql in statements] == ["BEGIN", "SELECT", "COMMIT"], statements


async def test_the_caller_of_a_private_command_is_their_last_membership_not_left(
    store: Store,
) -> None:
    async with store.transaction() as s:
        # memory:One1 is also a member of Two, seen there later, but has left it.
        two = await s.spaces.by_name("Two")
        assert two is not None
        other = await s.members.create(two.id, "memory:One1", "One 1 in Two", NOW)
        await s.members.touch(other, "memory:One1", "", "", NOW + timedelta(hours=1))
        await s.members.set_status(other.id, MemberStatus.LEFT, NOW + timedelta(hours=1))
        space, member = await s.members.in_private("memory:One1")
        assert await s.members.in_private("memory:nobody") == (None, None)
    assert space is not None and space.name == "One"
    assert member is not None and member.display_name == "One 1"
    lines = await plans(store, lambda s: s.members.in_private("memory:One1"))
    assert scans(lines) == [], lines


@pytest.mark.parametrize(
    "kwargs",
    [
        {"unsettled": True},
        {"open_charges": True},
        {"member_id": 1, "unsettled": True},
        {"charge_id": 1, "member_id": 1},
        {"due_between": (date(2026, 11, 1), date(2026, 11, 30))},
    ],
)
async def test_share_lines_read_one_space_not_every_payment(
    store: Store, kwargs: dict[str, object]
) -> None:
    lines = await plans(store, lambda s: s.costs.shares(1, **kwargs))  # type: ignore[arg-type]
    assert scans(lines) == [], lines


async def test_payments_of_a_space_are_looked_up_by_its_charges(store: Store) -> None:
    for call in (
        lambda s: s.costs.payments(1, state=PaymentState.DECLARED),
        lambda s: s.costs.payments(1, due_between=(date(2026, 11, 1), date(2026, 11, 30))),
        lambda s: s.costs.confirmed_total(1, NOW - timedelta(days=30), NOW + timedelta(days=1)),
    ):
        lines = await plans(store, call)
        assert scans(lines) == [], lines
        assert not any("payments_pending (state=?)" in line for line in lines), lines


async def test_share_lines_still_add_up_what_was_paid(store: Store) -> None:
    """The rewritten sums: confirmed and declared per share, settled shares left out."""
    async with store.transaction() as s:
        unsettled = await s.costs.shares(1, unsettled=True)
        every = await s.costs.shares(1, open_charges=True)
        declared = await s.costs.payments(1, state=PaymentState.DECLARED)
        other = await s.costs.shares(2, unsettled=True)
    assert {(x.member_name, x.confirmed, x.declared) for x in unsettled} == {
        ("One 1", 0, 50),
        ("One 2", 0, 0),
    }
    assert {(x.member_name, x.confirmed) for x in every} == {
        ("One 0", 100),
        ("One 1", 0),
        ("One 2", 0),
    }
    assert [(p.member_id, p.amount) for p in declared] == [(2, 50)]
    assert {x.member_name for x in other} == {"Two 1", "Two 2"}


async def test_the_fund_reads_one_space_not_every_payment(store: Store) -> None:
    """/fund and /settle sum a space's shares, payments and fund entries: by its charges
    and by its entries, never a walk through every space's rows."""
    from storage.fund import EntryKind, NewEntry

    async with store.transaction() as s:
        for space in (1, 2):
            entry = await s.fund.add_entry(
                NewEntry(space, EntryKind.SPENT, 900, "EUR", date(2026, 11, 20), member_id=space),
                NOW,
            )
            await s.fund.add_splits(entry.id, {space: 300, space + 1: 600})
            await s.fund.add_entry(
                NewEntry(space, EntryKind.BILL, 300, "EUR", date(2026, 11, 21), cost_id=space),
                NOW,
            )
    month = (NOW - timedelta(days=30), NOW + timedelta(days=1))
    for call in (
        lambda s: s.fund.standing(1),
        lambda s: s.fund.payments_in(1, member_id=1, latest=8),
        lambda s: s.fund.payments_in(1),
        lambda s: s.fund.paid_in_total(1, *month),
        lambda s: s.fund.latest_entries(1, 8, member_id=2),
        lambda s: s.fund.entries(1, between=(date(2026, 11, 1), date(2026, 11, 30))),
        lambda s: s.fund.fronted(1, 1),
        lambda s: s.fund.in_use(1),
    ):
        lines = await plans(store, call)
        whole = [line for line in scans(lines) if line != "SCAN CONSTANT ROW"]
        assert whole == [], lines
    async with store.transaction() as s:
        standing = await s.fund.standing(1)
    assert standing.balance == 100 - 300  # one confirmed payment of 1.00, one bill of 3.00
    assert standing.positions[1] == 900 - 300 + 100 - 100
