"""The servers of figure group 7, each in its own process (`python -m bench.webserve`).

    python -m bench.webserve bot DATA_DIR PORT MEMBERS   # the real App with [web]
    python -m bench.webserve bare BODY_FILE PORT         # a bare aiohttp handler

`bot` is the App `coworkbot run` builds (SQLite with `synchronous=FULL`, the outbox and
the scheduler running, the system's clock) on the memory transport, with one space of MEMBERS
members, each with a registered device, a third of them in and some public, and the
presence hook's token BENCH_TOKEN. `bare` answers the SpaceAPI path with the bytes of
BODY_FILE and the same headers, and `POST /echo` with the body it got: the least an
aiohttp server can do. Each prints `ready` once it listens, and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from datetime import timedelta
from pathlib import Path

from aiohttp import web

import coworkbot
from bot.app import App
from bot.clock import SystemClock
from bot.config import BotSection, Config, SpaceSection, WebSection
from bot.transports.memory import MemoryTransport
from handlers.web.base import token_hash
from storage.members import MemberStatus
from storage.presence import ClosedBy, Closing

BENCH_TOKEN = "bench-token-not-a-secret"
SLUG = "bench"
SPACEAPI = f"/spaces/{SLUG}/spaceapi.json"
PRESENCE = f"/spaces/{SLUG}/presence"
CHART = f"/spaces/{SLUG}/chart.png"
PAGE = f"/spaces/{SLUG}/"
HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}


def device(i: int) -> str:
    return f"bench-device-{i}"


async def populate(app: App, members: int) -> None:
    """Members with devices; a third in (a few of them public), a month of past visits."""
    now = app.clock.now()
    async with app.store.transaction() as session:
        space = await session.spaces.by_slug(SLUG)
        assert space is not None
        await session.web.set_token(space.id, token_hash(BENCH_TOKEN), now)
        for i in range(members):
            member = await session.members.create(
                space.id, f"memory:bench{i}", f"Member {i}", now, status=MemberStatus.ACTIVE
            )
            await session.web.add_device(space.id, member.id, device(i), "", now)
            if i % 10 == 0:
                await session.members.set_visibility(member.id, "public")
            if i % 3 == 0:
                for back in range(1, 29, 3):
                    when = now.replace(hour=8) - timedelta(days=back)
                    day = when.astimezone(space.tz).date()
                    visit = await session.presence.check_in(space.id, member.id, day, when, "")
                    end = when + timedelta(hours=6)
                    await session.presence.close([Closing(visit.id, end, ClosedBy.MEMBER)])
        # The members who are in now are the last third, so the hook's arrivals are new.
        for i in range(members - members // 3, members):
            member = await session.members.by_identity(space.id, f"memory:bench{i}")
            assert member is not None
            day = now.astimezone(space.tz).date()
            await session.presence.check_in(space.id, member.id, day, now, "")


async def serve_bot(data_dir: Path, port: int, members: int) -> None:
    section = WebSection("127.0.0.1", port, f"http://127.0.0.1:{port}", rate_limit=10_000)
    space = SpaceSection(name="Coworking Bench", slug=SLUG, closing_time="23:00")
    config = Config(
        path=None,
        bot=BotSection(data_dir=data_dir, default_language="it"),
        spaces=(space,),
        web=section,
    )
    app = App(config, [MemoryTransport()], routers=coworkbot.routers(), clock=SystemClock())
    await app.start()
    await populate(app, members)
    await until_stopped()
    await app.stop()


async def serve_bare(body: bytes, port: int) -> None:
    async def spaceapi(request: web.Request) -> web.Response:
        return web.Response(
            body=body, content_type="application/json", charset="utf-8", headers=HEADERS
        )

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read(), content_type="application/json")

    app = web.Application()
    app.router.add_get(SPACEAPI, spaceapi)
    app.router.add_post("/echo", echo)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await until_stopped()
    await runner.cleanup()


async def until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()


def main(argv: list[str]) -> int:
    mode, path, port = argv[0], Path(argv[1]), int(argv[2])
    if mode == "bot":
        asyncio.run(serve_bot(path, port, int(argv[3])))
    else:
        asyncio.run(serve_bare(path.read_bytes(), port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
