"""The common fund of a space (`cassa comune`): where the money of the shared costs goes.

A treasurer (`treasurer`; the first admin unless one is named) holds it. Confirmed share
payments go in; bills paid to suppliers (`bill`) and reimbursements (`reimburse`) come
out; expenses a member fronted (`spent`) are owed by the fund, or split among members
like Splitwise; `bill remove` and `spent remove` take back one recorded by mistake.
`settle` shows the transfers that bring everyone to zero, `fund` where
the fund stands, `export fund` its ledger. Bank details (`set iban`, `set payee`,
`set qr`) go on every share message with a payment reference and, if enabled, the EPC
QR code banking apps scan.

The arithmetic is in ledger.py and banking.py, pure and tested directly; the messages
are in locales/.
"""

from __future__ import annotations

from handlers.fund import commands, settle, undo, views
from handlers.fund.common import router

__all__ = ["commands", "router", "settle", "undo", "views"]
