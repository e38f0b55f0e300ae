"""Naming a member in a command, and cleaning names and texts people write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.arguments import ArgError
from bot.context import Context
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
