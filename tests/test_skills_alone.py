"""Who knows what, when the one asking is the only one who does."""

from __future__ import annotations

from bot.testing import BotHarness


async def test_whoknows_and_ask_say_you_are_the_only_one_not_nobody(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/skills add html", as_="Bruno")
    sent = await bot.say("/whoknows html", as_="Bruno")
    assert sent[0].text == (
        "You're the only one here who has declared html. You can still ask everyone: /ask html: …"
    )
    sent = await bot.say("/whoknows html", as_="Anna")  # for others Bruno is listed
    assert sent[0].text.splitlines() == ["Who knows html", "• Bruno — html"]
    sent = await bot.say("/ask html: how do I center a div?", as_="Bruno")
    assert sent[0].text.endswith(
        "You're the only one here who has declared html, so the request is in the group only."
    )
    sent = await bot.say("/whoknows css", as_="Bruno")
    assert sent[0].text.startswith("Nobody here has declared css yet.")
