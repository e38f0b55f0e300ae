"""Taking back a bill or an expense recorded by mistake: `bill remove`, `spent remove`.

A wrong amount or an entry made twice is removed whole, with its split and its receipt;
the fund's balance and everyone's position are computed from the entries, so they
follow at once. Reimbursements and settled transfers are money that really moved: they
are not removed (a transfer back records the correction), as in Splitwise, where a
payment is settled by another payment.
"""

from __future__ import annotations

from bot.context import Cmd, Letter, MemberContext, Refusal, message
from handlers.costs.views import money
from handlers.fund.common import Money, handles_money, router
from storage.fund import Entry, EntryKind


async def _entry(ctx: MemberContext, number: int, kind: EntryKind) -> Entry:
    entry = await ctx.session.fund.entry(ctx.space.id, number)
    if entry is None or entry.kind is not kind:
        raise Refusal(f"{kind.value}.remove_none", id=number, export=ctx.command("export fund"))
    return entry


async def _balance(ctx: MemberContext) -> str:
    balance = (await ctx.session.fund.standing(ctx.space.id)).balance
    return str(money(ctx.loc, balance, ctx.space.currency))


@router.command("bill remove")
async def bill_remove(ctx: MemberContext, number: int) -> None:
    """`bill remove <n>`: the treasurer or an admin takes back a bill recorded wrong."""
    await handles_money(ctx)
    entry = await _entry(ctx, number, EntryKind.BILL)
    await ctx.session.fund.remove_entry(entry)
    await ctx.say(
        "bill.removed",
        id=entry.id,
        amount=money(ctx.loc, entry.amount, entry.currency),
        day=ctx.fmt.day(entry.on_date),
        balance=await _balance(ctx),
    )


@router.command("spent remove")
async def spent_remove(ctx: MemberContext, number: int) -> None:
    """`spent remove <n>`: who fronted it, the treasurer or an admin takes back an expense."""
    entry = await _entry(ctx, number, EntryKind.SPENT)
    mine = entry.member_id == ctx.member.id
    if not mine:
        await handles_money(ctx)
    await ctx.session.fund.remove_entry(entry)
    amount = money(ctx.loc, entry.amount, entry.currency)
    await ctx.say("spent.removed", id=entry.id, amount=amount, what=entry.note)
    payer = (
        None if mine or entry.member_id is None else await ctx.session.members.get(entry.member_id)
    )
    if payer is not None and payer.is_active:
        told = message(
            "spent.removed_yours",
            by=ctx.member.display_name,
            id=entry.id,
            amount=Money(entry.amount, entry.currency),
            what=entry.note,
            spent=Cmd("spent"),
        )
        await ctx.send_private([Letter(payer, told)])
