"""Helpers the privacy tests share: a harness with a second platform, codes, and scans.

The second platform is the console, served by a second memory transport, so a person
can speak from two accounts (`memory:bruno` and `console:bruno`) and read what each
account was sent, as with a Telegram and a Matrix account.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.clock import FakeClock
from bot.config import Config
from bot.events import ChatRef, Platform, UserRef
from bot.registry import Router
from bot.testing import BotHarness, Sent
from bot.transports.memory import MemoryTransport

CODE = re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b")


class ConsoleMemoryTransport(MemoryTransport):
    platform = Platform.CONSOLE


class MatrixMemoryTransport(MemoryTransport):
    """Matrix as the engine sees it; the rooms the real transport records are written
    by the tests through `session.matrix`, as the transport writes them."""

    platform = Platform.MATRIX


class TwoPlatforms(BotHarness):
    """The whole bot on two platforms: `memory` (the group lives there) and `console`."""

    def __init__(self, config: Config, clock: FakeClock, routers: Sequence[Router]) -> None:
        self.other = ConsoleMemoryTransport()
        super().__init__(config, clock, routers, also=[self.other])

    @staticmethod
    def console_user(name: str) -> UserRef:
        user_id = "c-" + "".join(ch for ch in name.lower() if ch.isalnum())
        return UserRef(Platform.CONSOLE, user_id, name)

    async def say_console(self, text: str, name: str, *, room: str | None = None) -> list[Sent]:
        """Say something from `name`'s console account, privately or in a console room;
        returns everything sent on either platform."""
        user = self.console_user(name)
        chat = (
            ChatRef(Platform.CONSOLE, room, private=False)
            if room
            else ChatRef(Platform.CONSOLE, user.user_id, private=True)
        )
        before = len(self.other.sent)
        sent = await self.say(text, as_=user, chat=chat)
        return sent + [Sent.of(m) for m in self.other.sent[before:]]

    def console_inbox(self, name: str) -> list[Sent]:
        user_id = self.console_user(name).user_id
        return [Sent.of(m) for m in self.other.sent if m.chat.private and m.chat.chat_id == user_id]

    async def bind_console_room(self, room: str = "room") -> None:
        async with self.app.store.transaction() as session:
            space = (await session.spaces.all())[0]
            await session.spaces.bind_chat(space.id, Platform.CONSOLE, room)


class WithMatrix(BotHarness):
    """The whole bot on `memory` (the group lives there) and on Matrix."""

    def __init__(self, config: Config, clock: FakeClock, routers: Sequence[Router]) -> None:
        self.matrix = MatrixMemoryTransport()
        super().__init__(config, clock, routers, also=[self.matrix])

    @staticmethod
    def matrix_user(name: str) -> UserRef:
        local = "".join(ch for ch in name.lower() if ch.isalnum())
        return UserRef(Platform.MATRIX, f"@{local}:example.org", name, username=local)

    async def say_matrix(self, text: str, name: str) -> list[Sent]:
        """Say something privately from `name`'s Matrix account; returns what was sent
        on either platform."""
        user = self.matrix_user(name)
        before = len(self.matrix.sent)
        sent = await self.say(
            text, as_=user, chat=ChatRef(Platform.MATRIX, user.user_id, private=True)
        )
        return sent + [Sent.of(m) for m in self.matrix.sent[before:]]


def code_in(sent: list[Sent]) -> str:
    for s in sent:
        found = CODE.search(s.text)
        if found:
            return found.group(0)
    raise AssertionError(f"no code in {[s.text for s in sent]}")


async def member_of(bot: BotHarness, identity: str) -> int | None:
    value = await bot.fetchval("SELECT member_id FROM identities WHERE identity = ?", (identity,))
    return None if value is None else int(value)


def _postgres(bot: BotHarness) -> bool:
    return bot.app.store.engine == "postgresql"


async def tables(bot: BotHarness) -> list[str]:
    if _postgres(bot):
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return sorted(r["name"] for r in await bot.fetchall(sql))


async def columns(bot: BotHarness, table: str) -> list[str]:
    if _postgres(bot):
        rows = await bot.fetchall(
            "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
    else:
        rows = await bot.fetchall(f"SELECT name FROM pragma_table_info('{table}')")
    return [r["name"] for r in rows]


async def foreign_keys(bot: BotHarness, table: str) -> list[tuple[str, str]]:
    """(column, table it refers to) of every foreign key of `table`."""
    if _postgres(bot):
        rows = await bot.fetchall(
            "SELECT a.attname AS column_name, f.relname AS target FROM pg_constraint c"
            " JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class f ON f.oid = c.confrelid"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.contype = 'f' AND t.relname = ?"
            " AND t.relnamespace = current_schema()::regnamespace",
            (table,),
        )
        return [(r["column_name"], r["target"]) for r in rows]
    rows = await bot.fetchall(f"SELECT * FROM pragma_foreign_key_list('{table}')")
    return [(r["from"], r["table"]) for r in rows]


async def member_references(bot: BotHarness) -> list[tuple[str, str]]:
    """Every (table, column) that refers to members(id), read from the schema itself, so
    a capability added later is covered without touching these tests."""
    out: list[tuple[str, str]] = []
    for table in await tables(bot):
        for column, target in await foreign_keys(bot, table):
            if target == "members":
                out.append((table, column))
    return out


async def find_everywhere(bot: BotHarness, needles: list[str]) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every stored value containing a needle, any case."""
    found: list[tuple[str, str, Any]] = []
    lowered = [n.lower() for n in needles]
    for table in await tables(bot):
        names = await columns(bot, table)
        for row in await bot.fetchall(f"SELECT * FROM {table}"):
            for column in names:
                value = row[column]
                if value is None:
                    continue
                text = (
                    bytes(value).decode("utf-8", "replace")
                    if isinstance(value, bytes | memoryview)
                    else str(value)
                ).lower()
                if any(n in text for n in lowered):
                    found.append((table, column, value))
    return found


def bytes_found(path: Path, needles: list[str]) -> list[str]:
    """Needles present anywhere in a file's raw bytes (free pages included), any case."""
    if not path.exists():
        return []
    data = path.read_bytes().lower()
    return [n for n in needles if n.lower().encode("utf-8") in data]
