"""Files that come with a command on Matrix: the image or file a command replies to, or
one whose caption is the command, fetched from the homeserver's media repository.

Matrix has no caption on a command, so a receipt is sent first and the command is a
reply to it (`m.relates_to.m.in_reply_to`). Clients that send captions (MSC2530) put
the file's name in `filename` and the caption in `body`: a caption that is a command
counts too. Files in encrypted rooms carry `file` (an encrypted attachment) instead of
`url` and are decrypted after the download.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from nio import AsyncClient, MemoryDownloadResponse, RoomGetEventResponse
from nio.crypto.attachments import decrypt_attachment

from bot.events import MAX_ATTACHMENT, Attachment

log = logging.getLogger(__name__)

FILE_TYPES = ("m.image", "m.file")


def reply_target(content: Mapping[str, Any]) -> str:
    """The event id a message replies to, or ""."""
    relates = content.get("m.relates_to")
    if not isinstance(relates, Mapping):
        return ""
    reply = relates.get("m.in_reply_to")
    event_id = reply.get("event_id") if isinstance(reply, Mapping) else None
    return event_id if isinstance(event_id, str) else ""


def caption(content: Mapping[str, Any]) -> str:
    """A file message's caption (MSC2530: `body` is a caption when `filename` is set and
    differs from it), or "" when it has none."""
    body, filename = content.get("body"), content.get("filename")
    if isinstance(body, str) and isinstance(filename, str) and filename and body != filename:
        return body
    return ""


def described(content: Mapping[str, Any]) -> Attachment | None:
    """What a file message says about its file (not fetched yet), or None if it is none."""
    if content.get("msgtype") not in FILE_TYPES:
        return None
    info = content.get("info")
    info = info if isinstance(info, Mapping) else {}
    encrypted = content.get("file")
    url = content.get("url")
    if isinstance(encrypted, Mapping):
        url = encrypted.get("url")
    if not isinstance(url, str) or not url.startswith("mxc://"):
        return None
    name = content.get("filename") or content.get("body") or "file"
    size = info.get("size")
    mime = info.get("mimetype")
    return Attachment(
        filename=str(name)[:200],
        mime_type=mime if isinstance(mime, str) else "",
        size=size if isinstance(size, int) and size > 0 else 0,
        ref=url,
    )


async def fetch(client: AsyncClient, content: Mapping[str, Any]) -> Attachment | None:
    """The file of a file message with its bytes, up to MAX_ATTACHMENT (a bigger one keeps
    `content` None; one the homeserver will not give keeps it None too)."""
    attachment = described(content)
    if attachment is None or attachment.size > MAX_ATTACHMENT:
        return attachment
    response = await client.download(mxc=attachment.ref)
    if not isinstance(response, MemoryDownloadResponse):
        log.info("matrix: could not download %s: %s", attachment.ref, response)
        return attachment
    body = bytes(response.body)
    encrypted = content.get("file")
    if isinstance(encrypted, Mapping):
        try:
            body = decrypt_attachment(
                body,
                encrypted["key"]["k"],
                encrypted["hashes"]["sha256"],
                encrypted["iv"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            log.info("matrix: could not decrypt %s: %s", attachment.ref, exc)
            return attachment
    if len(body) > MAX_ATTACHMENT:
        return Attachment(
            attachment.filename, attachment.mime_type, len(body), None, attachment.ref
        )
    return Attachment(attachment.filename, attachment.mime_type, len(body), body, attachment.ref)


Readable = Callable[[str, dict[str, Any]], "Mapping[str, Any] | None"]


async def replied_file(
    client: AsyncClient, room_id: str, event_id: str, readable: Readable
) -> Attachment | None:
    """The file of the event a command replies to, if that event is a file message;
    `readable` decrypts it when it came encrypted (None: it cannot be read)."""
    response = await client.room_get_event(room_id, event_id)
    if not isinstance(response, RoomGetEventResponse):
        log.info("matrix: could not read replied-to event %s: %s", event_id, response)
        return None
    source = response.event.source
    event = readable(room_id, dict(source)) if isinstance(source, Mapping) else None
    content = event.get("content") if event is not None else None
    if not isinstance(content, Mapping) or described(content) is None:
        return None
    return await fetch(client, content)
