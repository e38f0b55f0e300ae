"""Replicas of the bot as OS processes (`coworkbot run` in webhook mode) for
tests/test_replicas.py and bench/replicas.py."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.postgres import free_port

FASTER = 200  # Telegram's sending limits, 200 times faster on both sides
SECRET = "replica-secret"
ROOT = Path(__file__).resolve().parent.parent.parent


class Replica:
    def __init__(self, name: str, workdir: Path, config: str) -> None:
        self.name = name
        self.workdir = workdir
        self.port = free_port()
        self.config = workdir / "config.toml"
        workdir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(config.replace("PORT", str(self.port)), "utf-8")
        self.log = workdir / "replica.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/hook"

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.replica_bot", str(self.config), str(FASTER)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()

    async def ready(self, within: float = 120.0) -> None:
        """Until the webhook listens (the replica has migrated, applied its config and
        started its transport)."""
        deadline = time.monotonic() + within
        while True:
            assert self.proc is not None and self.proc.poll() is None, self.tail()
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            assert time.monotonic() < deadline, f"{self.name} did not start: {self.tail()}"
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None

    def tail(self) -> str:
        return self.log.read_text("utf-8", "replace")[-3000:] if self.log.exists() else ""

    def took(self, task: str) -> int:
        """How many times this replica took the lease of `task` (log lines)."""
        if not self.log.exists():
            return 0
        return self.log.read_text("utf-8", "replace").count(f"this replica now runs {task}")


def replica_config(
    server: FakeTelegram, data_dir: Path, people: list[int], url: str = "", *, spaces: int = 1
) -> str:
    """A replica's config: `people` are the admins (members at once) of `spaces` spaces,
    dealt out in turn; with a PostgreSQL `url`, `[cluster]` on; without, the SQLite file
    in `data_dir`."""
    database = f'[database]\nurl = "{url}"\n\n[cluster]\n' if url else ""
    tables = []
    for n in range(spaces):
        admins = ", ".join(f'"telegram:{p}"' for p in people[n::spaces])
        tables.append(
            f'[[spaces]]\nname = "Hub {n + 1}"\nlanguage = "en"\njoin = "open"\n'
            f"admins = [{admins}]\n"
        )
    return f"""
[bot]
data_dir = "{data_dir}"
default_language = "en"
log_level = "INFO"

{database}
[telegram]
token = "{TOKEN}"
api_base_url = "{server.base_url}"
mode = "webhook"
webhook_url = "https://bot.example.org/telegram/hook"
listen = "127.0.0.1"
port = PORT
secret_token = "{SECRET}"

""" + "\n".join(tables)


async def wait_until(check: Callable[[], bool], what: str, within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
