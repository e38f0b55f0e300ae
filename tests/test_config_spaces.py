"""`[[spaces]]` from the config: created, bound, admins made; file and chat edits both respected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.config import SpaceSection
from bot.testing import BotHarness

Start = Callable[..., Awaitable[BotHarness]]

VEGLIO = SpaceSection(
    name="Veglio",
    timezone="Europe/Rome",
    language="en",
    join="open",
    capacity=8,
    chats={"memory": "group"},
    admins=("memory:anna",),
)


async def test_a_config_space_is_ready_to_use(make_bot: Start) -> None:
    bot = await make_bot(spaces=[VEGLIO])
    sent = await bot.say("/settings", as_="Anna")
    assert "Settings of Veglio" in sent[0].text and "capacity 8" in sent[0].text.splitlines()
    row = (await bot.fetchall("SELECT display_name, role, status FROM members"))[0]
    assert tuple(row) == ("Anna", "admin", "active")  # the name followed her first message
    await bot.close()


async def test_file_changes_apply_and_chat_changes_stay(make_bot: Start) -> None:
    bot = await make_bot(spaces=[VEGLIO])
    await bot.say("/set capacity 12", as_="Anna")
    await bot.close()

    # Same file: the value set in chat is kept.
    bot = await make_bot(spaces=[VEGLIO])
    assert (await bot.space()).capacity == 12
    await bot.close()

    # The file changed the timezone: that change applies, the chat's capacity stays.
    bot = await make_bot(spaces=[replace(VEGLIO, timezone="Europe/Lisbon")])
    row = (await bot.fetchall("SELECT timezone, capacity FROM spaces"))[0]
    assert tuple(row) == ("Europe/Lisbon", 12)
    await bot.close()


async def test_an_admin_listed_in_the_file_is_restored(make_bot: Start) -> None:
    bot = await make_bot(spaces=[VEGLIO])
    await bot.say("/join", as_="Bruno")
    await bot.say("/promote Bruno", as_="Anna")
    await bot.say("/demote Anna", as_="Bruno")
    assert (await bot.member("Anna")).role == "member"
    await bot.close()
    bot = await make_bot(spaces=[VEGLIO])
    assert (await bot.member("Anna")).role == "admin"
    assert await bot.count("spaces") == 1
    await bot.close()


async def test_a_chat_owned_by_another_space_is_not_stolen(make_bot: Start) -> None:
    other = replace(VEGLIO, name="Other", admins=())
    bot = await make_bot(spaces=[VEGLIO, other])
    owners = await bot.fetchall(
        "SELECT s.name FROM space_chats c JOIN spaces s ON s.id = c.space_id"
    )
    assert [r[0] for r in owners] == ["Veglio"]
    await bot.close()
