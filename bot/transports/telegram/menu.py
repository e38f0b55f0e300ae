"""The command menu Telegram shows when someone types "/", in every language of locales/.

Each language's menu uses the command names of that language (`/entro` in Italian,
English names elsewhere) and the descriptions of its catalog; the default menu, for
people whose Telegram speaks none of them, is the default language's.

Members see the commands anyone or any member may use; a group's administrators see the
admin commands too (Telegram's "all chat administrators" scope replaces, not extends,
the default list). Two-word commands (`cost add`) cannot be menu entries: Telegram
allows only `[a-z0-9_]` names, and `/help` lists them anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import LANGUAGES, Translator, to_plain
from bot.registry import Registry, Role, Router

Entry = tuple[str, str]  # (command, description)

_NAME = re.compile(r"[a-z0-9_]{1,32}")
MAX_DESCRIPTION = 256


@dataclass(frozen=True)
class CommandMenu:
    default_language: str
    everyone: dict[str, tuple[Entry, ...]]  # language -> entries
    admins: dict[str, tuple[Entry, ...]]


def command_menu(routers: Sequence[Router], default_language: str) -> CommandMenu:
    """The menu for these routers, described from their catalogs."""
    registry = Registry(routers)
    translator = Translator(default_language)
    everyone: dict[str, tuple[Entry, ...]] = {}
    admins: dict[str, tuple[Entry, ...]] = {}
    for lang in LANGUAGES:
        entries: list[tuple[Role, Entry]] = []
        for command in registry.commands.values():
            name = command.name_in(lang)  # `/entro` in the Italian menu, `/checkin` elsewhere
            if not _NAME.fullmatch(name):
                continue
            key = f"cmd.{command.key}"
            text = to_plain(translator.t(lang, key)) if translator.has(key) else command.name
            description = " ".join(text.split())[:MAX_DESCRIPTION].ljust(3, ".")
            entries.append((command.role, (name, description)))
        everyone[lang] = tuple(e for role, e in entries if role <= Role.MEMBER)
        admins[lang] = tuple(e for _, e in entries)
    return CommandMenu(default_language, everyone, admins)
