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

from bot.events import Attachment, ChatRef, IncomingMessage, Kind, Platform, UserRef

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
    attachment = None
    if text is None:
        # A photo or a file whose caption is a command (a receipt with `/bill`): the
        # command is the caption (https://core.telegram.org/bots/api#message, `caption`).
        attachment = attachment_of(message)
        text = message.caption if attachment is not None else None
    if text is None:
        return None  # stickers, captionless photos, service messages: nothing to answer
    sender = message.from_user
    if message.sender_chat is not None or not is_person(sender):
        if sender is not None and sender.is_bot and sender.id not in _NOT_PEOPLE:
            return None  # another bot talking
        if update.edited_message is not None:
            return None
        return anonymous_command(message, text, bot_name)
    assert sender is not None
    kind = Kind.EDITED if update.edited_message is not None else Kind.MESSAGE
    return _incoming(update, message, sender, text, kind, attachment)


def attachment_of(message: Message) -> Attachment | None:
    """The photo or document of a message, not fetched yet (the transport fetches it).

    A photo comes in several sizes, smallest first; the largest is the picture as sent
    (https://core.telegram.org/bots/api#photosize). A document carries its own name and
    type, both optional (https://core.telegram.org/bots/api#document).
    """
    if message.photo:
        best = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return Attachment(
            filename=f"photo-{best.file_unique_id}.jpg",
            mime_type="image/jpeg",
            size=best.file_size or 0,
            ref=best.file_id,
        )
    document = message.document
    if document is not None:
        return Attachment(
            filename=document.file_name or f"file-{document.file_unique_id}",
            mime_type=document.mime_type or "",
            size=document.file_size or 0,
            ref=document.file_id,
        )
    return None


def _incoming(
    update: Update,
    message: Message,
    sender: User,
    text: str,
    kind: Kind,
    attachment: Attachment | None = None,
) -> IncomingMessage:
    return IncomingMessage(
        update_id=str(update.update_id),
        chat=chat_ref(message.chat),
        sender=user_ref(sender),
        text=text,
        timestamp=message.date,
        kind=kind,
        message_id=str(message.message_id),
        attachment=attachment,
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
