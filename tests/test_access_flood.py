"""Flood control through the whole bot: more than 20 commands in 10 seconds from one
person are answered once, then ignored until the window has passed; nobody else is
slowed. The guard's time source is injected, so no test waits."""

from __future__ import annotations

from datetime import timedelta

from bot.flood import FloodGuard
from bot.testing import BotHarness

SLOW_DOWN = "You're going too fast: I'll ignore your commands for a few seconds."


class Ticker:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


async def test_flood_is_answered_once_then_ignored_and_others_go_on(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    ticker = Ticker()
    bot.app.dispatcher.flood = FloodGuard(now=ticker)

    for i in range(19):
        ticker.t += 0.1
        sent = await bot.say("/who", as_="Bruno")
        assert len(sent) == 1 and sent[0].text.startswith("Nobody's in"), i
    ticker.t += 0.1
    sent = await bot.say("/checkin", as_="Bruno")  # the 20th: still fine
    assert sent[0].text.startswith("Welcome, Bruno! You checked in at")

    ticker.t += 0.1
    sent = await bot.say("/checkout", as_="Bruno")  # the 21st in 10 s
    assert [s.text for s in sent] == [SLOW_DOWN]
    for line, chat in (("/checkout", None), ("/skills add Excel", None), ("/me", "private")):
        ticker.t += 0.1
        assert await bot.say(line, as_="Bruno", chat=chat) == []
    # Ignored means ignored: nothing of it happened.
    assert await bot.fetchval("SELECT COUNT(*) FROM visits WHERE checkout_at IS NULL") == 1
    assert await bot.count("skills") == 0

    # Carla, in the same group and the same second, is not slowed at all.
    for _ in range(5):
        sent = await bot.say("/who", as_="Carla")
        assert sent[0].text.startswith("1 person in")
    sent = await bot.say("/me", as_="Carla", chat="private")
    assert sent[0].text.startswith("Your visits")

    # Still inside the window: still ignored, and not warned twice.
    ticker.t += 5
    assert await bot.say("/checkout", as_="Bruno") == []
    # Once the window has passed, Bruno is heard again.
    ticker.t += 10
    sent = await bot.say("/checkout", as_="Bruno")
    assert sent[0].text.startswith("Bye, Bruno! You were here for")
    assert await bot.fetchval("SELECT COUNT(*) FROM visits WHERE checkout_at IS NULL") == 0

    # A new flood, in a fresh window, gets a new single warning.
    ticker.t += 10
    answers = []
    for _ in range(25):
        ticker.t += 0.01
        answers += [s.text for s in await bot.say("/who", as_="Bruno")]
    assert len(answers) == 21 and answers[-1] == SLOW_DOWN
    assert answers.count(SLOW_DOWN) == 1


async def test_flood_warning_in_italian(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/lang it", as_="Bruno")
    ticker = Ticker()
    bot.app.dispatcher.flood = FloodGuard(now=ticker)
    texts = [s.text for _ in range(22) for s in await bot.say("/who", as_="Bruno", chat="private")]
    assert texts[-1] == "Stai andando troppo veloce: ignorerò i tuoi comandi per qualche secondo."
    assert len(texts) == 21


async def test_replicas_share_the_flood_count_in_the_database(bot: BotHarness) -> None:
    """With [cluster] the count lives in the database (replicas take a sender's updates
    in turn): the same rule, answered once, ignored, then free again after the window."""
    await bot.setup_space("Anna", members=["Bruno"])
    bot.app.dispatcher.shared_flood = True
    for i in range(20):
        sent = await bot.say("/who", as_="Bruno")
        assert len(sent) == 1 and sent[0].text.startswith("Nobody's in"), i
    assert [s.text for s in await bot.say("/who", as_="Bruno")] == [SLOW_DOWN]
    assert await bot.say("/who", as_="Bruno") == []
    assert await bot.count("flood", sender="memory:bruno") == 1
    bot.clock.advance(timedelta(seconds=11))
    assert len(await bot.say("/who", as_="Bruno")) == 1
