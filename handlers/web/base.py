"""What the parts of the web capability share: its Router, spaces by slug, secrets, URLs."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.config import valid_slug
from bot.context import CommandContext, Context, Refusal, Runtime
from bot.i18n import Localizer, Markup
from bot.registry import Router
from storage import Session
from storage.spaces import Space

router = Router("web")

SLUG_MAX = 40
TOKEN_BYTES = 32


@dataclass(frozen=True)
class Details:
    """A space's SpaceAPI details from the config (`[[spaces]]` website, logo, …)."""

    website: str = ""
    logo: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    contact: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, space: Space) -> Details:
        raw: dict[str, Any] = json.loads(space.web_json or "{}")
        return cls(
            website=str(raw.get("website", "")),
            logo=str(raw.get("logo", "")),
            address=str(raw.get("address", "")),
            lat=raw.get("lat"),
            lon=raw.get("lon"),
            contact={str(k): str(v) for k, v in raw.get("contact", {}).items()},
        )


# -- slugs ---------------------------------------------------------------------------------


def slugify(name: str) -> str:
    """`Coworking Veglio` → `coworking-veglio`: ASCII letters and digits joined by dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "space"


async def assign_slugs(session: Session) -> None:
    """Give every space without a slug one made from its name (`-2`, `-3` when taken).

    Once given, a slug stays when the space is renamed: scripts and calendars keep
    working. Spaces from the config with `slug` have theirs already.
    """
    spaces = await session.spaces.all()
    taken = {space.slug for space in spaces if space.slug}
    for space in spaces:
        if space.slug:
            continue
        base = slugify(space.name)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base[: SLUG_MAX - len(str(n)) - 1]}-{n}"
        taken.add(candidate)
        await session.spaces.update(space.id, slug=candidate)


async def slug_of(session: Session, space: Space) -> str:
    if space.slug:
        return space.slug
    await assign_slugs(session)
    fresh = await session.spaces.get(space.id)
    assert fresh is not None and fresh.slug
    return fresh.slug


async def space_by_slug(session: Session, slug: str) -> Space:
    """The space a URL names, or 404 (a space made in chat gets its slug on first need)."""
    if not valid_slug(slug):  # the shape every slug has, from the config or slugify
        raise web.HTTPNotFound(text="No such space.\n")
    space = await session.spaces.by_slug(slug)
    if space is None and None in (await session.spaces.slugs()).values():
        await assign_slugs(session)
        space = await session.spaces.by_slug(slug)
    if space is None:
        raise web.HTTPNotFound(text="No such space.\n")
    return space


def day_and_time(loc: Localizer, moment: datetime) -> tuple[str, str]:
    """A moment as its local day and time, for messages that show both."""
    return loc.fmt.day(loc.fmt.local(moment).date()), loc.fmt.time(moment)


def when_text(loc: Localizer, key: str, moment: datetime, now: datetime) -> Markup:
    """Message `key` with the moment's time, or `key_day` with its day too when it is not
    today."""
    day, time = day_and_time(loc, moment)
    if day == day_and_time(loc, now)[0]:
        return loc.t(key, time=time)
    return loc.t(f"{key}_day", day=day, time=time)


def space_url(rt: Runtime, slug: str, path: str = "") -> str:
    return f"{rt.public_url}/spaces/{slug}/{path}"


def require_web(ctx: Context) -> None:
    """Refuse, saying why, when the web server is not configured."""
    if not ctx.rt.public_url:
        raise Refusal("web.off")


# -- secrets -------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Compare in constant time: how long it takes says nothing about the stored token."""
    return hmac.compare_digest(token_hash(token), stored_hash)


async def reply_secret(ctx: CommandContext, text: Markup) -> None:
    """A private reply holding a secret: its outbox row is blanked once delivered, so the
    database keeps only the secret's hash."""
    row = await ctx.reply(text)
    await ctx.session.privacy.wipe_after_delivery([row], ctx.now)
