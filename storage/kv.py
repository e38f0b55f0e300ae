"""Small named values the engine keeps between runs (sync tokens, last job runs)."""

from __future__ import annotations

from storage.db import Tx


class KvRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def get(self, key: str) -> str | None:
        value = await self._tx.fetchval("SELECT value FROM kv WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        await self._tx.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def delete(self, key: str) -> None:
        await self._tx.execute("DELETE FROM kv WHERE key = ?", (key,))
