"""Typed command arguments: what a handler's signature asks for, parsed before it runs.

A parameter annotated `str` takes one word, `int` a whole number, `Rest` the rest of the
line, a `Literal[...]` one of its words, `date` a date; any class with an async
`convert(text, ctx)` classmethod (a `Converter`) parses itself.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Protocol, Self

from babel.dates import get_day_names

from bot.context import Context, Refusal
from bot.i18n import LANGUAGES, SOURCE_LANGUAGE, Translator


class ArgError(Refusal):
    """A bad argument; the dispatcher answers with `key` translated, then the usage."""


@dataclass(frozen=True)
class Rest:
    """Marks a `str` parameter that takes the rest of the line (`Annotated[str, Rest(200)]`)."""

    max_len: int = 1000


class Converter(Protocol):
    rest: ClassVar[bool]

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> Self: ...


ECHO = 32  # how much of a bad value an answer repeats: enough to recognise it

# Quotes that make several words one argument: straight ones, and the curly ones phones
# put in for them (iOS writes “ ”, Italian keyboards offer « »). The apostrophe is not
# one: Italian writes l'ufficio.
_QUOTES = {'"': '"”', "“": '”"', "„": '“”"', "«": "»", "”": "”"}


def next_word(text: str) -> tuple[str, str]:
    """The first argument of `text` and what follows it; `"new kettle" 45` gives
    (`new kettle`, `45`). A quote with no closing one is an ordinary character."""
    text = text.strip()
    closers = _QUOTES.get(text[:1])
    if closers:
        for end in range(1, len(text)):
            if text[end] in closers and (end + 1 == len(text) or text[end + 1].isspace()):
                return text[1:end].strip(), text[end + 1 :].strip()
    word, _, rest = text.partition(" ")
    return word, rest.strip()


def split_words(text: str) -> list[str]:
    """Every argument of `text`, quoted ones kept whole and without their quotes."""
    out: list[str] = []
    rest = text.strip()
    while rest:
        word, rest = next_word(rest)
        if word:
            out.append(word)
    return out


def unquote(text: str) -> str:
    """The rest of a line with its quotes taken off, if it is all one quoted argument."""
    word, rest = next_word(text)
    return word if not rest and word != text.strip() else text.strip()


class TextArgument:
    """A `Converter` that needs nothing but the text: a subclass writes `parse(text)`,
    which tests call directly, and the dispatcher calls `convert`."""

    rest: ClassVar[bool] = False

    @classmethod
    def parse(cls, text: str) -> Self:
        raise NotImplementedError

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> Self:
        return cls.parse(text)


@dataclass(frozen=True)
class Param:
    name: str
    kind: Any
    optional: bool
    default: Any
    rest: bool
    max_len: int = 0


def signature_params(func: Callable[..., object]) -> tuple[Param, ...]:
    """Read the arguments a handler wants from its signature (after `ctx`).

    Called when a command is registered, so a handler asking for an argument type
    nobody can parse fails when the bot starts, not when a user first sends it.
    """
    hints = typing.get_type_hints(func, include_extras=True)
    out: list[Param] = []
    for name, p in list(inspect.signature(func).parameters.items())[1:]:
        if name not in hints:
            raise TypeError(f"{func.__qualname__}: argument {name!r} has no annotation")
        kind = hints[name]
        rest, max_len = False, 0
        if typing.get_origin(kind) is Annotated:
            base, *extras = typing.get_args(kind)
            for extra in extras:
                if isinstance(extra, Rest):
                    rest, max_len = True, extra.max_len
            kind = base
        if typing.get_origin(kind) in (typing.Union, types.UnionType):
            non_none = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = non_none[0]
        if not supported(kind):
            raise TypeError(f"{func.__qualname__}: no converter for argument {name}: {kind!r}")
        if rest and kind is not str:
            raise TypeError(f"{func.__qualname__}: Rest() marks str arguments, not {kind!r}")
        rest = rest or bool(getattr(kind, "rest", False))
        optional = p.default is not inspect.Parameter.empty
        out.append(Param(name, kind, optional, p.default if optional else None, rest, max_len))
    return tuple(out)


def supported(kind: object) -> bool:
    """Whether `convert` can read an argument of this type."""
    if kind in (str, int, date):
        return True
    if typing.get_origin(kind) is Literal:
        return all(isinstance(choice, str) for choice in typing.get_args(kind))
    return inspect.iscoroutinefunction(getattr(kind, "convert", None))


async def parse_args(ctx: Context, params: Sequence[Param], text: str) -> dict[str, Any]:
    """The values of a command's arguments, from the text after its name; `ArgError` if bad."""
    values: dict[str, Any] = {}
    rest = text.strip()
    for param in params:
        if param.rest:
            # A converter reads the rest itself (with `split_words` for quotes).
            token, rest = (unquote(rest) if param.kind is str else rest), ""
        else:
            token, rest = next_word(rest)
        if not token:
            if not param.optional:
                raise ArgError("dispatch.missing_argument")
            values[param.name] = param.default
            continue
        values[param.name] = await convert(param, token, ctx)
    if rest:
        raise ArgError("dispatch.too_many_arguments")
    return values


async def convert(param: Param, token: str, ctx: Context) -> Any:
    """One argument's value from its word (or the rest of the line)."""
    kind = param.kind
    if param.max_len and len(token) > param.max_len:
        raise ArgError("dispatch.too_long", limit=param.max_len, length=len(token))
    if kind is str:
        return token
    if kind is int:
        if not re.fullmatch(r"[+-]?\d{1,12}", token.removeprefix("#")):
            raise ArgError("dispatch.not_a_number", value=token[:ECHO])
        return int(token.removeprefix("#"))
    if typing.get_origin(kind) is Literal:
        choices = [str(c) for c in typing.get_args(kind)]
        translator = ctx.rt.translator
        chosen = choose(token, choices, translator)
        if chosen is None:
            shown = [
                translator.word(ctx.lang, f"word.{c}") if translator.has(f"word.{c}") else c
                for c in choices
            ]
            raise ArgError("dispatch.not_a_choice", value=token[:ECHO], choices=", ".join(shown))
        return chosen
    if kind is date:
        return parse_date(token, ctx.today, date_words(ctx.rt.translator))
    converter = getattr(kind, "convert", None)
    if converter is None:
        raise TypeError(f"no converter for argument type {kind!r}")
    return await converter(token, ctx)


def choose(token: str, choices: Sequence[str], translator: Translator) -> str | None:
    """The choice a word means: the choice itself, or its word in any language's catalog
    (`word.hidden`: `nascosto` in Italian, `verborgen` in German)."""
    wanted = token.strip().casefold()
    for choice in choices:
        if wanted == choice or wanted in translator.words(f"word.{choice}"):
            return choice
    return None


def confirmed_words(text: str, ctx: Context) -> tuple[list[str], bool]:
    """The words of `text`, and whether a last one said `confirm` (in any language:
    `conferma`, `bestätigen`) after something else."""
    words = split_words(text)
    if len(words) > 1 and choose(words[-1], ["confirm"], ctx.rt.translator):
        return words[:-1], True
    return words, False


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DM = re.compile(r"^(\d{1,2})[/.-](\d{1,2})\.?$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# Days counted from today, by the catalog word people type for them.
RELATIVE_DAYS = {"word.yesterday": -1, "word.today": 0, "word.tomorrow": 1, "word.day_after": 2}


def date_words(translator: Translator) -> dict[str, int]:
    """`oggi`, `domani`, `dopodomani`, `übermorgen`…: spelling → days from today."""
    return {
        word: days
        for key, days in RELATIVE_DAYS.items()
        if translator.has(key)
        for word in translator.words(key)
    }


@cache
def default_date_words() -> dict[str, int]:
    return date_words(Translator(SOURCE_LANGUAGE))


@cache
def off_words() -> frozenset[str]:
    """What people type to switch a setting off or leave it empty, in any language of
    the catalogs (`word.off`: `off`, `spento`, `nessuno`, `aus`), and `none`, `no`, `-`."""
    return frozenset({"none", "no", "-"}) | Translator(SOURCE_LANGUAGE).words("word.off")


def _plain(word: str) -> str:
    """Without accents: `lunedi` for `lunedì`, as people type on a phone."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


@cache
def weekdays() -> dict[str, int]:
    """Day names in every language, whole and short (Babel, CLDR) → weekday, Monday 0."""
    names: dict[str, int] = {}
    for lang in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for number, name in get_day_names(width, locale=lang).items():
                spelled = str(name).casefold().rstrip(".")
                names.setdefault(spelled, number)
                names.setdefault(_plain(spelled), number)
    return names


def parse_date(text: str, today: date, words: dict[str, int] | None = None) -> date:
    """ISO `2027-03-28`, `28/03/2027`, `28.03.2027`; `28/03` or `28.03.` (the next such
    day, today included); a day's name (`venerdì`: the next Friday, today included);
    `today`, `tomorrow`… in any language of the catalogs (`words`)."""
    word = text.strip().casefold()
    relative = default_date_words() if words is None else words
    if word in relative:
        return today + timedelta(days=relative[word])
    weekday = weekdays().get(word.rstrip("."), weekdays().get(_plain(word.rstrip("."))))
    if weekday is not None:
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    if m := _DM.match(word):
        return next_such_day(int(m[1]), int(m[2]), today, text)
    if m := _YMD.match(word):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.match(word):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        raise ArgError("args.bad_date", value=text[:ECHO])
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ArgError("args.no_such_date", value=text[:ECHO]) from exc


def next_such_day(day: int, month: int, today: date, text: str) -> date:
    """`30/11`: this year's 30 November if it is still to come (or today), else next
    year's; `29/02` waits for a leap year."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise ArgError("args.no_such_date", value=text[:ECHO])


@dataclass(frozen=True)
class YearMonth(TextArgument):
    """A calendar month, `YYYY-MM`."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
        if not m or not 1 <= int(m[2]) <= 12 or int(m[1]) < 2000:
            raise ArgError("args.bad_month", value=text[:ECHO])
        return cls(int(m[1]), int(m[2]))

    @classmethod
    def of(cls, day: date) -> YearMonth:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> YearMonth:
        return YearMonth(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> YearMonth:
        return YearMonth(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
