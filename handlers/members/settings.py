"""A space's settings as `set` reads them and `settings` shows them.

Each key has the name it has in `[[spaces]]` of config.toml, so what an admin learns in
one place works in the other, and each is shown as it can be written: a line of
`settings` pasted after `set` sets that value again. Numbers carry their unit in the
name (`expire_after_days 7`); a unit typed after them (`4h`, `7 giorni`) is accepted
when it is the key's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from bot.arguments import ArgError, off_words
from bot.config import valid_currency, valid_hhmm, valid_timezone
from bot.context import Context
from bot.hours import HoursError, format_hours, parse_hours
from bot.i18n import LANGUAGES, Localizer, Markup, escape, join
from handlers.members.arguments import MAX_NAME, clean_name, language_code, languages_list
from storage.spaces import Space

OFF = "off"
_UNITS = {
    "hours": {"h", "hr", "hrs", "hour", "hours", "ora", "ore"},
    "days": {"d", "day", "days", "g", "giorno", "giorni", "gg"},
    "minutes": {"m", "min", "mins", "minute", "minutes", "minuto", "minuti", "minuten"},
}
_NUMBER = re.compile(r"(\d{1,7})\s*([^\d\s]*)")

Value = str | int | None


@dataclass(frozen=True)
class Setting:
    key: str
    column: str
    example: str
    read: Callable[[str], Value]  # the stored value, or ArgError
    show: Callable[[Space], str]


def _name(value: str) -> Value:
    name = clean_name(value)
    if not any(ch.isalnum() for ch in name) or len(value) > MAX_NAME:
        raise ArgError("set.bad.name", limit=MAX_NAME)
    return name


def _timezone(value: str) -> Value:
    if not valid_timezone(value):
        raise ArgError("set.bad.timezone", value=value[:64])
    return value


def _language(value: str) -> Value:
    code = language_code(value, LANGUAGES)
    if code is None:
        raise ArgError("set.bad.language", languages=languages_list(LANGUAGES))
    return code


def _currency(value: str) -> Value:
    if not valid_currency(value.upper()):
        raise ArgError("set.bad.currency", value=value[:16])
    return value.upper()


def _hhmm(value: str, *, off: bool) -> Value:
    if off and value.strip().casefold() in off_words():
        return None
    text = value.replace(".", ":")
    if re.fullmatch(r"\d:\d\d", text):
        text = "0" + text  # 9:00 as people write it
    if not valid_hhmm(text):
        raise ArgError("set.bad.time" if off else "set.bad.time_needed", value=value[:16])
    return text


def _join(value: str) -> Value:
    if value.lower() not in ("open", "approval"):
        raise ArgError("set.bad.join")
    return value.lower()


def _count(
    key: str, low: int, high: int, unit: str = "", factor: int = 1
) -> Callable[[str], Value]:
    """A whole number in [low, high], maybe followed by the key's unit (`4h`, `7 giorni`)."""

    def read(value: str) -> Value:
        m = _NUMBER.fullmatch(value.strip())
        if m is None or (m[2] and m[2].lower() not in _UNITS.get(unit, set())):
            raise ArgError("set.bad.number", key=key, low=low, high=high)
        number = int(m[1])
        if not low <= number <= high:
            raise ArgError("set.bad.number", key=key, low=low, high=high)
        return number * factor

    return read


def _hours(value: str) -> Value:
    """Opening hours as people type them (`mon-fri 09:00-19:00; sat 10:00-13:00`,
    `lun-ven 9-18`), stored in the one form bot/hours.py writes; off: none."""
    if value.strip().casefold() in off_words():
        return ""
    try:
        return format_hours(parse_hours(value))
    except HoursError as exc:
        raise ArgError("set.bad.hours", value=value[:64]) from exc


def _capacity(value: str) -> Value:
    if value.strip().casefold() in off_words():
        return None
    number = _count("capacity", 0, 100_000)(value)
    return number or None


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("name", "name", "Veglio Coworking", _name, lambda s: s.name),
        Setting("timezone", "timezone", "Europe/Rome", _timezone, lambda s: s.timezone),
        Setting("language", "language", "it", _language, lambda s: s.language),
        Setting("currency", "currency", "EUR", _currency, lambda s: s.currency),
        Setting("capacity", "capacity", "12", _capacity, lambda s: str(s.capacity or OFF)),
        Setting(
            "closing_time",
            "closing_time",
            "20:00",
            lambda v: _hhmm(v, off=True),
            lambda s: s.closing_time or OFF,
        ),
        Setting(
            "reminder_time",
            "reminder_time",
            "09:00",
            lambda v: _hhmm(v, off=False),
            lambda s: s.reminder_time,
        ),
        Setting("join", "join_policy", "approval", _join, lambda s: s.join_policy),
        Setting(
            "escalate_after_hours",
            "escalate_after_minutes",
            "4",
            _count("escalate_after_hours", 1, 24 * 14, "hours", 60),
            lambda s: str(s.escalate_after_minutes // 60),
        ),
        Setting(
            "expire_after_days",
            "expire_after_days",
            "7",
            _count("expire_after_days", 1, 365, "days"),
            lambda s: str(s.expire_after_days),
        ),
        Setting(
            "remind_days_before",
            "remind_days_before",
            "3",
            _count("remind_days_before", 0, 60, "days"),
            lambda s: str(s.remind_days_before),
        ),
        Setting(
            "nag_every_days",
            "nag_every_days",
            "7",
            _count("nag_every_days", 1, 90, "days"),
            lambda s: str(s.nag_every_days),
        ),
        # The web and the building (handlers/web/): when a device that left checks its
        # member out, and the opening hours the status page and the calendars show.
        Setting(
            "away_after",
            "away_after_minutes",
            "10",
            _count("away_after", 1, 240, "minutes"),
            lambda s: str(s.away_after_minutes),
        ),
        Setting(
            "hours",
            "opening_hours",
            "mon-fri 09:00-19:00",
            _hours,
            lambda s: s.opening_hours or OFF,
        ),
    )
}

# The names `set` took before they became the config file's; still understood.
ALIASES = {
    "closing": "closing_time",
    "reminder": "reminder_time",
    "escalate_after": "escalate_after_hours",
    "expire_after": "expire_after_days",
}


@dataclass(frozen=True)
class SettingKey:
    """The first word of `set`: a setting's name (or one of its former names)."""

    rest: ClassVar[bool] = False
    setting: Setting

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> SettingKey:
        word = text.lower()
        key = ALIASES.get(word, word)
        if key not in SETTINGS:
            raise ArgError("set.unknown", value=text[:32], keys=", ".join(SETTINGS))
        return cls(SETTINGS[key])


def setting_line(setting: Setting, space: Space) -> Markup:
    """`key value`, as `set` takes it back."""
    return Markup(f"<code>{escape(setting.key)} {escape(setting.show(space))}</code>")


def settings_lines(space: Space) -> list[Markup]:
    return [setting_line(setting, space) for setting in SETTINGS.values()]


def settings_help(loc: Localizer, prefix: str) -> Markup:
    """Every key with what it means, its unit and an example, for `help set`."""
    lines = [loc.t("set.help.title")]
    for key, setting in SETTINGS.items():
        example = Markup(f"<code>{escape(f'{prefix}set {key} {setting.example}')}</code>")
        meaning = loc.t(f"set.help.{key}")
        lines.append(loc.t("set.help.line", key=key, meaning=meaning, example=example))
    return join(lines)
