"""Spaces (one community each) and the chats bound to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from storage.db import Row, Tx, from_db, to_db

# The settings an admin may change with `set`, as stored columns.
SETTING_COLUMNS = (
    "name",
    "timezone",
    "language",
    "currency",
    "capacity",
    "closing_time",
    "reminder_time",
    "join_policy",
    "escalate_after_minutes",
    "expire_after_days",
    "remind_days_before",
    "nag_every_days",
    "slug",
    "away_after_minutes",
    "opening_hours",
    "web_json",
)


@dataclass(frozen=True)
class Space:
    id: int
    name: str
    timezone: str
    language: str
    currency: str
    capacity: int | None
    closing_time: str | None
    reminder_time: str
    join_policy: str
    escalate_after_minutes: int
    expire_after_days: int
    remind_days_before: int
    nag_every_days: int
    config_json: str | None
    created_at: datetime
    slug: str | None
    away_after_minutes: int
    opening_hours: str
    web_json: str | None

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_row(cls, row: Row) -> Space:
        return cls(
            id=row["id"],
            name=row["name"],
            timezone=row["timezone"],
            language=row["language"],
            currency=row["currency"],
            capacity=row["capacity"],
            closing_time=row["closing_time"],
            reminder_time=row["reminder_time"],
            join_policy=row["join_policy"],
            escalate_after_minutes=row["escalate_after_minutes"],
            expire_after_days=row["expire_after_days"],
            remind_days_before=row["remind_days_before"],
            nag_every_days=row["nag_every_days"],
            config_json=row["config_json"],
            created_at=from_db(row["created_at"]),
            slug=row["slug"],
            away_after_minutes=row["away_after_minutes"],
            opening_hours=row["opening_hours"],
            web_json=row["web_json"],
        )


@dataclass(frozen=True)
class BoundChat:
    """A group chat of a space; `topic` is where its posts go in a forum ('' = General)."""

    platform: str
    chat_id: str
    topic: str = ""


class SpacesRepo:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def create(self, name: str, now: datetime, **settings: str | int | None) -> Space:
        columns = ["name", "created_at", *settings]
        for column in settings:
            if column not in SETTING_COLUMNS:
                raise ValueError(f"unknown space setting {column}")
        await self._free_slug(settings.get("slug"))
        marks = ", ".join("?" for _ in columns)
        space_id = await self._tx.execute(
            f"INSERT INTO spaces ({', '.join(columns)}) VALUES ({marks})",
            (name, to_db(now), *settings.values()),
        )
        space = await self.get(space_id)
        assert space is not None
        return space

    async def _free_slug(self, slug: str | int | None, space_id: int = 0) -> None:
        """A slug given in the config wins over one made from a name: the space that had
        it gets a new one when next needed (handlers/web/base.py)."""
        if slug:
            await self._tx.execute(
                "UPDATE spaces SET slug = NULL WHERE slug = ? AND id <> ?", (slug, space_id)
            )

    async def get(self, space_id: int) -> Space | None:
        row = await self._tx.fetchone("SELECT * FROM spaces WHERE id = ?", (space_id,))
        return None if row is None else Space.from_row(row)

    async def by_name(self, name: str) -> Space | None:
        row = await self._tx.fetchone("SELECT * FROM spaces WHERE name = ?", (name,))
        return None if row is None else Space.from_row(row)

    async def by_chat(self, platform: str, chat_id: str) -> Space | None:
        row = await self._tx.fetchone(
            "SELECT s.* FROM spaces s JOIN space_chats c ON c.space_id = s.id"
            " WHERE c.platform = ? AND c.chat_id = ?",
            (platform, chat_id),
        )
        return None if row is None else Space.from_row(row)

    async def by_slug(self, slug: str) -> Space | None:
        row = await self._tx.fetchone("SELECT * FROM spaces WHERE slug = ?", (slug,))
        return None if row is None else Space.from_row(row)

    async def slugs(self) -> dict[int, str | None]:
        rows = await self._tx.fetchall("SELECT id, slug FROM spaces ORDER BY id")
        return {r["id"]: r["slug"] for r in rows}

    async def all(self) -> list[Space]:
        rows = await self._tx.fetchall("SELECT * FROM spaces ORDER BY id")
        return [Space.from_row(r) for r in rows]

    async def update(self, space_id: int, **settings: str | int | None) -> None:
        for column in settings:
            if column not in SETTING_COLUMNS and column != "config_json":
                raise ValueError(f"unknown space setting {column}")
        await self._free_slug(settings.get("slug"), space_id)
        if settings:
            assignments = ", ".join(f"{column} = ?" for column in settings)
            await self._tx.execute(
                f"UPDATE spaces SET {assignments} WHERE id = ?", (*settings.values(), space_id)
            )

    async def bind_chat(self, space_id: int, platform: str, chat_id: str) -> None:
        """Bind a chat; a space has at most one chat per platform, so a new one replaces it."""
        self._tx.memo.clear()  # what was read of the chats no longer holds
        await self._tx.execute(
            "DELETE FROM space_chats WHERE space_id = ? AND platform = ?", (space_id, platform)
        )
        await self._tx.execute(
            "INSERT INTO space_chats (space_id, platform, chat_id) VALUES (?, ?, ?)",
            (space_id, platform, chat_id),
        )

    async def chats(self, space_id: int) -> list[BoundChat]:
        """The space's chats (read once a transaction: every check-in asks)."""
        key = ("space_chats", space_id)
        chats: list[BoundChat] | None = self._tx.memo.get(key)
        if chats is None:
            rows = await self._tx.fetchall(
                "SELECT platform, chat_id, topic FROM space_chats WHERE space_id = ?"
                " ORDER BY platform",
                (space_id,),
            )
            chats = self._tx.memo[key] = [
                BoundChat(r["platform"], r["chat_id"], r["topic"]) for r in rows
            ]
        return list(chats)

    async def set_topic(self, space_id: int, platform: str, topic: str) -> None:
        await self._tx.execute(
            "UPDATE space_chats SET topic = ? WHERE space_id = ? AND platform = ?",
            (topic, space_id, platform),
        )
        self._tx.memo.clear()  # what was read of the chats no longer holds

    async def move_chat(self, platform: str, old: str, new: str, now: datetime) -> Space | None:
        """The chat `old` now lives at `new`: its space follows it, and the move is kept
        (buttons shown in the old chat stay valid). Returns the space that moved, or None
        if `old` belonged to no space or `new` already belongs to another one."""
        space = await self.by_chat(platform, old)
        if space is not None:
            owner = await self.by_chat(platform, new)
            if owner is not None and owner.id != space.id:
                return None
            await self._tx.execute(
                "DELETE FROM space_chats WHERE platform = ? AND chat_id = ?", (platform, new)
            )
            await self._tx.execute(
                "UPDATE space_chats SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                (new, platform, old),
            )
            self._tx.memo.clear()
        # A chat that moved twice: the first move's buttons are good in the last chat too.
        await self._tx.execute(
            "UPDATE chat_moves SET new_chat_id = ? WHERE platform = ? AND new_chat_id = ?",
            (new, platform, old),
        )
        await self._tx.execute(
            "INSERT INTO chat_moves (platform, old_chat_id, new_chat_id, moved_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (platform, old_chat_id) DO UPDATE SET"
            " new_chat_id = excluded.new_chat_id, moved_at = excluded.moved_at",
            (platform, old, new, to_db(now)),
        )
        return space

    async def moves(self, platform: str) -> list[tuple[str, str]]:
        """Every (old chat, chat it moved to) of a platform."""
        rows = await self._tx.fetchall(
            "SELECT old_chat_id, new_chat_id FROM chat_moves WHERE platform = ?", (platform,)
        )
        return [(r["old_chat_id"], r["new_chat_id"]) for r in rows]

    async def all_chats(self) -> list[tuple[int, str, str]]:
        rows = await self._tx.fetchall("SELECT space_id, platform, chat_id FROM space_chats")
        return [(r["space_id"], r["platform"], r["chat_id"]) for r in rows]
