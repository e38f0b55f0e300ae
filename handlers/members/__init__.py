"""Membership: spaces are set up, people join (openly or with approval), admins manage roles
and settings, and everyone picks their language.

Spaces also come from `[[spaces]]` in the config (`config`, run when the bot starts).
`commands` holds the commands, `arguments` how a member is named in a command (other
capabilities use it too), `settings` the space's settings as `set` reads and `settings`
shows them; the messages are in locales/.
"""

from __future__ import annotations

from bot.registry import Router
from handlers.members.arguments import MAX_NAME, MemberArg, MemberName, clean_name, clean_text

router = Router("members")

# The modules below declare their commands and hooks on `router`.
from handlers.members import commands, config  # noqa: E402

__all__ = [
    "MAX_NAME",
    "MemberArg",
    "MemberName",
    "clean_name",
    "clean_text",
    "commands",
    "config",
    "router",
]
