"""The fund's commands one by one: what they answer and store, and bad input of every kind
answered in the caller's language with nothing changed."""

from __future__ import annotations

import pytest

from bot.events import Attachment
from bot.testing import BotHarness
from tests.support.costs import lift_flood_guard

NOBODY = "Nobody matches “Nobody”. /members lists everyone."
PDF = b"%PDF-1.5\n1 0 obj <<>> endobj\n%%EOF\n"


async def state(bot: BotHarness) -> tuple[object, ...]:
    """Every fund and payment row: what a refused command must leave as it was."""
    entries = await bot.fetchall("SELECT * FROM fund_entries ORDER BY id")
    splits = await bot.fetchall("SELECT * FROM fund_splits ORDER BY entry_id, member_id")
    receipts = await bot.fetchval("SELECT COUNT(*) FROM receipts")
    settings = await bot.fetchall("SELECT * FROM fund_settings")
    payments = await bot.fetchall("SELECT id, amount, state FROM payments ORDER BY id")
    costs = await bot.fetchall("SELECT id, amount, ends_on, next_amount FROM costs")
    return tuple(
        tuple(tuple(r) for r in rows) if isinstance(rows, list) else rows
        for rows in (entries, splits, receipts, settings, payments, costs)
    )


async def community(bot: BotHarness) -> None:
    lift_flood_guard(bot)
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/lang it", as_="Carla")
    await bot.say("/cost add Heating 90 once today", as_="Anna")
    await bot.tick()  # charged now: €30 each


async def say(bot: BotHarness, line: str, who: str = "Anna", chat: str = "private") -> str:
    sent = await bot.say(line, as_=who, chat=chat)
    return sent[0].text


@pytest.mark.parametrize(
    ("who", "line", "expected"),
    [
        ("Anna", "/bill Heating 0", "The amount must be more than zero."),
        ("Anna", "/bill Heating -20", "The amount must be more than zero."),
        ("Anna", "/bill Heating 12,3,4", "“12,3,4” isn't an amount"),
        ("Anna", "/bill Heating", "Write the cost and the amount, e.g. /bill Heating 120,50."),
        ("Anna", "/bill Gas 20", "There's no cost “Gas”: a bill pays one of the costs that /costs"),
        ("Anna", "/bill Heating 20 2099-01-01", "Thu, 1 Jan 2099 hasn't come yet"),
        ("Bruno", "/bill Heating 20", "Only the treasurer (Anna) or an admin can do that."),
        ("Anna", "/spent 0 pens", "The amount must be more than zero."),
        ("Anna", "/spent -4 pens", "The amount must be more than zero."),
        ("Anna", "/spent 4", "Say what it was after the amount"),
        ("Anna", "/spent pens 4", "“pens” isn't an amount"),
        ("Anna", "/spent 4 pens for Bruno, Nobody", NOBODY),
        ("Anna", "/spent 4 pens for Anna", "An expense split only with yourself concerns nobody"),
        ("Anna", "/spent 4 pens for Bruno,,Carla", "After for, write all or members"),
        ("Anna", "/reimburse Bruno", "The fund doesn't owe Bruno anything."),
        ("Anna", "/reimburse Nobody 5", NOBODY),
        ("Bruno", "/reimburse Anna 5", "Only the treasurer (Anna) or an admin can do that."),
        ("Anna", "/set iban IT60X0542811101000000123457", "That IBAN fails its check digits"),
        ("Anna", "/set iban IT60X054281110100000012345", "an IBAN from IT has 27"),
        ("Anna", "/set iban hello", "“hello” isn't an IBAN"),
        ("Bruno", "/set iban IT60X0542811101000000123456", "Only the space's admins"),
        ("Anna", "/set payee <>", "The payee needs a name with letters"),
        ("Anna", "/set qr on", "A payment QR code needs an IBAN (/set iban) and a payee"),
        ("Anna", "/set qr maybe", "Write on or off."),
        ("Anna", "/treasurer Nobody", NOBODY),
        ("Bruno", "/treasurer Carla", "Only admins can hand the fund to someone."),
        ("Anna", "/settled 2 fund 1000", "The plan has €30.00 for that transfer and no more"),
        ("Anna", "/settled 2 Kasse 1000", "The plan has €30.00 for that transfer and no more"),
        ("Anna", "/settled cassa 2 1", "That transfer isn't in the plan any more"),
        ("Anna", "/settled 2 3 5", "That transfer isn't in the plan any more"),
        ("Anna", "/settled fund", "Something's missing."),
        ("Carla", "/settled 2 fund 30", "Solo Anna, chi tiene la cassa o chi amministra lo spazio"),
        ("Anna", "/receipt 7", "There's no receipt #7."),
        ("Anna", "/cost end 1 2026-01-01", "Cost #1 Heating is already stopped."),
        ("Anna", "/cost amount 1 80", "Cost #1 Heating is already stopped."),
        ("Anna", "/cost amount 9 80", "There's no cost #9."),
        ("Carla", "/spent 0 penne", "L'importo deve essere maggiore di zero."),
        ("Carla", "/bill Heating 5", "Solo chi tiene la cassa (Anna) o chi amministra lo spazio"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    bot: BotHarness, who: str, line: str, expected: str
) -> None:
    await community(bot)
    before = await state(bot)
    reply = await say(bot, line, who)
    assert expected in reply, reply
    assert await state(bot) == before


async def test_private_commands_stay_private(bot: BotHarness) -> None:
    await community(bot)
    for command in ("fund", "settle", "receipt 1", "export fund"):
        reply = await say(bot, f"/{command}", "Bruno", chat="group")
        assert reply == f"/{command.split()[0]} is private: send it to me in a private chat." or (
            reply.startswith(f"/{command} is private")
        )


async def test_strangers_and_pending_people_cannot_touch_money(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/set join approval", as_="Anna")
    await bot.say("/join", as_="Piero")
    before = await state(bot)
    assert "Your request to join is waiting" in await say(bot, "/spent 5 pens", "Piero")
    assert "You're not a member of any space" in await say(bot, "/fund", "Nora")
    assert await state(bot) == before


async def test_a_receipt_that_is_not_a_photo_or_a_pdf_changes_nothing(bot: BotHarness) -> None:
    await community(bot)
    before = await state(bot)
    for attachment, expected in (
        (Attachment("notes.txt", "text/plain", 5, b"hello"), "isn't a photo or a PDF (text/plain)"),
        (Attachment("fake.pdf", "application/pdf", 9, b"<script>"), "isn't a photo or a PDF"),
        (Attachment("big.pdf", "application/pdf", 11 * 2**20, None), "over 10 MB"),
        (Attachment("big.pdf", "application/pdf", 0, b"%PDF-" + bytes(10 * 2**20)), "over 10 MB"),
    ):
        sent = await bot.say("/bill Heating 90", as_="Anna", chat="private", attachment=attachment)
        assert expected in sent[0].text and "nothing was recorded" in sent[0].text
    sent = await bot.say(
        "/spent 4 penne", as_="Carla", chat="private", attachment=Attachment("x", "", 3, b"abc")
    )
    assert "non è una foto né un PDF" in sent[0].text
    assert await state(bot) == before


async def test_a_bill_larger_than_the_fund_is_recorded_with_a_warning(bot: BotHarness) -> None:
    await community(bot)
    reply = await say(bot, "/bill Heating 90 <b>boiler</b> & co", "Anna")
    assert reply.startswith("Bill #1: €90.00 paid from the fund for Heating on")
    assert "Fund balance: -€90.00." in reply
    assert "⚠️ The fund is below zero" in reply
    rows = await bot.fetchall("SELECT kind, amount, note, cost_id FROM fund_entries")
    assert [tuple(r) for r in rows] == [("bill", 9000, "<b>boiler</b> & co", 1)]
    fund = (await bot.say("/fund", as_="Anna", chat="private"))[0]
    assert "bill for Heating (&lt;b&gt;boiler&lt;/b&gt; &amp; co)" in fund.html


async def test_the_treasurer_is_named_told_and_falls_back_to_the_first_admin(
    bot: BotHarness,
) -> None:
    await community(bot)
    assert (await say(bot, "/treasurer", "Bruno")).startswith(
        "Anna holds the common fund (€0.00) as the space's first admin."
    )
    sent = await bot.say("/treasurer Bruno", as_="Anna", chat="private")
    assert sent[0].text == "Bruno now holds the common fund. Money to hand over: €0.00."
    notice = [s for s in sent if s.to == "bruno"]
    assert notice and notice[0].text.startswith("Anna handed you the common fund of Veglio")
    assert await say(bot, "/treasurer", "Carla") == (
        "La cassa comune (€\u00a00,00) è nelle mani di Bruno."
    )
    # Bruno holds the fund without being an admin: he records bills, Carla cannot.
    assert (await say(bot, "/bill Heating 90", "Bruno")).startswith("Bill #1: €90.00")
    await bot.say("/leave", as_="Bruno")
    assert (await say(bot, "/treasurer", "Carla")).startswith(
        "La cassa comune (-€\u00a090,00) è nelle mani di Anna, che apre l'elenco di chi"
        " amministra lo spazio."
    )


async def test_a_member_fronts_an_expense_and_the_fund_pays_it_back(bot: BotHarness) -> None:
    await community(bot)
    sent = await bot.say("/spent 12,50 printer paper", as_="Carla", chat="private")
    assert sent[0].text == (
        "Preso nota #1: hai pagato €\u00a012,50 per il gruppo (printer paper). La cassa te lo"
        " deve; Anna te lo restituisce."
    )
    to_anna = next(s for s in sent if s.to == "anna")
    assert to_anna.text.startswith("Carla paid €12.50 for the group (printer paper)")
    carla = await bot.fetchval("SELECT id FROM members WHERE display_name = 'Carla'")
    assert [(b.label, b.command) for b in to_anna.buttons] == [
        ("Paid back", f"reimburse #{carla} 12.50")
    ]
    too_much = await say(bot, f"/reimburse #{carla} 13")
    assert too_much == "The fund owes Carla €12.50 and no more, so nothing was recorded."
    # Carla still owes her €30 heating share: what the fund owes her pays it first.
    paid = await bot.press(to_anna, "Paid back", as_="Anna")
    assert paid[0].text.startswith("Recorded: the fund paid Carla €12.50.")
    rows = await bot.fetchall("SELECT kind, amount FROM fund_entries ORDER BY id")
    assert [tuple(r) for r in rows] == [("spent", 1250), ("reimburse", 1250)]
    told = [s for s in paid if s.to == "carla"]
    assert told[0].text == "Anna ha registrato che la cassa ti ha pagato €\u00a012,50."


async def test_what_the_fund_owes_pays_the_open_shares_first(bot: BotHarness) -> None:
    """Carla fronted €50 and owes a €30 share: the fund owes her €20 net; paying her the
    €20 settles her share too."""
    await community(bot)
    await bot.say("/spent 50 chairs", as_="Carla", chat="private")
    carla = await bot.fetchval("SELECT id FROM members WHERE display_name = 'Carla'")
    reply = await say(bot, f"/reimburse #{carla} 20")
    assert reply == (
        "Recorded: the fund paid Carla €20.00. Fund balance: -€20.00."
        " Also, €30.00 of what the fund owed Carla went to pay Carla's open shares."
    )
    due = await say(bot, "/due", "Carla")
    assert due == "Al momento non devi nulla."
    rows = await bot.fetchall("SELECT kind, amount FROM fund_entries ORDER BY id")
    assert [tuple(r) for r in rows] == [("spent", 5000), ("reimburse", 5000)]
    payments = await bot.fetchall(
        "SELECT amount, state FROM payments WHERE member_id = ?", (carla,)
    )
    assert [tuple(r) for r in payments] == [(3000, "confirmed")]


async def test_a_member_the_fund_owes_exactly_their_shares_is_settled_by_settle(
    bot: BotHarness,
) -> None:
    """Bruno fronted €30 and owes his €30 share: he is square, so no transfer of the plan
    will ever pay that share. The settle-up records it, with no money changing hands."""
    await community(bot)
    await bot.say("/spent 30 pellets", as_="Bruno", chat="private")
    bruno = await bot.fetchval("SELECT id FROM members WHERE display_name = 'Bruno'")
    # What Bruno sees changes nothing: only who runs the settle-up records it.
    assert "You're square" in await say(bot, "/settle", "Bruno")
    assert await bot.fetchval("SELECT COUNT(*) FROM payments") == 0
    plan = await say(bot, "/settle", "Anna")
    assert (
        "No money needs to change hands for Bruno: what the fund owed them now pays their"
        " open shares." in plan
    )
    assert await say(bot, "/due", "Bruno") == "You don't owe anything at the moment."
    payments = await bot.fetchall("SELECT member_id, amount, state FROM payments")
    assert [tuple(r) for r in payments] == [(bruno, 3000, "confirmed")]
    rows = await bot.fetchall("SELECT kind, amount FROM fund_entries ORDER BY id")
    assert [tuple(r) for r in rows] == [("spent", 3000), ("reimburse", 3000)]
    fund = await say(bot, "/fund", "Anna")
    assert "Balance: €0.00" in fund and "Bruno" not in fund.split("Latest movements")[0]
    assert "No money needs" not in await say(bot, "/settle", "Anna")


async def test_german_words_and_answers(bot: BotHarness) -> None:
    """`for alle` is `for all` in German; the answers are in the member's language."""
    await community(bot)
    await bot.say("/lang de", as_="Bruno")
    sent = await bot.say("/spent 12 Kuchen for alle", as_="Bruno", chat="private")
    assert sent[0].text == (
        "Notiert #1: Du hast 12,00\u00a0€ für Kuchen bezahlt, aufgeteilt auf 3: Anna 4,00\u00a0€,"
        " Bruno 4,00\u00a0€, Carla 4,00\u00a0€. /settle zeigt, wer wem was zahlt."
    )
    assert [s.text for s in sent if s.to == "carla"] == [
        "Bruno ha pagato €\u00a012,00 per Kuchen; la tua parte è €\u00a04,00. /settle mostra come"
        " pareggiare."
    ]
    splits = await bot.fetchall("SELECT amount FROM fund_splits ORDER BY member_id")
    assert [r[0] for r in splits] == [400, 400, 400]
    refused = await say(bot, "/spent 0 Kuchen", "Bruno")
    assert refused.startswith("Der Betrag muss größer als null sein.\nVerwendung: /spent <Betrag>")


async def test_italian_words_for_whom(bot: BotHarness) -> None:
    """`per tutti` splits among everyone; `per` before no member is part of what was
    bought (`pellet per la stufa`), as `for` is in English."""
    await community(bot)
    await say(bot, "/spent 30 pellet per la stufa", "Carla")
    await say(bot, "/spent 12 torta per tutti", "Carla")
    await say(bot, "/spent 10 caffè per Anna, Bruno", "Carla")
    entries = await bot.fetchall(
        "SELECT id, note FROM fund_entries WHERE kind = 'spent' ORDER BY id"
    )
    assert [r["note"] for r in entries] == ["pellet per la stufa", "torta", "caffè"]
    splits = await bot.fetchall(
        "SELECT entry_id, amount FROM fund_splits ORDER BY entry_id, member_id"
    )
    first, cake, coffee = (r["id"] for r in entries)
    assert [tuple(r) for r in splits] == [(cake, 400)] * 3 + [(coffee, 500)] * 2
    assert not any(r["entry_id"] == first for r in splits)  # the fund owes it to Carla
    before = await state(bot)
    refused = await say(bot, "/spent 4 penne per Bruno,,Anna", "Carla")
    assert refused.startswith(
        "Dopo per scrivi tutti oppure i nomi separati da virgole (per Bruno, Carla)."
    )
    refused = await say(bot, "/spent 4 per tutti", "Carla")
    assert refused.startswith(
        "Scrivi cos'era dopo l'importo, per esempio /spent 18,40 pellet per tutti."
    )
    assert await state(bot) == before


async def test_without_a_fund_members_settle_directly(bot: BotHarness) -> None:
    """No cost, no treasurer named, no money through a fund: Splitwise among members."""
    lift_flood_guard(bot)
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario"])
    await bot.say("/spent 90 dinner for all", as_="Bruno", chat="private")
    await bot.say("/spent 40 taxi for Carla, Dario", as_="Anna", chat="private")
    sent = await bot.say("/settle", as_="Carla", chat="private")
    # Positions: Anna 40 − 22,50 = +17,50; Bruno 90 − 22,50 = +67,50;
    # Carla −22,50 − 20 = −42,50; Dario −42,50.
    assert sent[0].text.splitlines() == [
        "Settling up: 3 transfers bring everyone to zero.",
        "1. Carla → Anna: €17.50",
        "2. Carla → Bruno: €25.00",
        "… and 1 transfer between others.",
        "Once the money has changed hands, press its Paid button (or send /settled 3 1 17.50).",
    ]
    assert [b.label for b in sent[0].buttons] == ["Paid 1", "Paid 2"]
    # Carla pays Bruno and presses Paid: Bruno, who received it, is asked.
    asked = await bot.press(sent[0], "Paid 2", as_="Carla")
    assert asked[0].text == "Thanks! Bruno will record it once the money arrives."
    to_bruno = next(s for s in asked if s.to == "bruno")
    assert to_bruno.text.startswith("Carla says they've paid Bruno €25.00 to settle up.")
    assert await bot.fetchval("SELECT COUNT(*) FROM fund_entries WHERE kind = 'transfer'") == 0
    done = await bot.press(to_bruno, "Received", as_="Bruno")
    assert done[0].text == "Recorded: Carla paid Bruno €25.00."
    assert [s.text for s in done if s.to == "carla"] == [
        "Bruno recorded that Carla paid Bruno €25.00."
    ]
    again = await bot.press(to_bruno, "Received", as_="Bruno")
    assert again[0].text.startswith("That transfer isn't in the plan any more")
    left = await bot.say("/settle", as_="Anna", chat="private")
    assert left[0].text.splitlines()[:3] == [
        "Settling up: 2 transfers bring everyone to zero.",
        "1. Carla → Anna: €17.50",
        "2. Dario → Bruno: €42.50",
    ]


async def test_payment_details_appear_once_iban_and_payee_are_set(bot: BotHarness) -> None:
    lift_flood_guard(bot)
    await bot.setup_space("Anna", members=["Bruno"])
    reply = await say(bot, "/set iban it60 x054 2811 1010 0000 0123 456")
    assert reply == (
        "Shares are now paid to IT60 X054 2811 1010 0000 0123 456. Say whose account it is"
        " with /set payee."
    )
    await say(bot, "/set payee Spazio Veglio APS")
    assert await say(bot, "/set qr on") == (
        "Every share message now comes with a payment QR code for banking apps."
    )
    await bot.say("/cost add Internet 30 once today", as_="Anna")
    sent = await bot.tick()
    bruno = next(s for s in sent if s.to == "bruno")
    assert "Pay to IT60 X054 2811 1010 0000 0123 456, Spazio Veglio APS, reference" in bruno.text
    assert bruno.document is not None and bruno.document.content.startswith(b"\x89PNG")
    await say(bot, "/set qr off")
    await say(bot, "/set iban off")
    await bot.say("/cost add Gas 30 once today", as_="Anna")
    plain = next(s for s in await bot.tick() if s.to == "bruno")
    assert "Pay to" not in plain.text and plain.document is None


async def test_italian_words_for_a_new_amount_and_for_off(bot: BotHarness) -> None:
    """`/cost amount 1 120 dal 01/01/2027` and `/set payee spento`, as an Italian admin
    writes them; the wrong word is answered with the right one in Italian."""
    lift_flood_guard(bot)
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/lang it", as_="Anna")
    await bot.say("/cost add Riscaldamento 100 mensile 25", as_="Anna")
    before = await bot.fetchall("SELECT next_amount, next_amount_from FROM costs")
    refused = await say(bot, "/cost amount 1 120 from-the 01/01/2027")
    assert refused.startswith(
        "Scrivi dal prima della data, per esempio /cost amount 3 130 dal 2027-01-01."
    )
    assert [
        tuple(r) for r in await bot.fetchall("SELECT next_amount, next_amount_from FROM costs")
    ] == [tuple(r) for r in before]
    assert (await say(bot, "/cost amount 1 120 dal 01/01/2027")).startswith(
        "Spesa #1 Riscaldamento: €\u00a0120,00 dall'addebito"
    )
    rows = await bot.fetchall("SELECT next_amount, next_amount_from FROM costs")
    assert [tuple(r) for r in rows] == [(12000, "2027-01-25")]  # the first due date from then
    await say(bot, "/set payee Spazio Veglio APS")
    assert await bot.fetchval("SELECT payee FROM fund_settings") == "Spazio Veglio APS"
    await say(bot, "/set payee spento")
    assert await bot.fetchval("SELECT payee FROM fund_settings") is None
    # The same words switch every setting off (one list: bot/arguments.off_words).
    await say(bot, "/set closing_time spento")
    await say(bot, "/set capacity nessuno")
    row = await bot.fetchall("SELECT closing_time, capacity FROM spaces")
    assert [tuple(r) for r in row] == [(None, None)]


async def test_the_qr_code_is_for_euros_only(bot: BotHarness) -> None:
    lift_flood_guard(bot)
    await bot.setup_space("Anna")
    await say(bot, "/set currency CHF")
    await say(bot, "/set iban CH9300762011623852957")
    await say(bot, "/set payee Verein")
    assert await say(bot, "/set qr on") == (
        "The EPC payment QR code exists for euros only; this space uses CHF."
    )


async def test_costs_change_from_a_date_and_end_without_touching_charges_made(
    bot: BotHarness,
) -> None:
    lift_flood_guard(bot)
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/cost add Heating 100 monthly 25", as_="Anna")  # today: 25 Nov 2026
    await bot.tick()
    assert await say(bot, "/cost amount 1 120 from 2027-01-01") == (
        "Cost #1 Heating: €120.00 from the charge due on Mon, 25 Jan 2027 (until then"
        " €100.00). Charges already made stay as they are."
    )
    costs = await say(bot, "/costs", "Bruno")
    assert "From the charge due on Mon, 25 Jan 2027: €120.00." in costs
    assert await say(bot, "/cost end 1 2026-11-01") == (
        "Sun, 1 Nov 2026 is already past: to stop a cost now, use /cost remove 1."
    )
    assert await say(bot, "/cost end 1 2027-02-10") == (
        "Cost #1 Heating ends on Wed, 10 Feb 2027: its last charge falls due on Mon, 25 Jan 2027."
    )
    assert "Ends on Wed, 10 Feb 2027." in await say(bot, "/costs", "Bruno")
    for month in (12, 1, 2, 3):
        year = 2026 if month == 12 else 2027
        bot.clock.set(bot.clock.now().replace(year=year, month=month, day=26))
        await bot.tick()
    rows = await bot.fetchall("SELECT due_on, amount FROM charges ORDER BY due_on")
    assert [tuple(r) for r in rows] == [
        ("2026-11-25", 10000),
        ("2026-12-25", 10000),
        ("2027-01-25", 12000),
    ]
    assert await bot.fetchval("SELECT amount FROM costs") == 12000
    assert "No shared costs yet" in await say(bot, "/costs", "Bruno")


async def test_a_bill_or_an_expense_recorded_by_mistake_is_taken_back(bot: BotHarness) -> None:
    """`bill remove` (treasurer or admin) and `spent remove` (who fronted it, or they)
    take an entry back whole, its split and receipt with it; anyone else, a number of
    another kind or of nothing is refused and changes nothing."""
    await community(bot)
    await say(bot, "/spent 30 pellet per tutti", "Carla")  # #1, split among three
    await say(bot, "/spent 12 pens", "Bruno")  # #2, the fund owes it to Bruno
    pdf = Attachment("heating.pdf", "application/pdf", len(PDF), PDF)
    await bot.say("/bill Heating 90", as_="Anna", chat="private", attachment=pdf)  # #3
    kinds = await bot.fetchall("SELECT id, kind FROM fund_entries ORDER BY id")
    assert [tuple(r) for r in kinds] == [(1, "spent"), (2, "spent"), (3, "bill")]

    before = await state(bot)
    only = "Only the treasurer (Anna) or an admin can do that."
    assert (await say(bot, "/spent remove 1", "Bruno")).startswith(only)
    assert (await say(bot, "/bill remove 3", "Bruno")).startswith(only)
    assert (await say(bot, "/spent remove 3", "Bruno")).startswith(
        "There's no expense #3: its number is in the message that noted it and in /export fund."
    )
    assert (await say(bot, "/bill remove #9")).startswith("There's no bill #9")
    assert (await say(bot, "/bill remove nine")).startswith("“nine” isn't a whole number.")
    assert await state(bot) == before

    assert await say(bot, "/spent remove 2", "Bruno") == (
        "Removed expense #2: €12.00 for pens. Nobody owes anything for it now."
    )
    sent = await bot.say("/spent remove #1", as_="Anna", chat="private")
    assert sent[0].text == "Removed expense #1: €30.00 for pellet. Nobody owes anything for it now."
    assert [s.text for s in sent if s.to == "carla"] == [
        "Anna ha annullato la tua spesa #1 (€\u00a030,00 per pellet) perché registrata per"
        " errore. Se era giusta, registrala di nuovo con /spent."
    ]
    assert await bot.fetchval("SELECT COUNT(*) FROM fund_splits") == 0
    assert await say(bot, "/bill remove 3") == (
        "Removed bill #3: €90.00 of Wed, 25 Nov 2026, with its receipt if it had one."
        " Fund balance: €0.00."
    )
    assert await bot.fetchval("SELECT COUNT(*) FROM fund_entries") == 0
    assert await bot.fetchval("SELECT COUNT(*) FROM receipts") == 0
    # What is left is what there was before the three: each one's €30 of heating.
    plan = (await say(bot, "/settle", "Carla")).splitlines()
    assert plan[1] == "3. Carla → la cassa (Anna): €\u00a030,00"
