"""How commands are read and answered in words: help for command groups, quoted
arguments, and which language a reply speaks (the space's in the group, yours in private)."""

from __future__ import annotations

import pytest

from bot.arguments import split_words, unquote
from bot.testing import BotHarness


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('"new kettle" 45,90 once today', ["new kettle", "45,90", "once", "today"]),
        ("“new kettle” 45", ["new kettle", "45"]),  # what iOS sends for "
        ("«macchina caffè» 45", ["macchina caffè", "45"]),
        ("l'ufficio 45", ["l'ufficio", "45"]),  # an apostrophe is no quote
        ('"unclosed kettle 45', ['"unclosed', "kettle", "45"]),
        ('a "b c"', ["a", "b c"]),
        ('"" 45', ["45"]),
    ],
)
def test_split_words(text: str, words: list[str]) -> None:
    assert split_words(text) == words


def test_unquote_only_a_whole_quoted_rest() -> None:
    assert unquote('"Anna Maria"') == "Anna Maria"
    assert unquote('Anna "Maria"') == 'Anna "Maria"'
    assert unquote('"Anna" Maria') == '"Anna" Maria'


async def test_help_for_a_command_group_lists_its_commands(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    text = (await bot.say("/help cost", as_="Anna"))[0].text
    assert text.splitlines()[0] == "/cost has these commands:"
    assert "/cost add <name> <amount>" in text and "add a shared cost" in text
    assert "/cost remove <id> — stop a cost" in text
    text = (await bot.say("/help export", as_="Anna", chat="private"))[0].text
    assert "/export attendance [YYYY-MM] — the visits of a month as a CSV file" in text
    assert "/export costs [YYYY-MM] — charges, shares and payments" in text
    text = (await bot.say("/help /cost add", as_="Bruno"))[0].text
    assert text.startswith("/cost add <name> <amount>") and "Who: admins" in text
    text = (await bot.say("/help frobnicate", as_="Bruno"))[0].text
    assert text == "There's no command frobnicate. /help lists them all."


async def test_quoted_names_are_one_argument_without_their_quotes(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say('/cost add "new kettle" 45,90 once tomorrow', as_="Anna")
    assert "Cost #1 new kettle: €45.90" in sent[0].text
    assert await bot.fetchval("SELECT name FROM costs") == "new kettle"
    sent = await bot.say("/cost add “coffee beans” 12 monthly 5", as_="Anna")
    assert "Cost #2 coffee beans" in sent[0].text
    sent = await bot.say('/checkin "deep work"', as_="Bruno")
    assert await bot.fetchval("SELECT note FROM visits") == "deep work"
    sent = await bot.say('/promote "Bruno"', as_="Anna")
    assert sent[0].text == "Bruno is now an admin."


async def test_the_group_reads_the_space_language_and_private_chats_yours(
    bot: BotHarness,
) -> None:
    """Bruno reads English; the space speaks Italian: what the bot says in the group
    (his help request's announcement too) is Italian, what it tells him alone English."""
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/set language it", as_="Anna")
    await bot.say("/lang en", as_="Bruno")
    await bot.say("/skills add Excel", as_="Carla")
    sent = await bot.say("/ask excel: how do pivot tables work?", as_="Bruno")
    group = [s for s in sent if not s.private]
    assert len(group) == 1
    assert group[0].text.startswith("🙋 #1 Bruno chiede aiuto su excel:")
    assert "L'ho detto in privato a 1 membro" in group[0].text
    to_carla = [s for s in sent if s.to == "carla"]
    assert "Bruno chiede aiuto su excel" in to_carla[0].text  # Carla reads the space's
    sent = await bot.say("/checkin", as_="Bruno")
    assert sent[0].text.startswith("Ciao Bruno, sei dentro dalle 09:00.")
    sent = await bot.say("/me", as_="Bruno", chat="private")
    assert sent[0].text.startswith("Your visits")
