"""A whole year of a space with three costs, driven through the chat with a moving clock.

Heating (monthly on the 31st, by attendance), internet (monthly on the 28th, equal) and
cleaning (yearly on 1 June, by shares), from 25 Nov 2026 to 25 Nov 2027: the 31st in
short months, both daylight-saving days (28 Mar and 31 Oct 2027 are due dates), Dario
joining mid-period, Carla leaving with debts, the bot down for three days in May and
restarted, members paying in full, in part or not at all, and admins confirming.
The clock ticks every day at 08:30 and 09:30 (reminder time is 09:00), so each thing
must happen in the 09:30 tick of its day and never in the 08:30 one.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.testing import BotHarness, Sent
from storage.db import from_db
from tests.support.costs import ROME, add_visits, at_rome, lift_flood_guard, start_space, to

START = date(2026, 11, 26)
END = date(2027, 11, 25)
DARIO_JOINS = date(2027, 2, 10)
CARLA_LEAVES = date(2027, 7, 15)
DOWN_FROM = at_rome(2027, 5, 26, 20, 0)
BACK_AT = at_rome(2027, 5, 29, 10, 0)
CASH_FOR_CARLA = date(2027, 8, 20)

HEATING_DUES = [
    date(2026, 11, 30),
    date(2026, 12, 31),
    date(2027, 1, 31),
    date(2027, 2, 28),
    date(2027, 3, 31),
    date(2027, 4, 30),
    date(2027, 5, 31),
    date(2027, 6, 30),
    date(2027, 7, 31),
    date(2027, 8, 31),
    date(2027, 9, 30),
    date(2027, 10, 31),  # daylight saving ends
]
INTERNET_DUES = [date(2026, 11, 28), date(2026, 12, 28)] + [
    date(2027, month, 28)  # 28 Mar 2027: daylight saving begins
    for month in range(1, 11)
]
CLEANING_DUES = [date(2027, 6, 1)]

CHARGE_ID = re.compile(r"(?:Charge|Addebito) #(\d+)\.")
PAYMENT_ID = re.compile(r"confirm it with /confirm (\d+)\.")


@dataclass
class Year:
    """What happened, as the members saw it, with the local time it happened at."""

    bot: BotHarness
    log: list[tuple[datetime, Sent]] = field(default_factory=list)
    carla_active: bool = True

    def record(self, sent: list[Sent]) -> None:
        now = self.bot.clock.now().astimezone(ROME)
        self.log += [(now, s) for s in sent]

    def received(self, name: str, starts: str) -> list[tuple[datetime, Sent]]:
        user = BotHarness.user(name).user_id
        return [(t, s) for t, s in self.log if s.to == user and s.text.startswith(starts)]

    async def say(self, line: str, as_: str) -> list[Sent]:
        sent = await self.bot.say(line, as_=as_, chat="private")
        self.record(sent)
        await self.respond(sent)
        return sent

    async def tick(self) -> list[Sent]:
        sent = await self.bot.tick()
        self.record(sent)
        await self.respond(sent)
        return sent

    async def respond(self, sent: list[Sent]) -> None:
        """What each member does with what they receive; answers may bring more messages."""
        queue = list(sent)
        while queue:
            msg = queue.pop(0)
            replies = await self.react(msg)
            self.record(replies)
            queue += replies

    async def react(self, msg: Sent) -> list[Sent]:
        bot = self.bot
        charge = CHARGE_ID.search(msg.text)
        if msg.to == "anna" and charge:  # pays her share and confirms it herself
            replies = await bot.press(msg, "I've paid", as_="Anna")
            payment = PAYMENT_ID.search(replies[0].text)
            assert payment is not None, replies[0].text
            return replies + await bot.say(f"/confirm {payment[1]}", as_="Anna", chat="private")
        if msg.to == "anna" and any(b.label == "Confirm" for b in msg.buttons):
            return await bot.press(msg, "Confirm", as_="Anna")
        if msg.to == "bruno" and charge:  # always pays at once, with the button
            return await bot.press(msg, "I've paid", as_="Bruno")
        if msg.to == "dario" and charge and msg.text.startswith("Internet"):
            return await bot.press(msg, "I've paid", as_="Dario")  # never pays heating
        if msg.to == "carla" and self.carla_active:
            return await self.carla(msg, charge)
        return []

    async def carla(self, msg: Sent, charge: re.Match[str] | None) -> list[Sent]:
        """Carla (in Italian) pays heating at once, internet €5 now and the rest when reminded."""
        if charge and msg.text.startswith("Internet"):
            return await self.bot.say(f"/paid {charge[1]} 5", as_="Carla", chat="private")
        if charge:
            return await self.bot.press(msg, "Ho pagato", as_="Carla")
        if msg.text.startswith("Ancora da pagare"):
            out: list[Sent] = []
            for number in re.findall(r"^#(\d+) ", msg.text, flags=re.MULTILINE):
                out += await self.bot.say(f"/paid {number}", as_="Carla", chat="private")
            return out
        return []


async def charges_of(bot: BotHarness, name: str) -> list[tuple[date, datetime, int]]:
    rows = await bot.fetchall(
        "SELECT c.due_on, c.created_at, c.id FROM charges c JOIN costs k ON k.id = c.cost_id"
        " WHERE k.name = ? ORDER BY c.due_on",
        (name,),
    )
    return [(date.fromisoformat(r[0]), from_db(r[1]).astimezone(ROME), int(r[2])) for r in rows]


async def shares_of(bot: BotHarness, charge_id: int) -> dict[str, tuple[int, int, int]]:
    rows = await bot.fetchall(
        "SELECT m.display_name, s.amount, s.units, s.days FROM charge_shares s"
        " JOIN members m ON m.id = s.member_id WHERE s.charge_id = ?",
        (charge_id,),
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


async def set_up(bot: BotHarness) -> Year:
    year = Year(bot)
    await start_space(bot)  # 25 Nov 2026 09:00: Anna (admin), Bruno, Carla
    await bot.say("/lang it", as_="Carla")
    bot.clock.set(at_rome(2026, 11, 25, 10, 0))
    for line in (
        "/cost add Heating 120 monthly 31 attendance",
        "/cost add Internet 29,90 monthly 28",
        "/shares Bruno 2",
    ):
        reply = await bot.say(line, as_="Anna")
        assert not reply[0].text.startswith(("Only", "Usage", "There")), reply[0].text
    # "1.200" reads two ways: Anna is asked, and picks twelve hundred.
    asked = (await bot.say("/cost add Cleaning 1.200 yearly 01-06 shares", as_="Anna"))[0]
    assert [b.label for b in asked.buttons] == ["€1,200.00", "€1.20"]
    await bot.press(asked, "€1,200.00", as_="Anna")
    assert await bot.fetchval("SELECT amount FROM costs WHERE name = 'Cleaning'") == 120000
    # Attendance, as presence would record it: the same days every month.
    for month_start in [date(2026, 12, 1)] + [date(2027, m, 1) for m in range(1, 11)]:
        await add_visits(bot, "Anna", [month_start.replace(day=d) for d in range(2, 6)])
        await add_visits(bot, "Bruno", [month_start.replace(day=d) for d in (2, 3)])
        if month_start < CARLA_LEAVES:
            await add_visits(bot, "Carla", [month_start.replace(day=d) for d in (6, 7)])
    return year


async def live_the_year(year: Year) -> None:
    bot = year.bot
    day = START
    while day <= END:
        if at_rome(day.year, day.month, day.day, 8, 30) > DOWN_FROM and day <= BACK_AT.date():
            if day == BACK_AT.date():
                await come_back(year)
            day += timedelta(days=1)
            continue
        bot.clock.set(at_rome(day.year, day.month, day.day, 8, 30))
        assert await year.tick() == [], f"something went out before 09:00 on {day}"
        bot.clock.set(at_rome(day.year, day.month, day.day, 9, 30))
        await year.tick()
        await on_the_day(year, day)
        day += timedelta(days=1)


async def on_the_day(year: Year, day: date) -> None:
    bot = year.bot
    bot.clock.set(at_rome(day.year, day.month, day.day, 10, 0))
    if day == DARIO_JOINS:
        year.record(await bot.say("/join", as_="Dario"))
        await add_visits(bot, "Dario", [date(2027, 2, d) for d in (15, 16, 17)])
        for month in range(3, 11):
            await add_visits(bot, "Dario", [date(2027, month, d) for d in (8, 9, 10)])
    if day == CARLA_LEAVES:
        year.record(await bot.say("/leave", as_="Carla"))
        year.carla_active = False
    if day == CASH_FOR_CARLA:
        # Carla left, but what she owes stays hers to pay: she may still use /paid.
        answer = await bot.say("/paid 1", as_="Carla", chat="private")
        assert answer[0].text == "La tua quota dell'addebito #1 è già pagata."
        for due, name in ((date(2027, 7, 28), "Internet"), (date(2027, 7, 31), "Heating")):
            charge = next(c for c in await charges_of(bot, name) if c[0] == due)[2]
            await year.say(f"/paid {charge} Carla", as_="Anna")
    if day == date(2027, 10, 31):
        await bot.restart()  # a restart on the DST day, right after its charge
        lift_flood_guard(bot)
        assert await year.tick() == []


async def come_back(year: Year) -> None:
    """Down from 26 May 20:00 to 29 May 10:00: what was missed happens now, once."""
    bot = year.bot
    bot.clock.set(DOWN_FROM)
    await bot.restart()
    lift_flood_guard(bot)
    bot.clock.set(BACK_AT)
    back = await year.tick()
    assert await year.tick() == []
    await bot.restart()
    lift_flood_guard(bot)
    assert await year.tick() == []
    reminders = sorted(s.text[:30] for s in to(back, "Anna") if s.text.startswith("Reminder"))
    assert reminders == ["Reminder: Cleaning (€1,200.00,", "Reminder: Heating (€120.00, sp"]
    assert any(s.text.startswith("Internet, 28 Apr – 27 May 2027") for s in to(back, "Bruno"))
    nags = [s for s in to(back, "Dario") if s.text.startswith("Still to pay")]
    assert len(nags) == 1 and "Heating, due Fri, 30 Apr 2027" in nags[0].text


async def test_a_year_of_shared_costs(bot: BotHarness) -> None:
    year = await set_up(bot)
    await live_the_year(year)
    await check_charges(year)
    await check_shares(year)
    await check_reminders_and_summaries(year)
    await check_payments_and_what_is_owed(year)
    expected = len(HEATING_DUES) + len(INTERNET_DUES) + len(CLEANING_DUES)
    assert await year.bot.fetchval("SELECT COUNT(*) FROM charges") == expected


async def check_charges(year: Year) -> None:
    bot = year.bot
    for name, dues in (
        ("Heating", HEATING_DUES),
        ("Internet", INTERNET_DUES),
        ("Cleaning", CLEANING_DUES),
    ):
        made = await charges_of(bot, name)
        assert [due for due, _, _ in made] == dues, name
        for due, created, _ in made:
            if name == "Internet" and due == date(2027, 5, 28):
                assert created == BACK_AT  # missed while down, made once when back
            else:
                assert created == at_rome(due.year, due.month, due.day, 9, 30), (name, due)
    # Both DST days: 09:30 local is 07:30 UTC in summer time and 08:30 UTC in winter time.
    internet = {due: created for due, created, _ in await charges_of(bot, "Internet")}
    assert internet[date(2027, 3, 28)].utcoffset() == timedelta(hours=2)
    heating = {due: created for due, created, _ in await charges_of(bot, "Heating")}
    assert heating[date(2027, 10, 31)].utcoffset() == timedelta(hours=1)
    mismatched = await bot.fetchall(
        "SELECT c.id FROM charges c JOIN charge_shares s ON s.charge_id = c.id"
        " GROUP BY c.id, c.amount HAVING SUM(s.amount) <> c.amount"
    )
    assert mismatched == []
    assert await bot.fetchval("SELECT COUNT(*) FROM charge_shares WHERE amount <= 0") == 0
    # Every share was told to its member exactly once, with its charge id.
    notices = Counter(
        (s.to, int(m[1])) for _, s in year.log if s.private and (m := CHARGE_ID.search(s.text))
    )
    stored = await bot.fetchall(
        "SELECT lower(m.display_name), s.charge_id FROM charge_shares s"
        " JOIN members m ON m.id = s.member_id"
    )
    assert notices == Counter((r[0], r[1]) for r in stored)


async def check_shares(year: Year) -> None:
    bot = year.bot
    heating = {due: cid for due, _, cid in await charges_of(bot, "Heating")}
    internet = {due: cid for due, _, cid in await charges_of(bot, "Internet")}
    cleaning = (await charges_of(bot, "Cleaning"))[0][2]
    # Nobody came in the first period: equal, over the 5 days everyone was a member.
    assert await shares_of(bot, heating[date(2026, 11, 30)]) == {
        "Anna": (4000, 1, 5),
        "Bruno": (4000, 1, 5),
        "Carla": (4000, 1, 5),
    }
    # 4, 2, 2 and 3 visit days of 11; the three spare cents by largest remainder.
    assert await shares_of(bot, heating[date(2027, 2, 28)]) == {
        "Anna": (4363, 4, 28),
        "Bruno": (2182, 2, 28),
        "Carla": (2182, 2, 28),
        "Dario": (3273, 3, 18),
    }
    # Dario joined on 10 Feb: 18 of the period's 31 days.
    assert await shares_of(bot, internet[date(2027, 2, 28)]) == {
        "Anna": (835, 1, 31),
        "Bruno": (835, 1, 31),
        "Carla": (835, 1, 31),
        "Dario": (485, 1, 18),
    }
    # Carla left on 15 Jul: 18 of 30 days of internet, her July visits in heating.
    assert await shares_of(bot, internet[date(2027, 7, 28)]) == {
        "Anna": (831, 1, 30),
        "Bruno": (831, 1, 30),
        "Carla": (498, 1, 18),
        "Dario": (830, 1, 30),
    }
    assert (await shares_of(bot, heating[date(2027, 7, 31)]))["Carla"] == (2182, 2, 16)
    # After she left, she is in no charge.
    assert await shares_of(bot, heating[date(2027, 8, 31)]) == {
        "Anna": (5333, 4, 31),
        "Bruno": (2667, 2, 31),
        "Dario": (4000, 3, 31),
    }
    # Cleaning by shares (Bruno 2) and days of membership in the year before 1 June.
    assert await shares_of(bot, cleaning) == {
        "Anna": (26141, 1, 188),
        "Bruno": (52283, 2, 188),
        "Carla": (26141, 1, 188),
        "Dario": (15435, 1, 111),
    }
    carla = [s for _, s in year.received("Carla", "Internet, 28 gen – 27 feb 2027")]
    assert len(carla) == 1 and "la tua quota è €\u00a08,35 su €\u00a029,90" in carla[0].text
    assert "scrivi /pagato " in carla[0].text  # the command as her Italian menu names it
    dario = [s for _, s in year.received("Dario", "Internet, 28 Jan – 27 Feb 2027")]
    assert "(split equally among 4, for your 18 days as a member out of 31)" in dario[0].text
    assert "send /paid " in dario[0].text


async def check_reminders_and_summaries(year: Year) -> None:
    reminders = [(t, s.text) for t, s in year.received("Anna", "Reminder: ")]
    expected = []
    for name, dues in (
        ("Heating", HEATING_DUES),
        ("Internet", [*INTERNET_DUES, date(2027, 11, 28)]),
        ("Cleaning", CLEANING_DUES),
    ):
        for due in dues:
            slot = due - timedelta(days=3)
            if date(2026, 11, 26) <= slot <= END:  # Internet's first slot preceded the cost
                expected.append((name, due))
    seen = [
        (m[1], datetime.strptime(m[2].replace("Sept", "Sep"), "%a, %d %b %Y").date())
        for _, text in reminders
        if (m := re.match(r"Reminder: (\w+) .* falls due on (.+?)\.", text))
    ]
    assert sorted(seen) == sorted(expected)  # each exactly once
    for (when, text), (_, due) in zip(reminders, seen, strict=True):
        slot = due - timedelta(days=3)
        on_time = at_rome(slot.year, slot.month, slot.day, 9, 30)
        assert when == (BACK_AT if DOWN_FROM < on_time < BACK_AT else on_time), text
    for name in ("Bruno", "Carla", "Dario"):
        assert year.received(name, "Reminder: ") == []
        assert year.received(name, "Shared costs: ") == []
    summaries = [(t, s.text.splitlines()[0]) for t, s in year.received("Anna", "Shared costs: ")]
    months = [date(2026, 12, 1)] + [date(2027, m, 1) for m in range(1, 12)]
    assert [t for t, _ in summaries] == [at_rome(m.year, m.month, 1, 9, 30) for m in months]
    assert summaries[0][1] == "Shared costs: November 2026"
    assert summaries[-1][1] == "Shared costs: October 2027"


async def check_payments_and_what_is_owed(year: Year) -> None:
    bot = year.bot
    # Those who paid at once were never reminded; reminders went only to who owed.
    assert year.received("Anna", "Still to pay") == []
    assert year.received("Bruno", "Still to pay") == []
    dario_nags = year.received("Dario", "Still to pay")
    assert dario_nags[0][0] == at_rome(2027, 3, 7, 9, 30)  # 7 days after his first heating
    assert len(dario_nags) == len({t.date() for t, _ in dario_nags})  # never twice a day
    assert not any("Internet" in s.text for _, s in dario_nags)  # he paid those at once
    carla_nags = [t for t, _ in year.received("Carla", "Ancora da pagare")]
    assert carla_nags and max(carla_nags).date() < CASH_FOR_CARLA
    assert [t.date() for t in carla_nags if t.date() > CARLA_LEAVES] == [
        date(2027, 8, 4),
        date(2027, 8, 7),
        date(2027, 8, 11),
        date(2027, 8, 14),
        date(2027, 8, 18),
    ]
    # Nothing is left declared and unconfirmed: the admins confirmed every payment.
    assert await bot.count("payments", state="declared") == 0
    carla_partial = await bot.fetchval(
        "SELECT COUNT(*) FROM payments p JOIN members m ON m.id = p.member_id"
        " WHERE m.display_name = 'Carla' AND p.amount = 500"
    )
    assert carla_partial == 8  # €5 first on every internet charge while she was a member
    owed = await bot.fetchall(
        "SELECT m.display_name, c.due_on, s.amount FROM charge_shares s"
        " JOIN charges c ON c.id = s.charge_id JOIN members m ON m.id = s.member_id"
        " WHERE s.amount > (SELECT COALESCE(SUM(p.amount), 0) FROM payments p"
        "   WHERE p.charge_id = s.charge_id AND p.member_id = s.member_id)"
        " ORDER BY c.due_on"
    )
    assert {r[0] for r in owed} == {"Dario"}
    dario_owes = sum(r[2] for r in owed)
    assert [r[1] for r in owed] == sorted(
        d.isoformat() for d in [*HEATING_DUES[3:], *CLEANING_DUES]
    )

    bot.clock.set(at_rome(2027, 11, 25, 12, 0))
    balance = (await bot.say("/balance", as_="Anna", chat="private"))[0].text
    assert f"Dario: €{dario_owes / 100:,.2f}" in balance.splitlines()
    assert "• Dario owes €32.73" in balance and "Carla" not in balance.split("Who owes")[1]
    assert (await bot.say("/balance", as_="Anna"))[0].text.startswith("/balance is private")
    due = (await bot.say("/due", as_="Dario", chat="private"))[0].text.splitlines()
    assert due[0] == "What you owe" and len(due) == len(owed) + 2
    first_heating = (await charges_of(bot, "Heating"))[3][2]
    assert (
        due[1] == f"#{first_heating} Heating (31 Jan – 27 Feb 2027), due Sun, 28 Feb 2027: €32.73"
    )
    assert due[-1].startswith(f"Still to pay: €{dario_owes / 100:,.2f}.")
    assert (await bot.say("/due", as_="Bruno", chat="private"))[0].text == (
        "You don't owe anything at the moment."
    )

    sent = await bot.say("/export costs 2027-02", as_="Anna", chat="private")
    assert sent[0].text == "2 charges, due in February 2027, with their shares and payments."
    assert sent[0].document is not None
    rows = list(csv.DictReader(io.StringIO(sent[0].document.content.decode("utf-8-sig"))))
    assert [(r["kind"], r["name"]) for r in rows if r["kind"] == "charge"] == [
        ("charge", "Heating"),
        ("charge", "Internet"),
    ]
    dario_rows = {
        (r["name"], r["kind"]): r for r in rows if r["member"] == "Dario" and r["kind"] == "share"
    }
    assert dario_rows[("Heating", "share")]["owed"] == "32.73"
    assert dario_rows[("Heating", "share")]["units"] == "3"
    assert dario_rows[("Internet", "share")]["amount"] == "4.85"
    assert dario_rows[("Internet", "share")]["days"] == "18"
    assert dario_rows[("Internet", "share")]["owed"] == "0.00"
    payments = [r for r in rows if r["kind"] == "payment"]
    assert {r["state"] for r in payments} == {"confirmed"}
    assert {r["member"] for r in payments} == {"Anna", "Bruno", "Carla", "Dario"}
    all_rows = await bot.say("/export costs", as_="Anna", chat="private")
    assert all_rows[0].text.startswith("25 charges, all time")
