"""Money for shared costs: reading the amounts people type, and splitting them fairly.

Pure functions with no I/O, so the arithmetic that decides who pays what is tested
directly (including property tests) instead of through the chat.
Amounts are integer minor units (cents) everywhere; floats never touch money.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from babel.numbers import get_currency_precision, get_currency_symbol

from bot.arguments import ArgError

# Nobody shares a million-euro heating bill; such a number is a typo (an extra zero).
MAX_MAJOR = 1_000_000
_SHOWN = 32
_DIGITS = re.compile(r"\d[\d.,]*")
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:X\d{3})+")


class Split(StrEnum):
    """How a charge is divided among the members active in its period."""

    EQUAL = "equal"
    ATTENDANCE = "attendance"
    SHARES = "shares"


def currency_marks(currency: str) -> list[str]:
    """What may stand before or after a number for this currency: `€`, `EUR`, `CHF`…"""
    marks = {currency.upper()}
    for lang in ("en", "it"):
        marks.add(str(get_currency_symbol(currency, locale=lang)).upper())
    if currency.upper() == "EUR":
        marks.add("€")
    return sorted(marks, key=len, reverse=True)


class AmbiguousAmount(ArgError):
    """`12.345`, `1,234`: a thousands separator in one language, a decimal one in the
    other. `readings` are both, in minor units: the thousands reading first, then the
    decimal one rounded to the currency's precision."""

    def __init__(self, value: str, readings: tuple[int, int]) -> None:
        super().__init__("amount.ambiguous", value=value)
        self.readings = readings


def parse_amount(text: str, currency: str = "EUR", *, ask: bool = True) -> int:
    """`120`, `120.50`, `120,50`, `€120`, `1.234,56`, `1,234.56` → minor units.

    A lone separator followed by exactly three digits (`12.345`, `1,234`) reads as
    thousands in one language and as decimals in the other: AmbiguousAmount says so
    and gives both readings, so the person is asked, not guessed for. With `ask` False
    it is the thousands reading (three decimals cannot be cents).
    """
    shown = text.strip()[:_SHOWN]
    body = _strip_marks(text, currency)
    if body.startswith("-"):
        raise ArgError("amount.not_positive")
    body = body.removeprefix("+")
    if not _DIGITS.fullmatch(body):
        raise ArgError("amount.bad", value=shown)
    value = _to_decimal(body)
    if value is None:
        raise ArgError("amount.bad", value=shown)
    precision = int(get_currency_precision(currency))
    if ask and _lone_group(body):
        exact = Decimal(body.replace(",", "."))
        as_decimal = exact.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
        thousands = _minor(value, precision, shown)
        if as_decimal > 0 and as_decimal != value:
            raise AmbiguousAmount(shown, (thousands, int(as_decimal.scaleb(precision))))
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > precision:
        raise ArgError("amount.too_precise", value=shown, currency=currency)
    return _minor(value, precision, shown)


def _minor(value: Decimal, precision: int, shown: str) -> int:
    if value <= 0:
        raise ArgError("amount.not_positive")
    if value > MAX_MAJOR:
        raise ArgError("amount.too_big", value=shown)
    return int(value.scaleb(precision))


def _lone_group(body: str) -> bool:
    """One separator, then exactly three digits, after 1-3 digits that are not 0."""
    m = re.fullmatch(r"([1-9]\d{0,2})[.,](\d{3})", body)
    return m is not None


def looks_like_amount(token: str, currency: str = "EUR") -> bool:
    """Whether a word was meant as an amount (so a typo in it is reported as one)."""
    body = _strip_marks(token, currency)
    return bool(body) and (body[0].isdigit() or body[0] in "+-.,")


def _strip_marks(text: str, currency: str) -> str:
    body = "".join(text.split()).upper()
    for _ in range(2):  # a sign may sit outside the mark: "-€120", "€-120"
        sign = body[:1] if body[:1] in "+-" else ""
        body = body.removeprefix(sign)
        for mark in currency_marks(currency):
            if body.startswith(mark):
                body = body[len(mark) :]
            if body.endswith(mark):
                body = body[: -len(mark)]
        body = sign + body
    return body


def _to_decimal(body: str) -> Decimal | None:
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal_sep = "." if body.rfind(".") > body.rfind(",") else ","
        thousands_sep = "," if decimal_sep == "." else "."
        whole, _, fraction = body.rpartition(decimal_sep)
        if decimal_sep in whole or not fraction or not _grouped(whole, thousands_sep):
            return None
        return Decimal(f"{whole.replace(thousands_sep, '')}.{fraction}")
    if not (dots or commas):
        return Decimal(body)
    sep = "." if dots else ","
    whole, _, fraction = body.partition(sep)
    if sep in fraction or (len(fraction) == 3 and whole != "0"):
        return Decimal(body.replace(sep, "")) if _grouped(body, sep) else None
    if not whole or not fraction:
        return None
    return Decimal(f"{whole}.{fraction}")


def _grouped(whole: str, sep: str) -> bool:
    """`1.234.567`: a first group of 1-3 digits, then groups of exactly three."""
    if sep not in whole:
        return whole.isdigit()
    return bool(_GROUPED.fullmatch(whole.replace(sep, "X")))


def plain_amount(minor: int, currency: str) -> str:
    """Minor units as a plain decimal (`1234.56`) for files that machines read."""
    precision = int(get_currency_precision(currency))
    return f"{Decimal(minor).scaleb(-precision):.{precision}f}"


# -- splitting ------------------------------------------------------------------------


def split_amount(amount: int, weights: Mapping[int, int]) -> dict[int, int]:
    """Divide `amount` in proportion to `weights` (member id → weight), exactly.

    Largest remainder: everyone gets the floor of their exact part, then the cents
    left over go one each to the largest fractional parts; equal remainders go to the
    lower member id first, so the result never depends on dictionary order. All-zero
    weights mean nobody stands out, so the amount is split equally.
    """
    if amount < 0:
        raise ValueError("cannot split a negative amount")
    if not weights:
        raise ValueError("cannot split among nobody")
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights cannot be negative")
    total = sum(weights.values())
    if total == 0:
        weights = dict.fromkeys(weights, 1)
        total = len(weights)
    parts = {k: amount * w // total for k, w in weights.items()}
    left = amount - sum(parts.values())
    by_remainder = sorted(weights, key=lambda k: (-(amount * weights[k] % total), k))
    for k in by_remainder[:left]:
        parts[k] += 1
    return parts


@dataclass(frozen=True)
class Participant:
    """A member as a charge's split sees them."""

    member_id: int
    days: int  # days as a member within the charge's period
    shares: int  # members.shares, for the `shares` split
    visits: int  # days with a visit within the period, for `attendance`


@dataclass(frozen=True)
class Allocation:
    """How a charge was actually split: the method used and each member's weight.

    `units` is what a member is told their part rests on: visit days (attendance),
    shares (shares), or 1 (equal).
    """

    method: Split
    weights: dict[int, int]
    units: dict[int, int]


def allocate(split: Split, people: Iterable[Participant]) -> Allocation:
    """The weights of a charge among the members active in its period.

    Equal and shares are prorated by days of membership in the period, so someone who
    joined on the 25th does not pay a whole month of heating; attendance needs no
    proration (a visit already says you were there). If nobody came in the period, an
    attendance split falls back to equal, as does a shares split where all shares are 0.
    """
    people = list(people)
    if split is Split.ATTENDANCE and any(p.visits for p in people):
        visits = {p.member_id: p.visits for p in people}
        return Allocation(Split.ATTENDANCE, visits, visits)
    if split is Split.SHARES and any(p.shares * p.days for p in people):
        return Allocation(
            Split.SHARES,
            {p.member_id: p.shares * p.days for p in people},
            {p.member_id: p.shares for p in people},
        )
    return Allocation(
        Split.EQUAL,
        {p.member_id: p.days for p in people},
        {p.member_id: 1 for p in people},
    )
