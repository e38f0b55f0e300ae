"""Figure group 4: memory and start.

- `coworkbot run` (the real command, in its own process) idle with both transports
  configured: Telegram against the fake Bot API server, Matrix against a local Synapse
  started as the test suite starts it. Its resident memory is set against a bare
  `python -c "import telegram, nio, sqlite3, apscheduler"`, and its time from start to
  the first getUpdates poll against that bare import's time.
- Growth: the resident memory of the App after 100,000 commands (bench/growth.py, its
  own process), against its resident memory before them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.growth import rss_kib
from bench.report import Figure, Group
from bench.world import Options
from tests.support.fake_telegram import FakeTelegram
from tests.support.synapse.server import SynapseServer

BARE_IMPORTS = "import telegram, nio, sqlite3, apscheduler"
BOT_LOCALPART = "coworkbot"
BOT_PASSWORD = "bench horse battery staple"  # a throwaway account on a local Synapse


class PollWatch(FakeTelegram):
    """The fake server, noting when the first getUpdates arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.first_poll: float | None = None

    async def _api_getUpdates(self, p: dict[str, Any], files: Any) -> Any:
        if self.first_poll is None:
            self.first_poll = time.monotonic()
        return await super()._api_getUpdates(p, files)


@dataclass(frozen=True)
class Idle:
    rss_mib: float
    first_poll: float  # seconds from spawn
    first_sync: float | None  # seconds from spawn to the first Matrix sync saved


def mib(kib: float) -> float:
    return kib / 1024


async def bare(settle: float) -> tuple[float, float]:
    """(RSS MiB, seconds to import) of a bare python importing the four libraries."""
    code = f"{BARE_IMPORTS}; import sys, time; print('ready', flush=True); time.sleep(60)"
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        await proc.stdout.readline()
        seconds = time.monotonic() - start
        await asyncio.sleep(settle)
        return mib(rss_kib(proc.pid)), seconds
    finally:
        proc.kill()
        await proc.wait()


def write_config(
    path: Path, data_dir: Path, telegram: FakeTelegram, synapse: SynapseServer
) -> None:
    path.write_text(
        "[bot]\n"
        f'data_dir = "{data_dir}"\n'
        'default_language = "it"\n'
        'log_level = "WARNING"\n\n'
        "[telegram]\n"
        f'token = "{telegram.token}"\n'
        f'api_base_url = "{telegram.base_url}"\n\n'
        "[matrix]\n"
        f'homeserver = "{synapse.url}"\n'
        f'user_id = "{synapse.user_id(BOT_LOCALPART)}"\n'
        f'password = "{BOT_PASSWORD}"\n\n'
        "[[spaces]]\n"
        'name = "Coworking Bench"\n'
        "telegram_chat_id = -1001000000001\n"
        f'admins = ["telegram:500001", "matrix:{synapse.user_id("anna")}"]\n'
    )


def synced(database: Path) -> bool:
    """Whether the bot saved a Matrix sync position yet (read-only, beside the bot)."""
    if not database.exists():
        return False
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        try:
            row = conn.execute("SELECT 1 FROM kv WHERE key LIKE 'matrix.next_batch:%'").fetchone()
        except sqlite3.OperationalError:
            return False
        return row is not None


async def idle_bot(work: Path, synapse: SynapseServer, settle: float) -> Idle:
    telegram = PollWatch()
    await telegram.start()
    data_dir = work / "bot"
    data_dir.mkdir(parents=True)
    config = work / "config.toml"
    write_config(config, data_dir, telegram, synapse)
    # `coworkbot` is coworkbot:main; run as a module it is the code beside the bench.
    command = [sys.executable, "-m", "coworkbot"]
    log = (work / "coworkbot.log").open("wb")
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *command, "run", "--config", str(config), stdout=log, stderr=log
    )
    try:
        first_sync: float | None = None
        deadline = start + 120
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"coworkbot exited: {(work / 'coworkbot.log').read_text()}")
            if first_sync is None and synced(data_dir / "coworkbot.db"):
                first_sync = time.monotonic() - start
            if telegram.first_poll is not None and first_sync is not None:
                break
            await asyncio.sleep(0.02)
        if telegram.first_poll is None:
            raise RuntimeError("coworkbot never polled Telegram")
        await asyncio.sleep(settle)
        rss = mib(rss_kib(proc.pid))
        return Idle(rss, telegram.first_poll - start, first_sync)
    finally:
        await stop(proc)
        log.close()
        await telegram.close()


async def stop(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM, as a service manager stops the bot; SIGKILL if it takes too long."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def growth(work: Path, commands: int) -> list[dict[str, float]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.growth",
        str(work),
        str(commands),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    points = [json.loads(line) async for line in proc.stdout]
    if await proc.wait() != 0:
        raise RuntimeError("bench.growth failed")
    return points


def start_synapse(base: Path) -> SynapseServer:
    server = SynapseServer(base)
    server.start()
    server.register(BOT_LOCALPART, BOT_PASSWORD)
    server.register("anna", BOT_PASSWORD)
    return server


async def run(options: Options) -> Group:
    group = Group("memory", "4. Memory and start")
    work = options.data_dir / "memory"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    settle = 3.0 if options.quick else 10.0

    synapse = await asyncio.to_thread(start_synapse, work / "synapse")
    try:
        base_rss, base_seconds = await bare(settle)
        idle = await idle_bot(work, synapse, settle)
    finally:
        await asyncio.to_thread(synapse.stop)
    group.add(
        Figure(
            "RSS of `coworkbot run` idle, both transports",
            idle.rss_mib,
            "MiB",
            base_rss,
            "python importing telegram, nio, sqlite3, apscheduler",
            note=f"after {settle:g} s idle",
        )
    )
    group.add(
        Figure(
            "start to first Telegram poll",
            idle.first_poll,
            "s",
            base_seconds,
            "that bare import",
            note="first Matrix sync saved after "
            + (f"{idle.first_sync:.2f} s" if idle.first_sync is not None else "—"),
        )
    )

    commands = 20_000 if options.quick else 100_000
    points = await growth(work / "growth", commands)
    first, last = points[0], points[-1]
    group.add(
        Figure(
            f"RSS after {commands:,} commands",
            mib(last["rss_kib"]),
            "MiB",
            mib(first["rss_kib"]),
            "the same process before them",
            note=f"{mib(last['rss_kib'] - first['rss_kib']):+.1f} MiB, "
            f"{commands / (last['seconds'] or 1):.0f} commands/s",
        )
    )
    tenth = points[1] if len(points) > 2 else first
    group.note(
        f"after the first tenth ({int(tenth['commands']):,} commands) to the end: "
        f"{mib(last['rss_kib'] - tenth['rss_kib']):+.1f} MiB"
    )
    curve = ", ".join(f"{int(p['commands']) // 1000}k: {mib(p['rss_kib']):.0f}" for p in points)
    group.note(f"RSS MiB along the way: {curve}")
    shutil.rmtree(work, ignore_errors=True)
    return group
