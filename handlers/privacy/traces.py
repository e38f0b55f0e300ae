"""Finding a person in the outbox: pure, so what `forgetme` blanks is tested directly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.i18n import escape, to_plain
from storage.privacy import OutboxText


@dataclass(frozen=True)
class Traces:
    """What could name a person in a message: texts they wrote or are called by, and
    the chats that are theirs (a private chat's id is the user id)."""

    texts: frozenset[str]
    chats: frozenset[str]


def traces(exports: Iterable[Mapping[str, object]]) -> Traces:
    texts: set[str] = set()
    chats: set[str] = set()
    for export in exports:
        member = _dict(export.get("member"))
        for key in ("name", "username"):
            value = member.get(key)
            if isinstance(value, str) and value:
                texts.add(value)
        for account in _list(member.get("accounts")):
            identity = _dict(account).get("account")
            if isinstance(identity, str):
                user_id = identity.partition(":")[2]
                chats.add(user_id)
                texts.add(user_id)
        for visit in _list(_dict(export.get("presence")).get("visits")):
            note = _dict(visit).get("note")
            if isinstance(note, str) and note:
                texts.add(note)
        skills = _dict(export.get("skills"))
        for skill in _list(skills.get("skills")):
            label = _dict(skill).get("skill")
            if isinstance(label, str) and label:
                texts.add(label)
        for request in _list(skills.get("requests_asked")):
            question = _dict(request).get("question")
            if isinstance(question, str) and question:
                texts.update(line for line in question.splitlines() if line.strip())
    return Traces(frozenset(texts), frozenset(chats))


def _dict(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def folded(text: str) -> str:
    """Letters and digits only, case folded: survives escaping, mention-defusing, markup."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def mentions(text: str, found: Traces) -> bool:
    plain = to_plain(text)
    flat = folded(plain)
    for needle in found.texts:
        if needle in text or needle in plain or str(escape(needle)) in text:
            return True
        key = folded(needle)
        if key and key in flat:
            return True
    return False


@dataclass(frozen=True)
class OutboxPlan:
    blank: list[int]
    wipe_later: list[int]


def outbox_plan(rows: Sequence[OutboxText], found: Traces, member_ids: set[int]) -> OutboxPlan:
    """Messages to the person are blanked (queued ones cancelled: nobody is there to read
    them); delivered messages naming them are blanked; queued messages to others that
    name them still go out, and are blanked once delivered."""
    blank: list[int] = []
    later: list[int] = []
    for row in rows:
        theirs = row.private and (row.chat_id in found.chats or row.member_id in member_ids)
        if theirs or (not row.pending and mentions(row.text, found)):
            blank.append(row.id)
        elif mentions(row.text, found):
            later.append(row.id)
    return OutboxPlan(blank, later)
