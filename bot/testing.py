"""A whole bot in one object, for tests and benchmarks: say something, read what it sent.

    bot = await BotHarness.start(tmp_path, routers=coworkbot.routers())
    await bot.setup_space("Anna")
    sent = await bot.say("/checkin", as_="Anna")
    assert "in" in sent[0].text

It is the real app (dispatcher, handlers, SQLite file with the real migrations, outbox)
on the memory transport, with a clock that only moves when told.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import App
from bot.clock import FakeClock
from bot.config import BotSection, Config, DatabaseSection, SpaceSection, WebSection
from bot.events import (
    Attachment,
    Button,
    ChatRef,
    Document,
    IncomingMessage,
    Kind,
    OutgoingMessage,
    Platform,
    UserRef,
)
from bot.i18n import to_plain
from bot.registry import Router
from bot.transports.base import Transport
from bot.transports.memory import MemoryTransport
from storage.db import Row
from storage.members import Member
from storage.spaces import Space

ROME = ZoneInfo("Europe/Rome")
DEFAULT_START = datetime(2026, 11, 25, 9, 0, tzinfo=ROME)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Sent:
    """One delivered message, as a test reads it."""

    chat: ChatRef
    html: str
    buttons: tuple[Button, ...]
    document: Document | None

    @property
    def text(self) -> str:
        return to_plain(self.html)

    @property
    def private(self) -> bool:
        return self.chat.private

    @property
    def to(self) -> str:
        return self.chat.chat_id

    @classmethod
    def of(cls, msg: OutgoingMessage) -> Sent:
        return cls(msg.chat, msg.html, msg.buttons, msg.document)


class BotHarness:
    group = ChatRef(Platform.MEMORY, "group", private=False, title="Test space")

    def __init__(
        self,
        config: Config,
        clock: FakeClock,
        routers: Sequence[Router],
        *,
        also: Sequence[Transport] = (),
    ) -> None:
        """`also`: more transports beside the memory one (the group lives on that one)."""
        self.config = config
        self.clock = clock
        self.routers = list(routers)
        self.transport = MemoryTransport()
        self.app = App(
            config, [self.transport, *also], routers=routers, clock=clock, background=False
        )
        self._ids = itertools.count(1)
        self._closed = False

    @classmethod
    async def start(
        cls,
        data_dir: Path,
        *,
        routers: Sequence[Router],
        clock: FakeClock | None = None,
        spaces: Sequence[SpaceSection] = (),
        default_language: str = "en",
        web: WebSection | None = None,
        database_url: str = "",
    ) -> BotHarness:
        """The bot on an SQLite file in `data_dir`, or on the PostgreSQL `database_url`;
        with `web`, its web server too."""
        config = Config(
            path=None,
            bot=BotSection(data_dir=data_dir, default_language=default_language),
            spaces=tuple(spaces),
            web=web,
            database=DatabaseSection(database_url),
        )
        harness = cls(config, clock or FakeClock(DEFAULT_START), routers)
        try:
            await harness.app.start()
        except BaseException:
            await harness.app.stop()  # no database thread or server left behind
            raise
        return harness

    async def restart(self) -> None:
        """Stop and start again on the same database and clock (what a reboot does)."""
        admins = set(self.transport.chat_admins)
        counter = self._ids
        await self.app.stop()
        self.__init__(self.config, self.clock, self.routers)  # type: ignore[misc]
        self.transport.chat_admins |= admins
        self._ids = counter
        await self.app.start()

    async def close(self) -> None:
        """Stop the app; closing twice is harmless (fixtures close what tests forgot)."""
        if not self._closed:
            self._closed = True
            await self.app.stop()

    # -- people and chats -------------------------------------------------------------

    @staticmethod
    def user(name: str, language: str = "en") -> UserRef:
        user_id = "".join(ch for ch in name.lower() if ch.isalnum()) or "x"
        return UserRef(Platform.MEMORY, user_id, name, username=user_id, language=language)

    def private_chat(self, name: str) -> ChatRef:
        return ChatRef(Platform.MEMORY, self.user(name).user_id, private=True)

    # -- talking ----------------------------------------------------------------------

    async def say(
        self,
        text: str,
        *,
        as_: str | UserRef,
        chat: ChatRef | str | None = None,
        update_id: str | None = None,
        kind: Kind = Kind.MESSAGE,
        attachment: Attachment | None = None,
    ) -> list[Sent]:
        """Send `text` as a user, in the group unless `chat="private"`; returns what was sent.

        `attachment` is a file sent with it (a photo with the command as its caption).
        """
        sender = as_ if isinstance(as_, UserRef) else self.user(as_)
        if chat == "private":
            where = ChatRef(Platform.MEMORY, sender.user_id, private=True)
        elif chat is None or chat == "group":
            where = self.group
        elif isinstance(chat, ChatRef):
            where = chat
        else:
            raise ValueError(f"chat must be 'group', 'private' or a ChatRef, not {chat!r}")
        msg = IncomingMessage(
            update_id=update_id or str(next(self._ids)),
            chat=where,
            sender=sender,
            text=text,
            timestamp=self.clock.now(),
            kind=kind,
            message_id=f"m{next(self._ids)}",
            attachment=attachment,
        )
        return await self.receive(msg)

    async def receive(self, msg: IncomingMessage) -> list[Sent]:
        before = len(self.transport.sent)
        await self.transport.receive(msg)
        await self.app.later.idle()
        await self.app.outbox.flush()
        return [Sent.of(m) for m in self.transport.sent[before:]]

    async def press(self, sent: Sent, label: str, *, as_: str) -> list[Sent]:
        """Press an inline button of a message the bot sent, as a user, where it was shown."""
        for button in sent.buttons:
            if button.label == label:
                return await self.say(
                    f"/{button.command}", as_=as_, chat=sent.chat, kind=Kind.BUTTON
                )
        raise AssertionError(f"no button {label!r} in {[b.label for b in sent.buttons]}")

    async def tick(self, advance: timedelta | None = None) -> list[Sent]:
        """Move the clock (optionally) and run every scheduled job once."""
        if advance is not None:
            self.clock.advance(advance)
        before = len(self.transport.sent)
        await self.app.run_jobs()
        return [Sent.of(m) for m in self.transport.sent[before:]]

    async def deliver(self) -> list[Sent]:
        """Deliver what is queued (after a web request, say); returns what was sent."""
        before = len(self.transport.sent)
        await self.app.later.idle()
        await self.app.outbox.flush()
        return [Sent.of(m) for m in self.transport.sent[before:]]

    @property
    def web_url(self) -> str:
        """The web server's address as a client reaches it (the port it really got)."""
        web = self.config.web
        assert web is not None, "start the harness with web=WebSection(...)"
        return f"http://{web.listen}:{self.app.web.port}"

    # -- reading ----------------------------------------------------------------------
    # What the bot sent, and what it stored: `member`, `space` and `count` read state
    # without SQL in the test; `fetchall`/`fetchval` remain for what they do not cover.

    @property
    def sent(self) -> list[Sent]:
        return [Sent.of(m) for m in self.transport.sent]

    def inbox(self, name: str) -> list[Sent]:
        """Everything sent privately to a user so far."""
        user_id = self.user(name).user_id
        return [s for s in self.sent if s.private and s.to == user_id]

    async def member(self, name: str) -> Member:
        """The one member called `name` (in any space), as the members repository reads it."""
        async with self.app.store.transaction() as session:
            found = [
                m
                for space in await session.spaces.all()
                for m in await session.members.of_space(space.id)
                if m.display_name == name
            ]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} members called {name!r}")
        return found[0]

    async def space(self, name: str | None = None) -> Space:
        """The space called `name`, or the only space when no name is given."""
        async with self.app.store.transaction() as session:
            spaces = await session.spaces.all()
        found = [s for s in spaces if name is None or s.name == name]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} spaces match {name!r}")
        return found[0]

    async def count(self, table: str, /, **equal: object) -> int:
        """Rows of `table` whose columns equal the given values: `count("outbox", state="sent")`."""
        names = [table, *equal]
        if not all(_IDENTIFIER.fullmatch(n) for n in names):
            raise ValueError(f"not plain table/column names: {names}")
        where = " AND ".join(f"{column} = ?" for column in equal)
        sql = f"SELECT COUNT(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int(await self.fetchval(sql, list(equal.values())))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self.app.store.transaction() as session:
            return await session.tx.fetchall(sql, params)

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self.app.store.transaction() as session:
            return await session.tx.fetchval(sql, params)

    # -- common set-ups -----------------------------------------------------------------

    async def setup_space(
        self,
        admin: str = "Anna",
        *,
        name: str = "Veglio",
        join: str = "open",
        members: Sequence[str] = (),
    ) -> list[Sent]:
        """A space bound to the test group, `admin` its admin, `members` joined (policy open)."""
        self.transport.chat_admins.add((self.group.chat_id, self.user(admin).user_id))
        sent = await self.say(f"/setup {name}", as_=admin)
        await self.say("/set join open", as_=admin)
        for member in members:
            sent += await self.say("/join", as_=member)
        if join != "open":
            await self.say(f"/set join {join}", as_=admin)
        return sent
