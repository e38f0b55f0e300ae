"""The costs ledger as CSV: charges, their shares and their payments, in one table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.costs.money import plain_amount
from handlers.spreadsheet import cell, decimal, table
from storage.costs import Charge, Payment, ShareLine

CSV_COLUMNS = (
    "kind",
    "charge_id",
    "cost_id",
    "name",
    "due_on",
    "period_start",
    "period_end",
    "split",
    "currency",
    "member_id",
    "member",
    "amount",
    "weight",
    "units",
    "days",
    "confirmed",
    "declared",
    "owed",
    "payment_id",
    "state",
    "declared_at",
    "confirmed_at",
    "confirmed_by",
)


def local_iso(instant: datetime | None, tz: ZoneInfo) -> str:
    return "" if instant is None else instant.astimezone(tz).isoformat(timespec="minutes")


def ledger_csv(
    charges: Sequence[Charge],
    lines: Sequence[ShareLine],
    payments: Sequence[Payment],
    names: Mapping[int, str],
    tz: ZoneInfo,
    lang: str,
) -> bytes:
    """One flat table: each charge, then its shares, then its payments (a `kind` column).

    Amounts are plain numbers in the reader's spreadsheet convention
    (handlers/spreadsheet.py), times local ISO with their offset.
    """
    shares_of: dict[int, list[ShareLine]] = defaultdict(list)
    for line in lines:
        shares_of[line.charge.id].append(line)
    payments_of: dict[int, list[Payment]] = defaultdict(list)
    for p in payments:
        payments_of[p.charge_id].append(p)
    rows = [
        [row.get(column, "") for column in CSV_COLUMNS]
        for charge in charges
        for row in _charge_rows(
            charge, shares_of[charge.id], payments_of[charge.id], names, tz, lang
        )
    ]
    return table(CSV_COLUMNS, rows, lang)


def _charge_rows(
    charge: Charge,
    lines: Sequence[ShareLine],
    payments: Sequence[Payment],
    names: Mapping[int, str],
    tz: ZoneInfo,
    lang: str,
) -> list[dict[str, object]]:
    def amount(minor: int) -> str:
        return decimal(plain_amount(minor, charge.currency), lang)

    base: dict[str, object] = {
        "charge_id": charge.id,
        "cost_id": charge.cost_id,
        "name": cell(charge.name),
        "due_on": charge.due_on.isoformat(),
        "period_start": charge.period_start.isoformat(),
        "period_end": charge.period_end.isoformat(),
        "split": charge.split,
        "currency": charge.currency,
    }
    rows: list[dict[str, object]] = [{**base, "kind": "charge", "amount": amount(charge.amount)}]
    rows += [
        {
            **base,
            "kind": "share",
            "member_id": line.member_id,
            "member": cell(line.member_name),
            "amount": amount(line.amount),
            "weight": line.weight,
            "units": line.units,
            "days": line.days,
            "confirmed": amount(line.confirmed),
            "declared": amount(line.declared),
            "owed": amount(line.owed),
        }
        for line in lines
    ]
    rows += [
        {
            **base,
            "kind": "payment",
            "member_id": p.member_id,
            "member": cell(names.get(p.member_id, "")),
            "amount": amount(p.amount),
            "payment_id": p.id,
            "state": p.state.value,
            "declared_at": local_iso(p.declared_at, tz),
            "confirmed_at": local_iso(p.confirmed_at, tz),
            "confirmed_by": cell(names.get(p.confirmed_by or 0, "")),
        }
        for p in payments
    ]
    return rows
