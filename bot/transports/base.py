"""The contract between the engine and a chat platform."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from bot.events import ChatRef, IncomingMessage, OutgoingMessage, Platform, UserRef

Sink = Callable[[IncomingMessage], Awaitable[None]]
T = TypeVar("T")


async def unless_stopped(work: Awaitable[T], stopping: asyncio.Event) -> T | None:
    """The result of `work`, or None if `stopping` is set first (`work` is then cancelled).

    Long polls (Telegram getUpdates, Matrix /sync) wait up to a minute for news; a stop
    must not wait that long.
    """
    request = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({request, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not request.done():
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await request
    if request.cancelled():
        return None
    return request.result()


class DeliveryError(Exception):
    """A send the platform did not accept.

    `retry_after` is the platform's own wait (Telegram 429, Matrix M_LIMIT_EXCEEDED);
    `permanent` means retrying cannot help (the user blocked the bot, the chat is gone).
    """

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


class Transport(Protocol):
    platform: Platform

    @property
    def bot_name(self) -> str:
        """The bot's own name on the platform, for `/cmd@BotName`; empty if none."""
        ...

    async def start(self, sink: Sink) -> None:
        """Begin receiving; every update goes to `sink`, which returns once it is stored."""
        ...

    async def stop(self) -> None:
        """Stop taking input; the update being handled finishes. Sending still works."""
        ...

    async def close(self) -> None:
        """Release what sending needs, after the outbox's last deliveries."""
        ...

    async def send(self, message: OutgoingMessage) -> str:
        """Deliver one message; returns the platform's id for it or raises DeliveryError."""
        ...

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool: ...
