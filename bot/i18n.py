"""Italian and English: message catalogs, and numbers, money and dates through Babel.

Each module declares its own catalog (`key -> language -> text`) beside its code, so a
message and the code that sends it change together; the `Translator` merges them and a
test checks every key has both languages with the same placeholders.

Messages are a small HTML subset. Interpolated values are escaped unless they are
`Markup` already, so user text can never inject markup (the Telegram and Matrix HTML
parsers both see only what we meant).
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_currency, format_decimal, get_currency_precision

LANGUAGES: tuple[str, ...] = ("it", "en")

Text = str | Mapping[str, str]
Catalog = Mapping[str, Mapping[str, Text]]


class Markup(str):
    """A string that is already safe HTML; `t()` does not escape it again."""

    __slots__ = ()


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def join(parts: list[Markup], separator: str = "\n") -> Markup:
    """Join safe pieces; the separator is ours, so it is not escaped."""
    return Markup(separator.join(escape(p) for p in parts))


_TAG = re.compile(r"<[^>]*>")


def to_plain(markup: str) -> str:
    """The text a plain-text reader sees (console, Matrix `body`)."""
    return html.unescape(_TAG.sub("", markup))


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_category(lang: str, count: int) -> str:
    return str(_locale(lang).plural_form(abs(count)))


def placeholders(text: Text) -> set[str]:
    forms = text.values() if isinstance(text, Mapping) else [text]
    names: set[str] = set()
    for form in forms:
        for _, field, _, _ in string.Formatter().parse(form):
            if field:
                names.add(field)
    return names


class Translator:
    def __init__(self, default_language: str = "it") -> None:
        if default_language not in LANGUAGES:
            raise ValueError(f"unsupported language {default_language}")
        self.default_language = default_language
        self._messages: dict[str, Mapping[str, Text]] = {}

    def add(self, catalog: Catalog) -> None:
        for key, texts in catalog.items():
            if key in self._messages and self._messages[key] != texts:
                raise ValueError(f"message key {key!r} is defined twice")
            self._messages[key] = texts

    def message_keys(self) -> list[str]:
        return sorted(self._messages)

    def texts(self, key: str) -> Mapping[str, Text]:
        return self._messages[key]

    def has(self, key: str) -> bool:
        return key in self._messages

    def language(self, wanted: str | None) -> str:
        return wanted if wanted in LANGUAGES else self.default_language

    def t(self, lang: str, key: str, /, **values: object) -> Markup:
        texts = self._messages[key]
        text = texts.get(lang) or texts[self.default_language]
        if isinstance(text, Mapping):
            count = values.get("count")
            if not isinstance(count, int):
                raise TypeError(f"message {key!r} has plural forms and needs an int count")
            text = text.get(plural_category(lang, count)) or text["other"]
        return Markup(text.format_map({k: escape(v) for k, v in values.items()}))


class Formatter:
    """Numbers, money, dates and times for one language, timezone and currency."""

    def __init__(self, lang: str, tz: ZoneInfo, currency: str = "EUR") -> None:
        self.lang = lang
        self.tz = tz
        self.currency = currency

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def number(self, value: int | Decimal) -> str:
        return str(format_decimal(value, locale=self.lang))

    def money(self, minor: int, currency: str | None = None) -> str:
        code = currency or self.currency
        amount = Decimal(minor).scaleb(-get_currency_precision(code))
        if self.lang == "it":
            # Italian usage in shops and bills puts the symbol first: "€ 1.234,56".
            return str(
                format_currency(
                    amount, code, format="¤\u00a0#,##0.00", locale="it", currency_digits=True
                )
            )
        return str(format_currency(amount, code, locale=self.lang))

    def day(self, day: date) -> str:
        """A day as people write it in chat: `mer 25 nov 2026` / `Wed, Nov 25, 2026`."""
        return str(format_date(day, format="EEE d MMM y", locale=self.lang))

    def short_day(self, day: date) -> str:
        return str(format_date(day, format="d MMM", locale=self.lang))

    def time(self, moment: datetime) -> str:
        return str(format_time(self.local(moment), format="HH:mm", locale=self.lang))

    def month(self, year: int, month: int) -> str:
        return str(format_date(date(year, month, 1), format="LLLL y", locale=self.lang))

    def ago(self, span: timedelta) -> str:
        """How long ago, as people say it: `3 hours ago`, `3 ore fa`."""
        return str(format_timedelta(-span, add_direction=True, locale=self.lang))

    def span(self, span: timedelta) -> str:
        """A rounded length of time: `3 hours`, `2 giorni`."""
        return str(format_timedelta(span, locale=self.lang))

    def duration(self, span: timedelta) -> str:
        minutes = max(0, int(span.total_seconds() // 60))
        hours, rest = divmod(minutes, 60)
        if hours and rest:
            return f"{hours} h {rest:02d} min"
        if hours:
            return f"{hours} h"
        return f"{rest} min"


class Localizer:
    """One reader's language: `t()` for messages and `fmt` for values; `prefix` is how
    commands start where the reader reads (`/` on Telegram, `!` on Matrix)."""

    def __init__(self, translator: Translator, fmt: Formatter, prefix: str = "/") -> None:
        self.translator = translator
        self.fmt = fmt
        self.prefix = prefix

    @property
    def lang(self) -> str:
        return self.fmt.lang

    def t(self, key: str, /, **values: object) -> Markup:
        return self.translator.t(self.fmt.lang, key, **values)
