"""Opening the database, migrating it, and handing out transactions.

One aiosqlite connection serves the whole bot; an asyncio lock makes every transaction
exclusive, so a handler's effects, its dedupe record and its replies commit together or
not at all. SQLite-specific pragmas live here and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Param = str | int | float | bytes | None
Row = sqlite3.Row


class DatabaseError(Exception):
    """The database cannot be used as it is (too new, unreadable)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """Split the script into statements; `complete_statement` keeps triggers whole."""
        out: list[str] = []
        buf = ""
        for line in self.sql.splitlines(keepends=True):
            buf += line
            if sqlite3.complete_statement(buf):
                if buf.strip():
                    out.append(buf.strip())
                buf = ""
        if buf.strip() and not buf.strip().startswith("--"):
            out.append(buf.strip())
        return out


def load_migrations() -> list[Migration]:
    """The ordered upgrade list: `storage/schema/NNNN_name.sql`, one step per file."""
    steps: list[Migration] = []
    for entry in resources.files("storage.schema").iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        number, _, rest = name.partition("_")
        steps.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    steps.sort(key=lambda m: m.version)
    versions = [m.version for m in steps]
    if versions != list(range(1, len(steps) + 1)):
        raise DatabaseError(f"migration numbers must be 1..n without gaps, found {versions}")
    return steps


def to_db(moment: datetime) -> str:
    """Every stored instant is UTC text of fixed width, so it sorts as it compares."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime cannot be stored")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_db(text: str) -> datetime:
    """The instant `to_db` wrote. `fromisoformat` is C and ~6× faster than `strptime`,
    which showed in every command's profile (spaces, members, visits, outbox rows
    all carry instants); the shape check keeps it as strict as the format was."""
    if len(text) != 20 or text[10] != "T" or text[19] != "Z":
        raise ValueError(f"not a stored instant: {text!r}")
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


def opt_from_db(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


def date_to_db(day: date) -> str:
    return day.isoformat()


class Tx:
    """The connection inside one transaction; repositories take it and nothing else.

    aiosqlite runs SQL in its own thread, and every call is a trip there and back
    (about 0.1 ms on a small machine, more than most of our queries take). So each
    method makes one trip where it can: `execute_fetchall` and `execute_insert` run the
    statement and read its result in the database thread, where a cursor's `execute`,
    `fetchone` and `close` would be three trips.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        """Run a statement; returns the last inserted row id."""
        row = await self._conn.execute_insert(sql, params)
        return int(row[0]) if row is not None and row[0] is not None else 0

    async def execute_rowcount(self, sql: str, params: Sequence[Param] = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Param]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Param] = ()) -> Row | None:
        """The first row; for lookups by key and aggregates (every row is read)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Sequence[Param] = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Sequence[Param] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class Database:
    """The SQLite file: WAL, `synchronous=FULL`, foreign keys, secure delete, versioned schema."""

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: Path, *, migrations: list[Migration] | None = None, migrate: bool = True
    ) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=5000",
            # Deleted and overwritten content is zeroed, so erased personal data is not
            # left in free pages, in the file or in a backup (`forgetme`).
            "PRAGMA secure_delete=ON",
        ):
            await conn.execute(pragma)
        db = cls(path, conn)
        try:
            steps = load_migrations() if migrations is None else migrations
            await db._check_version(steps)
            if migrate:
                await db._migrate(steps)
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @property
    def changes(self) -> int:
        """Rows written through this connection since it opened (SQLite's total_changes)."""
        return self._conn.total_changes

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """An exclusive transaction: committed on success, rolled back on any exception."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self._lock:
            return await self._read_version()

    async def _read_version(self) -> int:
        async with self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ) as cursor:
            if await cursor.fetchone() is None:
                return 0
        async with self._conn.execute("SELECT MAX(version) FROM schema_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    async def _check_version(self, steps: list[Migration]) -> None:
        current = await self._read_version()
        known = steps[-1].version if steps else 0
        if current > known:
            raise DatabaseError(
                f"{self.path}: database schema version {current} is newer than this "
                f"coworkbot knows ({known}); upgrade coworkbot or restore a backup"
            )

    async def _migrate(self, steps: list[Migration]) -> None:
        async with self._lock:
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = await self._read_version()
            for step in steps:
                if step.version <= current:
                    continue
                log.info("migrating database to version %d (%s)", step.version, step.name)
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in step.statements():
                        await self._conn.execute(statement)
                    await self._conn.execute(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                        (step.version, step.name, to_db(datetime.now(UTC))),
                    )
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")

    async def backup(self, dest: Path) -> None:
        """A consistent copy while the bot runs, with SQLite's online backup API."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(dest, check_same_thread=False)
        try:
            async with self._lock:
                await self._conn.backup(target)
        finally:
            target.close()
