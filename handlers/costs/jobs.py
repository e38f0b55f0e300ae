"""The costs job: charges on due dates, reminders before and after, monthly summaries.

It only ticks. What is due is decided from the clock and the stored state, and every
once-only step (a charge per cost and due date, a reminder per due date, a payment
reminder per share and reminder day, a summary per month) is claimed in the database in
the same transaction as its messages, so a tick that runs twice, late, or after a
restart does each thing exactly once. Everything happens at the space's
`reminder_time` in its own timezone, so nobody is woken at midnight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from bot.context import ButtonSpec, Context, Letter, Render, Runtime, SpaceContext
from bot.i18n import Localizer, Markup, join
from handlers.costs import router
from handlers.costs.money import Participant, Split, allocate, split_amount
from handlers.costs.schedules import Period, add_months, moment, parse_hhmm, reached_day
from handlers.costs.views import (
    LISTING_BUDGET,
    fit,
    money,
    period_text,
    schedule_of,
)
from handlers.fund.payment import PayTo, pay_to
from storage.costs import Charge, Cost, NewShare, PaymentState, ShareLine
from storage.members import Member, MembershipPeriod, MemberStatus

# The last reached day whose reminders and summary were handled, per space: those only
# change when the day does, so a tick that finds the same day skips their queries.
DAY_DONE = "costs.day_done:{space}"


@router.job("costs.tick", every=timedelta(minutes=1))
async def costs_tick(rt: Runtime) -> None:
    await rt.each_space(run_costs)


async def run_costs(ctx: SpaceContext) -> None:
    """Everything due up to the last reminder time reached in the space's timezone."""
    at = parse_hhmm(ctx.space.reminder_time)
    day = reached_day(ctx.now, ctx.tz, at)
    await make_charges(ctx, day)
    done_key = DAY_DONE.format(space=ctx.space.id)
    if await ctx.session.kv.get(done_key) == day.isoformat():
        return
    await remind_admins(ctx, day, at)
    await remind_debtors(ctx, day)
    await send_summary(ctx, day, at)
    await ctx.session.kv.set(done_key, day.isoformat())


async def charges_up_to_date(ctx: SpaceContext) -> None:
    """Make the charges due by now before a command reads them, as the job would: a
    charge is there as soon as its time has come (today's after the reminder time),
    not at the next tick. Each is made once whoever comes first."""
    await make_charges(ctx, reached_day(ctx.now, ctx.tz, parse_hhmm(ctx.space.reminder_time)))


async def make_charges(ctx: SpaceContext, day: date) -> None:
    """Charge every due date up to `day` not charged yet, each once, in order."""
    repo = ctx.session.costs
    due_costs = await repo.due_through(ctx.space.id, day)
    if not due_costs:
        return
    members = Membership(
        await ctx.session.members.of_space(ctx.space.id),
        await ctx.session.members.periods(ctx.space.id),
    )
    pay = await pay_to(ctx.session, ctx.space.id)
    letters: list[Letter] = []
    for cost in due_costs:
        schedule = schedule_of(cost)
        due: date | None = cost.next_due
        while due is not None and due <= day and not ended(cost, due):
            if cost.amount_on(due) != cost.amount:  # `cost amount … from`: its day came
                cost = replace(cost, amount=cost.amount_on(due), next_amount=None)
                await repo.apply_amount(cost.id, cost.amount)
            letters += await charge_once(ctx, cost, schedule.period(due), due, members, pay)
            due = schedule.due_after(due)
        await repo.set_next_due(cost.id, None if due is None or ended(cost, due) else due)
    await ctx.send_private(letters)


def ended(cost: Cost, due: date) -> bool:
    """Whether `due` falls after the cost's end (`cost end`): no charge then."""
    return cost.ends_on is not None and due > cost.ends_on


@dataclass(frozen=True)
class Membership:
    """The space's members and every period each of them was one."""

    members: Sequence[Member]
    periods: Mapping[int, Sequence[MembershipPeriod]]


def participants(
    membership: Membership, period: Period, tz: ZoneInfo, visits: dict[int, int]
) -> list[Participant]:
    """Members at some time in the period, with the days they were members in it: every
    period of membership counts (left and came back), a day once. An erased member has
    no periods left, so no share of a new charge."""
    people = []
    for m in membership.members:
        spans = [
            (
                p.joined_at.astimezone(tz).date(),
                p.left_at.astimezone(tz).date() if p.left_at else None,
            )
            for p in membership.periods.get(m.id, ())
        ]
        days = period.covered(spans)
        if days:
            people.append(Participant(m.id, days, m.shares, visits.get(m.id, 0)))
    return people


async def charge_once(
    ctx: SpaceContext,
    cost: Cost,
    period: Period,
    due: date,
    membership: Membership,
    pay: PayTo | None = None,
) -> list[Letter]:
    """Make the charge of `cost` for `due` and return the letters telling each share,
    with where to pay it (`pay`) and, if the space wants one, its payment QR code."""
    repo = ctx.session.costs
    visits = (
        await repo.visit_days(ctx.space.id, period.start, period.end)
        if cost.split == Split.ATTENDANCE
        else {}
    )
    people = participants(membership, period, ctx.tz, visits)
    members = membership.members
    if not people:
        # Nobody was a member in the period (a cost added in a brand-new space): those
        # who are members now share it equally rather than nobody paying.
        people = [
            Participant(m.id, period.days, m.shares, 0)
            for m in members
            if m.status is MemberStatus.ACTIVE
        ]
    if not people:
        return []
    plan = allocate(Split(cost.split), people)
    amounts = split_amount(cost.amount, plan.weights)
    shares = [
        NewShare(
            p.member_id,
            amounts[p.member_id],
            plan.weights[p.member_id],
            p.days,
            plan.units[p.member_id],
        )
        for p in people
        if amounts[p.member_id] > 0
    ]
    charge = await repo.create_charge(
        cost, due, (period.start, period.end), plan.method, shares, ctx.now
    )
    if charge is None:
        return []
    basis = SplitBasis(
        asked=Split(cost.split),
        method=plan.method,
        people=len(plan.weights),
        total_units=sum(plan.units.values()),
        full_days=max(p.days for p in people),
    )
    by_id = {m.id: m for m in members}
    buttons: list[ButtonSpec] = [("button.paid", f"paid {charge.id}")]
    return [
        Letter(
            by_id[s.member_id],
            _charge_letter(charge, basis, s, pay),
            buttons,
            pay.qr_code(charge.id, s.member_id, s.amount, charge.currency) if pay else None,
        )
        for s in shares
    ]


@dataclass(frozen=True)
class SplitBasis:
    """What a charge's letters say about how it was split."""

    asked: Split
    method: Split
    people: int
    total_units: int
    full_days: int  # the most days anyone was a member in the period

    def how(self, loc: Localizer, share: NewShare) -> Markup:
        """Why a member's share is what it is, in a few words."""
        if self.method is Split.ATTENDANCE:
            if share.units == self.total_units:  # not "1 day out of 1 days"
                return loc.t("charge.how.attendance_alone", count=share.units)
            return loc.t("charge.how.attendance", count=share.units, total=self.total_units)
        if self.asked is Split.ATTENDANCE:
            how = loc.t("charge.how.nobody_came")
        elif self.method is Split.SHARES:
            how = loc.t("charge.how.shares", count=share.units)
        else:
            how = loc.t("charge.how.equal", count=self.people)
        if share.days < self.full_days:
            return loc.t("charge.how.part", how=how, days=share.days, total=self.full_days)
        return how


def _charge_letter(charge: Charge, basis: SplitBasis, share: NewShare, pay: PayTo | None) -> Render:
    def letter(loc: Localizer) -> Markup:
        text = loc.t(
            "charge.notice_once" if charge.one_off else "charge.notice",
            name=charge.name,
            period=period_text(loc, charge.period_start, charge.period_end),
            share=money(loc, share.amount, charge.currency),
            total=money(loc, charge.amount, charge.currency),
            how=basis.how(loc, share),
            id=charge.id,
            paid=loc.command(f"paid {charge.id}"),
        )
        return pay.with_details(text, loc, charge.id, share.member_id) if pay else text

    return letter


async def remind_admins(ctx: SpaceContext, day: date, at: time) -> None:
    """`remind_days_before` days before a due date, admins hear about it, once.

    A reminder missed while the bot was down still goes out if the due date has not
    come yet; after it, the charge itself is the news. A cost added after its reminder
    time (two days before its due date, say) gets no reminder: the admin just set it up.
    """
    before = ctx.space.remind_days_before
    if before <= 0:
        return
    repo = ctx.session.costs
    reminders: list[Render] = []
    for cost in await repo.active(ctx.space.id):
        due = cost.next_due
        assert due is not None
        slot = due - timedelta(days=before)
        if not slot <= day < due or moment(slot, at, ctx.tz) < cost.created_at:
            continue
        if await repo.claim_reminder(cost.id, due, ctx.now):
            reminders.append(_reminder_letter(cost, due, at, ctx))
    if reminders:
        admins = await ctx.session.members.admins(ctx.space.id)
        await ctx.send_private(Letter(a, reminder) for reminder in reminders for a in admins)


def _reminder_letter(cost: Cost, due: date, at: time, ctx: Context) -> Render:
    when = moment(due, at, ctx.tz)

    def letter(loc: Localizer) -> Markup:
        return loc.t(
            "remind.before",
            name=cost.name,
            amount=money(loc, cost.amount_on(due), cost.currency),
            split=loc.t(f"split.{cost.split}"),
            due=loc.fmt.day(due),
            time=loc.fmt.time(when),
        )

    return letter


async def remind_debtors(ctx: SpaceContext, day: date) -> None:
    """Every `nag_every_days` after a due date, those who still have to pay hear so.

    Only shares with something not even declared are reminded (a declared payment waits
    for an admin, not for the member). Each share remembers the last reminder day sent,
    so after downtime one reminder goes out, not one per missed day. A member owing
    several charges gets them in one message.
    """
    every = ctx.space.nag_every_days
    if every <= 0:
        return
    wanted: dict[int, list[ShareLine]] = defaultdict(list)
    sent: list[tuple[int, int, date]] = []
    for line in await ctx.session.costs.shares(ctx.space.id, unsettled=True):
        waited = (day - line.charge.due_on).days
        if line.to_pay <= 0 or waited < every:
            continue
        slot = line.charge.due_on + timedelta(days=waited // every * every)
        if line.nagged_on is not None and line.nagged_on >= slot:
            continue
        wanted[line.member_id].append(line)
        sent.append((line.charge.id, line.member_id, slot))
    if not sent:
        return
    await ctx.session.costs.mark_nagged(sent)
    members = {m.id: m for m in await ctx.session.members.of_space(ctx.space.id)}
    letters: list[Letter] = []
    for member_id, lines in wanted.items():
        buttons: list[ButtonSpec] = (
            [("button.paid", f"paid {lines[0].charge.id}")] if len(lines) == 1 else []
        )
        letters.append(Letter(members[member_id], _nag_letter(lines), buttons))
    await ctx.send_private(letters)


def _nag_letter(lines: Sequence[ShareLine]) -> Render:
    def letter(loc: Localizer) -> Markup:
        out = []
        for line in lines:
            charge = line.charge
            out.append(
                loc.t(
                    "nag.line",
                    id=charge.id,
                    name=charge.name,
                    due=loc.fmt.day(charge.due_on),
                    amount=money(loc, line.to_pay, charge.currency),
                )
            )
        out, left = fit(out, LISTING_BUDGET)
        out.insert(0, loc.t("nag.title"))
        if left:
            out.append(loc.t("nag.more", count=left, due=loc.command("due")))
        if len(lines) == 1:
            out.append(loc.t("nag.footer_one", paid=loc.command(f"paid {lines[0].charge.id}")))
        else:
            out.append(loc.t("nag.footer_many", paid=loc.command("paid")))
        return join(out)

    return letter


@dataclass(frozen=True)
class MonthFigures:
    """The admins' monthly summary: one month, and every number of that month."""

    month: date
    charged_count: int
    charged: int
    received: int
    owed: int  # of the month's charges, still not confirmed
    debtors: int
    to_confirm: int  # payments declared for the month's charges


async def send_summary(ctx: SpaceContext, day: date, at: time) -> None:
    """On the 1st at reminder time, admins get last month's figures, once per month.

    Missed while the bot was down, it goes out when the bot is back. Spaces that have
    never had a cost get none: a summary of nothing is noise.
    """
    repo = ctx.session.costs
    first = day.replace(day=1)
    started = await repo.first_created(ctx.space.id)
    if started is None or started >= moment(first, at, ctx.tz):
        return
    if not await repo.claim_summary(ctx.space.id, f"{first:%Y-%m}", ctx.now):
        return
    figures = await month_figures(ctx, first)
    admins = await ctx.session.members.admins(ctx.space.id)
    summary = _summary_letter(figures, ctx.space.currency)
    await ctx.send_private(Letter(a, summary) for a in admins)


async def month_figures(ctx: SpaceContext, first: date) -> MonthFigures:
    """The month before `first`: its charges (what fell due in it), the payments
    confirmed in it, and what of its charges is still owed or waits to be confirmed."""
    repo = ctx.session.costs
    space_id = ctx.space.id
    previous = date(*add_months(first.year, first.month, -1), 1)
    month = (previous, first - timedelta(days=1))
    charged = await repo.charges_due_between(space_id, *month)
    midnight = time(0)
    received = await repo.confirmed_total(
        space_id, moment(previous, midnight, ctx.tz), moment(first, midnight, ctx.tz)
    )
    open_lines = await repo.shares(space_id, unsettled=True, due_between=month)
    pending = await repo.payments(space_id, state=PaymentState.DECLARED, due_between=month)
    return MonthFigures(
        month=previous,
        charged_count=len(charged),
        charged=sum(c.amount for c in charged),
        received=received,
        owed=sum(line.owed for line in open_lines),
        debtors=len({line.member_id for line in open_lines}),
        to_confirm=len(pending),
    )


def _summary_letter(f: MonthFigures, currency: str) -> Render:
    def letter(loc: Localizer) -> Markup:
        month = loc.fmt.month(f.month.year, f.month.month)
        out = [loc.t("summary.title", month=month)]
        if not f.charged_count:
            out.append(loc.t("summary.nothing_charged", month=month))
        else:
            amount = money(loc, f.charged, currency)
            out.append(loc.t("summary.charged", count=f.charged_count, amount=amount))
            if f.owed:
                owed = money(loc, f.owed, currency)
                out.append(loc.t("summary.owed", count=f.debtors, amount=owed))
            else:
                out.append(loc.t("summary.all_paid"))
            if f.to_confirm:
                out.append(loc.t("summary.to_confirm", count=f.to_confirm))
        out.append(loc.t("summary.received", amount=money(loc, f.received, currency)))
        out.append(loc.t("summary.footer", balance=loc.command("balance")))
        return join(out)

    return letter
