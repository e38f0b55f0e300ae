"""Storage for the costs capability (see handlers/costs.py)."""

from __future__ import annotations

from storage.db import Tx


class CostsRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
