"""SpaceAPI v15 (https://spaceapi.io): whether the space is open, for apps, websites and
Home Assistant's `spaceapi` integration.

Only members who chose `/privacy public` are named (in `people_now_present` and as the
person who last changed the state); everyone else present is only counted.
"""

from __future__ import annotations

import html
import json
from typing import Any

from aiohttp import web

from bot.context import Runtime
from bot.i18n import Localizer
from handlers.web.base import Details, router, space_by_slug, space_url
from handlers.web.state import Now, current
from storage import Session
from storage.members import Member
from storage.spaces import Space

PUBLIC = "public"

HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}


def public_names(now: Now, members: dict[int, Member]) -> list[str]:
    """The names of the people in who chose to be public, in order of arrival."""
    names = []
    for visit in now.inside:
        member = members.get(visit.member_id)
        if member is not None and member.visibility == PUBLIC:
            names.append(member.display_name)
    return names


def document(
    rt: Runtime, space: Space, loc: Localizer, now: Now, members: dict[int, Member]
) -> dict[str, Any]:
    """The SpaceAPI v15 document of a space (valid against the official schema), its
    words in the space's language."""
    assert space.slug is not None
    details = Details.of(space)
    page = space_url(rt, space.slug)
    location: dict[str, Any] = {"timezone": space.timezone}
    if details.address:
        location["address"] = details.address
    if details.lat is not None and details.lon is not None:
        location["lat"], location["lon"] = details.lat, details.lon
    state: dict[str, Any] = {
        "open": now.state.is_open,
        "lastchange": int(now.state.changed_at.timestamp()),
    }
    changer = members.get(now.state.member_id) if now.state.member_id else None
    if changer is not None and changer.visibility == PUBLIC:
        state["trigger_person"] = changer.display_name
    present: dict[str, Any] = {"value": len(now.inside)}
    names = public_names(now, members)
    if names:
        present["names"] = names
    return {
        "api_compatibility": ["15"],
        "space": space.name,
        "logo": details.logo or space_url(rt, space.slug, "logo.svg"),
        "url": details.website or page,
        "location": location,
        "contact": details.contact,
        "state": state,
        "sensors": {"people_now_present": [present]},
        "feeds": {"calendar": {"type": "ical", "url": space_url(rt, space.slug, "calendar.ics")}},
        "links": [{"name": str(loc.t("spaceapi.status_link")), "url": page}],
    }


async def members_by_id(session: Session, space: Space) -> dict[int, Member]:
    return {m.id: m for m in await session.members.of_space(space.id)}


@router.route("GET", "/spaces/{slug}/spaceapi.json", fresh="data")
async def spaceapi(rt: Runtime, request: web.Request) -> web.Response:
    async with rt.store.transaction() as session:
        space = await space_by_slug(session, request.match_info["slug"])
        now = await current(session, space, rt.clock.now())
        members = await members_by_id(session, space)
        loc = rt.context(session, space).loc
    body = json.dumps(document(rt, space, loc, now, members), ensure_ascii=False)
    return web.Response(
        body=body.encode("utf-8"),
        content_type="application/json",
        charset="utf-8",
        headers=HEADERS,
    )


@router.route("GET", "/spaces/{slug}/logo.svg", fresh="data")
async def logo(rt: Runtime, request: web.Request) -> web.Response:
    """A plain logo (the space's initial in a circle) for spaces whose config has none."""
    async with rt.store.transaction() as session:
        space = await space_by_slug(session, request.match_info["slug"])
    initial = next((c for c in space.name if c.isalnum()), "?").upper()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        '<circle cx="32" cy="32" r="30" fill="#2b6cb0"/>'
        '<text x="32" y="43" font-family="sans-serif" font-size="30" text-anchor="middle"'
        f' fill="#fff">{html.escape(initial)}</text></svg>'
    )
    return web.Response(text=svg, content_type="image/svg+xml", headers=HEADERS)
