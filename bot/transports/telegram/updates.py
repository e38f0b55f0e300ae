"""Telegram updates as the engine's `IncomingMessage`s: the one catch-all conversion.

Routing is the dispatcher's job; here an update only becomes what it is: a message, an
edited message (which the dispatcher ignores), or someone leaving a group. Button
presses need the signer and an answer to Telegram, so the transport handles them.

Someone who writes "as the group" (an anonymous group admin) or as a channel cannot be
told apart from the other admins, so their commands come back as `AnonymousCommand`:
the transport asks them to confirm with a button, and the press names the real person.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat, ChatMemberUpdated, Message, Update, User
from telegram.constants import ChatID, ChatMemberStatus, ChatType

from bot.events import ChatRef, IncomingMessage, Kind, Platform, UserRef

ANONYMOUS_ADMIN = ChatID.ANONYMOUS_ADMIN  # 1087968824, "GroupAnonymousBot"
_NOT_PEOPLE = {ChatID.ANONYMOUS_ADMIN, ChatID.FAKE_CHANNEL, ChatID.SERVICE_CHAT}
_GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}

# What getUpdates and setWebhook ask for; chat_member must be asked for by name.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "chat_member")


@dataclass(frozen=True)
class AnonymousCommand:
    """A command from someone writing as the group or as a channel."""

    chat: ChatRef
    command: str  # without the slash or the bot's @name: "setup Veglio"
    message_id: str


def chat_ref(chat: Chat) -> ChatRef:
    private = chat.type == ChatType.PRIVATE
    return ChatRef(Platform.TELEGRAM, str(chat.id), private, chat.title or "")


def user_ref(user: User) -> UserRef:
    language = (user.language_code or "")[:2].lower()
    return UserRef(Platform.TELEGRAM, str(user.id), user.full_name, user.username or "", language)


def is_person(user: User | None) -> bool:
    return user is not None and not user.is_bot and user.id not in _NOT_PEOPLE


def convert(
    update: Update, bot_id: int, bot_name: str
) -> IncomingMessage | AnonymousCommand | None:
    """What an update (other than a button press) means to the bot; None when nothing."""
    if update.chat_member is not None:
        return _member_change(update, update.chat_member)
    message = update.message or update.edited_message
    if message is None or message.chat.type == ChatType.CHANNEL:
        return None
    if message.left_chat_member is not None:
        gone = message.left_chat_member
        if gone.id == bot_id or not is_person(gone):
            return None
        return _incoming(update, message, gone, "", Kind.MEMBER_LEFT)
    text = message.text
    if text is None:
        return None  # photos, stickers, service messages: nothing to answer
    sender = message.from_user
    if message.sender_chat is not None or not is_person(sender):
        if sender is not None and sender.is_bot and sender.id not in _NOT_PEOPLE:
            return None  # another bot talking
        if update.edited_message is not None:
            return None
        return anonymous_command(message, text, bot_name)
    assert sender is not None
    kind = Kind.EDITED if update.edited_message is not None else Kind.MESSAGE
    return _incoming(update, message, sender, text, kind)


def _incoming(
    update: Update, message: Message, sender: User, text: str, kind: Kind
) -> IncomingMessage:
    return IncomingMessage(
        update_id=str(update.update_id),
        chat=chat_ref(message.chat),
        sender=user_ref(sender),
        text=text,
        timestamp=message.date,
        kind=kind,
        message_id=str(message.message_id),
        raw=update,
    )


def _member_change(update: Update, change: ChatMemberUpdated) -> IncomingMessage | None:
    old, new = change.old_chat_member, change.new_chat_member
    if new.status not in _GONE or old.status in _GONE or not is_person(new.user):
        return None
    return IncomingMessage(
        update_id=str(update.update_id),
        chat=chat_ref(change.chat),
        sender=user_ref(new.user),
        text="",
        timestamp=change.date,
        kind=Kind.MEMBER_LEFT,
        raw=update,
    )


def anonymous_command(message: Message, text: str, bot_name: str) -> AnonymousCommand | None:
    """The command an anonymous sender meant, if it is one and it is for this bot."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    first, *rest_list = stripped[1:].split(None, 1)
    rest = rest_list[0] if rest_list else ""
    word, at, addressee = first.partition("@")
    if at and bot_name and addressee.lower() != bot_name.lower():
        return None
    command = f"{word} {rest.strip()}".strip()
    return AnonymousCommand(chat_ref(message.chat), command, str(message.message_id))
