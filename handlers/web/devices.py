"""Automatic presence: a member's phone or laptop on the space's Wi-Fi checks them in.

A router script or Home Assistant posts to `/spaces/<slug>/presence` with the space's
bearer token (`/presence token`): `{"device": "<id>", "present": true}`, or a list of
them. Members opt in by registering their own devices (`/device add`).

- A device **arrives** when it is reported present while its member has no device
  around (every device absent for `away_after`, or never seen): that checks the member
  in, announced in the group like a manual check-in unless they are hidden.
- A report of present for a device already around only says it is still there.
- A device reported absent stays around for `away_after`; when all of a member's devices
  have been away that long, the visit is closed at the time one was last seen.
- So a burst of present/absent makes at most one visit, and a manual check-out (or the
  closing time) wins until the device has left and come back.

The hook answers the same for known and unknown devices, so nobody learns which ids
exist; it is limited per minute and refuses bodies over 64 KB (bot/web.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Annotated, Any, Literal

from aiohttp import web

from bot.arguments import Rest
from bot.context import MemberContext, Runtime, SpaceContext
from bot.i18n import Markup, join
from bot.registry import Role, Where
from handlers.members import clean_text
from handlers.mentions import defuse_mentions
from handlers.presence.closing import settle
from handlers.presence.commands import is_hidden
from handlers.web.base import (
    day_and_time,
    new_token,
    reply_secret,
    require_web,
    router,
    slug_of,
    space_by_slug,
    space_url,
    token_hash,
    token_matches,
)
from handlers.web.state import sync
from storage.members import Member, MemberStatus
from storage.presence import ClosedBy, Closing
from storage.web import Device

MAX_DEVICE = 64
MAX_LABEL = 32
MAX_DEVICES = 10
MAX_REPORTS = 500
SHAPE = 'expected {"device": "<id>", "present": true|false} or a list of them'


# -- device ids ------------------------------------------------------------------------------

_MAC_CHARS = re.compile(r"^[0-9a-f:.\-]+$")
_DEVICE = re.compile(r"^[a-z0-9][a-z0-9._:@/+\-]*$")


def device_id(text: str) -> str | None:
    """The stored form of a device id, or None if it is not one.

    MAC addresses in any common spelling (`3C-22-FB-12-34-56`, `3c22.fb12.3456`) become
    `3c:22:fb:12:34:56`, so the router and the member may write it differently.
    """
    word = text.strip().lower()
    if not word or len(word) > MAX_DEVICE:
        return None
    hexes = re.sub(r"[:.\-]", "", word)
    if _MAC_CHARS.match(word) and len(hexes) == 12 and all(c in "0123456789abcdef" for c in hexes):
        return ":".join(hexes[i : i + 2] for i in range(0, 12, 2))
    return word if _DEVICE.match(word) else None


# -- what the hook receives -------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    device: str
    present: bool


def parse_reports(body: bytes) -> list[Report]:
    """The reports in a request body; ValueError saying what is wrong."""
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("the body is not JSON") from exc
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_REPORTS:
        raise ValueError(f"from 1 to {MAX_REPORTS} reports")
    reports = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(SHAPE)
        raw, present = item.get("device"), item.get("present")
        if not isinstance(raw, str) or not isinstance(present, bool):
            raise ValueError(SHAPE)
        device = device_id(raw)
        if device is None:
            raise ValueError("a device id is 1 to 64 letters, digits and . _ : @ / + -")
        reports.append(Report(device, present))
    return reports


def bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _refuse(status: type[web.HTTPError], message: str) -> web.HTTPError:
    headers = (
        {"WWW-Authenticate": 'Bearer realm="coworkbot"'} if status is web.HTTPUnauthorized else None
    )
    return status(
        text=json.dumps({"error": message}), content_type="application/json", headers=headers
    )


@router.route("POST", "/spaces/{slug}/presence", limited=True)
async def presence_hook(rt: Runtime, request: web.Request) -> web.Response:
    token = bearer(request)
    body = await request.read()
    async with rt.store.transaction() as session:
        space = await space_by_slug(session, request.match_info["slug"])
        stored = await session.web.token(space.id)
        # Hash and compare even without a stored token, so both cases take the same time.
        if token is None or not token_matches(token, stored[0] if stored else "") or not stored:
            raise _refuse(web.HTTPUnauthorized, "a valid bearer token is needed")
        try:
            reports = parse_reports(body)
        except ValueError as exc:
            raise _refuse(web.HTTPBadRequest, str(exc)) from exc
        await apply_reports(rt.space_context(session, space), reports)
    return web.json_response({"ok": True, "received": len(reports)})


# -- arrivals and departures ---------------------------------------------------------------------


def around(devices: list[Device], ctx: SpaceContext, away: timedelta) -> bool:
    """Is any of these devices at the space, or was one seen less than `away` ago?"""
    return any(
        d.present or (d.last_seen_at is not None and d.last_seen_at > ctx.now - away)
        for d in devices
    )


def away_after(ctx: SpaceContext) -> timedelta:
    return timedelta(minutes=ctx.space.away_after_minutes)


async def apply_reports(ctx: SpaceContext, reports: list[Report]) -> None:
    """Record each report in order; an arrival checks its member in.

    Only the reported devices' members are read: a report costs the same in a space of
    ten members or of a thousand. Their departures that are due happen first, so an
    arrival after a long absence is a new visit, not the old one going on.
    """
    await settle(ctx)
    named = await ctx.session.web.devices_in(
        ctx.space.id, devices=sorted({r.device for r in reports})
    )
    owners = await ctx.session.members.many({d.member_id for d in named})
    members = {i: m for i, m in owners.items() if m.status is MemberStatus.ACTIVE}
    if not members:
        return  # only unknown devices, or no active member's: nothing, and nobody is told
    theirs = await ctx.session.web.devices_in(ctx.space.id, members=members)
    await depart(ctx, theirs)
    devices = {d.device: d for d in theirs}
    away = away_after(ctx)
    for report in reports:
        device = devices.get(report.device)
        if device is None:
            continue
        mine = [d for d in devices.values() if d.member_id == device.member_id]
        was_around = around(mine, ctx, away)
        if report.present:
            updated = replace(device, present=True, last_seen_at=ctx.now)
        elif device.present:
            updated = replace(device, present=False, last_seen_at=ctx.now)
        else:
            continue
        devices[report.device] = updated
        await ctx.session.web.mark_device(device.id, updated.present, updated.last_seen_at)
        if report.present and not was_around:
            await arrive(ctx, members[device.member_id])


async def arrive(ctx: SpaceContext, member: Member) -> None:
    """Check a member in because their device arrived (unless they are in already)."""
    if await ctx.session.presence.open_visit(member.id) is not None:
        return
    await ctx.session.presence.check_in(ctx.space.id, member.id, ctx.today, ctx.now, "")
    if not is_hidden(member):
        name = defuse_mentions(member.display_name)
        await ctx.post(lambda loc: loc.t("presence.announce", name=name))


async def depart(ctx: SpaceContext, devices: list[Device] | None = None) -> None:
    """Close the visit of each member (of these devices, or every device's) whose
    devices have all been away for `away_after`, at the time one was last seen (a visit
    begun after that, by hand, stays open)."""
    away = away_after(ctx)
    by_member: dict[int, list[Device]] = {}
    if devices is None:
        devices = await ctx.session.web.devices_in(ctx.space.id)
    for device in devices:
        by_member.setdefault(device.member_id, []).append(device)
    if not by_member:
        return
    closings = []
    for visit in await ctx.session.presence.open_visits(ctx.space.id):  # who is in
        if visit.member_id not in by_member:
            continue
        mine = by_member[visit.member_id]
        seen = [d.last_seen_at for d in mine if d.last_seen_at is not None]
        if not seen or around(mine, ctx, away):
            continue
        if visit.checkin_at <= max(seen):
            closings.append(Closing(visit.id, max(seen), ClosedBy.DEVICE))
    if closings:
        await ctx.session.presence.close(closings)


@router.job("web.presence", every=timedelta(minutes=1))
async def presence_job(rt: Runtime) -> None:
    """Every space: devices away long enough check their members out; open/closed replays."""

    async def work(ctx: SpaceContext) -> None:
        await depart(ctx)
        await sync(ctx)

    await rt.each_space(work)


# -- the member's devices --------------------------------------------------------------------


@router.command("device add", role=Role.MEMBER, where=Where.PRIVATE)
async def device_add(
    ctx: MemberContext, device: str, label: Annotated[str, Rest(MAX_LABEL)] = ""
) -> None:
    found = device_id(device)
    if found is None:
        await ctx.say("device.bad_id", value=device[:MAX_DEVICE])
        return
    mine = await ctx.session.web.devices_of(ctx.member.id)
    if any(d.device == found for d in mine):
        await ctx.say("device.already_yours", device=found)
        return
    if len(mine) >= MAX_DEVICES:
        await ctx.say("device.too_many", limit=MAX_DEVICES)
        return
    clean = clean_text(label, MAX_LABEL)
    if not await ctx.session.web.add_device(ctx.space.id, ctx.member.id, found, clean, ctx.now):
        await ctx.say("device.taken", device=found)
        return
    await ctx.say("device.added", device=found, minutes=ctx.space.away_after_minutes)


@router.command("device list", role=Role.MEMBER, where=Where.PRIVATE)
async def device_list(ctx: MemberContext) -> None:
    devices = await ctx.session.web.devices_of(ctx.member.id)
    if not devices:
        await ctx.say("device.none", add=f"{ctx.prefix}device add")
        return
    lines = [ctx.t("device.title")]
    for d in devices:
        if d.present:
            seen = ctx.t("device.here")
        elif d.last_seen_at is not None:
            seen = ctx.t("device.seen", when=" ".join(day_and_time(ctx.loc, d.last_seen_at)))
        else:
            seen = ctx.t("device.never")
        label = f" ({d.label})" if d.label else ""
        lines.append(ctx.t("device.line", device=d.device, label=label, seen=seen))
    await ctx.reply(join(lines))


@router.command("device remove", role=Role.MEMBER, where=Where.PRIVATE)
async def device_remove(ctx: MemberContext, device: str) -> None:
    found = device_id(device) or device.strip().lower()[:MAX_DEVICE]
    if await ctx.session.web.remove_device(ctx.member.id, found):
        await ctx.say("device.removed", device=found)
    else:
        await ctx.say("device.not_yours", device=found, list=f"{ctx.prefix}device list")


# -- the space's token -------------------------------------------------------------------------


@router.command("presence token", role=Role.ADMIN, where=Where.PRIVATE)
async def presence_token(ctx: MemberContext, new: Literal["new"] | None = None) -> None:
    require_web(ctx)
    existing = await ctx.session.web.token(ctx.space.id)
    if existing is not None and new is None:
        day = ctx.fmt.day(ctx.fmt.local(existing[1]).date())
        again = ctx.rt.translator.word(ctx.lang, "word.new")  # `nuovo` in Italian
        await ctx.say("token.exists", day=day, new=f"{ctx.prefix}presence token {again}")
        return
    token = new_token()
    await ctx.session.web.set_token(ctx.space.id, token_hash(token), ctx.now)
    slug = await slug_of(ctx.session, ctx.space)
    lines = [
        ctx.t(
            "token.new",
            space=ctx.space.name,
            url=space_url(ctx.rt, slug, "presence"),
            token=token,
        )
    ]
    if existing is not None:
        lines.append(ctx.t("token.replaced"))
    await reply_secret(ctx, Markup("\n".join(lines)))
