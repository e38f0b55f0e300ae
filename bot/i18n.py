"""Messages in every language of `locales/`, and numbers, money and dates through Babel.

The texts live in gettext catalogs, `locales/<lang>/LC_MESSAGES/coworkbot.po`, where
translators edit them with Poedit or Weblate (README, "Translating"). Message ids are
keys (`checkin.done`); the English catalog is the source the others translate, and a
message with no translation in a language (empty, or fuzzy because the English changed)
falls back to English. A language is there when its catalog is: adding a `.po` file adds
a language, with no Python to touch.

Babel reads the `.po` files themselves, once per process: there are no `.mo` files to
build or commit, so a fresh clone, `make run` and an installed wheel all read what the
translators wrote (all catalogs together take a few milliseconds to read).

Plural messages carry one text per plural form of their language, picked by the
catalog's `Plural-Forms` expression, which is Babel's (CLDR's) for that language.

Messages are a small HTML subset with `{name}` placeholders. Interpolated values are
escaped unless they are `Markup` already, so user text can never inject markup (the
Telegram and Matrix HTML parsers both see only what we meant).
"""

from __future__ import annotations

import gettext
import html
import re
import string
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_timedelta
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_currency_precision

from locales import DIRECTORY, DOMAIN

SOURCE_LANGUAGE = "en"

# A message: one text, or one text per plural form of its language.
Text = str | tuple[str, ...]


def catalog_path(directory: Path, lang: str) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages_in(directory: Path) -> tuple[str, ...]:
    """The languages that have a catalog, in alphabetical order of their codes."""
    return tuple(sorted(p.parent.parent.name for p in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


LANGUAGES: tuple[str, ...] = languages_in(DIRECTORY)


@dataclass(frozen=True)
class LanguageCatalog:
    """One language's usable messages: translated and not fuzzy."""

    lang: str
    messages: Mapping[str, Text]
    plural_forms: str = "nplurals=2; plural=(n != 1);"
    fuzzy: frozenset[str] = frozenset()
    plural: Callable[[int], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        expression = self.plural_forms.partition("plural=")[2].rstrip("; ")
        object.__setattr__(self, "plural", gettext.c2py(expression))


def read_catalog(path: Path, lang: str) -> LanguageCatalog:
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    messages: dict[str, Text] = {}
    fuzzy: set[str] = set()
    for message in catalog:
        if not message.id:
            continue  # the header
        key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        if message.fuzzy:
            fuzzy.add(key)
        elif isinstance(message.string, (tuple, list)):
            if all(message.string):
                messages[key] = tuple(message.string)
        elif message.string:
            messages[key] = message.string
    return LanguageCatalog(lang, messages, catalog.plural_forms, frozenset(fuzzy))


@cache
def load_catalogs(directory: Path = DIRECTORY) -> Mapping[str, LanguageCatalog]:
    """Every language's catalog, read once per process."""
    return {
        lang: read_catalog(catalog_path(directory, lang), lang) for lang in languages_in(directory)
    }


# The old in-code format, `key -> language -> text or {plural category: text}`: only
# `make i18n` (tools/i18n.py) reads it, to move such dicts into the catalogs.
Catalog = Mapping[str, Mapping[str, str | Mapping[str, str]]]


class Markup(str):
    """A string that is already safe HTML; `t()` does not escape it again."""

    __slots__ = ()


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


FSI, PDI = "\u2068", "\u2069"  # first strong isolate … pop directional isolate
_RIGHT_TO_LEFT = frozenset({"R", "AL", "AN"})


def isolate(text: str) -> str:
    """Text someone wrote (a name, a note), kept from turning the line around it.

    Text with right-to-left letters or Arabic digits is put between FSI and PDI, so it
    is laid out on its own and the sentence around it keeps its order. Other text
    cannot turn a left-to-right line and stays as it is (no invisible characters in
    every line people copy).
    """
    if FSI in text or not any(unicodedata.bidirectional(ch) in _RIGHT_TO_LEFT for ch in text):
        return text
    return f"{FSI}{text}{PDI}"


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


def language_name(lang: str, in_lang: str | None = None) -> str:
    """A language's name, in its own language (`Deutsch`) or in another (`tedesco`)."""
    return str(_locale(lang).get_display_name(in_lang or lang))


def placeholders(text: Text) -> set[str]:
    names: set[str] = set()
    for form in (text,) if isinstance(text, str) else text:
        for _, name, _, _ in string.Formatter().parse(form):
            if name:
                names.add(name)
    return names


class Translator:
    """Messages by key in any language of the catalogs, English where one is missing."""

    def __init__(
        self,
        default_language: str = "it",
        catalogs: Mapping[str, LanguageCatalog] | None = None,
    ) -> None:
        self.catalogs = dict(load_catalogs() if catalogs is None else catalogs)
        if SOURCE_LANGUAGE not in self.catalogs:
            raise ValueError("the English catalog is missing")
        if default_language not in self.catalogs:
            raise ValueError(f"unsupported language {default_language}")
        self.default_language = default_language
        self.languages = tuple(sorted(self.catalogs))
        self._source = self.catalogs[SOURCE_LANGUAGE]
        self._words: dict[str, frozenset[str]] = {}

    def message_keys(self) -> list[str]:
        return sorted(self._source.messages)

    def has(self, key: str) -> bool:
        return key in self._source.messages

    def translated(self, lang: str, key: str) -> bool:
        catalog = self.catalogs.get(lang)
        return catalog is not None and key in catalog.messages

    def text(self, lang: str, key: str) -> Text:
        """The raw text (or plural forms) a reader of `lang` gets for `key`."""
        return self._find(lang, key)[1]

    def language(self, wanted: str | None) -> str:
        return wanted if wanted in self.catalogs else self.default_language

    def words(self, key: str) -> frozenset[str]:
        """What people may type for a `word.*` message, in any language: each catalog's
        text, `|` between spellings (Italian `word.hidden` is `nascosto|nascosta`)."""
        found = self._words.get(key)
        if found is None:
            spellings = {
                spelling.strip().casefold()
                for lang in self.languages
                if self.translated(lang, key)
                for spelling in str(self.text(lang, key)).split("|")
            }
            found = self._words[key] = frozenset(spellings - {""})
        return found

    def word(self, lang: str, key: str) -> str:
        """The word a reader of `lang` is shown for a `word.*` message: its first spelling."""
        return str(self.text(lang, key)).split("|")[0].strip()

    def _find(self, lang: str, key: str) -> tuple[LanguageCatalog, Text]:
        catalog = self.catalogs.get(lang)
        if catalog is not None and key in catalog.messages:
            return catalog, catalog.messages[key]
        return self._source, self._source.messages[key]

    def t(self, lang: str, key: str, /, **values: object) -> Markup:
        catalog, text = self._find(lang, key)
        if not isinstance(text, str):
            count = values.get("count")
            if not isinstance(count, int):
                raise TypeError(f"message {key!r} has plural forms and needs an int count")
            text = text[min(catalog.plural(abs(count)), len(text) - 1)]
        return Markup(text.format_map({k: _value(v) for k, v in values.items()}))


def _value(value: object) -> Markup:
    """A value as it goes into a message: escaped, and isolated if someone wrote it."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return escape(isolate(value))
    return escape(value)


class Formatter:
    """Numbers, money, dates and times for one language, timezone and currency."""

    def __init__(self, lang: str, tz: ZoneInfo, currency: str = "EUR") -> None:
        self.lang = lang
        self.tz = tz
        self.currency = currency
        # Babel's own objects, parsed once per language: given the name, every call
        # parses it again (three times a command, in the profile).
        self.locale = _locale(lang)
        # The locale for days: English is CLDR's English of Europe (en_150): day first.
        self._dates = _locale("en_150" if lang == "en" else lang)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def number(self, value: int | Decimal) -> str:
        return str(format_decimal(value, locale=self.locale))

    def money(self, minor: int, currency: str | None = None) -> str:
        code = currency or self.currency
        amount = Decimal(minor).scaleb(-get_currency_precision(code))
        if self.lang == "it":
            # Italian usage in shops and bills puts the symbol first: "€ 1.234,56".
            return str(
                format_currency(
                    amount, code, format="¤\u00a0#,##0.00", locale=self.locale, currency_digits=True
                )
            )
        return str(format_currency(amount, code, locale=self.locale))

    def day(self, day: date) -> str:
        """A day as CLDR writes it short: `mer 25 nov 2026`, `Mi., 25. Nov. 2026`,
        `Wed, 25 Nov 2026`."""
        return str(format_skeleton("yMMMEd", day, locale=self._dates))

    def short_day(self, day: date) -> str:
        """`25 nov`, `25. Nov.`, `25 Nov`."""
        return str(format_skeleton("MMMd", day, locale=self._dates))

    def time(self, moment: datetime) -> str:
        """`09:05`: Babel's `HH:mm`, the same in every language we speak, without
        reading the pattern and the locale's data at each call."""
        return self.local(moment).strftime("%H:%M")

    def month(self, year: int, month: int) -> str:
        return str(format_date(date(year, month, 1), format="LLLL y", locale=self.locale))

    def ago(self, span: timedelta) -> str:
        """How long ago, as people say it: `3 hours ago`, `3 ore fa`."""
        return str(format_timedelta(-span, add_direction=True, locale=self.locale))

    def span(self, span: timedelta) -> str:
        """A rounded length of time: `3 hours`, `2 giorni`."""
        return str(format_timedelta(span, locale=self.locale))

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

    def __init__(
        self,
        translator: Translator,
        fmt: Formatter,
        prefix: str = "/",
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.translator = translator
        self.fmt = fmt
        self.prefix = prefix
        self.names = names or {}  # commands' names in this reader's language

    def command(self, line: str) -> str:
        """A command as this reader writes it: their prefix, and the command's name in
        their language where it has one (`paid 3` → `/pagato 3` for an Italian)."""
        word, sep, rest = line.partition(" ")
        return f"{self.prefix}{self.names.get(word, word)}{sep}{rest}"

    @property
    def lang(self) -> str:
        return self.fmt.lang

    def t(self, key: str, /, **values: object) -> Markup:
        return self.translator.t(self.fmt.lang, key, **values)
