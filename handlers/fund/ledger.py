"""The fund's arithmetic: positions, and the transfers that settle them.

Pure functions, no I/O, so the rules that decide who pays whom are tested directly
(including property tests). Money is integer minor units; a position is what a member
is owed (positive) or owes (negative) all told: shares charged, share payments, what
they fronted for the group, their parts of split expenses, reimbursements, deposits
and direct transfers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Transfer:
    """One suggested payment. `None` on a side is the fund, in its treasurer's hands."""

    payer: int | None
    payee: int | None
    amount: int


def settle_plan(positions: Mapping[int, int], *, fund: bool) -> list[Transfer]:
    """The transfers that bring every position to zero, in a stable order.

    With a fund, each member settles with it alone: one transfer in or out each, so the
    treasurer sees every euro and nobody chases anybody else. Without one, debtors pay
    creditors directly, both taken in member id order and matched like two queues (the
    "waterfall"): at most one transfer fewer than the people involved.

    Stable: the order depends on member ids, never on amounts, so paying one suggested
    transfer (in full or in part) leaves every other transfer exactly as it was. Laid end
    to end, the debts and the credits cover the same line; each transfer is where a
    debt and a credit overlap, and paying one only removes its own piece of the line.
    (Spliit sorted by amount and reshuffled everything after each repayment: spliit#178.)
    """
    if fund:
        return [
            Transfer(member, None, -amount) if amount < 0 else Transfer(None, member, amount)
            for member, amount in sorted(positions.items())
            if amount
        ]
    if sum(positions.values()) != 0:
        raise ValueError("without a fund, positions must add up to zero")
    debtors = [[member, -amount] for member, amount in sorted(positions.items()) if amount < 0]
    creditors = [[member, amount] for member, amount in sorted(positions.items()) if amount > 0]
    plan: list[Transfer] = []
    d = c = 0
    while d < len(debtors) and c < len(creditors):
        amount = min(debtors[d][1], creditors[c][1])
        plan.append(Transfer(debtors[d][0], creditors[c][0], amount))
        debtors[d][1] -= amount
        creditors[c][1] -= amount
        if debtors[d][1] == 0:
            d += 1
        if creditors[c][1] == 0:
            c += 1
    return plan


def after(positions: Mapping[int, int], transfer: Transfer) -> dict[int, int]:
    """The positions once `transfer` is paid: the payer owes less, the payee is owed less."""
    out = dict(positions)
    if transfer.payer is not None:
        out[transfer.payer] = out.get(transfer.payer, 0) + transfer.amount
    if transfer.payee is not None:
        out[transfer.payee] = out.get(transfer.payee, 0) - transfer.amount
    return out


@dataclass(frozen=True)
class ShareDue:
    """An open share of a member, as settling it sees it."""

    charge_id: int
    owed: int  # not confirmed yet
    declared: tuple[tuple[int, int], ...]  # (payment id, amount) waiting for confirmation


@dataclass(frozen=True)
class Settlement:
    """How one member's position moves by `change` with a real payment to or from the fund.

    Their open shares are paid first, oldest first, as far as the new position allows
    (a member is never left owing the fund for shares shown as paid): declared payments
    are confirmed, the rest added as confirmed payments. What remains is one general
    movement: a deposit (into the fund) or a reimbursement (out of it).
    """

    confirm: tuple[int, ...]  # declared payment ids to confirm
    pay: tuple[tuple[int, int], ...]  # (charge id, amount) new confirmed payments
    deposit: int
    reimburse: int


def settle_member(position: int, change: int, shares: Sequence[ShareDue]) -> Settlement:
    """`change` > 0: the member paid that much into the fund; < 0: the fund paid them.

    `shares` are the member's open shares, oldest first.
    """
    open_total = sum(s.owed for s in shares)
    new_position = position + change
    budget = max(0, min(open_total, new_position + open_total))
    confirm: list[int] = []
    pay: list[tuple[int, int]] = []
    used = 0
    for share in shares:
        if budget - used <= 0:
            break
        left = share.owed
        for payment_id, amount in share.declared:
            if amount <= min(left, budget - used):
                confirm.append(payment_id)
                used += amount
                left -= amount
        pending = sum(amount for pid, amount in share.declared if pid not in confirm)
        extra = min(left - pending, budget - used)
        if extra > 0:
            pay.append((share.charge_id, extra))
            used += extra
    general = change - used
    return Settlement(
        tuple(confirm),
        tuple(pay),
        deposit=max(0, general),
        reimburse=max(0, -general),
    )
