"""Cutting a long HTML message into pieces Telegram accepts.

Telegram refuses texts longer than 4096 characters (1024 for a caption), counted after
the HTML is parsed and in UTF-16 code units. A cut prefers a line break, then a space,
then any character; tags open at a cut are closed at the end of one piece and opened
again at the start of the next, so every piece is valid HTML on its own and a `<pre>`
block that spans pieces stays one block in each.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

# A tag, an entity, or one character: the atoms a cut may fall between.
_ATOM = re.compile(r"<[^<>]*>|&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{1,8});|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")

# Where a cut may go, best first; "" means between any two characters.
_SEPARATORS = ("\n", " ", "")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: astral characters (most emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def _visible(atom: str) -> str:
    if atom.startswith("<") and len(atom) > 1:
        return ""
    if atom.startswith("&") and len(atom) > 1:
        return html.unescape(atom)
    return atom


def visible_len(markup: str) -> int:
    """The length Telegram checks: the text after tags and entities are parsed."""
    return sum(utf16_len(_visible(m.group())) for m in _ATOM.finditer(markup))


@dataclass(frozen=True)
class _Piece:
    raw: str
    before: tuple[str, ...]  # open tags (as written) in force where the piece starts
    after: tuple[str, ...]  # open tags in force where it ends
    width: int


def _apply_tag(stack: list[str], atom: str) -> None:
    match = _TAG_NAME.match(atom)
    if match is None:
        return
    name = match.group(1).lower()
    if atom.startswith("</"):
        for i in range(len(stack) - 1, -1, -1):
            if _name(stack[i]) == name:
                del stack[i:]
                break
    else:
        stack.append(atom)


def _name(open_tag: str) -> str:
    match = _TAG_NAME.match(open_tag)
    return match.group(1).lower() if match else ""


def _closing(stack: tuple[str, ...]) -> str:
    return "".join(f"</{_name(tag)}>" for tag in reversed(stack))


def _pieces(markup: str, separator: str, before: tuple[str, ...]) -> list[_Piece]:
    """`markup` cut at every top-level `separator` (or at every character, for "")."""
    pieces: list[_Piece] = []
    stack = list(before)
    start = tuple(stack)
    buffer: list[str] = []
    width = 0
    for match in _ATOM.finditer(markup):
        atom = match.group()
        if separator and atom == separator:
            pieces.append(_Piece("".join(buffer), start, tuple(stack), width))
            buffer, width, start = [], 0, tuple(stack)
            continue
        buffer.append(atom)
        if atom.startswith("<") and len(atom) > 1:
            _apply_tag(stack, atom)
            continue
        width += utf16_len(_visible(atom))
        if not separator:
            pieces.append(_Piece("".join(buffer), start, tuple(stack), width))
            buffer, width, start = [], 0, tuple(stack)
    if buffer or separator:
        pieces.append(_Piece("".join(buffer), start, tuple(stack), width))
    return pieces


def _pack(pieces: list[_Piece], level: int, limit: int) -> list[str]:
    separator = _SEPARATORS[level]
    sep_width = utf16_len(separator)
    chunks: list[str] = []
    group: list[_Piece] = []
    width = 0

    def flush() -> None:
        nonlocal group, width
        if group:
            body = separator.join(p.raw for p in group)
            chunks.append("".join(group[0].before) + body + _closing(group[-1].after))
        group, width = [], 0

    for piece in pieces:
        if piece.width > limit and level + 1 < len(_SEPARATORS):
            flush()
            finer = _pieces(piece.raw, _SEPARATORS[level + 1], piece.before)
            chunks.extend(_pack(finer, level + 1, limit))
            continue
        extra = piece.width + (sep_width if group else 0)
        if group and width + extra > limit:
            flush()
            extra = piece.width
        group.append(piece)
        width += extra
    flush()
    return chunks


def split_html(markup: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of `markup`, each at most `limit` visible characters and each valid on its own.

    Pieces with nothing visible are left out (Telegram refuses an empty message).
    """
    if visible_len(markup) <= limit:
        return [markup] if visible_text(markup).strip() else []
    chunks = _pack(_pieces(markup, _SEPARATORS[0], ()), 0, limit)
    return [c for c in chunks if visible_text(c).strip()]


def visible_text(markup: str) -> str:
    return "".join(_visible(m.group()) for m in _ATOM.finditer(markup))
