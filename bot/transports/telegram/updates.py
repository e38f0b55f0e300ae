"""Telegram updates as the engine's `IncomingMessage`s: the one catch-all conversion.

Routing is the dispatcher's job; here an update only becomes what it is: a message, an
edited message (which the dispatcher ignores), someone leaving a group, or something
that happened to a chat (it moved, the bot was added or removed). Button presses need
the signer and an answer to Telegram, so the transport handles them.

Someone who writes "as the group" (an anonymous group admin) cannot be told apart from
the other admins, so their commands come back as `AnonymousCommand`: the transport asks
them to confirm with a button, and the press names the real person. A channel's posts
(and their automatic forwards into the channel's discussion group) are nobody's
commands and get no answer.

Bot API reference: https://core.telegram.org/bots/api#update (what an update holds),
https://core.telegram.org/bots/api#message (its fields), and
https://core.telegram.org/bots/api#chatmemberupdated (membership changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Chat, ChatMemberUpdated, Message, Update, User
from telegram.constants import ChatID, ChatMemberStatus, ChatType

from bot.events import Attachment, ChatRef, IncomingMessage, Kind, Platform, UserRef, chat_event

ANONYMOUS_ADMIN = ChatID.ANONYMOUS_ADMIN  # 1087968824, "GroupAnonymousBot"
_NOT_PEOPLE = {ChatID.ANONYMOUS_ADMIN, ChatID.FAKE_CHANNEL, ChatID.SERVICE_CHAT}
_GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
_IN = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_ADMIN = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
# General, the first topic of a forum, is thread 1 inside Telegram, but a message sent
# with message_thread_id 1 is refused: General is reached by giving no thread at all.
GENERAL_TOPIC = "1"

# What getUpdates and setWebhook ask for; chat_member and my_chat_member must be asked
# for by name (https://core.telegram.org/bots/api#getupdates, allowed_updates).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "chat_member", "my_chat_member")


@dataclass(frozen=True)
class AnonymousCommand:
    """A command from someone writing as the group."""

    chat: ChatRef
    command: str  # without the slash or the bot's @name: "setup Veglio"
    message_id: str
    thread_id: str = ""


def chat_ref(chat: Chat) -> ChatRef:
    private = chat.type == ChatType.PRIVATE
    return ChatRef(Platform.TELEGRAM, str(chat.id), private, chat.title or "", bool(chat.is_forum))


def user_ref(user: User) -> UserRef:
    language = (user.language_code or "")[:2].lower()
    return UserRef(Platform.TELEGRAM, str(user.id), user.full_name, user.username or "", language)


def is_person(user: User | None) -> bool:
    return user is not None and not user.is_bot and user.id not in _NOT_PEOPLE


def age(sent: datetime, now: datetime | None) -> timedelta:
    """How long ago Telegram says a message was sent; a time ahead of ours counts as now."""
    return timedelta(0) if now is None else max(now - sent, timedelta(0))


def thread_of(message: Message) -> str:
    """The forum topic a message is in; '' for General and for groups without topics.

    In any supergroup a reply carries `message_thread_id` (the thread of replies it
    belongs to); only `is_topic_message` says it is a forum topic's.
    """
    if message.is_topic_message and message.message_thread_id is not None:
        topic = str(message.message_thread_id)
        return "" if topic == GENERAL_TOPIC else topic
    return ""


def convert(
    update: Update, bot_id: int, bot_name: str, now: datetime | None = None
) -> IncomingMessage | AnonymousCommand | None:
    """What an update (other than a button press) means to the bot; None when nothing.

    `now` is the transport's clock, for the message's age (none: it is news).
    """
    if update.my_chat_member is not None:
        return _bot_member_change(update, update.my_chat_member)
    if update.chat_member is not None:
        return _member_change(update, update.chat_member)
    message = update.message or update.edited_message
    if message is None or message.chat.type == ChatType.CHANNEL:
        return None
    if message.migrate_to_chat_id is not None:
        return moved(update, message.chat, str(message.migrate_to_chat_id), message.date)
    if message.migrate_from_chat_id is not None:
        old = Chat(message.migrate_from_chat_id, ChatType.GROUP, title=message.chat.title)
        return moved(update, old, str(message.chat.id), message.date)
    if message.left_chat_member is not None:
        gone = message.left_chat_member
        if gone.id == bot_id or not is_person(gone):
            return None
        return _incoming(update, message, gone, "", Kind.MEMBER_LEFT, now)
    text = message.text
    attachment = None
    if text is None:
        # A photo or a file whose caption is a command (a receipt with `/bill`): the
        # command is the caption (https://core.telegram.org/bots/api#message, `caption`).
        attachment = attachment_of(message)
        text = message.caption if attachment is not None else None
    if text is None:
        return None  # stickers, captionless photos, service messages: nothing to answer
    if message.is_automatic_forward or _from_channel(message):
        return None  # a channel's post: nobody to answer
    sender = message.from_user
    if message.sender_chat is not None or not is_person(sender):
        if sender is not None and sender.is_bot and sender.id not in _NOT_PEOPLE:
            return None  # another bot talking
        if update.edited_message is not None:
            return None
        return anonymous_command(message, text, bot_name)
    assert sender is not None
    kind = Kind.EDITED if update.edited_message is not None else Kind.MESSAGE
    return _incoming(update, message, sender, text, kind, now, attachment)


def _from_channel(message: Message) -> bool:
    """Written as a channel: a channel's post forwarded to its discussion group, or a
    person posting in a group on behalf of their channel (`sender_chat` is a channel)."""
    chat = message.sender_chat
    return chat is not None and chat.type == ChatType.CHANNEL


def moved(update: Update | None, old: Chat, new_chat_id: str, sent: datetime) -> IncomingMessage:
    """The group `old` became the supergroup `new_chat_id`: one event however it is learnt
    (the service message in either chat, or a send refused with ChatMigrated)."""
    chat = ChatRef(Platform.TELEGRAM, str(old.id), False, old.title or "")
    key = f"moved:{old.id}:{new_chat_id}"
    return chat_event(Kind.CHAT_MOVED, chat, key, sent, moved_to=new_chat_id, raw=update)


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
    now: datetime | None,
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
        age=age(message.date, now),
        thread_id=thread_of(message),
        attachment=attachment,
        raw=update,
    )


def _member_change(update: Update, change: ChatMemberUpdated) -> IncomingMessage | None:
    old, new = change.old_chat_member, change.new_chat_member
    if new.status not in _GONE or old.status in _GONE or not is_person(new.user):
        return None
    chat, by = chat_ref(change.chat), user_ref(new.user)
    return chat_event(Kind.MEMBER_LEFT, chat, str(update.update_id), change.date, by=by, raw=update)


def _bot_member_change(update: Update, change: ChatMemberUpdated) -> IncomingMessage | None:
    """The bot's own membership changed (https://core.telegram.org/bots/api#update,
    my_chat_member: in a private chat only when the person blocks or unblocks it).

    Added to a group (or unblocked) is BOT_ADDED, removed (or blocked) is BOT_REMOVED;
    the person who did it is the sender. Made admin or no longer admin is not news
    here: the transport asks whether it can read the group then.
    """
    old, new = change.old_chat_member.status, change.new_chat_member.status
    if old in _GONE and new in _IN:
        kind = Kind.BOT_ADDED
    elif old in _IN and new in _GONE:
        kind = Kind.BOT_REMOVED
    else:
        return None
    chat, by = chat_ref(change.chat), user_ref(change.from_user)
    return chat_event(kind, chat, str(update.update_id), change.date, by=by, raw=update)


def can_read(status: str, privacy_mode_off: bool) -> bool:
    """Whether a bot with this status in a group sees every message there: an admin
    does, and so does any member when privacy mode is off
    (https://core.telegram.org/bots/features#privacy-mode)."""
    return status in _ADMIN or (status in _IN and privacy_mode_off)


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
    return AnonymousCommand(
        chat_ref(message.chat), command, str(message.message_id), thread_of(message)
    )
