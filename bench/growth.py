"""The child process of figure group 4 that runs 100,000 commands and reports its memory.

    python -m bench.growth DATA_DIR COMMANDS

It is the real App (outbox sender and scheduler running) on the memory transport, fed
`checkin`/`checkout` pairs from 200 members of 20 spaces as in group 1. It prints one
JSON line per checkpoint: `{"commands": n, "rss_kib": ..., "seconds": ...}`. Running in
its own process keeps the parent's objects out of the resident size.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from bench.throughput import BotUnderLoad
from bench.world import quiet


def rss_kib(pid: int | str = "self") -> int:
    """Resident set size from /proc (Linux), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc status")


def report(commands: int, start: float) -> None:
    line = {"commands": commands, "rss_kib": rss_kib(), "seconds": time.perf_counter() - start}
    print(json.dumps(line), flush=True)


async def main(data_dir: Path, total: int) -> None:
    bot = BotUnderLoad(data_dir, timing=False)
    await bot.start()
    base = bot.transport.count
    start = time.perf_counter()
    report(0, start)
    step = max(1000, total // 10)
    done = 0
    try:
        while done < total:
            batch = bot.workload(min(step, total - done))
            for msg in batch:
                await bot.transport.receive(msg)
            done += len(batch)
            await bot.transport.wait_count(base + done)  # every reply delivered
            report(done, start)
        await bot.app.outbox.flush()
        report(done, start)
    finally:
        await bot.stop()


if __name__ == "__main__":
    quiet()
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
