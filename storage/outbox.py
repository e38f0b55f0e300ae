"""The outbox: every reply and notification, written in the transaction that caused it."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Row, Tx, from_db, to_db


def _not_in(column: str, values: Collection[str | int]) -> tuple[str, list[str | int]]:
    """` AND column NOT IN (?, …)` and its parameters; nothing for no values (plain
    placeholders: the same SQL on SQLite and PostgreSQL, which has no json_each)."""
    if not values:
        return "", []
    marks = ", ".join("?" for _ in values)
    return f" AND {column} NOT IN ({marks})", list(values)


def _buttons(stored: str) -> list[tuple[str, str]]:
    """The stored buttons; most replies have none ("[]", not worth the JSON parser)."""
    if stored == "[]":
        return []
    return [(label, command) for label, command in json.loads(stored)]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    platform: str
    chat_id: str
    private: bool
    html: str
    buttons: list[tuple[str, str]]
    reply_to: str
    doc_name: str | None
    doc_mime: str | None
    doc_content: bytes | None
    space_id: int | None
    member_id: int | None
    state: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    thread_id: str = ""
    merge_kind: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> OutboxRow:
        return cls(
            id=row["id"],
            platform=row["platform"],
            chat_id=row["chat_id"],
            private=bool(row["private"]),
            html=row["html"],
            buttons=_buttons(row["buttons"]),
            reply_to=row["reply_to"],
            doc_name=row["doc_name"],
            doc_mime=row["doc_mime"],
            doc_content=row["doc_content"],
            space_id=row["space_id"],
            member_id=row["member_id"],
            state=row["state"],
            attempts=row["attempts"],
            next_attempt_at=from_db(row["next_attempt_at"]),
            created_at=from_db(row["created_at"]),
            thread_id=row["thread_id"],
            merge_kind=row["merge_kind"],
        )


@dataclass(frozen=True)
class NewOutboxItem:
    platform: str
    chat_id: str
    private: bool
    html: str
    buttons: tuple[tuple[str, str], ...] = ()
    reply_to: str = ""
    doc_name: str | None = None
    doc_mime: str | None = None
    doc_content: bytes | None = None
    space_id: int | None = None
    member_id: int | None = None
    thread_id: str = ""
    merge_kind: str | None = None


class OutboxRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def enqueue(self, item: NewOutboxItem, now: datetime) -> int:
        # Wakes the sender of the platform, in whichever replica it runs, at the commit.
        await self._tx.notify("outbox", item.platform)
        return await self._tx.execute(
            "INSERT INTO outbox (platform, chat_id, private, html, buttons, reply_to, doc_name,"
            " doc_mime, doc_content, space_id, member_id, thread_id, merge_kind,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.platform,
                item.chat_id,
                int(item.private),
                item.html,
                json.dumps([list(b) for b in item.buttons]) if item.buttons else "[]",
                item.reply_to,
                item.doc_name,
                item.doc_mime,
                item.doc_content,
                item.space_id,
                item.member_id,
                item.thread_id,
                item.merge_kind,
                to_db(now),
                to_db(now),
            ),
        )

    async def due(
        self,
        platform: str,
        now: datetime,
        limit: int = 100,
        *,
        exclude: Collection[str] = (),
        per_chat: int | None = None,
        skip: Collection[int] = (),
    ) -> list[OutboxRow]:
        """Rows to send now, oldest first; a row waits while an older one of its chat waits.

        `exclude` leaves out chats (those being served already); `per_chat` takes at
        most that many rows of each chat, so one chat's backlog cannot fill the read;
        `skip` leaves out rows (sent already, their record on its way).
        """
        stamp = to_db(now)
        chats, chat_params = _not_in("o.chat_id", exclude)
        ids, id_params = _not_in("o.id", skip)
        rows = await self._tx.fetchall(
            "SELECT * FROM (SELECT o.*, ROW_NUMBER() OVER"
            " (PARTITION BY o.chat_id ORDER BY o.id) AS place FROM outbox o"
            " WHERE o.state = 'pending' AND o.platform = ? AND o.next_attempt_at <= ?"
            f"{chats}{ids} AND NOT EXISTS ("
            "  SELECT 1 FROM outbox p WHERE p.state = 'pending' AND p.platform = o.platform"
            "  AND p.chat_id = o.chat_id AND p.id < o.id AND p.next_attempt_at > ?)) AS due"
            " WHERE place <= ? ORDER BY id LIMIT ?",
            (platform, stamp, *chat_params, *id_params, stamp, per_chat or limit, limit),
        )
        return [OutboxRow.from_row(r) for r in rows]

    async def due_in_chat(
        self, platform: str, chat_id: str, now: datetime, limit: int, skip: Collection[int] = ()
    ) -> list[OutboxRow]:
        """One chat's rows to send now, oldest first (none while an older one waits), but
        the rows in `skip`."""
        stamp = to_db(now)
        ids, id_params = _not_in("o.id", skip)
        rows = await self._tx.fetchall(
            "SELECT * FROM outbox o WHERE o.platform = ? AND o.chat_id = ?"
            f" AND o.state = 'pending' AND o.next_attempt_at <= ?{ids} AND NOT EXISTS ("
            "  SELECT 1 FROM outbox p WHERE p.platform = o.platform AND p.chat_id = o.chat_id"
            "  AND p.state = 'pending' AND p.id < o.id AND p.next_attempt_at > ?)"
            " ORDER BY o.id LIMIT ?",
            (platform, chat_id, stamp, *id_params, stamp, limit),
        )
        return [OutboxRow.from_row(r) for r in rows]

    async def redirect(self, platform: str, old_chat_id: str, new_chat_id: str) -> int:
        """What waits for a chat that moved goes to its new id (once: it is the same row)."""
        return await self._tx.execute_rowcount(
            "UPDATE outbox SET chat_id = ? WHERE platform = ? AND chat_id = ?"
            " AND state = 'pending'",
            (new_chat_id, platform, old_chat_id),
        )

    async def next_attempt(self, platform: str, after: datetime) -> datetime | None:
        """When the next retry later than `after` is due (rows due already are being read
        or sent; they are not a time to wait for)."""
        value = await self._tx.fetchval(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending' AND platform = ?"
            " AND next_attempt_at > ?",
            (platform, to_db(after)),
        )
        return None if value is None else from_db(value)

    async def mark_sent(self, row_id: int, delivery_id: str, now: datetime) -> None:
        await self.mark_sent_many([(row_id, delivery_id)], now)

    async def mark_sent_many(self, sent: Sequence[tuple[int, str]], now: datetime) -> None:
        """Rows the platforms accepted: (row id, delivery id) pairs."""
        await self._tx.executemany(
            "UPDATE outbox SET state = 'sent', sent_at = ?, delivery_id = ?, error = NULL,"
            " attempts = attempts + 1, doc_content = NULL WHERE id = ?",
            [(to_db(now), delivery_id, row_id) for row_id, delivery_id in sent],
        )

    async def mark_retry(self, row_id: int, next_attempt_at: datetime, error: str) -> None:
        await self._tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ?"
            " WHERE id = ?",
            (to_db(next_attempt_at), error[:500], row_id),
        )

    async def mark_failed_many(self, row_ids: Sequence[int], error: str) -> None:
        await self._tx.executemany(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, error = ? WHERE id = ?",
            [(error[:500], row_id) for row_id in row_ids],
        )

    async def pending_count(self, platform: str | None = None) -> int:
        if platform is None:
            value = await self._tx.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        else:
            value = await self._tx.fetchval(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND platform = ?",
                (platform,),
            )
        return int(value)

    async def prune_sent(self, before: datetime) -> int:
        """Delivered rows are kept a while for diagnosis, then dropped (they hold names)."""
        return await self._tx.execute_rowcount(
            "DELETE FROM outbox WHERE state <> 'pending' AND created_at < ?", (to_db(before),)
        )
