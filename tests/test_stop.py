"""Graceful stop, with the bot as a real process running `App.run()`: SIGTERM lets the
handler in progress finish, delivers what is queued for up to ten seconds, closes the
database and exits 0; what could not be delivered is delivered at the next start, and
what was not read yet is read then."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.crash import RUN_TIMEOUT, delivered, start_bot

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
