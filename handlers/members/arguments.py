"""Naming a member or a language in a command, and cleaning names and texts people write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from bot.arguments import ArgError, unquote
from bot.context import Context
from bot.i18n import language_name
from storage.members import Member

MAX_NAME = 64


@dataclass(frozen=True)
class MemberArg:
    """A member of the caller's space, written as `#12`, `@username` or a (unique) name."""

    rest: ClassVar[bool] = False
    member: Member

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> MemberArg:
        if ctx.space is None:
            raise ArgError("dispatch.missing_argument")
        text = unquote(text)
        found = await ctx.session.members.find(ctx.space.id, text)
        ref = text[:MAX_NAME]
        if not found:
            raise ArgError("members.no_such_member", ref=ref, members=f"{ctx.prefix}members")
        if len(found) > 1:
            names = ", ".join(f"{m.display_name} (#{m.id})" for m in found[:5])
            raise ArgError("members.ambiguous", ref=ref, names=names)
        return cls(found[0])


@dataclass(frozen=True)
class MemberName(MemberArg):
    """Like MemberArg, but takes the rest of the line, so names may have spaces."""

    rest: ClassVar[bool] = True


def clean_text(text: str, limit: int | None = None) -> str:
    """Text fit to show and store: control characters gone, whitespace collapsed, capped."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())[:limit]


def clean_name(text: str) -> str:
    return clean_text(text, MAX_NAME)


def language_code(text: str, languages: Sequence[str]) -> str | None:
    """The language meant by `de`, `DE`, `Deutsch`, `German` or `tedesco`: its code, or
    its name in any language the bot speaks (CLDR's names, through Babel)."""
    wanted = text.strip().casefold()
    for code in languages:
        names = {code, *(language_name(code, other).casefold() for other in languages)}
        if wanted in names:
            return code
    return None


def languages_list(languages: Sequence[str]) -> str:
    return ", ".join(f"{language_name(code)} ({code})" for code in languages)


@dataclass(frozen=True)
class Language:
    """One of the languages that have a catalog in locales/."""

    rest: ClassVar[bool] = False
    code: str

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> Language:
        languages = ctx.rt.translator.languages
        code = language_code(text, languages)
        if code is None:
            raise ArgError("lang.unknown", value=text[:32], languages=languages_list(languages))
        return cls(code)
