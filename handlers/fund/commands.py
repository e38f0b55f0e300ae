"""The fund's everyday commands: who holds it, bank details, bills, expenses, refunds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar

from bot.arguments import ArgError, Rest, off_words, parse_date
from bot.context import Cmd, Context, Letter, MemberContext, Refusal, message
from bot.events import Document
from bot.i18n import join
from bot.registry import Role, Where
from handlers.costs.money import looks_like_amount, parse_amount, plain_amount, split_amount
from handlers.costs.views import money
from handlers.fund.banking import MAX_PAYEE, SEPA_LENGTHS, compact_iban, grouped, iban_problem
from handlers.fund.common import (
    MAX_NOTE,
    Money,
    check_receipt,
    handles_money,
    keep_receipt,
    router,
    treasurer_of,
)
from handlers.fund.settle import record_settlement
from handlers.members import MemberArg, clean_text
from storage.costs import Cost
from storage.fund import EntryKind, NewEntry
from storage.members import Member, MemberStatus

_SHOWN = 32


# -- the treasurer --------------------------------------------------------------------------


@router.command("treasurer")
async def treasurer(ctx: MemberContext, who: MemberArg | None = None) -> None:
    current = await treasurer_of(ctx)
    standing = await ctx.session.fund.standing(ctx.space.id)
    balance = money(ctx.loc, standing.balance, ctx.space.currency)
    if who is None:
        named = (await ctx.session.fund.settings(ctx.space.id)).treasurer_id == current.id
        if named:
            await ctx.say("treasurer.shown", name=current.display_name, balance=balance)
        else:
            await ctx.say(
                "treasurer.default",
                name=current.display_name,
                balance=balance,
                command=f"{ctx.prefix}treasurer",
            )
        return
    if not ctx.member.is_admin:
        raise Refusal("treasurer.admins_only")
    target = who.member
    if target.status is not MemberStatus.ACTIVE:
        raise Refusal("treasurer.not_active", name=target.display_name)
    if target.id == current.id:
        await ctx.session.fund.update_settings(ctx.space.id, treasurer_id=target.id)
        await ctx.say("treasurer.already", name=target.display_name)
        return
    await ctx.session.fund.update_settings(ctx.space.id, treasurer_id=target.id)
    await ctx.say("treasurer.set", name=target.display_name, balance=balance)
    notice = message(
        "treasurer.notice",
        admin=ctx.member.display_name,
        space=ctx.space.name,
        balance=Money(standing.balance, ctx.space.currency),
        bill=Cmd("bill"),
        reimburse=Cmd("reimburse"),
        fund=Cmd("fund"),
    )
    await ctx.send_private([Letter(target, notice)])


# -- payment details ----------------------------------------------------------------------


@router.command("set iban", role=Role.ADMIN)
async def set_iban(ctx: MemberContext, text: Annotated[str, Rest(64)]) -> None:
    if text.strip().casefold() in off_words():
        await ctx.session.fund.update_settings(ctx.space.id, iban=None, epc_qr=0)
        await ctx.say("iban.off")
        return
    iban = compact_iban(text)
    problem = iban_problem(iban)
    if problem == "length":
        raise Refusal(
            "iban.length", length=len(iban), country=iban[:2], wanted=SEPA_LENGTHS[iban[:2]]
        )
    if problem is not None:
        raise Refusal(f"iban.{problem}", value=text.strip()[:_SHOWN])
    await ctx.session.fund.update_settings(ctx.space.id, iban=iban)
    settings = await ctx.session.fund.settings(ctx.space.id)
    if settings.payee:
        await ctx.say("iban.set", iban=grouped(iban))
    else:
        await ctx.say("iban.set_payee_too", iban=grouped(iban), command=f"{ctx.prefix}set payee")


@router.command("set payee", role=Role.ADMIN)
async def set_payee(ctx: MemberContext, text: Annotated[str, Rest(MAX_PAYEE * 2)]) -> None:
    if text.strip().casefold() in off_words():
        await ctx.session.fund.update_settings(ctx.space.id, payee=None, epc_qr=0)
        await ctx.say("payee.off")
        return
    payee = clean_text(text)
    if not any(ch.isalpha() for ch in payee) or len(payee) > MAX_PAYEE:
        raise Refusal("payee.bad", limit=MAX_PAYEE)
    await ctx.session.fund.update_settings(ctx.space.id, payee=payee)
    await ctx.say("payee.set", payee=payee)


@router.command("set qr", role=Role.ADMIN)
async def set_qr(ctx: MemberContext, value: str) -> None:
    word = value.strip().lower()
    if word not in ("on", "off"):
        raise Refusal("qr.bad")
    if word == "on":
        settings = await ctx.session.fund.settings(ctx.space.id)
        if ctx.space.currency != "EUR":
            raise Refusal("qr.euro_only", currency=ctx.space.currency)
        if not settings.iban or not settings.payee:
            raise Refusal("qr.needs", iban=f"{ctx.prefix}set iban", payee=f"{ctx.prefix}set payee")
    await ctx.session.fund.update_settings(ctx.space.id, epc_qr=int(word == "on"))
    await ctx.say(f"qr.{word}")


# -- bills ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillArgs:
    """`<cost id|name> <amount> [date] [note]`: the name is the words before the amount."""

    rest: ClassVar[bool] = True
    cost: Cost
    amount: int
    day: date | None
    note: str

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> BillArgs:
        assert ctx.space is not None
        currency = ctx.space.currency
        words = text.split()
        costs = await ctx.session.costs.of_space(ctx.space.id)
        spots = [i for i in range(1, len(words)) if looks_like_amount(words[i], currency)]
        if not spots:
            raise ArgError("bill.need_amount", example=f"{ctx.prefix}bill Heating 120,50")
        for spot in spots:
            cost = _cost_named(costs, " ".join(words[:spot]))
            if cost is not None:
                break
        else:
            ref = " ".join(words[: spots[0]])[:_SHOWN]
            raise ArgError("bill.no_cost", ref=ref, costs=ctx.command("costs"))
        amount = parse_amount(words[spot], currency)
        rest = words[spot + 1 :]
        day = None
        if rest:
            try:
                day = parse_date(rest[0], ctx.today)
                rest = rest[1:]
            except ArgError:
                day = None
        note = clean_text(" ".join(rest), MAX_NOTE)
        return cls(cost, amount, day, note)


def _cost_named(costs: list[Cost], ref: str) -> Cost | None:
    """The cost `ref` means: `#12`/`12`, or its name (a running cost before a stopped one)."""
    number = ref.removeprefix("#")
    if number.isascii() and number.isdigit():
        return next((c for c in costs if c.id == int(number)), None)
    folded = ref.casefold()
    named = [c for c in costs if c.name.casefold() == folded]
    named.sort(key=lambda c: (c.removed_at is not None, -c.id))
    return named[0] if named else None


@router.command("bill")
async def bill(ctx: MemberContext, args: BillArgs) -> None:
    await handles_money(ctx)
    day = args.day or ctx.today
    if day > ctx.today:
        raise Refusal("bill.future", day=ctx.fmt.day(day))
    check_receipt(ctx.msg.attachment)
    receipt = await keep_receipt(ctx, ctx.msg.attachment)
    entry = await ctx.session.fund.add_entry(
        NewEntry(
            space_id=ctx.space.id,
            kind=EntryKind.BILL,
            amount=args.amount,
            currency=ctx.space.currency,
            on_date=day,
            cost_id=args.cost.id,
            note=args.note,
            receipt_id=receipt.id if receipt else None,
            recorded_by=ctx.member.id,
        ),
        ctx.now,
    )
    balance = (await ctx.session.fund.standing(ctx.space.id)).balance
    parts = [
        ctx.t(
            "bill.done",
            id=entry.id,
            amount=money(ctx.loc, entry.amount, entry.currency),
            name=args.cost.name,
            day=ctx.fmt.day(day),
            balance=money(ctx.loc, balance, ctx.space.currency),
        )
    ]
    if receipt is not None:
        parts.append(ctx.t("receipt.kept", id=receipt.id, name=receipt.filename))
    if balance < 0:
        parts.append(ctx.t("bill.negative"))
    await ctx.reply(join(parts, " "))


# -- expenses members fronted -------------------------------------------------------------


@dataclass(frozen=True)
class SpentArgs:
    """`<amount> <what> [for all|<member>, …]`."""

    rest: ClassVar[bool] = True
    amount: int
    what: str
    among: tuple[Member, ...]  # empty: the fund owes it

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> SpentArgs:
        assert ctx.space is not None
        currency = ctx.space.currency
        first, _, rest = text.strip().partition(" ")
        if not looks_like_amount(first, currency):
            raise ArgError("amount.bad", value=first[:_SHOWN])
        amount = parse_amount(first, currency)
        words = rest.split(" ")
        among: tuple[Member, ...] = ()
        fors = ctx.rt.translator.words("word.for")  # `for`, `per`, `für`
        at = next((i for i in range(len(words) - 1, -1, -1) if words[i].casefold() in fors), None)
        if at is not None:
            found = await _members_for(" ".join(words[at + 1 :]), ctx)
            if found is not None:
                among, words = found, words[:at]
        what = clean_text(" ".join(words), MAX_NOTE)
        if not any(ch.isalnum() for ch in what):
            word = ctx.rt.translator.word
            example = f"18,40 pellet {word(ctx.lang, 'word.for')} {word(ctx.lang, 'word.all')}"
            raise ArgError("spent.need_what", example=f"{ctx.prefix}spent {example}")
        return cls(amount, what, among)


async def _members_for(text: str, ctx: Context) -> tuple[Member, ...] | None:
    """The members after `for` (`per`, `für`); None if the first is no member (then
    `for` is a word of the description, as in "cake for the party" or "pellet per la
    stufa"); a later unknown name is an error."""
    if ctx.space is None:
        raise ArgError("dispatch.missing_argument")
    items = [item.strip() for item in text.split(",")]
    if not items or not items[0]:
        raise ArgError("spent.bad_for")
    out: dict[int, Member] = {}
    for index, item in enumerate(items):
        if not item:
            raise ArgError("spent.bad_for")
        if item.casefold() in ctx.rt.translator.words("word.all"):
            for m in await ctx.session.members.of_space(ctx.space.id, MemberStatus.ACTIVE):
                out[m.id] = m
            continue
        try:
            member = (await MemberArg.convert(item, ctx)).member
        except ArgError:
            if index == 0:
                return None
            raise
        out[member.id] = member
    return tuple(sorted(out.values(), key=lambda m: m.id))


@router.command("spent")
async def spent(ctx: MemberContext, args: SpentArgs) -> None:
    me = ctx.member
    if args.among and {m.id for m in args.among} == {me.id}:
        raise Refusal("spent.only_you")
    check_receipt(ctx.msg.attachment)
    receipt = await keep_receipt(ctx, ctx.msg.attachment)
    fund = ctx.session.fund
    entry = await fund.add_entry(
        NewEntry(
            space_id=ctx.space.id,
            kind=EntryKind.SPENT,
            amount=args.amount,
            currency=ctx.space.currency,
            on_date=ctx.today,
            member_id=me.id,
            note=args.what,
            receipt_id=receipt.id if receipt else None,
            recorded_by=me.id,
        ),
        ctx.now,
    )
    currency = ctx.space.currency
    kept = [ctx.t("receipt.kept", id=receipt.id, name=receipt.filename)] if receipt else []
    if args.among:
        parts = split_amount(args.amount, {m.id: 1 for m in args.among})
        await fund.add_splits(entry.id, parts)
        shown = ", ".join(
            str(
                ctx.t(
                    "spent.part", name=m.display_name, amount=money(ctx.loc, parts[m.id], currency)
                )
            )
            for m in args.among
        )
        reply = ctx.t(
            "spent.split",
            id=entry.id,
            amount=money(ctx.loc, args.amount, currency),
            what=args.what,
            count=len(args.among),
            parts=shown,
            settle=f"{ctx.prefix}settle",
        )
        await ctx.reply(join([reply, *kept], " "))
        await _tell_parts(ctx, args, parts)
        return
    treasurer_ = await treasurer_of(ctx)
    amount_text = money(ctx.loc, args.amount, currency)
    if treasurer_.id == me.id:
        command = f"{ctx.prefix}reimburse #{me.id} {plain_amount(args.amount, currency)}"
        reply = ctx.t(
            "spent.fund_self", id=entry.id, amount=amount_text, what=args.what, command=command
        )
        await ctx.reply(join([reply, *kept], " "))
        return
    reply = ctx.t(
        "spent.fund",
        id=entry.id,
        amount=amount_text,
        what=args.what,
        treasurer=treasurer_.display_name,
    )
    await ctx.reply(join([reply, *kept], " "))
    line = f"reimburse #{me.id} {plain_amount(args.amount, currency)}"
    ask = message(
        "spent.to_treasurer",
        member=me.display_name,
        amount=Money(args.amount, currency),
        what=args.what,
        command=Cmd(line),
    )
    await ctx.send_private([Letter(treasurer_, ask, [("button.reimbursed", line)])])


async def _tell_parts(ctx: MemberContext, args: SpentArgs, parts: dict[int, int]) -> None:
    currency = ctx.space.currency
    await ctx.send_private(
        Letter(
            m,
            message(
                "spent.your_part",
                member=ctx.member.display_name,
                amount=Money(args.amount, currency),
                what=args.what,
                part=Money(parts[m.id], currency),
                settle=Cmd("settle"),
            ),
        )
        for m in args.among
        if m.id != ctx.member.id
    )


# -- reimbursements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReimburseArgs:
    """`<member> [amount]`: the amount last, so names may have spaces."""

    rest: ClassVar[bool] = True
    member: Member
    amount: int | None

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> ReimburseArgs:
        assert ctx.space is not None
        words = text.split()
        amount = None
        if len(words) > 1 and looks_like_amount(words[-1], ctx.space.currency):
            amount = parse_amount(words[-1], ctx.space.currency)
            words = words[:-1]
        return cls((await MemberArg.convert(" ".join(words), ctx)).member, amount)


@router.command("reimburse")
async def reimburse(ctx: MemberContext, args: ReimburseArgs) -> None:
    await handles_money(ctx)
    target, currency = args.member, ctx.space.currency
    fund = ctx.session.fund
    position = (await fund.standing(ctx.space.id)).positions.get(target.id, 0)
    # What they are owed all told, or at least what they paid for the fund and did not
    # get back yet (even if they owe their part of something else: that is for `settle`).
    owed = max(position, await fund.fronted(ctx.space.id, target.id))
    if owed <= 0:
        raise Refusal("reimburse.nothing", name=target.display_name)
    amount = owed if args.amount is None else args.amount
    if amount > owed:
        raise Refusal(
            "reimburse.too_much", name=target.display_name, owed=money(ctx.loc, owed, currency)
        )
    done = await record_settlement(ctx, target, -amount)
    balance = (await ctx.session.fund.standing(ctx.space.id)).balance
    parts = [
        ctx.t(
            "reimburse.done",
            name=target.display_name,
            amount=money(ctx.loc, amount, currency),
            balance=money(ctx.loc, balance, currency),
        )
    ]
    into_shares = done.reimburse - amount
    if into_shares > 0:
        parts.append(
            ctx.t(
                "reimburse.shares",
                shares=money(ctx.loc, into_shares, currency),
                name=target.display_name,
            )
        )
    await ctx.reply(join(parts, " "))
    if target.id != ctx.member.id:
        notice = message(
            "reimburse.notice", by=ctx.member.display_name, amount=Money(amount, currency)
        )
        await ctx.send_private([Letter(target, notice)])


# -- receipts ---------------------------------------------------------------------------------


@router.command("receipt", where=Where.PRIVATE)
async def receipt(ctx: MemberContext, number: int) -> None:
    fund = ctx.session.fund
    found = await fund.receipt(ctx.space.id, number)
    content = await fund.receipt_content(ctx.space.id, number) if found else None
    if found is None or content is None:
        raise Refusal("receipt.not_found", id=number)
    entry = await fund.entry_with_receipt(ctx.space.id, found.id)
    what = entry.note if entry and entry.note else found.filename
    day = entry.on_date if entry else found.created_at.astimezone(ctx.tz).date()
    await ctx.reply(
        ctx.t("receipt.sent", id=found.id, what=what, day=ctx.fmt.day(day)),
        document=Document(found.filename, content, found.mime_type),
    )
