"""A real headless Chromium for the bot's web pages, driven through its DevTools protocol.

It is Debian's `chromium` package: when it is missing and the tests run as root (as CI
does, on a fresh Debian machine), `ensure_chromium` installs it with apt-get; otherwise
the browser tests are skipped with the command that would install it
(tests/support/debian.py). The DevTools protocol
(https://chromedevtools.github.io/devtools-protocol/) is spoken over aiohttp's websockets,
so nothing else is needed to drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.debian import ensure

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)


def ensure_chromium() -> str:
    """Chromium's path, installing Debian's package first if need be (tests/support/debian.py)."""
    return ensure(("chromium", "chromium-browser"), "chromium")


@dataclass(frozen=True)
class Viewport:
    width: int = 360
    height: int = 740
    mobile: bool = True
    scale: float = 2.0


class Page:
    """One tab, spoken to through its own DevTools websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._waiting:
                self._waiting.pop(data["id"]).set_result(data)
            else:
                await self._events.put(data)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[call] = future
        await self.ws.send_json({"id": call, "method": method, "params": params})
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def event(self, method: str) -> dict[str, Any]:
        """The next event named `method` (callers bound the wait with asyncio.timeout)."""
        while True:
            event = await self._events.get()
            if event.get("method") == method:
                return event

    async def open(self, url: str, viewport: Viewport = Viewport()) -> None:
        """Load `url` at a phone's size and wait until it and its images have loaded."""
        await self.send("Page.enable")
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=viewport.width,
            height=viewport.height,
            deviceScaleFactor=viewport.scale,
            mobile=viewport.mobile,
        )
        while not self._events.empty():
            self._events.get_nowait()
        await self.send("Page.navigate", url=url)
        async with asyncio.timeout(120):
            await self.event("Page.loadEventFired")

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.ws.close()


class Browser:
    """Chromium in its own fresh profile, for one test."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.profile = Path(tempfile.mkdtemp(prefix="coworkbot-chromium-"))
        self.proc: asyncio.subprocess.Process | None = None
        self.http = aiohttp.ClientSession()
        self.base = ""

    async def start(self) -> Browser:
        self.proc = await asyncio.create_subprocess_exec(
            self.path,
            *FLAGS,
            f"--user-data-dir={self.profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        port_file = self.profile / "DevToolsActivePort"
        for _ in range(600):
            if port_file.exists() and port_file.read_text().strip():
                break
            if self.proc.returncode is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError("chromium did not open its DevTools port in 30 s")
        port = port_file.read_text().splitlines()[0]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def page(self) -> Page:
        async with self.http.put(f"{self.base}/json/new?about:blank") as response:
            target = await response.json()
        ws = await self.http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        return Page(ws)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self.http.close()
        shutil.rmtree(self.profile, ignore_errors=True)
