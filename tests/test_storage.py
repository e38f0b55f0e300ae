"""The real SQLite file: pragmas, migrations (fresh, upgrade, too new), transactions, backup."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Session, Store
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


async def test_fund_ids_are_never_reused_and_the_rebuild_keeps_every_row(tmp_path: Path) -> None:
    """Migration 17 rebuilds the fund's tables with AUTOINCREMENT: an entry taken back
    (`bill remove`) must not give its number to the next one, and the rebuild keeps
    entries, splits, receipts and the links between them."""
    path = tmp_path / "bot.db"
    steps = load_migrations()
    assert steps[16].name == "fund_ids"
    old = await Database.open(path, migrations=steps[:16])
    now = "2026-11-25T09:00:00Z"
    async with old.transaction() as tx:
        await tx.execute("INSERT INTO spaces (id, name, created_at) VALUES (1, 'V', ?)", (now,))
        for member in (1, 2):
            await tx.execute(
                "INSERT INTO members (id, space_id, display_name, created_at) VALUES (?, 1, ?, ?)",
                (member, f"m{member}", now),
            )
        await tx.execute(
            "INSERT INTO receipts (id, space_id, filename, mime_type, size, sha256, content,"
            " created_at) VALUES (5, 1, 'r.pdf', 'application/pdf', 3, 'x', X'414243', ?)",
            (now,),
        )
        await tx.execute(
            "INSERT INTO fund_entries (id, space_id, kind, amount, currency, member_id,"
            " on_date, receipt_id, created_at)"
            " VALUES (7, 1, 'spent', 900, 'EUR', 1, '2026-11-25', 5, ?)",
            (now,),
        )
        await tx.execute(
            "INSERT INTO fund_splits (entry_id, member_id, amount) VALUES (7, 1, 450), (7, 2, 450)"
        )
    await old.close()

    new = await Database.open(path)
    async with new.transaction() as tx:
        entry = await tx.fetchall("SELECT id, amount, receipt_id FROM fund_entries")
        assert [tuple(r) for r in entry] == [(7, 900, 5)]
        splits = await tx.fetchall("SELECT entry_id, member_id, amount FROM fund_splits")
        assert sorted(tuple(r) for r in splits) == [(7, 1, 450), (7, 2, 450)]
        assert await tx.fetchval("SELECT content FROM receipts WHERE id = 5") == b"ABC"
        assert await tx.fetchall("PRAGMA foreign_key_check") == []
        # The newest entry and receipt taken back: the next ones get new numbers.
        await tx.execute("DELETE FROM fund_entries WHERE id = 7")  # its splits cascade
        assert await tx.fetchval("SELECT COUNT(*) FROM fund_splits") == 0
        await tx.execute("DELETE FROM receipts WHERE id = 5")
        receipt = await tx.execute(
            "INSERT INTO receipts (space_id, filename, mime_type, size, sha256, content,"
            " created_at) VALUES (1, 'r.pdf', 'application/pdf', 3, 'x', X'414243', ?)",
            (now,),
        )
        entry_id = await tx.execute(
            "INSERT INTO fund_entries (space_id, kind, amount, currency, on_date, created_at)"
            " VALUES (1, 'bill', 100, 'EUR', '2026-11-25', ?)",
            (now,),
        )
    assert (receipt, entry_id) == (6, 8)
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


def test_a_statement_may_be_for_one_engine_only() -> None:
    sql = (
        "CREATE TABLE a (x TEXT CHECK (x IN ('a')));\n"
        "-- widening the check\n-- sqlite only\nPRAGMA writable_schema = ON;\n"
        "-- postgresql only\nALTER TABLE a DROP CONSTRAINT a_x_check;\n"
        "CREATE INDEX a_x ON a (x);\n"
    )
    step = Migration(1, "t", sql)
    lasts = {e: [s.splitlines()[-1] for s in step.statements(e)] for e in ("sqlite", "postgresql")}
    assert lasts == {
        "sqlite": [
            "CREATE TABLE a (x TEXT CHECK (x IN ('a')));",
            "PRAGMA writable_schema = ON;",
            "CREATE INDEX a_x ON a (x);",
        ],
        "postgresql": [
            "CREATE TABLE a (x TEXT CHECK (x IN ('a')));",
            "ALTER TABLE a DROP CONSTRAINT a_x_check;",
            "CREATE INDEX a_x ON a (x);",
        ],
    }


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


async def test_a_read_sees_what_is_committed_and_waits_for_no_writer(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    async with store.transaction() as session:
        await session.spaces.create("Committed", now)
    async with store.transaction() as session:
        await session.spaces.create("Not yet", now)
        async with store.read() as reader:  # while the writer holds the database
            assert [s.name for s in await reader.spaces.all()] == ["Committed"]
            with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
                await reader.spaces.create("Sneaky", now)
    async with store.read() as reader:
        assert [s.name for s in await reader.spaces.all()] == ["Committed", "Not yet"]
    await store.close()


async def test_begin_waits_for_another_process_in_the_thread_not_in_the_loop(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "bot.db")
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # e.g. `coworkbot migrate` run by hand meanwhile
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with store.transaction() as session:
            await session.spaces.create("After", datetime(2026, 11, 25, tzinfo=UTC))

    ticker = asyncio.create_task(tick())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()
    assert ticks >= 10  # the event loop went on while BEGIN waited
    other.execute("COMMIT")
    await asyncio.wait_for(writer, 5)
    ticker.cancel()
    other.close()
    async with store.read() as reader:
        assert [s.name for s in await reader.spaces.all()] == ["After"]
    await store.close()


async def test_a_cancelled_commit_keeps_the_connection_until_it_ended(tmp_path: Path) -> None:
    """Cancelling a task whose COMMIT runs in the thread raises only once the COMMIT is
    over: the next transaction never finds the connection in use."""
    db = await Database.open(tmp_path / "bot.db")
    loop = asyncio.get_running_loop()
    slow = asyncio.create_task(db._to_the_end(time.sleep, 0.3))
    await asyncio.sleep(0.05)
    started = loop.time()
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert loop.time() - started >= 0.2
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO kv (key, value) VALUES ('k', 'v')")
    async with db.read() as tx:
        assert await tx.fetchval("SELECT value FROM kv") == "v"
    await db.close()


async def kv_keys(db: Database) -> list[str]:
    """The keys committed in `kv`, as another reader sees them."""
    async with db.read() as tx:
        return [r[0] for r in await tx.fetchall("SELECT key FROM kv ORDER BY key")]


async def test_a_savepoint_undoes_its_part_alone(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO kv (key, value) VALUES ('kept', '1')")
        with pytest.raises(RuntimeError):
            async with tx.savepoint():
                await tx.execute("INSERT INTO kv (key, value) VALUES ('undone', '2')")
                raise RuntimeError("one command broke")
        async with tx.savepoint():
            await tx.execute("INSERT INTO kv (key, value) VALUES ('after', '3')")
    assert await kv_keys(db) == ["after", "kept"]
    await db.close()


async def chats(session: Session, space_id: int) -> dict[str, str]:
    return {c.platform: c.chat_id for c in await session.spaces.chats(space_id)}


async def test_what_a_transaction_remembers_is_forgotten_with_an_undone_part(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "bot.db")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    async with store.transaction() as session:
        space = await session.spaces.create("Veglio", now)
        await session.spaces.bind_chat(space.id, "telegram", "-100")
        assert await chats(session, space.id) == {"telegram": "-100"}
        with pytest.raises(RuntimeError):
            async with session.savepoint():
                await session.spaces.bind_chat(space.id, "matrix", "!room")
                assert await chats(session, space.id) == {
                    "matrix": "!room",
                    "telegram": "-100",
                }
                raise RuntimeError("the command broke after binding")
        assert await chats(session, space.id) == {"telegram": "-100"}
    await store.close()


async def test_nested_savepoints_undo_the_inner_part_only(tmp_path: Path) -> None:
    """Savepoints share one name: the innermost is the one undone."""
    db = await Database.open(tmp_path / "bot.db")
    async with db.transaction() as tx, tx.savepoint():
        await tx.execute("INSERT INTO kv (key, value) VALUES ('outer', '1')")
        with pytest.raises(RuntimeError):
            async with tx.savepoint():
                await tx.execute("INSERT INTO kv (key, value) VALUES ('inner', '2')")
                raise RuntimeError("the inner part broke")
        await tx.execute("INSERT INTO kv (key, value) VALUES ('outer2', '3')")
    assert await kv_keys(db) == ["outer", "outer2"]
    await db.close()
