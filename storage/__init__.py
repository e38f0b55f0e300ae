"""The only door into the data: `Store.transaction()` yields a `Session` of repositories.

Every read and write happens inside one exclusive transaction; repositories are plain
classes over the transaction's connection, one module per capability. A unit of work
is either the body of `async with store.transaction()` or a coroutine function given
to `store.run()`, which the engine calls inside the transaction: that form lets an
engine run it where it likes (and, on a database that can refuse a transaction, run it
again). Either way handlers touch the database only through the `Session`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from storage.costs import CostsRepo
from storage.db import (
    Conflict,
    Database,
    DatabaseError,
    Migration,
    TaskLease,
    Tx,
    is_postgres_url,
    load_migrations,
)
from storage.flood import FloodRepo
from storage.fund import FundRepo
from storage.groupcommit import GroupCommit, Unit
from storage.kv import KvRepo
from storage.matrix import MatrixRepo
from storage.matrix_crypto import MatrixCryptoRepo
from storage.members import MembersRepo
from storage.outbox import OutboxRepo
from storage.presence import PresenceRepo
from storage.privacy import PrivacyRepo
from storage.skills import SkillsRepo
from storage.spaces import SpacesRepo
from storage.updates import UpdatesRepo
from storage.web import WebRepo

if TYPE_CHECKING:
    from storage.postgres import PgDatabase

__all__ = [
    "Conflict",
    "Database",
    "DatabaseError",
    "GroupCommit",
    "Migration",
    "Session",
    "Store",
    "Unit",
    "load_migrations",
    "open_database",
]

T = TypeVar("T")

log = logging.getLogger(__name__)

# How many times a unit of work runs when the database keeps refusing it for a
# transaction beside it (PostgreSQL's serialization failures and deadlocks), and the
# first pause before running it again (doubled each time, with jitter).
RETRIES = 12
RETRY_PAUSE = 0.005
# Units of work in one transaction of the group commit at most, per engine. On
# PostgreSQL a conflict with another replica runs the whole batch again: there the
# size adapts to how often that happens (storage/groupcommit.py).
BATCH = {"sqlite": 100, "postgresql": 40}


class Engine(Protocol):
    """What the store needs of a database engine (storage/db.py, storage/postgres.py)."""

    engine: str
    path: object

    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    def read(self) -> AbstractAsyncContextManager[Tx]: ...

    def trace(self, callback: Callable[[str], object] | None) -> None: ...

    def lease(self, name: str) -> TaskLease: ...

    async def listen(self, name: str, callback: Callable[[str], object]) -> None: ...

    async def schema_version(self) -> int: ...

    async def vacuum(self, tables: Sequence[str]) -> None: ...

    async def backup(self, dest: Path) -> None: ...

    async def close(self) -> None: ...


class Session:
    """The repositories of one transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A part of the transaction that an exception undoes alone (see `Tx.savepoint`):
        one update of a batch that fails leaves the others' effects in place."""
        return self.tx.savepoint()

    @cached_property
    def spaces(self) -> SpacesRepo:
        return SpacesRepo(self.tx)

    @cached_property
    def members(self) -> MembersRepo:
        return MembersRepo(self.tx)

    @cached_property
    def outbox(self) -> OutboxRepo:
        return OutboxRepo(self.tx)

    @cached_property
    def updates(self) -> UpdatesRepo:
        return UpdatesRepo(self.tx)

    @cached_property
    def flood(self) -> FloodRepo:
        return FloodRepo(self.tx)

    @cached_property
    def kv(self) -> KvRepo:
        return KvRepo(self.tx)

    @cached_property
    def presence(self) -> PresenceRepo:
        return PresenceRepo(self.tx)

    @cached_property
    def skills(self) -> SkillsRepo:
        return SkillsRepo(self.tx)

    @cached_property
    def costs(self) -> CostsRepo:
        return CostsRepo(self.tx)

    @cached_property
    def fund(self) -> FundRepo:
        return FundRepo(self.tx)

    @cached_property
    def privacy(self) -> PrivacyRepo:
        return PrivacyRepo(self.tx)

    @cached_property
    def matrix(self) -> MatrixRepo:
        return MatrixRepo(self.tx)

    @cached_property
    def matrix_crypto(self) -> MatrixCryptoRepo:
        return MatrixCryptoRepo(self.tx)

    @cached_property
    def web(self) -> WebRepo:
        return WebRepo(self.tx)


class Store:
    def __init__(self, db: Database | PgDatabase) -> None:
        self.db: Database | PgDatabase = db
        # Units of work from everyone (updates, the outbox's records) that share commits.
        self.group = GroupCommit(self, batch=BATCH[db.engine], adaptive=db.engine == "postgresql")
        # Transactions the database refused for another beside them (run again).
        self.conflicts = 0

    @classmethod
    async def open(
        cls,
        target: Path | str,
        *,
        migrations: list[Migration] | None = None,
        migrate: bool = True,
    ) -> Store:
        """The database at `target`: a `postgresql://` URL, else an SQLite file's path."""
        return cls(await open_database(target, migrations=migrations, migrate=migrate))

    @property
    def engine(self) -> str:
        return self.db.engine

    def lease(self, name: str) -> TaskLease:
        """The right to run a task only one replica may run (see storage/postgres.py)."""
        return self.db.lease(name)

    async def listen(self, name: str, callback: Callable[[str], object]) -> None:
        """`callback(payload)` when another replica's transaction `notify`d `name`."""
        await self.db.listen(name, callback)

    async def vacuum(self, tables: Sequence[str]) -> None:
        """Have the database drop what is left of deleted rows in these tables."""
        await self.db.vacuum(tables)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        async with self.db.transaction() as tx:
            yield Session(tx)

    @property
    def version(self) -> int:
        """A number that moves whenever anything is written: what caches of stored data
        compare to know they are still true."""
        return self.db.changes

    @asynccontextmanager
    async def _transaction(self, blind: bool) -> AsyncIterator[Session]:
        """`blind`: writes that depend on nothing they read (rows marked by id); on
        PostgreSQL such a transaction runs READ COMMITTED (see PgDatabase.transaction)."""
        if blind and not isinstance(self.db, Database):
            async with self.db.transaction(blind=True) as tx:
                yield Session(tx)
            return
        async with self.db.transaction() as tx:
            yield Session(tx)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Session]:
        """A transaction that only reads what is committed; it neither waits for the
        transactions that write nor holds them up. For readers that must not queue
        behind a batch of commands (the outbox looking for replies to send)."""
        async with self.db.read() as tx:
            yield Session(tx)

    async def run(self, work: Callable[[Session], Awaitable[T]], *, blind: bool = False) -> T:
        """`work(session)` as one transaction; its result once that is committed.

        If the database refuses the transaction for one that ran beside it (`Conflict`:
        PostgreSQL with replicas), `work` runs again from the start in a new one, up to
        RETRIES times: units of work touch nothing but the session, so that is safe.
        `blind`: `work` writes nothing that depends on what it read (see `_transaction`).
        """
        pause = RETRY_PAUSE
        for attempt in range(1, RETRIES + 1):
            try:
                async with self._transaction(blind) as session:
                    return await work(session)
            except Conflict as err:
                self.conflicts += 1
                if attempt == RETRIES:
                    raise
                log.debug("transaction refused (%s); running it again (%d)", err, attempt)
                await asyncio.sleep(pause * random.uniform(0.5, 1.5))
                pause = min(pause * 2, 0.5)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.db.close()


async def open_database(
    target: Path | str, *, migrations: list[Migration] | None = None, migrate: bool = True
) -> Database | PgDatabase:
    """Open (and migrate) the database at `target`: a `postgresql://` URL or a file path."""
    if is_postgres_url(target):
        try:
            from storage.postgres import PgDatabase
        except ImportError as err:  # asyncpg is the `postgresql` extra
            raise DatabaseError(
                "PostgreSQL needs asyncpg: pip install 'coworkbot[postgresql]'"
            ) from err
        return await PgDatabase.open(str(target), migrations=migrations, migrate=migrate)
    return await Database.open(Path(target), migrations=migrations, migrate=migrate)
