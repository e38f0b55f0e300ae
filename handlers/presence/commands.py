"""Checking in and out, who is in and who is coming, one's history, the month's figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, ClassVar, Literal

from bot.arguments import ECHO, ArgError, Rest, YearMonth
from bot.context import Context, Letter, MemberContext, Render, message
from bot.events import Document
from bot.i18n import Localizer, Markup, escape, isolate, join
from bot.registry import Role, Where
from handlers.members import clean_text
from handlers.mentions import defuse_mentions
from handlers.presence import router
from handlers.presence.calc import (
    attendance,
    attendance_csv,
    cutoff,
    day_over,
    local_instant,
    looks_like_clock,
    month_range,
    month_stats,
    parse_clock,
)
from handlers.presence.closing import settle
from storage import Session
from storage.members import Member, MemberStatus
from storage.presence import ClosedBy, Closing, Visit, VisitChange

MAX_NOTE = 200
PLAN_DAYS_AHEAD = 90
HIDDEN = "hidden"


# -- check in and out -------------------------------------------------------------------


def is_hidden(member: Member) -> bool:
    return member.visibility == HIDDEN


@dataclass(frozen=True)
class ClockTime:
    """A time of day, `HH:MM`."""

    rest: ClassVar[bool] = False
    at: time

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> ClockTime:
        at = parse_clock(text)
        if at is None:
            raise ArgError("presence.bad_time", value=text[:ECHO])
        return cls(at)


async def answer(ctx: MemberContext, render: Render, merge: str | None = None) -> None:
    """Reply where the command came from, but privately to a hidden member writing in a
    group: what `/privacy hidden` promises is that the group does not see their visits.
    `merge`: what a reply in the group says, for a backlog to go out merged."""
    member = ctx.member
    in_group = ctx.msg is not None and not ctx.msg.chat.private
    hidden = member is not None and in_group and is_hidden(member)
    if hidden and member is not None and await ctx.send_private([Letter(member, render)]):
        return
    await ctx.reply(render(ctx.loc), merge=merge)


async def passed_today(
    ctx: MemberContext, wall: time, not_before: datetime | None
) -> datetime | None:
    """The instant of `wall` today if it has passed and is not before `not_before` (the
    last check-out, or the check-in); otherwise None, after saying why."""
    at = local_instant(ctx.today, wall, ctx.tz)
    if at > ctx.now:
        await answer(ctx, message("presence.time_future", time=wall.strftime("%H:%M")))
        return None
    if not_before is not None and at < not_before:
        limit = ctx.fmt.time(not_before)
        await answer(
            ctx, message("presence.time_too_early", time=wall.strftime("%H:%M"), limit=limit)
        )
        return None
    return at


async def record(ctx: MemberContext, before: Visit | None, after: Visit | None) -> None:
    change = VisitChange.of(before, after, ctx.member.id, ctx.now)
    await ctx.session.presence.record_change(ctx.space.id, change)


def last_out(visits: Sequence[Visit], but: Visit | None = None) -> datetime | None:
    """When the last of these visits ended (an open one has not)."""
    ends = [v.checkout_at for v in visits if v.checkout_at and (but is None or v.id != but.id)]
    return max(ends, default=None)


@router.command("checkin", aliases=["in"], local={"it": "entro"}, role=Role.MEMBER)
async def checkin(ctx: MemberContext, note: Annotated[str, Rest(MAX_NOTE)] = "") -> None:
    """`checkin [HH:MM] [note]`: in now, or since a time today that has passed. "Now" is
    when the command was sent: a check-in that waited while the bot was down counts from
    then, unless that day was over (closed) before it could be handled."""
    space, member = ctx.space, ctx.member
    first, _, after = note.partition(" ")
    wall = parse_clock(first)
    if wall is None and looks_like_clock(first):
        await answer(ctx, message("presence.bad_time", value=first[:ECHO]))
        return
    text = clean_text(after if wall else note)
    await settle(ctx)
    today = await ctx.session.presence.of_member_on(member.id, ctx.today)
    current = await ctx.session.presence.open_visit(member.id)
    if current is not None:
        await change_current(ctx, current, today, wall, text)
        return
    at, day = ctx.sent_at, ctx.today
    if wall is not None:
        stated = await passed_today(ctx, wall, last_out(today))
        if stated is None:
            return
        at = stated
    else:
        over = day_over(space.closing_time, space.tz, at, ctx.now)
        if over is not None:
            key = "checkin.after_closing" if space.closing_time else "checkin.after_day"
            await answer(ctx, message(key, closing=ctx.fmt.time(over)))
            return
        day = at.astimezone(space.tz).date()
    visit = await ctx.session.presence.check_in(space.id, member.id, day, at, text)
    if wall is not None:
        await record(ctx, None, visit)
    count = await ctx.session.presence.count_open(space.id)

    def render(loc: Localizer) -> Markup:
        lines = [
            loc.t("checkin.done", name=member.display_name, time=loc.fmt.time(visit.checkin_at)),
            loc.t("checkin.count", count=count),
        ]
        if space.capacity:
            left = space.capacity - count
            if left > 0:
                lines.append(loc.t("checkin.desks_left", count=left))
            elif left == 0:
                lines.append(loc.t("checkin.last_desk"))
            else:
                lines.append(loc.t("checkin.full", count=count, capacity=space.capacity))
        return join(lines, " ")

    await answer(ctx, render, merge="checkin")
    if not ctx.msg.chat.private and not is_hidden(member):
        # The other group (Telegram <-> Matrix) learns it too; by name only, never a mention.
        key = "presence.announce_note" if text else "presence.announce"
        name, quiet_note = defuse_mentions(member.display_name), defuse_mentions(text)
        await ctx.post(
            lambda loc: loc.t(key, name=name, note=quiet_note),
            exclude=ctx.msg.chat,
            merge="checkin",
        )


async def change_current(
    ctx: MemberContext, current: Visit, today: Sequence[Visit], wall: time | None, text: str
) -> None:
    """`checkin` again while in: a time moves the check-in, a note replaces the note."""
    if wall is None and not text:
        await answer(ctx, message("checkin.already", time=ctx.fmt.time(current.checkin_at)))
        return
    visit = current
    if wall is not None:
        at = await passed_today(ctx, wall, last_out(today, but=current))
        if at is None:
            return
        visit = await ctx.session.presence.set_times(current.id, at, None, None)
        await record(ctx, current, visit)
    if text:
        await ctx.session.presence.set_note(current.id, text)

    def render(loc: Localizer) -> Markup:
        lines = []
        if wall is not None:
            old, new = loc.fmt.time(current.checkin_at), loc.fmt.time(visit.checkin_at)
            lines.append(loc.t("checkin.moved", time=new, old=old))
        if text:
            lines.append(loc.t("checkin.note_updated", note=text))
        if wall is None:
            lines.append(loc.t("checkin.already", time=loc.fmt.time(visit.checkin_at)))
        return join(lines, " ")

    await answer(ctx, render)


@router.command("checkout", aliases=["out"], local={"it": "esco"}, role=Role.MEMBER)
async def checkout(ctx: MemberContext, at: ClockTime | None = None) -> None:
    """`checkout [HH:MM]`: out now, or at a time today that has passed (which also fixes
    a visit of today the closing time or the end of the day already ended). "Now" is when
    the command was sent, if the visit was still open then (a check-out that waited while
    the bot was down is not moved to the closing time)."""
    member, space, sent = ctx.member, ctx.space, ctx.sent_at
    if at is None:
        visit = await ctx.session.presence.open_visit(member.id)
        if (
            visit is not None
            and visit.checkin_at <= sent < cutoff(visit, space.closing_time, space.tz).at
        ):
            await ctx.session.presence.close([Closing(visit.id, sent, ClosedBy.MEMBER)])
            await settle(ctx, quiet_for=member.id)
            await answer(ctx, checked_out(member, visit.checkin_at, sent))
            return
    settled = await settle(ctx, quiet_for=member.id)
    if at is not None:
        await checkout_at(ctx, at.at)
        return
    for closed, closing in settled:
        if closed.member_id == member.id:
            await answer(
                ctx,
                message(
                    f"checkout.was_closed.{closing.closed_by.value}",
                    day=ctx.fmt.day(closed.local_date),
                    time=ctx.fmt.time(closing.at),
                    duration=ctx.fmt.duration(closing.at - closed.checkin_at),
                ),
            )
            return
    visit = await ctx.session.presence.open_visit(member.id)
    if visit is None:
        await answer(ctx, message("checkout.not_in", checkin=ctx.command("checkin")))
        return
    await ctx.session.presence.close([Closing(visit.id, ctx.now, ClosedBy.MEMBER)])
    await answer(ctx, checked_out(member, visit.checkin_at, ctx.now))


def checked_out(member: Member, start: datetime, end: datetime) -> Render:
    return lambda loc: loc.t(
        "checkout.done",
        name=member.display_name,
        duration=loc.fmt.duration(end - start),
        start=loc.fmt.time(start),
        end=loc.fmt.time(end),
    )


async def checkout_at(ctx: MemberContext, wall: time) -> None:
    member = ctx.member
    today = await ctx.session.presence.of_member_on(member.id, ctx.today)
    if not today:
        await answer(ctx, message("checkout.not_in", checkin=ctx.command("checkin")))
        return
    target = today[-1]  # the open one, or the last that ended
    end = await passed_today(ctx, wall, target.checkin_at)
    if end is None:
        return
    fixed = await ctx.session.presence.set_times(target.id, target.checkin_at, end, ClosedBy.MEMBER)
    await record(ctx, target, fixed)
    if target.is_open:
        await answer(ctx, checked_out(member, fixed.checkin_at, end))
        return
    await answer(
        ctx,
        message(
            "checkout.fixed",
            start=ctx.fmt.time(fixed.checkin_at),
            end=ctx.fmt.time(end),
            duration=ctx.fmt.duration(end - fixed.checkin_at),
            old=ctx.fmt.time(target.checkout_at or end),
        ),
    )


# -- who is in, who is coming -----------------------------------------------------------


def named_list(loc: Localizer, members: Sequence[Member]) -> Markup:
    """Visible members by name (each escaped and kept to its own direction), hidden ones
    only counted."""
    names = [escape(isolate(m.display_name)) for m in members if not is_hidden(m)]
    hidden = len(members) - len(names)
    if hidden:
        names.append(loc.t("presence.others", count=hidden))
    return Markup(", ".join(names))


async def coming_today(session: Session, space_id: int, today: date) -> list[Member]:
    """Active members who said they are coming today and have not come yet (`who`, and
    the count on the web page)."""
    came = {v.member_id for v in await session.presence.visits(space_id, today, today)}
    active = {m.id: m for m in await session.members.of_space(space_id, MemberStatus.ACTIVE)}
    return [
        active[p.member_id]
        for p in await session.presence.planned(space_id, today)
        if p.member_id in active and p.member_id not in came
    ]


@router.command("who", local={"it": "chi"}, role=Role.MEMBER)
async def who(ctx: MemberContext) -> None:
    from handlers.web.state import state_text, sync  # the web capability builds on this one

    space = ctx.space
    found = await sync(ctx)  # closes what is due, and knows who is still in
    present = found.inside
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
    lines.append(state_text(ctx.loc, found.state, ctx.now))
    coming = await coming_today(ctx.session, space.id, ctx.today)
    if coming:
        lines.append(Markup(f"\n{ctx.t('who.planned_title')}"))
        lines.append(named_list(ctx.loc, coming))
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
    first, last = month_range(wanted)
    changes = await ctx.session.presence.changes(space.id, first, last)
    if not visits and not changes:
        await ctx.say("export.none", month=name)
        return
    names = {m.id: m.display_name for m in await ctx.session.members.of_space(space.id)}
    content = attendance_csv(visits, changes, names, space.tz, ctx.lang)
    document = Document(f"attendance-{wanted}.csv", content)
    await ctx.reply(ctx.t("export.done", month=name, count=len(visits)), document=document)
