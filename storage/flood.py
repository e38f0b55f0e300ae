"""Flood control kept in the database, for replicas that take one sender's updates in
turn (with one process, bot/flood.py keeps it in memory and costs no statement)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from storage.db import Tx, from_db, to_db

Verdict = Literal["ok", "warn", "drop"]


class FloodRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def check(self, sender: str, now: datetime, *, limit: int, window: timedelta) -> Verdict:
        """Count a command of `sender`: at most `limit` per window of `window`; the first
        one over is to be answered ("warn"), the others ignored ("drop") until the
        window ends."""
        row = await self._tx.fetchone(
            "SELECT window_start, count, warned FROM flood WHERE sender = ?", (sender,)
        )
        if row is None or now - from_db(row["window_start"]) >= window:
            await self._tx.execute(
                "INSERT INTO flood (sender, window_start, count, warned) VALUES (?, ?, 1, 0)"
                " ON CONFLICT (sender) DO UPDATE SET window_start = excluded.window_start,"
                " count = 1, warned = 0",
                (sender, to_db(now)),
            )
            return "ok"
        if row["count"] < limit:
            await self._tx.execute("UPDATE flood SET count = count + 1 WHERE sender = ?", (sender,))
            return "ok"
        if row["warned"]:
            return "drop"
        await self._tx.execute("UPDATE flood SET warned = 1 WHERE sender = ?", (sender,))
        return "warn"

    async def prune(self, before: datetime) -> int:
        return await self._tx.execute_rowcount(
            "DELETE FROM flood WHERE window_start < ?", (to_db(before),)
        )
