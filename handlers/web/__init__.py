"""The space on the web and in the building: open/closed, SpaceAPI, the status page,
calendars, charts, and automatic presence from the Wi-Fi.

One capability, one Router (`router`), in parts: `state` (open or closed), `devices`
(the presence hook, `/device`, `/presence token`), `spaceapi`, `feeds` (calendars), `page` and
`charts`. The web server itself is the engine's (bot/web.py); it is off unless `[web]`
is configured, and the chat commands here say so when it is.
"""

from __future__ import annotations

# SpaceAPI first: it is asked for most often, and aiohttp tries routes in the order
# they were declared. The parts declare their commands, jobs and routes on `router`;
# their messages are in locales/ (keys of their own: state.*, device.*, calendar.*, …).
from handlers.web import spaceapi  # isort: skip
from handlers.web import charts, devices, feeds, page, state
from handlers.web.base import router

__all__ = ["charts", "devices", "feeds", "page", "router", "spaceapi", "state"]
