"""The costs commands through the whole bot: replies, refusals, and what is stored."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from bot.events import ChatRef, Platform
from bot.i18n import Translator
from bot.testing import BotHarness
from handlers.costs import router
from tests.support.costs import (
    add_visits,
    at_rome,
    counts,
    days,
    member_id,
    start_space,
    to,
)


async def test_cost_add_stores_it_and_costs_lists_the_next_due_date(bot: BotHarness) -> None:
    await start_space(bot)
    sent = await bot.say("/cost add Heating 120,50 monthly 31 attendance", as_="Anna")
    assert sent[0].text.startswith("Cost #1 Heating: €120.50, monthly on day 31")
    assert "First charge on Mon, 30 Nov 2026, for 31 Oct – 29 Nov 2026." in sent[0].text
    rows = await bot.fetchall(
        "SELECT name, amount, currency, every, day, split, next_due FROM costs"
    )
    assert [tuple(r) for r in rows] == [
        ("Heating", 12050, "EUR", "monthly", 31, "attendance", "2026-11-30")
    ]
    await bot.say("/cost add Pulizie scale € 1.200,00 yearly 01-06 shares", as_="Anna")
    await bot.say("/cost add Caldaia nuova 350 once 2027-01-15", as_="Anna")
    sent = await bot.say("/costs", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "Shared costs",
        "#1 Heating: €120.50, monthly on day 31 (or the month's last day), split by attendance."
        " Next: Mon, 30 Nov 2026.",
        "#3 Caldaia nuova: €350.00, once, on Fri, 15 Jan 2027, split equally."
        " Next: Fri, 15 Jan 2027.",
        "#2 Pulizie scale: €1,200.00, yearly on 1 Jun, split by shares. Next: Tue, 1 Jun 2027.",
    ]


async def test_costs_in_italian_show_money_the_italian_way(bot: BotHarness) -> None:
    await start_space(bot)
    await bot.say("/lang it", as_="Anna")
    sent = await bot.say("/cost add Internet 1.234,56 monthly 28", as_="Anna", chat="private")
    assert sent[0].text.startswith("Spesa #1 Internet: €\u00a01.234,56, ogni mese il giorno 28")
    assert "Primo addebito il sab 28 nov 2026" in sent[0].text
    assert await bot.fetchval("SELECT amount FROM costs") == 123456
    sent = await bot.say("/costs", as_="Bruno", chat="private")  # Bruno speaks English
    assert "€1,234.56" in sent[0].text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/cost add Heating -120 monthly 31", "The amount must be more than zero."),
        ("/cost add Heating 0 monthly 31", "The amount must be more than zero."),
        ("/cost add Heating 0,00 monthly 31", "The amount must be more than zero."),
        ("/cost add Heating 1000000,01 monthly 31", "is more than 1,000,000"),
        ("/cost add Heating 1.234.567,00 monthly 31", "is more than 1,000,000"),
        ("/cost add Heating 12x monthly 31", "“12x” isn't an amount"),
        ("/cost add Heating 120 monthly 0", "“0” isn't a day of the month"),
        ("/cost add Heating 120 monthly 32", "“32” isn't a day of the month"),
        ("/cost add Heating 120 yearly 30-02", "“30-02” isn't a day of the year"),
        ("/cost add Heating 120 once 2026-11-24", "2026-11-24 is already past"),
        ("/cost add Heating 120 once 30/02/2027", "doesn't exist in the calendar"),
        ("/cost add Heating 120 monthly 31 fair", "“fair” isn't a way to split"),
        ("/cost add Heating 120 weekly 3", "Say when it falls due"),
        ("/cost add Heating 120 monthly", "Say when it falls due"),
        ("/cost add Heating monthly 3", "Write the amount after the name"),
        ("/cost add 120 monthly 3", "A cost needs a name"),
        ("/cost add Heating 120 monthly 3 equal extra", "Too many words."),
        ("/cost add", "Something's missing."),
    ],
)
async def test_cost_add_refuses_bad_input_and_changes_nothing(
    bot: BotHarness, line: str, expected: str
) -> None:
    await start_space(bot)
    sent = await bot.say(line, as_="Anna")
    assert len(sent) == 1
    assert expected in sent[0].text
    assert "Usage: /cost add <name> <amount>" in sent[0].text
    assert await counts(bot) == (0, 0, 0, 0)


async def test_cost_add_is_for_admins_and_refuses_duplicates(bot: BotHarness) -> None:
    await start_space(bot)
    sent = await bot.say("/cost add Internet 30 monthly 28", as_="Bruno")
    assert sent[0].text == "Only the space's admins can use /cost add."
    await bot.say("/cost add Internet 30 monthly 28", as_="Anna")
    sent = await bot.say("/cost add internet 35 monthly 1", as_="Anna")
    assert sent[0].text == "There's already a cost called Internet (#1)."
    assert await counts(bot) == (1, 0, 0, 0)


async def test_cost_remove_stops_future_charges_but_keeps_made_ones(bot: BotHarness) -> None:
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 28", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 28))
    await bot.tick()
    assert await bot.count("charges") == 1
    assert (await bot.say("/cost remove 2", as_="Anna"))[0].text.startswith("There's no cost #2.")
    assert (await bot.say("/cost remove 1", as_="Bruno"))[0].text.startswith("Only the space's")
    sent = await bot.say("/cost remove #1", as_="Anna")
    assert sent[0].text == (
        "Cost #1 Internet stopped: no more charges. The 1 charge already made stays."
    )
    assert (await bot.say("/cost remove 1", as_="Anna"))[0].text == (
        "Cost #1 Internet is already stopped."
    )
    assert (await bot.say("/costs", as_="Bruno"))[0].text.startswith("No shared costs yet.")
    bot.clock.set(at_rome(2027, 1, 30))
    await bot.tick()
    assert await bot.count("charges") == 1
    row = (await bot.fetchall("SELECT next_due, removed_at FROM costs"))[0]
    assert row["next_due"] is None and row["removed_at"] is not None


async def test_shares_are_set_listed_and_checked(bot: BotHarness) -> None:
    await start_space(bot)
    sent = await bot.say("/shares Bruno 2", as_="Anna")
    assert sent[0].text == "Bruno now has 2 shares in costs split by shares."
    assert (await bot.member("Bruno")).shares == 2
    assert (await bot.say("/shares @carla", as_="Anna"))[0].text == "Carla has 1 share."
    sent = await bot.say("/shares", as_="Anna")
    assert sent[0].text.splitlines()[1:] == ["Anna: 1", "Bruno: 2", "Carla: 1"]
    for line, expected in [
        ("/shares Bruno 101", "Shares must be a whole number from 0 to 100."),
        ("/shares Bruno -1", "Shares must be a whole number from 0 to 100."),
        ("/shares Bruno two", "“two” isn't a whole number."),
        ("/shares Zeno 2", "Nobody matches “Zeno”."),
    ]:
        assert expected in (await bot.say(line, as_="Anna"))[0].text
    assert (await bot.say("/shares Bruno 5", as_="Carla"))[0].text.startswith("Only the space's")
    await bot.say("/leave", as_="Carla")
    sent = await bot.say("/shares Carla 3", as_="Anna")
    assert sent[0].text == "Carla isn't an active member."
    rows = await bot.fetchall("SELECT display_name, shares FROM members ORDER BY id")
    assert [tuple(r) for r in rows] == [("Anna", 1), ("Bruno", 2), ("Carla", 1)]


async def test_charge_is_made_at_reminder_time_on_the_due_date_once(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 29,90 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25, 8, 59))
    # The reminder three days before was missed while the clock jumped: it comes now.
    assert [(s.to, s.text[:18]) for s in await bot.tick()] == [("anna", "Reminder: Internet")]
    bot.clock.set(at_rome(2026, 11, 25, 9, 0))
    sent = await bot.tick()
    assert sorted(s.to for s in sent) == ["anna", "bruno", "carla"]
    bruno = to(sent, "Bruno")[0]
    assert bruno.text == (
        "Internet, 25 Oct – 24 Nov 2026: your share is €9.97 of €29.90"
        " (split equally among 3).\n"
        "Charge #1. When you've paid, press the button or send /paid 1."
    )
    assert [(b.label, b.command) for b in bruno.buttons] == [("I've paid", "paid 1")]
    assert to(sent, "Carla")[0].text.startswith(
        "Internet, 25 Oct – 24 Nov 2026: your share is €9.96"
    )
    assert await bot.tick() == []
    await bot.restart()
    assert await bot.tick() == []
    rows = await bot.fetchall("SELECT due_on, period_start, period_end, amount FROM charges")
    assert [tuple(r) for r in rows] == [("2026-11-25", "2026-10-25", "2026-11-24", 2990)]
    shares = await bot.fetchall("SELECT member_id, amount FROM charge_shares ORDER BY member_id")
    assert [tuple(r) for r in shares] == [(1, 997), (2, 997), (3, 996)]
    assert await bot.fetchval("SELECT next_due FROM costs") == "2026-12-25"


async def test_a_charge_is_never_made_twice_for_a_due_date(bot: BotHarness) -> None:
    """Even if the cost's next due date were rewound, the UNIQUE key stops a second charge."""
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25))
    assert len(await bot.tick()) == 3
    async with bot.app.store.transaction() as session:
        await session.tx.execute("UPDATE costs SET next_due = '2026-11-25'")
    assert await bot.tick() == []
    assert await bot.count("charges") == 1
    assert await bot.count("charge_shares") == 3


async def test_nobody_a_member_in_the_period_means_todays_members_pay(bot: BotHarness) -> None:
    await start_space(bot)  # everyone joined today, 25 Nov
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    sent = await bot.tick()  # due today, and 09:00 has passed
    assert sorted(s.to for s in sent) == ["anna", "bruno", "carla"]
    assert "€10.00 of €30.00 (split equally among 3)" in sent[0].text


async def test_attendance_split_weighs_days_with_a_visit(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 10, 1, 10, 0))
    await start_space(bot, ["Bruno", "Carla", "Dario"])
    bot.clock.set(at_rome(2026, 10, 2, 10, 0))  # on the 1st itself it would be due today
    await bot.say("/cost add Heating 100 monthly 1 attendance", as_="Anna")
    await add_visits(bot, "Anna", days(date(2026, 10, 1), 6))
    await add_visits(bot, "Bruno", days(date(2026, 10, 5), 3))
    await add_visits(bot, "Dario", [date(2026, 9, 30), date(2026, 11, 1)])  # outside the period
    bot.clock.set(at_rome(2026, 10, 29))
    assert [s.text[:9] for s in await bot.tick()] == ["Reminder:"]
    bot.clock.set(at_rome(2026, 11, 1))
    sent = [s for s in await bot.tick() if s.text.startswith("Heating")]
    assert sorted(s.to for s in sent) == ["anna", "bruno"]  # Carla and Dario never came
    assert to(sent, "Anna")[0].text.startswith(
        "Heating, 1 Oct – 31 Oct 2026: your share is €66.67 of €100.00"
        " (by attendance: you came on 6 days, out of 9 days of presence in all)."
    )
    rows = await bot.fetchall("SELECT member_id, amount, weight, units FROM charge_shares")
    assert [tuple(r) for r in rows] == [(1, 6667, 6, 6), (2, 3333, 3, 3)]
    assert await bot.fetchval("SELECT split FROM charges") == "attendance"


async def test_attendance_split_when_one_member_alone_came(bot: BotHarness) -> None:
    """Not "1 day, out of 1 days of presence": the only one who came is told so."""
    bot.clock.set(at_rome(2026, 10, 2, 10, 0))
    await start_space(bot, ["Bruno"])
    await bot.say("/lang it", as_="Bruno")
    await bot.say("/cost add Heating 100 monthly 1 attendance", as_="Anna")
    await add_visits(bot, "Bruno", [date(2026, 10, 7)])
    bot.clock.set(at_rome(2026, 11, 1))
    sent = [s for s in await bot.tick() if s.text.startswith("Heating")]
    assert [s.to for s in sent] == ["bruno"]
    assert sent[0].text.startswith(
        "Heating, 1 ott – 31 ott 2026: la tua quota è €\u00a0100,00 su €\u00a0100,00"
        " (per presenze: c'eri solo tu, 1 giorno)."
    )
    rows = await bot.fetchall("SELECT member_id, amount, units FROM charge_shares")
    assert [tuple(r) for r in rows] == [(await member_id(bot, "Bruno"), 10000, 1)]


async def test_paying_with_the_button_and_confirming(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25))
    notice = to(await bot.tick(), "Bruno")[0]
    sent = await bot.press(notice, "I've paid", as_="Bruno")
    assert to(sent, "Bruno")[0].text == (
        "Noted: you paid €10.00 for Internet (charge #1). Payment #1 is waiting for an admin"
        " to confirm it."
    )
    to_anna = to(sent, "Anna")[0]
    assert to_anna.text == (
        "Bruno says they've paid €10.00 for Internet (charge #1). Confirm payment #1 with"
        " /confirm 1 once you've received it."
    )
    row = (await bot.fetchall("SELECT member_id, amount, state FROM payments"))[0]
    assert tuple(row) == (2, 1000, "declared")
    again = await bot.press(notice, "I've paid", as_="Bruno")
    assert "already cover your share; an admin confirms them with /confirm 1" in (again[0].text)
    sent = await bot.press(to_anna, "Confirm", as_="Anna")
    assert to(sent, "Anna")[0].text == (
        "Payment #1 confirmed: Bruno paid €10.00 for Internet (charge #1)."
    )
    assert to(sent, "Bruno")[0].text == (
        "Anna confirmed your payment of €10.00 for Internet (charge #1)."
        " Your share of it is fully paid. Thank you!"
    )
    assert (await bot.fetchall("SELECT state, confirmed_by FROM payments"))[0]["state"] == (
        "confirmed"
    )
    assert (await bot.say("/confirm 1", as_="Anna"))[0].text == "Payment #1 is already confirmed."
    # Bruno reads about his own share in the second person; an admin reads it by name.
    sent = await bot.say("/paid 1", as_="Bruno")
    assert sent[0].text == "Your share of charge #1 is already paid."
    sent = await bot.say("/paid 1 10 Bruno", as_="Anna")
    assert sent[0].text == "Bruno's share of charge #1 is already paid."
    assert await counts(bot) == (1, 1, 3, 1)


async def test_partial_payments_and_what_is_left(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25))
    await bot.tick()
    sent = await bot.say("/paid 1 4,50", as_="Carla", chat="private")
    assert "you paid €4.50" in sent[0].text and "Still to pay for this charge: €5.50." in (
        sent[0].text
    )
    sent = await bot.say("/paid 1 6", as_="Carla", chat="private")
    assert sent[0].text == "That's more than is left to pay for charge #1: €5.50."
    sent = await bot.say("/paid 1", as_="Carla", chat="private")
    assert "you paid €5.50" in sent[0].text and "Still to pay" not in sent[0].text
    due = await bot.say("/due", as_="Carla", chat="private")
    assert due[0].text.splitlines() == [
        "What you owe",
        "#1 Internet (25 Oct – 24 Nov 2026), due Wed, 25 Nov 2026: €10.00, of which €10.00"
        " declared and waiting for an admin",
        "Nothing left to pay: an admin still has to confirm what you declared.",
    ]
    await bot.say("/confirm 1", as_="Anna")
    await bot.say("/confirm 2", as_="Anna")
    assert (await bot.say("/due", as_="Carla", chat="private"))[0].text == (
        "You don't owe anything at the moment."
    )
    rows = await bot.fetchall("SELECT amount, state FROM payments ORDER BY id")
    assert [tuple(r) for r in rows] == [(450, "confirmed"), (550, "confirmed")]


async def test_paid_refusals_change_nothing(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25))
    await bot.tick()
    await bot.say("/join", as_="Dario")  # joined after the charge: no share in it
    before = await counts(bot)
    cases = [
        ("Dario", "/paid 1", "You have no share in charge #1. /due lists yours."),
        ("Bruno", "/paid 9", "There's no charge #9. /due lists yours."),
        ("Bruno", "/paid 1 -5", "The amount must be more than zero."),
        ("Bruno", "/paid 1 0", "The amount must be more than zero."),
        ("Bruno", "/paid 1 11", "That's more than is left to pay for charge #1: €10.00."),
        ("Bruno", "/paid 1 5 Carla", "Only admins can record a payment for someone else."),
        ("Bruno", "/paid x", "“x” isn't a whole number."),
        ("Bruno", "/paid", "Which charge did you pay? /due lists yours with their numbers"),
        ("Anna", "/paid 1 5 Zeno", "Nobody matches “Zeno”."),
        ("Anna", "/paid 1 Dario", "Dario has no share in charge #1."),
    ]
    for who, line, expected in cases:
        sent = await bot.say(line, as_=who)
        assert len(sent) == 1 and expected in sent[0].text, (line, sent)
    assert await counts(bot) == before


async def test_admin_records_cash_received_for_a_member(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25))
    await bot.tick()
    sent = await bot.say("/paid 1 Carla", as_="Anna", chat="private")
    assert to(sent, "Anna")[0].text == (
        "Recorded and confirmed: Carla paid €10.00 for Internet (charge #1, payment #1)."
    )
    assert to(sent, "Carla")[0].text == (
        "Anna recorded your payment of €10.00 for Internet (charge #1). Thank you!"
    )
    row = (await bot.fetchall("SELECT member_id, state, recorded_by, confirmed_by FROM payments"))[
        0
    ]
    assert tuple(row) == (3, "confirmed", 1, 1)


async def test_confirm_is_for_admins_and_checks_the_payment(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25))
    await bot.tick()
    await bot.say("/paid 1", as_="Bruno")
    sent = await bot.say("/confirm 1", as_="Carla")
    assert sent[0].text == "Only the space's admins can use /confirm."
    assert (await bot.say("/confirm 7", as_="Anna"))[0].text == "There's no payment #7."
    assert await bot.fetchval("SELECT state FROM payments") == "declared"


async def test_private_commands_refuse_groups(bot: BotHarness) -> None:
    await start_space(bot)
    for who, line in [("Anna", "/balance"), ("Bruno", "/due"), ("Anna", "/export costs")]:
        sent = await bot.say(line, as_=who)
        assert sent[0].text.endswith("is private: send it to me in a private chat.")
        assert not sent[0].private
    sent = await bot.say("/balance", as_="Bruno", chat="private")
    assert sent[0].text == "Only the space's admins can use /balance."


async def test_balance_shows_who_paid_and_who_owes(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    assert (await bot.say("/balance", as_="Anna", chat="private"))[0].text == (
        "Every charge is settled."
    )
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25))
    await bot.tick()
    await bot.say("/paid 1", as_="Anna")
    await bot.say("/confirm 1", as_="Anna")
    await bot.say("/paid 1 4", as_="Bruno")
    await bot.say("/paid 1 2 Carla", as_="Anna")
    sent = await bot.say("/balance", as_="Anna", chat="private")
    assert sent[0].text.splitlines() == [
        "Open charges",
        "",
        "#1 Internet (25 Oct – 24 Nov 2026): €30.00, due Wed, 25 Nov 2026",
        "✓ Anna: €10.00 paid",
        "• Bruno owes €10.00 (€4.00 declared, to confirm: /confirm 2)",
        "• Carla owes €8.00 of €10.00",
        "",
        "Who owes what",
        "Bruno: €10.00",
        "Carla: €8.00",
        "",
        "To record money you've received: /paid <charge> <amount> <member>.",
    ]


async def test_export_costs_is_a_csv_of_charges_shares_and_payments(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    assert (await bot.say("/export costs", as_="Anna", chat="private"))[0].text == (
        "There are no charges to export yet."
    )
    await bot.say("/cost add =Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 25))
    await bot.tick()
    await bot.say("/paid 1", as_="Bruno")
    sent = await bot.say("/export costs 2026-11", as_="Anna", chat="private")
    assert sent[0].text == "1 charge, due in November 2026, with its shares and payments."
    document = sent[0].document
    assert document is not None and document.filename == "costs-2026-11.csv"
    assert document.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert [(r["kind"], r["member"], r["amount"], r["owed"], r["state"]) for r in rows] == [
        ("charge", "", "30.00", "", ""),
        ("share", "Anna", "10.00", "10.00", ""),
        ("share", "Bruno", "10.00", "10.00", ""),
        ("share", "Carla", "10.00", "10.00", ""),
        ("payment", "Bruno", "10.00", "", "declared"),
    ]
    assert {r["name"] for r in rows} == {"'=Internet"}  # never a spreadsheet formula
    assert rows[4]["declared_at"] == "2026-11-25T09:30+01:00"
    sent = await bot.say("/export costs 2026-12", as_="Anna", chat="private")
    assert sent[0].text == "No charges fell due in December 2026." and sent[0].document is None
    sent = await bot.say("/export costs 2026-13", as_="Anna", chat="private")
    assert "“2026-13” isn't a month" in sent[0].text


async def test_reminders_before_and_after_and_the_monthly_summary(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    bot.clock.set(at_rome(2026, 11, 22, 8, 0))
    assert await bot.tick() == []
    bot.clock.set(at_rome(2026, 11, 22, 9, 0))
    sent = await bot.tick()
    assert [(s.to, s.text) for s in sent] == [
        (
            "anna",
            "Reminder: Internet (€30.00, split equally) falls due on Wed, 25 Nov 2026."
            " I'll charge it to the members that day at 09:00.",
        )
    ]
    assert await bot.tick() == []
    bot.clock.set(at_rome(2026, 11, 25))
    await bot.tick()
    await bot.say("/paid 1", as_="Bruno")  # declared: no more reminders for Bruno
    bot.clock.set(at_rome(2026, 12, 1))
    sent = await bot.tick()
    assert [s.to for s in sent] == ["anna"]
    assert sent[0].text.splitlines() == [
        "Shared costs: November 2026",
        "Fell due in the month: 1 charge, €30.00.",
        "Of those, still owed: €30.00, by 3 members.",
        "1 payment for them is waiting for your confirmation.",
        "Payments confirmed in the month: €0.00.",
        "Details: /balance.",
    ]
    bot.clock.set(at_rome(2026, 12, 2, 8, 59))
    assert await bot.tick() == []
    bot.clock.set(at_rome(2026, 12, 2, 9, 0))
    sent = await bot.tick()
    assert sorted(s.to for s in sent) == ["anna", "carla"]
    assert to(sent, "Carla")[0].text == (
        "Still to pay\n#1 Internet, due Wed, 25 Nov 2026: €10.00\n"
        "When you've paid, press the button or send /paid 1."
    )
    assert [b.command for b in to(sent, "Carla")[0].buttons] == ["paid 1"]
    assert await bot.tick() == []
    bot.clock.set(at_rome(2026, 12, 8))
    assert await bot.tick() == []  # the next one is due+14
    bot.clock.set(at_rome(2026, 12, 9))
    assert sorted(s.to for s in await bot.tick()) == ["anna", "carla"]
    stored = await bot.fetchall("SELECT member_id, nagged_on FROM charge_shares ORDER BY member_id")
    assert [tuple(r) for r in stored] == [(1, "2026-12-09"), (2, None), (3, "2026-12-09")]


async def test_a_cost_added_inside_its_reminder_window_gets_no_reminder(bot: BotHarness) -> None:
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 27", as_="Anna")  # due in 2 days
    bot.clock.set(at_rome(2026, 11, 26))
    assert await bot.tick() == []
    assert await bot.count("cost_reminders") == 0


# -- the catalog --------------------------------------------------------------------------


def test_every_command_is_described_in_help() -> None:
    translator = Translator()
    for command in router.commands:
        assert translator.has(f"cmd.{command.key}")
        if command.params:
            assert translator.has(f"usage.{command.key}")


async def test_help_lists_the_costs_commands(bot: BotHarness) -> None:
    await start_space(bot)
    text = (await bot.say("/help", as_="Anna", chat="private"))[0].text
    assert "Shared costs" in text
    assert "/cost add <name> <amount> monthly <day>" in text
    assert "/export costs [YYYY-MM] — charges, shares and payments as a CSV file (private)" in text
    member_text = (await bot.say("/help", as_="Bruno", chat="private"))[0].text
    assert "/paid <charge> [amount]" in member_text and "/balance" not in member_text
    assert await member_id(bot, "Bruno") == 2


async def test_spaces_never_see_each_others_costs(bot: BotHarness) -> None:
    bot.clock.set(at_rome(2026, 11, 1, 10, 0))
    await start_space(bot)
    await bot.say("/cost add Internet 30 monthly 25", as_="Anna")
    other = ChatRef(Platform.MEMORY, "group2", private=False, title="Other")
    bot.transport.chat_admins.add(("group2", "zeno"))
    await bot.say("/setup Altrove", as_="Zeno", chat=other)
    assert (await bot.say("/costs", as_="Zeno", chat=other))[0].text.startswith("No shared")
    assert (await bot.say("/cost remove 1", as_="Zeno", chat=other))[0].text.startswith(
        "There's no cost #1."
    )
    bot.clock.set(at_rome(2026, 11, 25))
    sent = await bot.tick()
    assert "zeno" not in {s.to for s in sent}
    await bot.say("/paid 1", as_="Bruno")
    assert (await bot.say("/paid 1", as_="Zeno", chat=other))[0].text.startswith(
        "There's no charge #1."
    )
    assert (await bot.say("/confirm 1", as_="Zeno", chat=other))[0].text == (
        "There's no payment #1."
    )
    assert await bot.fetchval("SELECT state FROM payments") == "declared"
    assert await bot.fetchval("SELECT COUNT(*) FROM costs WHERE removed_at IS NULL") == 1
