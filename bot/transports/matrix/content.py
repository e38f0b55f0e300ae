"""Pure translations between the bot's messages and Matrix event content.

No I/O here, so every rule (newlines, button hints, mentions, reply fallbacks,
transaction ids) is tested directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.events import Button, Document
from bot.i18n import escape, to_plain

# Matrix events are capped at 64 KiB; body and formatted_body both count, so each gets
# well under half of it.
MAX_TEXT = 24_000
HTML_FORMAT = "org.matrix.custom.html"

_PRE = re.compile(r"(<pre>.*?</pre>)", re.DOTALL)
_PILL = re.compile(r"""<a\s+href=["']https://matrix\.to/#/(@[^"'/?\s]+:[^"'/?\s]+)["']""")
_FALLBACK_LINE = re.compile(r"^> ?")


def matrix_html(html: str) -> str:
    """The bot's HTML with its newlines as `<br>`: Matrix clients render HTML, where a bare
    newline is only a space (Telegram's HTML mode keeps them). `<pre>` keeps its own."""
    parts = _PRE.split(html)
    return "".join(p if p.startswith("<pre>") else p.replace("\n", "<br>") for p in parts)


def button_hints(buttons: Iterable[Button], prefix: str) -> tuple[str, str]:
    """Inline buttons do not exist on Matrix: show each as the command that does the same.

    Returns (html, plain) to append to the message, both empty when there are no buttons.
    """
    items = [(b.label, f"{prefix}{b.command}") for b in buttons]
    if not items:
        return "", ""
    html = " · ".join(f"{escape(label)}: <code>{escape(cmd)}</code>" for label, cmd in items)
    plain = " · ".join(f"{label}: {cmd}" for label, cmd in items)
    return f"\n{html}", f"\n{plain}"


def mentioned_users(html: str) -> list[str]:
    """Users the message means to mention: the ones linked as matrix.to pills, in order."""
    seen: list[str] = []
    for user in _PILL.findall(html):
        if user not in seen:
            seen.append(user)
    return seen


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_content(
    html: str,
    buttons: Iterable[Button],
    prefix: str,
    *,
    reply_to: str = "",
    reply_sender: str = "",
) -> dict[str, Any]:
    """An `m.notice` (bots speak in notices, so other bots do not answer them) with a plain
    `body` and an HTML `formatted_body`, as a reply to the command when there is one.

    `m.mentions` is always present, so clients ping exactly the users meant: the pills in
    the message and, for a reply, the person who sent the command (as Telegram does).
    """
    hint_html, hint_plain = button_hints(buttons, prefix)
    body = _cut(to_plain(html) + hint_plain, MAX_TEXT)
    formatted = matrix_html(html + hint_html)
    content: dict[str, Any] = {"msgtype": "m.notice", "body": body}
    if len(formatted) <= MAX_TEXT:
        content["format"] = HTML_FORMAT
        content["formatted_body"] = formatted
    users = mentioned_users(html)
    if reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        if reply_sender and reply_sender not in users:
            users.append(reply_sender)
    content["m.mentions"] = {"user_ids": users} if users else {}
    return content


def file_content(
    document: Document, url: str, encrypted: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """An uploaded file as an event: `m.image` for pictures (clients show them inline, with
    their size so the timeline does not jump), `m.file` for the rest. An encrypted upload
    names its keys in `file` instead of `url` (the spec's EncryptedFile: key, iv, hashes,
    v, with the url inside)."""
    info: dict[str, Any] = {"mimetype": document.mime_type, "size": len(document.content)}
    size = document.png_size
    if size is not None:
        info["w"], info["h"] = size
    content: dict[str, Any] = {
        "msgtype": "m.image" if document.mime_type.startswith("image/") else "m.file",
        "body": document.filename,
        "filename": document.filename,
        "info": info,
        "m.mentions": {},
    }
    if encrypted is None:
        content["url"] = url
    else:
        content["file"] = {**encrypted, "url": url, "mimetype": document.mime_type}
    return content


def transaction_id(instance: str, key: int, part: str) -> str:
    """The same outbox row always gets the same id, so a retried send is not a duplicate.

    `instance` is random per database: a new database restarts row ids at 1, and must not
    collide with ids the homeserver remembers from an old one.
    """
    return f"coworkbot.{instance}.{key}.{part}"


def command_text(content: Mapping[str, Any]) -> str:
    """The text a user typed: a reply's quoted fallback (`> <@x> …` lines) is cut off."""
    body = content.get("body")
    if not isinstance(body, str):
        return ""
    relates = content.get("m.relates_to")
    is_reply = isinstance(relates, Mapping) and "m.in_reply_to" in relates
    if not (is_reply and body.startswith(">")):
        return body
    lines = body.split("\n")
    index = 0
    while index < len(lines) and _FALLBACK_LINE.match(lines[index]):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


def is_edit(content: Mapping[str, Any]) -> bool:
    relates = content.get("m.relates_to")
    return isinstance(relates, Mapping) and relates.get("rel_type") == "m.replace"


def localpart(user_id: str) -> str:
    """`@anna:example.org` → `anna`."""
    return user_id[1:].split(":", 1)[0] if user_id.startswith("@") else user_id


def power_level_of(user_id: str, power_levels: Mapping[str, Any]) -> int:
    """A user's power level from an `m.room.power_levels` content (users_default if absent)."""
    users = power_levels.get("users")
    default = power_levels.get("users_default", 0)
    level: Any = users.get(user_id, default) if isinstance(users, Mapping) else default
    try:
        return int(level)
    except (TypeError, ValueError):
        return 0


# Room versions before 12 give the creator power through `users`; from 12 on (MSC4289) the
# creators are above every power level and are not listed there.
_LEGACY_ROOM_VERSIONS = {str(n) for n in range(1, 12)}


def is_room_creator(user_id: str, create_sender: str, create_content: Mapping[str, Any]) -> bool:
    """True when the room version makes `user_id` a creator with unlimited power."""
    version = str(create_content.get("room_version", "1"))
    if version in _LEGACY_ROOM_VERSIONS or version.startswith("org.matrix.msc"):
        return False
    extra = create_content.get("additional_creators")
    creators = {create_sender, *(extra if isinstance(extra, list) else [])}
    return user_id in creators
