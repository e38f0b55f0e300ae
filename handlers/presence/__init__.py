"""Presence: who is at the space now, who is coming, and how often everyone came.

A visit runs from a check-in to a check-out. Nobody is asked to remember to check out:
at the space's closing time the open visits are closed *at* that time, and a visit
still open at the end of its day is closed at 23:59 of that day and flagged, so no
visit ever spans midnight and the day counts that costs are split by stay honest.

The closing is decided from stored state alone (`closing.settle`). `calc` holds the
pure calculations, `commands` the commands, `fixes` the admins' corrections of
visits; the messages are in locales/.
"""

from __future__ import annotations

from bot.registry import Router

router = Router("presence")

# The modules below declare their commands and jobs on `router`.
from handlers.presence import closing, commands, fixes  # noqa: E402

__all__ = ["closing", "commands", "fixes", "router"]
