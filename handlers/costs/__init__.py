"""Shared running costs: recurring or one-off costs, fair splits, payments, reminders.

Admins add costs (`cost add Heating 120 monthly 31 attendance`); on each due date, at
the space's reminder time, the cost becomes a charge for the period before it, split
among the members active in that period, and every member is told their share in
private (`jobs`). Members declare payments (`paid`), admins confirm
them (`confirm`) or record money they received (`paid <charge> <amount> <member>`).

`commands` holds the commands, `jobs` the charges and reminders, `money` the
arithmetic of amounts and splits, `schedules` due dates and periods, `views` how
things are shown and `export` the CSV ledger. Its messages are in locales/.
"""

from __future__ import annotations

from bot.registry import Router

router = Router("costs")

# The modules below declare their commands and jobs on `router`.
from handlers.costs import commands, jobs  # noqa: E402

__all__ = ["commands", "jobs", "router"]
