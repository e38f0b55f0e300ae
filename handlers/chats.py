"""The bot's chats: what happens to them, and who is told.

Transports report what the platforms do to a chat, as events; here they become what
people expect:

- A chat that moved (a Telegram group upgraded to a supergroup, by itself, when a
  setting changed; a Matrix room upgraded to a new room): the space follows it in one
  transaction, what waited for the old chat goes to the new one, and the new chat is
  told once.
- The bot added to a group: one greeting (how to `setup` a new group; "back" in a
  space's group), with what to do if it cannot read the group's messages. Removed from
  a space's group, or blocked by a member: the admins are told once, privately;
  being added back or unblocked clears it, so a second removal is told again.
- The bot cannot read a space's group (Telegram privacy mode, no admin rights): the
  admins are told once, privately, how to fix it.
- `set topic here`: in a forum group, the topic posts go to (General by default).

What is "told once" is remembered in `kv`, with the keys `bot.undelivered` uses for
failed deliveries, so a failed send after a removal does not tell the admins again.
"""

from __future__ import annotations

import logging
from typing import Literal

from bot.context import CommandContext, Context, Letter, MemberContext, message
from bot.events import ChatRef, Kind, Platform
from bot.i18n import Markup
from bot.registry import Role, Router, Where
from bot.undelivered import chat_key, member_key
from storage.db import to_db
from storage.members import MemberStatus

log = logging.getLogger(__name__)


router = Router("chats")


UNTOLD = "no space to tell yet"


def cannot_read_key(platform: str, chat_id: str) -> str:
    """The `kv` key that says the bot cannot read a group (and its admins know)."""
    return f"cannot_read:{platform}:{chat_id}"


async def mark_once(ctx: Context, key: str) -> bool:
    """Remember `key`; True only the first time (until it is cleared)."""
    if await ctx.session.kv.get(key) is not None:
        return False
    await ctx.session.kv.set(key, to_db(ctx.now))
    return True


# -- a chat moved ---------------------------------------------------------------------------


@router.on(Kind.CHAT_MOVED)
async def chat_moved(ctx: CommandContext) -> None:
    """The space follows its chat; what waited for the old chat goes to the new one."""
    platform, old, new = ctx.msg.chat.platform, ctx.msg.chat.chat_id, ctx.msg.moved_to
    space = await ctx.session.spaces.move_chat(platform, old, new, ctx.now)
    waiting = await ctx.session.outbox.redirect(platform, old, new)
    if space is None:
        if ctx.space is not None:
            log.error("%s chat %s moved to %s, which has a space of its own", platform, old, new)
        return
    log.info(
        "%s chat %s of space %d moved to %s (%d waiting)", platform, old, space.id, new, waiting
    )
    ctx.space = space
    loc = ctx.localizer(space.language)
    topic = next(
        (c.topic for c in await ctx.session.spaces.chats(space.id) if c.chat_id == new), ""
    )
    chat = ChatRef(Platform(platform), new, private=False)
    await ctx.send(chat, loc.t("chats.moved", space=space.name), loc, thread_id=topic)


# -- the bot added and removed ------------------------------------------------------------


@router.on(Kind.BOT_ADDED)
async def bot_added(ctx: CommandContext) -> None:
    chat = ctx.msg.chat
    if chat.private:
        # Unblocked: private messages reach this person again.
        for member in await ctx.session.members.memberships(ctx.msg.sender.identity):
            await ctx.session.kv.delete(member_key(member.id))
        return
    await ctx.session.kv.delete(chat_key(chat.platform, chat.chat_id))
    if ctx.space is not None:
        ctx.loc = ctx.localizer(ctx.space.language)
        lines = [ctx.t("chats.back", space=ctx.space.name)]
    else:
        lines = [ctx.t("chats.greeting", setup=f"{ctx.prefix}setup")]
    if await ctx.session.kv.get(cannot_read_key(chat.platform, chat.chat_id)) is not None:
        lines.append(ctx.t("chats.cannot_read_here"))
    await ctx.send(chat, Markup("\n\n".join(lines)), ctx.loc)


@router.on(Kind.BOT_REMOVED)
async def bot_removed(ctx: CommandContext) -> None:
    """Removed from a space's group, or blocked: the admins are told once."""
    chat = ctx.msg.chat
    if chat.private:
        await _blocked(ctx)
        return
    if ctx.space is None or not await mark_once(ctx, chat_key(chat.platform, chat.chat_id)):
        return
    log.warning("removed from %s chat %s of space %d", chat.platform, chat.chat_id, ctx.space.id)
    await ctx.notify_admins(message("chats.removed_admins", space=ctx.space.name))


async def _blocked(ctx: CommandContext) -> None:
    for member in await ctx.session.members.memberships(ctx.msg.sender.identity):
        if member.status is MemberStatus.LEFT or not await mark_once(ctx, member_key(member.id)):
            continue
        space = await ctx.session.spaces.get(member.space_id)
        if space is None:
            continue
        render = message("chats.blocked_admins", name=member.display_name)
        admins = await ctx.session.members.admins(space.id)
        letters = [Letter(admin, render) for admin in admins if admin.id != member.id]
        await ctx.rt.context(ctx.session, space).send_private(letters)


# -- can the bot read the group? ----------------------------------------------------------


@router.on(Kind.CANNOT_READ)
async def cannot_read(ctx: CommandContext) -> None:
    """A group that is no space yet is only marked (its greeting gives the advice); a
    space's admins are told once, also when the space was set up after the mark."""
    chat = ctx.msg.chat
    key = cannot_read_key(chat.platform, chat.chat_id)
    if ctx.space is None:
        if await ctx.session.kv.get(key) is None:
            await ctx.session.kv.set(key, UNTOLD)
        return
    if await ctx.session.kv.get(key) not in (None, UNTOLD):
        return
    await ctx.session.kv.set(key, to_db(ctx.now))
    log.warning("cannot read %s chat %s of space %d", chat.platform, chat.chat_id, ctx.space.id)
    await ctx.notify_admins(message("chats.cannot_read_admins", space=ctx.space.name))


@router.on(Kind.CAN_READ)
async def can_read(ctx: CommandContext) -> None:
    """Fixed: a later loss of the rights is told again."""
    await ctx.session.kv.delete(cannot_read_key(ctx.msg.chat.platform, ctx.msg.chat.chat_id))


# -- the topic of posts -------------------------------------------------------------------


@router.command("set topic", role=Role.ADMIN, where=Where.GROUP)
async def set_topic(ctx: MemberContext, where: Literal["here", "general"]) -> None:
    """Sent inside a topic of a forum group: posts go there (`general`: back to General)."""
    chat = ctx.msg.chat
    if chat.platform != Platform.TELEGRAM or not chat.forum:
        await ctx.say("chats.topic.no_topics")
        return
    topic = ctx.msg.thread_id if where == "here" else ""
    await ctx.session.spaces.set_topic(ctx.space.id, chat.platform, topic)
    await ctx.say("chats.topic.here" if topic else "chats.topic.general")
