"""Storage for the presence capability (see handlers/presence.py)."""

from __future__ import annotations

from storage.db import Tx


class PresenceRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
