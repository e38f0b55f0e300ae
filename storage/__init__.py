"""The only door into the data: `Store.transaction()` yields a `Session` of repositories.

Every read and write happens inside one exclusive transaction; repositories are plain
classes over the transaction's connection, one module per capability. A unit of work
is either the body of `async with store.transaction()` or a coroutine function given
to `store.run()`, which the engine calls inside the transaction: that form lets an
engine run it where it likes (and, on a database that can refuse a transaction, run it
again). Either way handlers touch the database only through the `Session`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from storage.costs import CostsRepo
from storage.db import Database, DatabaseError, Migration, Savepoint, Tx, load_migrations
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

__all__ = [
    "Database",
    "DatabaseError",
    "GroupCommit",
    "Migration",
    "Session",
    "Store",
    "Unit",
    "load_migrations",
]

T = TypeVar("T")


class Session:
    """The repositories of one transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def savepoint(self) -> Savepoint:
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
    def __init__(self, db: Database) -> None:
        self.db = db
        # Units of work from everyone (updates, the outbox's records) that share commits.
        self.group = GroupCommit(self)

    @classmethod
    async def open(cls, path: Path, *, migrations: list[Migration] | None = None) -> Store:
        return cls(await Database.open(path, migrations=migrations))

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
    async def read(self) -> AsyncIterator[Session]:
        """A transaction that only reads what is committed; it neither waits for the
        transactions that write nor holds them up. For readers that must not queue
        behind a batch of commands (the outbox looking for replies to send)."""
        async with self.db.read() as tx:
            yield Session(tx)

    async def run(self, work: Callable[[Session], Awaitable[T]]) -> T:
        """`work(session)` as one transaction; its result once that is committed."""
        async with self.transaction() as session:
            return await work(session)

    async def close(self) -> None:
        await self.db.close()
