"""The values that cross the border between a chat platform and the bot.

Transports turn platform objects into these and back; the dispatcher and the handlers
see nothing else, so the same handler runs unchanged on Telegram, Matrix, the console
and in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Platform(StrEnum):
    TELEGRAM = "telegram"
    MATRIX = "matrix"
    CONSOLE = "console"
    MEMORY = "memory"


class Kind(StrEnum):
    """What an incoming update is; only `MESSAGE` and `BUTTON` can carry commands."""

    MESSAGE = "message"
    EDITED = "edited"
    BUTTON = "button"
    MEMBER_LEFT = "member_left"


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
    """

    update_id: str
    chat: ChatRef
    sender: UserRef
    text: str
    timestamp: datetime
    kind: Kind = Kind.MESSAGE
    message_id: str = ""
    sender_is_chat_admin: bool | None = None
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
    """

    chat: ChatRef
    html: str
    buttons: tuple[Button, ...] = ()
    document: Document | None = None
    reply_to: str = ""
    key: int = 0
