"""The small web server inside the bot: routes that handler modules declare on their Router.

Off unless `[web]` is configured. A route is a function of the runtime and the aiohttp
request:

    @router.route("GET", "/spaces/{slug}/spaceapi.json", fresh="data")
    async def spaceapi(rt: Runtime, request: web.Request) -> web.Response: ...

What every route gets from the engine, so no handler has to remember it (in the wrapper
each route is served through; aiohttp's own 404 and 405 are plain texts too):
- **No stack traces out.** An exception becomes a plain 500 (logged here with the route's
  pattern, never the path, which may hold a secret token).
- **Bodies over 64 KB are refused** (413, aiohttp's `client_max_size`).
- **A per-client limit per minute** on routes declared `limited=True` (`[web] rate_limit`;
  429 with `Retry-After`).
- **Headers**: `nosniff`, no referrer (feed URLs are secrets), a content security policy
  that allows no script, and no server version.
- **Memo**: a GET route declared `fresh="data"` is answered from memory until anything is
  written to the database or the clock's minute turns; `fresh=timedelta(...)` for that
  long. Concurrent requests for the same path wait for one computation. Only 200s are kept.
- After a request that may have written (anything but GET and HEAD), `on_commit` runs,
  so the outbox delivers what the route queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from aiohttp import web

from bot.config import WebSection
from bot.flood import FloodGuard
from storage.db import Conflict

if TYPE_CHECKING:
    from bot.context import Runtime

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MEMO_SIZE = 256
WINDOW = 60.0
# Times a route runs in all when the database refuses its transaction for another beside
# it (PostgreSQL with replicas: `Conflict`); SQLite never does.
ATTEMPTS = 5

Fresh = Literal["data"] | timedelta | None

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "Server": "coworkbot",
}


RouteFunc = Callable[["Runtime", web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    func: RouteFunc
    limited: bool = False
    fresh: Fresh = None


@dataclass(frozen=True)
class Kept:
    """A response as the memo keeps it: its body and headers, and until when it holds."""

    body: bytes
    headers: tuple[tuple[str, str], ...]
    valid: tuple[int, int] | datetime  # (database version, minute), or an instant

    def response(self) -> web.Response:
        return web.Response(body=self.body, headers=self.headers)


class Memo:
    """GET responses kept per path (and query), least recently used dropped first."""

    def __init__(self, rt: Runtime, size: int = MEMO_SIZE) -> None:
        self.rt = rt
        self.size = size
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._running: dict[str, asyncio.Future[None]] = {}

    def _valid(
        self, fresh: Literal["data"] | timedelta, now: datetime
    ) -> tuple[int, int] | datetime:
        if fresh == "data":
            return (self.rt.store.version, int(now.timestamp()) // 60)
        assert isinstance(fresh, timedelta)
        return now + fresh

    def kept(self, key: str, fresh: Literal["data"] | timedelta) -> web.Response | None:
        """The kept answer for `key`, if it still holds (no await: the common case)."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        now = self.rt.clock.now()
        if isinstance(kept.valid, datetime):
            holds = now < kept.valid
        else:
            holds = kept.valid == self._valid(fresh, now)
        if not holds:
            return None
        self._kept.move_to_end(key)
        return kept.response()

    async def get(
        self,
        key: str,
        fresh: Literal["data"] | timedelta,
        compute: Callable[[], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """The kept answer, else computed once (those asking meanwhile wait for it)."""
        answer = self.kept(key, fresh)
        if answer is not None:
            return answer
        now = self.rt.clock.now()
        running = self._running.get(key)
        if running is not None:
            await asyncio.shield(running)  # someone is computing it: wait, then reuse it
            kept = self._kept.get(key)
            return kept.response() if kept is not None else await compute()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._running[key] = done
        try:
            valid = self._valid(fresh, now)
            response = await compute()
            self._keep(key, response, valid)
            return response
        finally:
            # Whatever happened, the ones waiting go on (and compute it themselves if it
            # was not kept).
            done.set_result(None)
            del self._running[key]

    def _keep(
        self, key: str, response: web.StreamResponse, valid: tuple[int, int] | datetime
    ) -> None:
        if not isinstance(response, web.Response) or response.status != 200:
            return
        body = response.body
        if not isinstance(body, bytes):
            return
        headers = tuple(
            (k, v) for k, v in response.headers.items() if k.lower() != "content-length"
        )
        self._kept[key] = Kept(body, headers, valid)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


class WebServer:
    def __init__(
        self,
        section: WebSection,
        routes: Sequence[Route],
        rt: Runtime,
        *,
        on_commit: Callable[[], None] = lambda: None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.section = section
        self.routes = list(routes)
        self.rt = rt
        self._on_commit = on_commit
        self.memo = Memo(rt)
        # The chat's flood guard, per (route, client) and per minute: past the limit, 429.
        self.limit = FloodGuard(
            section.rate_limit, WINDOW, monotonic or asyncio.get_running_loop().time
        )
        self._runner: web.AppRunner | None = None
        self.port = section.port

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        for route in self.routes:
            handler = self._handler(route)
            if route.method == "GET":
                app.router.add_get(route.path, handler)
            else:
                app.router.add_route(route.method, route.path, handler)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.section.listen, self.section.port)
        await site.start()
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                self.port = int(address[1])
                break
        log.info("web server listening on %s:%d", self.section.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _handler(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The route wrapped in the guard: no middleware, so a kept answer costs the least."""

        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                response = await self._answer(route, request)
            except web.HTTPException as exc:
                exc.headers.update(HEADERS)
                raise
            except Exception:
                log.exception("web route %s %s failed", route.method, route.path)
                response = web.Response(status=500, text="Internal Server Error\n")
            finally:
                if request.method not in ("GET", "HEAD"):
                    self._on_commit()
            response.headers.update(HEADERS)
            return response

        return handle

    async def _answer(self, route: Route, request: web.Request) -> web.StreamResponse:
        if route.limited:
            key = f"{route.method} {request.path} {request.remote}"
            if self.limit.check(key) != "ok":
                raise web.HTTPTooManyRequests(
                    text="Too many requests: try again in a minute.\n",
                    headers={"Retry-After": str(int(WINDOW))},
                )
        if route.fresh is None or request.method not in ("GET", "HEAD"):
            return await self._run(route, request)
        kept = self.memo.kept(request.path_qs, route.fresh)
        if kept is not None:
            return kept
        return await self.memo.get(request.path_qs, route.fresh, lambda: self._run(route, request))

    async def _run(self, route: Route, request: web.Request) -> web.StreamResponse:
        """The route, run again from the start if its transaction was refused for another
        (as `Store.run` does for units of work; a route opens its own transactions, and
        its request body is read once and kept by aiohttp)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await route.func(self.rt, request)
            except Conflict:
                if attempt == ATTEMPTS:
                    raise
                log.debug(
                    "web route %s %s refused by the database; again", route.method, route.path
                )
        raise AssertionError("unreachable")
