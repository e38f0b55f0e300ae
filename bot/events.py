"""The values that cross the border between a chat platform and the bot.

Transports turn platform objects into these and back; the dispatcher and the handlers
see nothing else, so the same handler runs unchanged on Telegram, Matrix, the console
and in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Platform(StrEnum):
    TELEGRAM = "telegram"
    MATRIX = "matrix"
    CONSOLE = "console"
    MEMORY = "memory"


class Kind(StrEnum):
    """What an incoming update is; only `MESSAGE` and `BUTTON` can carry commands.

    The others are events about a chat, handled by the routers' event hooks:
    `CHAT_MOVED` (the chat now lives at `moved_to`: a Telegram group upgraded to a
    supergroup, a Matrix room upgraded to a new version), `BOT_ADDED` / `BOT_REMOVED`
    (the bot was added to or removed from a group; in a private chat, the person
    unblocked or blocked it), `CANNOT_READ` (the bot is in the group but cannot see
    its messages: Telegram's privacy mode, and no admin rights) and `CAN_READ` (it can).
    """

    MESSAGE = "message"
    EDITED = "edited"
    BUTTON = "button"
    MEMBER_LEFT = "member_left"
    CHAT_MOVED = "chat_moved"
    BOT_ADDED = "bot_added"
    BOT_REMOVED = "bot_removed"
    CANNOT_READ = "cannot_read"
    CAN_READ = "can_read"


@dataclass(frozen=True)
class ChatRef:
    """Where a message lives.

    A private chat is named by the *user* it is with (`chat_id` is the user id): on
    Telegram that is the private chat id; on Matrix the transport maps it to the direct
    room it opens with that user. So a handler can write to a member without knowing
    which room the platform uses.
    """

    platform: Platform
    chat_id: str
    private: bool
    title: str = ""
    forum: bool = False  # a Telegram supergroup with topics


@dataclass(frozen=True)
class UserRef:
    platform: Platform
    user_id: str
    display_name: str
    username: str = ""
    language: str = ""

    @property
    def identity(self) -> str:
        """The stored identity, e.g. `telegram:123` or `matrix:@anna:example.org`."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Button:
    """An inline button; `command` is the command line it stands for (`offer 12`)."""

    label: str
    command: str


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    mime_type: str = "text/csv"

    @property
    def png_size(self) -> tuple[int, int] | None:
        """Width and height of a PNG image (from its IHDR chunk, which comes first)."""
        data = self.content
        if self.mime_type != "image/png" or data[:8] != b"\x89PNG\r\n\x1a\n":
            return None
        if data[12:16] != b"IHDR":
            return None
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# The largest file a command may bring (a receipt): transports do not fetch bigger ones.
MAX_ATTACHMENT = 10 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """A file that came with a command: on Telegram the photo or document the command is
    the caption of, on Matrix the image or file the command replies to.

    `size` is what the platform announced (0 if it did not say), or what was fetched;
    `content` is None when the file was not fetched: larger than MAX_ATTACHMENT, or the
    platform would not give it.
    `ref` is the platform's handle on it (Telegram `file_id`, Matrix `mxc://` URI).
    """

    filename: str
    mime_type: str
    size: int
    content: bytes | None = field(default=None, repr=False)
    ref: str = ""

    @property
    def too_big(self) -> bool:
        return max(self.size, len(self.content or b"")) > MAX_ATTACHMENT


@dataclass(frozen=True)
class IncomingMessage:
    """One update from a platform.

    `update_id` is the platform's own id (Telegram `update_id`, Matrix `event_id`): the
    dispatcher records it with the command's effects so a redelivered update does nothing.
    `message_id` is what a reply should point at (Matrix `m.in_reply_to`).

    `timestamp` is when the platform says it was sent, and `age` how long before the
    transport handed it over that was, by the transport's own clock (never negative: a
    time in the future is not trusted). A command sent while the bot was down comes
    late; its effects happen at the time it was sent (`Context.sent_at`).
    `thread_id` is the thread or topic the message belongs to (Telegram forum topic,
    Matrix `m.thread` root), where the reply goes too; empty for the main timeline.
    """

    update_id: str
    chat: ChatRef
    sender: UserRef
    text: str
    timestamp: datetime
    kind: Kind = Kind.MESSAGE
    message_id: str = ""
    sender_is_chat_admin: bool | None = None
    age: timedelta = timedelta(0)
    thread_id: str = ""
    moved_to: str = ""  # for CHAT_MOVED: the chat's new id
    attachment: Attachment | None = None
    raw: object = field(default=None, compare=False, repr=False)

    @property
    def dedupe_key(self) -> str:
        return f"{self.chat.platform}:{self.update_id}"


@dataclass(frozen=True)
class OutgoingMessage:
    """A message as the outbox hands it to a transport.

    `html` is the small HTML subset Telegram and Matrix both understand (`b`, `i`, `code`,
    `pre`, `a`); every piece of user text in it was escaped when it was rendered.
    `key` is the outbox row id: transports derive idempotency keys from it.
    `thread_id` is the thread or topic it goes to (empty: the chat's main timeline, on
    Telegram the General topic).
    """

    chat: ChatRef
    html: str
    buttons: tuple[Button, ...] = ()
    document: Document | None = None
    reply_to: str = ""
    key: int = 0
    thread_id: str = ""


def chat_event(
    kind: Kind,
    chat: ChatRef,
    key: str,
    at: datetime,
    *,
    by: UserRef | None = None,
    moved_to: str = "",
    raw: object = None,
) -> IncomingMessage:
    """Something that happened to a chat rather than something said in it (it moved, the
    bot was added or removed, it cannot read it). `key` is its dedupe id."""
    return IncomingMessage(
        update_id=key,
        chat=chat,
        sender=by or UserRef(chat.platform, "", ""),
        text="",
        timestamp=at,
        kind=kind,
        moved_to=moved_to,
        raw=raw,
    )
