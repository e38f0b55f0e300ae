"""Closing visits that are over, decided from stored state alone (`settle`).

The job runs it every minute, and so does every presence command before it reads
anything, so a late tick, a tick after a restart, or a command that beats the tick all
see the same truth and close each visit exactly once."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Letter, Render, Runtime, SpaceContext
from bot.i18n import Localizer, Markup
from handlers.presence import router
from handlers.presence.calc import due_before, due_closings
from storage.members import MemberStatus
from storage.presence import Closing, Visit
from storage.spaces import Space


async def settle(ctx: SpaceContext, *, quiet_for: int | None = None) -> list[tuple[Visit, Closing]]:
    """Close every open visit of the space whose cut-off has come, and tell each member.

    Run by the job and by each presence command before it reads, so nobody ever sees a
    visit that should have ended. The member `quiet_for` is not notified: the command
    they just sent answers them instead.
    """
    space = ctx.space
    before = due_before(space.closing_time, space.tz, ctx.now)
    candidates = await ctx.session.presence.open_visits(space.id, before=before)
    due = due_closings(candidates, space.closing_time, space.tz, ctx.now)
    if not due:
        return []
    await ctx.session.presence.close([closing for _, closing in due])
    members = {m.id: m for m in await ctx.session.members.of_space(space.id)}
    letters: list[Letter] = []
    for visit, closing in due:
        member = members.get(visit.member_id)
        if member is None or member.status is MemberStatus.LEFT or member.id == quiet_for:
            continue
        letters.append(Letter(member, closing_notice(space, visit, closing)))
    await ctx.send_private(letters)
    return due


def closing_notice(space: Space, visit: Visit, closing: Closing) -> Render:
    def render(loc: Localizer) -> Markup:
        return loc.t(
            f"notice.{closing.closed_by.value}",
            space=space.name,
            day=loc.fmt.day(visit.local_date),
            time=loc.fmt.time(closing.at),
            duration=loc.fmt.duration(closing.at - visit.checkin_at),
        )

    return render


@router.job("presence.closing", every=timedelta(minutes=1))
async def closing_job(rt: Runtime) -> None:
    """Close visits at closing time and at the end of their day, in every space."""

    async def work(ctx: SpaceContext) -> None:
        await settle(ctx)

    await rt.each_space(work)
