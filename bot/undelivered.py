"""Telling a space's admins, once, that someone cannot be reached.

The outbox marks a row failed when the platform refuses it for good (on Telegram: 403,
the person blocked the bot or never opened a private chat with it; or the bot was
removed from the group). Nobody would notice a member silently missing their reminders,
so the admins are told — once per person or per group chat, remembered in `kv` in the
same transaction as the notice, so neither a retry nor a restart repeats it.

Nothing here is Telegram's own: it serves any platform whose sends can fail for good.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.context import Letter, Runtime
from bot.i18n import Localizer, Markup
from bot.transports.base import DeliveryError
from storage import Session
from storage.db import to_db
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)


def notice_key(row: OutboxRow) -> str | None:
    """The `kv` key that remembers the notice about this row's recipient; None: nobody to tell."""
    if row.space_id is None:
        return None
    if row.member_id is not None:
        return f"undelivered:member:{row.member_id}"
    if not row.private:
        return f"undelivered:chat:{row.platform}:{row.chat_id}"
    return None


class UndeliveredNotice:
    """The outbox's `on_failed` hook."""

    def __init__(self, rt: Runtime, wake: Callable[[], None]) -> None:
        self.rt = rt
        self.wake = wake

    async def __call__(self, row: OutboxRow, err: DeliveryError) -> None:
        key = notice_key(row)
        space_id = row.space_id
        if key is None or space_id is None:
            return

        async def notice(session: Session) -> int | None:
            """How many admins were told; None if nobody is to be (told already)."""
            if await session.kv.get(key) is not None:
                return None
            space = await session.spaces.get(space_id)
            if space is None:
                return None
            ctx = self.rt.context(session, space)
            if row.member_id is not None:
                member = await session.members.get(row.member_id)
                if member is None:
                    return None
                name = member.display_name

                def render(loc: Localizer) -> Markup:
                    return loc.t("undelivered.member", name=name)
            else:
                space_name = space.name

                def render(loc: Localizer) -> Markup:
                    return loc.t("undelivered.group", space=space_name)

            await session.kv.set(key, to_db(self.rt.clock.now()))
            admins = await session.members.admins(space.id)
            # No use telling the one we cannot reach.
            letters = [Letter(a, render) for a in admins if a.id != row.member_id]
            return len(await ctx.send_private(letters))

        told = await self.rt.store.run(notice)
        if told is None:
            return
        log.info("told %d admin(s) of space %d that %s failed: %s", told, space_id, key, err.reason)
        self.wake()
