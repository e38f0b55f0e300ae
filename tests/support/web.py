"""The bot's web server in tests: a free port, and a client that reads what it serves."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from bot.config import WebSection


def free_port() -> int:
    """A TCP port nobody listens on now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def web_section(rate_limit: int = 60) -> WebSection:
    port = free_port()
    return WebSection("127.0.0.1", port, f"http://127.0.0.1:{port}", rate_limit)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """HTTP to one bot's server, as a router, Home Assistant or a SpaceAPI reader speaks it."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.session = session

    async def get(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("POST", path, **kwargs)

    async def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        async with self.session.request(method, url, allow_redirects=False, **kwargs) as r:
            return Answer(r.status, r.headers, await r.read())

    async def report(self, slug: str, token: str, body: Any) -> Answer:
        """What a router script or a Home Assistant rest_command posts."""
        return await self.post(
            f"/spaces/{slug}/presence",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            data=json.dumps(body),
        )
