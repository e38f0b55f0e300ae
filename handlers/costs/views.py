"""How the costs capability shows things.

Shared by the commands (`commands`) and the job (`jobs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.i18n import Localizer, Markup, to_plain
from handlers.costs.schedules import Every, Schedule
from storage.costs import Cost

# How much of one message a listing may fill: Telegram takes 4096 characters, and the
# lines around a listing (title, totals, hints) need the rest. A listing that grows with
# the community (charges, costs, debtors) stops there and says how many more there are;
# `export costs` has everything.
LISTING_BUDGET = 3400


def visible_length(markup: str) -> int:
    """Characters as Telegram counts them (UTF-16), of the text a reader sees."""
    return len(to_plain(markup).encode("utf-16-le")) // 2


def fit(items: Sequence[Markup], budget: int) -> tuple[list[Markup], int]:
    """The first items that fit in `budget` characters (one line break each), and how
    many did not."""
    used = 0
    for count, item in enumerate(items):
        used += visible_length(item) + 1
        if used > budget:
            return list(items[:count]), len(items) - count
    return list(items), 0


def paragraph(text: Markup) -> Markup:
    """A blank line before `text`: the catalog's texts never start with a newline, which
    gettext tools (msgfmt -c, Poedit) refuse when the message id does not."""
    return Markup(f"\n{text}")


def schedule_of(cost: Cost) -> Schedule:
    return Schedule(Every(cost.every), day=cost.day, month=cost.month, on=cost.once_on)


def schedule_text(loc: Localizer, schedule: Schedule) -> Markup:
    if schedule.every is Every.MONTHLY:
        key = "schedule.monthly_end" if schedule.day >= 29 else "schedule.monthly"
        return loc.t(key, day=schedule.day)
    if schedule.every is Every.YEARLY:
        leap_day = date(2000, schedule.month, schedule.day)
        return loc.t("schedule.yearly", day=loc.fmt.short_day(leap_day))
    assert schedule.on is not None
    return loc.t("schedule.once", day=loc.fmt.day(schedule.on))


def period_text(loc: Localizer, start: date, end: date) -> str:
    """`30 Nov – 30 Dec 2026`, or with both years when the period spans two."""
    if start.year == end.year:
        return f"{loc.fmt.short_day(start)} – {loc.fmt.short_day(end)} {end.year}"
    return f"{loc.fmt.short_day(start)} {start.year} – {loc.fmt.short_day(end)} {end.year}"


def money(loc: Localizer, minor: int, currency: str) -> str:
    """In the currency the amount was charged in, even if the space changed it since."""
    return loc.fmt.money(minor, currency)
