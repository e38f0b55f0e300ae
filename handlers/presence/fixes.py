"""Admins fix visits: set any visit of any day, or remove one; every change is kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import ClassVar

from bot.arguments import ECHO, ArgError, parse_date, split_words
from bot.context import Context, Letter, MemberContext, message
from bot.registry import Role
from handlers.members import MemberArg
from handlers.presence import router
from handlers.presence.calc import hhmm, local_instant, parse_clock, span_text
from handlers.presence.closing import settle
from handlers.presence.commands import record
from storage.members import Member
from storage.presence import ClosedBy, Visit

# A time, or two joined by a dash: what is meant as one (`9-18` too, to say it is wrong),
# never a date (`28-11-2026` has two dashes).
_RANGE = re.compile(r"\d{1,2}[:.]\d{2}|\d{1,2}(?:[:.]\d+)?[-–—]\d{1,2}(?:[:.]\d+)?")


@dataclass(frozen=True)
class VisitRef:
    """`<member> <date> [<in>[-<out>]]`, read from the right so names may have spaces."""

    rest: ClassVar[bool] = True
    member: Member
    day: date
    start: time | None
    end: time | None

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> VisitRef:
        words = split_words(text)
        start = end = None
        if words and _RANGE.fullmatch(words[-1]):
            first, *second = re.split(r"[-–—]", words.pop())
            start = parse_clock(first)
            end = parse_clock(second[0]) if second else None
            if start is None or (second and end is None):
                raise ArgError("visit.bad_range", value=text.split()[-1][:ECHO])
        if len(words) < 2:
            raise ArgError("dispatch.missing_argument")
        day = parse_date(words.pop(), ctx.today)
        member = (await MemberArg.convert(" ".join(words), ctx)).member
        return cls(member, day, start, end)


def overlaps(visit: Visit, start: datetime, end: datetime, now: datetime) -> bool:
    return visit.checkin_at < end and (visit.checkout_at or now) > start


async def tell_about_visit(ctx: MemberContext, member: Member, key: str, **values: object) -> None:
    """The member hears what an admin changed in their visits (unless it was them)."""
    if member.id != ctx.member.id:
        render = message(key, admin=ctx.member.display_name, **values)
        await ctx.send_private([Letter(member, render)])


@router.command("visit fix", role=Role.ADMIN)
async def visit_fix(ctx: MemberContext, ref: VisitRef) -> None:
    """Set a member's visit of a day to `in-out`, or add it if there was none."""
    tz, name, day = ctx.tz, ref.member.display_name, ctx.fmt.day(ref.day)
    if ref.start is None or ref.end is None:
        example = f"{ctx.prefix}visit fix {name} {ref.day.isoformat()} 09:00-18:30"
        await ctx.say("visit.need_range", example=example)
        return
    start, end = local_instant(ref.day, ref.start, tz), local_instant(ref.day, ref.end, tz)
    if end <= start:
        await ctx.say("visit.end_before_start")
        return
    if end > ctx.now:
        await ctx.say("visit.not_yet", day=day, time=ctx.fmt.time(end))
        return
    await settle(ctx)
    visits = await ctx.session.presence.of_member_on(ref.member.id, ref.day)
    # With several visits that day, the times say which: the only one they touch.
    touching = [v for v in visits if overlaps(v, start, end, ctx.now)]
    target = visits[0] if len(visits) == 1 else touching[0] if len(touching) == 1 else None
    if target is None and visits:
        listed = ", ".join(span_text(v.checkin_at, v.checkout_at, tz) for v in visits)
        await ctx.say("visit.which_fix", name=name, count=len(visits), day=day, visits=listed)
        return
    new, duration = span_text(start, end, tz), ctx.fmt.duration(end - start)
    presence = ctx.session.presence
    if target is None:
        space_id = ref.member.space_id
        added = await presence.add(space_id, ref.member.id, ref.day, start, end, ClosedBy.ADMIN)
        await record(ctx, None, added)
        await ctx.say("visit.added", name=name, day=day, new=new, duration=duration)
        await tell_about_visit(ctx, ref.member, "visit.notice_added", day=day, new=new)
        return
    fixed = await presence.set_times(target.id, start, end, ClosedBy.ADMIN)
    await record(ctx, target, fixed)
    old = span_text(target.checkin_at, target.checkout_at, tz)
    await ctx.say("visit.fixed", name=name, day=day, new=new, duration=duration, old=old)
    await tell_about_visit(ctx, ref.member, "visit.notice_fixed", day=day, new=new, old=old)


@router.command("visit remove", role=Role.ADMIN)
async def visit_remove(ctx: MemberContext, ref: VisitRef) -> None:
    """Remove a member's visit of a day (the one that began at `in`, if there are several)."""
    tz, name, day = ctx.tz, ref.member.display_name, ctx.fmt.day(ref.day)
    await settle(ctx)
    visits = await ctx.session.presence.of_member_on(ref.member.id, ref.day)
    if ref.start is not None:
        visits = [v for v in visits if v.checkin_at.astimezone(tz).time() == ref.start]
    if not visits:
        await ctx.say("visit.none", name=name, day=day)
        return
    if len(visits) > 1:
        listed = ", ".join(span_text(v.checkin_at, v.checkout_at, tz) for v in visits)
        start = hhmm(visits[0].checkin_at, tz)
        example = f"{ctx.prefix}visit remove {name} {ref.day.isoformat()} {start}"
        await ctx.say(
            "visit.which", name=name, count=len(visits), day=day, visits=listed, example=example
        )
        return
    gone = visits[0]
    await ctx.session.presence.delete(gone.id)
    await record(ctx, gone, None)
    old = span_text(gone.checkin_at, gone.checkout_at, tz)
    await ctx.say("visit.removed", name=name, day=day, old=old)
    await tell_about_visit(ctx, ref.member, "visit.notice_removed", day=day, old=old)
