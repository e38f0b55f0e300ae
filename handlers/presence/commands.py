"""Checking in and out, who is in and who is coming, one's history, the month's figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Literal

from bot.arguments import Rest, YearMonth
from bot.context import MemberContext
from bot.events import Document
from bot.i18n import Localizer, Markup, join
from bot.registry import Role, Where
from handlers.members import clean_text
from handlers.mentions import defuse_mentions
from handlers.presence import router
from handlers.presence.calc import attendance, attendance_csv, month_range, month_stats
from handlers.presence.closing import settle
from storage.members import Member, MemberStatus
from storage.presence import ClosedBy, Closing, Visit

MAX_NOTE = 200
PLAN_DAYS_AHEAD = 90
HIDDEN = "hidden"


# -- check in and out -------------------------------------------------------------------


def is_hidden(member: Member) -> bool:
    return member.visibility == HIDDEN


@router.command("checkin", aliases=["in"], local={"it": "entro"}, role=Role.MEMBER)
async def checkin(ctx: MemberContext, note: Annotated[str, Rest(MAX_NOTE)] = "") -> None:
    space, member = ctx.space, ctx.member
    await settle(ctx)
    current = await ctx.session.presence.open_visit(member.id)
    if current is not None:
        await ctx.say("checkin.already", time=ctx.fmt.time(current.checkin_at))
        return
    text = clean_text(note)
    visit = await ctx.session.presence.check_in(space.id, member.id, ctx.today, ctx.now, text)
    count = await ctx.session.presence.count_open(space.id)
    lines = [
        ctx.t("checkin.done", name=member.display_name, time=ctx.fmt.time(visit.checkin_at)),
        ctx.t("checkin.count", count=count),
    ]
    if space.capacity:
        left = space.capacity - count
        if left > 0:
            lines.append(ctx.t("checkin.desks_left", count=left))
        elif left == 0:
            lines.append(ctx.t("checkin.last_desk"))
        else:
            lines.append(ctx.t("checkin.full", count=count, capacity=space.capacity))
    await ctx.reply(join(lines, " "))
    if not ctx.msg.chat.private and not is_hidden(member):
        # The other group (Telegram <-> Matrix) learns it too; by name only, never a mention.
        key = "presence.announce_note" if text else "presence.announce"
        name, quiet_note = defuse_mentions(member.display_name), defuse_mentions(text)
        await ctx.post(lambda loc: loc.t(key, name=name, note=quiet_note), exclude=ctx.msg.chat)


@router.command("checkout", aliases=["out"], local={"it": "esco"}, role=Role.MEMBER)
async def checkout(ctx: MemberContext) -> None:
    member = ctx.member
    for closed, closing in await settle(ctx, quiet_for=member.id):
        if closed.member_id == member.id:
            await ctx.say(
                f"checkout.was_closed.{closing.closed_by.value}",
                day=ctx.fmt.day(closed.local_date),
                time=ctx.fmt.time(closing.at),
                duration=ctx.fmt.duration(closing.at - closed.checkin_at),
            )
            return
    visit = await ctx.session.presence.open_visit(member.id)
    if visit is None:
        await ctx.say("checkout.not_in", checkin=f"{ctx.prefix}checkin")
        return
    await ctx.session.presence.close([Closing(visit.id, ctx.now, ClosedBy.MEMBER)])
    await ctx.say(
        "checkout.done",
        name=member.display_name,
        duration=ctx.fmt.duration(ctx.now - visit.checkin_at),
        start=ctx.fmt.time(visit.checkin_at),
        end=ctx.fmt.time(ctx.now),
    )


# -- who is in, who is coming -----------------------------------------------------------


def named_list(loc: Localizer, members: Sequence[Member]) -> str:
    """Visible members by name, hidden ones only counted."""
    names = [m.display_name for m in members if not is_hidden(m)]
    hidden = len(members) - len(names)
    if hidden:
        names.append(str(loc.t("presence.others", count=hidden)))
    return ", ".join(names)


@router.command("who", local={"it": "chi"}, role=Role.MEMBER)
async def who(ctx: MemberContext) -> None:
    space = ctx.space
    await settle(ctx)
    present = await ctx.session.presence.open_visits(space.id)
    members = {m.id: m for m in await ctx.session.members.of_space(space.id)}
    lines: list[Markup] = []
    if not present:
        lines.append(ctx.t("who.nobody"))
    else:
        if space.capacity:
            lines.append(ctx.t("who.title_capacity", count=len(present), capacity=space.capacity))
        else:
            lines.append(ctx.t("who.title", count=len(present)))
        hidden = 0
        for visit in present:
            member = members.get(visit.member_id)
            if member is None or is_hidden(member):
                hidden += 1
                continue
            key = "who.line_note" if visit.note else "who.line"
            lines.append(
                ctx.t(
                    key,
                    name=defuse_mentions(member.display_name),
                    time=ctx.fmt.time(visit.checkin_at),
                    note=defuse_mentions(visit.note),
                )
            )
        if hidden:
            lines.append(ctx.t("who.hidden", count=hidden))
    from handlers.web.state import state_line  # the web capability builds on this one

    lines.append(await state_line(ctx))
    came_today = {
        v.member_id for v in await ctx.session.presence.visits(space.id, ctx.today, ctx.today)
    }
    coming = [
        members[p.member_id]
        for p in await ctx.session.presence.planned(space.id, ctx.today)
        if p.member_id in members
        and p.member_id not in came_today
        and members[p.member_id].status is MemberStatus.ACTIVE
    ]
    if coming:
        lines.append(Markup(f"\n{ctx.t('who.planned_title')}"))
        lines.append(Markup(named_list(ctx.loc, coming)))
    await ctx.reply(join(lines))


@router.command("going", role=Role.MEMBER, where=Where.ANY)
async def going(ctx: MemberContext, day: date | None = None) -> None:
    space, member = ctx.space, ctx.member
    wanted = day or ctx.today
    shown = ctx.fmt.day(wanted)
    if wanted < ctx.today:
        await ctx.say("going.past", day=shown)
        return
    if wanted > ctx.today + timedelta(days=PLAN_DAYS_AHEAD):
        await ctx.say("going.too_far", limit=PLAN_DAYS_AHEAD)
        return
    if wanted == ctx.today:
        await settle(ctx)
        if await ctx.session.presence.open_visit(member.id) is not None:
            await ctx.say("going.already_in")
            return
    if not await ctx.session.presence.plan(space.id, member.id, wanted, ctx.now):
        await ctx.say("going.already", day=shown)
        return
    lines = [ctx.t("going.done", day=shown)]
    members = {m.id: m for m in await ctx.session.members.of_space(space.id, MemberStatus.ACTIVE)}
    others = [
        members[p.member_id]
        for p in await ctx.session.presence.planned(space.id, wanted)
        if p.member_id in members and p.member_id != member.id
    ]
    if others:
        lines.append(ctx.t("going.also", names=named_list(ctx.loc, others)))
    await ctx.reply(join(lines, " "))


@router.command("notgoing", role=Role.MEMBER, where=Where.ANY)
async def notgoing(ctx: MemberContext, day: date | None = None) -> None:
    wanted = day or ctx.today
    removed = await ctx.session.presence.unplan(ctx.member.id, wanted)
    await ctx.say("notgoing.done" if removed else "notgoing.none", day=ctx.fmt.day(wanted))


@router.command("privacy", role=Role.MEMBER, where=Where.ANY)
async def privacy(
    ctx: MemberContext, visibility: Literal["visible", "hidden", "public"] | None = None
) -> None:
    if visibility is None:
        now = ctx.member.visibility
        other = "visible" if now in (HIDDEN, "public") else "hidden"
        word = ctx.rt.translator.word(ctx.lang, f"word.{other}")  # `nascosto` in Italian
        await ctx.say(f"privacy.is_{now}", command=f"{ctx.prefix}privacy {word}")
        return
    await ctx.session.members.set_visibility(ctx.member.id, visibility)
    await ctx.say(f"privacy.now_{visibility}")


# -- history ----------------------------------------------------------------------------


@router.command("me", role=Role.MEMBER, where=Where.ANY)
async def me(ctx: MemberContext) -> None:
    await settle(ctx)
    this = YearMonth.of(ctx.today)
    first, _ = month_range(this.previous)
    _, last = month_range(this)
    visits = await ctx.session.presence.visits(ctx.space.id, first, last, member_id=ctx.member.id)
    lines = [ctx.t("me.title")]
    for month in (this, this.previous):
        mine = [v for v in visits if YearMonth.of(v.local_date) == month]
        name = ctx.fmt.month(month.year, month.month)
        if not mine:
            lines.append(ctx.t("me.none", month=name))
            continue
        summary = attendance(mine, ctx.now)
        lines.append(
            ctx.t(
                "me.line",
                month=name,
                days=ctx.t("me.days", count=summary.days),
                duration=ctx.fmt.duration(summary.time),
            )
        )
    current = next((v for v in visits if v.is_open), None)
    if current is not None:
        lines.append(ctx.t("me.now", time=ctx.fmt.time(current.checkin_at)))
    await ctx.reply(join(lines))


async def month_visits(
    ctx: MemberContext, month: YearMonth | None
) -> tuple[YearMonth, str, list[Visit]]:
    """The month asked for (this one by default), its name, and the space's visits in it."""
    await settle(ctx)
    wanted = month or YearMonth.of(ctx.today)
    first, last = month_range(wanted)
    visits = await ctx.session.presence.visits(ctx.space.id, first, last)
    return wanted, ctx.fmt.month(wanted.year, wanted.month), visits


@router.command("stats", role=Role.MEMBER, where=Where.ANY)
async def stats(ctx: MemberContext, month: YearMonth | None = None) -> None:
    space = ctx.space
    wanted, name, visits = await month_visits(ctx, month)
    figures = month_stats(visits)
    if figures.peak_day is None:
        await ctx.say("stats.none", month=name)
        return
    lines = [
        ctx.t("stats.title", space=space.name, month=name),
        ctx.t("stats.days_open", count=figures.days_open),
        ctx.t("stats.average", average=ctx.fmt.number(figures.average)),
        ctx.t("stats.peak", count=figures.peak, day=ctx.fmt.day(figures.peak_day)),
    ]
    if ctx.member.is_admin and ctx.msg.chat.private:
        members = {m.id: m for m in await ctx.session.members.of_space(space.id)}
        lines.append(Markup(f"\n{ctx.t('stats.members_title')}"))
        ranked = sorted(
            figures.days_per_member.items(),
            key=lambda item: (-item[1], members[item[0]].display_name.casefold()),
        )
        for member_id, days in ranked:
            lines.append(
                ctx.t(
                    "stats.member_line",
                    name=members[member_id].display_name,
                    days=ctx.t("me.days", count=days),
                )
            )
    elif ctx.member.is_admin:
        lines.append(ctx.t("stats.members_private", stats=f"{ctx.prefix}stats {wanted}"))
    await ctx.reply(join(lines))


@router.command("export attendance", role=Role.ADMIN, where=Where.PRIVATE)
async def export_attendance(ctx: MemberContext, month: YearMonth | None = None) -> None:
    space = ctx.space
    wanted, name, visits = await month_visits(ctx, month)
    if not visits:
        await ctx.say("export.none", month=name)
        return
    names = {m.id: m.display_name for m in await ctx.session.members.of_space(space.id)}
    document = Document(f"attendance-{wanted}.csv", attendance_csv(visits, names, space.tz))
    await ctx.reply(ctx.t("export.done", month=name, count=len(visits)), document=document)
