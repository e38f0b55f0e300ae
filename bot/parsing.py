"""Reading a chat line as a command: `/checkin@CoworkBot note` → ("checkin", "note")."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedLine:
    word: str
    args: str
    addressed: bool


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def without_controls(text: str) -> str:
    """Control and direction-override characters become spaces: they carry no meaning in a
    command and could hide what a stored text really says."""
    return _CONTROLS.sub(" ", text)


_COMMAND = re.compile(r"^(?P<word>[A-Za-z][A-Za-z0-9_]{0,31})(?:@(?P<bot>[A-Za-z0-9_]+))?$")


def parse_line(text: str, prefixes: str, bot_name: str) -> ParsedLine | None:
    """`/checkin@CoworkBot note` → ("checkin", "note"); None if not a command for us."""
    stripped = text.strip()
    if len(stripped) < 2 or stripped[0] not in prefixes:
        return None
    first, _, rest = stripped[1:].partition(" ")
    first, newline, after = first.partition("\n")
    if newline:
        rest = f"{after} {rest}" if rest else after
    m = _COMMAND.match(first.strip())
    if m is None:
        return None
    addressed = m["bot"] is not None
    if addressed and bot_name and m["bot"].lower() != bot_name.lower():
        return None
    return ParsedLine(m["word"].lower(), rest.strip(), addressed)
