"""Help between peers: members declare what they know, ask for help, and the bot routes
each request to the people who know, present ones first.

`matching` holds the pure rules (`skill_tag`, `skill_matches`, `rank_matches`),
`arguments` what the commands parse, `commands` declaring and finding skills,
`requests` the life of a help request, `jobs` its expiry and escalation; the messages
are in locales/.
"""

from __future__ import annotations

from bot.registry import Router

router = Router("skills")

# The modules below declare their commands and jobs on `router`.
from handlers.skills import commands, jobs, requests  # noqa: E402

__all__ = ["commands", "jobs", "requests", "router"]
