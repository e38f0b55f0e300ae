"""Figure group 7: the web server (`--only web`).

- **SpaceAPI requests/s**: `GET /spaces/<slug>/spaceapi.json` of the real bot (its own
  process, bench/webserve.py) against a bare aiohttp handler returning the same bytes with
  the same headers (its own process too), in alternating rounds, best of each; and the
  server's CPU time per request, which the load on a shared machine barely moves.
- **Presence hook, request to stored check-in**: `POST /spaces/<slug>/presence` of a
  device that arrives, one after another for different members; the check-in is committed
  before the answer, so the answer's time is the time to the stored visit (checked in the
  database afterwards). Baseline: a bare aiohttp handler echoing the same body.
- **RSS before and after the first chart**: the bot's resident memory idle, then after
  `GET /spaces/<slug>/chart.png` draws its first chart (matplotlib, in a process of its
  own), two seconds later.

The load comes from a minimal HTTP/1.1 client on raw asyncio streams (keep-alive, N
connections), far lighter than the servers, so the figures are the servers'.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.growth import rss_kib
from bench.memory import stop
from bench.report import Figure, Group, percentile
from bench.webserve import BENCH_TOKEN, CHART, PAGE, PRESENCE, SPACEAPI, device
from bench.world import Options

CONCURRENCY = 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/<pid>/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Connection:
    """One keep-alive HTTP/1.1 connection: a request written, its answer read, again."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(
        self, method: str, path: str, body: bytes = b"", auth: str = ""
    ) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if auth:
            head += f"Authorization: Bearer {auth}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def rate(port: int, path: str, seconds: float) -> int:
    """Requests answered 200 in `seconds`, CONCURRENCY connections asking one after another."""
    connections = [await Connection.open(port) for _ in range(CONCURRENCY)]
    deadline = time.perf_counter() + seconds
    done = 0

    async def work(conn: Connection) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            status, _ = await conn.request("GET", path)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status}")
            done += 1

    await asyncio.gather(*(work(c) for c in connections))
    for conn in connections:
        await conn.close()
    return done


@dataclass
class Server:
    proc: asyncio.subprocess.Process
    port: int

    @classmethod
    async def start(cls, *args: str) -> Server:
        port = free_port()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.webserve",
            *args[:2],
            str(port),
            *args[2:],
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        if line.strip() != b"ready":
            raise RuntimeError(f"bench.webserve {args[0]} did not start")
        return cls(proc, port)

    async def stop(self) -> None:
        await stop(self.proc)


async def throughput(
    bot: Server, bare: Server, rounds: int, seconds: float
) -> tuple[float, float, float, float]:
    """Best requests/s of each, and each one's least CPU seconds per request."""
    best = {"bot": 0.0, "bare": 0.0}
    cpu = {"bot": float("inf"), "bare": float("inf")}
    for _ in range(rounds):
        for name, server in (("bot", bot), ("bare", bare)):
            before = cpu_seconds(server.proc.pid)
            count = await rate(server.port, SPACEAPI, seconds)
            used = cpu_seconds(server.proc.pid) - before
            best[name] = max(best[name], count / seconds)
            cpu[name] = min(cpu[name], used / max(count, 1))
    return best["bot"], best["bare"], cpu["bot"], cpu["bare"]


async def hook_latencies(
    bot: Server, bare: Server, arrivals: int
) -> tuple[list[float], list[float]]:
    """Milliseconds from each arrival's request to its answer, and the echo's."""
    conn = await Connection.open(bot.port)
    times: list[float] = []
    for i in range(arrivals):
        body = json.dumps({"device": device(i), "present": True}).encode()
        start = time.perf_counter()
        status, answer = await conn.request("POST", PRESENCE, body, BENCH_TOKEN)
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError(f"presence hook: {status} {answer!r}")
    await conn.close()
    echo = await Connection.open(bare.port)
    base: list[float] = []
    for i in range(arrivals):
        body = json.dumps({"device": device(i), "present": True}).encode()
        start = time.perf_counter()
        await echo.request("POST", "/echo", body)
        base.append((time.perf_counter() - start) * 1000)
    await echo.close()
    return times, base


def open_visits(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return int(
            conn.execute("SELECT COUNT(*) FROM visits WHERE checkout_at IS NULL").fetchone()[0]
        )


async def run(options: Options) -> Group:
    group = Group("web", "7. The web server")
    work = options.data_dir / "web"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    members = 150 if options.quick else 600
    arrivals = members - members // 3  # those not in yet
    rounds, seconds = (2, 2.0) if options.quick else (3, 5.0)

    bot = await Server.start("bot", str(work / "bot"), str(members))
    bare: Server | None = None
    try:
        conn = await Connection.open(bot.port)
        status, body = await conn.request("GET", SPACEAPI)
        assert status == 200, body
        # Warm, as a bot that has been running is: the status page (the chart is its
        # picture) loads the day and number formats the chart's labels use.
        for _ in range(50):
            await conn.request("GET", SPACEAPI)
        await conn.request("GET", PAGE)
        await asyncio.sleep(2)
        before = rss_kib(bot.proc.pid)
        start = time.perf_counter()
        status, png = await conn.request("GET", CHART)
        drawn = time.perf_counter() - start
        assert status == 200 and png.startswith(b"\x89PNG"), status
        await asyncio.sleep(2)
        after = rss_kib(bot.proc.pid)
        await conn.close()
        (work / "spaceapi.json").write_bytes(body)
        bare = await Server.start("bare", str(work / "spaceapi.json"))

        bot_rate, bare_rate, bot_cpu, bare_cpu = await throughput(bot, bare, rounds, seconds)
        group.add(
            Figure(
                "SpaceAPI requests/s",
                bot_rate,
                "req/s",
                bare_rate,
                "bare aiohttp handler, same bytes",
                better="higher",
                note=f"{CONCURRENCY} keep-alive connections, best of {rounds} rounds of "
                f"{seconds:g} s; {len(body)} bytes",
            )
        )
        group.add(
            Figure(
                "SpaceAPI server CPU per request",
                bot_cpu * 1e6,
                "µs",
                bare_cpu * 1e6,
                "bare aiohttp handler",
            )
        )

        in_before = open_visits(work / "bot" / "coworkbot.db")
        times, base = await hook_latencies(bot, bare, arrivals)
        stored = open_visits(work / "bot" / "coworkbot.db") - in_before
        if stored != arrivals:
            raise RuntimeError(f"{arrivals} arrivals posted, {stored} check-ins stored")
        group.add(
            Figure(
                "presence hook, request to stored check-in (p50)",
                percentile(times, 50),
                "ms",
                percentile(base, 50),
                "bare aiohttp echo of the same body",
                note=f"p99 {percentile(times, 99):.1f} ms (echo {percentile(base, 99):.2f} ms); "
                f"{arrivals} arrivals, each stored before its answer",
            )
        )
        group.add(
            Figure(
                "RSS after the first chart",
                after / 1024,
                "MiB",
                before / 1024,
                "the same process idle before it",
                note=f"{(after - before) / 1024:+.1f} MiB; drawn in {drawn:.1f} s by a process "
                "of its own",
            )
        )
    finally:
        await bot.stop()
        if bare is not None:
            await bare.stop()
    shutil.rmtree(work, ignore_errors=True)
    return group
