"""The running bot: store, dispatcher, outbox, scheduler, transports and the web server,
from config.

`App` is given the capabilities' routers (the composition root, `coworkbot`, lists
them); the engine knows no capability by name.

Start order: open and migrate the database, run the routers' startup hooks (the
members capability applies `[[spaces]]` there), start the web server (if `[web]` is
configured) and the transports (they learn their own names), then the outbox and the
scheduler. Stop order is the reverse of what could lose work: stop taking input, let
the handler in progress finish, stop the jobs, finish the work left for after commit,
deliver what is queued in the time left, close the database: eight seconds in all, so a
SIGTERM ends the process before a container's SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Sequence
from datetime import timedelta

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.context import Runtime
from bot.dispatcher import Dispatcher
from bot.events import ChatRef, IncomingMessage, UserRef
from bot.i18n import Translator
from bot.later import Later
from bot.outbox import FailedHook, OutboxSender
from bot.registry import Registry, Router
from bot.scheduler import Scheduler
from bot.transports.base import Transport
from bot.undelivered import UndeliveredNotice
from bot.web import WebServer
from storage import Session, Store

log = logging.getLogger(__name__)

KEEP_UPDATES = timedelta(days=30)
KEEP_SENT = timedelta(days=30)
KEEP_FLOOD = timedelta(days=1)
STOP_GRACE = 8.0  # the whole stop, with room left before a container's SIGKILL at 10 s
MIN_DELIVERY = 0.5  # what the outbox gets at least to deliver at stop

engine = Router("engine")


@engine.job("engine.housekeeping", every=timedelta(hours=6))
async def housekeeping(rt: Runtime) -> None:
    """Forget old dedupe ids (platforms redeliver for a day at most) and old sent rows."""
    now = rt.clock.now()

    async def prune(session: Session) -> None:
        await session.updates.prune(now - KEEP_UPDATES)
        await session.outbox.prune_sent(now - KEEP_SENT)
        await session.flood.prune(now - KEEP_FLOOD)

    await rt.store.run(prune)


class App:
    def __init__(
        self,
        config: Config,
        transports: Sequence[Transport],
        *,
        routers: Sequence[Router],
        clock: Clock | None = None,
        background: bool = True,
        on_failed: FailedHook | None = None,
    ) -> None:
        self.config = config
        self.transports: dict[str, Transport] = {t.platform: t for t in transports}
        self.clock = clock or SystemClock()
        self.background = background
        self.routers = [engine, *routers]
        self.translator = Translator(config.bot.default_language)
        self.registry = Registry(self.routers)
        self._on_failed = on_failed
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._store: Store | None = None
        self._rt: Runtime | None = None
        self._outbox: OutboxSender | None = None
        self._dispatcher: Dispatcher | None = None
        self._scheduler: Scheduler | None = None
        self._web: WebServer | None = None
        self.later = Later()

    # The parts exist only between start() and stop(); these say so loudly if misused.
    @property
    def store(self) -> Store:
        assert self._store is not None, "App.start() first"
        return self._store

    @property
    def rt(self) -> Runtime:
        assert self._rt is not None, "App.start() first"
        return self._rt

    @property
    def outbox(self) -> OutboxSender:
        assert self._outbox is not None, "App.start() first"
        return self._outbox

    @property
    def dispatcher(self) -> Dispatcher:
        assert self._dispatcher is not None, "App.start() first"
        return self._dispatcher

    @property
    def scheduler(self) -> Scheduler:
        assert self._scheduler is not None, "App.start() first"
        return self._scheduler

    @property
    def web(self) -> WebServer:
        assert self._web is not None, "App.start() with [web] configured first"
        return self._web

    async def start(self) -> None:
        self._store = await Store.open(self.config.database_target)
        self._rt = Runtime(
            self._store,
            self.clock,
            self.translator,
            self.registry,
            self.config.bot.command_prefix_matrix,
            public_url=self.config.web.base_url if self.config.web else "",
            data_dir=self.config.bot.data_dir,
            later=self.later,
        )
        for hook in self.registry.startup:
            await hook(self._rt, self.config)
        bot_names = self._rt.bot_names
        self._outbox = OutboxSender(
            self._store,
            self.transports,
            self.clock,
            on_failed=self._on_failed or UndeliveredNotice(self._rt, lambda: self.outbox.wake()),
        )
        self._dispatcher = Dispatcher(
            self._rt,
            bot_names=bot_names,
            is_chat_admin=self._is_chat_admin,
            on_commit=self._outbox.wake,
            shared_flood=self.config.cluster.enabled,
        )
        self._scheduler = Scheduler(self.registry.jobs, self._rt, on_done=self._outbox.wake)
        self.later.on_done = self._outbox.wake
        if self.config.web is not None:
            self._web = WebServer(
                self.config.web, self.registry.routes, self._rt, on_commit=self._outbox.wake
            )
            await self._web.start()
        await self._prepare_transports()
        for transport in self.transports.values():
            await transport.start(self._sink)
            bot_names[transport.platform] = transport.bot_name
        if self.background:
            await self._outbox.listen()
            self._outbox.start()
            self._scheduler.start()
        log.info(
            "coworkbot started: %s; database %s",
            ", ".join(self.transports) or "no transports",
            self._store.db.path,
        )

    async def _prepare_transports(self) -> None:
        """Tell each transport that wants it which of its chats belong to spaces, and
        which chats moved (a transport looks at them once started; see `prepare`)."""
        async with self.store.read() as session:
            chats = await session.spaces.all_chats()
            moves = {p: await session.spaces.moves(p) for p in self.transports}
        for platform, transport in self.transports.items():
            prepare = getattr(transport, "prepare", None)
            if prepare is not None:
                prepare([c for _, p, c in chats if p == platform], moves[platform])

    async def _sink(self, msg: IncomingMessage) -> None:
        self._inflight += 1
        self._idle.clear()
        try:
            await self.dispatcher.handle(msg)
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def _is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        transport = self.transports.get(chat.platform)
        return bool(transport and await transport.is_chat_admin(chat, user))

    async def run_jobs(self) -> None:
        """Every scheduled job once, then deliver what they queued (tests, `coworkbot` tools)."""
        await self.scheduler.run_all()
        await self.later.idle()
        await self.outbox.flush()

    async def stop(self) -> None:
        """Everything within STOP_GRACE seconds in all (a container's SIGKILL follows ten
        seconds after SIGTERM): input stops, the handler in progress finishes, the jobs
        in progress finish, the outbox delivers what it can in the time left; the rest
        stays queued for the next start. Always finishes: a step that fails is logged and
        the next one still runs, and the database is closed last whatever happened (its
        thread would keep the process alive)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_GRACE

        def left(keep: float = 0.0) -> float:
            return max(0.0, deadline - loop.time() - keep)

        try:
            if self._web is not None:
                web, self._web = self._web, None
                try:
                    await web.stop()
                except Exception:
                    log.exception("stopping the web server failed")
            for transport in self.transports.values():
                try:
                    await transport.stop()
                except Exception:
                    log.exception("stopping %s failed", transport.platform)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), left())
            if self._scheduler is not None:
                await self._scheduler.stop(left(keep=MIN_DELIVERY))
                await self._scheduler.release()
            await self.later.stop(left(keep=MIN_DELIVERY))
            if self._outbox is not None:
                try:
                    await self._outbox.stop(max(MIN_DELIVERY, left()))
                except Exception:
                    log.exception("stopping the outbox failed; what is queued goes out next time")
            for transport in self.transports.values():
                # Connections for sending are released only now, after the outbox's last
                # deliveries (stop() only ended the input).
                try:
                    await transport.close()
                except Exception:
                    log.exception("closing %s failed", transport.platform)
        finally:
            if self._store is not None:
                await self._store.close()
        log.info("coworkbot stopped")

    async def run(self) -> int:
        """Run until SIGINT/SIGTERM, or until the console's input ends."""
        await self.start()
        # What exists now (modules, libraries, the app) lives as long as the process:
        # out of the collector's way, so its full collections, which pause everything
        # (tens of milliseconds, the bench's p99), stay short and rare.
        gc.freeze()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        waits = [asyncio.create_task(stop.wait())]
        for transport in self.transports.values():
            finished = getattr(transport, "finished", None)
            if isinstance(finished, asyncio.Event):
                waits.append(asyncio.create_task(finished.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            await self.stop()
        return 0
