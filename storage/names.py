"""What a stored name may contain: no controls and no invisible characters.

A display name comes from the platform as its owner typed it, and is shown to everyone
in lists and announcements. Direction overrides (U+202E turns what follows around),
isolates, zero-width spaces and blank "filler" letters would let a name hide or disguise
itself, or turn the line it is shown in around. `clean_name` is applied by the members
repository every time a name is stored, whatever path it came by. Zero-width joiners
and non-joiners stay: emoji sequences and Persian or Indic names need them.
"""

from __future__ import annotations

import unicodedata

MAX_NAME = 64
_KEEP_FORMAT = {"\u200c", "\u200d"}  # zero-width non-joiner and joiner
# Letters and symbols that show as nothing at all (Hangul fillers, the blank braille cell).
_BLANK = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def clean_name(text: str, limit: int | None = MAX_NAME) -> str:
    """The name as it will be stored: controls become spaces, invisible and format
    characters go (bidi overrides and isolates among them), whitespace is collapsed.
    Other short texts people write (notes, names of costs) are cleaned the same way."""
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif (category == "Cf" and ch not in _KEEP_FORMAT) or category == "Cs" or ch in _BLANK:
            continue
        else:
            out.append(ch)
    return " ".join("".join(out).split())[:limit].strip()
