"""Membership through the whole bot: setup, join, approval, roles, settings, language."""

from __future__ import annotations

import pytest

from bot.i18n import to_plain
from bot.testing import BotHarness


async def member_rows(bot: BotHarness) -> dict[str, tuple[str, str]]:
    rows = await bot.fetchall("SELECT display_name, role, status FROM members ORDER BY id")
    return {r["display_name"]: (r["role"], r["status"]) for r in rows}


async def test_setup_needs_a_chat_admin_and_binds_the_group(bot: BotHarness) -> None:
    sent = await bot.say("/setup Veglio", as_="Mallory")
    assert "admin of this chat" in sent[0].text
    assert await bot.count("spaces") == 0

    bot.transport.chat_admins.add(("group", "anna"))
    sent = await bot.say("/setup Veglio", as_="Anna")
    assert "Veglio" in sent[0].text and "admin" in sent[0].text
    assert await member_rows(bot) == {"Anna": ("admin", "active")}
    chats = await bot.fetchall("SELECT platform, chat_id FROM space_chats")
    assert [(r["platform"], r["chat_id"]) for r in chats] == [("memory", "group")]

    again = await bot.say("/setup Other", as_="Anna")
    assert "already belongs" in again[0].text
    assert await bot.count("spaces") == 1


async def test_join_with_approval_and_the_approve_button(bot: BotHarness) -> None:
    await bot.setup_space("Anna", join="approval")
    sent = await bot.say("/join", as_="Bruno")
    assert "asked the admins" in sent[0].text
    request = [s for s in sent if s.private and s.to == "anna"]
    assert len(request) == 1 and "Bruno" in request[0].text
    assert [b.label for b in request[0].buttons] == ["Approve", "Reject"]
    assert (await member_rows(bot))["Bruno"] == ("member", "pending")

    waiting = await bot.say("/who", as_="Bruno")
    assert waiting == [] or "waiting" in waiting[0].text or "approval" in waiting[0].text
    again = await bot.say("/join", as_="Bruno")
    assert "still waiting" in again[0].text

    pressed = await bot.press(request[0], "Approve", as_="Anna")
    assert any("Bruno is now a member" in s.text for s in pressed)
    assert any(s.to == "bruno" and "welcome" in s.text.lower() for s in pressed)
    assert (await member_rows(bot))["Bruno"] == ("member", "active")

    stale = await bot.press(request[0], "Approve", as_="Anna")
    assert "no request waiting" in stale[0].text


async def test_reject_forgets_the_request(bot: BotHarness) -> None:
    await bot.setup_space("Anna", join="approval")
    await bot.say("/join", as_="Bruno")
    sent = await bot.say("/reject Bruno", as_="Anna")
    assert "turned down" in next(s for s in sent if not s.private).text
    assert any(s.to == "bruno" and "wasn't accepted" in s.text for s in sent)
    assert "Bruno" not in await member_rows(bot)
    assert await bot.count("identities", identity="memory:bruno") == 0


async def test_only_admins_approve(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Carla"])
    await bot.say("/set join approval", as_="Anna")
    await bot.say("/join", as_="Bruno")
    sent = await bot.say("/approve Bruno", as_="Carla")
    assert "Only the space's admins" in sent[0].text
    assert (await member_rows(bot))["Bruno"] == ("member", "pending")


async def test_promote_and_never_demote_the_last_admin(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    refused = await bot.say("/demote Anna", as_="Anna")
    assert "last admin" in refused[0].text
    assert (await member_rows(bot))["Anna"] == ("admin", "active")

    sent = await bot.say("/promote Bruno", as_="Anna")
    assert "Bruno is now an admin" in sent[0].text
    assert any(s.to == "bruno" and "admin" in s.text for s in sent)
    assert "already an admin" in (await bot.say("/promote @bruno", as_="Anna"))[0].text

    sent = await bot.say("/demote Anna", as_="Bruno")
    assert "Anna is no longer an admin" in sent[0].text
    assert await member_rows(bot) == {"Anna": ("member", "active"), "Bruno": ("admin", "active")}
    refused = await bot.say("/demote Bruno", as_="Bruno")
    assert "last admin" in refused[0].text


async def test_member_references(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Bruna"])
    ambiguous = await bot.say("/promote Brun", as_="Anna")
    assert "could be" in ambiguous[0].text and "#" in ambiguous[0].text
    missing = await bot.say("/promote Zed", as_="Anna")
    assert "Nobody matches" in missing[0].text
    bruna_id = (await bot.member("Bruna")).id
    sent = await bot.say(f"/promote #{bruna_id}", as_="Anna")
    assert "Bruna is now an admin" in sent[0].text
    assert (await member_rows(bot))["Bruno"] == ("member", "active")


async def test_members_see_who_the_members_are_and_admins_see_more(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/leave", as_="Carla")
    await bot.say("/set join approval", as_="Anna")
    await bot.say("/join", as_="Dario")
    sent = await bot.say("/members", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "Members of Veglio",
        "#1 Anna — admin",
        "#2 Bruno — member",
    ]
    sent = await bot.say("/members", as_="Anna", chat="private")
    assert sent[0].text.splitlines() == [
        "Members of Veglio",
        "#1 Anna (@anna) — admin",
        "#2 Bruno (@bruno) — member",
        "Waiting for approval",
        "#4 Dario (@dario)",  # no role: not a member yet
        "and 1 who left",
    ]
    refused = await bot.say("/members", as_="Dario")
    assert "waiting for an admin's approval" in refused[0].text


async def test_leave_and_come_back(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    assert "last admin" in (await bot.say("/leave", as_="Anna"))[0].text
    sent = await bot.say("/leave", as_="Bruno")
    assert "You've left" in sent[0].text
    assert (await member_rows(bot))["Bruno"] == ("member", "left")
    refused = await bot.say("/members", as_="Bruno")
    assert "for members" in refused[0].text
    await bot.say("/join", as_="Bruno")
    assert (await member_rows(bot))["Bruno"] == ("member", "active")
    assert await bot.count("members", display_name="Bruno") == 1


async def test_settings_and_set(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/settings", as_="Anna")
    assert "timezone Europe/Rome" in sent[0].text.splitlines()
    sent = await bot.say("/set timezone America/New_York", as_="Anna")
    assert sent[0].text == "Done: timezone America/New_York."
    assert (await bot.space()).timezone == "America/New_York"
    sent = await bot.say("/set closing 19:30", as_="Anna")
    assert (await bot.space()).closing_time == "19:30"
    await bot.say("/set closing off", as_="Anna")
    assert (await bot.space()).closing_time is None
    await bot.say("/set escalate_after 2", as_="Anna")
    assert (await bot.space()).escalate_after_minutes == 120

    for bad, expected in [
        ("/set timezone Mars/Olympus", "isn't a time zone"),
        ("/set timezone ../../etc/passwd", "isn't a time zone"),
        ("/set closing 25:00", "isn't a time"),
        ("/set capacity -3", "whole number from 0"),
        ("/set currency XYZ", "isn't a currency"),
        ("/set colour red", "“colour” isn't a setting. The settings are: name, timezone"),
        ("/set timezone", "Something's missing"),
    ]:
        sent = await bot.say(bad, as_="Anna")
        assert expected in sent[0].text, (bad, sent[0].text)
    row = await bot.fetchall("SELECT timezone, capacity, currency FROM spaces")
    assert tuple(row[0]) == ("America/New_York", None, "EUR")
    refused = await bot.say("/set language it", as_="Bruno")
    assert "Only the space's admins" in refused[0].text
    assert (await bot.space()).language == "en"


async def test_language_switch_changes_replies(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/lang it", as_="Bruno")
    assert sent[0].text == "Ti parlerò in italiano."
    assert (await bot.member("Bruno")).language == "it"
    sent = await bot.say("/help", as_="Bruno", chat="private")
    assert "Cosa puoi fare" in sent[0].text
    sent = await bot.say("/help", as_="Anna", chat="private")
    assert "What you can do" in sent[0].text
    # The group reads the space's language, whoever asks.
    sent = await bot.say("/help", as_="Bruno")
    assert "What you can do" in sent[0].text
    sent = await bot.say("/frobnicate", as_="Bruno", chat="private")
    assert sent[0].text == "Non conosco il comando /frobnicate. Scrivi /aiuto per l'elenco."


async def test_help_lists_only_what_the_caller_may_use(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    admin = "\n".join(s.text for s in await bot.say("/help", as_="Anna"))
    member = "\n".join(s.text for s in await bot.say("/help", as_="Bruno"))
    stranger = "\n".join(s.text for s in await bot.say("/help", as_="Zoe"))
    assert "/approve" in admin and "/set " in admin
    assert "/approve" not in member and "/set " not in member and "/lang" in member
    assert "/lang" not in stranger and "/join" in stranger and "/approve" not in stranger
    detail = (await bot.say("/help approve", as_="Bruno"))[0].text
    assert "/approve <member>" in detail and "admins" in detail
    unknown = (await bot.say("/help nothing", as_="Bruno"))[0].text
    assert "no command" in unknown


@pytest.mark.parametrize("lang", ["en", "it", "de"])
async def test_a_long_help_goes_in_messages_telegram_takes_never_cutting_a_section(
    bot: BotHarness, lang: str
) -> None:
    """An admin's whole listing is longer than one Telegram message (4096): it comes in
    several, in order, each section whole in one of them."""
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say(f"/lang {lang}", as_="Anna", chat="private")
    sent = await bot.say("/help", as_="Anna", chat="private")
    assert len(sent) > 1
    assert all(len(s.text.encode("utf-16-le")) // 2 <= 4096 for s in sent)
    texts = [s.text for s in sent]
    assert texts[0].startswith(to_plain(str(bot.app.rt.translator.text(lang, "help.title"))))
    for s in sent[1:]:  # every later message starts with a section's title, in bold
        assert s.html.startswith("<b>")
    whole = "\n\n".join(texts)
    if lang == "en":  # in their order (the command names are translated elsewhere)
        assert whole.index("/approve") < whole.index("/checkin") < whole.index("/cost")


async def test_start_in_private(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    assert "member of Veglio" in (await bot.say("/start", as_="Bruno", chat="private"))[0].text
    assert "/join" in (await bot.say("/start", as_="Zoe", chat="private"))[0].text
    assert "private" in (await bot.say("/start", as_="Bruno"))[0].text


async def test_join_in_a_chat_that_is_not_set_up(bot: BotHarness) -> None:
    sent = await bot.say("/join", as_="Bruno")
    assert "isn't set up" in sent[0].text and "/setup" in sent[0].text
    assert await bot.count("members") == 0


async def test_private_commands_use_the_members_space(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/settings", as_="Anna", chat="private")
    assert "Settings of Veglio" in sent[0].text and sent[0].private
    stranger = await bot.say("/members", as_="Zoe", chat="private")
    assert "not a member of any space" in stranger[0].text


async def test_the_harness_reads_members_spaces_and_counts_without_sql(bot: BotHarness) -> None:
    await bot.setup_space("Anna", name="Veglio", members=["Bruno"])
    assert (await bot.member("Anna")).is_admin and not (await bot.member("Bruno")).is_admin
    assert (await bot.space()).name == "Veglio" == (await bot.space("Veglio")).name
    assert await bot.count("members") == 2 and await bot.count("members", role="admin") == 1
    with pytest.raises(AssertionError, match="0 members called 'Zoe'"):
        await bot.member("Zoe")
    with pytest.raises(ValueError, match="not plain table/column names"):
        await bot.count("members; DROP TABLE members")
    assert await bot.count("members") == 2
