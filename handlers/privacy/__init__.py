"""Members' control over their data: `link` two accounts, `myexport`, `forgetme`.

All three walk the same list of repositories (`personal_data`), each of which knows
how to export, erase and merge its own rows about a member; a new capability with
member rows adds one line there.

`forgetme` keeps the ledger whole: the member row stays as an anonymous placeholder
(`#<id>`, no name, no account), so visits counted for attendance splits, kudos and
cost shares and payments still add up, while the name, the accounts, skills, notes,
planned days, help request texts and the private rooms kept for Matrix accounts are
gone, also from the outbox (messages that named the person are blanked; the goodbye is
blanked once delivered, and on Matrix its room is forgotten then).

The three commands are registered for anyone, in private: `link <code>` must work
from an account the bot does not know yet, and `myexport`/`forgetme` must work for
people who are pending or have left too (their data is still here). Each handler says
itself who may use it.

`commands` holds the commands and the wipe job, `codes` the link codes, `traces`
finding a person in the outbox; the messages are in locales/.
"""

from __future__ import annotations

from bot.registry import Router

router = Router("privacy")

# The module below declares its commands and job on `router`.
from handlers.privacy import commands  # noqa: E402

__all__ = ["commands", "router"]
