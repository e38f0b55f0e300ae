"""Open or closed: a space opens with its first check-in (or `/open`) and closes with its
last check-out, its closing time, or `/close`.

The state is replayed from the visits, never hooked into each way a visit starts or
ends (a command, a device, the closing job, an erasure): from the stored state, every
check-in and check-out after it is an event, in order, and the result is stored again.
The job does it every minute and so do `who`, `/open`, `/close` and the presence hook;
a web page replays the same way in memory without writing, so it is never behind.
A space opened with `/open` while nobody is in closes by itself at its closing time, or
at the end of that day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.context import MemberContext, SpaceContext
from bot.i18n import Localizer, Markup, join
from bot.registry import Role, Where
from handlers.mentions import defuse_mentions
from handlers.presence.calc import END_OF_DAY, due_closings, local_instant, parse_hhmm
from handlers.presence.closing import settle
from handlers.presence.commands import is_hidden
from handlers.web.base import router, when_text
from storage import Session
from storage.presence import ClosedBy, Visit
from storage.spaces import Space
from storage.web import SpaceState

CHECKIN = "checkin"
OPENED = "open"
CLOSED = "close"
CLOSING = "closing"
FIRST_LOOK = timedelta(days=1)


@dataclass(frozen=True)
class Now:
    """The space as it is now: open or closed, and the visits still open."""

    state: SpaceState
    inside: tuple[Visit, ...]
    stored: SpaceState | None = None  # as it was stored when read (None: never yet)


# -- the replay: pure ------------------------------------------------------------------------


def cut_off(space: Space) -> Callable[[datetime], datetime]:
    """When a space opened at an instant closes by itself if nobody comes: its closing
    time that day if still ahead, else the end of that day."""

    def at(opened: datetime) -> datetime:
        day = opened.astimezone(space.tz).date()
        closing = parse_hhmm(space.closing_time)
        if closing is not None and local_instant(day, closing, space.tz) > opened:
            return local_instant(day, closing, space.tz)
        return max(local_instant(day, END_OF_DAY, space.tz), opened)

    return at


def replay(
    stored: SpaceState,
    visits: Sequence[Visit],
    now: datetime,
    cut: Callable[[datetime], datetime],
) -> SpaceState:
    """The state after every check-in and check-out since `stored.changed_at`, up to now.

    `visits` are the visits open after that instant (still open, or closed since). At
    the same instant arrivals count before departures, so a hand-over never shows as a
    moment closed.
    """
    since = stored.changed_at
    inside = sum(
        1
        for v in visits
        if v.checkin_at <= since and (v.checkout_at is None or v.checkout_at > since)
    )
    events: list[tuple[datetime, int, int, Visit]] = []
    for v in visits:
        if v.checkin_at > since:
            events.append((v.checkin_at, 0, v.id, v))
        if v.checkout_at is not None and since < v.checkout_at <= now:
            events.append((v.checkout_at, 1, v.id, v))
    events.sort(key=lambda e: e[:3])
    state = stored
    for at, kind, _, visit in events:
        state = _lapse(state, inside, at, cut)
        if kind == 0:
            inside += 1
            if not state.is_open:
                state = SpaceState(True, at, CHECKIN, visit.member_id)
        else:
            inside -= 1
            if inside <= 0 and state.is_open:
                by = visit.closed_by or ClosedBy.CLOSING
                # Closing time and midnight close the space, not the last person in it.
                who = visit.member_id if by in (ClosedBy.MEMBER, ClosedBy.DEVICE) else None
                state = SpaceState(False, at, by.value, who)
    return _lapse(state, inside, now, cut)


def _lapse(
    state: SpaceState, inside: int, at: datetime, cut: Callable[[datetime], datetime]
) -> SpaceState:
    """An open space with nobody in (opened with /open) closes at its cut-off."""
    if state.is_open and inside <= 0:
        end = cut(state.changed_at)
        if end <= at:
            return SpaceState(False, end, CLOSING, None)
    return state


# -- reading and storing -----------------------------------------------------------------


async def current(session: Session, space: Space, now: datetime) -> Now:
    """The state now, replayed in memory (nothing is written): what the web shows.

    Visits whose closing time has come count as closed then, even if the job has not
    closed them yet.
    """
    open_visits = await session.presence.open_visits(space.id)
    due = {v.id: c for v, c in due_closings(open_visits, space.closing_time, space.tz, now)}
    stored = kept = await session.web.state(space.id)
    if stored is None:
        # Never stored yet: closed from just before the space was made (or a day ago),
        # and before anyone still in arrived.
        second = timedelta(seconds=1)
        earliest = min((v.checkin_at for v in open_visits), default=now)
        first = min(max(now - FIRST_LOOK, space.created_at - second), earliest - second)
        stored = SpaceState(False, first, "", None)
    first_day = stored.changed_at.astimezone(space.tz).date()
    visits = await session.presence.closed_since(space.id, stored.changed_at, first_day)
    for visit in open_visits:
        closing = due.get(visit.id)
        if closing is None:
            visits.append(visit)
        else:
            visits.append(replace(visit, checkout_at=closing.at, closed_by=closing.closed_by))
    state = replay(stored, visits, now, cut_off(space))
    inside = tuple(v for v in open_visits if v.id not in due)
    return Now(state, inside, kept)


async def sync(ctx: SpaceContext) -> Now:
    """Close what is due, replay, and store the state if it changed."""
    await settle(ctx)
    found = await current(ctx.session, ctx.space, ctx.now)
    if found.state != found.stored:
        await ctx.session.web.set_state(ctx.space.id, found.state)
    return found


def state_text(loc: Localizer, state: SpaceState, now: datetime) -> Markup:
    """`The space has been open since 09:00.` (with the day when it was not today)."""
    if not state.changed_by and not state.is_open:
        return loc.t("state.closed_never")
    return when_text(loc, "state.open" if state.is_open else "state.closed", state.changed_at, now)


# -- commands and the job ---------------------------------------------------------------------


@router.command("open", local={"it": "apri"}, role=Role.MEMBER, where=Where.ANY)
async def open_(ctx: MemberContext) -> None:
    found = await sync(ctx)
    if found.state.is_open:
        await ctx.reply(state_text(ctx.loc, found.state, ctx.now))
        return
    await ctx.session.web.set_state(ctx.space.id, SpaceState(True, ctx.now, OPENED, ctx.member.id))
    await ctx.say("open.done", close=ctx.command("close"))
    await announce(ctx, "open")


@router.command("close", local={"it": "chiudi"}, role=Role.MEMBER, where=Where.ANY)
async def close(ctx: MemberContext) -> None:
    found = await sync(ctx)
    if not found.state.is_open:
        await ctx.reply(state_text(ctx.loc, found.state, ctx.now))
        return
    await ctx.session.web.set_state(ctx.space.id, SpaceState(False, ctx.now, CLOSED, ctx.member.id))
    lines = [ctx.t("close.done")]
    if found.inside:
        lines.append(ctx.t("close.still_in", count=len(found.inside)))
    await ctx.reply(join(lines, " "))
    await announce(ctx, "close")


async def announce(ctx: MemberContext, what: str) -> None:
    """Tell the space's other chats who opened or closed it; a hidden member unnamed."""
    if is_hidden(ctx.member):
        key, name = f"announce.{what}_unnamed", ""
    else:
        key, name = f"announce.{what}", defuse_mentions(ctx.member.display_name)
    await ctx.post(lambda loc: loc.t(key, name=name), exclude=ctx.msg.chat)
