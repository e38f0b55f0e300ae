"""The update-dedupe record: an update id seen once is never processed again."""

from __future__ import annotations

from datetime import datetime

from storage.db import Tx, to_db


class UpdatesRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def mark_processed(self, key: str, now: datetime) -> bool:
        """Record the update; False when it was already recorded (a redelivery)."""
        count = await self._tx.execute_rowcount(
            "INSERT INTO processed_updates (update_key, processed_at) VALUES (?, ?)"
            " ON CONFLICT (update_key) DO NOTHING",
            (key, to_db(now)),
        )
        return count == 1

    async def prune(self, before: datetime) -> int:
        return await self._tx.execute_rowcount(
            "DELETE FROM processed_updates WHERE processed_at < ?", (to_db(before),)
        )
