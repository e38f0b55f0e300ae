"""The presence capability (see ../shared/DESIGN.md)."""

from __future__ import annotations

from bot.dispatcher import Router
from bot.i18n import Catalog

MESSAGES: Catalog = {}

router = Router("presence", MESSAGES)
