"""The costs commands: adding and listing costs, shares, what is due, payments, exports."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import ClassVar

from bot.arguments import (
    ArgError,
    YearMonth,
    choose,
    confirmed_words,
    date_words,
    parse_date,
    split_words,
)
from bot.context import ButtonSpec, CommandContext, Context, Letter, MemberContext, Refusal
from bot.events import Document
from bot.i18n import Localizer, Markup, Translator, escape, join
from bot.registry import Role, Where
from handlers.costs import router
from handlers.costs.export import ledger_csv
from handlers.costs.jobs import charges_up_to_date
from handlers.costs.money import (
    AmbiguousAmount,
    Split,
    currency_marks,
    looks_like_amount,
    parse_amount,
    plain_amount,
)
from handlers.costs.schedules import Every, Schedule, parse_schedule, schedule_words
from handlers.costs.views import (
    LISTING_BUDGET,
    fit,
    money,
    paragraph,
    period_text,
    schedule_of,
    schedule_text,
    visible_length,
)
from handlers.members import MAX_NAME, MemberArg, clean_name
from storage.costs import Charge, Cost, NewCost, PaymentState, ShareLine
from storage.members import Member, MemberStatus

MAX_SHARES = 100
_SHOWN = 32


# -- arguments ------------------------------------------------------------------------------


OUTSIZED = 20  # a new cost this many times the largest so far is asked about


@dataclass(frozen=True)
class CostSpec:
    """`<name> <amount> <schedule> [split] [confirm]`, read from the right so names may
    have spaces. An amount that reads two ways leaves `amount` 0 and both `readings`;
    `tail` is what followed the amount, to write the line again with one of them."""

    rest: ClassVar[bool] = True
    name: str
    amount: int
    schedule: Schedule
    split: Split
    confirmed: bool = False
    readings: tuple[int, ...] = ()
    typed: str = ""
    asked: str = ""  # the stored line a button stood for, if it came from one

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> CostSpec:
        asked = ""
        if text.startswith(ASKED_MARK) and ctx.space is not None:
            asked = ASKED.format(space=ctx.space.id, ref=text[1:].strip()[:16])
            stored = await ctx.session.kv.get(asked)
            if stored is None:
                raise ArgError("cost.asked_gone")
            text = stored
        words, confirmed = confirmed_words(text, ctx)
        words = plan_in_english(words, ctx.rt.translator)
        currency = ctx.space.currency if ctx.space else "EUR"
        spec = cls.parse(
            " ".join(words),
            currency,
            ctx.today,
            confirmed=confirmed,
            days=date_words(ctx.rt.translator),
        )
        return replace(spec, asked=asked)

    def line(self, amount: int, currency: str, *extra: str) -> str:
        """This cost as `cost add` takes it again, with `amount` written one way only and
        the schedule in words that do not move with the day (`once 2026-11-29`)."""
        split = [] if self.split is Split.EQUAL else [self.split.value]
        words = [self.name, plain_amount(amount, currency), *schedule_words(self.schedule)]
        return " ".join(["cost add", *words, *split, *extra])

    @classmethod
    def parse(
        cls,
        text: str,
        currency: str,
        today: date,
        *,
        confirmed: bool = False,
        days: dict[str, int] | None = None,
    ) -> CostSpec:
        words = split_words(text)
        kinds = {e.value for e in Every}
        at = next((i for i in range(len(words) - 1, -1, -1) if words[i].lower() in kinds), None)
        if at is None or at + 1 >= len(words):
            raise ArgError("cost.need_schedule")
        after = words[at + 1 :]
        if len(after) > 2:
            raise ArgError("dispatch.too_many_arguments")
        split = Split.EQUAL
        if len(after) == 2:
            if after[1].lower() not in {s.value for s in Split}:
                raise ArgError("split.unknown", value=after[1][:_SHOWN])
            split = Split(after[1].lower())
        name_words, amount_text = _take_amount(words[:at], currency)
        if not looks_like_amount(amount_text, currency):
            raise ArgError("cost.need_amount")
        amount, readings = read_amount(amount_text, currency)
        schedule = parse_schedule(words[at], after[0], today, days)
        name = clean_name(" ".join(name_words))
        if not any(ch.isalnum() for ch in name) or len(" ".join(name_words)) > MAX_NAME:
            raise ArgError("cost.bad_name", limit=MAX_NAME)
        return cls(name, amount, schedule, split, confirmed, readings, amount_text)


def plan_in_english(words: list[str], translator: Translator) -> list[str]:
    """The words of `cost add` with its schedule word, and the split word after it, as
    the parser reads them, whatever language they were typed in (`mensile` → `monthly`,
    `presenze` → `attendance`). Only those two: a name keeps its words, so in
    `Affitto mensile 500 mensile 1` the first `mensile` stays part of the name."""
    kinds = [every.value for every in Every]
    at = next(
        (i for i in range(len(words) - 1, -1, -1) if choose(words[i], kinds, translator)), None
    )
    if at is None:
        return words
    out = list(words)
    out[at] = choose(words[at], kinds, translator) or words[at]
    if at + 2 < len(words):
        out[at + 2] = (
            choose(words[at + 2], [split.value for split in Split], translator) or words[at + 2]
        )
    return out


def read_amount(text: str, currency: str) -> tuple[int, tuple[int, ...]]:
    """The amount, or 0 and its two readings when it reads differently in Italian and
    English: the command then asks which one was meant."""
    try:
        return parse_amount(text, currency), ()
    except AmbiguousAmount as ambiguous:
        return 0, ambiguous.readings


# What a button stands for travels with it, and Telegram gives it 64 bytes with its
# signature (bot/transports/telegram/buttons.py): a longer `cost add` line is kept here,
# in the space's store, and its button says only where (`cost add ^3f9a2c1b`).
BUTTON_BUDGET = 44
ASKED_MARK = "^"
ASKED = "costs.asked:{space}:{ref}"


async def button_line(ctx: MemberContext, line: str) -> str:
    if len(line.encode()) <= BUTTON_BUDGET or not line.startswith("cost add "):
        return line
    ref = secrets.token_hex(4)
    await ctx.session.kv.set(
        ASKED.format(space=ctx.space.id, ref=ref), line.removeprefix("cost add ")
    )
    return f"cost add {ASKED_MARK}{ref}"


async def ask_which_amount(
    ctx: MemberContext,
    typed: str,
    readings: tuple[int, ...],
    line: Callable[[int], str],
    *,
    personal: bool = False,
) -> None:
    """`12.345` is 12,345.00 or 12.35: a button for each reading, each running `line`
    with that amount written so that it reads one way only. A `personal` question (a
    payment of one's own) gets buttons only in private: in a group anyone could press
    them, and a press is a command from whoever pressed; there it says what to send."""
    currency = ctx.space.currency
    shown = [ctx.fmt.money(minor, currency) for minor in readings]
    if personal and not ctx.msg.chat.private:
        one, other = (f"{ctx.prefix}{line(minor)}" for minor in readings)
        await ctx.say(
            "amount.which_typed", value=typed, first=shown[0], second=shown[1], one=one, other=other
        )
        return
    buttons = [
        (Markup(escape(text)), await button_line(ctx, line(minor)))
        for text, minor in zip(shown, readings, strict=True)
    ]
    await ctx.reply(
        ctx.t("amount.which", value=typed, first=shown[0], second=shown[1]), buttons=buttons
    )


def _take_amount(words: list[str], currency: str) -> tuple[list[str], str]:
    """Split the words before the schedule into the name and the amount (`€ 120` too)."""
    if not words:
        return [], ""
    marks = currency_marks(currency)
    if len(words) >= 3 and words[-1].upper() in marks:
        return words[:-2], words[-2] + words[-1]
    if len(words) >= 3 and words[-2].upper() in marks:
        return words[:-2], words[-2] + words[-1]
    return words[:-1], words[-1]


@dataclass(frozen=True)
class PaidArgs:
    """`<charge> [amount] [member]`; naming a member is for admins recording cash."""

    rest: ClassVar[bool] = True
    charge_id: int
    amount: int | None
    member: Member | None
    readings: tuple[int, ...] = ()
    typed: str = ""

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> PaidArgs:
        words = split_words(text)
        if not words:
            raise ArgError("dispatch.missing_argument")
        head = words[0].removeprefix("#")
        if not (head.isascii() and head.isdigit() and len(head) <= 12):
            raise ArgError("dispatch.not_a_number", value=words[0][:_SHOWN])
        currency = ctx.space.currency if ctx.space else "EUR"
        rest = words[1:]
        amount: int | None = None
        readings: tuple[int, ...] = ()
        typed = ""
        if rest and looks_like_amount(rest[0], currency):
            typed = rest[0]
            amount, readings = read_amount(typed, currency)
            rest = rest[1:]
        member = (await MemberArg.convert(" ".join(rest), ctx)).member if rest else None
        return cls(int(head), amount, member, readings, typed)


# -- commands: costs ------------------------------------------------------------------------


@router.command("cost add", role=Role.ADMIN)
async def cost_add(ctx: MemberContext, spec: CostSpec) -> None:
    repo = ctx.session.costs
    for cost in await repo.active(ctx.space.id):
        if cost.name.casefold() == spec.name.casefold():
            await ctx.say("cost.duplicate", name=cost.name, id=cost.id)
            return
    currency = ctx.space.currency
    if spec.readings:
        await ask_which_amount(
            ctx, spec.typed, spec.readings, lambda amount: spec.line(amount, currency)
        )
        return
    largest = await repo.largest_amount(ctx.space.id)
    if largest and spec.amount > OUTSIZED * largest and not spec.confirmed:
        line = spec.line(spec.amount, currency, "confirm")
        await ctx.reply(
            ctx.t(
                "cost.outsized",
                amount=money(ctx.loc, spec.amount, currency),
                times=OUTSIZED,
                largest=money(ctx.loc, largest, currency),
                confirm=f"{ctx.prefix}{line}",
            ),
            buttons=[("button.add_anyway", await button_line(ctx, line))],
        )
        return
    if spec.asked:
        await ctx.session.kv.delete(spec.asked)  # a button's line serves once
    first = spec.schedule.due_from(ctx.today)
    assert first is not None  # parse_schedule refuses one-offs in the past
    cost = await repo.add(
        NewCost(
            space_id=ctx.space.id,
            name=spec.name,
            amount=spec.amount,
            currency=ctx.space.currency,
            every=spec.schedule.every,
            day=spec.schedule.day,
            month=spec.schedule.month,
            once_on=spec.schedule.on,
            split=spec.split,
            next_due=first,
            created_by=ctx.member.id,
        ),
        ctx.now,
    )
    period = spec.schedule.period(first)
    described = {
        "id": cost.id,
        "name": cost.name,
        "amount": money(ctx.loc, cost.amount, cost.currency),
        "schedule": schedule_text(ctx.loc, spec.schedule),
        "split": ctx.t(f"split.{spec.split}"),
    }
    if spec.schedule.every is Every.ONCE:  # no period: those who are members that day
        await ctx.say("cost.added_once", **described)
        return
    await ctx.say(
        "cost.added",
        **described,
        first=ctx.fmt.day(first),
        period=period_text(ctx.loc, period.start, period.end),
    )


@router.command("costs", local={"it": "spese"})
async def costs(ctx: MemberContext) -> None:
    active = await ctx.session.costs.active(ctx.space.id)
    if not active:
        await ctx.say("costs.none", command=f"{ctx.prefix}cost add")
        return
    lines = []
    for cost in active:
        assert cost.next_due is not None
        line = ctx.t(
            "costs.line",
            id=cost.id,
            name=cost.name,
            amount=money(ctx.loc, cost.amount, cost.currency),
            schedule=schedule_text(ctx.loc, schedule_of(cost)),
            split=ctx.t(f"split.{cost.split}"),
            next=ctx.fmt.day(cost.next_due),
        )
        if cost.next_amount is not None and cost.next_amount_from is not None:
            new = money(ctx.loc, cost.next_amount, cost.currency)
            day = ctx.fmt.day(cost.next_amount_from)
            line = ctx.t("costs.line_change", line=line, amount=new, day=day)
        if cost.ends_on is not None:
            line = ctx.t("costs.line_end", line=line, day=ctx.fmt.day(cost.ends_on))
        lines.append(line)
    shown, left = fit(lines, LISTING_BUDGET)
    more = [ctx.t("costs.more", count=left)] if left else []
    await ctx.reply(join([ctx.t("costs.title"), *shown, *more]))


@router.command("cost remove", role=Role.ADMIN)
async def cost_remove(ctx: MemberContext, cost_id: int) -> None:
    repo = ctx.session.costs
    cost = await repo.get(ctx.space.id, cost_id)
    if cost is None:
        await ctx.say("cost.not_found", id=cost_id, costs=ctx.command("costs"))
        return
    if cost.removed_at is not None or cost.next_due is None:
        await ctx.say("cost.already_stopped", id=cost.id, name=cost.name)
        return
    await repo.remove(cost.id, ctx.now)
    made = await repo.charge_count(cost.id)
    key = "cost.removed" if made else "cost.removed_none"  # "the 0 charges made stay": no
    await ctx.say(key, id=cost.id, name=cost.name, count=made)


@dataclass(frozen=True)
class AmountChange:
    """`<amount> [from <date>]` (`dal`, `ab`)."""

    rest: ClassVar[bool] = True
    amount: int
    start: date | None

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> AmountChange:
        words = text.split()
        currency = ctx.space.currency if ctx.space else "EUR"
        translator = ctx.rt.translator
        if len(words) not in (1, 3) or (
            len(words) == 3 and words[1].casefold() not in translator.words("word.from")
        ):
            word = translator.word(ctx.lang, "word.from")  # `dal` in Italian
            example = f"{ctx.prefix}cost amount 3 130 {word} 2027-01-01"
            raise ArgError("cost.amount_from_word", word=word, example=example)
        start = parse_date(words[2], ctx.today, date_words(translator)) if len(words) == 3 else None
        return cls(parse_amount(words[0], currency), start)


async def _running_cost(ctx: MemberContext, cost_id: int) -> Cost:
    """The cost, if it still makes charges."""
    cost = await ctx.session.costs.get(ctx.space.id, cost_id)
    if cost is None:
        raise Refusal("cost.not_found", id=cost_id, costs=ctx.command("costs"))
    if cost.removed_at is not None or cost.next_due is None:
        raise Refusal("cost.already_stopped", id=cost.id, name=cost.name)
    return cost


@router.command("cost end", role=Role.ADMIN)
async def cost_end(ctx: MemberContext, cost_id: int, last_day: date) -> None:
    """No charge falls due after `last_day`; the charges already made stay."""
    cost = await _running_cost(ctx, cost_id)
    if last_day < ctx.today:
        remove = f"{ctx.prefix}cost remove {cost.id}"
        raise Refusal("cost.end_past", day=ctx.fmt.day(last_day), remove=remove)
    repo = ctx.session.costs
    await repo.end_on(cost.id, last_day)
    schedule = schedule_of(cost)
    last: date | None = None
    due: date | None = cost.next_due
    while due is not None and due <= last_day:
        last, due = due, schedule.due_after(due)
    day = ctx.fmt.day(last_day)
    if last is None:
        await repo.set_next_due(cost.id, None)
        await ctx.say("cost.end_none_left", id=cost.id, name=cost.name, day=day)
        return
    await ctx.say("cost.end_done", id=cost.id, name=cost.name, day=day, last=ctx.fmt.day(last))


@router.command("cost amount", role=Role.ADMIN)
async def cost_amount(ctx: MemberContext, cost_id: int, change: AmountChange) -> None:
    """A new amount from the first charge not made yet on or after `from` (or the next)."""
    cost = await _running_cost(ctx, cost_id)
    assert cost.next_due is not None
    first: date | None = cost.next_due
    if change.start is not None and change.start > cost.next_due:
        first = schedule_of(cost).due_from(change.start)
    if first is None or (cost.ends_on is not None and first > cost.ends_on):
        day = ctx.fmt.day(change.start or ctx.today)
        raise Refusal("cost.amount_none_left", id=cost.id, name=cost.name, day=day)
    if change.amount == cost.amount_on(first) == cost.amount:
        shown = money(ctx.loc, cost.amount, cost.currency)
        raise Refusal("cost.amount_same", id=cost.id, name=cost.name, amount=shown)
    await ctx.session.costs.change_amount(cost.id, change.amount, first)
    await ctx.say(
        "cost.amount_done",
        id=cost.id,
        name=cost.name,
        amount=money(ctx.loc, change.amount, cost.currency),
        day=ctx.fmt.day(first),
        old=money(ctx.loc, cost.amount, cost.currency),
    )


@router.command("shares", role=Role.ADMIN)
async def shares(ctx: MemberContext, who: MemberArg | None = None, n: int | None = None) -> None:
    if who is None:
        members = await ctx.session.members.of_space(ctx.space.id, MemberStatus.ACTIVE)
        lines = [ctx.t("shares.title", command=f"{ctx.prefix}shares <member> <n>")]
        lines += [ctx.t("shares.line", name=m.display_name, count=m.shares) for m in members]
        await ctx.reply(join(lines))
        return
    target = who.member
    if n is None:
        await ctx.say("shares.one", name=target.display_name, count=target.shares)
        return
    if not 0 <= n <= MAX_SHARES:
        await ctx.say("shares.bad", limit=MAX_SHARES)
        return
    if target.status is not MemberStatus.ACTIVE:
        await ctx.say("shares.not_active", name=target.display_name)
        return
    await ctx.session.members.set_shares(target.id, n)
    await ctx.say("shares.set", name=target.display_name, count=n)


# -- commands: paying -----------------------------------------------------------------------


async def as_payer(ctx: CommandContext) -> MemberContext:
    """The caller as one who may see and pay shares: a member, or someone who left (or
    was removed) and still has shares here, since what they owe stays owed and the
    reminders they get name these commands. Refuses anyone else, as the dispatcher would."""
    member, prefix = ctx.member, ctx.prefix
    if ctx.space is None:
        key = "dispatch.no_membership" if ctx.msg.chat.private else "dispatch.no_space"
        raise Refusal(key, join=f"{prefix}join", setup=f"{prefix}setup")
    if member is None or (
        member.status is MemberStatus.LEFT
        and not await ctx.session.costs.shares(ctx.space.id, member_id=member.id)
    ):
        raise Refusal("dispatch.not_member", join=f"{prefix}join")
    if member.status is MemberStatus.PENDING:
        raise Refusal("dispatch.pending")
    return MemberContext.of(ctx)


@router.command("due", role=Role.ANYONE, where=Where.PRIVATE)
async def due(command: CommandContext) -> None:
    ctx = await as_payer(command)
    await charges_up_to_date(ctx)
    lines = await ctx.session.costs.shares(ctx.space.id, member_id=ctx.member.id, unsettled=True)
    if not lines:
        await ctx.say("due.none")
        return
    out = []
    for line in lines:
        charge = line.charge
        text = ctx.t(
            "due.line_once" if charge.one_off else "due.line",
            id=charge.id,
            name=charge.name,
            period=period_text(ctx.loc, charge.period_start, charge.period_end),
            due=ctx.fmt.day(charge.due_on),
            owed=money(ctx.loc, line.owed, charge.currency),
        )
        if line.declared:
            text = ctx.t(
                "due.declared", line=text, declared=money(ctx.loc, line.declared, charge.currency)
            )
        out.append(text)
    out, left = fit(out, LISTING_BUDGET)
    out.insert(0, ctx.t("due.title"))
    if left:
        out.append(ctx.t("due.more", count=left))
    to_pay = sum(line.to_pay for line in lines)
    if to_pay:
        out.append(
            ctx.t(
                "due.total",
                total=money(ctx.loc, to_pay, ctx.space.currency),
                paid=ctx.command("paid"),
            )
        )
    else:
        out.append(ctx.t("due.waiting"))
    await ctx.reply(join(out))


@router.command("paid", local={"it": "pagato"}, role=Role.ANYONE)
async def paid(command: CommandContext, args: PaidArgs | None = None) -> None:
    ctx = await as_payer(command)
    if args is None:
        await ctx.say("paid.which", due=f"{ctx.prefix}due", paid=ctx.command("paid"))
        return
    if args.readings:
        currency = ctx.space.currency
        who = f" #{args.member.id}" if args.member else ""
        await ask_which_amount(
            ctx,
            args.typed,
            args.readings,
            lambda minor: f"paid {args.charge_id} {plain_amount(minor, currency)}{who}",
            personal=args.member is None,
        )
        return
    payer = args.member or ctx.member
    if payer.id != ctx.member.id and not ctx.member.is_admin:
        await ctx.say("paid.admins_only")
        return
    line = await _share_to_pay(ctx, args.charge_id, payer)
    amount = args.amount if args.amount is not None else line.to_pay
    if amount > line.to_pay:
        left = money(ctx.loc, line.to_pay, line.charge.currency)
        await ctx.say("paid.too_much", id=line.charge.id, left=left)
    elif payer.id != ctx.member.id:
        await _record_for(ctx, line.charge, payer, amount)
    else:
        await _declare(ctx, line.charge, amount, line.to_pay - amount)


async def _share_to_pay(ctx: MemberContext, charge_id: int, payer: Member) -> ShareLine:
    """The payer's share of the charge if something is left to pay; otherwise a Refusal."""
    repo = ctx.session.costs
    charge = await repo.charge(ctx.space.id, charge_id)
    lines = []
    if charge is not None:
        lines = await repo.shares(ctx.space.id, charge_id=charge_id, member_id=payer.id)
    theirs = "" if payer.id == ctx.member.id else "_of"  # an admin recording someone's payment
    if theirs and not lines:
        raise Refusal("paid.no_share_of", name=payer.display_name, id=charge_id)
    if not lines:
        key = "paid.no_charge" if charge is None else "paid.not_yours"
        raise Refusal(key, id=charge_id, due=f"{ctx.prefix}due")
    if lines[0].owed <= 0:
        raise Refusal(f"paid.settled{theirs}", name=payer.display_name, id=charge_id)
    if lines[0].to_pay <= 0:
        pending = await repo.payments(
            ctx.space.id, state=PaymentState.DECLARED, share=(charge_id, payer.id)
        )
        raise Refusal(
            f"paid.all_declared{theirs}",
            id=charge_id,
            name=payer.display_name,
            confirm=", ".join(f"{ctx.prefix}confirm {p.id}" for p in pending),
        )
    return lines[0]


async def _declare(ctx: MemberContext, charge: Charge, amount: int, left: int) -> None:
    """A member says they paid: noted as declared, and the admins are asked to confirm."""
    caller = ctx.member
    payment = await ctx.session.costs.add_payment(charge.id, caller.id, amount, ctx.now)
    parts = [
        ctx.t(
            "paid.done",
            amount=money(ctx.loc, amount, charge.currency),
            name=charge.name,
            id=charge.id,
            payment=payment.id,
        )
    ]
    if left:
        parts.append(ctx.t("paid.left", left=money(ctx.loc, left, charge.currency)))
    if caller.is_admin:
        parts.append(ctx.t("paid.confirm_yourself", confirm=f"{ctx.prefix}confirm {payment.id}"))
    await ctx.reply(join(parts, " "))

    def letter(loc: Localizer) -> Markup:
        return loc.t(
            "paid.to_admins",
            member=caller.display_name,
            amount=money(loc, amount, charge.currency),
            name=charge.name,
            id=charge.id,
            payment=payment.id,
            confirm=loc.command(f"confirm {payment.id}"),
        )

    admins = [a for a in await ctx.session.members.admins(ctx.space.id) if a.id != caller.id]
    buttons: list[ButtonSpec] = [("button.confirm", f"confirm {payment.id}")]
    await ctx.send_private(Letter(a, letter, buttons) for a in admins)


async def _record_for(ctx: MemberContext, charge: Charge, payer: Member, amount: int) -> None:
    """An admin records money received from someone: confirmed at once."""
    admin = ctx.member
    payment = await ctx.session.costs.add_payment(
        charge.id, payer.id, amount, ctx.now, recorded_by=admin.id, confirmed_by=admin.id
    )
    await ctx.say(
        "paid.recorded",
        member=payer.display_name,
        amount=money(ctx.loc, amount, charge.currency),
        name=charge.name,
        id=charge.id,
        payment=payment.id,
    )

    def letter(loc: Localizer) -> Markup:
        return loc.t(
            "paid.recorded_notice",
            admin=admin.display_name,
            amount=money(loc, amount, charge.currency),
            name=charge.name,
            id=charge.id,
        )

    await ctx.send_private([Letter(payer, letter)])


@router.command("confirm", role=Role.ADMIN)
async def confirm(ctx: MemberContext, payment_id: int) -> None:
    repo = ctx.session.costs
    payment = await repo.payment(ctx.space.id, payment_id)
    if payment is None:
        await ctx.say("confirm.not_found", id=payment_id)
        return
    if payment.state is PaymentState.CONFIRMED or not await repo.confirm(
        payment.id, ctx.member.id, ctx.now
    ):
        await ctx.say("confirm.already", id=payment_id)
        return
    line = (
        await repo.shares(ctx.space.id, charge_id=payment.charge_id, member_id=payment.member_id)
    )[0]
    charge = line.charge
    await ctx.say(
        "confirm.done",
        id=payment.id,
        member=line.member_name,
        amount=money(ctx.loc, payment.amount, charge.currency),
        name=charge.name,
        charge=charge.id,
    )
    payer = await ctx.session.members.get(payment.member_id)
    if payer is None or payer.id == ctx.member.id:
        return
    admin = ctx.member

    def letter(loc: Localizer) -> Markup:
        text = loc.t(
            "confirm.notice",
            admin=admin.display_name,
            amount=money(loc, payment.amount, charge.currency),
            name=charge.name,
            charge=charge.id,
        )
        return join([text, loc.t("confirm.settled")], " ") if line.owed <= 0 else text

    await ctx.send_private([Letter(payer, letter)])


@router.command("balance", role=Role.ADMIN, where=Where.PRIVATE)
async def balance(ctx: MemberContext) -> None:
    await charges_up_to_date(ctx)
    repo = ctx.session.costs
    open_lines = await repo.shares(ctx.space.id, unsettled=True)
    if not open_lines:
        await ctx.say("balance.none")
        return
    every = await repo.shares(ctx.space.id, open_charges=True)
    pending: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in await repo.payments(ctx.space.id, state=PaymentState.DECLARED):
        pending[(p.charge_id, p.member_id)].append(p.id)
    blocks: list[list[Markup]] = []
    current: int | None = None
    for line in every:
        charge = line.charge
        if charge.id != current:
            current = charge.id
            blocks.append([_charge_header(ctx.loc, charge)])
        blocks[-1].append(_balance_line(ctx, line, pending[(charge.id, line.member_id)]))
    # Who owes what comes first in the budget: it is what the admin acts on.
    totals, people_left = fit(_totals(ctx.loc, open_lines, ctx.space.currency), 1200)
    if people_left:
        totals.append(ctx.t("balance.more_people", count=people_left))
    room = LISTING_BUDGET - sum(visible_length(t) + 1 for t in totals)
    charges, charges_left = fit([join(b) for b in blocks], room)
    if charges_left:
        export = f"{ctx.prefix}export costs"
        charges.append(paragraph(ctx.t("balance.more", count=charges_left, export=export)))
    hint = f"{ctx.command('paid')} {ctx.t('balance.hint_args')}"
    out = [ctx.t("balance.title"), *charges, paragraph(ctx.t("balance.totals")), *totals]
    out.append(paragraph(ctx.t("balance.hint", paid=Markup(f"<code>{escape(hint)}</code>"))))
    await ctx.reply(join(out))


def _charge_header(loc: Localizer, charge: Charge) -> Markup:
    return paragraph(
        loc.t(
            "balance.charge_once" if charge.one_off else "balance.charge",
            id=charge.id,
            name=charge.name,
            period=period_text(loc, charge.period_start, charge.period_end),
            amount=money(loc, charge.amount, charge.currency),
            due=loc.fmt.day(charge.due_on),
        )
    )


def _balance_line(ctx: Context, line: ShareLine, pending: list[int]) -> Markup:
    currency = line.charge.currency
    if line.owed <= 0:
        return ctx.t(
            "balance.paid", member=line.member_name, amount=money(ctx.loc, line.amount, currency)
        )
    text = ctx.t(
        "balance.owes_rest" if line.confirmed else "balance.owes",
        member=line.member_name,
        owed=money(ctx.loc, line.owed, currency),
        amount=money(ctx.loc, line.amount, currency),
    )
    if not line.declared:
        return text
    return ctx.t(
        "balance.declared",
        line=text,
        declared=money(ctx.loc, line.declared, currency),
        confirm=", ".join(f"{ctx.prefix}confirm {p}" for p in pending),
    )


def _totals(loc: Localizer, lines: Sequence[ShareLine], currency: str) -> list[Markup]:
    owed: dict[tuple[str, int], int] = defaultdict(int)
    for line in lines:
        owed[(line.member_name, line.member_id)] += line.owed
    ranked = sorted(owed.items(), key=lambda item: (-item[1], item[0][0].casefold(), item[0][1]))
    return [
        loc.t("balance.total_line", member=name, owed=money(loc, amount, currency))
        for (name, _), amount in ranked
    ]


# -- export ---------------------------------------------------------------------------------


@router.command("export costs", role=Role.ADMIN, where=Where.PRIVATE)
async def export_costs(ctx: MemberContext, month: YearMonth | None = None) -> None:
    repo = ctx.session.costs
    space = ctx.space
    window = None if month is None else (month.first_day, month.next.first_day - timedelta(days=1))
    charges = await repo.charges_due_between(space.id, *(window or (date.min, date.max)))
    if not charges:
        if month is None:
            await ctx.say("costs.export.none")
        else:
            await ctx.say("costs.export.none_month", month=ctx.fmt.month(month.year, month.month))
        return
    lines = await repo.shares(space.id, due_between=window)
    payments = await repo.payments(space.id, due_between=window)
    names = {m.id: m.display_name for m in await ctx.session.members.of_space(space.id)}
    content = ledger_csv(charges, lines, payments, names, ctx.tz, ctx.lang)
    scope = (
        ctx.t("costs.export.all")
        if month is None
        else ctx.t("costs.export.month", month=ctx.fmt.month(month.year, month.month))
    )
    filename = f"costs-{month if month else 'all'}.csv"
    await ctx.reply(
        ctx.t("costs.export.done", count=len(charges), scope=scope),
        document=Document(filename, content, "text/csv"),
    )
