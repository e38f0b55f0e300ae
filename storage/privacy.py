"""Storage for the privacy capability (see handlers/privacy.py)."""

from __future__ import annotations

from storage.db import Tx


class PrivacyRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
