"""The costs ledger as CSV: charges, their shares and their payments, in one table."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.costs.money import plain_amount
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

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """User text as a spreadsheet cell: a leading `=`, `+`, `-` or `@` would be a formula."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def local_iso(instant: datetime | None, tz: ZoneInfo) -> str:
    return "" if instant is None else instant.astimezone(tz).isoformat(timespec="minutes")


def ledger_csv(
    charges: Sequence[Charge],
    lines: Sequence[ShareLine],
    payments: Sequence[Payment],
    names: Mapping[int, str],
    tz: ZoneInfo,
) -> bytes:
    """One flat table: each charge, then its shares, then its payments (a `kind` column).

    Amounts are plain decimals with a dot and times local ISO with their offset, so
    spreadsheets and scripts read them the same in every language; the UTF-8 BOM makes
    spreadsheet programs show accented names right.
    """
    shares_of: dict[int, list[ShareLine]] = defaultdict(list)
    for line in lines:
        shares_of[line.charge.id].append(line)
    payments_of: dict[int, list[Payment]] = defaultdict(list)
    for p in payments:
        payments_of[p.charge_id].append(p)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for charge in charges:
        for row in _charge_rows(charge, shares_of[charge.id], payments_of[charge.id], names, tz):
            writer.writerow([row.get(column, "") for column in CSV_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def _charge_rows(
    charge: Charge,
    lines: Sequence[ShareLine],
    payments: Sequence[Payment],
    names: Mapping[int, str],
    tz: ZoneInfo,
) -> list[dict[str, object]]:
    def amount(minor: int) -> str:
        return plain_amount(minor, charge.currency)

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
