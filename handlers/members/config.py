"""Spaces from the config file's `[[spaces]]`, applied when the bot starts.

A space is matched by name; values changed in the file since the last start are applied,
values changed in chat with `set` are kept otherwise, so neither side silently undoes
the other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime

from bot.config import Config, SpaceSection
from bot.context import Runtime
from handlers.members import router
from storage import Session
from storage.members import MemberRole, MembersRepo, MemberStatus
from storage.spaces import Space

log = logging.getLogger(__name__)


@router.on_startup
async def sync_config_spaces(rt: Runtime, config: Config) -> None:
    await apply_config_spaces(rt, config.spaces)


async def apply_config_spaces(rt: Runtime, sections: Sequence[SpaceSection]) -> None:
    """Create or update the `[[spaces]]` of the config, bind their chats, make their admins."""
    for section in sections:

        async def apply(session: Session, section: SpaceSection = section) -> None:
            now = rt.clock.now()
            settings = section.settings()
            space = await session.spaces.by_name(section.name)
            if space is None:
                space = await session.spaces.create(section.name, now, **settings)
                log.info("space %r created from config", section.name)
            else:
                applied = json.loads(space.config_json or "{}")
                changed = {k: v for k, v in settings.items() if k not in applied or applied[k] != v}
                if changed:
                    log.info("space %r: applying config changes %s", section.name, sorted(changed))
                    await session.spaces.update(space.id, **changed)
            await session.spaces.update(space.id, config_json=json.dumps(settings, sort_keys=True))
            for platform, chat_id in section.chats.items():
                owner = await session.spaces.by_chat(platform, chat_id)
                if owner is not None and owner.id != space.id:
                    log.error(
                        "config: %s chat %s belongs to space %r, not %r; left as it is",
                        platform,
                        chat_id,
                        owner.name,
                        section.name,
                    )
                    continue
                await session.spaces.bind_chat(space.id, platform, chat_id)
            for identity in section.admins:
                await _ensure_admin(session.members, space, identity, now)

        # One transaction per space; run again if another replica applied it beside us.
        await rt.store.run(apply)


async def _ensure_admin(members: MembersRepo, space: Space, identity: str, now: datetime) -> None:
    member = await members.by_identity(space.id, identity)
    if member is None:
        name = identity.partition(":")[2].lstrip("@").split(":")[0] or identity
        await members.create(
            space.id, identity, name, now, role=MemberRole.ADMIN, status=MemberStatus.ACTIVE
        )
        return
    if member.status is not MemberStatus.ACTIVE:
        await members.set_status(member.id, MemberStatus.ACTIVE, now)
    if member.role is not MemberRole.ADMIN:
        await members.set_role(member.id, MemberRole.ADMIN)
