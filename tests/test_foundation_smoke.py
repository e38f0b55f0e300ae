from __future__ import annotations

from bot.testing import BotHarness


async def test_setup_join_members(bot: BotHarness) -> None:
    sent = await bot.setup_space("Anna", members=["Bruno"])
    assert "Veglio" in sent[0].text
    sent = await bot.say("/members", as_="Anna")
    assert "Bruno" in sent[0].text and "Anna" in sent[0].text
    sent = await bot.say("/members", as_="Bruno")
    assert "admin" in sent[0].text.lower()
