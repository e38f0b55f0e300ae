"""The fund's arithmetic (handlers/fund/ledger.py) and bank details (handlers/fund/banking.py)."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from handlers.fund.banking import (
    compact_iban,
    creditor_reference,
    epc_qr_png,
    grouped,
    iban_problem,
    share_reference,
    valid_creditor_reference,
)
from handlers.fund.ledger import ShareDue, Transfer, after, settle_member, settle_plan
from tests.support.fund import epc_lines

# -- settle plans ----------------------------------------------------------------------------


def test_with_a_fund_each_member_settles_with_it_alone() -> None:
    plan = settle_plan({3: -3600, 1: 14400, 2: -3600, 4: 0, 5: -7200}, fund=True)
    assert plan == [
        Transfer(None, 1, 14400),
        Transfer(2, None, 3600),
        Transfer(3, None, 3600),
        Transfer(5, None, 7200),
    ]


def test_without_a_fund_debtors_pay_creditors_in_member_order() -> None:
    plan = settle_plan({1: -1000, 2: -500, 3: 300, 4: 1200}, fund=False)
    assert plan == [Transfer(1, 3, 300), Transfer(1, 4, 700), Transfer(2, 4, 500)]


def test_spliit_issue_178_balances_stay_put_after_a_repayment() -> None:
    """The balances of spliit#178: after Grace pays one suggestion, only it goes."""
    names = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan"]
    amounts = [307594, 34005, -70525, 43507, -68593, -64524, -59892, -66892, -54680]
    ids = {name: i + 1 for i, name in enumerate(names)}
    positions = {ids[n]: a for n, a in zip(names, amounts, strict=True)}
    plan = settle_plan(positions, fund=False)
    assert len(plan) == 8  # nine people: at most eight transfers
    grace = next(t for t in plan if t.payer == ids["Grace"])
    assert settle_plan(after(positions, grace), fund=False) == [t for t in plan if t != grace]


def paid_in_full(positions: dict[int, int], plan: list[Transfer]) -> dict[int, int]:
    for transfer in plan:
        positions = after(positions, transfer)
    return positions


def _positions(fund: bool) -> st.SearchStrategy[dict[int, int]]:
    values = st.lists(st.integers(-50_000, 50_000), min_size=0, max_size=12)

    def build(amounts: list[int]) -> dict[int, int]:
        out = {i + 1: a for i, a in enumerate(amounts)}
        if not fund and out:
            out[len(out) + 1] = -sum(amounts)
        return out

    return values.map(build)


@given(_positions(fund=False), st.data())
def test_any_plan_zeroes_everyone_and_paying_one_keeps_the_others(
    positions: dict[int, int], data: st.DataObject
) -> None:
    plan = settle_plan(positions, fund=False)
    people = sum(1 for v in positions.values() if v)
    assert len(plan) <= max(0, people - 1)
    assert all(t.amount > 0 and t.payer != t.payee for t in plan)
    assert set(paid_in_full(positions, plan).values()) <= {0}
    if plan:
        paid = data.draw(st.sampled_from(plan))
        assert settle_plan(after(positions, paid), fund=False) == [t for t in plan if t != paid]
        part = data.draw(st.integers(1, paid.amount))
        partly = Transfer(paid.payer, paid.payee, part)
        rest = [
            Transfer(t.payer, t.payee, t.amount - part) if t == paid else t
            for t in plan
            if not (t == paid and part == paid.amount)
        ]
        assert settle_plan(after(positions, partly), fund=False) == rest


@given(_positions(fund=True), st.data())
def test_with_a_fund_one_line_each_and_paying_one_keeps_the_others(
    positions: dict[int, int], data: st.DataObject
) -> None:
    plan = settle_plan(positions, fund=True)
    members = [m for t in plan for m in (t.payer, t.payee) if m is not None]
    assert len(members) == len(set(members)) == sum(1 for v in positions.values() if v)
    assert set(paid_in_full(positions, plan).values()) <= {0}
    if plan:
        paid = data.draw(st.sampled_from(plan))
        assert settle_plan(after(positions, paid), fund=True) == [t for t in plan if t != paid]


def test_without_a_fund_positions_must_balance() -> None:
    with pytest.raises(ValueError):
        settle_plan({1: -5, 2: 4}, fund=False)


# -- settling one member -------------------------------------------------------------------


def test_paying_in_full_pays_every_open_share_and_nothing_else() -> None:
    shares = [ShareDue(10, 3273, ()), ShareDue(11, 1000, ((7, 400),))]
    done = settle_member(-4273, 4273, shares)
    assert done.confirm == (7,)
    assert done.pay == ((10, 3273), (11, 600))
    assert (done.deposit, done.reimburse) == (0, 0)


def test_what_the_fund_owes_pays_the_shares_first_and_the_rest_goes_out() -> None:
    """Carla fronted 180 and owes a 40 share: she is owed 140; paying her out settles both."""
    done = settle_member(14000, -14000, [ShareDue(5, 4000, ())])
    assert done.pay == ((5, 4000),)
    assert (done.deposit, done.reimburse) == (0, 18000)


def test_a_part_payment_pays_the_oldest_shares_first() -> None:
    shares = [ShareDue(1, 1000, ()), ShareDue(2, 1000, ())]
    done = settle_member(-2000, 1500, shares)
    assert done.pay == ((1, 1000), (2, 500))
    assert (done.deposit, done.reimburse) == (0, 0)


def test_a_declared_payment_that_does_not_fit_waits() -> None:
    done = settle_member(-1000, 300, [ShareDue(1, 1000, ((9, 500),))])
    assert done.confirm == ()
    assert done.pay == ((1, 300),)


def test_split_debts_beyond_the_shares_become_a_deposit() -> None:
    done = settle_member(-1500, 1500, [ShareDue(1, 1000, ())])
    assert done.pay == ((1, 1000),)
    assert (done.deposit, done.reimburse) == (500, 0)


@given(
    st.lists(st.integers(1, 5000), max_size=5),
    st.integers(-20_000, 20_000),
    st.integers(-20_000, 20_000).filter(bool),
)
def test_a_settlement_moves_the_position_by_exactly_the_change(
    owed: list[int], general: int, change: int
) -> None:
    shares = [ShareDue(i, amount, ()) for i, amount in enumerate(owed)]
    position = general - sum(owed)
    done = settle_member(position, change, shares)
    into_shares = sum(a for _, a in done.pay)
    assert into_shares + done.deposit - done.reimburse == change
    assert all(0 < a <= s.owed for (cid, a), s in zip(done.pay, shares, strict=False))
    # Shares marked paid are never paid with money the member did not bring or is not owed.
    assert position + change + (sum(owed) - into_shares) >= 0 or into_shares == 0
    assert min(done.deposit, done.reimburse) == 0


# -- bank details ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "IT60X0542811101000000123456",
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "CH9300762011623852957",
        "NO9386011117947",
    ],
)
def test_valid_ibans(iban: str) -> None:
    assert iban_problem(iban) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("IT60X0542811101000000123457", "check"),  # last digit changed
        ("IT06X0542811101000000123456", "check"),  # check digits swapped
        ("IT60X054281110100000012345", "length"),  # a digit missing
        ("IT60 X054 2811 1010 0000 0123 456 7", "length"),
        ("1234567890123456", "shape"),
        ("IT", "shape"),
        ("ITAAX0542811101000000123456", "shape"),
        ("<b>IT60</b>", "shape"),
    ],
)
def test_ibans_that_fail(text: str, problem: str) -> None:
    assert iban_problem(compact_iban(text)) == problem


def test_ibans_as_people_paste_them() -> None:
    assert compact_iban(" it60 x054 2811 1010 0000 0123 456") == "IT60X0542811101000000123456"
    assert compact_iban("IBAN: IT60X0542811101000000123456") == "IT60X0542811101000000123456"
    assert grouped("IT60X0542811101000000123456") == "IT60 X054 2811 1010 0000 0123 456"


def test_creditor_references_follow_iso_11649() -> None:
    assert creditor_reference("539007547034") == "RF18539007547034"  # the standard's example
    assert valid_creditor_reference("RF18 5390 0754 7034")
    assert not valid_creditor_reference("RF19539007547034")
    reference = share_reference(1234, 56)
    assert reference.endswith("C1234M56") and valid_creditor_reference(reference)
    assert share_reference(1234, 56) != share_reference(123, 456)


def test_the_epc_qr_code_scans_to_the_transfer() -> None:
    """Decoded as a banking app would: the EPC069-12 lines, in order."""
    png = epc_qr_png("Spazio Veglio APS", "IT60X0542811101000000123456", 3650, "RF18539007547034")
    assert png.startswith(b"\x89PNG")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    lines = found[0].bytes.decode("latin-1").split("\n")
    assert lines == epc_lines(
        "Spazio Veglio APS", "IT60X0542811101000000123456", "36.5", "RF18539007547034"
    )
