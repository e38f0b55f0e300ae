"""The requests job: expire what is too old, escalate what nobody took in time.

Jobs only tick: a request is escalated or expired when the clock and its stored state
say so, and the state change is written in the same transaction as the messages, so
nothing happens twice, not even across a restart."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Ago, Cmd, Letter, Runtime, SpaceContext, message
from handlers.skills import router
from handlers.skills.matching import expires_at
from handlers.skills.requests import members_by_id, offer_button, person, request_values

# Expiry counts calendar days in the space's timezone; a wall-clock day differs from 24 h
# by at most the DST jump, so candidates are fetched with this margin and then decided exactly.
DST_MARGIN = timedelta(hours=3)


# -- jobs -------------------------------------------------------------------------------


@router.job("skills.requests", every=timedelta(minutes=1))
async def requests_job(rt: Runtime) -> None:
    await rt.each_space(tend_requests)


async def tend_requests(ctx: SpaceContext) -> None:
    """Expire first: a request found long overdue after downtime just expires, unescalated."""
    await expire_due(ctx)
    await escalate_due(ctx)


async def expire_due(ctx: SpaceContext) -> None:
    days = ctx.space.expire_after_days
    repo = ctx.session.skills
    candidates = await repo.active_created_before(
        ctx.space.id, ctx.now - timedelta(days=days) + DST_MARGIN
    )
    due = [r for r in candidates if expires_at(r.created_at, days, ctx.tz) <= ctx.now]
    if not due:
        return
    await repo.expire([r.id for r in due], ctx.now)
    people = await members_by_id(ctx)
    letters: list[Letter] = []
    for request in due:
        values = {
            "number": request.number,
            "skill": request.skill_label,
            "count": days,
            "ask": Cmd("ask"),
        }
        requester = person(people, request.requester_id)
        if requester is not None and requester.is_active:
            letters.append(Letter(requester, message("skills.expired_requester", **values)))
        helper = person(people, request.helper_id)
        if helper is not None and helper.is_active:
            letters.append(Letter(helper, message("skills.expired_helper", **values)))
    await ctx.send_private(letters)


async def escalate_due(ctx: SpaceContext) -> None:
    """Requests nobody took in time go to every active member, once, present ones first."""
    repo = ctx.session.skills
    due = await repo.to_escalate(
        ctx.space.id, ctx.now - timedelta(minutes=ctx.space.escalate_after_minutes)
    )
    if not due:
        return
    people = await members_by_id(ctx)
    present = await repo.present_members(ctx.space.id)
    active = sorted(
        (m for m in people.values() if m.is_active),
        key=lambda m: (m.id not in present, m.display_name.casefold(), m.id),
    )
    letters: list[Letter] = []
    notices: list[tuple[int, int]] = []
    for request in due:
        requester = person(people, request.requester_id)
        values = request_values(request, requester) | {"age": Ago(ctx.now - request.created_at)}
        escalation, buttons = message("skills.escalation", **values), offer_button(request.number)
        for member in active:
            if member.id != request.requester_id:
                letters.append(Letter(member, escalation, buttons))
                notices.append((request.id, member.id))
        if requester is not None and requester.is_active:
            letters.append(Letter(requester, message("skills.escalated_requester", **values)))
    reached = {m.id for m in await ctx.send_private(letters)}
    await repo.record_notices(
        [(rid, mid) for rid, mid in notices if mid in reached], "escalation", ctx.now
    )
    await repo.mark_escalated([r.id for r in due], ctx.now)
