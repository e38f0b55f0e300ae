"""Storage for the costs capability (see handlers/costs/): costs, charges, shares,
payments, and the record of reminders sent.

Every "do it once" rule is a key in the database: a charge per (cost, due date), a
before-due reminder per (cost, due date), a summary per (space, month), a payment
reminder per share and reminder day. Callers claim the key in the same transaction as
the messages they send, so a job that runs twice or after a restart cannot repeat itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from storage.db import Param, Row, Tx, date_to_db, from_db, opt_from_db, to_db


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _opt_date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


class PaymentState(StrEnum):
    DECLARED = "declared"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class NewCost:
    space_id: int
    name: str
    amount: int
    currency: str
    every: str
    day: int
    month: int
    once_on: date | None
    split: str
    next_due: date | None
    created_by: int | None


@dataclass(frozen=True)
class Cost:
    id: int
    space_id: int
    name: str
    amount: int
    currency: str
    every: str
    day: int
    month: int
    once_on: date | None
    split: str
    next_due: date | None
    created_at: datetime
    removed_at: datetime | None
    ends_on: date | None = None  # no charge falls due after it
    next_amount: int | None = None  # the amount from the first due date on or after…
    next_amount_from: date | None = None  # …this day

    def amount_on(self, due: date) -> int:
        """What the charge due on `due` is: the new amount once its day has come."""
        pending, start = self.next_amount, self.next_amount_from
        if pending is not None and start is not None and due >= start:
            return pending
        return self.amount

    @classmethod
    def from_row(cls, row: Row) -> Cost:
        return cls(
            id=row["id"],
            space_id=row["space_id"],
            name=row["name"],
            amount=row["amount"],
            currency=row["currency"],
            every=row["every"],
            day=row["day"],
            month=row["month"],
            once_on=_opt_date(row["once_on"]),
            split=row["split"],
            next_due=_opt_date(row["next_due"]),
            created_at=from_db(row["created_at"]),
            removed_at=opt_from_db(row["removed_at"]),
            ends_on=_opt_date(row["ends_on"]),
            next_amount=row["next_amount"],
            next_amount_from=_opt_date(row["next_amount_from"]),
        )


@dataclass(frozen=True)
class Charge:
    id: int
    space_id: int
    cost_id: int
    name: str
    due_on: date
    period_start: date
    period_end: date
    amount: int
    currency: str
    split: str
    created_at: datetime

    @property
    def one_off(self) -> bool:
        """A one-off cost's charge pays for no period: its "period" is its own day."""
        return self.period_start == self.period_end == self.due_on

    @classmethod
    def from_row(cls, row: Row, prefix: str = "") -> Charge:
        return cls(
            id=row[f"{prefix}id"],
            space_id=row[f"{prefix}space_id"],
            cost_id=row[f"{prefix}cost_id"],
            name=row[f"{prefix}name"],
            due_on=_date(row[f"{prefix}due_on"]),
            period_start=_date(row[f"{prefix}period_start"]),
            period_end=_date(row[f"{prefix}period_end"]),
            amount=row[f"{prefix}amount"],
            currency=row[f"{prefix}currency"],
            split=row[f"{prefix}split"],
            created_at=from_db(row[f"{prefix}created_at"]),
        )


@dataclass(frozen=True)
class NewShare:
    member_id: int
    amount: int
    weight: int
    days: int
    units: int


@dataclass(frozen=True)
class ShareLine:
    """One member's share of one charge, with what has been paid against it."""

    charge: Charge
    member_id: int
    member_name: str
    amount: int
    weight: int
    days: int
    units: int
    confirmed: int
    declared: int
    nagged_on: date | None

    @property
    def owed(self) -> int:
        """Not yet confirmed by an admin."""
        return self.amount - self.confirmed

    @property
    def to_pay(self) -> int:
        """Not even declared: what the member still has to do something about."""
        return self.amount - self.confirmed - self.declared


@dataclass(frozen=True)
class Payment:
    id: int
    charge_id: int
    member_id: int
    amount: int
    state: PaymentState
    declared_at: datetime
    recorded_by: int | None
    confirmed_at: datetime | None
    confirmed_by: int | None

    @classmethod
    def from_row(cls, row: Row) -> Payment:
        return cls(
            id=row["id"],
            charge_id=row["charge_id"],
            member_id=row["member_id"],
            amount=row["amount"],
            state=PaymentState(row["state"]),
            declared_at=from_db(row["declared_at"]),
            recorded_by=row["recorded_by"],
            confirmed_at=opt_from_db(row["confirmed_at"]),
            confirmed_by=row["confirmed_by"],
        )


_CHARGE_COLUMNS = (
    "id",
    "space_id",
    "cost_id",
    "name",
    "due_on",
    "period_start",
    "period_end",
    "amount",
    "currency",
    "split",
    "created_at",
)


def _paid(state: str, share: str = "s") -> str:
    """What was paid against one share in one state, read through payments_share.

    A correlated sum per share, not a join to payments grouped over the whole table:
    the grouped subquery summed every payment of every space for each call (millions
    of rows on a big instance) to keep a few dozen.
    """
    return (
        "(SELECT COALESCE(SUM(p.amount), 0) FROM payments p"
        f" WHERE p.charge_id = {share}.charge_id AND p.member_id = {share}.member_id"
        f" AND p.state = '{state}')"
    )


_CONFIRMED = _paid("confirmed")

# Shares with their charge and what was paid against them; no GROUP BY, so PostgreSQL
# runs it as it is.
_SHARE_LINES = (
    "SELECT s.member_id, s.amount, s.weight, s.days, s.units, s.nagged_on,"
    " m.display_name AS member_name,"
    f" {_CONFIRMED} AS confirmed, {_paid('declared')} AS declared, "
    + ", ".join(f"c.{col} AS c_{col}" for col in _CHARGE_COLUMNS)
    + " FROM charges c"
    " JOIN charge_shares s ON s.charge_id = c.id"
    " JOIN members m ON m.id = s.member_id"
    " WHERE c.space_id = ?"
)

# The charges of a space with a share not confirmed in full: computed once per query
# (an uncorrelated IN), over that space's shares only.
_OPEN_CHARGES = (
    " AND c.id IN (SELECT o.charge_id FROM charges oc"
    " JOIN charge_shares o ON o.charge_id = oc.id"
    f" WHERE oc.space_id = ? AND o.amount > {_paid('confirmed', 'o')})"
)


def _share_line(row: Row) -> ShareLine:
    return ShareLine(
        charge=Charge.from_row(row, "c_"),
        member_id=row["member_id"],
        member_name=row["member_name"],
        amount=row["amount"],
        weight=row["weight"],
        days=row["days"],
        units=row["units"],
        confirmed=row["confirmed"],
        declared=row["declared"],
        nagged_on=_opt_date(row["nagged_on"]),
    )


class CostsRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- costs ------------------------------------------------------------------------

    async def add(self, new: NewCost, now: datetime) -> Cost:
        cost_id = await self._tx.execute(
            "INSERT INTO costs (space_id, name, amount, currency, every, day, month, once_on,"
            " split, next_due, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.space_id,
                new.name,
                new.amount,
                new.currency,
                new.every,
                new.day,
                new.month,
                None if new.once_on is None else date_to_db(new.once_on),
                new.split,
                None if new.next_due is None else date_to_db(new.next_due),
                new.created_by,
                to_db(now),
            ),
        )
        cost = await self.get(new.space_id, cost_id)
        assert cost is not None
        return cost

    async def get(self, space_id: int, cost_id: int) -> Cost | None:
        row = await self._tx.fetchone(
            "SELECT * FROM costs WHERE space_id = ? AND id = ?", (space_id, cost_id)
        )
        return None if row is None else Cost.from_row(row)

    async def of_space(self, space_id: int) -> list[Cost]:
        """Every cost of the space, stopped ones too, oldest first."""
        rows = await self._tx.fetchall(
            "SELECT * FROM costs WHERE space_id = ? ORDER BY id", (space_id,)
        )
        return [Cost.from_row(r) for r in rows]

    async def active(self, space_id: int) -> list[Cost]:
        """Costs still to be charged, soonest first."""
        rows = await self._tx.fetchall(
            "SELECT * FROM costs WHERE space_id = ? AND removed_at IS NULL"
            " AND next_due IS NOT NULL ORDER BY next_due, id",
            (space_id,),
        )
        return [Cost.from_row(r) for r in rows]

    async def due_through(self, space_id: int, day: date) -> list[Cost]:
        rows = await self._tx.fetchall(
            "SELECT * FROM costs WHERE space_id = ? AND removed_at IS NULL"
            " AND next_due IS NOT NULL AND next_due <= ? ORDER BY next_due, id",
            (space_id, date_to_db(day)),
        )
        return [Cost.from_row(r) for r in rows]

    async def largest_amount(self, space_id: int) -> int:
        """The largest amount of any cost the space ever had (0: none yet)."""
        value = await self._tx.fetchval(
            "SELECT MAX(amount) FROM costs WHERE space_id = ?", (space_id,)
        )
        return int(value or 0)

    async def first_created(self, space_id: int) -> datetime | None:
        value = await self._tx.fetchval(
            "SELECT MIN(created_at) FROM costs WHERE space_id = ?", (space_id,)
        )
        return None if value is None else from_db(value)

    async def remove(self, cost_id: int, now: datetime) -> None:
        await self._tx.execute(
            "UPDATE costs SET removed_at = ?, next_due = NULL WHERE id = ?", (to_db(now), cost_id)
        )

    async def end_on(self, cost_id: int, last_day: date) -> None:
        """No charge of the cost falls due after `last_day` (the ones made stay)."""
        await self._tx.execute(
            "UPDATE costs SET ends_on = ? WHERE id = ?", (date_to_db(last_day), cost_id)
        )

    async def change_amount(self, cost_id: int, amount: int, first_due: date) -> None:
        """From the charge due on or after `first_due`, the cost is `amount`."""
        await self._tx.execute(
            "UPDATE costs SET next_amount = ?, next_amount_from = ? WHERE id = ?",
            (amount, date_to_db(first_due), cost_id),
        )

    async def apply_amount(self, cost_id: int, amount: int) -> None:
        """The new amount's day came: it becomes the cost's amount."""
        await self._tx.execute(
            "UPDATE costs SET amount = ?, next_amount = NULL, next_amount_from = NULL WHERE id = ?",
            (amount, cost_id),
        )

    async def set_next_due(self, cost_id: int, next_due: date | None) -> None:
        await self._tx.execute(
            "UPDATE costs SET next_due = ? WHERE id = ?",
            (None if next_due is None else date_to_db(next_due), cost_id),
        )

    async def charge_count(self, cost_id: int) -> int:
        return int(
            await self._tx.fetchval("SELECT COUNT(*) FROM charges WHERE cost_id = ?", (cost_id,))
        )

    # -- charges ----------------------------------------------------------------------

    async def visit_days(self, space_id: int, first: date, last: date) -> dict[int, int]:
        """Per member, the days with at least one visit between `first` and `last`."""
        rows = await self._tx.fetchall(
            "SELECT member_id, COUNT(DISTINCT local_date) AS days FROM visits"
            " WHERE space_id = ? AND local_date BETWEEN ? AND ? GROUP BY member_id",
            (space_id, date_to_db(first), date_to_db(last)),
        )
        return {r["member_id"]: r["days"] for r in rows}

    async def create_charge(
        self,
        cost: Cost,
        due: date,
        period: tuple[date, date],
        split: str,
        shares: Sequence[NewShare],
        now: datetime,
    ) -> Charge | None:
        """The charge of `cost` for `due` with its shares; None if it was already made."""
        inserted = await self._tx.execute_rowcount(
            "INSERT INTO charges (space_id, cost_id, name, due_on, period_start, period_end,"
            " amount, currency, split, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (cost_id, due_on) DO NOTHING",
            (
                cost.space_id,
                cost.id,
                cost.name,
                date_to_db(due),
                date_to_db(period[0]),
                date_to_db(period[1]),
                cost.amount,
                cost.currency,
                split,
                to_db(now),
            ),
        )
        if inserted != 1:
            return None
        row = await self._tx.fetchone(
            "SELECT * FROM charges WHERE cost_id = ? AND due_on = ?", (cost.id, date_to_db(due))
        )
        assert row is not None
        charge = Charge.from_row(row)
        await self._tx.executemany(
            "INSERT INTO charge_shares (charge_id, member_id, amount, weight, days, units)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(charge.id, s.member_id, s.amount, s.weight, s.days, s.units) for s in shares],
        )
        return charge

    async def charge(self, space_id: int, charge_id: int) -> Charge | None:
        row = await self._tx.fetchone(
            "SELECT * FROM charges WHERE space_id = ? AND id = ?", (space_id, charge_id)
        )
        return None if row is None else Charge.from_row(row)

    async def charges_due_between(self, space_id: int, first: date, last: date) -> list[Charge]:
        rows = await self._tx.fetchall(
            "SELECT * FROM charges WHERE space_id = ? AND due_on BETWEEN ? AND ?"
            " ORDER BY due_on, id",
            (space_id, date_to_db(first), date_to_db(last)),
        )
        return [Charge.from_row(r) for r in rows]

    async def shares(
        self,
        space_id: int,
        *,
        member_id: int | None = None,
        charge_id: int | None = None,
        unsettled: bool = False,
        open_charges: bool = False,
        due_between: tuple[date, date] | None = None,
    ) -> list[ShareLine]:
        """Shares with what was paid against them, oldest charge first.

        `unsettled` keeps those an admin has not confirmed in full; `open_charges` keeps
        every share of the charges that still have such a share.
        """
        sql = _SHARE_LINES
        params: list[Param] = [space_id]
        if member_id is not None:
            sql += " AND s.member_id = ?"
            params.append(member_id)
        if charge_id is not None:
            sql += " AND s.charge_id = ?"
            params.append(charge_id)
        if unsettled:
            sql += f" AND s.amount > {_CONFIRMED}"
        if open_charges:
            sql += _OPEN_CHARGES
            params.append(space_id)
        if due_between is not None:
            sql += " AND c.due_on BETWEEN ? AND ?"
            params += [date_to_db(due_between[0]), date_to_db(due_between[1])]
        sql += " ORDER BY c.due_on, c.id, m.display_name, s.member_id"
        return [_share_line(r) for r in await self._tx.fetchall(sql, params)]

    async def mark_nagged(self, sent: Sequence[tuple[int, int, date]]) -> None:
        """Record the reminder day of each (charge, member) reminded."""
        await self._tx.executemany(
            "UPDATE charge_shares SET nagged_on = ? WHERE charge_id = ? AND member_id = ?",
            [(date_to_db(day), charge_id, member_id) for charge_id, member_id, day in sent],
        )

    # -- payments ---------------------------------------------------------------------

    async def add_payment(
        self,
        charge_id: int,
        member_id: int,
        amount: int,
        now: datetime,
        *,
        recorded_by: int | None = None,
        confirmed_by: int | None = None,
    ) -> Payment:
        """A declared payment, or a confirmed one when an admin records it (`confirmed_by`)."""
        state = PaymentState.DECLARED if confirmed_by is None else PaymentState.CONFIRMED
        payment_id = await self._tx.execute(
            "INSERT INTO payments (charge_id, member_id, amount, state, declared_at,"
            " recorded_by, confirmed_at, confirmed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                charge_id,
                member_id,
                amount,
                state,
                to_db(now),
                recorded_by,
                None if confirmed_by is None else to_db(now),
                confirmed_by,
            ),
        )
        payment = await self.payment_by_id(payment_id)
        assert payment is not None
        return payment

    async def payment_by_id(self, payment_id: int) -> Payment | None:
        row = await self._tx.fetchone("SELECT * FROM payments WHERE id = ?", (payment_id,))
        return None if row is None else Payment.from_row(row)

    async def payment(self, space_id: int, payment_id: int) -> Payment | None:
        row = await self._tx.fetchone(
            "SELECT p.* FROM payments p JOIN charges c ON c.id = p.charge_id"
            " WHERE c.space_id = ? AND p.id = ?",
            (space_id, payment_id),
        )
        return None if row is None else Payment.from_row(row)

    async def confirm(self, payment_id: int, by: int, now: datetime) -> bool:
        changed = await self._tx.execute_rowcount(
            "UPDATE payments SET state = 'confirmed', confirmed_at = ?, confirmed_by = ?"
            " WHERE id = ? AND state = 'declared'",
            (to_db(now), by, payment_id),
        )
        return changed == 1

    async def payments(
        self,
        space_id: int,
        *,
        state: PaymentState | None = None,
        share: tuple[int, int] | None = None,
        due_between: tuple[date, date] | None = None,
    ) -> list[Payment]:
        """Payments of the space; `share` is (charge id, member id).

        The space's charges are listed first (`IN`), so the payments are looked up by
        charge: a join let SQLite start from every payment in that state, of all spaces.
        """
        charges = "SELECT c.id FROM charges c WHERE c.space_id = ?"
        params: list[Param] = [space_id]
        if due_between is not None:
            charges += " AND c.due_on BETWEEN ? AND ?"
            params += [date_to_db(due_between[0]), date_to_db(due_between[1])]
        sql = f"SELECT p.* FROM payments p WHERE p.charge_id IN ({charges})"
        if state is not None:
            sql += " AND p.state = ?"
            params.append(state)
        if share is not None:
            sql += " AND p.charge_id = ? AND p.member_id = ?"
            params += list(share)
        rows = await self._tx.fetchall(sql + " ORDER BY p.id", params)
        return [Payment.from_row(r) for r in rows]

    async def confirmed_total(self, space_id: int, since: datetime, until: datetime) -> int:
        """Money confirmed as received in [since, until)."""
        value = await self._tx.fetchval(
            "SELECT COALESCE(SUM(p.amount), 0) FROM payments p"
            " WHERE p.charge_id IN (SELECT c.id FROM charges c WHERE c.space_id = ?)"
            " AND p.state = 'confirmed' AND p.confirmed_at >= ? AND p.confirmed_at < ?",
            (space_id, to_db(since), to_db(until)),
        )
        return int(value)

    # -- once-only records ------------------------------------------------------------

    async def claim_reminder(self, cost_id: int, due: date, now: datetime) -> bool:
        """True the first time only: the before-due reminder for this due date is ours."""
        return (
            await self._tx.execute_rowcount(
                "INSERT INTO cost_reminders (cost_id, due_on, sent_at) VALUES (?, ?, ?)"
                " ON CONFLICT (cost_id, due_on) DO NOTHING",
                (cost_id, date_to_db(due), to_db(now)),
            )
            == 1
        )

    async def claim_summary(self, space_id: int, month: str, now: datetime) -> bool:
        return (
            await self._tx.execute_rowcount(
                "INSERT INTO cost_summaries (space_id, month, sent_at) VALUES (?, ?, ?)"
                " ON CONFLICT (space_id, month) DO NOTHING",
                (space_id, month, to_db(now)),
            )
            == 1
        )

    # -- personal data (handlers/privacy/) --------------------------------------------

    async def export_member(self, member_id: int) -> dict[str, object]:
        """My shares (with what is paid and declared against each) and my payments."""
        shares = await self._tx.fetchall(
            "SELECT s.charge_id, s.amount, s.weight, s.days, s.units, c.name, c.due_on,"
            " c.period_start, c.period_end, c.amount AS charge_amount, c.currency, c.split"
            " FROM charge_shares s JOIN charges c ON c.id = s.charge_id"
            " WHERE s.member_id = ? ORDER BY c.due_on, c.id",
            (member_id,),
        )
        payments = await self._tx.fetchall(
            "SELECT p.id, p.charge_id, p.amount, p.state, p.declared_at, p.confirmed_at,"
            " p.recorded_by, c.name, c.currency FROM payments p"
            " JOIN charges c ON c.id = p.charge_id WHERE p.member_id = ? ORDER BY p.id",
            (member_id,),
        )
        paid: dict[tuple[int, str], int] = {}
        for p in payments:
            key = (p["charge_id"], p["state"])
            paid[key] = paid.get(key, 0) + p["amount"]
        return {
            "amounts_are": "minor units of the currency (cents)",
            "shares": [
                {
                    "charge": r["charge_id"],
                    "name": r["name"],
                    "due_on": r["due_on"],
                    "period": [r["period_start"], r["period_end"]],
                    "charge_amount": r["charge_amount"],
                    "split": r["split"],
                    "amount": r["amount"],
                    "currency": r["currency"],
                    "days_as_member": r["days"],
                    "units": r["units"],
                    "confirmed": paid.get((r["charge_id"], PaymentState.CONFIRMED), 0),
                    "declared": paid.get((r["charge_id"], PaymentState.DECLARED), 0),
                }
                for r in shares
            ],
            "payments": [
                {
                    "id": r["id"],
                    "charge": r["charge_id"],
                    "name": r["name"],
                    "amount": r["amount"],
                    "currency": r["currency"],
                    "state": r["state"],
                    "declared_at": r["declared_at"],
                    "confirmed_at": r["confirmed_at"],
                    "recorded_by_admin": r["recorded_by"] is not None,
                }
                for r in payments
            ],
        }

    async def erase_member(self, member_id: int, now: datetime) -> None:
        """Nothing goes: shares and payments are the ledger and hold no text of the
        member's (amounts, dates, charge names given by admins). They stay with the
        anonymous placeholder, so every charge still adds up to its amount and the
        admins still see what is owed and paid; declared payments can still be confirmed.
        """

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        """The source's shares become the target's, added up where both had a share of
        the same charge (one share per charge and member); the payments follow them.

        Shares are upserted onto the target before the payments move (a payment refers to
        its share) and the source's are deleted last, so every charge keeps adding up.
        """
        moves = (target_id, source_id)
        await self._tx.execute(
            "INSERT INTO charge_shares (charge_id, member_id, amount, weight, days, units,"
            " nagged_on) SELECT charge_id, ?, amount, weight, days, units, nagged_on"
            " FROM charge_shares WHERE member_id = ?"
            " ON CONFLICT (charge_id, member_id) DO UPDATE SET"
            " amount = charge_shares.amount + excluded.amount,"
            " weight = charge_shares.weight + excluded.weight,"
            " units = charge_shares.units + excluded.units,"
            " days = CASE WHEN excluded.days > charge_shares.days"
            "   THEN excluded.days ELSE charge_shares.days END,"
            # The later reminder day wins: the merged share is not reminded twice.
            " nagged_on = CASE WHEN charge_shares.nagged_on IS NULL"
            "   OR excluded.nagged_on > charge_shares.nagged_on"
            "   THEN excluded.nagged_on ELSE charge_shares.nagged_on END",
            moves,
        )
        await self._tx.execute("UPDATE payments SET member_id = ? WHERE member_id = ?", moves)
        await self._tx.execute("DELETE FROM charge_shares WHERE member_id = ?", (source_id,))
        for table, column in (
            ("payments", "recorded_by"),
            ("payments", "confirmed_by"),
            ("costs", "created_by"),
        ):
            await self._tx.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", moves)
