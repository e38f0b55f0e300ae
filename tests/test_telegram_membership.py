"""The bot's own place in Telegram chats, end to end: added, removed, blocked, unblocked,
made admin or not, and whether it can read a group at all (privacy mode).

The fake Bot API server sends `my_chat_member` as Telegram does and hides from a bot in
privacy mode what Telegram hides (tests/fake_telegram.py cites the pages); what the bot
says, to whom and how often is read from what the server received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.fake_telegram import (
    SPEED,
    FakeChat,
    FakeTelegram,
    FakeUser,
    Sent,
    TelegramBot,
    eventually,
)

pytestmark = [
    pytest.mark.http,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

CANNOT_READ = "I cannot see the messages of the group of Veglio"
REMOVED = "I was removed from the group of Veglio"


@pytest.fixture
async def tg(server: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    bot = await TelegramBot(server, tmp_path, speed=SPEED, scripted=True).start()
    yield bot
    await bot.stop()


async def handled(tg: TelegramBot, *update_ids: int) -> None:
    for update_id in update_ids:
        await tg.server.wait_confirmed(update_id)
    await tg.deliver()


def saying(server: FakeTelegram, who: FakeUser | FakeChat, words: str) -> list[Sent]:
    return [s for s in server.to(who) if words in s.text]


async def looked(tg: TelegramBot, times: int) -> None:
    """Until the bot has looked at its group at `times` starts (each look is recorded)."""

    async def done() -> bool:
        sql = "SELECT COUNT(*) FROM processed_updates WHERE update_key LIKE 'telegram:read:%'"
        return bool(await tg.fetchval(sql) == times)

    await eventually(done)


async def until_told(tg: TelegramBot, who: FakeUser, words: str) -> None:
    async def told() -> bool:
        await tg.deliver()
        return bool(saying(tg.server, who, words))

    await eventually(told)


async def veglio(tg: TelegramBot, group: FakeChat, anna: FakeUser) -> None:
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(anna, "/set join open", group)


async def test_a_group_that_adds_the_bot_gets_one_greeting(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna = server.user("Anna")
    group = server.group("Veglio", creator=anna, bot_status="left")
    await handled(tg, server.add_bot(group, anna, "administrator"))
    greeting = server.to(group)
    assert [s.text for s in greeting] == [
        "Hello! I help a coworking community from its chat: who is in, help between"
        " members, shared costs. An administrator of this chat can make it a space with"
        " /setup."
    ]  # my_chat_member and the new_chat_members service message: one greeting

    # Added as a plain member while privacy mode is on: the greeting says what to do.
    other = server.group("Pesaro", creator=anna, bot_status="left")
    await handled(tg, server.add_bot(other, anna, "member"))
    (greeting,) = server.to(other)
    assert greeting.text.endswith(
        "But I cannot see the messages of this group, so commands may not reach me: make"
        " me an administrator of the group, or turn my privacy mode off in @BotFather"
        " (Bot Settings → Group Privacy → Turn off) and add me again."
    )


async def test_removed_and_re_added_the_admins_are_told_once_each_time(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.group("Veglio", creator=anna, members=(bruno,))
    await veglio(tg, group, anna)
    await tg.say(bruno, "/join", group)
    await tg.say(bruno, "/skills add excel")

    await handled(tg, server.remove_bot(group, bruno))
    assert len(saying(server, anna, REMOVED)) == 1
    # A post that then fails (403) does not tell them again.
    await tg.say(bruno, "/ask excel: a pivot table?")
    assert server.error_count(403) == 1
    assert len(saying(server, anna, REMOVED)) == 1

    await handled(tg, server.add_bot(group, anna, "administrator"))
    assert [s.text for s in server.to(group)][-1] == "I'm back in the group of Veglio."
    await handled(tg, server.remove_bot(group, anna, ban=True))
    assert len(saying(server, anna, REMOVED)) == 2  # cleared by the re-add: told again


async def test_a_member_who_blocks_the_bot_is_reported_once_until_unblocked(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.group("Veglio", creator=anna, members=(bruno,))
    await veglio(tg, group, anna)
    await tg.say(bruno, "/join", group)
    blocked = "Bruno blocked me: they get none of my private messages"

    await handled(tg, server.block(bruno))
    assert len(saying(server, anna, blocked)) == 1
    await tg.say(bruno, "/who", group)  # fine in the group
    await tg.say(anna, "/promote Bruno", group)  # its private notice fails: 403
    assert server.error_count(403) == 1
    assert len(saying(server, anna, blocked)) == 1
    assert saying(server, anna, "cannot write privately to Bruno") == []

    await handled(tg, server.unblock(bruno))
    assert await tg.fetchval("SELECT COUNT(*) FROM kv WHERE key LIKE 'undelivered:member:%'") == 0
    await handled(tg, server.block(bruno))
    assert len(saying(server, anna, blocked)) == 2


async def test_a_group_the_bot_cannot_read_is_reported_to_its_admins_once(
    server: FakeTelegram, tmp_path: Path
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    # A plain member with privacy mode on (BotFather's default).
    group = server.group("Veglio", creator=anna, members=(bruno,), bot_status="member")
    tg = await TelegramBot(server, tmp_path, speed=SPEED, scripted=True).start()
    try:
        await veglio(tg, group, anna)
        await tg.say(bruno, "/join", group)
        # Another bot writes: Telegram now gives general commands to that one.
        server.other_bot_writes(group)
        assert await tg.say(bruno, "/who", group) == []
        addressed = await tg.say(bruno, "/who@CoworkTestBot", group)
        assert [s.chat_id for s in addressed] == [group.id]
    finally:
        await tg.stop()

    # At each start the bot looks at its groups: told once, not at every start.
    for looks in (1, 2):
        tg = await TelegramBot(server, tmp_path, speed=SPEED, scripted=True).start()
        try:
            await looked(tg, looks)
            await until_told(tg, anna, CANNOT_READ)
        finally:
            await tg.stop()
    assert len(saying(server, anna, CANNOT_READ)) == 1
    assert saying(server, bruno, CANNOT_READ) == []  # the space's admins only

    tg = await TelegramBot(server, tmp_path, speed=SPEED, scripted=True).start()
    try:
        await handled(tg, server.promote_bot(group, anna))  # made admin: it reads all
        assert await tg.fetchval("SELECT COUNT(*) FROM kv WHERE key LIKE 'cannot_read:%'") == 0
        await handled(tg, server.promote_bot(group, anna, "member"))  # and no longer
        assert len(saying(server, anna, CANNOT_READ)) == 2
    finally:
        await tg.stop()


async def test_a_backlogged_group_gets_its_welcomes_merged(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna = server.user("Anna")
    people = [server.user(f"Person{i:02d}") for i in range(40)]
    group = server.group("Veglio", creator=anna, members=tuple(people))
    await veglio(tg, group, anna)
    before = len(server.sent)
    ids = [server.say(person, group, "/join") for person in people]  # all at once
    await handled(tg, *ids)
    welcomes = [s for s in server.sent[before:] if s.chat_id == group.id]
    assert 1 <= len(welcomes) <= 2  # not a stream of forty
    lines = [line for s in welcomes for line in s.text.splitlines()]
    assert sorted(lines) == sorted(
        f"Welcome to Veglio, {p.first_name}! Send /help to see what you can do." for p in people
    )
    assert await tg.fetchval("SELECT COUNT(*) FROM outbox WHERE state <> 'sent'") == 0


async def test_a_group_set_up_where_the_bot_cannot_read_is_reported_after_setup(
    server: FakeTelegram, tmp_path: Path
) -> None:
    anna = server.user("Anna")
    group = server.group("Veglio", creator=anna, bot_status="left")
    tg = await TelegramBot(server, tmp_path, speed=SPEED, scripted=True).start()
    try:
        await handled(tg, server.add_bot(group, anna, "member"))  # greeted, with the advice
        await veglio(tg, group, anna)
        assert saying(server, anna, CANNOT_READ) == []  # no space yet when it was found
    finally:
        await tg.stop()
    tg = await TelegramBot(server, tmp_path, speed=SPEED, scripted=True).start()
    try:
        await looked(tg, 2)  # when it was added, and at this start
        await until_told(tg, anna, CANNOT_READ)
    finally:
        await tg.stop()
