"""A transport that lives in memory: tests say things as users and read what was sent."""

from __future__ import annotations

from bot.events import ChatRef, IncomingMessage, OutgoingMessage, Platform, UserRef
from bot.transports.base import DeliveryError, Sink


class MemoryTransport:
    platform = Platform.MEMORY

    def __init__(self, bot_name: str = "coworkbot") -> None:
        self._bot_name = bot_name
        self.sent: list[OutgoingMessage] = []
        self.chat_admins: set[tuple[str, str]] = set()
        self.failures: list[DeliveryError] = []
        self._sink: Sink | None = None

    @property
    def bot_name(self) -> str:
        return self._bot_name

    async def start(self, sink: Sink) -> None:
        self._sink = sink

    async def stop(self) -> None:
        self._sink = None

    async def close(self) -> None:
        """Nothing to release."""

    async def receive(self, msg: IncomingMessage) -> None:
        if self._sink is None:
            raise RuntimeError("transport not started")
        await self._sink(msg)

    async def send(self, message: OutgoingMessage) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"memory-{len(self.sent)}"

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        return (chat.chat_id, user.user_id) in self.chat_admins
