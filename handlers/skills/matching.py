"""Matching skills: pure functions, so their rules are tested directly.

`Contabilità` finds `contabilita`, `excel` finds `MS Excel`, `c` does not find `c++`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.skills import SkillHolder

MAX_SKILL_LEN = 40


_WORD_SPLIT = re.compile(r"[\s\-/_.,;:()\[\]{}|&'\"!?]+")


def clean_skill(text: str) -> str:
    """A skill as written, fit to show: no control characters, single spaces, trimmed."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())


def skill_tag(text: str) -> str:
    """The form skills are matched on: case, accents and spacing do not matter.

    `Contabilità`, ` contabilita ` and `CONTABILITA` all give `contabilita`.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def skill_words(tag: str) -> tuple[str, ...]:
    """The words of a tag; punctuation between words separates them (`node.js`, `ms-excel`).

    Symbols that are part of a name (`c++`, `c#`) stay with their word, so `c` does not
    find `c++`.
    """
    return tuple(w for w in _WORD_SPLIT.split(tag) if w)


def skill_matches(query_tag: str, tag: str) -> bool:
    """The whole tag, or a tag containing the query's words in a row (`excel` → `ms excel`)."""
    if not query_tag:
        return False
    if query_tag == tag:
        return True
    wanted, words = skill_words(query_tag), skill_words(tag)
    if not wanted:
        return False
    size = len(wanted)
    return any(words[i : i + size] == wanted for i in range(len(words) - size + 1))


@dataclass(frozen=True)
class SkillMatch:
    """One member who knows what was asked, with the skill that matched best."""

    member_id: int
    display_name: str
    label: str
    present: bool
    kudos: int
    exact: bool


def rank_matches(
    query_tag: str, holders: Iterable[SkillHolder], *, public: bool
) -> list[SkillMatch]:
    """Members with a matching skill: present first, then by kudos, then exact matches, name.

    `public` lists are read by others, so a member whose presence is hidden is never
    shown (or ranked) as present there; private routing may use the truth, since
    nobody sees its order.
    """
    best: dict[int, SkillMatch] = {}
    for holder in holders:
        if not skill_matches(query_tag, holder.tag):
            continue
        match = SkillMatch(
            member_id=holder.member_id,
            display_name=holder.display_name,
            label=holder.label,
            present=holder.present and not (public and holder.hidden),
            kudos=holder.kudos,
            exact=holder.tag == query_tag,
        )
        kept = best.get(holder.member_id)
        if kept is None or (match.exact and not kept.exact):
            best[holder.member_id] = match
    return sorted(
        best.values(),
        key=lambda m: (
            not m.present,
            -m.kudos,
            not m.exact,
            m.display_name.casefold(),
            m.member_id,
        ),
    )


def valid_skill(text: str) -> tuple[str, str] | None:
    """`(tag, label)` for a skill someone wrote, or None if it cannot be one."""
    label = clean_skill(text)
    if not label or len(label) > MAX_SKILL_LEN or not any(ch.isalnum() for ch in label):
        return None
    return skill_tag(label), label


def expires_at(created: datetime, days: int, tz: ZoneInfo) -> datetime:
    """`days` calendar days after `created`, at the same wall-clock time in the space.

    Across a DST change a week is not 7 × 24 h: a request made at 10:00 expires at 10:00.
    """
    wall = created.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return wall.replace(tzinfo=tz).astimezone(UTC)
