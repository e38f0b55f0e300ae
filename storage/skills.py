"""Storage for the skills capability (see handlers/skills.py)."""

from __future__ import annotations

from storage.db import Tx


class SkillsRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
