"""Presence, help between peers and shared costs on Telegram, end to end.

The real app and python-telegram-bot talk HTTP to the fake Bot API server
(tests/support/fake_telegram.py): people write commands and press the inline buttons the bot
sent them, and each test reads what Telegram would show and what the bot stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from tests.support.fake_telegram import (
    SPEED,
    FakeChat,
    FakeTelegram,
    FakeUser,
    Sent,
    TelegramBot,
)

pytestmark = [
    pytest.mark.http,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

ROME = ZoneInfo("Europe/Rome")


def rome(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ROME)


@pytest.fixture
async def tg(server: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    clock = FakeClock(rome(25, 9))
    bot = await TelegramBot(server, tmp_path, clock=clock, speed=SPEED, scripted=True).start()
    yield bot
    await bot.stop()


@dataclass
class Community:
    anna: FakeUser  # the admin, created the group
    bruno: FakeUser
    carla: FakeUser
    group: FakeChat


async def community(tg: TelegramBot, *, carla: str = "Carla") -> Community:
    """Anna sets the group up as the space Veglio; Bruno and Carla join."""
    server = tg.server
    anna = server.user("Anna", username="anna_v")
    bruno = server.user("Bruno")
    carla_user = server.user(carla, username="carla_b")
    group = server.group("Coworking Veglio", creator=anna, members=(bruno, carla_user))
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(anna, "/set join open", group)
    for person in (bruno, carla_user):
        welcome = only(await tg.say(person, "/join", group), group)
        assert welcome.text.startswith("Welcome to Veglio")
    return Community(anna, bruno, carla_user, group)


def only(sent: list[Sent], where: FakeUser | FakeChat) -> Sent:
    found = [s for s in sent if s.chat_id == where.id]
    assert len(found) == 1, f"expected one message to {where.id}, got {[s.text for s in sent]}"
    return found[0]


def lines(sent: Sent) -> list[str]:
    return sent.text.split("\n")


async def rows(tg: TelegramBot, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await tg.fetchall(sql)]


# -- presence -------------------------------------------------------------------------------


async def test_presence_day_by_messages_and_the_attendance_file(tg: TelegramBot) -> None:
    c = await community(tg)
    server, group = tg.server, c.group

    tg.clock.set(rome(25, 10))
    sent = await tg.say(c.bruno, "/checkin writing <b>a book</b> & more", group)
    reply = only(sent, group)
    assert reply.text == "Welcome, Bruno! You checked in at 10:00. You're the first one here."
    assert reply.reply_to is not None and len(sent) == 1  # no other chat to announce to
    tg.clock.set(rome(25, 10, 5))
    reply = only(await tg.say(c.carla, "/in", group), group)
    assert reply.text.endswith("2 people are in now.")
    again = only(await tg.say(c.carla, "/checkin", group), group)
    assert again.text == "You're already checked in, since 10:05."

    hidden = only(await tg.say(c.carla, "/privacy hidden"), c.carla)
    assert hidden.text.startswith("Your presence is now hidden")
    planned = only(await tg.say(c.anna, "/going tomorrow", group), group)
    assert planned.text == "Noted: you're coming on Thu, 26 Nov 2026."
    who = only(await tg.say(c.anna, "/who", group), group)
    assert lines(who) == [
        "2 people in",
        "Bruno — since 10:00 — writing <b>a book</b> & more",
        "(1 person prefers not to be named)",
        "The space has been open since 10:00.",
    ]
    note = "writing <b>a book</b> & more"  # shown as written, in italics, tags and all
    italic = {"type": "italic", "offset": who.text.index(note), "length": len(note)}
    assert italic in who.entities

    tg.clock.set(rome(25, 12, 30))
    bye = only(await tg.say(c.bruno, "/checkout", group), group)
    assert bye.text == "Bye, Bruno! You were here for 2 h 30 min (10:00–12:30)."
    me = only(await tg.say(c.bruno, "/me"), c.bruno)
    assert lines(me) == [
        "Your visits",
        "November 2026: 1 day, 2 h 30 min",
        "October 2026: no visits",
    ]

    stats = only(await tg.say(c.anna, "/stats", group), group)
    assert lines(stats) == [
        "Veglio — November 2026",
        "Open on 1 day",
        "People per day: 2 on average",
        "Peak: 2 people on Wed, 25 Nov 2026",
        "Each member's days are shown only in private: send me /stats 2026-11 there.",
    ]
    private = only(await tg.say(c.anna, "/stats 2026-11"), c.anna)
    assert lines(private)[-3:] == ["Days per member", "Bruno: 1 day", "Carla: 1 day"]

    assert await rows(
        tg,
        "SELECT m.display_name, v.local_date, v.checkin_at, v.checkout_at, v.closed_by, v.note"
        " FROM visits v JOIN members m ON m.id = v.member_id ORDER BY v.id",
    ) == [
        (
            "Bruno",
            "2026-11-25",
            "2026-11-25T09:00:00Z",
            "2026-11-25T11:30:00Z",
            "member",
            "writing <b>a book</b> & more",
        ),
        ("Carla", "2026-11-25", "2026-11-25T09:05:00Z", None, None, ""),
    ]
    assert await rows(tg, "SELECT display_name, visibility FROM members ORDER BY id") == [
        ("Anna", "visible"),
        ("Bruno", "visible"),
        ("Carla", "hidden"),
    ]
    assert await rows(tg, "SELECT local_date FROM planned_visits") == [("2026-11-26",)]

    # The attendance file: refused in the group, a real document in private.
    refused = only(await tg.say(c.anna, "/export attendance", group), group)
    assert refused.text == "/export attendance is private: send it to me in a private chat."
    assert refused.document is None
    export = only(await tg.say(c.anna, "/export attendance"), c.anna)
    assert export.method == "sendDocument"
    assert export.text == "Attendance in November 2026: 2 visits."  # the caption
    assert export.document is not None
    name, content = export.document
    assert name == "attendance-2026-11.csv"
    assert content.decode("utf-8-sig") == (
        "member,date,in,out,minutes,closed_by,changes\r\n"
        "Bruno,2026-11-25,10:00,12:30,150,member,\r\n"
        "Carla,2026-11-25,10:05,,,,\r\n"
    )
    refused = only(await tg.say(c.bruno, "/export attendance"), c.bruno)
    assert refused.text == "Only the space's admins can use /export attendance."
    assert sum(1 for s in server.sent if s.document is not None) == 1
    assert server.errors == []


# -- help between peers ---------------------------------------------------------------------


async def test_ask_offer_done_thanks_by_messages_and_buttons(tg: TelegramBot) -> None:
    c = await community(tg)
    group = c.group

    added = only(await tg.say(c.bruno, "/skills add Excel, Contabilità", group), group)
    assert lines(added) == ["Added: Excel, Contabilità.", "You now have 2 skills."]
    await tg.say(c.carla, "/skills add MS Excel")
    known = only(await tg.say(c.anna, "/whoknows excel", group), group)
    assert lines(known) == ["Who knows excel", "• Bruno — Excel", "• Carla — MS Excel"]
    assert await rows(tg, "SELECT tag, label FROM skills ORDER BY tag") == [
        ("contabilita", "Contabilità"),
        ("excel", "Excel"),
        ("ms excel", "MS Excel"),
    ]

    sent = await tg.say(c.anna, "/ask excel: how do I make a pivot table?", group)
    post = only(sent, group)
    assert lines(post) == [
        "🙋 #1 Anna asks for help with excel:",
        "how do I make a pivot table?",
        "I told 2 members who know excel, privately.",
    ]
    assert [label for label, _ in post.buttons] == ["I can help"]
    to_bruno, to_carla = only(sent, c.bruno), only(sent, c.carla)
    assert to_bruno.text.startswith(
        "🙋 Anna asks for help with excel, which you know (request #1):\n"
        "how do I make a pivot table?\nCan you help? /offer 1"
    )
    assert [label for label, _ in to_bruno.buttons] == ["I can help"]
    assert [label for label, _ in to_carla.buttons] == ["I can help"]
    assert not [s for s in sent if s.chat_id == c.anna.id]

    # Bruno presses "I can help" in his private chat: he gets the request, Anna is told.
    sent = await tg.press(c.bruno, to_bruno, "I can help")
    claimed = only(sent, c.bruno)
    assert claimed.text == (
        "Thank you, Bruno! #1 (excel) is yours. Reach Anna: @anna_v.\n"
        "When it's solved, send /done 1."
    )
    told = only(sent, c.anna)
    assert told.text == "🤝 Bruno will help you with #1 (excel). Reach them: @bruno."
    assert told.mentions == ["@bruno"]  # meant: how Anna reaches her helper
    assert [label for label, _ in told.buttons] == ["Solved"]
    stored = "SELECT number, state, helper_id, requester_id FROM help_requests"
    assert await rows(tg, stored) == [(1, "claimed", 2, 1)]

    # Carla presses the group's button too late: told who has it, nothing changes.
    late = only(await tg.press(c.carla, post, "I can help"), group)
    assert late.text == "Bruno has already offered to help with #1. Thanks anyway!"
    assert await rows(tg, stored) == [(1, "claimed", 2, 1)]

    sent = await tg.press(c.anna, told, "Solved")
    solved = only(sent, c.anna)
    assert lines(solved) == ["#1 is solved. 🎉", "Thank Bruno with /thanks 1."]
    assert [label for label, _ in solved.buttons] == ["Say thanks"]
    assert only(sent, c.bruno).text == ("Anna marked #1 (excel) as solved. Thank you for helping!")
    sent = await tg.press(c.anna, solved, "Say thanks")
    assert only(sent, c.anna).text == "I've passed your thanks on to Bruno. 💐"
    assert only(sent, c.bruno).text == "💐 Anna thanks you for #1 (excel). You now have 1 kudo."
    assert await rows(tg, stored) == [(1, "resolved", 2, 1)]
    assert await rows(tg, "SELECT helper_id, given_by FROM kudos") == [(2, 1)]

    again = only(await tg.press(c.anna, solved, "Say thanks"), c.anna)
    assert again.text == "You've already thanked Bruno for #1."
    known = only(await tg.say(c.carla, "/whoknows Excel", group), group)
    assert lines(known)[1:] == ["• Bruno — Excel · 1 kudo", "• Carla — MS Excel"]
    assert tg.server.errors == []


# -- shared costs ---------------------------------------------------------------------------


async def test_a_cost_charged_paid_by_button_and_confirmed(tg: TelegramBot) -> None:
    tg.clock.set(rome(1, 10))
    c = await community(tg)
    group = c.group

    added = only(await tg.say(c.anna, "/cost add Internet 30 monthly 25", group), group)
    assert lines(added) == [
        "Cost #1 Internet: €30.00, monthly on day 25, split equally.",
        "First charge on Wed, 25 Nov 2026, for 25 Oct – 24 Nov 2026.",
    ]
    refused = only(await tg.say(c.bruno, "/cost add Cleaning 10 monthly 3", group), group)
    assert refused.text == "Only the space's admins can use /cost add."
    assert await rows(tg, "SELECT name, amount, next_due FROM costs") == [
        ("Internet", 3000, "2026-11-25")
    ]

    # The due date at reminder time: the job makes the charge, everyone hears privately.
    tg.clock.set(rome(25, 9, 0))
    before = len(tg.server.sent)
    await tg.app.run_jobs()
    await tg.deliver()
    notices = tg.server.sent[before:]
    assert sorted(s.chat_id for s in notices) == sorted(p.id for p in (c.anna, c.bruno, c.carla))
    to_bruno = only(notices, c.bruno)
    assert to_bruno.text == (
        "Internet, 25 Oct – 24 Nov 2026: your share is €10.00 of €30.00"
        " (split equally among 3).\n"
        "Charge #1. When you've paid, press the button or send /paid 1."
    )
    assert [label for label, _ in to_bruno.buttons] == ["I've paid"]
    assert await rows(tg, "SELECT due_on, amount FROM charges") == [("2026-11-25", 3000)]
    assert await rows(tg, "SELECT member_id, amount FROM charge_shares ORDER BY member_id") == [
        (1, 1000),
        (2, 1000),
        (3, 1000),
    ]
    await tg.app.run_jobs()  # a second tick charges nothing again
    assert await tg.deliver() == 0

    sent = await tg.press(c.bruno, to_bruno, "I've paid")
    assert only(sent, c.bruno).text == (
        "Noted: you paid €10.00 for Internet (charge #1). Payment #1 is waiting for an admin"
        " to confirm it."
    )
    to_anna = only(sent, c.anna)
    assert to_anna.text == (
        "Bruno says they've paid €10.00 for Internet (charge #1). Confirm payment #1 with"
        " /confirm 1 once you've received it."
    )
    assert [label for label, _ in to_anna.buttons] == ["Confirm"]
    assert await rows(tg, "SELECT member_id, amount, state FROM payments") == [
        (2, 1000, "declared")
    ]

    # What one owes and who owes what are for private chats only.
    for person, line in ((c.bruno, "/due"), (c.anna, "/balance"), (c.anna, "/export costs")):
        refused = only(await tg.say(person, line, group), group)
        assert refused.text == f"{line} is private: send it to me in a private chat."
    due = only(await tg.say(c.carla, "/due"), c.carla)
    assert lines(due) == [
        "What you owe",
        "#1 Internet (25 Oct – 24 Nov 2026), due Wed, 25 Nov 2026: €10.00",
        "Still to pay: €10.00. When you've paid, send /paid with the number.",
    ]
    partial = only(await tg.say(c.carla, "/paid 1 4,50"), c.carla)
    assert "you paid €4.50" in partial.text and "Still to pay for this charge: €5.50." in (
        partial.text
    )

    sent = await tg.press(c.anna, to_anna, "Confirm")
    assert only(sent, c.anna).text == (
        "Payment #1 confirmed: Bruno paid €10.00 for Internet (charge #1)."
    )
    assert only(sent, c.bruno).text == (
        "Anna confirmed your payment of €10.00 for Internet (charge #1)."
        " Your share of it is fully paid. Thank you!"
    )
    assert await rows(tg, "SELECT id, state, confirmed_by FROM payments ORDER BY id") == [
        (1, "confirmed", 1),
        (2, "declared", None),
    ]
    assert (
        only(await tg.say(c.bruno, "/due"), c.bruno).text == "You don't owe anything at the moment."
    )

    balance = only(await tg.say(c.anna, "/balance"), c.anna)
    assert lines(balance) == [
        "Open charges",
        "",
        "#1 Internet (25 Oct – 24 Nov 2026): €30.00, due Wed, 25 Nov 2026",
        "• Anna owes €10.00",
        "✓ Bruno: €10.00 paid",
        "• Carla owes €10.00 (€4.50 declared, to confirm: /confirm 2)",
        "",
        "Who owes what",
        "Anna: €10.00",
        "Carla: €10.00",
        "",
        "To record money you've received: /paid <charge> <amount> <member>.",
    ]

    export = only(await tg.say(c.anna, "/export costs"), c.anna)
    assert export.method == "sendDocument"
    assert export.text == "1 charge, all time, with its shares and payments."
    assert export.document is not None and export.document[0] == "costs-all.csv"
    table = list(csv.DictReader(io.StringIO(export.document[1].decode("utf-8-sig"))))
    assert [(r["kind"], r["member"], r["amount"], r["owed"], r["state"]) for r in table] == [
        ("charge", "", "30.00", "", ""),
        ("share", "Anna", "10.00", "10.00", ""),
        ("share", "Bruno", "10.00", "0.00", ""),
        ("share", "Carla", "10.00", "10.00", ""),
        ("payment", "Bruno", "10.00", "", "confirmed"),
        ("payment", "Carla", "4.50", "", "declared"),
    ]
    assert tg.server.errors == []


# -- hostile text ---------------------------------------------------------------------------

HOSTILE_NOTE = "@room @anna_v <b>&</b> &amp; </i> <a href='tg://user?id=1'>x</a>"


@pytest.mark.parametrize("name", ["<b>&</b>", "@room"])
async def test_hostile_names_and_notes_never_break_the_html_nor_ping(
    tg: TelegramBot, name: str
) -> None:
    c = await community(tg, carla=name)
    server, group = tg.server, c.group

    reply = only(await tg.say(c.carla, f"/checkin {HOSTILE_NOTE}", group), group)
    assert reply.text.startswith(f"Welcome, {name}! You checked in at")
    who = only(await tg.say(c.anna, "/who", group), group)
    assert lines(who)[1].replace("\u2060", "") == f"{name} — since 09:00 — {HOSTILE_NOTE}"
    await tg.say(c.carla, "/skills add Excel", group)
    await tg.say(c.bruno, "/skills add Excel", group)
    sent = await tg.say(c.carla, f"/ask Excel: {HOSTILE_NOTE}", group)
    assert HOSTILE_NOTE in only(sent, group).text.replace("\u2060", "")
    assert HOSTILE_NOTE in only(sent, c.bruno).text.replace("\u2060", "")
    listing = only(await tg.say(c.anna, "/whoknows excel", group), group)
    assert f"• {name} — Excel · here now" in lines(listing)
    waiting = only(await tg.say(c.anna, "/requests", group), group)
    assert lines(waiting)[1].replace("\u2060", "") == f"#1 Excel: {HOSTILE_NOTE}"

    # As long as Telegram lets a message be (4096): refused with the limit, not echoed.
    long_note = ("@anna_v <b>&</b> " * 250)[:3999] + "!"  # 4,000 characters
    refused = only(await tg.say(c.bruno, f"/checkin {long_note}", group), group)
    assert refused.text.startswith("Too long: 200 characters at most (you wrote 4000).")
    assert len(refused.text) < 300
    refused = only(await tg.say(c.bruno, f"/ask excel: {long_note}", group), group)
    assert refused.text.startswith("The question is too long: 500 characters")
    assert await rows(tg, "SELECT note FROM visits") == [(HOSTILE_NOTE,)]
    assert await rows(tg, "SELECT question FROM help_requests") == [(HOSTILE_NOTE,)]

    assert server.errors == []  # not one "can't parse entities"
    pings = [(s.text[:40], s.mentions) for s in server.to(group) if s.mentions]
    assert pings == [], "\n".join(map(repr, pings))  # user text in the group pings nobody
