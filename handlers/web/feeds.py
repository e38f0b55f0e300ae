"""Calendars (iCalendar, RFC 5545) to subscribe to in any calendar app.

- `/spaces/<slug>/calendar.ics`, public: the opening hours (weekly recurring events) and
  the days people said they are coming (`/going`), as counts, never names.
- A member's private feed (`/calendar`, a secret address, revocable with `/calendar off`
  or replaced with `/calendar new`): the same, with the names of visible members on
  planned days (hidden ones counted), and the member's own cost due dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web
from icalendar import Calendar, Event

from bot.context import MemberContext, Runtime
from bot.hours import DAYS, parse_hours
from bot.i18n import Localizer, Markup
from bot.registry import Role, Where
from handlers.presence.commands import PLAN_DAYS_AHEAD, named_list
from handlers.web.base import (
    new_token,
    reply_secret,
    require_web,
    router,
    slug_of,
    space_by_slug,
    space_url,
    token_hash,
)
from storage import Session
from storage.members import Member, MemberStatus
from storage.spaces import Space

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
COST_HORIZON = timedelta(days=366)
HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}


# -- the feeds -------------------------------------------------------------------------------


def _uid(rt: Runtime, kind: str) -> str:
    host = urlsplit(rt.public_url).hostname or "coworkbot"
    return f"{kind}@{host}"


def _event(uid: str, summary: str, start: date | datetime, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtstamp", stamp)
    event.add("transp", "TRANSPARENT")
    return event


def hours_events(rt: Runtime, space: Space, loc: Localizer, stamp: datetime) -> list[Event]:
    """One weekly recurring event per group of the opening hours, from the space's first day."""
    assert space.slug is not None
    anchor = space.created_at.astimezone(space.tz).date()
    events = []
    for i, hours in enumerate(parse_hours(space.opening_hours)):
        first = next(
            anchor + timedelta(days=n) for n in range(7) if (anchor.weekday() + n) % 7 in hours.days
        )
        event = _event(
            _uid(rt, f"hours-{i}-{space.slug}"),
            str(loc.t("calendar.open", space=space.name)),
            datetime.combine(first, hours.start, tzinfo=space.tz),
            stamp,
        )
        event.add("dtend", datetime.combine(first, hours.end, tzinfo=space.tz))
        event.add("rrule", {"freq": "weekly", "byday": [ICAL_DAYS[d] for d in hours.days]})
        event.add("comment", " ".join(DAYS[d] for d in hours.days))
        events.append(event)
    return events


async def going_events(
    rt: Runtime,
    session: Session,
    space: Space,
    loc: Localizer,
    today: date,
    stamp: datetime,
    *,
    names: bool,
) -> list[Event]:
    """An all-day event on each day people said they are coming: a count, or names too."""
    assert space.slug is not None
    last = today + timedelta(days=PLAN_DAYS_AHEAD)
    events = []
    if not names:
        for day, count in sorted(
            (await session.presence.planned_counts(space.id, today, last)).items()
        ):
            summary = loc.t("calendar.going", count=count)
            events.append(_event(_uid(rt, f"going-{day}-{space.slug}"), str(summary), day, stamp))
        return events
    members = {m.id: m for m in await session.members.of_space(space.id, MemberStatus.ACTIVE)}
    by_day: dict[date, list[Member]] = {}
    for plan in await session.presence.planned_between(space.id, today, last):
        if plan.member_id in members:
            by_day.setdefault(plan.local_date, []).append(members[plan.member_id])
    for day, people in sorted(by_day.items()):
        event = _event(
            _uid(rt, f"going-{day}-{space.slug}"),
            str(loc.t("calendar.going", count=len(people))),
            day,
            stamp,
        )
        event.add(
            "description",
            str(loc.t("calendar.going_names", count=len(people), names=named_list(loc, people))),
        )
        events.append(event)
    return events


async def due_events(
    rt: Runtime,
    session: Session,
    space: Space,
    member: Member,
    loc: Localizer,
    today: date,
    stamp: datetime,
) -> list[Event]:
    """The member's own shares still to pay, and the next due date of each cost."""
    events = []
    for line in await session.costs.shares(space.id, member_id=member.id, unsettled=True):
        if line.to_pay <= 0:
            continue
        charge = line.charge
        summary = loc.t(
            "calendar.share", cost=charge.name, amount=loc.fmt.money(line.to_pay, charge.currency)
        )
        uid = _uid(rt, f"share-{charge.id}-{member.id}")
        events.append(_event(uid, str(summary), charge.due_on, stamp))
    for cost in await session.costs.active(space.id):
        if cost.next_due is None or cost.next_due > today + COST_HORIZON:
            continue
        summary = loc.t("calendar.cost_due", cost=cost.name)
        uid = _uid(rt, f"cost-{cost.id}-{cost.next_due}")
        events.append(_event(uid, str(summary), cost.next_due, stamp))
    return events


def calendar(space: Space, loc: Localizer, events: Sequence[Event], today: date) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//coworkbot//coworkbot//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", str(loc.t("calendar.name", space=space.name)))
    cal.add("x-wr-timezone", space.timezone)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for event in events:
        cal.add_component(event)
    first = min(space.created_at.astimezone(space.tz).date(), today) - timedelta(days=366)
    cal.add_missing_timezones(first_date=first, last_date=today + timedelta(days=3 * 366))
    return bytes(cal.to_ical())


def ics_response(body: bytes, slug: str) -> web.Response:
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={**HEADERS, "Content-Disposition": f'inline; filename="{slug}.ics"'},
    )


def _space_loc(rt: Runtime, session: Session, space: Space) -> Localizer:
    return rt.context(session, space).loc


@router.route("GET", "/spaces/{slug}/calendar.ics", fresh="data")
async def public_calendar(rt: Runtime, request: web.Request) -> web.Response:
    now = rt.clock.now()
    async with rt.store.transaction() as session:
        space = await space_by_slug(session, request.match_info["slug"])
        loc = _space_loc(rt, session, space)
        today = now.astimezone(space.tz).date()
        stamp = now.replace(microsecond=0)
        events = hours_events(rt, space, loc, stamp)
        events += await going_events(rt, session, space, loc, today, stamp, names=False)
    assert space.slug is not None
    return ics_response(calendar(space, loc, events, today), space.slug)


@router.route("GET", "/spaces/{slug}/calendar/{token}.ics", fresh="data")
async def member_calendar(rt: Runtime, request: web.Request) -> web.Response:
    now = rt.clock.now()
    async with rt.store.transaction() as session:
        space = await space_by_slug(session, request.match_info["slug"])
        feed = await session.web.feed(token_hash(request.match_info["token"]))
        member = await session.members.get(feed.member_id) if feed else None
        if feed is None or feed.space_id != space.id or member is None or not member.is_active:
            raise web.HTTPNotFound(text="No such calendar.\n")
        loc = rt.space_context(session, space).loc_for(member)
        today = now.astimezone(space.tz).date()
        stamp = now.replace(microsecond=0)
        events = hours_events(rt, space, loc, stamp)
        events += await going_events(rt, session, space, loc, today, stamp, names=True)
        events += await due_events(rt, session, space, member, loc, today, stamp)
    assert space.slug is not None
    return ics_response(calendar(space, loc, events, today), space.slug)


# -- the command -----------------------------------------------------------------------------


@router.command("calendar", local={"it": "calendario"}, role=Role.MEMBER, where=Where.PRIVATE)
async def calendar_(ctx: MemberContext, action: Literal["new", "off"] | None = None) -> None:
    require_web(ctx)
    commands = {
        "new": f"{ctx.command('calendar')} {ctx.rt.translator.word(ctx.lang, 'word.new')}",
        "off": f"{ctx.command('calendar')} {ctx.rt.translator.word(ctx.lang, 'word.off')}",
        "calendar": ctx.command("calendar"),
    }
    if action == "off":
        dropped = await ctx.session.web.drop_feed(ctx.member.id)
        await ctx.say("calendar.off" if dropped else "calendar.none", **commands)
        return
    existing = await ctx.session.web.feed_of(ctx.member.id)
    if existing is not None and action is None:
        day = ctx.fmt.day(ctx.fmt.local(existing.created_at).date())
        await ctx.say("calendar.exists", day=day, **commands)
        return
    token = new_token()
    await ctx.session.web.set_feed(ctx.member.id, ctx.space.id, token_hash(token), ctx.now)
    slug = await slug_of(ctx.session, ctx.space)
    text = ctx.t("calendar.feed", url=space_url(ctx.rt, slug, f"calendar/{token}.ics"), **commands)
    public = ctx.t("calendar.public", url=space_url(ctx.rt, slug, "calendar.ics"))
    await reply_secret(ctx, Markup(f"{text}\n{public}"))
