"""Where the fund stands (`fund`) and its ledger as CSV (`export fund`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.arguments import YearMonth
from bot.context import MemberContext, Refusal
from bot.events import Document
from bot.i18n import Localizer, Markup, join, to_plain
from bot.registry import Where
from handlers.costs.money import plain_amount
from handlers.costs.schedules import moment
from handlers.costs.views import LISTING_BUDGET, fit, money, paragraph
from handlers.fund.common import handles_money, router, treasurer_of
from handlers.spreadsheet import cell, decimal, table
from storage.fund import Entry, EntryKind, FundPayment, Receipt

LATEST = 8  # movements /fund shows

# The order a day's movements are listed in when they share an instant.
_ORDER = {"payment": 0, "deposit": 1, "spent": 2, "transfer": 3, "bill": 4, "reimburse": 5}


@dataclass(frozen=True)
class Movement:
    """One line of the fund's ledger: a share payment or a fund entry."""

    day: date
    at: datetime
    kind: str
    ref: int  # payment id or entry id
    amount: int
    cash: int  # what it does to the fund's balance: + in, − out, 0 nothing
    member_id: int | None
    other_id: int | None
    name: str  # the charge's or the cost's name, or the note
    receipt_id: int | None
    split_among: tuple[int, ...] = ()

    def sort_key(self) -> tuple[date, datetime, int, int]:
        return (self.day, self.at, _ORDER[self.kind], self.ref)


_CASH = {
    EntryKind.BILL: -1,
    EntryKind.SPENT: 0,
    EntryKind.REIMBURSE: -1,
    EntryKind.DEPOSIT: 1,
    EntryKind.TRANSFER: 0,
}


def movements(
    payments: Sequence[FundPayment],
    entries: Sequence[Entry],
    splits: Mapping[int, Mapping[int, int]],
    cost_names: Mapping[int, str],
    tz: ZoneInfo,
) -> list[Movement]:
    """Payments and entries as one ledger, oldest first."""
    out = [
        Movement(
            day=p.confirmed_at.astimezone(tz).date(),
            at=p.confirmed_at,
            kind="payment",
            ref=p.id,
            amount=p.amount,
            cash=p.amount,
            member_id=p.member_id,
            other_id=None,
            name=p.charge_name,
            receipt_id=None,
        )
        for p in payments
    ]
    for e in entries:
        name = cost_names.get(e.cost_id, "") if e.kind is EntryKind.BILL and e.cost_id else ""
        if e.note:
            name = f"{name} ({e.note})" if name else e.note
        out.append(
            Movement(
                day=e.on_date,
                at=e.created_at,
                kind=e.kind.value,
                ref=e.id,
                amount=e.amount,
                cash=_CASH[e.kind] * e.amount,
                member_id=e.member_id,
                other_id=e.other_id,
                name=name,
                receipt_id=e.receipt_id,
                split_among=tuple(sorted(splits.get(e.id, {}))),
            )
        )
    out.sort(key=Movement.sort_key)
    return out


def what(loc: Localizer, m: Movement, names: Mapping[int, str]) -> Markup:
    """A movement in words: "bill for Heating", "Bruno, share of Internet"…"""

    def name(member: int | None) -> str:
        return "" if member is None else names.get(member, f"#{member}")

    member, other = name(m.member_id), name(m.other_id)
    if m.kind == "bill":
        return loc.t("what.bill", name=m.name)
    if m.kind == "payment":
        return loc.t("what.payment", member=member, name=m.name)
    if m.kind == "spent" and m.split_among:
        return loc.t("what.spent_split", member=member, note=m.name, count=len(m.split_among))
    if m.kind == "spent":
        return loc.t("what.spent", member=member, note=m.name)
    return loc.t(f"what.{m.kind}", member=member, other=other)


# -- /fund ----------------------------------------------------------------------------------


def _month_bounds(ctx: MemberContext, month: YearMonth) -> tuple[datetime, datetime]:
    midnight = time(0)
    return (
        moment(month.first_day, midnight, ctx.tz),
        moment(month.next.first_day, midnight, ctx.tz),
    )


@router.command("fund", where=Where.PRIVATE)
async def fund_view(ctx: MemberContext) -> None:
    space, me, fund = ctx.space, ctx.member, ctx.session.fund
    currency = space.currency
    standing = await fund.standing(space.id)
    treasurer = await treasurer_of(ctx)
    sees_all = me.is_admin or me.id == treasurer.id
    month = YearMonth.of(ctx.today)
    since, until = _month_bounds(ctx, month)
    month_entries = await fund.entries(
        space.id, between=(month.first_day, month.next.first_day - timedelta(days=1))
    )
    income = await fund.paid_in_total(space.id, since, until)
    income += sum(e.amount for e in month_entries if e.kind is EntryKind.DEPOSIT)
    spending = sum(
        e.amount for e in month_entries if e.kind in (EntryKind.BILL, EntryKind.REIMBURSE)
    )
    positions = standing.positions
    owes = sum(v for v in positions.values() if v > 0)
    owed = -sum(v for v in positions.values() if v < 0)

    def cash(amount: int) -> str:
        return money(ctx.loc, amount, currency)

    out = [
        ctx.t("fund.title", space=space.name),
        ctx.t("fund.balance", balance=cash(standing.balance), treasurer=treasurer.display_name),
        ctx.t(
            "fund.month",
            month=ctx.fmt.month(month.year, month.month),
            income=cash(income),
            spending=cash(spending),
        ),
        ctx.t("fund.owes", amount=cash(owes), owed=cash(owed)),
    ]
    mine = positions.get(me.id, 0)
    if mine < 0:
        out.append(ctx.t("fund.you_owe", amount=cash(-mine)))
    elif mine > 0:
        out.append(ctx.t("fund.owes_you", amount=cash(mine)))
    else:
        out.append(ctx.t("fund.you_square"))
    names = {m.id: m.display_name for m in await ctx.session.members.of_space(space.id)}
    if sees_all:
        ranked = sorted(
            ((names.get(mid, f"#{mid}"), mid, v) for mid, v in positions.items() if v),
            key=lambda item: (item[0].casefold(), item[1]),
        )
        lines = [
            ctx.t(
                "fund.member_owes" if v < 0 else "fund.member_owed",
                member=name,
                amount=cash(abs(v)),
            )
            for name, _, v in ranked
        ]
        if lines:
            shown, left = fit(lines, LISTING_BUDGET // 2)
            out += [paragraph(ctx.t("fund.members")), *shown]
            if left:
                out.append(ctx.t("balance.more_people", count=left))
    latest = await _latest(ctx, None if sees_all else me.id)
    if latest:
        out.append(paragraph(ctx.t("fund.latest" if sees_all else "fund.yours")))
        for m in latest:
            signed = cash(m.cash) if m.cash else ctx.t("fund.outside", amount=cash(m.amount))
            key = "fund.line_receipt" if m.receipt_id else "fund.line"
            out.append(
                ctx.t(
                    key,
                    day=ctx.fmt.short_day(m.day),
                    what=what(ctx.loc, m, names),
                    amount=signed,
                    receipt=m.receipt_id,
                )
            )
    hints = {"settle": f"{ctx.prefix}settle", "receipt": f"{ctx.prefix}receipt"}
    if sees_all:
        out.append(paragraph(ctx.t("fund.footer", export=f"{ctx.prefix}export fund", **hints)))
    else:
        out.append(paragraph(ctx.t("fund.footer_member", **hints)))
    await ctx.reply(join(out))


async def _latest(ctx: MemberContext, member_id: int | None) -> list[Movement]:
    """The last movements, newest first: everyone's, or those that concern one member."""
    fund = ctx.session.fund
    entries = await fund.latest_entries(ctx.space.id, LATEST, member_id=member_id)
    payments = await fund.payments_in(ctx.space.id, member_id=member_id, latest=LATEST)
    costs = {c.id: c.name for c in await ctx.session.costs.of_space(ctx.space.id)}
    splits = await fund.splits([e.id for e in entries])
    found = movements(payments, entries, splits, costs, ctx.tz)
    return list(reversed(found))[:LATEST]


# -- /export fund ------------------------------------------------------------------------------

CSV_COLUMNS = ("date", "what", "in", "out", "balance", "who", "receipt", "kind", "id")


def ledger_csv(
    loc: Localizer,
    rows: Sequence[Movement],
    opening: int | None,
    names: Mapping[int, str],
    receipts: Mapping[int, Receipt],
    currency: str,
    first_day: date | None,
) -> bytes:
    """The fund's ledger: one row per movement with the running balance.

    The file follows the exports' one convention (handlers/spreadsheet.py): UTF-8 with a
    BOM, and the separators of the reader's language. A month's ledger starts with the
    balance brought forward.
    """

    def amount(minor: int) -> str:
        return decimal(plain_amount(minor, currency), loc.lang)

    out: list[list[object]] = []
    balance = opening or 0
    if opening is not None and first_day is not None:
        label = to_plain(loc.t("what.opening"))
        opening_row = [first_day.isoformat(), label, "", "", amount(balance)]
        out.append([*opening_row, "", "", "opening", ""])
    for m in rows:
        balance += m.cash
        who = ", ".join(names.get(x, f"#{x}") for x in (m.member_id, m.other_id) if x is not None)
        receipt = receipts.get(m.receipt_id) if m.receipt_id else None
        out.append(
            [
                m.day.isoformat(),
                cell(to_plain(what(loc, m, names))),
                amount(m.cash) if m.cash > 0 else "",
                amount(-m.cash) if m.cash < 0 else "",
                amount(balance),
                cell(who),
                cell(f"#{receipt.id} {receipt.filename}") if receipt else "",
                m.kind,
                m.ref,
            ]
        )
    return table(CSV_COLUMNS, out, loc.lang)


@router.command("export fund", where=Where.PRIVATE)
async def export_fund(ctx: MemberContext, month: YearMonth | None = None) -> None:
    await handles_money(ctx)
    space, fund = ctx.space, ctx.session.fund
    payments = await fund.payments_in(space.id)
    entries = await fund.entries(space.id)
    costs = {c.id: c.name for c in await ctx.session.costs.of_space(space.id)}
    splits = await fund.splits([e.id for e in entries if e.kind is EntryKind.SPENT])
    ledger = movements(payments, entries, splits, costs, ctx.tz)
    opening = None
    first_day = None
    if month is not None:
        first_day, after = month.first_day, month.next.first_day
        opening = sum(m.cash for m in ledger if m.day < first_day)
        ledger = [m for m in ledger if first_day <= m.day < after]
    if not ledger and opening is None:
        raise Refusal("fund.export.none")
    names = {m.id: m.display_name for m in await ctx.session.members.of_space(space.id)}
    receipts = await fund.receipts(space.id, [m.receipt_id for m in ledger if m.receipt_id])
    content = ledger_csv(ctx.loc, ledger, opening, names, receipts, space.currency, first_day)
    closing = (opening or 0) + sum(m.cash for m in ledger)
    scope = ctx.t("costs.export.all") if month is None else ctx.fmt.month(month.year, month.month)
    await ctx.reply(
        ctx.t(
            "fund.export.done",
            scope=scope,
            count=len(ledger),
            balance=money(ctx.loc, closing, space.currency),
        ),
        document=Document(f"fund-{month if month else 'all'}.csv", content, "text/csv"),
    )
