"""The Veglio year with its common fund, driven through the chat with a moving clock.

Five members join on 1 Jan 2027: Anna (admin, and so the treasurer), Bruno, Carla,
Dario, Elena. Heating (monthly on the 1st, by attendance) is €180, then €200 from the
charge of 1 April (`cost amount`), and ends with the charge of 1 May (`cost end`);
internet (monthly on the 1st, equally) is €50. Every month on the 2nd the treasurer pays
the suppliers from the fund (`bill`). On 10 March Carla pays a €240 boiler repair and
splits it among everyone, with the photo of the receipt (`spent … for all`); in June
Bruno buys €30 of cleaning supplies for the fund, which pays him back (`reimburse`, by
its button). Everyone pays their shares the day they are charged, with the buttons, and
the treasurer confirms, except Dario, who pays nothing until the year is settled.
On 2 Jan 2028 `/settle` brings everyone to zero.

Hand-computed (attendance Jan-Apr: Anna 8 days, Bruno 5, Carla 4, Dario 2, Elena 1 of 20):
  heating €180 → 72, 45, 36, 18, 9; €200 → 80, 50, 40, 20, 10
  heating in all: Anna 304, Bruno 190, Carla 152, Dario 76, Elena 38 (= 760)
  internet: 12 charges of 50, €10 each a month → €120 each (= 600)
  boiler: €240 for all → €48 each; Carla is owed 240 − 48 = 192
  money in: the shares of all but Dario, 684 + 480 = 1164
  money out: bills 760 + 600 = 1360, and 30 paid back to Bruno → 1390
  balance before settling: 1164 − 1390 = −226
  positions: Anna −48, Bruno −48, Carla +192, Dario −(76 + 120) − 48 = −244, Elena −48
  after settling: −226 + 48 + 48 − 192 + 244 + 48 = −30 (the €30 of supplies the fund
  paid back was in no share: the fund is €30 short, and says so)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

import coworkbot
from bot.clock import FakeClock
from bot.events import Attachment
from bot.testing import BotHarness, Sent
from tests.support.costs import ROME, add_visits, lift_flood_guard

PEOPLE = ("Anna", "Bruno", "Carla", "Dario", "Elena")
VISITS = {"Anna": 8, "Bruno": 5, "Carla": 4, "Dario": 2, "Elena": 1}
RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"boiler repair, 240.00 EUR" * 200
LATE = "Dario"
CHARGE = re.compile(r"Charge #(\d+)\.")
PAYMENT = re.compile(r"confirm it with /confirm (\d+)\.")


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ROME)


@pytest.fixture
async def veglio(tmp_path: Path) -> AsyncIterator[BotHarness]:
    clock = FakeClock(at(date(2027, 1, 1), 10, 0))
    bot = await BotHarness.start(tmp_path, clock=clock, routers=coworkbot.routers())
    lift_flood_guard(bot)
    yield bot
    await bot.close()


class Year:
    def __init__(self, bot: BotHarness) -> None:
        self.bot = bot
        self.log: list[Sent] = []

    async def say(self, line: str, as_: str, **kwargs: object) -> list[Sent]:
        sent = await self.bot.say(line, as_=as_, chat="private", **kwargs)  # type: ignore[arg-type]
        await self.react(sent)
        return sent

    async def react(self, sent: list[Sent]) -> None:
        """Everyone but Dario pays a share when told; Anna confirms what she is asked to."""
        queue = list(sent)
        while queue:
            msg = queue.pop(0)
            self.log.append(msg)
            who = next((p for p in PEOPLE if BotHarness.user(p).user_id == msg.to), None)
            if not msg.private or who is None:
                continue
            replies: list[Sent] = []
            if CHARGE.search(msg.text) and who != LATE:
                replies = await self.bot.press(msg, "I've paid", as_=who)
                if who == "Anna":
                    payment = PAYMENT.search(replies[0].text)
                    assert payment is not None, replies[0].text
                    replies += await self.bot.say(
                        f"/confirm {payment[1]}", as_="Anna", chat="private"
                    )
            elif who == "Anna" and any(b.label in ("Confirm", "Paid back") for b in msg.buttons):
                label = next(b.label for b in msg.buttons if b.label in ("Confirm", "Paid back"))
                replies = await self.bot.press(msg, label, as_="Anna")
            queue += replies

    async def tick(self) -> None:
        await self.react(await self.bot.tick())


async def set_up(year: Year) -> None:
    bot = year.bot
    await bot.setup_space("Anna", members=list(PEOPLE[1:]))
    for line in (
        "/set iban IT60 X054 2811 1010 0000 0123 456",
        "/set payee Spazio Veglio APS",
        "/set qr on",
    ):
        await year.say(line, "Anna")
    bot.clock.set(at(date(2027, 1, 2), 10, 0))
    heating = await bot.say("/cost add Heating 180 monthly 1 attendance", as_="Anna")
    assert heating[0].text.startswith("Cost #1 Heating: €180.00, monthly on day 1, split by att")
    internet = await bot.say("/cost add Internet 50 monthly 1", as_="Anna")
    assert "First charge on Mon, 1 Feb 2027, for 1 Jan – 31 Jan 2027." in internet[0].text
    for month in range(1, 5):
        for name, count in VISITS.items():
            await add_visits(bot, name, [date(2027, month, 3 + d) for d in range(count)])


async def on_the_day(year: Year, day: date) -> None:
    bot = year.bot
    bot.clock.set(at(day, 10, 0))
    if day.day == 2 and day > date(2027, 1, 2):
        if day <= date(2027, 5, 2):
            price = "180" if day <= date(2027, 3, 2) else "200"
            bill = await year.say(f"/bill Heating {price}", "Anna")
            assert bill[0].text.startswith("Bill #"), bill[0].text
        bill = await year.say("/bill Internet 50", "Anna")
        assert "paid from the fund for Internet" in bill[0].text
    if day == date(2027, 3, 10):
        photo = Attachment("IMG_2031.jpg", "image/jpeg", len(RECEIPT), RECEIPT)
        sent = await year.say("/spent 240 boiler repair for all", "Carla", attachment=photo)
        assert sent[0].text == (
            "Noted #5: you paid €240.00 for boiler repair, split among 5: Anna €48.00,"
            " Bruno €48.00, Carla €48.00, Dario €48.00, Elena €48.00. /settle shows who pays"
            " whom. Receipt #1 saved (IMG_2031.jpg)."
        )
        told = [s for s in sent if s.to == "elena"]
        assert told[0].text.startswith("Carla paid €240.00 for boiler repair; your part is €48")
    if day == date(2027, 3, 15):
        change = await year.say("/cost amount 1 200 from 2027-04-01", "Anna")
        assert change[0].text == (
            "Cost #1 Heating: €200.00 from the charge due on Thu, 1 Apr 2027 (until then"
            " €180.00). Charges already made stay as they are."
        )
    if day == date(2027, 4, 20):
        end = await year.say("/cost end 1 2027-05-01", "Anna")
        assert end[0].text == (
            "Cost #1 Heating ends on Sat, 1 May 2027: its last charge falls due on Sat, 1 May 2027."
        )
    if day == date(2027, 6, 15):
        sent = await year.say("/spent 30 cleaning supplies", "Bruno")
        assert sent[0].text.startswith("Noted #")
        assert "The fund owes it to you; Anna will pay you back." in sent[0].text
        paid_back = [s for s in year.log if s.text.startswith("Recorded: the fund paid Bruno")]
        assert paid_back and "€30.00" in paid_back[-1].text


async def live(year: Year) -> None:
    day = date(2027, 1, 2)
    while day <= date(2028, 1, 2):
        year.bot.clock.set(at(day))
        await year.tick()
        await on_the_day(year, day)
        day += timedelta(days=1)


async def test_the_veglio_year_with_its_common_fund(veglio: BotHarness) -> None:
    year = Year(veglio)
    await set_up(year)
    await live(year)
    bot = veglio
    # The charges: heating four times (180, 180, 200, 200), then ended; internet twelve.
    rows = await bot.fetchall("SELECT name, due_on, amount FROM charges ORDER BY name, due_on")
    heating = [(r[1], r[2]) for r in rows if r[0] == "Heating"]
    assert heating == [
        ("2027-02-01", 18000),
        ("2027-03-01", 18000),
        ("2027-04-01", 20000),
        ("2027-05-01", 20000),
    ]
    assert [r[2] for r in rows if r[0] == "Internet"] == [5000] * 12
    shares = await bot.fetchall(
        "SELECT m.display_name, SUM(s.amount) FROM charge_shares s JOIN charges c"
        " ON c.id = s.charge_id JOIN members m ON m.id = s.member_id WHERE c.name = 'Heating'"
        " GROUP BY m.display_name ORDER BY m.display_name"
    )
    assert [tuple(r) for r in shares] == [
        ("Anna", 30400),
        ("Bruno", 19000),
        ("Carla", 15200),
        ("Dario", 7600),
        ("Elena", 3800),
    ]
    await check_share_messages(year)
    await check_fund_before_settling(year)
    await settle_the_year(year)
    await check_the_ledger(year)


async def check_share_messages(year: Year) -> None:
    """Each share came with the bank details, its own reference and the QR code."""
    notices = [s for s in year.log if s.to == "bruno" and s.text.startswith("Internet, 1 Jan")]
    assert len(notices) == 1
    notice = notices[0]
    charge = CHARGE.search(notice.text)
    assert charge is not None
    bruno = int(await year.bot.fetchval("SELECT id FROM members WHERE display_name = 'Bruno'"))
    assert (
        "Pay to IT60 X054 2811 1010 0000 0123 456, Spazio Veglio APS, reference RF" in notice.text
    )
    assert notice.text.rstrip(".").endswith(f"C{charge[1]}M{bruno}")
    assert notice.document is not None and notice.document.mime_type == "image/png"
    # Dario was reminded, week after week; the others never.
    nags = [s for s in year.log if s.text.startswith("Still to pay")]
    assert nags and {s.to for s in nags} == {"dario"}


async def check_fund_before_settling(year: Year) -> None:
    bot = year.bot
    fund = (await bot.say("/fund", as_="Anna", chat="private"))[0].text.splitlines()
    assert fund[:5] == [
        "Common fund of Veglio",
        "Balance: -€226.00, held by Anna.",
        "January 2028: €40.00 in, €50.00 out.",
        "The fund owes members €192.00; members owe the fund €388.00.",
        "You owe the fund €48.00.",
    ]
    members = fund[fund.index("Members") + 1 : fund.index("Members") + 6]
    assert members == [
        "Anna owes €48.00",
        "Bruno owes €48.00",
        "Carla is owed €192.00",
        "Dario owes €244.00",
        "Elena owes €48.00",
    ]
    latest = fund[fund.index("Latest movements") + 1]
    assert latest == "2 Jan bill for Internet: -€50.00"
    # A member sees the totals and their own lines, not the others'.
    elena = (await bot.say("/fund", as_="Elena", chat="private"))[0].text.splitlines()
    assert elena[1:5] == [*fund[1:4], "You owe the fund €48.00."]
    assert "Members" not in elena and "Dario owes €244.00" not in elena
    assert elena[elena.index("Your movements") + 1] == ("1 Jan Elena, share of Internet: €10.00")
    group = await bot.say("/fund", as_="Elena")
    assert group[0].text == "/fund is private: send it to me in a private chat."
    receipt = await bot.say("/receipt 1", as_="Elena", chat="private")
    assert receipt[0].text == "Receipt #1: boiler repair, Wed, 10 Mar 2027."
    assert receipt[0].document is not None and receipt[0].document.content == RECEIPT


async def settle_the_year(year: Year) -> None:
    bot = year.bot
    sent = await bot.say("/settle", as_="Anna", chat="private")
    lines = sent[0].text.splitlines()
    assert lines[:6] == [
        "Settling up through the common fund, held by Anna:",
        "1. Anna puts €48.00 into the fund",
        "2. Bruno → the fund (Anna): €48.00",
        "3. the fund (Anna) → Carla: €192.00",
        "4. Dario → the fund (Anna): €244.00",
        "5. Elena → the fund (Anna): €48.00",
    ]
    assert [b.label for b in sent[0].buttons] == [f"Paid {n}" for n in range(1, 6)]
    # Dario sees only his own line; pressing Paid asks the treasurer to confirm it.
    dario = await bot.say("/settle", as_="Dario", chat="private")
    assert dario[0].text.splitlines()[1:3] == [
        "4. Dario → the fund (Anna): €244.00",
        "… and 4 transfers between others.",
    ]
    asked = await bot.press(dario[0], "Paid 4", as_="Dario")
    assert asked[0].text == "Thanks! Anna will record it once the money arrives."
    to_anna = [s for s in asked if s.to == "anna"]
    assert [b.label for b in to_anna[0].buttons] == ["Received"]
    # The treasurer presses each line in turn; the others stay as they were.
    remaining = lines[1:6]
    for label, gone in (("Paid 3", 2), ("Paid 1", 0)):
        await bot.press(sent[0], label, as_="Anna")
        remaining.pop(gone)
        now = (await bot.say("/settle", as_="Anna", chat="private"))[0].text.splitlines()
        assert [line.split(". ", 1)[1] for line in now[1 : 1 + len(remaining)]] == [
            line.split(". ", 1)[1] for line in remaining
        ]
    received = await bot.press(to_anna[0], "Received", as_="Anna")
    assert received[0].text == "Recorded: Dario paid the fund (Anna) €244.00."
    for label in ("Paid 2", "Paid 5"):
        await bot.press(sent[0], label, as_="Anna")
    assert (await bot.say("/settle", as_="Anna", chat="private"))[0].text == (
        "Everyone's square: there's nothing to settle."
    )
    assert (await bot.say("/due", as_="Dario", chat="private"))[0].text == (
        "You don't owe anything at the moment."
    )
    fund = (await bot.say("/fund", as_="Anna", chat="private"))[0].text.splitlines()
    assert fund[1:5] == [
        "Balance: -€30.00, held by Anna.",
        "January 2028: €428.00 in, €242.00 out.",
        "The fund owes members €0.00; members owe the fund €0.00.",
        "You're square with the fund.",
    ]


async def check_the_ledger(year: Year) -> None:
    bot = year.bot
    sent = await bot.say("/export fund", as_="Anna", chat="private")
    assert sent[0].text == "The fund's ledger, all time: 104 movements; balance -€30.00."
    assert sent[0].document is not None
    rows = list(csv.DictReader(io.StringIO(sent[0].document.content.decode("utf-8-sig"))))
    assert len(rows) == 104
    money_in = sum(round(float(r["in"]) * 100) for r in rows if r["in"])
    money_out = sum(round(float(r["out"]) * 100) for r in rows if r["out"])
    assert (money_in, money_out) == (155200, 158200)
    assert rows[-1]["balance"] == "-30.00"
    kinds = [r["kind"] for r in rows]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "payment": 80,
        "bill": 16,
        "spent": 2,
        "reimburse": 2,
        "deposit": 4,
    }
    boiler = next(r for r in rows if r["kind"] == "spent" and "boiler" in r["what"])
    assert boiler == {
        "date": "2027-03-10",
        "what": "Carla paid: boiler repair, split among 5",
        "in": "",
        "out": "",
        "balance": "-56.00",
        "who": "Carla",
        "receipt": "#1 IMG_2031.jpg",
        "kind": "spent",
        "id": "5",
    }
    carla = [r for r in rows if r["kind"] == "reimburse" and r["who"] == "Carla"]
    assert [(c["date"], c["out"]) for c in carla] == [("2028-01-02", "192.00")]
    dario = [r for r in rows if r["who"] == "Dario" and r["kind"] == "payment"]
    assert len(dario) == 16 and {r["date"] for r in dario} == {"2028-01-02"}
    assert sum(round(float(r["in"]) * 100) for r in dario) == 19600
    # A month: the balance brought forward, then the month's movements.
    march = await bot.say("/export fund 2027-03", as_="Anna", chat="private")
    assert march[0].text == "The fund's ledger, March 2027: 11 movements; balance -€56.00."
    assert march[0].document is not None
    month = list(csv.DictReader(io.StringIO(march[0].document.content.decode("utf-8-sig"))))
    assert (month[0]["what"], month[0]["balance"]) == ("balance brought forward", "-28.00")
    assert [r["kind"] for r in month[1:]] == ["payment"] * 8 + ["bill", "bill", "spent"]
    assert month[-1]["balance"] == "-56.00"
    refused = await bot.say("/export fund", as_="Elena", chat="private")
    assert refused[0].text == "Only the treasurer (Anna) or an admin can do that."
