"""Graceful stop, with the bot as a real process running `App.run()`: SIGTERM lets the
handler in progress finish, delivers what is queued for up to ten seconds, closes the
database and exits 0; what could not be delivered is delivered at the next start, and
what was not read yet is read then."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage import Store
from storage.members import MemberRole, MemberStatus
from storage.outbox import NewOutboxItem
from tests.support.crash import RUN_TIMEOUT, delivered, start_bot
from tests.support.fake_telegram import FakeChat, FakeTelegram, FakeUser

pytestmark = pytest.mark.crash

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def write_script(
    workdir: Path, commands: list[tuple[str, str, str]], *, later: int | None = None
) -> None:
    """The commands a minute after START; from index `later` on, a minute after that (the
    file transport hands the messages of one moment over together, as one answer)."""
    lines: list[dict[str, Any]] = [{"at": START.isoformat(), "tick": True}]
    for n, (user, chat, text) in enumerate(commands):
        minutes = 2 if later is not None and n >= later else 1
        at = (START + timedelta(minutes=minutes)).isoformat()
        lines.append({"at": at, "user": user, "name": user.title(), "chat": chat, "text": text})
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "script.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")


SETUP = [("anna", "group", "/setup Veglio"), ("anna", "group", "/set join open")] + [
    (user, "group", "/join") for user in ("bruno", "carla", "dario")
]


def trace(workdir: Path) -> list[str]:
    path = workdir / "trace.log"
    return path.read_text("utf-8").splitlines() if path.exists() else []


def wait_for(workdir: Path, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT
    while not any(line.split(" ", 1)[1] == what for line in trace(workdir)):
        assert proc.poll() is None, f"the bot exited before {what!r}"
        assert time.monotonic() < deadline, f"no {what!r} in the trace"
        time.sleep(0.01)


def query(workdir: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(workdir / "data" / "coworkbot.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def closed_cleanly(workdir: Path) -> bool:
    """SQLite folds the WAL back and removes it when the last connection closes."""
    return not (workdir / "data" / "coworkbot.db-wal").exists()


def test_sigterm_finishes_the_handler_in_progress(tmp_path: Path) -> None:
    write_script(
        tmp_path,
        [
            *SETUP,
            ("anna", "group", "/slow"),
            ("bruno", "group", "/who"),
            ("bruno", "private", "/me"),
        ],
        later=len(SETUP) + 1,  # not read with /slow: in the next answer
    )
    slow = len(SETUP) + 1  # its line in the script
    proc = start_bot(tmp_path, "--engine-run", "--stay", "--slow", "2")
    wait_for(tmp_path, proc, f"recv {slow}")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=RUN_TIMEOUT) == 0

    lines = [line.split(" ", 1)[1] for line in trace(tmp_path)]
    assert f"done {slow}" in lines and f"recv {slow + 1}" not in lines
    assert lines[-1] == f"stopped {slow + 1}"  # what it read is confirmed, no more
    assert query(tmp_path, "SELECT value FROM kv WHERE key = 'slow'") == [("done",)]
    assert "slow done" in [s["html"] for s in delivered(tmp_path)]
    assert query(tmp_path, "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'") == [(0,)]
    assert closed_cleanly(tmp_path)

    # The next start reads on from there; nothing was lost or done twice.
    assert start_bot(tmp_path, "--engine-run").wait(timeout=RUN_TIMEOUT) == 0
    replies = [s["reply_to"] for s in delivered(tmp_path)]
    assert replies.count(f"m{slow}") == 1
    assert replies.count(f"m{slow + 1}") == 1 and replies.count(f"m{slow + 2}") == 1
    assert query(tmp_path, "SELECT COUNT(*) FROM processed_updates") == [(slow + 2,)]


def test_sigterm_delivers_the_queue_before_leaving(tmp_path: Path) -> None:
    who = [(user, "group", "/who") for user in ("bruno", "carla", "dario") * 8]
    write_script(tmp_path, [*SETUP, *who])
    proc = start_bot(tmp_path, "--engine-run", "--stay", "--send-delay", "0.1")
    wait_for(tmp_path, proc, "end")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=RUN_TIMEOUT) == 0
    rows = query(tmp_path, "SELECT id, state FROM outbox")
    assert len(rows) >= len(SETUP) + len(who)
    assert {state for _, state in rows} == {"sent"}
    assert sorted(s["key"] for s in delivered(tmp_path)) == sorted(i for i, _ in rows)
    assert closed_cleanly(tmp_path)


def test_sigterm_with_the_platform_hanging_leaves_after_the_grace(tmp_path: Path) -> None:
    write_script(tmp_path, [*SETUP, ("bruno", "group", "/who")])
    proc = start_bot(tmp_path, "--engine-run", "--stay", "--hang-sends")
    wait_for(tmp_path, proc, "end")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=RUN_TIMEOUT) == 0
    assert delivered(tmp_path) == []
    pending = query(tmp_path, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0]
    assert pending == len(SETUP) + 1  # kept, not lost
    assert query(tmp_path, "PRAGMA integrity_check") == [("ok",)]
    assert closed_cleanly(tmp_path)

    # At the next start, with the platform back, all of it goes out, once.
    assert start_bot(tmp_path, "--engine-run").wait(timeout=RUN_TIMEOUT) == 0
    keys = [s["key"] for s in delivered(tmp_path)]
    assert len(keys) == len(set(keys)) == pending
    assert query(tmp_path, "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'") == [(0,)]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_sigterm_with_a_telegram_group_backlog_ends_within_ten_seconds(
    tmp_path: Path,
) -> None:
    """`coworkbot run` on the real Telegram transport with Telegram's own limits: a group
    150 messages behind waits 3 s a message. SIGTERM must end the process before a
    container's SIGKILL (ten seconds), and what was not delivered stays queued."""
    server = FakeTelegram()  # the real limits: 20 a minute in a group
    await server.start()
    try:
        anna = server.user("Anna")
        group = server.group("Veglio", creator=anna)
        data = tmp_path / "data"
        await queue_group_backlog(data / "coworkbot.db", anna, group, 150)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[bot]\ndata_dir = "{data}"\ndefault_language = "en"\n\n'
            f'[telegram]\ntoken = "{server.token}"\napi_base_url = "{server.base_url}"\n',
            "utf-8",
        )
        log = (tmp_path / "coworkbot.log").open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "coworkbot",
            "run",
            "--config",
            str(config),
            stdout=log,
            stderr=log,
        )
        try:
            for _ in range(RUN_TIMEOUT * 10):  # its first 20 go out at once, then it waits
                if len(server.to(group)) >= 20 or proc.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            assert proc.returncode is None, (tmp_path / "coworkbot.log").read_text()
            proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            assert await asyncio.wait_for(proc.wait(), 30) == 0
            assert time.monotonic() - signalled < 10
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            log.close()
        sent = [s.html for s in server.to(group)]
        assert len(sent) == len(set(sent)) < 150  # each once, and the backlog was real
        still = query(tmp_path, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0]
        assert still == 150 - len(sent)  # the rest waits for the next start
        assert closed_cleanly(tmp_path)
    finally:
        await server.close()


async def queue_group_backlog(path: Path, admin: FakeUser, group: FakeChat, count: int) -> None:
    """A space bound to the group, with `count` group messages waiting."""
    store = await Store.open(path)
    try:
        async with store.transaction() as session:
            space = await session.spaces.create("Veglio", START, language="en")
            await session.spaces.bind_chat(space.id, "telegram", str(group.id))
            await session.members.create(
                space.id,
                f"telegram:{admin.id}",
                admin.first_name,
                START,
                role=MemberRole.ADMIN,
                status=MemberStatus.ACTIVE,
            )
            for n in range(count):
                item = NewOutboxItem("telegram", str(group.id), False, f"message {n + 1}")
                await session.outbox.enqueue(item, START)
    finally:
        await store.close()
