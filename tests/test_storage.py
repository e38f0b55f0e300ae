"""The real SQLite file: pragmas, migrations (fresh, upgrade, too new), transactions, backup."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Store
from storage.db import Database, DatabaseError, Migration, load_migrations


async def test_fresh_database_has_every_migration_and_the_pragmas(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    steps = load_migrations()
    assert await db.schema_version() == steps[-1].version
    async with db.transaction() as tx:
        assert await tx.fetchval("PRAGMA journal_mode") == "wal"
        assert await tx.fetchval("PRAGMA synchronous") == 2  # FULL
        assert await tx.fetchval("PRAGMA foreign_keys") == 1
        tables = {
            r[0] for r in await tx.fetchall("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert {"spaces", "members", "identities", "outbox", "processed_updates", "kv"} <= tables
    await db.close()


async def test_upgrade_from_an_earlier_migration_list_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    steps = load_migrations()
    old = await Database.open(path, migrations=steps[:1])
    assert await old.schema_version() == 1
    async with old.transaction() as tx:
        await tx.execute(
            "INSERT INTO spaces (name, created_at) VALUES ('Old', '2026-01-01T00:00:00Z')"
        )
    await old.close()

    new = await Database.open(path)
    assert await new.schema_version() == steps[-1].version
    async with new.transaction() as tx:
        assert await tx.fetchval("SELECT name FROM spaces") == "Old"
        applied = [r[0] for r in await tx.fetchall("SELECT version FROM schema_version ORDER BY 1")]
    assert applied == [m.version for m in steps]
    await new.close()


async def test_a_failing_step_is_rolled_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    steps = load_migrations()[:1]
    bad = Migration(2, "broken", "CREATE TABLE half (id INTEGER);\nINSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError):
        await Database.open(path, migrations=[*steps, bad])
    db = await Database.open(path, migrations=steps)
    async with db.transaction() as tx:
        assert await tx.fetchval("SELECT name FROM sqlite_master WHERE name='half'") is None
    assert await db.schema_version() == 1
    await db.close()


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 'x')"
        )
    await db.close()
    with pytest.raises(DatabaseError, match="newer than this coworkbot"):
        await Database.open(path)


def test_statements_keep_triggers_whole() -> None:
    sql = (
        "CREATE TABLE a (x INTEGER);\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = 1;\n  SELECT 1;\nEND;\n"
        "-- a closing comment\n"
    )
    statements = Migration(1, "t", sql).statements()
    assert len(statements) == 2 and statements[1].startswith("CREATE TRIGGER")


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        async with store.transaction() as session:
            await session.spaces.create("Gone", now)
            raise RuntimeError("handler broke")
    async with store.transaction() as session:
        assert await session.spaces.all() == []
    await store.close()


async def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    async with store.transaction() as session:
        await session.spaces.create("Veglio", now)
    await store.db.backup(tmp_path / "copy.db")
    await store.close()
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT name FROM spaces").fetchall() == [("Veglio",)]
    copy.close()


async def test_processed_updates_dedupe_and_prune(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    early = datetime(2026, 1, 1, tzinfo=UTC)
    late = datetime(2026, 3, 1, tzinfo=UTC)
    async with store.transaction() as session:
        assert await session.updates.mark_processed("telegram:1", early)
        assert not await session.updates.mark_processed("telegram:1", late)
        assert await session.updates.mark_processed("telegram:2", late)
        assert await session.updates.prune(datetime(2026, 2, 1, tzinfo=UTC)) == 1
        assert await session.updates.mark_processed("telegram:1", late)
    await store.close()
