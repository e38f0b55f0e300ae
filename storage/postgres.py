"""PostgreSQL behind the same `Tx`/`Store` interface, through asyncpg and a pool.

The repositories speak one dialect, SQLite's, written so that it also runs here; this
module adapts it as Synapse (`PostgresEngine.convert_param_style`, `is_deadlock`, the
retried `runInteraction`) and mautrix (`async_db`, one query text rewritten per
engine) do it, in one place:

- `?` placeholders become `$1, $2, …` (outside string literals);
- the id of an INSERT comes from `RETURNING id` (SQLite's `lastrowid`), the row count
  from the command's status (`INSERT 0 1`, `UPDATE 3`);
- parameters are converted to the types the server inferred for them (a chat id given
  as a number where the column is text), since PostgreSQL does not convert as SQLite
  does;
- `numeric` results (PostgreSQL's `SUM` over a `BIGINT`) come back as `int` (or
  `float` when they have a fraction), as SQLite gives them;
- `LIKE` is `ILIKE` (SQLite's LIKE ignores the case of ASCII letters), and SQLite's
  unary `+column` (no index for that column) is the column;
- the DDL of the migrations (`ddl`): an `id INTEGER PRIMARY KEY` is an identity
  column, every `INTEGER` a `BIGINT` (Matrix timestamps and Telegram ids need 64
  bits), `BLOB` is `bytea`, `REAL` `double precision`, and `COLLATE NOCASE` names a
  case-insensitive ICU collation the first migration creates; after a migration's
  INSERT (a table rebuilt with its rows) the table's identity goes on after its
  largest id.

Transactions are SERIALIZABLE: a handler's check-then-write (the next request number,
one open visit per member, a charge per due date) stays right with replicas writing
beside it. A transaction the server refuses for that (a serialization failure or a
deadlock) raises `Conflict`, and `Store.run` runs its unit of work again.

Migrations run under an advisory lock, so replicas starting together migrate once.
Advisory locks also elect, per task, the one replica that runs it (`Lease`).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import itertools
import logging
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage.db import Aborted, Conflict, DatabaseError, Migration, Param, Row, Tx, to_db

log = logging.getLogger(__name__)

# Connections in the pool: the group commit's transaction, the outbox's reads, jobs and
# the Matrix transport's side by side. Leases and LISTEN have connections of their own.
POOL_MIN = 1
POOL_MAX = 8
# Prepared statements kept per connection by asyncpg (more than the repositories hold).
PREPARED = 1024
# How long a lease's check may take before the lease counts as lost.
LEASE_CHECK = 2.0
# Ask the server to notice a vanished replica within seconds (its locks go with it).
KEEPALIVE = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "2",
}
# What a connection that broke under us raises. asyncpg reports a server that ended
# the session between two statements (pg_terminate_backend, a restart) sometimes as
# an InterfaceError and sometimes, when the FATAL notice arrives as the next query is
# sent, as an InternalClientError ("cannot switch to state …"; asyncpg issue #1069,
# measured at about 1 in 20 terminations in sqlalchemy issue #13241).
BROKEN: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
# The collation `COLLATE NOCASE` names: case-insensitive, accent-sensitive (ICU level 2).
NOCASE = (
    "CREATE COLLATION IF NOT EXISTS nocase"
    " (provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
)
NOCASE_FALLBACK = 'CREATE COLLATION IF NOT EXISTS nocase FROM "C"'


def shown(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


# -- the dialect --------------------------------------------------------------------

_WORD_LIKE = re.compile(r"\bLIKE\b", re.IGNORECASE)
# SQLite's unary `+column`, which keeps the planner off that column's index: a `+`
# right before a name, after a keyword or an operator (not `a + b`).
_UNARY_PLUS = re.compile(
    r"(\b(?:AND|OR|WHERE|ON|BY|NOT|SELECT|WHEN|THEN|ELSE)\s+|[(,=<>]\s*)\+(?=[A-Za-z_])",
    re.IGNORECASE,
)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
# The same in a migration, whose statements may start with their comments.
_MIGRATION_INSERT = re.compile(r"^(?:\s*--[^\n]*\n)*\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


@lru_cache(maxsize=4096)
def sql(text: str) -> str:
    """SQLite's dialect as PostgreSQL reads it: placeholders numbered, LIKE → ILIKE, a
    unary `+` before a column dropped.
    String literals, quoted names and comments are left as they are."""
    out: list[str] = []
    number = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if text[end] == ch:
                    if end + 1 < n and text[end + 1] == ch:  # '' inside a literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(text[i : end + 1])
            i = end + 1
        elif ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(text[i:end])
            i = end
        elif ch == "?":
            number += 1
            out.append(f"${number}")
            i += 1
        else:
            end = i
            while end < n and text[end] not in "'\"?-":
                end += 1
            if end == i:  # a lone '-'
                end += 1
            out.append(_UNARY_PLUS.sub(r"\1", _WORD_LIKE.sub("ILIKE", text[i:end])))
            i = end
    return "".join(out)


_DDL = (
    (re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.I),
     "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\s+AUTOINCREMENT\b", re.I), ""),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
)  # fmt: skip


def ddl(statement: str) -> str:
    """A migration's statement, written for SQLite, as PostgreSQL's DDL (see the module)."""
    for pattern, replacement in _DDL:
        statement = pattern.sub(replacement, statement)
    return sql(statement)


def _number(text: str) -> int | float:
    """A `numeric` as SQLite would have given it: an int when whole."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _to_int(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value  # let the server say what is wrong
    return value


def _to_text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _to_float(value: Any) -> Any:
    return float(value) if isinstance(value, int | str) else value


def _to_bytes(value: Any) -> Any:
    return value.encode() if isinstance(value, str) else value


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "int2": _to_int,
    "int4": _to_int,
    "int8": _to_int,
    "text": _to_text,
    "varchar": _to_text,
    "bpchar": _to_text,
    "float4": _to_float,
    "float8": _to_float,
    "bytea": _to_bytes,
}


async def _setup(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=_number, schema="pg_catalog", format="text"
    )


def _status_count(status: str | None) -> int:
    """The row count of a command status: `INSERT 0 1`, `UPDATE 3`, `DELETE 0`."""
    if not status:
        return 0
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _conflict(err: BaseException) -> bool:
    return getattr(err, "sqlstate", None) in ("40001", "40P01")


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    """The server's refusals for a concurrent transaction as `Conflict`, a broken
    connection as `Aborted`: either way the transaction is gone."""
    try:
        yield
    except asyncpg.PostgresError as err:
        if _conflict(err):
            raise Conflict(str(err)) from err
        raise
    except BROKEN as err:
        raise Aborted(f"the connection to the database broke: {err}") from err


class PgTx(Tx):
    """A transaction on one pool connection."""

    def __init__(self, db: PgDatabase, conn: Any) -> None:
        self._db = db
        self._conn = conn
        self._savepoints = itertools.count(1)
        self._notified: set[tuple[str, str]] = set()
        self.memo = {}
        self.wrote = False  # an INSERT, UPDATE or DELETE ran (PgDatabase.changes)

    async def _args(self, text: str, query: str, params: Sequence[Param]) -> list[Any]:
        """The parameters as the types the server inferred for them: learned once per
        statement (a prepare), then asyncpg's own statement cache serves it."""
        converters = self._db.converters.get(text)
        if converters is None:
            stmt = await self._conn.prepare(query)
            converters = tuple(_CONVERT.get(t.name) for t in stmt.get_parameters())
            self._db.converters[text] = converters
        return [
            value if convert is None or value is None else convert(value)
            for value, convert in zip(params, converters, strict=True)
        ]

    async def _run(self, text: str, params: Sequence[Param], *, want: str) -> Any:
        tracer = self._db.tracer
        if tracer is not None:
            tracer(text)
        query = sql(text)
        with _mapped_errors():
            args = await self._args(text, query, params)
            if want == "rows":
                return await self._conn.fetch(query, *args)
            if want == "row":
                return await self._conn.fetchrow(query, *args)
            self.wrote = True
            return _status_count(await self._conn.execute(query, *args))

    async def execute(self, sql_text: str, params: Sequence[Param] = ()) -> int:
        found = _INSERT.match(sql_text)
        if found and found.group(1).lower() in self._db.id_tables and "RETURNING" not in sql_text:
            self.wrote = True
            row = await self._run(sql_text + " RETURNING id", params, want="row")
            return int(row[0]) if row is not None else 0
        await self._run(sql_text, params, want="count")
        return 0

    async def execute_rowcount(self, sql_text: str, params: Sequence[Param] = ()) -> int:
        count: int = await self._run(sql_text, params, want="count")
        return count

    async def executemany(self, sql_text: str, rows: Iterable[Sequence[Param]]) -> None:
        for params in rows:
            await self._run(sql_text, params, want="count")

    async def fetchone(self, sql_text: str, params: Sequence[Param] = ()) -> Row | None:
        row: Row | None = await self._run(sql_text, params, want="row")
        return row

    async def fetchall(self, sql_text: str, params: Sequence[Param] = ()) -> list[Row]:
        rows: list[Row] = await self._run(sql_text, params, want="rows")
        return rows

    async def notify(self, channel: str, payload: str = "") -> None:
        if (channel, payload) in self._notified:
            return  # once per transaction is enough: it is delivered at the commit
        self._notified.add((channel, payload))
        await self._run("SELECT pg_notify(?, ?)", (self._db.channel(channel), payload), want="row")

    def savepoint(self) -> PgSavepoint:
        return PgSavepoint(self, f"sp{next(self._savepoints)}")

    async def raw(self, text: str) -> None:
        """A statement with no parameters, as it is (SAVEPOINT, BEGIN …)."""
        tracer = self._db.tracer
        if tracer is not None:
            tracer(text)
        with _mapped_errors():
            await self._conn.execute(text)


class PgSavepoint:
    def __init__(self, tx: PgTx, name: str) -> None:
        self._tx = tx
        self._name = name

    async def __aenter__(self) -> None:
        await self._tx.raw(f"SAVEPOINT {self._name}")

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc is None:
            await self._tx.raw(f"RELEASE SAVEPOINT {self._name}")
            return
        self._tx.memo.clear()
        if isinstance(exc, Aborted):
            return  # the whole transaction is to be given up (or run again)
        if _conflict(exc):
            raise Conflict(str(exc)) from exc
        try:
            await self._tx.raw(f"ROLLBACK TO SAVEPOINT {self._name}")
            await self._tx.raw(f"RELEASE SAVEPOINT {self._name}")
        except Aborted:
            raise
        except asyncpg.PostgresError as err:
            raise Aborted(f"could not undo a savepoint: {err}") from exc


class Lease:
    """One task that exactly one replica runs (the scheduler's ticks, a platform's
    outbox sender, the Matrix sync): a session advisory lock held on a connection of
    its own. The server releases it when that connection ends, so a replica that dies
    (or loses the database) loses it, and another takes it at its next try.

    `hold()` is asked before every batch of the task: it takes the lock if it is free,
    and for the holder it checks that the connection (hence the lock) is still there.
    """

    def __init__(self, db: PgDatabase, name: str) -> None:
        self._db = db
        self.name = name
        self._conn: asyncpg.Connection | None = None
        self._held = False
        self._lock = asyncio.Lock()

    @property
    def held(self) -> bool:
        """Whether the last `hold()` found it ours (no round trip)."""
        return self._held

    async def hold(self) -> bool:
        async with self._lock:
            try:
                conn: Any = self._conn
                if conn is None or conn.is_closed():
                    self._held = False
                    conn = self._conn = await asyncio.wait_for(
                        asyncpg.connect(self._db.url, server_settings=KEEPALIVE), LEASE_CHECK * 5
                    )
                if self._held:
                    await conn.fetchval("SELECT 1", timeout=LEASE_CHECK)
                    return True
                self._held = bool(
                    await conn.fetchval(
                        "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || $1, 0))",
                        f":{self.name}",
                        timeout=LEASE_CHECK,
                    )
                )
                if self._held:
                    log.info("this replica now runs %s", self.name)
                return self._held
            except (TimeoutError, asyncpg.PostgresError, *BROKEN) as err:
                if self._held:
                    log.warning("lost %s: %s", self.name, err)
                await self._drop()
                return False

    async def release(self) -> None:
        async with self._lock:
            await self._drop()

    async def _drop(self) -> None:
        self._held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), LEASE_CHECK)
            if not conn.is_closed():
                conn.terminate()


class PgDatabase:
    """A PostgreSQL database (one schema of it: the URL's `search_path`, else `public`)."""

    engine = "postgresql"

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self.path = shown(url)
        self._pool = pool
        self.tracer: Callable[[str], object] | None = None
        # Tables whose rows get an id from the database: INSERTs return it.
        self.id_tables: frozenset[str] = frozenset()
        self._listener: asyncpg.Connection | None = None
        self._schema = "public"
        # Per statement, how to convert each parameter (see `PgTx._args`).
        self.converters: dict[str, tuple[Callable[[Any], Any] | None, ...]] = {}
        # Transactions that wrote and committed through this process: what the web's
        # memo compares (SQLite's `Database.changes`). Other replicas' writes do not
        # move it; their effect shows in a replica's kept web answers the next minute.
        self.changes = 0

    @classmethod
    async def open(
        cls, url: str, *, migrations: list[Migration] | None = None, migrate: bool = True
    ) -> PgDatabase:
        from storage.db import load_migrations

        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=POOL_MIN,
                max_size=POOL_MAX,
                init=_setup,
                statement_cache_size=PREPARED,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise DatabaseError(f"{shown(url)}: cannot connect: {err}") from err
        db = cls(url, pool)
        try:
            steps = load_migrations() if migrations is None else migrations
            await db._migrate(steps, apply=migrate)
            await db._learn()
        except BaseException:
            await pool.close()
            raise
        return db

    def channel(self, name: str) -> str:
        """A NOTIFY channel of this schema's bot."""
        return f"coworkbot.{self._schema}.{name}"

    def trace(self, callback: Callable[[str], object] | None) -> None:
        self.tracer = callback

    async def _learn(self) -> None:
        async with self._pool.acquire() as conn:
            self._schema = await conn.fetchval("SELECT current_schema()")
            rows = await conn.fetch(
                "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                " WHERE c.relnamespace = current_schema()::regnamespace"
                " AND a.attname = 'id' AND a.attidentity <> ''"
            )
        self.id_tables = frozenset(r["relname"] for r in rows)

    @asynccontextmanager
    async def transaction(self, *, blind: bool = False) -> AsyncIterator[Tx]:
        """A SERIALIZABLE transaction on a pool connection: committed on success, rolled
        back on any exception; `Conflict` when the server refused it (run it again).

        `blind`: its writes do not depend on what it reads (marking rows by id), so READ
        COMMITTED is as right, and it is never refused for another's reads."""
        async with self._pool.acquire() as conn:
            tx = PgTx(self, conn)
            level = "READ COMMITTED" if blind else "SERIALIZABLE"
            await tx.raw(f"BEGIN ISOLATION LEVEL {level}")
            try:
                yield tx
            except BaseException:
                await self._rollback(conn)
                raise
            try:
                await tx.raw("COMMIT")
            except BaseException:
                await self._rollback(conn)
                raise
            if tx.wrote:
                self.changes += 1

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only transaction: it sees what is committed, and holds no one up."""
        async with self._pool.acquire() as conn:
            tx = PgTx(self, conn)
            await tx.raw("BEGIN READ ONLY")
            try:
                yield tx
            finally:
                await self._rollback(conn)

    async def _rollback(self, conn: asyncpg.Connection) -> None:
        if conn.is_closed():
            return
        try:
            if conn.is_in_transaction():
                await conn.execute("ROLLBACK")
        except (asyncpg.PostgresError, *BROKEN):
            conn.terminate()  # the pool replaces it

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        await self._pool.close()

    # -- replicas ---------------------------------------------------------------------

    def lease(self, name: str) -> Lease:
        return Lease(self, name)

    async def listen(self, name: str, callback: Callable[[str], object]) -> None:
        """Call `callback(payload)` whenever a transaction that `notify`d `name` commits
        (in any replica)."""
        if self._listener is None or self._listener.is_closed():
            self._listener = await asyncpg.connect(self.url, server_settings=KEEPALIVE)

        def received(conn: object, pid: int, channel: str, payload: str) -> None:
            callback(payload)

        await self._listener.add_listener(self.channel(name), received)

    async def vacuum(self, tables: Sequence[str]) -> None:
        """VACUUM these tables: the dead versions of changed and deleted rows go, and
        their space is free to be written over (README, "Erasure on PostgreSQL")."""
        async with self._pool.acquire() as conn:
            existing = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename = ANY($1::text[])",
                list(tables),
            )
            names = ", ".join(f'"{r["tablename"]}"' for r in existing)
            if names:
                await conn.execute(f"VACUUM {names}")

    # -- the schema -------------------------------------------------------------------

    async def schema_version(self) -> int:
        async with self._pool.acquire() as conn:
            return await _read_version(conn)

    async def _migrate(self, steps: list[Migration], *, apply: bool) -> None:
        """Bring the schema up to date under an advisory lock (replicas that start
        together migrate once, one after the other); refuse a schema newer than ours."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                "SELECT pg_advisory_lock(hashtextextended(current_schema() || ':migrate', 0))"
            )
            try:
                current = await _read_version(conn)
                known = steps[-1].version if steps else 0
                if current > known:
                    raise DatabaseError(
                        f"{self.path}: database schema version {current} is newer than this "
                        f"coworkbot knows ({known}); upgrade coworkbot or restore a backup"
                    )
                if apply and current < known:
                    await self._apply(conn, steps, current)
            finally:
                await conn.execute(
                    "SELECT pg_advisory_unlock(hashtextextended(current_schema() || ':migrate', 0))"
                )

    async def _apply(self, conn: asyncpg.Connection, steps: list[Migration], current: int) -> None:
        try:
            await conn.execute(NOCASE)
        except asyncpg.PostgresError as err:
            log.warning("no ICU on this server (%s): names sort case-sensitively", err)
            await conn.execute(NOCASE_FALLBACK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for step in steps:
            if step.version <= current:
                continue
            log.info("migrating database to version %d (%s)", step.version, step.name)
            async with conn.transaction():
                for statement in step.statements(self.engine):
                    await conn.execute(ddl(statement))
                    if copied := _MIGRATION_INSERT.match(statement):
                        await _identity_after_rows(conn, copied.group(1))
                await conn.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
                    step.version,
                    step.name,
                    to_db(datetime.now(UTC)),
                )

    async def backup(self, dest: Path) -> None:
        """A consistent copy with `pg_dump` (custom format: `pg_restore` reads it)."""
        pg_dump = shutil.which("pg_dump") or _server_tool("pg_dump")
        if pg_dump is None:
            raise DatabaseError(BACKUP_HOWTO)
        dest.parent.mkdir(parents=True, exist_ok=True)
        args = [pg_dump, "--format=custom", f"--file={dest}", f"--schema={self._schema}"]
        proc = await asyncio.create_subprocess_exec(
            *args, _dump_url(self.url), stderr=asyncio.subprocess.PIPE
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise DatabaseError(f"pg_dump failed: {err.decode(errors='replace').strip()}")


BACKUP_HOWTO = (
    "pg_dump is not installed here. Back the database up with PostgreSQL's own tools "
    "(Debian: apt-get install postgresql-client, then "
    "pg_dump --format=custom --file=coworkbot.dump 'postgresql://…'), or with the "
    "backups of the server that hosts it."
)


def _server_tool(name: str) -> str | None:
    """A program of the PostgreSQL installed here (Debian keeps them per version)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def _dump_url(url: str) -> str:
    """The URL for libpq's tools: without the query settings asyncpg takes as server
    settings (libpq refuses names it does not know); the schema goes in `--schema`."""
    return urlunsplit(urlsplit(url)._replace(query=""))


async def _identity_after_rows(conn: asyncpg.Connection, table: str) -> None:
    """The identity of `table`'s id, if it has one, goes on after its largest id. A
    migration that rebuilds a table (SQLite cannot change a CHECK in place) copies the
    rows with their ids, which an identity does not count: the next insert would take
    id 1 again."""
    sequence = await conn.fetchval(
        "SELECT pg_get_serial_sequence(c.oid::regclass::text, 'id')"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1"
        " AND a.attname = 'id' AND a.attidentity <> ''",
        table,
    )
    if sequence is not None:
        await conn.execute(
            f'SELECT setval($1, MAX(id)) FROM "{table}" HAVING MAX(id) IS NOT NULL', sequence
        )


async def _read_version(conn: asyncpg.Connection) -> int:
    found = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not found:
        return 0
    value = await conn.fetchval("SELECT MAX(version) FROM schema_version")
    return int(value or 0)
