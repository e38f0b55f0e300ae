"""Invitation links: a space's admins share a link, whoever opens it is offered to join.

On Telegram the link is a deep link, `https://t.me/<bot>?start=<payload>`: opening it
sends `/start <payload>` to the bot privately
(https://core.telegram.org/bots/features#deep-linking). The payload names the space
and carries a code only this bot can make (an HMAC over the space's id with a secret
kept in the database), so nobody can join a space whose link they were not given:
`7-k3x9ab2cq4`. It fits the 64 characters `[A-Za-z0-9_-]` a payload may have.
On Matrix and in the console people send `!start <payload>` themselves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from bot.context import CommandContext, Context, MemberContext
from bot.events import Platform
from bot.i18n import Markup
from bot.registry import Role, Router
from storage.members import MemberStatus
from storage.spaces import Space

SECRET_KEY = "invite.secret"  # noqa: S105 (the kv key it is kept under)
_PAYLOAD = re.compile(r"(?P<space>\d{1,12})-(?P<code>[a-z2-7]{10})")


router = Router("invites")


async def _secret(ctx: Context) -> bytes:
    secret = await ctx.session.kv.get(SECRET_KEY)
    if secret is None:
        secret = secrets.token_hex(16)
        await ctx.session.kv.set(SECRET_KEY, secret)
    return secret.encode()


def _code(secret: bytes, space_id: int) -> str:
    digest = hmac.new(secret, f"invite:{space_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()[:10]


async def payload_of(ctx: Context, space: Space) -> str:
    return f"{space.id}-{_code(await _secret(ctx), space.id)}"


async def invited_space(ctx: Context, payload: str) -> Space | None:
    """The space a payload invites to, if this bot made it; None otherwise."""
    found = _PAYLOAD.fullmatch(payload.strip())
    if found is None:
        return None
    space_id = int(found["space"])
    if not hmac.compare_digest(found["code"], _code(await _secret(ctx), space_id)):
        return None
    return await ctx.session.spaces.get(space_id)


@router.command("invite", local={"it": "invita", "de": "einladen"}, role=Role.ADMIN)
async def invite(ctx: MemberContext) -> None:
    payload = await payload_of(ctx, ctx.space)
    bot = ctx.rt.bot_names.get(Platform.TELEGRAM, "")
    if ctx.msg.chat.platform == Platform.TELEGRAM and bot:
        link = f"https://t.me/{bot}?start={payload}"
        await ctx.say("invite.link", space=ctx.space.name, link=link)
        return
    command = Markup(f"<code>{ctx.prefix}start {payload}</code>")
    await ctx.say("invite.command", space=ctx.space.name, command=command)


async def offer(ctx: CommandContext, payload: str) -> bool:
    """`start <payload>`: offer to join the space it invites to; False if it is no invite.

    A member of that space is only switched to it (their private commands mean it now).
    """
    space = await invited_space(ctx, payload)
    if space is None:
        await ctx.say("invite.bad")
        return False
    identity = ctx.msg.sender.identity
    member = await ctx.session.members.by_identity(space.id, identity)
    if member is not None and member.status is not MemberStatus.LEFT:
        await ctx.session.members.touch(member, identity, "", member.username, ctx.now)
        ctx.space, ctx.member = space, member
        return True  # `start` greets them as the member they are
    ctx.space = space
    await ctx.reply(
        ctx.t("invite.offer", space=space.name, join=f"{ctx.prefix}join {payload}"),
        buttons=[("button.join", f"join {payload}")],
    )
    return False
