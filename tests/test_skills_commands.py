"""Declaring skills and finding who knows, through the whole bot."""

from __future__ import annotations

from bot.testing import BotHarness
from handlers.skills.commands import MAX_SKILLS
from tests.support.skills import check_in, execute, member_id, only, snapshot


async def skill_rows(bot: BotHarness, name: str) -> list[tuple[str, str]]:
    rows = await bot.fetchall(
        "SELECT tag, label FROM skills WHERE member_id = ? ORDER BY tag",
        (await member_id(bot, name),),
    )
    return [(r["tag"], r["label"]) for r in rows]


async def test_add_list_and_remove_skills_shown_as_written(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    reply = only(await bot.say("/skills add MS Excel,  Contabilità ", as_="Bruno"))
    assert "Added: MS Excel, Contabilità." in reply.text
    assert "You now have 2 skills." in reply.text
    assert await skill_rows(bot, "Bruno") == [
        ("contabilita", "Contabilità"),
        ("ms excel", "MS Excel"),
    ]

    listing = only(await bot.say("/skills", as_="Bruno", chat="private"))
    assert listing.private and "Your skills (2 of 30): Contabilità, MS Excel" in listing.text

    # Removing matches the normalised form: no accent, other case.
    reply = only(await bot.say("/skills remove CONTABILITA", as_="Bruno"))
    assert "Removed: Contabilità." in reply.text and "1 skill." in reply.text
    assert await skill_rows(bot, "Bruno") == [("ms excel", "MS Excel")]


async def test_adding_a_skill_again_keeps_the_first_writing(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/skills add Contabilità", as_="Bruno")
    reply = only(await bot.say("/skills add CONTABILITA, Word, word", as_="Bruno"))
    assert "Added: Word." in reply.text
    assert "You already had: Contabilità." in reply.text
    assert await skill_rows(bot, "Bruno") == [("contabilita", "Contabilità"), ("word", "Word")]


async def test_symbol_only_and_too_long_skills_are_refused_and_nothing_is_stored(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/skills add Excel", as_="Bruno")
    before = await snapshot(bot)
    reply = only(await bot.say("/skills add Word, ★★★", as_="Bruno"))
    assert "“★★★” isn't a skill: a skill needs a letter or a digit" in reply.text
    assert "Usage: /skills add" in reply.text
    reply = only(await bot.say("/skills add " + "x" * 41, as_="Bruno"))
    assert "40 characters at most" in reply.text
    reply = only(await bot.say("/skills add , ,", as_="Bruno"))
    assert "Which skill?" in reply.text
    reply = only(await bot.say("/skills remove !!", as_="Bruno"))
    assert "“!!” isn't a skill" in reply.text
    assert await snapshot(bot) == before


async def test_at_most_thirty_skills_each(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    too_many = ", ".join(f"skill {i}" for i in range(MAX_SKILLS + 1))
    reply = only(await bot.say(f"/skills add {too_many}", as_="Bruno"))
    assert "30 skills each at most: you have 0 and asked to add 31." in reply.text
    assert await skill_rows(bot, "Bruno") == []

    thirty = ", ".join(f"skill {i}" for i in range(MAX_SKILLS))
    reply = only(await bot.say(f"/skills add {thirty}", as_="Bruno"))
    assert "You now have 30 skills." in reply.text
    before = await snapshot(bot)
    reply = only(await bot.say("/skills add one more, skill 0", as_="Bruno"))
    assert "you have 30 and asked to add 1" in reply.text
    assert await snapshot(bot) == before
    # Something already there is not "more": re-adding it is fine at the limit.
    reply = only(await bot.say("/skills add Skill 3", as_="Bruno"))
    assert "You already had: skill 3." in reply.text


async def test_removing_a_skill_you_do_not_have_changes_nothing(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/skills add Excel, Word", as_="Bruno")
    before = await snapshot(bot)
    reply = only(await bot.say("/skills remove word, Python", as_="Bruno"))
    assert "You don't have Python. Your skills: Excel, Word." in reply.text
    assert await snapshot(bot) == before


async def test_skills_of_another_member(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/skills add Excel, Contabilità", as_="Bruno")
    reply = only(await bot.say("/skills Bruno", as_="Carla"))
    assert "Bruno's skills: Contabilità, Excel" in reply.text
    reply = only(await bot.say("/skills Carla", as_="Bruno"))
    assert "Carla hasn't declared any skills yet." in reply.text
    reply = only(await bot.say("/skills", as_="Carla"))
    assert "You haven't declared any skills yet" in reply.text
    assert "/skills add Excel, accounting" in reply.text


async def test_whoknows_matches_words_and_ranks_present_then_kudos(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario", "Elena", "Fabio"])
    await bot.say("/skills add MS Excel", as_="Bruno")
    await bot.say("/skills add Excel", as_="Carla")
    await bot.say("/skills add excel", as_="Dario")
    await bot.say("/skills add EXCEL", as_="Elena")
    await bot.say("/skills add Excellence, Word", as_="Fabio")
    await check_in(bot, "Dario")
    await check_in(bot, "Elena")
    await execute(bot, "UPDATE members SET visibility = 'hidden' WHERE display_name = 'Elena'")
    space_id = (await bot.space()).id
    bruno = await member_id(bot, "Bruno")
    for _ in range(2):
        await execute(
            bot,
            "INSERT INTO kudos (space_id, helper_id, given_at) VALUES (?, ?, ?)",
            (space_id, bruno, "2026-11-20T10:00:00Z"),
        )

    reply = only(await bot.say("/whoknows Excel", as_="Anna"))
    lines = reply.text.splitlines()
    assert lines[0] == "Who knows Excel"
    # Dario is in; Elena is in too but hidden, so she is neither marked nor ranked as in.
    assert lines[1:] == [
        "• Dario — excel · here now",
        "• Bruno — MS Excel · 2 kudos",
        "• Carla — Excel",
        "• Elena — EXCEL",
    ]
    assert "Fabio" not in reply.text  # "excel" is a word, not a piece of "excellence"


async def test_whoknows_with_accents_nobody_and_bad_input(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/skills add Contabilità semplificata", as_="Bruno")
    reply = only(await bot.say("/whoknows contabilita", as_="Anna"))
    assert "• Bruno — Contabilità semplificata" in reply.text
    reply = only(await bot.say("/whoknows Python", as_="Anna"))
    assert "Nobody here has declared Python yet" in reply.text
    assert "/ask Python: …" in reply.text
    reply = only(await bot.say("/whoknows ???", as_="Anna"))
    assert "“???” isn't a skill" in reply.text and "Usage: /whoknows <skill>" in reply.text
    reply = only(await bot.say("/whoknows", as_="Anna"))
    assert "Something's missing." in reply.text


async def test_members_who_left_are_not_listed(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/skills add Excel", as_="Bruno")
    await bot.say("/skills add Excel", as_="Carla")
    await bot.say("/leave", as_="Carla")
    reply = only(await bot.say("/whoknows excel", as_="Anna"))
    assert "Bruno" in reply.text and "Carla" not in reply.text


async def test_non_members_cannot_use_skills(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    reply = only(await bot.say("/skills add Excel", as_="Stranger"))
    assert "This is for members" in reply.text
    assert await bot.count("skills") == 0


async def test_skills_in_italian(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/lang it", as_="Bruno")
    reply = only(await bot.say("/skills add Contabilità, Excel", as_="Bruno", chat="private"))
    assert "Aggiunte: Contabilità, Excel." in reply.text
    assert "Ora hai 2 competenze." in reply.text
    await bot.say("/skills add Excel", as_="Carla")
    await check_in(bot, "Carla")
    reply = only(await bot.say("/whoknows excel", as_="Bruno", chat="private"))
    assert reply.text.splitlines() == [
        "Chi sa di excel",
        "• Carla — Excel · qui ora",
        "• Bruno — Excel",
    ]
    reply = only(await bot.say("/skills add ###", as_="Bruno", chat="private"))
    assert "“###” non è una competenza" in reply.text
    reply = only(await bot.say("/skills add ###, !!", as_="Bruno", chat="private"))
    assert "“###”, “!!” non sono competenze" in reply.text
    help_ = "\n\n".join(s.text for s in await bot.say("/help", as_="Bruno", chat="private"))
    assert "Aiuto tra pari" in help_ and "/whoknows" in help_
