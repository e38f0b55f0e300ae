"""Typed command arguments: what a handler's signature asks for, parsed before it runs.

A parameter annotated `str` takes one word, `int` a whole number, `Rest` the rest of the
line, a `Literal[...]` one of its words, `date` a date; any class with an async
`convert(text, ctx)` classmethod (a `Converter`) parses itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar, Protocol, Self

if TYPE_CHECKING:
    from bot.context import Context


class ArgError(Exception):
    """A bad argument; the dispatcher answers with `key` translated, then the usage."""

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


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


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_RELATIVE = {"yesterday": -1, "ieri": -1, "today": 0, "oggi": 0, "tomorrow": 1, "domani": 1}


def parse_date(text: str, today: date) -> date:
    """ISO `2027-03-28`, `28/03/2027`, or yesterday/today/tomorrow (ieri/oggi/domani)."""
    word = text.strip().casefold()
    if word in _RELATIVE:
        return today + timedelta(days=_RELATIVE[word])
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


@dataclass(frozen=True)
class YearMonth:
    """A calendar month, `YYYY-MM`."""

    rest: ClassVar[bool] = False
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
        if not m or not 1 <= int(m[2]) <= 12 or int(m[1]) < 2000:
            raise ArgError("args.bad_month", value=text[:ECHO])
        return cls(int(m[1]), int(m[2]))

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> YearMonth:
        return cls.parse(text)

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
