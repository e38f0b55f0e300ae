"""Amounts as people type them, and splits that always add up (handlers/costs/money.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.arguments import ArgError
from handlers.costs.money import (
    AmbiguousAmount,
    Participant,
    Split,
    allocate,
    looks_like_amount,
    parse_amount,
    plain_amount,
    split_amount,
)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("120", 12000),
        ("120.50", 12050),
        ("120,50", 12050),
        ("120,5", 12050),
        ("€120", 12000),
        ("120€", 12000),
        ("€ 120,50", 12050),
        ("EUR120", 12000),
        ("eur 120", 12000),
        ("+120", 12000),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("€1.234,56", 123456),
        ("999.999,99", 99999999),
        ("1,000,000", 100000000),
        ("0,01", 1),
        ("0.50", 50),
        ("1000000", 100000000),
        ("1.000.000,00", 100000000),
    ],
)
def test_parse_amount_reads_what_people_write(text: str, minor: int) -> None:
    assert parse_amount(text, "EUR") == minor


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("-5", "amount.not_positive"),
        ("-€5", "amount.not_positive"),
        ("€-5", "amount.not_positive"),
        ("0", "amount.not_positive"),
        ("0,00", "amount.not_positive"),
        ("1000000,01", "amount.too_big"),
        ("2.000.000", "amount.too_big"),
        ("99999999999999999999", "amount.too_big"),
        ("12,345,6", "amount.bad"),
        ("1.2.3", "amount.bad"),
        ("1234.567", "amount.bad"),
        ("12a", "amount.bad"),
        ("abc", "amount.bad"),
        ("1,2.3", "amount.bad"),
        ("120.", "amount.bad"),
        (".50", "amount.bad"),
        ("1e5", "amount.bad"),
        ("NaN", "amount.bad"),
        ("0,505", "amount.too_precise"),
        ("$120", "amount.bad"),  # another currency than the space's
    ],
)
def test_parse_amount_refuses_with_a_reason(text: str, key: str) -> None:
    with pytest.raises(ArgError) as err:
        parse_amount(text, "EUR")
    assert err.value.key == key


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("12.345", (1234500, 1235)),  # 12,345.00 in Italian; 12.345 (12.35) in English
        ("1,234", (123400, 123)),
        ("€999,999", (99999900, 100000)),
    ],
)
def test_an_amount_read_two_ways_is_not_guessed(text: str, readings: tuple[int, int]) -> None:
    with pytest.raises(AmbiguousAmount) as caught:
        parse_amount(text, "EUR")
    assert caught.value.readings == readings
    assert parse_amount(text, "EUR", ask=False) == readings[0]


def test_parse_amount_follows_the_currency_precision() -> None:
    assert parse_amount("1.500", "JPY", ask=False) == 1500  # yen have no minor unit
    assert parse_amount("CHF 12.05", "CHF") == 1205
    with pytest.raises(ArgError) as err:
        parse_amount("12,5", "JPY")
    assert err.value.key == "amount.too_precise"


def test_looks_like_amount_tells_amounts_from_names() -> None:
    assert looks_like_amount("120", "EUR")
    assert looks_like_amount("€12", "EUR")
    assert looks_like_amount("-5", "EUR")
    assert not looks_like_amount("Bruno", "EUR")
    assert not looks_like_amount("#12", "EUR")


def test_plain_amount_is_machine_readable() -> None:
    assert plain_amount(123456, "EUR") == "1234.56"
    assert plain_amount(5, "EUR") == "0.05"
    assert plain_amount(1500, "JPY") == "1500"


# -- splitting ---------------------------------------------------------------------------


def test_split_largest_remainder_ties_go_to_lower_ids() -> None:
    assert split_amount(100, {3: 1, 1: 1, 2: 1}) == {1: 34, 2: 33, 3: 33}
    assert split_amount(2990, {1: 31, 2: 31, 3: 31, 4: 18}) == {1: 835, 2: 835, 3: 835, 4: 485}
    assert split_amount(12000, {1: 10, 2: 5, 4: 5}) == {1: 6000, 2: 3000, 4: 3000}


def test_split_zero_weights_mean_equal() -> None:
    assert split_amount(10, {5: 0, 2: 0, 9: 0}) == {2: 4, 5: 3, 9: 3}


def test_split_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        split_amount(10, {})
    with pytest.raises(ValueError):
        split_amount(10, {1: -1, 2: 3})
    with pytest.raises(ValueError):
        split_amount(-10, {1: 1})


weights_strategy = st.dictionaries(
    keys=st.integers(min_value=1, max_value=10_000),
    values=st.integers(min_value=0, max_value=10**9),
    min_size=1,
    max_size=60,
)


@given(amount=st.integers(min_value=0, max_value=100_000_000), weights=weights_strategy)
def test_split_sums_exactly_and_is_never_negative(amount: int, weights: dict[int, int]) -> None:
    parts = split_amount(amount, weights)
    assert set(parts) == set(weights)
    assert sum(parts.values()) == amount
    assert all(p >= 0 for p in parts.values())


@given(amount=st.integers(min_value=0, max_value=100_000_000), weights=weights_strategy)
def test_split_is_within_a_cent_of_the_exact_share(amount: int, weights: dict[int, int]) -> None:
    parts = split_amount(amount, weights)
    total = sum(weights.values())
    for member, part in parts.items():
        exact = (
            Fraction(amount * weights[member], total) if total else Fraction(amount, len(weights))
        )
        assert abs(part - exact) < 1
    zero = [m for m, w in weights.items() if w == 0]
    if total:
        assert all(parts[m] == 0 for m in zero)  # no weight, nothing to pay


@given(amount=st.integers(min_value=0, max_value=10_000_000), weights=weights_strategy)
def test_split_does_not_depend_on_order(amount: int, weights: dict[int, int]) -> None:
    reversed_weights = dict(reversed(list(weights.items())))
    assert split_amount(amount, weights) == split_amount(amount, reversed_weights)


# -- who weighs what ------------------------------------------------------------------------


def test_allocate_attendance_weighs_visit_days() -> None:
    people = [Participant(1, 31, 1, 10), Participant(2, 31, 1, 0), Participant(3, 12, 1, 5)]
    plan = allocate(Split.ATTENDANCE, people)
    assert plan.method is Split.ATTENDANCE
    assert plan.weights == {1: 10, 2: 0, 3: 5}


def test_allocate_attendance_with_nobody_in_falls_back_to_equal() -> None:
    people = [Participant(1, 31, 1, 0), Participant(2, 31, 3, 0)]
    plan = allocate(Split.ATTENDANCE, people)
    assert plan.method is Split.EQUAL
    assert plan.weights == {1: 31, 2: 31}


def test_allocate_equal_and_shares_are_prorated_by_days_of_membership() -> None:
    people = [Participant(1, 30, 1, 0), Participant(2, 30, 2, 0), Participant(3, 10, 1, 0)]
    assert allocate(Split.EQUAL, people).weights == {1: 30, 2: 30, 3: 10}
    shares = allocate(Split.SHARES, people)
    assert shares.method is Split.SHARES
    assert shares.weights == {1: 30, 2: 60, 3: 10}
    assert shares.units == {1: 1, 2: 2, 3: 1}


def test_allocate_shares_all_zero_falls_back_to_equal() -> None:
    people = [Participant(1, 30, 0, 0), Participant(2, 30, 0, 0)]
    assert allocate(Split.SHARES, people).method is Split.EQUAL
