"""Settling up: the plan (`settle`), its Paid buttons (`settled`), and how a payment to or
from the fund is recorded against a member's open shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.arguments import ArgError
from bot.context import ButtonSpec, Cmd, Context, Letter, MemberContext, Refusal, message
from bot.i18n import Localizer, Markup, join
from bot.registry import Where
from handlers.costs.money import parse_amount, plain_amount
from handlers.costs.views import LISTING_BUDGET, fit, money
from handlers.fund.common import Money, router, side_word, treasurer_of
from handlers.fund.ledger import Settlement, ShareDue, Transfer, settle_member, settle_plan
from handlers.members import MemberArg
from storage.costs import PaymentState
from storage.fund import EntryKind, NewEntry
from storage.members import Member

_SHOWN = 32


async def record_settlement(ctx: MemberContext, member: Member, change: int) -> Settlement:
    """Money changed hands between `member` and the fund: `change` > 0 they paid it in,
    < 0 the fund paid them. Their open shares are paid first (see `settle_member`)."""
    space_id, by = ctx.space.id, ctx.member.id
    costs, fund = ctx.session.costs, ctx.session.fund
    position = (await fund.standing(space_id)).positions.get(member.id, 0)
    lines = await costs.shares(space_id, member_id=member.id, unsettled=True)
    declared = [
        p
        for p in await costs.payments(space_id, state=PaymentState.DECLARED)
        if p.member_id == member.id
    ]
    shares = [
        ShareDue(
            line.charge.id,
            line.owed,
            tuple((p.id, p.amount) for p in declared if p.charge_id == line.charge.id),
        )
        for line in lines
    ]
    done = settle_member(position, change, shares)
    for payment_id in done.confirm:
        await costs.confirm(payment_id, by, ctx.now)
    for charge_id, amount in done.pay:
        await costs.add_payment(
            charge_id, member.id, amount, ctx.now, recorded_by=by, confirmed_by=by
        )
    for kind, amount in ((EntryKind.DEPOSIT, done.deposit), (EntryKind.REIMBURSE, done.reimburse)):
        if amount:
            await fund.add_entry(
                NewEntry(
                    space_id=space_id,
                    kind=kind,
                    amount=amount,
                    currency=ctx.space.currency,
                    on_date=ctx.today,
                    member_id=member.id,
                    recorded_by=by,
                ),
                ctx.now,
            )
    return done


@dataclass(frozen=True)
class Plan:
    """The settle-up plan as the space stands now."""

    transfers: list[Transfer]
    fund: bool
    treasurer: Member
    names: dict[int, str]
    currency: str


async def current_plan(ctx: MemberContext) -> Plan:
    fund = ctx.session.fund
    standing = await fund.standing(ctx.space.id)
    in_use = await fund.in_use(ctx.space.id)
    names = {m.id: m.display_name for m in await ctx.session.members.of_space(ctx.space.id)}
    transfers = settle_plan(standing.positions, fund=in_use)
    return Plan(transfers, in_use, await treasurer_of(ctx), names, ctx.space.currency)


def _side(loc: Localizer, plan: Plan, member: int | None) -> str:
    if member is None:
        return str(loc.t("settle.fund_side", treasurer=plan.treasurer.display_name))
    return plan.names.get(member, f"#{member}")


@dataclass(frozen=True)
class Side:
    """One side of a transfer in a letter: a member's name, or the fund in the reader's words."""

    plan: Plan
    member: int | None

    def for_reader(self, loc: Localizer) -> object:
        return _side(loc, self.plan, self.member)


def line_text(loc: Localizer, plan: Plan, n: int, t: Transfer) -> Markup:
    amount = money(loc, t.amount, plan.currency)
    if plan.fund and plan.treasurer.id in (t.payer, t.payee):
        key = "settle.treasurer_in" if t.payer is not None else "settle.treasurer_out"
        return loc.t(key, n=n, member=plan.treasurer.display_name, amount=amount)
    return loc.t(
        "settle.line",
        n=n,
        payer=_side(loc, plan, t.payer),
        payee=_side(loc, plan, t.payee),
        amount=amount,
    )


def command_of(t: Transfer, currency: str) -> str:
    def side(member: int | None) -> str:
        return "fund" if member is None else str(member)

    return f"settled {side(t.payer)} {side(t.payee)} {plain_amount(t.amount, currency)}"


async def cover_square_members(ctx: MemberContext) -> list[str]:
    """Members at zero who still have open shares: what the fund owes them is exactly
    what they owe, so no transfer of the plan will ever settle those shares. Record it as
    a settlement with no money changing hands (the shares paid, the fund's debt to them
    paid back by as much); the names of those it settled. Shares with a payment declared
    and not confirmed wait for the admins, as every declared payment does."""
    space_id = ctx.space.id
    positions = (await ctx.session.fund.standing(space_id)).positions
    open_by_member: dict[int, list[bool]] = {}
    for line in await ctx.session.costs.shares(space_id, unsettled=True):
        open_by_member.setdefault(line.member_id, []).append(line.declared > 0)
    names = []
    for member_id, declared in sorted(open_by_member.items()):
        if positions.get(member_id, 0) != 0 or any(declared):
            continue
        member = await ctx.session.members.get(member_id)
        if member is not None:
            await record_settlement(ctx, member, 0)
            names.append(member.display_name)
    return names


@router.command("settle", where=Where.PRIVATE)
async def settle(ctx: MemberContext) -> None:
    plan = await current_plan(ctx)
    me = ctx.member
    sees_all = me.is_admin or me.id == plan.treasurer.id
    covered = await cover_square_members(ctx) if sees_all and plan.fund else []
    told = [ctx.t("settle.covered", names=", ".join(covered))] if covered else []
    if not plan.transfers:
        await ctx.reply(join([ctx.t("settle.nothing"), *told]))
        return
    currency = ctx.space.currency
    numbered = list(enumerate(plan.transfers, start=1))
    mine = [(n, t) for n, t in numbered if me.id in (t.payer, t.payee)]
    shown = numbered if sees_all else mine
    fitted, left = fit([line_text(ctx.loc, plan, n, t) for n, t in shown], LISTING_BUDGET)
    if plan.fund:
        out = [ctx.t("settle.title_fund", treasurer=plan.treasurer.display_name)]
    else:
        out = [ctx.t("settle.title_direct", count=len(plan.transfers))]
    out += fitted
    if left:
        out.append(ctx.t("settle.more", count=left))
    if not sees_all:
        if not mine:
            out.append(ctx.t("settle.yours_none"))
        others = len(plan.transfers) - len(mine)
        if others:
            out.append(ctx.t("settle.others", count=others))
    declared = await ctx.session.costs.payments(ctx.space.id, state=PaymentState.DECLARED)
    if declared:
        out.append(ctx.t("settle.declared", count=len(declared)))
    out += told
    buttons: list[ButtonSpec] = []
    for n, t in shown[: len(fitted)]:
        buttons.append((ctx.t("button.fund_paid", n=n), command_of(t, currency)))
    if buttons:
        example = command_of(shown[0][1], currency)
        out.append(ctx.t("settle.hint", settled=f"{ctx.prefix}{example}"))
    await ctx.reply(join(out), buttons=buttons)


@dataclass(frozen=True)
class TransferArgs:
    """`<payer|fund> <payee|fund> <amount>`: a transfer of the plan."""

    rest: ClassVar[bool] = True
    payer: Member | None
    payee: Member | None
    amount: int

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> TransferArgs:
        assert ctx.space is not None
        words = text.split()
        if len(words) != 3:
            raise ArgError(
                "dispatch.missing_argument" if len(words) < 3 else "dispatch.too_many_arguments"
            )

        async def side(word: str) -> Member | None:
            if side_word(word, ctx.rt.translator):
                return None
            return (await MemberArg.convert(word, ctx)).member

        return cls(
            await side(words[0]),
            await side(words[1]),
            parse_amount(words[2], ctx.space.currency),
        )


@router.command("settled")
async def settled(ctx: MemberContext, args: TransferArgs) -> None:
    plan = await current_plan(ctx)
    payer = args.payer.id if args.payer else None
    payee = args.payee.id if args.payee else None
    line = next((t for t in plan.transfers if (t.payer, t.payee) == (payer, payee)), None)
    currency = ctx.space.currency
    if line is None:
        raise Refusal("settled.stale", settle=f"{ctx.prefix}settle")
    if args.amount > line.amount:
        raise Refusal("settled.too_much", amount=money(ctx.loc, line.amount, currency))
    me = ctx.member
    receiver = args.payee or plan.treasurer
    paid = Transfer(payer, payee, args.amount)
    if not (me.is_admin or me.id in (receiver.id, plan.treasurer.id)):
        if me.id != payer:
            raise Refusal("settled.not_yours", receiver=receiver.display_name)
        await _ask_receiver(ctx, plan, paid, receiver)
        return
    if plan.fund:
        member = args.payer or args.payee
        assert member is not None
        await record_settlement(ctx, member, args.amount if payer is not None else -args.amount)
    else:
        assert args.payer is not None and args.payee is not None
        await ctx.session.fund.add_entry(
            NewEntry(
                space_id=ctx.space.id,
                kind=EntryKind.TRANSFER,
                amount=args.amount,
                currency=currency,
                on_date=ctx.today,
                member_id=args.payer.id,
                other_id=args.payee.id,
                recorded_by=me.id,
            ),
            ctx.now,
        )
    payer_name, payee_name = _side(ctx.loc, plan, payer), _side(ctx.loc, plan, payee)
    parts = [
        ctx.t(
            "settled.done",
            payer=payer_name,
            payee=payee_name,
            amount=money(ctx.loc, args.amount, currency),
        )
    ]
    if args.amount < line.amount:
        parts.append(
            ctx.t("settled.remaining", amount=money(ctx.loc, line.amount - args.amount, currency))
        )
    await ctx.reply(join(parts, " "))
    told = [m for m in (args.payer, args.payee) if m is not None and m.id != me.id]
    notice = message(
        "settled.notice",
        by=me.display_name,
        payer=Side(plan, paid.payer),
        payee=Side(plan, paid.payee),
        amount=Money(paid.amount, currency),
    )
    await ctx.send_private(Letter(m, notice) for m in told)


async def _ask_receiver(ctx: MemberContext, plan: Plan, paid: Transfer, receiver: Member) -> None:
    currency = ctx.space.currency
    line = command_of(paid, currency)
    await ctx.say("settled.asked", receiver=receiver.display_name)
    ask = message(
        "settled.ask_receiver",
        payer=Side(plan, paid.payer),
        payee=Side(plan, paid.payee),
        amount=Money(paid.amount, currency),
        command=Cmd(line),
    )
    await ctx.send_private([Letter(receiver, ask, [("button.received", line)])])
