"""A fake Telegram Bot API server: aiohttp on 127.0.0.1, answering like Telegram does.

The real python-telegram-bot talks HTTP to it (`api_base_url` points here). It knows the
methods the bot uses, answers with Telegram's shapes (`{"ok": false, "error_code",
"description", "parameters"}`), parses HTML the way Telegram's parser does (and refuses
what Telegram refuses, with the same words), enforces the sending limits with 429 and
`parameters.retry_after`, and can be told to fail: 5xx, requests that hang past the
client's timeout, connections dropped before (or after) the message was accepted.

Tests play the people: `server.say(anna, group, "/join")` pushes an update, and
`server.sent` holds what the bot said, as Telegram would show it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

import coworkbot
from bot.app import App
from bot.clock import FakeClock
from bot.config import BotSection, Config, TelegramSection
from bot.flood import FloodGuard
from bot.registry import Router
from bot.transports.telegram.limits import TELEGRAM_LIMITS
from bot.transports.telegram.menu import command_menu
from bot.transports.telegram.transport import TelegramTransport, Timeouts

BOT_ID = 7000001
TOKEN = f"{BOT_ID}:AAFake-Secret_tokenForTests0123456789abcdef"
BOT_USERNAME = "CoworkTestBot"
ANONYMOUS_ADMIN_ID = 1087968824
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
# What the platform tests run at: Telegram's limits with periods 20 times shorter, on
# both sides (the `server` fixture in tests/conftest.py, and `TelegramBot(speed=SPEED)`).
SPEED = 20

_MENTION = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{5,32})(?![A-Za-z0-9_])")

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# "For the moment, bots can download files of up to 20MB in size."
# (https://core.telegram.org/bots/api#getfile)
DOWNLOAD_LIMIT = 20 * 1024 * 1024
# "The photo must be at most 10 MB in size." (https://core.telegram.org/bots/api#sendphoto)
PHOTO_LIMIT = 10 * 1024 * 1024


# The request being answered, for the long poll to notice a client that went away.
_REQUEST: ContextVar[web.Request] = ContextVar("fake_telegram_request")


def _client_gone() -> bool:
    request = _REQUEST.get(None)
    return request is not None and (request.transport is None or request.transport.is_closing())


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


# -- Telegram's HTML ----------------------------------------------------------------------


class EntityError(Exception):
    pass


_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """An HTML entity at `pos` as Telegram decodes it: numeric ones and lt, gt, amp, quot."""
    end = pos + 1
    if text.startswith("&#", pos):
        end += 1
        hexa = text.startswith("&#x", pos)
        if hexa:
            end += 1
        digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
        start = end
        while end < len(text) and text[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(text[start:end], 16 if hexa else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        names = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
        name = text[pos + 1 : end]
        if name not in names:
            return None  # an unknown entity is plain text, '&' included
        char = names[name]
    if end < len(text) and text[end] == ";":
        end += 1
    return char, end


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The visible text and entities of `text` in parse_mode HTML, or EntityError."""

    def at(pos: int) -> int:
        return len(text[:pos].encode())

    out: list[str] = []
    offset = 0  # UTF-16 units
    stack: list[tuple[str, str, int]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                offset += utf16_len(decoded[0])
                i = decoded[1]
                continue
        if char != "<":
            out.append(char)
            offset += utf16_len(char)
            i += 1
            continue
        begin = i
        i += 1
        if i >= n:
            raise EntityError(f"Unclosed start tag at byte offset {at(begin)}")
        if text[i] != "/":
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            if i >= n:
                raise EntityError(f"Unclosed start tag at byte offset {at(begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _ENTITY_TYPES:
                raise EntityError(f'Unsupported start tag "{tag}" at byte offset {at(begin)}')
            argument = ""
            while True:
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise EntityError(f"Unclosed start tag at byte offset {at(begin)}")
                if text[i] == ">":
                    break
                name_start = i
                while i < n and not text[i].isspace() and text[i] != "=" and text[i] != ">":
                    i += 1
                name = text[name_start:i]
                if not name:
                    raise EntityError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {at(begin)}'
                    )
                while i < n and text[i].isspace():
                    i += 1
                if i >= n or text[i] != "=":
                    raise EntityError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {at(begin)}'
                    )
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise EntityError(f'Unclosed start tag "{tag}" at byte offset {at(begin)}')
                if text[i] in "'\"":
                    quote = text[i]
                    i += 1
                    value: list[str] = []
                    while i < n and text[i] != quote:
                        decoded = _decode_entity(text, i) if text[i] == "&" else None
                        if decoded is not None:
                            value.append(decoded[0])
                            i = decoded[1]
                        else:
                            value.append(text[i])
                            i += 1
                    if i < n:
                        i += 1
                    attribute = "".join(value)
                else:
                    token_start = i
                    while i < n and (text[i].isalnum() or text[i] in ".-"):
                        i += 1
                    attribute = text[token_start:i].lower()
                    if i < n and not text[i].isspace() and text[i] != ">":
                        raise EntityError(
                            f"Unexpected end of name token at byte offset {at(token_start)}"
                        )
                if i >= n:
                    raise EntityError(f"Unclosed start tag at byte offset {at(begin)}")
                if (tag, name) in (("a", "href"), ("span", "class"), ("code", "class")):
                    argument = attribute
            i += 1  # '>'
            if tag == "span" and argument != "tg-spoiler":
                raise EntityError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {at(begin)}'
                )
            stack.append((tag, argument, offset))
            continue
        if not stack:
            raise EntityError(f"Unexpected end tag at byte offset {at(begin)}")
        i += 1
        name_start = i
        while i < n and not text[i].isspace() and text[i] != ">":
            i += 1
        end_name = text[name_start:i].lower()
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != ">":
            raise EntityError(f"Unclosed end tag at byte offset {at(begin)}")
        i += 1
        tag, argument, start = stack.pop()
        if end_name and end_name != tag:
            raise EntityError(
                f'Unmatched end tag at byte offset {at(begin)}, expected "</{tag}>", '
                f'found "</{end_name}>"'
            )
        if offset > start:
            entity: dict[str, Any] = {
                "type": _ENTITY_TYPES[tag],
                "offset": start,
                "length": offset - start,
            }
            if tag == "a":
                entity["url"] = argument or "".join(out)[-(offset - start) :]
            entities.append(entity)
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


# -- people, chats and what was said ------------------------------------------------------


@dataclass(eq=False)
class FakeUser:
    id: int
    first_name: str
    last_name: str = ""
    username: str = ""
    language_code: str = "en"
    started: bool = True  # has opened a private chat with the bot
    blocked: bool = False
    is_bot: bool = False

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(eq=False)
class FakeChat:
    id: int
    type: str  # private, group, supergroup, channel
    title: str = ""
    user: FakeUser | None = None  # the other side of a private chat
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    bot_status: str = "administrator"  # member, administrator, left, kicked
    # A forum supergroup's topics: thread id -> name (General, thread 1, is implicit).
    # https://core.telegram.org/bots/api#chat (is_forum), #forumtopic
    forum: bool = False
    topics: dict[int, str] = field(default_factory=dict)
    migrated_to: int | None = None  # a basic group upgraded to this supergroup
    last_bot: int | None = None  # the last bot that wrote here (privacy mode's rule)

    def json(self) -> dict[str, Any]:
        if self.type == "private":
            assert self.user is not None
            data: dict[str, Any] = {"id": self.id, "type": "private"}
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        data = {"id": self.id, "type": self.type, "title": self.title}
        if self.forum:
            data["is_forum"] = True
        return data


@dataclass(eq=False)
class Sent:
    """A message the bot sent, as Telegram stored it."""

    message_id: int
    chat_id: int
    method: str
    html: str
    text: str  # what people see (HTML parsed)
    entities: list[dict[str, Any]]
    buttons: list[tuple[str, str]]  # (label, callback_data)
    reply_to: int | None
    document: tuple[str, bytes] | None
    at: float
    edits: int = 0
    thread: int | None = None  # the forum topic it went to; None is General
    photo: bytes | None = None  # sendPhoto: the picture as uploaded

    def button(self, label: str) -> str:
        for text, data in self.buttons:
            if text == label:
                return data
        raise AssertionError(f"no button {label!r} in {self.buttons}")

    @property
    def mentions(self) -> list[str]:
        """Whom this message pings, found as Telegram finds them: an `@username` in the
        text (5 to 32 letters, digits or `_`, not inside a word) and links to `tg://user`."""
        found = [f"@{m[1]}" for m in _MENTION.finditer(self.text)]
        links = [e["url"] for e in self.entities if e.get("url", "").startswith("tg://user")]
        return found + links


@dataclass(frozen=True)
class FakeLimits:
    """Telegram's sending limits; `faster()` shortens the periods for quick tests."""

    overall: int = 30
    overall_period: float = 1.0
    private: int = 1
    private_period: float = 1.0
    group: int = 20
    group_period: float = 60.0

    def faster(self, factor: float) -> FakeLimits:
        return FakeLimits(
            self.overall,
            self.overall_period / factor,
            self.private,
            self.private_period / factor,
            self.group,
            self.group_period / factor,
        )


@dataclass
class Faults:
    """Failures on purpose: a share of the calls to `methods`, of the given kinds.

    "5xx" answers 500 or 502; "timeout" keeps the request open for `hang` seconds (past
    the client's timeout) and then answers 504; "drop" closes the connection. None of
    these accept the message. "lost" accepts it and then drops the connection, so the
    bot cannot know it arrived (no API can make a retry of that exactly-once).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("5xx", "timeout", "drop")
    methods: frozenset[str] = SEND_METHODS
    hang: float = 2.0
    seed: int = 7


class _Drop(Exception):
    """Close the connection without an answer."""


class FakeTelegram:
    def __init__(
        self,
        token: str = TOKEN,
        *,
        username: str = BOT_USERNAME,
        limits: FakeLimits | None = None,
        privacy_mode: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = int(token.partition(":")[0])
        self.username = username
        self.limits = limits or FakeLimits()
        # BotFather's default: in a group where it is no admin the bot sees only some
        # messages (https://core.telegram.org/bots/features#privacy-mode).
        self.privacy_mode = privacy_mode
        # Where "now" comes from for the dates of messages (Telegram's server clock);
        # TelegramBot sets it to the bot's clock, so that both sides agree on time.
        self.clock: Callable[[], datetime] | None = None
        self.faults = Faults()
        self._rng = random.Random(self.faults.seed)
        self._forced: deque[tuple[str, str, int]] = deque()
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.updates: list[dict[str, Any]] = []
        self.confirmed = 0  # updates below this id are confirmed
        self.deliveries: Counter[int] = Counter()
        self.allowed_updates: list[str] | None = None
        self.sent: list[Sent] = []
        self.calls: Counter[str] = Counter()
        self.errors: list[tuple[str, int, str]] = []  # (method, code, description)
        self.answers: dict[str, tuple[str, bool]] = {}
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.webhook_target = ""  # where webhook updates really go (a test's reverse proxy)
        self._queries: dict[str, tuple[int, int]] = {}
        self._ids = itertools.count(100)
        self._update_ids = itertools.count(1)
        self._last_ids: dict[int, int] = {}  # chat -> its last message id
        self._windows: dict[str, deque[float]] = {}
        self._flood: dict[str, float] = {}  # "*" or a chat id -> flood control until
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._holding = False
        self._released = asyncio.Event()
        self._discard = False
        self.held = 0
        self._deliverer: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        # file_id -> (file_unique_id, file_path, content), for getFile and downloads
        self.files: dict[str, tuple[str, str, bytes]] = {}
        self.downloads: Counter[str] = Counter()

    # -- running ----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._route)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # Anything else (a base URL with /bot twice, a wrong path) is Telegram's JSON 404,
        # https://core.telegram.org/bots/api#making-requests
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        for address in self._runner.addresses:
            self.port = int(address[1])

    async def close(self) -> None:
        self.release()
        if self._deliverer is not None:
            self._deliverer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._deliverer
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _not_found(self, request: web.Request) -> web.Response:
        self.errors.append((request.path, 404, "Not Found"))
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return web.json_response(body, status=404)

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    def _date(self) -> int:
        """A message's `date`: Unix time by Telegram's clock (https://core.telegram.org/bots/api#message)."""
        return int(self.now().timestamp())

    # -- people and chats -----------------------------------------------------------------

    def user(
        self,
        first_name: str,
        last_name: str = "",
        *,
        username: str | None = None,
        language: str = "en",
        started: bool = True,
    ) -> FakeUser:
        user_id = 500_000 + len(self.users) + 1
        if username is None:
            username = re.sub(r"[^A-Za-z0-9_]", "", first_name.lower())
            username = username if len(username) >= 5 else ""
        user = FakeUser(user_id, first_name, last_name, username, language, started)
        self.users[user_id] = user
        self.chats[user_id] = FakeChat(user_id, "private", user=user)
        return user

    def group(
        self,
        title: str,
        *,
        creator: FakeUser | None = None,
        admins: tuple[FakeUser, ...] = (),
        members: tuple[FakeUser, ...] = (),
        bot_status: str = "administrator",
    ) -> FakeChat:
        chat_id = -1001_000_000_000 - len(self.chats)
        chat = FakeChat(chat_id, "supergroup", title, bot_status=bot_status)
        if creator is not None:
            chat.members[creator.id] = "creator"
        for admin in admins:
            chat.members[admin.id] = "administrator"
        for member in members:
            chat.members[member.id] = "member"
        self.chats[chat_id] = chat
        return chat

    def private(self, user: FakeUser) -> FakeChat:
        return self.chats[user.id]

    def basic_group(
        self,
        title: str,
        *,
        creator: FakeUser | None = None,
        members: tuple[FakeUser, ...] = (),
        bot_status: str = "member",
    ) -> FakeChat:
        """A basic group, as every Telegram group starts: a small negative id, no topics.
        Making its history visible, giving an admin right or making it public upgrades
        it to a supergroup with a new id (`upgrade`)."""
        chat_id = -4_000_000_000 - len(self.chats)
        chat = FakeChat(chat_id, "group", title, bot_status=bot_status)
        if creator is not None:
            chat.members[creator.id] = "creator"
        for member in members:
            chat.members[member.id] = "member"
        self.chats[chat_id] = chat
        return chat

    def forum(self, title: str, **kwargs: Any) -> FakeChat:
        """A supergroup with topics (https://core.telegram.org/bots/api#chat, is_forum)."""
        chat = self.group(title, **kwargs)
        chat.forum = True
        self._next_message_id(chat.id)  # message 1 opened General: thread 1 is General's
        return chat

    def topic(self, chat: FakeChat, name: str, by: FakeUser | None = None) -> int:
        """A new forum topic; its thread id is the id of its `forum_topic_created`
        service message (https://core.telegram.org/bots/api#forumtopiccreated)."""
        assert chat.forum, "topics exist only in forum supergroups"
        thread = self._next_message_id(chat.id)
        chat.topics[thread] = name
        creator = by or next(u for u in self.users.values() if u.id in chat.members)
        self._push(
            "message",
            {
                "message_id": thread,
                "message_thread_id": thread,
                "is_topic_message": True,
                "from": creator.json(),
                "chat": chat.json(),
                "date": self._date(),
                "forum_topic_created": {"name": name, "icon_color": 7322096},
            },
        )
        return thread

    def upgrade(self, group: FakeChat, by: FakeUser, *, tell: bool = True) -> FakeChat:
        """The basic group becomes a supergroup with a new id; history, members and the
        bot move with it. Telegram says so with a service message in each chat
        (`migrate_to_chat_id` in the old, `migrate_from_chat_id` in the new:
        https://core.telegram.org/bots/api#message), and from then on answers the old id
        with 400 and `parameters.migrate_to_chat_id`
        (https://core.telegram.org/bots/api#responseparameters). With `tell=False` the
        service messages are not delivered (lost to a long outage)."""
        assert group.type == "group", "only a basic group is upgraded"
        new = self.group(group.title, bot_status=group.bot_status)
        new.members = dict(group.members)
        group.migrated_to = new.id
        for sent in self.sent:
            if sent.chat_id == group.id:
                sent.chat_id = new.id
        self._last_ids[new.id] = self._last_ids.get(group.id, 0)
        if tell:
            self._push(
                "message",
                {
                    "message_id": self._next_message_id(group.id),
                    "from": by.json(),
                    "chat": group.json(),
                    "date": self._date(),
                    "migrate_to_chat_id": new.id,
                },
            )
            self._push(
                "message",
                {
                    "message_id": self._next_message_id(new.id),
                    "from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
                    "sender_chat": new.json(),
                    "chat": new.json(),
                    "date": self._date(),
                    "migrate_from_chat_id": group.id,
                },
            )
        return new

    def _bot_change(self, chat: FakeChat, by: FakeUser, old: str, new: str) -> int:
        """The bot's own membership changed: `my_chat_member`, sent to the bot whatever
        its allowed_updates default (https://core.telegram.org/bots/api#update)."""
        return self._push(
            "my_chat_member",
            {
                "chat": chat.json(),
                "from": by.json(),
                "date": self._date(),
                "old_chat_member": self._member_json(self._bot_user(), old),
                "new_chat_member": self._member_json(self._bot_user(), new),
            },
        )

    def add_bot(self, chat: FakeChat, by: FakeUser, status: str = "member") -> int:
        """Someone adds the bot to a group (or makes it admin at once)."""
        old, chat.bot_status = chat.bot_status, status
        if old not in ("left", "kicked"):
            old = "left"
        chat.last_bot = None
        update_id = self._bot_change(chat, by, old, status)
        # The service message too (https://core.telegram.org/bots/api#message,
        # new_chat_members): the bot must not greet twice.
        self._push(
            "message",
            {
                "message_id": self._next_message_id(chat.id),
                "from": by.json(),
                "chat": chat.json(),
                "date": self._date(),
                "new_chat_members": [self._bot_json()],
            },
        )
        return update_id

    def promote_bot(self, chat: FakeChat, by: FakeUser, status: str = "administrator") -> int:
        old, chat.bot_status = chat.bot_status, status
        return self._bot_change(chat, by, old, status)

    def remove_bot(self, chat: FakeChat, by: FakeUser, *, ban: bool = False) -> int:
        """Someone removes the bot from a group: it gets my_chat_member, and no service
        message of a chat it is no longer in."""
        old, chat.bot_status = chat.bot_status, "kicked" if ban else "left"
        return self._bot_change(chat, by, old, chat.bot_status)

    def block(self, user: FakeUser) -> int:
        """The person blocks the bot: in a private chat my_chat_member is sent only for
        this and for unblocking (https://core.telegram.org/bots/api#update)."""
        user.blocked = True
        return self._bot_change(self.private(user), user, "member", "kicked")

    def unblock(self, user: FakeUser) -> int:
        user.blocked = False
        return self._bot_change(self.private(user), user, "kicked", "member")

    def channel(self, title: str) -> FakeChat:
        chat_id = -1002_000_000_000 - len(self.chats)
        chat = FakeChat(chat_id, "channel", title)
        self.chats[chat_id] = chat
        return chat

    def forward_from_channel(self, channel: FakeChat, group: FakeChat, text: str) -> int:
        """A channel's post copied into its linked discussion group: `is_automatic_forward`,
        written by the channel (`sender_chat`), from Telegram's service account 777000
        (https://core.telegram.org/bots/api#message)."""
        return self._push(
            "message",
            {
                "message_id": self._next_message_id(group.id),
                "from": {"id": 777000, "is_bot": False, "first_name": "Telegram"},
                "sender_chat": channel.json(),
                "chat": group.json(),
                "date": self._date(),
                "text": text,
                "is_automatic_forward": True,
                "forward_origin": {
                    "type": "channel",
                    "chat": channel.json(),
                    "message_id": 5,
                    "date": self._date(),
                },
            },
        )

    def _bot_user(self) -> FakeUser:
        return FakeUser(
            self.bot_id, "Cowork Test", username=self.username, language_code="", is_bot=True
        )

    def _sees(self, chat: FakeChat, text: str, reply_to: Sent | None) -> bool:
        """Whether the bot receives a message in a group: all of them as an admin or with
        privacy mode off; otherwise commands meant for it (`/cmd@bot`), general commands
        if it was the last bot to write there, and replies to its messages
        (https://core.telegram.org/bots/features#privacy-mode)."""
        if chat.type == "private" or not self.privacy_mode:
            return True
        if chat.bot_status in ("administrator", "creator"):
            return True
        if reply_to is not None:
            return True
        if not text.startswith("/"):
            return False
        word = text.split()[0] if text.split() else text
        if "@" in word:
            return word.partition("@")[2].lower() == self.username.lower()
        return chat.last_bot in (None, self.bot_id)

    def other_bot_writes(self, chat: FakeChat) -> None:
        """Another bot posts in the group: general commands now go to that bot."""
        chat.last_bot = 424242

    # -- what people do -------------------------------------------------------------------

    def _next_message_id(self, chat_id: int) -> int:
        self._last_ids[chat_id] = self._last_ids.get(chat_id, 0) + 1
        return self._last_ids[chat_id]

    def _push(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, kind: payload})
        self._notify()
        return update_id

    def _notify(self) -> None:
        async def wake() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(wake())
        idle = self._deliverer is None or self._deliverer.done()
        if self.webhook is not None and self.webhook_target and idle:
            self._deliverer = asyncio.get_running_loop().create_task(self._deliver_webhook())

    def say(
        self,
        user: FakeUser,
        chat: FakeChat | None,
        text: str,
        *,
        anonymous: bool = False,
        edit_of: int | None = None,
        topic: int | None = None,
        reply_to: Sent | None = None,
        as_channel: FakeChat | None = None,
    ) -> int:
        """`user` writes `text` in `chat` (their private chat if None); the update id.

        `topic` is a forum topic (None: General); `reply_to` one of the bot's messages;
        `as_channel` posts on behalf of a channel. A message the bot would not receive
        (privacy mode) is not delivered to it: the id is returned all the same.
        """
        where = chat or self.private(user)
        if where.type == "private":
            user.started = True
        sender: dict[str, Any] = user.json()
        message: dict[str, Any] = {
            "message_id": edit_of or self._next_message_id(where.id),
            "from": sender,
            "chat": where.json(),
            "date": self._date(),
            "text": text,
        }
        if topic is not None:
            # In a topic every message belongs to its thread, and one that answers no
            # message answers the topic's creation (https://core.telegram.org/bots/api#message).
            assert topic in where.topics, f"no topic {topic} in {where.title}"
            message["message_thread_id"] = topic
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = self._message_json(reply_to)
            if where.type == "supergroup":
                # A reply in any supergroup belongs to the thread of what it answers;
                # without is_topic_message that is a thread of replies, not a topic.
                message.setdefault("message_thread_id", reply_to.thread or reply_to.message_id)
        if as_channel is not None:
            # Written on behalf of a channel: `sender_chat` is the channel, `from` the
            # placeholder bot 136817688 (https://core.telegram.org/bots/api#message).
            message["from"] = {
                "id": 136817688,
                "is_bot": True,
                "first_name": "Channel",
                "username": "Channel_Bot",
            }
            message["sender_chat"] = as_channel.json()
        if anonymous:
            message["from"] = {
                "id": ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            }
            message["sender_chat"] = where.json()
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if not self._sees(where, text, reply_to):
            return 0  # Telegram keeps it from the bot: there is no update
        if edit_of is not None:
            message["edit_date"] = self._date()
            return self._push("edited_message", message)
        return self._push("message", message)

    def _file(self, content: bytes, kind: str, ext: str) -> dict[str, Any]:
        """Keep `content` as Telegram keeps an uploaded file: a file_id, a file_unique_id,
        and a file_path that getFile gives out (https://core.telegram.org/bots/api#file)."""
        number = next(self._ids)
        file_id = f"AgAC{kind}{number:08d}-fake"
        unique = f"AQAD{number:06d}"
        path = f"{kind}s/file_{number}.{ext}"
        self.files[file_id] = (unique, path, content)
        return {"file_id": file_id, "file_unique_id": unique, "file_size": len(content)}

    def send_file(
        self,
        user: FakeUser,
        chat: FakeChat | None,
        caption: str,
        *,
        photo: bytes | None = None,
        document: tuple[str, bytes, str] | None = None,
        announce_size: bool = True,
    ) -> int:
        """`user` sends a photo or a file with `caption`: the update id.

        As Telegram sends it (https://core.telegram.org/bots/api#message): the text is in
        `caption` with `caption_entities`; a photo is `photo`, an array of PhotoSize from
        the smallest thumbnail to the picture as sent, each with its own file_id; a file
        is `document`, whose `file_name`, `mime_type` and `file_size` are all optional.
        `announce_size=False` leaves `file_size` out, as Telegram may.
        """
        where = chat or self.private(user)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(where.id),
            "from": user.json(),
            "chat": where.json(),
            "date": int(time.time()),
        }
        if photo is not None:
            sizes = []
            for width, height, content in (
                (90, 67, b"\xff\xd8\xff\xe0thumbnail-s" + photo[:16]),
                (320, 240, b"\xff\xd8\xff\xe0thumbnail-m" + photo[:64]),
                (1280, 960, photo),
            ):
                size = {**self._file(content, "photo", "jpg"), "width": width, "height": height}
                if not announce_size:
                    del size["file_size"]
                sizes.append(size)
            message["photo"] = sizes
        if document is not None:
            name, content, mime = document
            ext = name.rpartition(".")[2] or "bin"
            data = self._file(content, "document", ext)
            if name:
                data["file_name"] = name
            if mime:
                data["mime_type"] = mime
            if not announce_size:
                del data["file_size"]
            message["document"] = data
        if caption:
            message["caption"] = caption
            if caption.startswith("/"):
                length = len(caption.split()[0])
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": length}
                ]
        return self._push("message", message)

    def press(self, user: FakeUser, sent: Sent, label: str) -> int:
        return self.press_data(user, sent, sent.button(label))

    def press_data(self, user: FakeUser, sent: Sent, data: str) -> int:
        """`user` presses a button of `sent` whose callback data is `data` (forged, maybe)."""
        query_id = str(next(self._ids) * 7919)
        self._queries[query_id] = (sent.chat_id, sent.message_id)
        return self._push(
            "callback_query",
            {
                "id": query_id,
                "from": user.json(),
                "message": self._message_json(sent),
                "chat_instance": str(abs(sent.chat_id) * 31),
                "data": data,
            },
        )

    def leave(self, user: FakeUser, chat: FakeChat) -> list[int]:
        """`user` leaves the group: the service message and, if asked for, chat_member."""
        old = chat.members.get(user.id, "member")
        chat.members[user.id] = "left"
        ids = [
            self._push(
                "message",
                {
                    "message_id": self._next_message_id(chat.id),
                    "from": user.json(),
                    "chat": chat.json(),
                    "date": self._date(),
                    "left_chat_member": user.json(),
                },
            )
        ]
        if self.allowed_updates is not None and "chat_member" in self.allowed_updates:
            change = {
                "chat": chat.json(),
                "from": user.json(),
                "date": self._date(),
                "old_chat_member": self._member_json(user, old),
                "new_chat_member": self._member_json(user, "left"),
            }
            ids.append(self._push("chat_member", change))
        return ids

    async def wait_confirmed(self, update_id: int) -> None:
        """Until the bot confirmed `update_id` (asked for the ones after it); 15 s at most."""
        async with asyncio.timeout(15), self._changed:
            await self._changed.wait_for(lambda: self.confirmed > update_id)

    def unconfirm_all(self) -> None:
        """Forget every confirmation: what Telegram does for a bot that died before confirming."""
        self.confirmed = 0

    # -- reading what the bot did ----------------------------------------------------------

    def to(self, who: FakeUser | FakeChat) -> list[Sent]:
        chat_id = who.id
        return [s for s in self.sent if s.chat_id == chat_id]

    def error_count(self, code: int, methods: frozenset[str] = SEND_METHODS) -> int:
        return sum(1 for method, c, _ in self.errors if c == code and method in methods)

    # -- failures on purpose ----------------------------------------------------------------

    def fail_next(self, kind: str, method: str = "sendMessage", retry_after: int = 1) -> None:
        """The next call to `method` fails this way ("429", "5xx", "timeout", "drop", "lost")."""
        self._forced.append((method, kind, retry_after))

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)

    def hold(self) -> None:
        """Keep every send waiting, unprocessed, until `release()`."""
        self._holding = True
        self._released.clear()

    def release(self, *, discard: bool = False) -> None:
        """Let held sends go on; with `discard`, they fail (502) without being accepted."""
        self._discard = discard
        self._holding = False
        self._released.set()

    # -- HTTP -----------------------------------------------------------------------------

    async def _route(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        _REQUEST.set(request)
        self.calls[method] += 1
        if request.match_info["token"] != self.token:
            return self._error(method, ApiError(401, "Unauthorized"))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(method, ApiError(404, "Not Found"))
        try:
            try:
                params, files = await _read_params(request)
            except ConnectionResetError:
                return web.Response(status=499)  # the client went away mid-request
            fault = self._fault(method)
            if fault is not None:
                await self._apply(fault, params)
            if method in SEND_METHODS and self._holding:
                self.held += 1
                try:
                    await self._released.wait()
                finally:
                    self.held -= 1
                if self._discard:
                    raise ApiError(502, "Bad Gateway")
            result = await handler(params, files)
            if fault is not None and fault[0] == "lost":
                raise _Drop
            return web.json_response({"ok": True, "result": result})
        except ApiError as err:
            return self._error(method, err)
        except _Drop:
            self.errors.append((method, 0, "connection dropped"))
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)

    def _error(self, method: str, err: ApiError) -> web.Response:
        self.errors.append((method, err.code, err.description))
        body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
        if err.parameters:
            body["parameters"] = err.parameters
        return web.json_response(body, status=err.code)

    def _fault(self, method: str) -> tuple[str, int] | None:
        for i, (wanted, kind, retry_after) in enumerate(self._forced):
            if wanted == method:
                del self._forced[i]
                return kind, retry_after
        faults = self.faults
        if faults.rate and method in faults.methods and self._rng.random() < faults.rate:
            return self._rng.choice(faults.kinds), 1
        return None

    async def _apply(self, fault: tuple[str, int], params: dict[str, Any]) -> None:
        kind, retry_after = fault
        if kind == "5xx":
            if self._rng.random() < 0.5:
                raise ApiError(500, "Internal Server Error")
            raise ApiError(502, "Bad Gateway")
        if kind == "timeout":
            await asyncio.sleep(self.faults.hang)
            raise ApiError(504, "Gateway Timeout")
        if kind == "drop":
            raise _Drop
        if kind == "429":
            self._too_many(retry_after, str(params.get("chat_id", "*")))

    # -- the Bot API methods --------------------------------------------------------------

    def _bot_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Cowork Test",
            "username": self.username,
        }

    async def _api_getMe(self, p: dict[str, Any], files: Files) -> Any:
        return {
            **self._bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, p: dict[str, Any], files: Files) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset") or 0)
        limit = max(1, min(100, int(p.get("limit") or 100)))
        timeout = float(p.get("timeout") or 0)
        if "allowed_updates" in p:
            self.allowed_updates = _json(p["allowed_updates"])
        if offset > self.confirmed:
            self.confirmed = offset
            async with self._changed:
                self._changed.notify_all()
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            pending = [u for u in self._waiting() if self._allowed(u)]
            remaining = deadline - time.monotonic()
            # A newer getUpdates ends this one: a long poll its client gave up on (a bot
            # that stopped) answers nobody, and delivers nothing.
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            if pending or remaining <= 0:
                break
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining, 0.5)):
                        await self._changed.wait()
        if _client_gone():
            # The bot gave up on this poll (it stopped and closed the connection): what
            # a closed connection would carry reaches nobody, so nothing is delivered.
            return []
        batch = pending[:limit]
        for update in batch:
            self.deliveries[update["update_id"]] += 1
        return batch

    def _waiting(self) -> list[dict[str, Any]]:
        """Unconfirmed updates, none older than 24 hours: "they will not be kept longer
        than 24 hours" (https://core.telegram.org/bots/api#getting-updates)."""
        oldest = self._date() - 24 * 3600
        return [
            u
            for u in self.updates
            if u["update_id"] >= self.confirmed and _update_date(u, oldest) >= oldest
        ]

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        # By default every kind but chat_member, message_reaction(_count) is sent
        # (https://core.telegram.org/bots/api#getupdates, allowed_updates).
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind != "chat_member"

    async def _api_sendMessage(self, p: dict[str, Any], files: Files) -> Any:
        chat = self._writable_chat(p)
        text, entities = self._text(p, "text", "parse_mode", TEXT_LIMIT, "message is too long")
        if not text.strip():
            raise bad_request("message text is empty")
        return self._accept("sendMessage", chat, p, text, entities, None)

    async def _api_sendDocument(self, p: dict[str, Any], files: Files) -> Any:
        chat = self._writable_chat(p)
        upload = files.get("document")
        if upload is None:
            raise bad_request("there is no document in the request")
        caption, entities = "", []
        if p.get("caption"):
            caption, entities = self._text(
                p, "caption", "parse_mode", CAPTION_LIMIT, "message caption is too long"
            )
        return self._accept("sendDocument", chat, p, caption, entities, upload)

    async def _api_sendPhoto(self, p: dict[str, Any], files: Files) -> Any:
        """https://core.telegram.org/bots/api#sendphoto: an uploaded picture, shown inline."""
        chat = self._writable_chat(p)
        upload = files.get("photo")
        if upload is None:
            raise bad_request("there is no photo in the request")
        if len(upload[1]) > PHOTO_LIMIT:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        if upload[1][:8] != b"\x89PNG\r\n\x1a\n" and upload[1][:3] != b"\xff\xd8\xff":
            raise bad_request("IMAGE_PROCESS_FAILED")
        caption, entities = "", []
        if p.get("caption"):
            caption, entities = self._text(
                p, "caption", "parse_mode", CAPTION_LIMIT, "message caption is too long"
            )
        sent = self._accept("sendPhoto", chat, p, caption, entities, None)
        self.sent[-1].photo = upload[1]
        return sent

    async def _api_getFile(self, p: dict[str, Any], files: Files) -> Any:
        """https://core.telegram.org/bots/api#getfile: a File with its `file_path`; files
        over 20 MB cannot be downloaded by bots."""
        file_id = str(p.get("file_id") or "")
        if file_id not in self.files:
            raise bad_request("invalid file_id")
        unique, path, content = self.files[file_id]
        if len(content) > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": len(content),
            "file_path": path,
        }

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """`GET /file/bot<token>/<file_path>`: the file's bytes."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for _, known, content in self.files.values():
            if known == path:
                self.downloads[path] += 1
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    async def _api_editMessageText(self, p: dict[str, Any], files: Files) -> Any:
        chat_id = int(p.get("chat_id") or 0)
        message_id = int(p.get("message_id") or 0)
        found = [s for s in self.sent if s.chat_id == chat_id and s.message_id == message_id]
        if not found:
            raise bad_request("message to edit not found")
        sent = found[-1]
        text, entities = self._text(p, "text", "parse_mode", TEXT_LIMIT, "message is too long")
        if not text.strip():
            raise bad_request("message text is empty")
        buttons = _buttons(p)
        if text == sent.text and entities == sent.entities and buttons == sent.buttons:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        sent.html, sent.text, sent.entities, sent.buttons = str(p["text"]), text, entities, buttons
        sent.edits += 1
        return self._message_json(sent)

    async def _api_answerCallbackQuery(self, p: dict[str, Any], files: Files) -> Any:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self._queries or query_id in self.answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = str(p.get("text") or "")
        if len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.answers[query_id] = (text, _json(p.get("show_alert", "false")) is True)
        return True

    async def _api_getChatMember(self, p: dict[str, Any], files: Files) -> Any:
        chat = self._chat(p)
        self._not_migrated(chat)
        if int(p.get("user_id") or 0) == self.bot_id and chat.type != "private":
            if chat.bot_status in ("left", "kicked"):
                raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
            return self._member_json(self._bot_user(), chat.bot_status)
        user = self.users.get(int(p.get("user_id") or 0))
        if user is None:
            raise bad_request("PARTICIPANT_ID_INVALID")
        if chat.type == "private":
            return self._member_json(user, "member")
        return self._member_json(user, chat.members.get(user.id, "left"))

    async def _api_getChatAdministrators(self, p: dict[str, Any], files: Files) -> Any:
        chat = self._chat(p)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        return [
            self._member_json(self.users[user_id], status)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]

    async def _api_setMyCommands(self, p: dict[str, Any], files: Files) -> Any:
        commands = _json(p.get("commands", "[]"))
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        entries: list[tuple[str, str]] = []
        for item in commands:
            name, description = item.get("command", ""), item.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            entries.append((name, description))
        scope = _json(p.get("scope", '{"type": "default"}'))
        language = str(p.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("LANG_CODE_INVALID")
        self.commands[(scope.get("type", "default"), language)] = entries
        return True

    async def _api_deleteWebhook(self, p: dict[str, Any], files: Files) -> Any:
        self.webhook = None
        if _json(p.get("drop_pending_updates", "false")) is True:
            self.confirmed = next(self._update_ids)
        return True

    async def _api_setWebhook(self, p: dict[str, Any], files: Files) -> Any:
        url = str(p.get("url") or "")
        if not url:
            self.webhook = None
            return True
        if not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = str(p.get("secret_token") or "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{0,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": _json(p["allowed_updates"]) if "allowed_updates" in p else None,
            "max_connections": int(p.get("max_connections") or 40),
        }
        if self.webhook["allowed_updates"] is not None:
            self.allowed_updates = self.webhook["allowed_updates"]
        self._notify()
        return True

    # -- the parts of a send --------------------------------------------------------------

    def _chat(self, p: dict[str, Any]) -> FakeChat:
        try:
            chat_id = int(p.get("chat_id") or 0)
        except ValueError:
            raise bad_request("chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _not_migrated(self, chat: FakeChat) -> None:
        """A basic group that became a supergroup answers with where it went
        (https://core.telegram.org/bots/api#responseparameters, migrate_to_chat_id)."""
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )

    def _thread(self, chat: FakeChat, p: dict[str, Any]) -> int | None:
        """The topic a message goes to. General is reached by giving no thread: thread 1
        (General's id inside Telegram) is refused, like any topic that does not exist
        (https://core.telegram.org/bots/api#sendmessage, message_thread_id: "for forum
        supergroups only")."""
        if "message_thread_id" not in p:
            return None
        thread = int(p["message_thread_id"])
        if not chat.forum or thread not in chat.topics:
            raise bad_request("message thread not found")
        return thread

    def _writable_chat(self, p: dict[str, Any]) -> FakeChat:
        chat = self._chat(p)
        self._not_migrated(chat)
        if chat.type == "private":
            assert chat.user is not None
            if chat.user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _text(
        self, p: dict[str, Any], key: str, mode_key: str, limit: int, too_long: str
    ) -> tuple[str, list[dict[str, Any]]]:
        raw = str(p.get(key) or "")
        mode = str(p.get(mode_key) or "")
        if mode.upper() == "HTML":
            try:
                text, entities = parse_html(raw)
            except EntityError as err:
                raise bad_request(f"can't parse entities: {err}") from None
        elif mode:
            raise bad_request(f"unsupported parse_mode {mode!r} in this fake")
        else:
            text, entities = raw, []
        if utf16_len(text) > limit:
            raise bad_request(too_long)
        return text, entities

    def _check_rate(self, chat: FakeChat) -> None:
        """Flood control as Telegram does it: too fast for a chat stops that chat, too fast
        overall stops the bot, each for `retry_after` seconds."""
        now = time.monotonic()
        for key in ("*", str(chat.id)):
            until = self._flood.get(key, 0.0)
            if now < until:
                self._too_many(math.ceil(until - now), key)
        limits = self.limits
        if chat.type == "private":
            chat_rule = (limits.private, limits.private_period)
        else:
            chat_rule = (limits.group, limits.group_period)
        for key, (count, period) in (
            ("*", (limits.overall, limits.overall_period)),
            (str(chat.id), chat_rule),
        ):
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - period:
                window.popleft()
            if len(window) >= count:
                self._too_many(max(1, math.ceil(window[0] + period - now)), key)

    def _too_many(self, retry_after: int, key: str) -> None:
        until = time.monotonic() + retry_after
        self._flood[key] = max(self._flood.get(key, 0.0), until)
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    def _accept(
        self,
        method: str,
        chat: FakeChat,
        p: dict[str, Any],
        text: str,
        entities: list[dict[str, Any]],
        upload: tuple[str, bytes, str] | None,
    ) -> dict[str, Any]:
        buttons = _buttons(p)
        reply = _json(p["reply_parameters"]) if "reply_parameters" in p else None
        reply_to = None
        if isinstance(reply, dict):
            reply_to = int(reply.get("message_id", 0))
            known = 1 <= reply_to <= self._last_ids.get(chat.id, 0)
            if not known and not reply.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
        thread = self._thread(chat, p)
        self._check_rate(chat)
        now = time.monotonic()
        for key in ("*", str(chat.id)):
            self._windows.setdefault(key, deque()).append(now)
        chat.last_bot = self.bot_id
        sent = Sent(
            message_id=self._next_message_id(chat.id),
            chat_id=chat.id,
            method=method,
            html=str(p.get("text") or p.get("caption") or ""),
            text=text,
            entities=entities,
            buttons=buttons,
            reply_to=reply_to,
            document=(upload[0], upload[1]) if upload else None,
            at=now,
            thread=thread,
        )
        self.sent.append(sent)
        return self._message_json(sent)

    def _message_json(self, sent: Sent) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": sent.message_id,
            "from": self._bot_json(),
            "chat": self.chats[sent.chat_id].json(),
            "date": self._date(),
        }
        if sent.thread is not None:
            data["message_thread_id"] = sent.thread
            data["is_topic_message"] = True
        media = sent.document is not None or sent.photo is not None
        key = "caption" if media else "text"
        if sent.text:
            data[key] = sent.text
            if sent.entities:
                data[f"{key}_entities" if media else "entities"] = sent.entities
        if sent.photo is not None:
            data["photo"] = [
                {
                    "file_id": f"photo{sent.chat_id}_{sent.message_id}",
                    "file_unique_id": f"p{sent.message_id}",
                    "file_size": len(sent.photo),
                    "width": 392,
                    "height": 392,
                }
            ]
        if sent.document is not None:
            name, content = sent.document
            data["document"] = {
                "file_id": f"doc{sent.chat_id}_{sent.message_id}",
                "file_unique_id": f"u{sent.message_id}",
                "file_name": name,
                "file_size": len(content),
            }
        if sent.buttons:
            data["reply_markup"] = {
                "inline_keyboard": [[{"text": t, "callback_data": d} for t, d in sent.buttons]]
            }
        return data

    def _member_json(self, user: FakeUser, status: str) -> dict[str, Any]:
        data: dict[str, Any] = {"status": status, "user": user.json()}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            data.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            )
        elif status == "kicked":
            data["until_date"] = 0
        return data

    # -- webhook delivery -----------------------------------------------------------------

    async def post_alternately(
        self,
        update_ids: list[int],
        targets: list[str],
        *,
        concurrency: int = 16,
        duplicate_every: int = 0,
    ) -> Counter[str]:
        """Post these updates to several webhook targets (replicas behind one URL),
        alternately, `concurrency` at a time; every `duplicate_every`-th one is posted to
        two targets at once (Telegram redelivers an update whose answer it missed, and a
        balancer may hand the second try to another replica). A post that fails
        (refused: a replica is down) is tried on the next target, as Telegram tries
        again, until one answers 2xx. Returns the 2xx answers per target.

        Telegram posts to one URL (https://core.telegram.org/bots/api#setwebhook, at
        most `max_connections` at once) and retries until it gets a 2xx; the targets
        stand for the replicas behind it."""
        import aiohttp

        for _ in range(300):  # a replica listens a moment before it calls setWebhook
            if self.webhook is not None:
                break
            await asyncio.sleep(0.1)
        assert self.webhook is not None, "setWebhook first"
        by_id = {u["update_id"]: u for u in self.updates}
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret_token"]}
        answered: Counter[str] = Counter()
        limit = asyncio.Semaphore(concurrency)

        async def post(session: aiohttp.ClientSession, update: dict[str, Any], first: int) -> None:
            for attempt in itertools.count():
                target = targets[(first + attempt) % len(targets)]
                self.deliveries[update["update_id"]] += 1
                try:
                    async with session.post(target, json=update, headers=headers) as response:
                        if 200 <= response.status < 300:
                            answered[target] += 1
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(min(0.5, 0.02 * (attempt + 1)))

        async def one(session: aiohttp.ClientSession, index: int, update_id: int) -> None:
            async with limit:
                update = by_id[update_id]
                posts = [post(session, update, index)]
                if duplicate_every and index % duplicate_every == duplicate_every - 1:
                    posts.append(post(session, update, index + 1))
                await asyncio.gather(*posts)

        connector = aiohttp.TCPConnector(limit=concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*(one(session, i, u) for i, u in enumerate(update_ids)))
        return answered

    async def _deliver_webhook(self) -> None:
        """Post unconfirmed updates to the webhook, one at a time, until each gets a 2xx."""
        import aiohttp

        async with aiohttp.ClientSession() as session:
            attempts = 0
            while self.webhook is not None:
                pending = [
                    u for u in self.updates if u["update_id"] >= self.confirmed and self._allowed(u)
                ]
                if not pending:
                    return
                update = pending[0]
                self.deliveries[update["update_id"]] += 1
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret_token"]}
                try:
                    async with session.post(
                        self.webhook_target, json=update, headers=headers
                    ) as response:
                        ok = 200 <= response.status < 300
                        self.webhook["last_status"] = response.status
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    attempts = 0
                    self.confirmed = update["update_id"] + 1
                    async with self._changed:
                        self._changed.notify_all()
                else:
                    attempts += 1
                    if attempts > 20:
                        return
                    await asyncio.sleep(0.05 * attempts)


Files = dict[str, tuple[str, bytes, str]]


async def _read_params(request: web.Request) -> tuple[dict[str, Any], Files]:
    params: dict[str, Any] = dict(request.query)
    files: Files = {}
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read(), value.content_type)
            else:
                params[key] = value
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name in files:
                files[key] = files[name]
                del params[key]
    return params, files


def _update_date(update: dict[str, Any], default: int) -> int:
    for key, value in update.items():
        if key != "update_id" and isinstance(value, dict):
            date = value.get("date", (value.get("message") or {}).get("date"))
            if isinstance(date, int):
                return date
    return default


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _buttons(p: dict[str, Any]) -> list[tuple[str, str]]:
    if "reply_markup" not in p:
        return []
    markup = _json(p["reply_markup"])
    out: list[tuple[str, str]] = []
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise bad_request("BUTTON_TEXT_INVALID")
            out.append((button["text"], str(data or "")))
    return out


# -- the whole bot against the fake server ------------------------------------------------


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    """Wait until `check()` holds (a condition to reach, not a time to assert)."""
    for _ in range(int(within / 0.01)):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


class TelegramBot:
    """The real app (dispatcher, handlers, SQLite, outbox) with the real TelegramTransport,
    talking HTTP to a `FakeTelegram`. Say something as a Telegram user, read the replies:

        sent = await tg.say(anna, "/setup Veglio", group)
        assert "ready" in sent[0].text
    """

    def __init__(
        self,
        server: FakeTelegram,
        data_dir: Path,
        *,
        clock: FakeClock | None = None,
        speed: float = 1.0,
        timeouts: Timeouts | None = None,
        routers: list[Router] | None = None,
        mode: str = "polling",
        language: str = "en",
        scripted: bool = False,
    ) -> None:
        """`scripted`: its people type faster than any real one, so each start lifts the
        flood guard (which counts real seconds)."""
        self.server = server
        self.data_dir = data_dir
        self.clock = clock or FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
        self.speed = speed
        self.timeouts = timeouts or Timeouts(connect=2, read=2, write=2, pool=2, poll=2)
        self.routers = routers if routers is not None else coworkbot.routers()
        self.mode = mode
        self.language = language
        self.scripted = scripted
        self._app: App | None = None
        self._transport: TelegramTransport | None = None

    @property
    def app(self) -> App:
        assert self._app is not None, "start() first"
        return self._app

    @property
    def transport(self) -> TelegramTransport:
        assert self._transport is not None, "start() first"
        return self._transport

    def section(self) -> TelegramSection:
        webhook = self.mode == "webhook"
        return TelegramSection(
            token=self.server.token,
            api_base_url=self.server.base_url,
            mode=self.mode,
            webhook_url="https://bot.example.org/telegram/hook" if webhook else "",
            listen="127.0.0.1",
            port=0 if webhook else 8443,
        )

    async def start(self) -> TelegramBot:
        if self.server.clock is None:
            self.server.clock = self.clock.now  # one time on both sides
        section = self.section()
        config = Config(
            path=None,
            bot=BotSection(data_dir=self.data_dir, default_language=self.language),
            telegram=section,
        )
        self._transport = TelegramTransport(
            section,
            clock=self.clock,
            menu=command_menu(self.routers, self.language),
            limits=TELEGRAM_LIMITS.faster(self.speed),
            timeouts=self.timeouts,
            language=self.language,
        )
        self._app = App(
            config, [self._transport], clock=self.clock, background=False, routers=self.routers
        )
        await self._app.start()
        if self.scripted:
            self._app.dispatcher.flood = FloodGuard(limit=1_000_000)
        if self.mode == "webhook":
            port = self._transport.webhook_port
            self.server.webhook_target = f"http://127.0.0.1:{port}/telegram/hook"
        return self

    async def stop(self) -> None:
        if self._app is not None:
            await self._app.stop()
            self._app = None

    async def crash(self) -> None:
        """Stop as a killed process would: no last delivery, nothing confirmed at exit."""
        app = self.app
        transport = self.transport
        transport._offset = None  # the final confirmation is what a crash never sends
        await transport.stop()
        await app.store.close()
        self._app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # -- talking --------------------------------------------------------------------------

    async def say(
        self, user: FakeUser, text: str, chat: FakeChat | None = None, **kwargs: Any
    ) -> list[Sent]:
        """`user` writes `text` (privately unless `chat`); what the bot sent because of it."""
        before = len(self.server.sent)
        update_id = self.server.say(user, chat, text, **kwargs)
        if update_id:  # 0: Telegram did not pass it to the bot (privacy mode)
            await self.server.wait_confirmed(update_id)
        await self.deliver()
        return self.server.sent[before:]

    async def send_file(
        self, user: FakeUser, caption: str, chat: FakeChat | None = None, **kwargs: Any
    ) -> list[Sent]:
        """`user` sends a photo or file with `caption`; what the bot sent because of it."""
        before = len(self.server.sent)
        update_id = self.server.send_file(user, chat, caption, **kwargs)
        await self.server.wait_confirmed(update_id)
        await self.deliver()
        return self.server.sent[before:]

    async def press(self, user: FakeUser, sent: Sent, label: str) -> list[Sent]:
        before = len(self.server.sent)
        update_id = self.server.press(user, sent, label)
        await self.server.wait_confirmed(update_id)
        await self.deliver()
        return self.server.sent[before:]

    async def deliver(self, *, patience: int = 50) -> int:
        """Send everything queued, moving the clock past retry waits; returns how many."""
        total = 0
        for _ in range(patience):
            total += await self.app.outbox.flush()
            if not await self.pending():
                return total
            self.clock.advance(timedelta(minutes=10))
        raise AssertionError(f"{await self.pending()} outbox rows still pending")

    async def pending(self) -> int:
        async with self.app.store.transaction() as session:
            return await session.outbox.pending_count()

    async def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        async with self.app.store.transaction() as session:
            return await session.tx.fetchall(sql, params)

    async def fetchval(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        async with self.app.store.transaction() as session:
            return await session.tx.fetchval(sql, params)
