"""Storage for the common fund (see handlers/fund/): its settings, its movements, the
splits of fronted expenses, and receipts.

The fund's income is the confirmed share payments of storage/costs.py; this repository
reads them (summed per member, or listed for the ledger) and never copies them, so a
payment confirmed through `confirm` is in the fund at once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from storage.db import Param, Row, Tx, date_to_db, from_db, opt_from_db, to_db


class EntryKind(StrEnum):
    BILL = "bill"  # the fund paid a supplier
    SPENT = "spent"  # a member paid for the group
    REIMBURSE = "reimburse"  # the fund paid a member
    DEPOSIT = "deposit"  # a member paid into the fund
    TRANSFER = "transfer"  # a member paid another member


@dataclass(frozen=True)
class FundSettings:
    treasurer_id: int | None = None
    iban: str | None = None
    payee: str | None = None
    epc_qr: bool = False


@dataclass(frozen=True)
class NewEntry:
    space_id: int
    kind: EntryKind
    amount: int
    currency: str
    on_date: date
    member_id: int | None = None
    other_id: int | None = None
    cost_id: int | None = None
    note: str = ""
    receipt_id: int | None = None
    recorded_by: int | None = None


@dataclass(frozen=True)
class Entry:
    id: int
    space_id: int
    kind: EntryKind
    amount: int
    currency: str
    member_id: int | None
    other_id: int | None
    cost_id: int | None
    note: str
    on_date: date
    receipt_id: int | None
    recorded_by: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Entry:
        return cls(
            id=row["id"],
            space_id=row["space_id"],
            kind=EntryKind(row["kind"]),
            amount=row["amount"],
            currency=row["currency"],
            member_id=row["member_id"],
            other_id=row["other_id"],
            cost_id=row["cost_id"],
            note=row["note"],
            on_date=date.fromisoformat(row["on_date"]),
            receipt_id=row["receipt_id"],
            recorded_by=row["recorded_by"],
            created_at=from_db(row["created_at"]),
        )


@dataclass(frozen=True)
class Receipt:
    id: int
    space_id: int
    filename: str
    mime_type: str
    size: int
    sha256: str
    sent_by: int | None
    created_at: datetime


@dataclass(frozen=True)
class FundPayment:
    """A confirmed share payment: money into the fund."""

    id: int
    member_id: int
    amount: int
    currency: str
    charge_id: int
    charge_name: str
    due_on: date
    confirmed_at: datetime


@dataclass(frozen=True)
class Standing:
    """What the fund's figures rest on, summed per member (positive: in their favour)."""

    charged: dict[int, int]  # shares charged to each member
    paid: dict[int, int]  # share payments confirmed (into the fund)
    general: dict[int, int]  # everything else: fronted, split, reimbursed, deposited
    cash_out: int  # bills and reimbursements
    cash_in_other: int  # deposits

    @property
    def positions(self) -> dict[int, int]:
        """Per member: what they are owed (positive) or owe (negative), all told."""
        out: dict[int, int] = defaultdict(int)
        for member, amount in self.paid.items():
            out[member] += amount
        for member, amount in self.general.items():
            out[member] += amount
        for member, amount in self.charged.items():
            out[member] -= amount
        return dict(out)

    @property
    def balance(self) -> int:
        """The money the fund holds: everything in, minus everything out."""
        return sum(self.paid.values()) + self.cash_in_other - self.cash_out


def _as_dict(rows: Sequence[Row]) -> dict[int, int]:
    return {int(r[0]): int(r[1]) for r in rows}


def _receipt(row: Row) -> Receipt:
    return Receipt(
        id=row["id"],
        space_id=row["space_id"],
        filename=row["filename"],
        mime_type=row["mime_type"],
        size=row["size"],
        sha256=row["sha256"],
        sent_by=row["sent_by"],
        created_at=from_db(row["created_at"]),
    )


_RECEIPT_COLUMNS = "id, space_id, filename, mime_type, size, sha256, sent_by, created_at"

# The space's charges, listed first so payments are found by charge (as storage/costs.py
# does): a join let SQLite start from every confirmed payment of every space.
_SPACE_CHARGES = "SELECT c.id FROM charges c WHERE c.space_id = ?"


class FundRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- settings ---------------------------------------------------------------------

    async def settings(self, space_id: int) -> FundSettings:
        row = await self._tx.fetchone(
            "SELECT treasurer_id, iban, payee, epc_qr FROM fund_settings WHERE space_id = ?",
            (space_id,),
        )
        if row is None:
            return FundSettings()
        return FundSettings(row[0], row[1], row[2], bool(row[3]))

    async def update_settings(self, space_id: int, **values: Param) -> None:
        """Set `treasurer_id`, `iban`, `payee` or `epc_qr`, creating the row if needed."""
        allowed = {"treasurer_id", "iban", "payee", "epc_qr"}
        if not values or not set(values) <= allowed:
            raise ValueError(f"unknown fund settings: {sorted(set(values) - allowed)}")
        columns = sorted(values)
        await self._tx.execute(
            f"INSERT INTO fund_settings (space_id, {', '.join(columns)})"
            f" VALUES (?, {', '.join('?' for _ in columns)})"
            " ON CONFLICT (space_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns),
            [space_id, *(values[c] for c in columns)],
        )

    # -- movements --------------------------------------------------------------------

    async def add_entry(self, new: NewEntry, now: datetime) -> Entry:
        entry_id = await self._tx.execute(
            "INSERT INTO fund_entries (space_id, kind, amount, currency, member_id, other_id,"
            " cost_id, note, on_date, receipt_id, recorded_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.space_id,
                new.kind,
                new.amount,
                new.currency,
                new.member_id,
                new.other_id,
                new.cost_id,
                new.note,
                date_to_db(new.on_date),
                new.receipt_id,
                new.recorded_by,
                to_db(now),
            ),
        )
        entry = await self.entry(new.space_id, entry_id)
        assert entry is not None
        return entry

    async def remove_entry(self, entry: Entry) -> None:
        """An entry recorded by mistake, gone with its split and, if nothing else shows
        it, its receipt: every balance is computed from the entries, so they follow."""
        await self._tx.execute(  # its split goes with it (ON DELETE CASCADE)
            "DELETE FROM fund_entries WHERE space_id = ? AND id = ?", (entry.space_id, entry.id)
        )
        if entry.receipt_id is not None:
            await self._tx.execute(
                "DELETE FROM receipts WHERE id = ?"
                " AND NOT EXISTS (SELECT 1 FROM fund_entries WHERE receipt_id = ?)",
                (entry.receipt_id, entry.receipt_id),
            )

    async def add_splits(self, entry_id: int, parts: dict[int, int]) -> None:
        await self._tx.executemany(
            "INSERT INTO fund_splits (entry_id, member_id, amount) VALUES (?, ?, ?)",
            [(entry_id, member, amount) for member, amount in sorted(parts.items()) if amount],
        )

    async def entry(self, space_id: int, entry_id: int) -> Entry | None:
        row = await self._tx.fetchone(
            "SELECT * FROM fund_entries WHERE space_id = ? AND id = ?", (space_id, entry_id)
        )
        return None if row is None else Entry.from_row(row)

    async def entries(
        self, space_id: int, *, between: tuple[date, date] | None = None
    ) -> list[Entry]:
        sql = "SELECT * FROM fund_entries WHERE space_id = ?"
        params: list[Param] = [space_id]
        if between is not None:
            sql += " AND on_date BETWEEN ? AND ?"
            params += [date_to_db(between[0]), date_to_db(between[1])]
        rows = await self._tx.fetchall(sql + " ORDER BY on_date, id", params)
        return [Entry.from_row(r) for r in rows]

    async def latest_entries(
        self, space_id: int, limit: int, *, member_id: int | None = None
    ) -> list[Entry]:
        """The last `limit` entries, newest first; with `member_id`, those concerning them
        (theirs, paid to them, or split with them)."""
        sql = "SELECT * FROM fund_entries WHERE space_id = ?"
        params: list[Param] = [space_id]
        if member_id is not None:
            sql += (
                " AND (member_id = ? OR other_id = ?"
                " OR id IN (SELECT entry_id FROM fund_splits WHERE member_id = ?))"
            )
            params += [member_id, member_id, member_id]
        rows = await self._tx.fetchall(
            sql + " ORDER BY on_date DESC, id DESC LIMIT ?", [*params, limit]
        )
        return [Entry.from_row(r) for r in rows]

    async def entry_with_receipt(self, space_id: int, receipt_id: int) -> Entry | None:
        row = await self._tx.fetchone(
            "SELECT * FROM fund_entries WHERE space_id = ? AND receipt_id = ?",
            (space_id, receipt_id),
        )
        return None if row is None else Entry.from_row(row)

    async def splits(self, entry_ids: Sequence[int]) -> dict[int, dict[int, int]]:
        """Entry id → member id → their part."""
        out: dict[int, dict[int, int]] = defaultdict(dict)
        if not entry_ids:
            return out
        marks = ", ".join("?" for _ in entry_ids)
        rows = await self._tx.fetchall(
            f"SELECT entry_id, member_id, amount FROM fund_splits WHERE entry_id IN ({marks})",
            list(entry_ids),
        )
        for r in rows:
            out[r[0]][r[1]] = r[2]
        return out

    async def in_use(self, space_id: int) -> bool:
        """Whether the space keeps a fund: a treasurer was named, it has costs, or money
        went into or out of the fund. Otherwise members settle among themselves."""
        value = await self._tx.fetchval(
            "SELECT EXISTS (SELECT 1 FROM fund_settings WHERE space_id = ?"
            "  AND treasurer_id IS NOT NULL)"
            " OR EXISTS (SELECT 1 FROM costs WHERE space_id = ?)"
            " OR EXISTS (SELECT 1 FROM fund_entries e WHERE e.space_id = ?"
            "  AND (e.kind IN ('bill', 'reimburse', 'deposit')"
            "   OR (e.kind = 'spent' AND NOT EXISTS"
            "    (SELECT 1 FROM fund_splits f WHERE f.entry_id = e.id))))",
            (space_id, space_id, space_id),
        )
        return bool(value)

    # -- figures ----------------------------------------------------------------------

    async def fronted(self, space_id: int, member_id: int) -> int:
        """What the member paid for the fund (expenses not split) and was not paid back."""
        value = await self._tx.fetchval(
            "SELECT COALESCE(SUM(CASE WHEN kind = 'spent' THEN amount ELSE -amount END), 0)"
            " FROM fund_entries e WHERE space_id = ? AND member_id = ?"
            " AND (kind = 'reimburse' OR (kind = 'spent' AND NOT EXISTS"
            "  (SELECT 1 FROM fund_splits f WHERE f.entry_id = e.id)))",
            (space_id, member_id),
        )
        return max(0, int(value))

    async def standing(self, space_id: int) -> Standing:
        """Every member's position and the fund's balance, in five summing queries."""
        charged = await self._tx.fetchall(
            "SELECT s.member_id, SUM(s.amount) FROM charges c"
            " JOIN charge_shares s ON s.charge_id = c.id WHERE c.space_id = ?"
            " GROUP BY s.member_id",
            (space_id,),
        )
        paid = await self._tx.fetchall(
            "SELECT p.member_id, SUM(p.amount) FROM payments p"
            f" WHERE p.charge_id IN ({_SPACE_CHARGES}) AND p.state = 'confirmed'"
            " GROUP BY p.member_id",
            (space_id,),
        )
        by_kind = await self._tx.fetchall(
            "SELECT kind, member_id, other_id, SUM(amount) FROM fund_entries WHERE space_id = ?"
            " GROUP BY kind, member_id, other_id",
            (space_id,),
        )
        split_parts = await self._tx.fetchall(
            "SELECT f.member_id, SUM(f.amount) FROM fund_entries e"
            " JOIN fund_splits f ON f.entry_id = e.id WHERE e.space_id = ?"
            " GROUP BY f.member_id",
            (space_id,),
        )
        general: dict[int, int] = defaultdict(int)
        cash_out = cash_in = 0
        for kind, member, other, amount in by_kind:
            if kind == EntryKind.BILL:
                cash_out += amount
            elif kind == EntryKind.SPENT:
                general[member] += amount
            elif kind == EntryKind.REIMBURSE:
                general[member] -= amount
                cash_out += amount
            elif kind == EntryKind.DEPOSIT:
                general[member] += amount
                cash_in += amount
            else:
                general[member] += amount
                general[other] -= amount
        for member, amount in split_parts:
            general[member] -= amount
        return Standing(_as_dict(charged), _as_dict(paid), dict(general), cash_out, cash_in)

    async def payments_in(
        self,
        space_id: int,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        member_id: int | None = None,
        latest: int | None = None,
    ) -> list[FundPayment]:
        """Confirmed share payments, by the time they were confirmed, in [since, until);
        `latest`: only the last so many (still oldest first)."""
        sql = (
            "SELECT p.id, p.member_id, p.amount, p.confirmed_at, c.id AS charge_id,"
            " c.name, c.due_on, c.currency FROM payments p JOIN charges c ON c.id = p.charge_id"
            f" WHERE p.charge_id IN ({_SPACE_CHARGES}) AND p.state = 'confirmed'"
        )
        params: list[Param] = [space_id]
        if since is not None:
            sql += " AND p.confirmed_at >= ?"
            params.append(to_db(since))
        if until is not None:
            sql += " AND p.confirmed_at < ?"
            params.append(to_db(until))
        if member_id is not None:
            sql += " AND p.member_id = ?"
            params.append(member_id)
        if latest is not None:
            sql += " ORDER BY p.confirmed_at DESC, p.id DESC LIMIT ?"
            params.append(latest)
        else:
            sql += " ORDER BY p.confirmed_at, p.id"
        rows = await self._tx.fetchall(sql, params)
        if latest is not None:
            rows.reverse()
        out = []
        for r in rows:
            confirmed = opt_from_db(r["confirmed_at"])
            assert confirmed is not None
            out.append(
                FundPayment(
                    id=r["id"],
                    member_id=r["member_id"],
                    amount=r["amount"],
                    currency=r["currency"],
                    charge_id=r["charge_id"],
                    charge_name=r["name"],
                    due_on=date.fromisoformat(r["due_on"]),
                    confirmed_at=confirmed,
                )
            )
        return out

    async def paid_in_total(self, space_id: int, since: datetime, until: datetime) -> int:
        value = await self._tx.fetchval(
            "SELECT COALESCE(SUM(p.amount), 0) FROM payments p"
            f" WHERE p.charge_id IN ({_SPACE_CHARGES}) AND p.state = 'confirmed'"
            " AND p.confirmed_at >= ? AND p.confirmed_at < ?",
            (space_id, to_db(since), to_db(until)),
        )
        return int(value)

    # -- receipts ---------------------------------------------------------------------

    async def add_receipt(
        self,
        space_id: int,
        filename: str,
        mime_type: str,
        content: bytes,
        sent_by: int | None,
        now: datetime,
    ) -> Receipt:
        digest = hashlib.sha256(content).hexdigest()
        receipt_id = await self._tx.execute(
            "INSERT INTO receipts (space_id, filename, mime_type, size, sha256, content,"
            " sent_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (space_id, filename, mime_type, len(content), digest, content, sent_by, to_db(now)),
        )
        found = await self.receipt(space_id, receipt_id)
        assert found is not None
        return found

    async def receipt(self, space_id: int, receipt_id: int) -> Receipt | None:
        row = await self._tx.fetchone(
            f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE space_id = ? AND id = ?",
            (space_id, receipt_id),
        )
        return None if row is None else _receipt(row)

    async def receipts(self, space_id: int, ids: Sequence[int]) -> dict[int, Receipt]:
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = await self._tx.fetchall(
            f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE space_id = ? AND id IN ({marks})",
            [space_id, *ids],
        )
        return {r["id"]: _receipt(r) for r in rows}

    async def receipt_content(self, space_id: int, receipt_id: int) -> bytes | None:
        value = await self._tx.fetchval(
            "SELECT content FROM receipts WHERE space_id = ? AND id = ?", (space_id, receipt_id)
        )
        return None if value is None else bytes(value)

    # -- personal data (handlers/privacy.py) --------------------------------------------

    async def export_member(self, member_id: int) -> dict[str, object]:
        """The fund's movements that concern me, and my parts of split expenses."""
        rows = await self._tx.fetchall(
            "SELECT id, kind, amount, currency, member_id, other_id, note, on_date, receipt_id"
            " FROM fund_entries WHERE member_id = ? OR other_id = ? ORDER BY on_date, id",
            (member_id, member_id),
        )
        parts = await self._tx.fetchall(
            "SELECT f.entry_id, f.amount, e.note, e.on_date, e.currency FROM fund_splits f"
            " JOIN fund_entries e ON e.id = f.entry_id WHERE f.member_id = ? ORDER BY e.id",
            (member_id,),
        )
        return {
            "amounts_are": "minor units of the currency (cents)",
            "movements": [
                {
                    "id": r["id"],
                    "kind": r["kind"],
                    "amount": r["amount"],
                    "currency": r["currency"],
                    "role": "from" if r["member_id"] == member_id else "to",
                    "note": r["note"],
                    "on": r["on_date"],
                    "receipt": r["receipt_id"],
                }
                for r in rows
            ],
            "my_parts_of_split_expenses": [
                {
                    "entry": r["entry_id"],
                    "amount": r["amount"],
                    "currency": r["currency"],
                    "note": r["note"],
                    "on": r["on_date"],
                }
                for r in parts
            ],
        }

    async def erase_member(self, member_id: int, now: datetime) -> None:
        """Nothing goes: the movements are the fund's ledger (amounts, dates, what was
        bought). They stay with the anonymous placeholder, so every total still adds up.
        If the erased member held the fund, the first admin holds it from now on."""
        await self._tx.execute(
            "UPDATE fund_settings SET treasurer_id = NULL WHERE treasurer_id = ?", (member_id,)
        )

    async def merge_member(self, source_id: int, target_id: int, now: datetime) -> None:
        """The source's movements and parts become the target's; two parts of the same
        expense add up, and a transfer between the two becomes nothing to settle."""
        moves = (target_id, source_id)
        await self._tx.execute(
            "INSERT INTO fund_splits (entry_id, member_id, amount)"
            " SELECT entry_id, ?, amount FROM fund_splits WHERE member_id = ?"
            " ON CONFLICT (entry_id, member_id) DO UPDATE SET"
            " amount = fund_splits.amount + excluded.amount",
            moves,
        )
        await self._tx.execute("DELETE FROM fund_splits WHERE member_id = ?", (source_id,))
        for column in ("member_id", "other_id", "recorded_by"):
            await self._tx.execute(
                f"UPDATE fund_entries SET {column} = ? WHERE {column} = ?", moves
            )
        await self._tx.execute(
            "UPDATE fund_settings SET treasurer_id = ? WHERE treasurer_id = ?", moves
        )
        await self._tx.execute("UPDATE receipts SET sent_by = ? WHERE sent_by = ?", moves)
