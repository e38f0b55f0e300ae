"""Help requests from `ask` to `thanks`, through the whole bot, with every refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.events import ChatRef, Platform
from bot.testing import BotHarness
from tests.support.skills import (
    check_in,
    member_id,
    only,
    private_to,
    request_row,
    snapshot,
)


async def community(bot: BotHarness) -> None:
    """Anna (admin); Bruno, Elena and Dario know Excel, Dario is in; Carla asks."""
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario", "Elena"])
    await bot.say("/skills add MS Excel", as_="Bruno")
    await bot.say("/skills add Excel, Word", as_="Carla")
    await bot.say("/skills add excel", as_="Dario")
    await bot.say("/skills add Excel", as_="Elena")
    await check_in(bot, "Dario")


async def test_whole_lifecycle_ask_offer_done_thanks_kudos(bot: BotHarness) -> None:
    await community(bot)
    sent = await bot.say("/ask Excel: how do I make a pivot table?", as_="Carla")

    # The group sees the request with a button; those who know hear privately, the
    # present one first, then exact matches before "MS Excel"; never the requester.
    group = [s for s in sent if not s.private]
    assert len(group) == 1
    assert group[0].text.startswith("🙋 #1 Carla asks for help with Excel:")
    assert "I told 3 members who know Excel, privately." in group[0].text
    assert [b.label for b in group[0].buttons] == ["I can help"]
    assert private_to(sent) == ["dario", "elena", "bruno"]
    notice = bot.inbox("Bruno")[-1]
    assert "Carla asks for help with Excel, which you know (request #1)" in notice.text
    assert "how do I make a pivot table?" in notice.text
    assert [(b.label, b.command) for b in notice.buttons] == [("I can help", "offer 1")]
    assert bot.inbox("Carla") == []

    row = await request_row(bot, 1)
    assert (row["state"], row["skill_label"], row["skill_tag"]) == ("open", "Excel", "excel")
    assert row["requester_id"] == await member_id(bot, "Carla")
    notices = await bot.fetchall("SELECT member_id, reason, rank FROM help_notices ORDER BY rank")
    assert [(r["member_id"], r["reason"], r["rank"]) for r in notices] == [
        (await member_id(bot, "Dario"), "match", 0),
        (await member_id(bot, "Elena"), "match", 1),
        (await member_id(bot, "Bruno"), "match", 2),
    ]

    # Bruno offers from his private notice; Carla learns who and how to reach him.
    sent = await bot.press(notice, "I can help", as_="Bruno")
    reply = [s for s in sent if s.to == "bruno"]
    assert "Thank you, Bruno! #1 (Excel) is yours. Reach Carla: @carla." in reply[0].text
    told = [s for s in sent if s.to == "carla"]
    assert told[0].text == "🤝 Bruno will help you with #1 (Excel). Reach them: @bruno."
    row = await request_row(bot, 1)
    assert row["state"] == "claimed" and row["helper_id"] == await member_id(bot, "Bruno")

    # Bruno marks it solved; Carla gets a thanks button and uses it.
    sent = await bot.say("/done 1", as_="Bruno")
    assert "#1 is solved, and I've told Carla." in sent[0].text
    to_carla = only([s for s in sent if s.to == "carla"])
    assert "Bruno marked your request #1 (Excel) as solved" in to_carla.text
    assert (await request_row(bot, 1))["state"] == "resolved"

    sent = await bot.press(to_carla, "Say thanks", as_="Carla")
    assert "I've passed your thanks on to Bruno." in sent[0].text
    to_bruno = only([s for s in sent if s.to == "bruno"])
    assert to_bruno.text == "💐 Carla thanks you for #1 (Excel). You now have 1 kudo."
    kudos = await bot.fetchall("SELECT helper_id, given_by FROM kudos")
    assert [tuple(r) for r in kudos] == [
        (await member_id(bot, "Bruno"), await member_id(bot, "Carla"))
    ]

    # The kudos now lifts Bruno above Elena (Dario is still first: he is in).
    reply = only(await bot.say("/whoknows excel", as_="Anna"))
    assert reply.text.splitlines()[1:] == [
        "• Dario — excel · here now",
        "• Bruno — MS Excel · 1 kudo",
        "• Carla — Excel",
        "• Elena — Excel",
    ]


async def test_nobody_knows_posts_to_the_group_only(bot: BotHarness) -> None:
    await community(bot)
    sent = await bot.say("/ask Python: why is my loop slow?", as_="Carla")
    reply = only(sent)
    assert not reply.private
    assert "Nobody here has declared Python yet, so the request is in the group only." in (
        reply.text
    )
    assert [b.command for b in reply.buttons] == ["offer 1"]
    assert (await request_row(bot, 1))["state"] == "open"
    assert await bot.count("help_notices") == 0


async def test_asking_in_private_posts_in_the_group_and_confirms_privately(
    bot: BotHarness,
) -> None:
    await community(bot)
    sent = await bot.say("/ask word: mail merge?", as_="Bruno", chat="private")
    group = only([s for s in sent if s.to == "group"])
    assert group.text.startswith("🙋 #1 Bruno asks for help with word:")
    assert [b.command for b in group.buttons] == ["offer 1"]
    confirm = only([s for s in sent if s.to == "bruno"])
    assert "Your request #1 is posted in the group." in confirm.text
    assert "I told 1 member who knows word, privately." in confirm.text
    assert "/cancel 1" in confirm.text
    assert private_to(sent) == ["carla", "bruno"]


async def test_at_most_ten_are_told_at_first_present_ones_first(bot: BotHarness) -> None:
    names = [f"Helper{i:02d}" for i in range(12)]
    await bot.setup_space("Anna", members=["Carla", *names])
    for name in names:
        await bot.say("/skills add Excel", as_=name)
    await check_in(bot, "Helper11")
    await check_in(bot, "Helper10")
    sent = await bot.say("/ask excel: help", as_="Carla")
    told = private_to(sent)
    assert len(told) == 10
    assert told[:2] == ["helper10", "helper11"]
    assert told[2:] == [f"helper{i:02d}" for i in range(8)]
    assert "I told 10 members who know excel" in sent[-1].text
    assert await bot.count("help_notices", reason="match") == 10


async def test_double_offer_says_who_already_claimed(bot: BotHarness) -> None:
    await community(bot)
    sent = await bot.say("/ask Excel: pivot?", as_="Carla")
    await bot.press(sent[-1], "I can help", as_="Elena")
    before = await snapshot(bot)
    reply = only(await bot.press(sent[-1], "I can help", as_="Dario"))
    assert reply.text == "Elena has already offered to help with #1. Thanks anyway!"
    reply = only(await bot.say("/offer #1", as_="Elena"))
    assert reply.text == "You've already offered to help with #1."
    assert await snapshot(bot) == before


async def test_refusals_on_an_open_request_change_nothing(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Excel: pivot?", as_="Carla")
    before = await snapshot(bot)
    cases = [
        ("Dario", "/offer 999", "There's no request #999. /requests lists the open ones."),
        ("Carla", "/offer 1", "#1 is your own request: you can't offer help to yourself."),
        ("Dario", "/thanks 1", "Only whoever asked #1 can give thanks for it."),
        ("Carla", "/thanks 1", "Nobody has offered to help with #1 yet"),
        ("Dario", "/done 1", "Only whoever asked #1 or is helping with it can mark it solved."),
        ("Dario", "/cancel 1", "Only whoever asked #1, or an admin, can cancel it."),
        ("Dario", "/offer one", "“one” isn't a whole number."),
        ("Dario", "/offer", "Something's missing."),
        ("Carla", "/ask Excel how do I pivot", "Put a colon between the skill and the question."),
        ("Carla", "/ask Excel:   ", "What's the question? Write it after the colon."),
        ("Carla", "/ask : pivot?", "Which skill does it need?"),
        ("Carla", "/ask ★: pivot?", "“★” isn't a skill"),
        ("Carla", "/ask", "Something's missing."),
    ]
    for who, line, expected in cases:
        reply = only(await bot.say(line, as_=who))
        assert expected in reply.text, line
        if line.startswith("/ask"):
            assert "Usage: /ask <skill>: <question>" in reply.text
    assert await snapshot(bot) == before


async def test_refusals_on_closed_requests_change_nothing(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Excel: one", as_="Carla")
    await bot.say("/ask Excel: two", as_="Carla")
    await bot.say("/offer 2", as_="Bruno")
    await bot.say("/cancel 1", as_="Carla")
    await bot.say("/done 2", as_="Carla")
    await bot.say("/thanks 2", as_="Carla")
    before = await snapshot(bot)
    cases = [
        ("Carla", "/done 1", "Request #1 is already cancelled: nothing to do."),
        ("Dario", "/offer 1", "Request #1 is already cancelled: nothing to do."),
        ("Carla", "/cancel 1", "Request #1 is already cancelled: nothing to do."),
        ("Bruno", "/done 2", "Request #2 is already solved: nothing to do."),
        ("Anna", "/cancel 2", "Request #2 is already solved: nothing to do."),
        ("Carla", "/thanks 2", "You've already thanked Bruno for #2."),
        ("Bruno", "/thanks 2", "Only whoever asked #2 can give thanks for it."),
    ]
    for who, line, expected in cases:
        reply = only(await bot.say(line, as_=who))
        assert reply.text == expected or expected in reply.text, line
    assert await snapshot(bot) == before


async def test_requester_solves_an_open_request_alone(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Excel: pivot?", as_="Carla")
    reply = only(await bot.say("/done 1", as_="Carla"))
    assert reply.text == "#1 is solved. 🎉" and reply.buttons == ()
    row = await request_row(bot, 1)
    assert row["state"] == "resolved" and row["helper_id"] is None
    assert row["closed_by"] == await member_id(bot, "Carla")


async def test_requester_marks_done_and_is_offered_a_thanks_button(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Excel: pivot?", as_="Carla")
    await bot.say("/offer 1", as_="Elena")
    sent = await bot.say("/done 1", as_="Carla", chat="private")
    reply = only([s for s in sent if s.to == "carla"])
    assert "#1 is solved. 🎉" in reply.text and "Thank Elena with /thanks 1." in reply.text
    to_elena = only([s for s in sent if s.to == "elena"])
    assert to_elena.text == "Carla marked #1 (Excel) as solved. Thank you for helping!"
    sent = await bot.press(reply, "Say thanks", as_="Carla")
    assert await bot.count("kudos") == 1
    assert "You now have 1 kudo." in only([s for s in sent if s.to == "elena"]).text


async def test_thanks_before_done_keeps_the_request_claimed(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Excel: pivot?", as_="Carla")
    await bot.say("/offer 1", as_="Elena")
    sent = await bot.say("/thanks 1", as_="Carla")
    reply = sent[0]
    assert "If it's solved, close it with /done 1." in reply.text
    assert [b.command for b in reply.buttons] == ["done 1"]
    assert (await request_row(bot, 1))["state"] == "claimed"
    assert await bot.count("kudos") == 1


async def test_admin_cancels_and_requester_and_helper_are_told(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Excel: pivot?", as_="Carla")
    await bot.say("/offer 1", as_="Bruno")
    sent = await bot.say("/cancel 1", as_="Anna")
    assert sent[0].text == "#1 is cancelled."
    assert only([s for s in sent if s.to == "bruno"]).text == (
        "#1 (Excel), which you offered to help with, was cancelled."
    )
    assert only([s for s in sent if s.to == "carla"]).text == (
        "Anna, an admin, cancelled your request #1 (Excel)."
    )
    row = await request_row(bot, 1)
    assert row["state"] == "cancelled" and row["closed_by"] == await member_id(bot, "Anna")


async def test_requests_lists_open_and_claimed_with_age(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Excel: first question", as_="Carla")
    bot.clock.advance(timedelta(minutes=50))
    await bot.say("/ask Word: second question", as_="Bruno")
    await bot.say("/ask Excel: third, solved", as_="Carla")
    await bot.say("/done 3", as_="Carla")
    await bot.say("/offer 2", as_="Carla")
    bot.clock.advance(timedelta(hours=2))
    reply = only(await bot.say("/requests", as_="Dario"))
    assert reply.text.splitlines() == [
        "Requests waiting for help",
        "#1 Excel: first question",
        # 2 h 50 min: Babel rounds it the way people say it
        "   Carla, 3 hours ago",
        "#2 Word: second question",
        "   Bruno, 2 hours ago · Carla is helping",
    ]
    await bot.say("/cancel 1", as_="Carla")
    await bot.say("/done 2", as_="Bruno")
    reply = only(await bot.say("/requests", as_="Dario"))
    assert reply.text == "No request is waiting for help. Ask with /ask."


async def test_request_numbers_count_per_space(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Excel: in the first space", as_="Carla")
    other = ChatRef(Platform.MEMORY, "group2", private=False, title="Other")
    bot.transport.chat_admins.add(("group2", bot.user("Zoe").user_id))
    await bot.say("/setup Altro", as_="Zoe", chat=other)
    sent = await bot.say("/ask Excel: in the second space", as_="Zoe", chat=other)
    assert sent[0].text.startswith("🙋 #1 Zoe asks for help with Excel:")
    # Nobody of the first space hears about the second space's request.
    assert private_to(sent) == []
    rows = await bot.fetchall("SELECT space_id, number FROM help_requests ORDER BY id")
    assert [r["number"] for r in rows] == [1, 1]
    assert rows[0]["space_id"] != rows[1]["space_id"]
    reply = only(await bot.say("/offer 1", as_="Zoe", chat=other))
    assert "your own request" in reply.text


@pytest.mark.parametrize("where", ["group", "private"])
async def test_notifications_follow_each_readers_language(bot: BotHarness, where: str) -> None:
    await community(bot)
    await bot.say("/lang it", as_="Elena")
    await bot.say("/lang it", as_="Carla")
    sent = await bot.say("/ask Excel: tabella pivot?", as_="Carla", chat=where)
    to_elena = only([s for s in sent if s.to == "elena"])
    assert "Carla chiede aiuto su Excel, che tu conosci (richiesta #1)" in to_elena.text
    assert [b.label for b in to_elena.buttons] == ["Posso aiutare"]
    to_bruno = only([s for s in sent if s.to == "bruno"])
    assert "Carla asks for help with Excel" in to_bruno.text
    sent = await bot.press(to_elena, "Posso aiutare", as_="Elena")
    assert "Grazie, Elena! La #1 (Excel) è tua. Contatta Carla: @carla." in sent[0].text
    to_carla = only([s for s in sent if s.to == "carla"])
    assert (
        to_carla.text == "🤝 Elena ti aiuterà con la #1 (Excel). Per metterti in contatto: @elena."
    )
    assert [b.label for b in to_carla.buttons] == ["Risolta"]
    reply = only(await bot.say("/offer 99", as_="Carla", chat="private"))
    assert "Non c'è nessuna richiesta #99." in reply.text
    reply = only(await bot.say("/ask Excel senza due punti", as_="Carla", chat="private"))
    assert "Metti i due punti tra la competenza e la domanda." in reply.text
    assert "Uso: /ask <competenza>: <domanda>" in reply.text
