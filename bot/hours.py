"""Opening hours as people write them: `mon-fri 09:00-19:00; sat 10:00-13:00`
(or `lun-ven 9-19; sab 10-13`).

Groups are separated by `;`; each has days (a day, a range `mon-fri`, or a list
`mon,wed,fri`, in English, Italian or German: `lun-ven`, `mo-fr`) and one time range on
the same day.
The stored form is the normalised English text, so the config file, `/set hours` and
`/settings` all read and write the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ITALIAN = ("lun", "mar", "mer", "gio", "ven", "sab", "dom")
_GERMAN = ("mo", "di", "mi", "do", "fr", "sa", "so")
_DAY_NUMBER = {name: i for names in (DAYS, _ITALIAN, _GERMAN) for i, name in enumerate(names)}
MAX_GROUPS = 14

_GROUP = re.compile(
    r"^(?P<days>[a-z]{2,3}(?:-[a-z]{2,3})?(?:,[a-z]{2,3}(?:-[a-z]{2,3})?)*)\s+"
    r"(?P<start>\d{1,2}(?:[:.]\d{2})?)\s*-\s*(?P<end>\d{1,2}(?:[:.]\d{2})?)$"
)


class HoursError(ValueError):
    """Opening hours that cannot be read; the message says which part and why."""


@dataclass(frozen=True)
class HoursRange:
    """Open from `start` to `end` on each of `days` (0 = Monday)."""

    days: tuple[int, ...]
    start: time
    end: time


def parse_hours(text: str) -> tuple[HoursRange, ...]:
    """The ranges `text` describes; empty (or `off`) means no opening hours."""
    cleaned = text.strip().lower()
    if cleaned in ("", "off", "none", "-"):
        return ()
    groups = [g.strip() for g in cleaned.split(";") if g.strip()]
    if len(groups) > MAX_GROUPS:
        raise HoursError(f"at most {MAX_GROUPS} groups")
    return tuple(_group(g) for g in groups)


def _group(text: str) -> HoursRange:
    m = _GROUP.match(" ".join(text.split()))
    if m is None:
        raise HoursError(f"{text[:32]!r} is not like mon-fri 09:00-19:00")
    days: list[int] = []
    for part in m["days"].split(","):
        first, _, last = part.partition("-")
        a, b = _day(first), _day(last or first)
        if b < a:
            raise HoursError(f"{part!r} runs backwards")
        days += [d for d in range(a, b + 1) if d not in days]
    start, end = _time(m["start"]), _time(m["end"])
    if end <= start:
        raise HoursError(f"{m['start']}-{m['end']} ends before it starts")
    return HoursRange(tuple(sorted(days)), start, end)


def _day(name: str) -> int:
    if name not in _DAY_NUMBER:
        raise HoursError(f"{name!r} is not a day (mon … sun, lun … dom, mo … so)")
    return _DAY_NUMBER[name]


def _time(text: str) -> time:
    """`9`, `9:30`, `09.30`: a time of day."""
    hours, _, minutes = text.replace(".", ":").partition(":")
    if int(hours) > 23 or int(minutes or 0) > 59:
        raise HoursError(f"{text!r} is not a time of day")
    return time(int(hours), int(minutes or 0))


def format_hours(ranges: tuple[HoursRange, ...]) -> str:
    """The normalised text of `ranges` (what `parse_hours` reads back to the same ranges)."""
    return "; ".join(f"{_days_text(r.days)} {r.start:%H:%M}-{r.end:%H:%M}" for r in ranges)


def _days_text(days: tuple[int, ...]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        DAYS[run[0]] if len(run) == 1 else f"{DAYS[run[0]]}-{DAYS[run[-1]]}" for run in runs
    )


def valid_hours(text: str) -> bool:
    try:
        parse_hours(text)
    except HoursError:
        return False
    return True
