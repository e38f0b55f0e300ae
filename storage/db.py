"""Opening the database, migrating it, and handing out transactions.

One SQLite connection serves the whole bot; an asyncio lock makes every transaction
exclusive, so a handler's effects, its dedupe record and its replies commit together or
not at all. SQLite-specific pragmas live here and nowhere else.

How a transaction runs (bench/README.md measures it): its statements run on the event
loop's thread, straight on the connection, and only its COMMIT goes to the
connection's own thread. A statement on a warm page cache takes microseconds, a trip to
another thread and back far more (aiosqlite made one per statement, about fifteen per
command). The COMMIT of a transaction that wrote is the one slow step, the flush to
disk of `synchronous=FULL`; while it runs in the thread, the event loop goes on
receiving updates and handing replies to the platforms. A transaction that wrote
nothing commits in place.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

Param = str | int | float | bytes | None


class Row(Protocol):
    """A row as every engine gives it: by column name or by position (`sqlite3.Row`,
    asyncpg's `Record`)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Any: ...


T = TypeVar("T")

# Statements kept prepared on the connection (sqlite3's cache, keyed by SQL text): more
# than the repositories hold, so none is parsed twice while the bot runs.
PREPARED = 512
# How long BEGIN waits for another process's write (`coworkbot migrate`, a second bot
# by mistake) before giving up; it waits in the connection's thread, never in the loop.
BUSY_MS = 5000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_MS}",
    # Deleted and overwritten content is zeroed, so erased personal data is not
    # left in free pages, in the file or in a backup (`forgetme`).
    "PRAGMA secure_delete=ON",
)


def is_postgres_url(target: object) -> bool:
    """Whether the database is a PostgreSQL server (`postgresql://…`) rather than a file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class DatabaseError(Exception):
    """The database cannot be used as it is (too new, unreadable)."""


class Aborted(Exception):
    """The transaction is gone (SQLite abandoned it after an error): nothing in it stands."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self, engine: str = "sqlite") -> list[str]:
        """Split the script into statements; `complete_statement` keeps triggers whole.

        A statement whose comment lines above it include `-- sqlite only` or
        `-- postgresql only` runs on that engine alone (what one does with a stored
        schema the other does with ALTER TABLE)."""
        out: list[str] = []
        buf = ""
        for line in self.sql.splitlines(keepends=True):
            buf += line
            if sqlite3.complete_statement(buf):
                if buf.strip() and _for_engine(buf, engine):
                    out.append(buf.strip())
                buf = ""
        if buf.strip() and not buf.strip().startswith("--"):
            out.append(buf.strip())
        return out


_ONLY = re.compile(r"^--\s*(sqlite|postgresql) only\s*$", re.MULTILINE)


def _for_engine(statement: str, engine: str) -> bool:
    only = _ONLY.search(statement)
    return only is None or only.group(1) == engine


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


INSTANT = "%Y-%m-%dT%H:%M:%SZ"


def to_db(moment: datetime) -> str:
    """Every stored instant is UTC text of fixed width, so it sorts as it compares."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime cannot be stored")
    if moment.tzinfo is UTC:
        return _utc_text(moment)
    return moment.astimezone(UTC).strftime(INSTANT)


@lru_cache(maxsize=256)
def _utc_text(moment: datetime) -> str:
    """A command stores its `now` (the clock's, in UTC) five to eight times: its update,
    the caller's last sight, its rows, its reply. Formatted once. (Only UTC instants
    are kept: two instants of one other zone an hour apart at a DST change can
    compare equal.)"""
    return moment.strftime(INSTANT)


def from_db(text: str) -> datetime:
    """The instant `to_db` wrote. `fromisoformat` is C and reads the `Z` itself (UTC),
    ~60× faster than `strptime`, which showed in every command's profile (spaces,
    members, visits, outbox rows all carry instants); the shape check keeps it as
    strict as the format was."""
    if len(text) != 20 or text[10] != "T" or text[19] != "Z":
        raise ValueError(f"not a stored instant: {text!r}")
    return datetime.fromisoformat(text)


def opt_from_db(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


def date_to_db(day: date) -> str:
    return day.isoformat()


class Conflict(Aborted):
    """The database refused the transaction because another one ran beside it (a
    serialization failure or a deadlock, PostgreSQL's SQLSTATE 40001/40P01): nothing in
    it stands, and running its unit of work again from the start is the cure
    (`Store.run` does, a bounded number of times). SQLite, with one writer at a time,
    never raises it."""


class Tx:
    """The connection inside one transaction; repositories take it and nothing else.

    One SQL dialect for every engine: SQLite's, with `?` placeholders, written so that it
    also runs on PostgreSQL; each engine adapts it (storage/postgres.py). The methods
    are coroutines, as a network database's are: a repository written against them works
    on either engine.
    """

    memo: dict[object, Any]

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        """Run a statement; returns the id of the row an INSERT created (0 if none)."""
        raise NotImplementedError

    async def execute_rowcount(self, sql: str, params: Sequence[Param] = ()) -> int:
        """Run a statement; returns how many rows it inserted, changed or deleted."""
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Iterable[Sequence[Param]]) -> None:
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Sequence[Param] = ()) -> Row | None:
        """The first row; for lookups by key and aggregates."""
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Sequence[Param] = ()) -> list[Row]:
        raise NotImplementedError

    async def fetchval(self, sql: str, params: Sequence[Param] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def erase(
        self, table: str, where: str, params: Sequence[Param], blank: Sequence[str]
    ) -> int:
        """Delete personal rows, overwriting their `blank` columns with '' first, on
        every engine (`forgetme`): SQLite's secure_delete then zeroes the freed bytes;
        PostgreSQL keeps the last version of such a row blank (the older versions stay
        until VACUUM: README, "Erasure on PostgreSQL"). Key columns cannot be blanked
        (rows would collide) and are not listed. Returns the rows deleted."""
        if blank:
            sets = ", ".join(f"{column} = ''" for column in blank)
            await self.execute(f"UPDATE {table} SET {sets} WHERE {where}", params)
        return await self.execute_rowcount(f"DELETE FROM {table} WHERE {where}", params)

    async def notify(self, channel: str, payload: str = "") -> None:
        """Tell the other processes on this database, once this transaction commits (a
        replica's outbox sender that new rows wait). Nothing to tell with SQLite: one
        process uses the file."""

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A part of the transaction that an exception undoes alone (then re-raised):
        `async with tx.savepoint(): ...`.

        After some errors the database abandons the whole transaction (a full disk, an
        I/O error, a serialization conflict); then `Aborted` is raised instead: the
        caller must give the transaction up, not go on with it.
        """
        raise NotImplementedError


class SqliteTx(Tx):
    """A transaction on the SQLite connection: each statement runs at once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # What repositories remember inside this transaction (what does not change in
        # it, read once): forgotten whenever a part of the transaction is undone.
        self.memo = {}

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        return self._conn.execute(sql, params).lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Sequence[Param] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Param]]) -> None:
        self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Param] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row

    async def fetchall(self, sql: str, params: Sequence[Param] = ()) -> list[Row]:
        rows: list[Row] = self._conn.execute(sql, params).fetchall()
        return rows

    def savepoint(self) -> Savepoint:
        return Savepoint(self._conn, self.memo)


class Savepoint:
    """`Tx.savepoint()`; a class, not a generator: every update in a batch opens one.

    Every savepoint has the same name: SQLite keeps them on a stack and ROLLBACK TO and
    RELEASE take the innermost of that name, which is the right one whether they follow
    each other or nest; and three statements stay prepared, not three per update.
    """

    def __init__(self, conn: sqlite3.Connection, memo: dict[object, Any]) -> None:
        self._conn = conn
        self._memo = memo

    async def __aenter__(self) -> None:
        self._conn.execute("SAVEPOINT part")

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc is None:
            self._conn.execute("RELEASE part")
            return
        self._memo.clear()
        if not self._conn.in_transaction:
            raise Aborted(f"the transaction was abandoned: {exc!r}") from exc
        try:
            self._conn.execute("ROLLBACK TO part")
            self._conn.execute("RELEASE part")
        except sqlite3.Error as err:
            raise Aborted(f"could not undo a savepoint: {err}") from exc


class TaskLease(Protocol):
    """The right to run a task that one process at a time may run (storage/postgres.py,
    `Lease`; `SoleLease` where there is one process)."""

    name: str

    @property
    def held(self) -> bool: ...

    async def hold(self) -> bool: ...

    async def release(self) -> None: ...


class SoleLease:
    """A task's lease where one process is all there is (SQLite): always held."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def held(self) -> bool:
        return True

    async def hold(self) -> bool:
        return True

    async def release(self) -> None:
        pass


class Database:
    """The SQLite file: WAL, `synchronous=FULL`, foreign keys, secure delete, versioned schema."""

    engine = "sqlite"

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = asyncio.Lock()
        # The connection's own thread: COMMITs that flush, BEGINs that wait, migrations
        # and backups.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite")
        # A second, read-only connection for `read()`, opened when first needed.
        self._reader: sqlite3.Connection | None = None
        self._reading = asyncio.Lock()
        self._tracer: Callable[[str], object] | None = None

    @classmethod
    async def open(
        cls, path: Path, *, migrations: list[Migration] | None = None, migrate: bool = True
    ) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=PREPARED
        )
        conn.row_factory = sqlite3.Row
        db = cls(path, conn)
        try:
            await db._in_thread(db._configure)
            steps = load_migrations() if migrations is None else migrations
            await db._check_version(steps)
            if migrate:
                await db._in_thread(db._migrate, steps)
        except BaseException:
            await db._close()
            raise
        # From now on BEGIN does not wait in the loop: it tries, and waits in the thread.
        conn.execute("PRAGMA busy_timeout=0")
        return db

    def _configure(self) -> None:
        for pragma in PRAGMAS:
            self._conn.execute(pragma)

    async def close(self) -> None:
        async with self._lock:
            await self._close()

    async def _close(self) -> None:
        async with self._reading:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        await self._in_thread(self._conn.close)
        self._thread.shutdown(wait=True)

    def trace(self, callback: Callable[[str], object] | None) -> None:
        """Call `callback` with every SQL statement run, on both connections (tests and
        the benchmark count them)."""
        self._tracer = callback
        self._conn.set_trace_callback(callback)
        if self._reader is not None:
            self._reader.set_trace_callback(callback)

    @property
    def changes(self) -> int:
        """Rows written through this connection since it opened (SQLite's total_changes)."""
        return self._conn.total_changes

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """An exclusive transaction: committed on success, rolled back on any exception."""
        async with self._lock:
            await self._begin()
            changes = self._conn.total_changes
            try:
                yield SqliteTx(self._conn)
            except BaseException:
                self._rollback()
                raise
            await self._commit(wrote=self._conn.total_changes != changes)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only transaction on a connection of its own: it sees what is committed
        (in WAL mode a commit is visible only once flushed, so nothing read here can be
        lost) and never waits for a transaction that writes, nor makes one wait."""
        async with self._reading:
            reader = self._reader or self._open_reader()
            reader.execute("BEGIN")
            try:
                yield SqliteTx(reader)
            finally:
                reader.execute("ROLLBACK")

    def _open_reader(self) -> sqlite3.Connection:
        reader = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=PREPARED,
        )
        reader.row_factory = sqlite3.Row
        reader.execute("PRAGMA query_only=ON")
        reader.set_trace_callback(self._tracer)
        self._reader = reader
        return reader

    async def _begin(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if not _busy(err):
                raise
            try:
                await self._to_the_end(self._begin_waiting)
            except asyncio.CancelledError:
                self._rollback()  # the BEGIN ran after all: nothing may stay open
                raise

    def _begin_waiting(self) -> None:
        """Another process holds the write lock: wait for it here, up to BUSY_MS."""
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    async def _commit(self, *, wrote: bool) -> None:
        """COMMIT: in place if nothing was written, else in the connection's thread.

        A COMMIT that fails is rolled back (SQLite may leave the transaction open).
        """
        if not wrote:
            self._conn.execute("COMMIT")
            return
        try:
            await self._to_the_end(self._conn.execute, "COMMIT")
        except asyncio.CancelledError:
            raise  # committed all the same: the cancellation only comes after it
        except BaseException:
            self._rollback()
            raise

    async def _to_the_end(self, func: Callable[..., object], *args: Any) -> None:
        """`func` in the connection's thread, waited for to its end even if we are
        cancelled meanwhile (the cancellation is raised after it): the connection must
        not be handed to the next transaction while the thread still uses it."""
        work = asyncio.get_running_loop().run_in_executor(self._thread, func, *args)
        cancelled = False
        while not work.done():
            try:
                await asyncio.shield(work)
            except asyncio.CancelledError:
                cancelled = True
            except Exception:
                break
        work.result()  # its own error, if it failed
        if cancelled:
            raise asyncio.CancelledError

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    async def _in_thread(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, func, *args)

    def lease(self, name: str) -> SoleLease:
        """The right to run a task that one process at a time may run: this one's."""
        return SoleLease(name)

    async def listen(self, name: str, callback: Callable[[str], object]) -> None:
        """Nothing to listen to: no other process writes the file."""

    async def vacuum(self, tables: Sequence[str]) -> None:
        """Nothing to do: with secure_delete, deleted and overwritten content is zeroed
        in the file at once."""

    async def schema_version(self) -> int:
        async with self._lock:
            return self._read_version()

    def _read_version(self) -> int:
        found = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if found is None:
            return 0
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    async def _check_version(self, steps: list[Migration]) -> None:
        current = await self._in_thread(self._read_version)
        known = steps[-1].version if steps else 0
        if current > known:
            raise DatabaseError(
                f"{self.path}: database schema version {current} is newer than this "
                f"coworkbot knows ({known}); upgrade coworkbot or restore a backup"
            )

    def _migrate(self, steps: list[Migration]) -> None:
        """Each step not applied yet in its own transaction (in the thread, at start)."""
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = self._read_version()
        for step in steps:
            if step.version <= current:
                continue
            log.info("migrating database to version %d (%s)", step.version, step.name)
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in step.statements():
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    (step.version, step.name, to_db(datetime.now(UTC))),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    async def backup(self, dest: Path) -> None:
        """A consistent copy while the bot runs, with SQLite's online backup API."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(dest, check_same_thread=False)
        try:
            async with self._lock:
                await self._in_thread(self._conn.backup, target)
        finally:
            target.close()


def _busy(err: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY: another connection holds the lock we asked for."""
    return getattr(err, "sqlite_errorname", "") == "SQLITE_BUSY" or "locked" in str(err)
