"""Shared costs as a new community meets them: amounts that read two ways are asked
about, outsized ones confirmed, one-off costs have no period, new charges show in /due
at once, the monthly summary is about one month, and the exports open in columns."""

from __future__ import annotations

from datetime import datetime

from bot.testing import ROME, BotHarness


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ROME)


async def costs(bot: BotHarness) -> list[tuple[str, int]]:
    return [tuple(r) for r in await bot.fetchall("SELECT name, amount FROM costs ORDER BY id")]


async def test_an_amount_that_reads_two_ways_is_asked_with_both_readings(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    asked = (await bot.say("/cost add coffee 12.345 monthly 5", as_="Anna"))[0]
    assert asked.text == "“12.345” reads two ways: €12,345.00 or €12.35. Which one do you mean?"
    assert [(b.label, b.command) for b in asked.buttons] == [
        ("€12,345.00", "cost add coffee 12345.00 monthly 5"),
        ("€12.35", "cost add coffee 12.35 monthly 5"),
    ]
    assert await costs(bot) == []  # nothing is taken silently
    sent = await bot.press(asked, "€12.35", as_="Anna")
    assert sent[0].text.startswith("Cost #1 coffee: €12.35, monthly on day 5")
    assert await costs(bot) == [("coffee", 1235)]

    await bot.say("/lang it", as_="Anna")
    asked = (await bot.say("/cost add tè 1,234 monthly 5", as_="Anna", chat="private"))[0]
    assert (
        asked.text
        == "“1,234” si legge in due modi: €\u00a01.234,00 oppure €\u00a01,23. Quale intendi?"
    )
    assert [b.label for b in asked.buttons] == ["€\u00a01.234,00", "€\u00a01,23"]


async def test_an_outsized_cost_is_confirmed_first(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/cost add Heating 120 monthly 31", as_="Anna")
    asked = (await bot.say('/cost add "Roof repair" 3000 once tomorrow', as_="Anna"))[0]
    assert asked.text == (
        "€3,000.00 is more than 20 times the largest cost here (€120.00). Is that right?"
        " To add it, press the button or send /cost add Roof repair 3000.00 once 2026-11-26"
        " confirm"
    )
    assert await costs(bot) == [("Heating", 12000)]
    sent = await bot.press(asked, "Yes, add it", as_="Anna")
    assert sent[0].text.startswith("Cost #2 Roof repair: €3,000.00, once, on Thu, 26 Nov 2026")
    assert await costs(bot) == [("Heating", 12000), ("Roof repair", 300000)]
    sent = await bot.say("/cost add Boiler 2400 monthly 1", as_="Anna")  # 20 times: fine
    assert sent[0].text.startswith("Cost #3 Boiler")


async def test_a_payment_amount_that_reads_two_ways_is_asked_too(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/cost add Kettle 2468 once today confirm", as_="Anna")
    await bot.tick()
    asked = (await bot.say("/paid 1 1.234", as_="Bruno", chat="private"))[0]
    assert [(b.label, b.command) for b in asked.buttons] == [
        ("€1,234.00", "paid 1 1234.00"),
        ("€1.23", "paid 1 1.23"),
    ]
    assert await bot.fetchval("SELECT COUNT(*) FROM payments") == 0
    # In the group anyone could press them: the question says what to send instead.
    sent = await bot.say("/paid 1 1,234", as_="Bruno")
    assert sent[0].text == (
        "“1,234” reads two ways: €1,234.00 or €1.23. Send /paid 1 1234.00 or /paid 1 1.23."
    )
    assert sent[0].buttons == ()
    sent = await bot.press(asked, "€1,234.00", as_="Bruno")
    assert sent[0].text.startswith("Noted: you paid €1,234.00 for Kettle")
    assert await bot.fetchval("SELECT amount FROM payments") == 123400


async def test_a_one_off_cost_has_no_period(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/cost add kettle 45,90 once today", as_="Anna")
    assert sent[0].text == (
        "Cost #1 kettle: €45.90, once, on Wed, 25 Nov 2026, split equally.\n"
        "One charge, shared by the members of that day."
    )
    sent = await bot.tick()
    assert [s.text for s in sent if s.to == "bruno"] == [
        "kettle: your share is €22.95 of €45.90 (split equally among 2).\n"
        "Charge #1. When you've paid, press the button or send /paid 1."
    ]
    row = (await bot.fetchall("SELECT due_on, period_start, period_end FROM charges"))[0]
    assert tuple(row) == ("2026-11-25", "2026-11-25", "2026-11-25")
    due = (await bot.say("/due", as_="Bruno", chat="private"))[0].text
    assert "#1 kettle, due Wed, 25 Nov 2026: €22.95" in due
    balance = (await bot.say("/balance", as_="Anna", chat="private"))[0].text
    assert "#1 kettle: €45.90, due Wed, 25 Nov 2026" in balance
    assert " – " not in due + balance  # no period anywhere


async def test_new_charges_show_in_due_at_once_after_the_reminder_time(
    bot: BotHarness,
) -> None:
    bot.clock.set(at(11, 20, 10))
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at(11, 25, 8, 59))  # the due day, before the reminder time: not yet
    assert (await bot.say("/due", as_="Bruno", chat="private"))[0].text == (
        "You don't owe anything at the moment."
    )
    bot.clock.set(at(11, 25, 9, 1))  # after it, and before any tick
    sent = await bot.say("/due", as_="Bruno", chat="private")
    assert sent[-1].text.startswith("What you owe\n#1 Internet (25 Oct – 24 Nov 2026)")
    assert [s.text.split(",")[0] for s in sent if s.to == "anna"] == ["Internet"]  # her letter
    assert await bot.tick() == []  # the tick finds it done: once


async def test_cost_remove_before_any_charge_says_nothing_about_charges(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/cost add Internet 30 monthly 28", as_="Anna")
    sent = await bot.say("/cost remove 1", as_="Anna")
    assert sent[0].text == "Cost #1 Internet stopped: no more charges."


async def test_the_monthly_summary_is_about_one_month(bot: BotHarness) -> None:
    """Charges of November and the one of 1 December that goes out the same morning:
    the summary of November speaks of November's only, under one heading."""
    bot.clock.set(at(11, 2, 10))
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    await bot.say("/cost add Heating 100 monthly 1", as_="Anna")
    bot.clock.set(at(11, 25, 10))
    await bot.tick()
    await bot.say("/paid 1", as_="Bruno")
    await bot.say("/paid 1", as_="Anna")
    await bot.say("/confirm 2", as_="Anna")
    bot.clock.set(at(12, 1, 9, 30))
    sent = await bot.tick()
    [summary] = [s for s in sent if s.to == "anna" and s.text.startswith("Shared costs:")]
    assert summary.text.splitlines() == [
        "Shared costs: November 2026",
        "Fell due in the month: 1 charge, €30.00.",
        "Of those, still owed: €15.00, by 1 member.",
        "1 payment for them is waiting for your confirmation.",
        "Payments confirmed in the month: €15.00.",
        "Details: /balance.",
    ]
    assert await bot.fetchval("SELECT COUNT(*) FROM charges WHERE due_on = '2026-12-01'") == 1
    assert "Dec" not in summary.text and "December" not in summary.text


async def test_both_exports_follow_one_convention_for_the_readers_language(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/cost add Internet 30,50 once today", as_="Anna")
    await bot.tick()
    await bot.say("/in", as_="Bruno")
    for lang, separator, amount in (("en", ",", "15.25"), ("it", ";", "15,25")):
        await bot.say(f"/lang {lang}", as_="Anna")
        for line in ("/export costs", "/export attendance"):
            document = (await bot.say(line, as_="Anna", chat="private"))[0].document
            assert document is not None
            assert document.content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 then
            text = document.content.decode("utf-8-sig")
            header = text.splitlines()[0]
            assert header.startswith(
                f"kind{separator}" if "costs" in line else "member" + separator
            )
            assert "\r\n" in text
            if "costs" in line:
                assert f"{separator}{amount}{separator}" in text


async def test_a_long_question_fits_a_telegram_button_and_serves_once(bot: BotHarness) -> None:
    """A button carries its command in Telegram's 64 bytes with its signature: a long
    `cost add` line stays with the bot and the button only says where to find it."""
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/cost add Tea 2 monthly 5", as_="Anna")
    name = "Caldaia nuova del piano terra, installazione"
    asked = (await bot.say(f"/cost add {name} 3000 once tomorrow shares", as_="Anna"))[0]
    [button] = asked.buttons
    assert len(button.command.encode()) <= 44 and button.command.startswith("cost add ^")
    assert f"/cost add {name} 3000.00 once 2026-11-26 shares confirm" in asked.text
    sent = await bot.press(asked, "Yes, add it", as_="Anna")
    assert sent[0].text.startswith(f"Cost #2 {name}: €3,000.00, once, on Thu, 26 Nov 2026")
    again = await bot.press(asked, "Yes, add it", as_="Anna")
    assert again[0].text.startswith("That button has already been used: send the command again.")
    assert await bot.fetchval("SELECT COUNT(*) FROM costs") == 2
    refused = await bot.say("/cost add ^deadbeef", as_="Anna")
    assert refused[0].text.startswith("That button has already been used")
