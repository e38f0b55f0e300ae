"""Membership over time: every period counts in a split, erased members stop being
members, admins remove members (with confirmation), /leave asks when coming back needs
approval, and those who left still see and pay what they owe."""

from __future__ import annotations

from datetime import datetime

from bot.testing import ROME, BotHarness


def at(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ROME)


async def shares(bot: BotHarness) -> dict[str, tuple[int, int]]:
    """Member name -> (amount, days) of the first charge."""
    rows = await bot.fetchall(
        "SELECT m.display_name, s.amount, s.days FROM charge_shares s"
        " JOIN members m ON m.id = s.member_id WHERE s.charge_id = 1"
    )
    return {r[0]: (r[1], r[2]) for r in rows}


async def test_leaving_and_coming_back_counts_both_stretches(bot: BotHarness) -> None:
    """Carla was a member 25–26 Nov, left, and came back on the 29th: 4 days of
    November, not the 2 since her return (her first stretch used to be lost)."""
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/cost add Heating 320 monthly 1", as_="Anna")
    bot.clock.set(at(26, 18))
    assert "You've left Veglio" in (await bot.say("/leave", as_="Carla"))[0].text
    bot.clock.set(at(29, 10))
    await bot.say("/join", as_="Carla")
    periods = await bot.fetchall(
        "SELECT p.joined_at, p.left_at FROM membership_periods p"
        " JOIN members m ON m.id = p.member_id WHERE m.display_name = 'Carla' ORDER BY p.id"
    )
    assert [tuple(p) for p in periods] == [
        ("2026-11-25T08:00:00Z", "2026-11-26T17:00:00Z"),
        ("2026-11-29T09:00:00Z", None),
    ]
    bot.clock.set(at(1, 9, 5, month=12))
    sent = await bot.tick()
    assert await shares(bot) == {"Anna": (12000, 6), "Bruno": (12000, 6), "Carla": (8000, 4)}
    to_carla = [s.text for s in sent if s.to == "carla"]
    assert to_carla == [
        "Heating, 1 Nov – 30 Nov 2026: your share is €80.00 of €320.00 (split equally"
        " among 3, for your 4 days as a member out of 6).\n"
        "Charge #1. When you've paid, press the button or send /paid 1."
    ]


async def test_an_erased_member_has_no_share_of_new_charges(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Elena"])
    await bot.say("/cost add Heating 200 monthly 1", as_="Anna")
    await bot.say("/cost add Internet 40 monthly 1", as_="Anna")
    bot.clock.set(at(27))
    await bot.say("/forgetme confirm", as_="Elena", chat="private")
    assert await bot.fetchval("SELECT COUNT(*) FROM membership_periods WHERE member_id = 3") == 0
    bot.clock.set(at(1, 9, 5, month=12))
    await bot.tick()
    members = await bot.fetchall(
        "SELECT DISTINCT m.display_name FROM charge_shares s JOIN members m ON m.id = s.member_id"
    )
    assert sorted(r[0] for r in members) == ["Anna", "Bruno"]  # no "#3" nobody can collect
    assert await bot.fetchval("SELECT SUM(amount) FROM charge_shares") == 24000


async def test_an_admin_removes_a_member_after_confirming(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/cost add Kettle 30 once today", as_="Anna")
    await bot.tick()  # charged at 09:00: €10 each
    await bot.say("/skills add Excel", as_="Carla")
    await bot.say("/ask excel: pivot tables?", as_="Bruno")
    await bot.say("/checkin", as_="Bruno")
    await bot.say("/going tomorrow", as_="Bruno")

    asked = (await bot.say("/remove Bruno", as_="Anna"))[0]
    assert asked.text.startswith("Remove Bruno from Veglio? From today they won't be")
    assert "/remove #2 confirm" in asked.text
    assert await bot.fetchval("SELECT status FROM members WHERE id = 2") == "active"

    sent = await bot.press(asked, "Yes, remove", as_="Anna")
    reply = next(s for s in sent if s.to == "group")
    assert reply.text == (
        "Bruno is no longer a member of Veglio: no more charges from today."
        " 1 open help request closed. Still owed: €10.00 (/balance shows it)."
    )
    notice = next(s for s in sent if s.to == "bruno")
    assert notice.private and notice.text.startswith("You've been removed from Veglio.")
    assert await bot.fetchval("SELECT status FROM members WHERE id = 2") == "left"
    assert await bot.fetchval("SELECT left_at FROM membership_periods WHERE member_id = 2") == (
        "2026-11-25T08:00:00Z"
    )
    assert tuple((await bot.fetchall("SELECT checkout_at, closed_by FROM visits"))[0]) == (
        "2026-11-25T08:00:00Z",
        "admin",
    )
    assert await bot.fetchval("SELECT state FROM help_requests") == "cancelled"
    assert await bot.fetchval("SELECT COUNT(*) FROM planned_visits") == 0
    assert await bot.fetchval("SELECT amount FROM charge_shares WHERE member_id = 2") == 1000
    who = (await bot.say("/who", as_="Carla"))[0].text
    # The removal ended the only visit: the space closed then (handlers/web/state.py).
    assert who == "Nobody's in right now.\nThe space has been closed since 09:00."

    # What Bruno owes stays owed, and he can still see it and pay it.
    due = (await bot.say("/due", as_="Bruno", chat="private"))[0].text
    assert "#1 Kettle" in due and "€10.00" in due
    paid = (await bot.say("/paid 1", as_="Bruno", chat="private"))[0].text
    assert paid.startswith("Noted: you paid €10.00 for Kettle")
    refused = (await bot.say("/who", as_="Bruno", chat="private"))[0].text
    assert refused.startswith("This is for members.")


async def test_remove_refuses_what_it_cannot_do_and_changes_nothing(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/set join approval", as_="Anna")
    await bot.say("/join", as_="Dario")
    before = await bot.fetchall("SELECT id, status FROM members ORDER BY id")
    for who, line, answer in [
        ("Anna", "/remove Anna", "To leave the space yourself, send /leave."),
        ("Anna", "/remove Dario", "Dario isn't a member yet: /reject 4 turns the request down."),
        ("Anna", "/remove Zoe", "Nobody matches “Zoe”."),
        ("Bruno", "/remove Carla confirm", "Only the space's admins can use /remove."),
        ("Anna", "/remove", "Something's missing."),
    ]:
        text = (await bot.say(line, as_=who))[0].text
        assert text.startswith(answer), (line, text)
    await bot.say("/promote Bruno", as_="Anna")
    await bot.say("/leave confirm", as_="Anna")
    text = (await bot.say("/remove Bruno confirm", as_="Bruno"))[0].text
    assert text == "To leave the space yourself, send /leave."
    after = await bot.fetchall("SELECT id, status FROM members ORDER BY id")
    assert [tuple(r) for r in after][1:] == [tuple(r) for r in before][1:]  # Anna left


async def test_leave_asks_first_when_coming_back_needs_approval(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario"])
    sent = await bot.say("/leave", as_="Dario")  # open: leaving is undone by /join
    assert sent[0].text.startswith("You've left Veglio.")
    await bot.say("/set join approval", as_="Anna")
    asked = (await bot.say("/leave", as_="Bruno"))[0]
    assert asked.text.startswith("Leave Veglio? To come back you'll need an admin's approval.")
    assert [b.label for b in asked.buttons] == ["Yes, leave"]
    assert await bot.fetchval("SELECT status FROM members WHERE id = 2") == "active"
    # Everyone in the group sees the button: Carla's press does not make her leave.
    sent = await bot.press(asked, "Yes, leave", as_="Carla")
    assert sent[0].text == "That button is for Bruno. To leave yourself, send /leave."
    assert await bot.fetchval("SELECT COUNT(*) FROM members WHERE status = 'left'") == 1
    sent = await bot.press(asked, "Yes, leave", as_="Bruno")
    assert sent[0].text == "You've left Veglio. You can come back with /join."
    assert await bot.fetchval("SELECT status FROM members WHERE id = 2") == "left"
    sent = await bot.say("/join", as_="Bruno")
    assert "asked the admins of Veglio" in sent[0].text


async def test_demote_tells_the_person(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/lang it", as_="Bruno")
    await bot.say("/promote Bruno", as_="Anna")
    sent = await bot.say("/demote Bruno", as_="Anna")
    assert [s.text for s in sent if s.to == "group"] == ["Bruno is no longer an admin."]
    assert [s.text for s in sent if s.to == "bruno"] == [
        "Non hai più il ruolo di admin in Veglio; resti membro."
    ]
