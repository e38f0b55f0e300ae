"""The bot as a real OS process on the file transport (tests/support/file_transport.py).

    python -m tests.support.crash_bot WORKDIR [--engine-run] [--stay] [--send-delay S]
                                      [--hang-sends] [--slow SECONDS]

Default ("script" mode, for tests/test_crash.py): the jobs run only when the script
says `tick` and once at every start, before any input, as the scheduler does; so a run
killed twenty times and one never killed see the same jobs at the same times.
`--engine-run` runs `App.run()` as `coworkbot run` does (real scheduler, SIGTERM),
for tests/test_stop.py; `--stay` keeps it running after the script, like a bot waiting
for messages; `--slow` adds a `/slow` command that takes that long (a handler in
progress); `--send-delay`/`--hang-sends` make the platform slow or unresponsive.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import coworkbot
from bot.app import App
from bot.clock import FakeClock
from bot.config import BotSection, Config
from bot.context import Context
from bot.flood import FloodGuard
from bot.i18n import Markup
from bot.registry import Role, Router
from tests.support.file_transport import FileTransport


def slow_router(seconds: float) -> Router:
    router = Router("slowtest")

    @router.command("slow", role=Role.ANYONE)
    async def slow(ctx: Context) -> None:
        await asyncio.sleep(seconds)
        await ctx.session.kv.set("slow", "done")
        await ctx.reply(Markup("slow done"))

    return router


async def script_mode(app: App, transport: FileTransport) -> int:
    async def tick() -> None:
        await app.outbox.flush()
        await app.scheduler.run_all()
        await app.outbox.flush()

    transport.on_tick = tick
    await app.start()
    app.dispatcher.flood = FloodGuard(limit=10**9)  # the script is fast on purpose
    app.outbox.start()
    await app.scheduler.run_all()  # every start runs the jobs once, before input
    transport.go.set()
    await transport.finished.wait()
    await app.stop()
    return 0


async def engine_mode(app: App, transport: FileTransport) -> int:
    transport.go.set()
    return await app.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--engine-run", action="store_true")
    parser.add_argument("--stay", action="store_true")
    parser.add_argument("--send-delay", type=float, default=0.0)
    parser.add_argument("--hang-sends", action="store_true")
    parser.add_argument("--slow", type=float, default=0.0)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    clock = FakeClock(datetime(2026, 11, 2, 7, 0, tzinfo=UTC))
    transport = FileTransport(
        args.workdir,
        clock,
        send_delay=args.send_delay,
        hang_sends=args.hang_sends,
        stay=args.stay,
    )
    routers = [*coworkbot.routers(), slow_router(args.slow)] if args.slow else coworkbot.routers()
    config = Config(
        path=None, bot=BotSection(data_dir=args.workdir / "data", default_language="en")
    )
    if args.engine_run:
        app = App(config, [transport], clock=clock, routers=routers)
        return asyncio.run(engine_mode(app, transport))
    app = App(config, [transport], clock=clock, routers=routers, background=False)
    return asyncio.run(script_mode(app, transport))


if __name__ == "__main__":
    sys.exit(main())
