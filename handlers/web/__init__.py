"""The space on the web and in the building: open/closed, SpaceAPI, the status page,
calendars, charts, and automatic presence from the Wi-Fi.

One capability, one Router (`router`), in parts: `state` (open or closed), `devices`
(the presence hook, `/device`, `/presence token`), `spaceapi`, `feeds` (calendars), `page` and
`charts`. The web server itself is the engine's (bot/web.py); it is off unless `[web]`
is configured, and the chat commands here say so when it is.
"""

from __future__ import annotations

from handlers.web import base, charts, devices, feeds, page, spaceapi, state
from handlers.web.base import router

router.messages = {
    **base.MESSAGES,
    **state.MESSAGES,
    **devices.MESSAGES,
    **feeds.MESSAGES,
    **charts.MESSAGES,
    **page.MESSAGES,
}

__all__ = ["router", "spaceapi"]
