"""Presence, help between peers and shared costs on Matrix, end to end.

Real matrix-nio clients talk to the real Synapse of tests/support/synapse/; the bot is the real
app on the real Matrix transport. People write `!commands` in the room or in their
private room with the bot; each test reads what they received and what was stored.
The last test runs one app on Matrix and Telegram (the fake Bot API server) for a space
bound to both chats, as `[[spaces]]` binds it.

The app's clock is a `RunningClock` set to the day a flow needs: times a test reads are
set on the minute and end times 20 s past it, so the seconds the flow takes never
change a shown minute.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nio import DownloadResponse, RoomCreateResponse

from bot.config import TelegramSection, parse_config
from bot.transports.telegram.limits import TELEGRAM_LIMITS
from bot.transports.telegram.transport import TelegramTransport, Timeouts
from tests.support.fake_telegram import FakeLimits, FakeTelegram, Sent, eventually
from tests.support.synapse.people import MatrixWorld, Person, RunningClock, Said

pytestmark = pytest.mark.synapse

ROME = ZoneInfo("Europe/Rome")
SPEED = 20  # Telegram's limits, 20 times faster, on both sides (as in the Telegram tests)


def rome(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=ROME)


async def start_space(world: MatrixWorld, at: datetime) -> RunningClock:
    """The bot from `at`; Bruno sets the room up (admin), Anna and Carla join."""
    clock = world.bot.clock = RunningClock(at)
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()
    return clock


async def one(world: MatrixWorld, person: Person, text: str, room: str = "") -> Said:
    replies = await world.command(person, text, room=room)
    assert len(replies) == 1, [r.body for r in replies]
    return replies[0]


def body_lines(said: Said) -> list[str]:
    return said.body.split("\n")


async def private(person: Person, world: MatrixWorld, starts: str) -> Said:
    """The bot's first private message to `person` that starts with `starts`."""
    return await person.next_private(lambda s: s.body.startswith(starts), world.room)


async def file_after(person: Person, room: str, count: int) -> Said:
    """The file the bot sends `person` in `room` after the `count` files already there."""

    def files(heard: list[Said]) -> list[Said]:
        return [s for s in heard if s.room_id == room and s.content.get("msgtype") == "m.file"]

    heard = await person.wait_for(lambda h: len(files(h)) > count, "a file")
    return files(heard)[count]


async def download(person: Person, said: Said) -> bytes:
    response = await person.client.download(mxc=said.content["url"])
    assert isinstance(response, DownloadResponse), response
    return bytes(response.body)


async def rows(world: MatrixWorld, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await world.bot.fetchall(sql)]


# -- presence -------------------------------------------------------------------------------


async def test_presence_day_by_matrix_messages_and_the_attendance_file(
    matrix: MatrixWorld,
) -> None:
    world = matrix
    clock = await start_space(world, rome(25, 9))
    anna, bruno, carla = world.anna, world.bruno, world.carla
    a, c = anna.localpart, carla.localpart

    clock.set(rome(25, 10))
    reply = await one(world, anna, "!checkin writing <b>a book</b> & more")
    assert reply.body == f"Welcome, {a}! You checked in at 10:00. You're the first one here."
    assert reply.content["msgtype"] == "m.notice"
    assert reply.content["m.mentions"] == {"user_ids": [anna.user_id]}
    clock.set(rome(25, 10, 5))
    assert (await one(world, carla, "!in")).body.endswith("2 people are in now.")
    hidden = await one(world, carla, "!privacy hidden")
    assert hidden.body.startswith("Your presence is now hidden")
    planned = await one(world, anna, "!going tomorrow")
    assert planned.body == "Noted: you're coming on Thu, 26 Nov 2026."

    who = await one(world, bruno, "!who")
    assert body_lines(who) == [
        "2 people in",
        f"{a} — since 10:00 — writing <b>a book</b> & more",
        "(1 person prefers not to be named)",
        "The space has been open since 10:00.",
    ]
    assert who.html == (
        f"<b>2 people in</b><br>{a} — since 10:00 — "
        "<i>writing &lt;b&gt;a book&lt;/b&gt; &amp; more</i><br>"
        "(1 person prefers not to be named)<br>"
        "The space has been open since 10:00."
    )

    clock.set(rome(25, 12, 30, 20))
    bye = await one(world, anna, "!checkout")
    assert bye.body == f"Bye, {a}! You were here for 2 h 30 min (10:00–12:30)."
    me = await one(world, anna, "!me")
    assert body_lines(me) == [
        "Your visits",
        "November 2026: 1 day, 2 h 30 min",
        "October 2026: no visits",
    ]
    stats = await one(world, bruno, "!stats")
    assert body_lines(stats) == [
        "Veglio — November 2026",
        "Open on 1 day",
        "People per day: 2 on average",
        "Peak: 2 people on Wed, 25 Nov 2026",
        "Each member's days are shown only in private: send me !stats 2026-11 there.",
    ]

    visits = await rows(
        world,
        "SELECT m.display_name, v.local_date, substr(v.checkin_at, 1, 16),"
        " substr(v.checkout_at, 1, 16), v.closed_by, v.note"
        " FROM visits v JOIN members m ON m.id = v.member_id ORDER BY v.id",
    )
    assert visits == [
        (
            a,
            "2026-11-25",
            "2026-11-25T09:00",
            "2026-11-25T11:30",
            "member",
            "writing <b>a book</b> & more",
        ),
        (c, "2026-11-25", "2026-11-25T09:05", None, None, ""),
    ]
    assert await rows(world, "SELECT display_name FROM members WHERE visibility = 'hidden'") == [
        (c,)
    ]
    assert await rows(world, "SELECT local_date FROM planned_visits") == [("2026-11-26",)]

    # The attendance file: refused in the room, an m.file in Bruno's private room.
    refused = await one(world, bruno, "!export attendance")
    assert refused.body == "!export attendance is private: send it to me in a private chat."
    direct = await world.private_room(bruno)
    stats = await one(world, bruno, "!stats", room=direct)
    assert body_lines(stats)[-3:] == ["Days per member", f"{a}: 1 day", f"{c}: 1 day"]
    export = await one(world, bruno, "!export attendance", room=direct)
    assert export.body == "Attendance in November 2026: 2 visits."
    file = await file_after(bruno, direct, 0)
    assert file.body == "attendance-2026-11.csv"
    assert file.content["info"]["mimetype"] == "text/csv"
    assert file.content["m.mentions"] == {}
    assert (await download(bruno, file)).decode("utf-8-sig") == (
        "member,date,in,out,minutes,closed_by,changes\r\n"
        f"{a},2026-11-25,10:00,12:30,150,member,\r\n"
        f"{c},2026-11-25,10:05,,,,\r\n"
    )


# -- help between peers ---------------------------------------------------------------------


async def test_ask_offer_done_thanks_by_matrix_messages(matrix: MatrixWorld) -> None:
    world = matrix
    await start_space(world, rome(25, 9))
    anna, bruno, carla = world.anna, world.bruno, world.carla
    a, b, c = anna.localpart, bruno.localpart, carla.localpart

    added = await one(world, bruno, "!skills add Excel, Contabilità")
    assert body_lines(added) == ["Added: Excel, Contabilità.", "You now have 2 skills."]
    await one(world, carla, "!skills add MS Excel")
    known = await one(world, anna, "!whoknows excel")
    assert body_lines(known) == ["Who knows excel", f"• {b} — Excel", f"• {c} — MS Excel"]

    post = await one(world, anna, "!ask excel: how do I make a pivot table?")
    assert body_lines(post) == [
        f"🙋 #1 {a} asks for help with excel:",
        "how do I make a pivot table?",
        "I told 2 members who know excel, privately.",
        "I can help: !offer 1",  # the button, as the command that does the same
    ]
    assert post.html.endswith("I can help: <code>!offer 1</code>")
    notice = await private(bruno, world, f"🙋 {a} asks for help with excel")
    assert body_lines(notice)[-2:] == ["Can you help? !offer 1", "I can help: !offer 1"]
    await private(carla, world, f"🙋 {a} asks for help with excel")
    requests = await rows(world, "SELECT number, state, helper_id FROM help_requests")
    assert requests == [(1, "open", None)]

    claimed = await one(world, bruno, "!offer 1", room=notice.room_id)
    assert body_lines(claimed) == [
        f"Thank you, {b}! #1 (excel) is yours. Reach {a}: {anna.user_id}.",
        "When it's solved, send !done 1.",
    ]
    assert f'<a href="https://matrix.to/#/{anna.user_id}">' in claimed.html  # a pill
    told = await private(anna, world, f"🤝 {b} will help you with #1 (excel).")
    assert body_lines(told) == [
        f"🤝 {b} will help you with #1 (excel). Reach them: {bruno.user_id}.",
        "Solved: !done 1",
    ]
    late = await one(world, carla, "!offer 1")
    assert late.body == f"{b} has already offered to help with #1. Thanks anyway!"

    solved = await one(world, anna, "!done 1", room=told.room_id)
    assert body_lines(solved) == [
        "#1 is solved. 🎉",
        f"Thank {b} with !thanks 1.",
        "Say thanks: !thanks 1",
    ]
    await private(bruno, world, f"{a} marked #1 (excel) as solved. Thank you for helping!")
    thanked = await one(world, anna, "!thanks 1", room=told.room_id)
    assert thanked.body == f"I've passed your thanks on to {b}. 💐"
    kudos = await private(bruno, world, "💐")
    assert kudos.body == f"💐 {a} thanks you for #1 (excel). You now have 1 kudo."

    assert await rows(world, "SELECT number, state FROM help_requests") == [(1, "resolved")]
    given = await rows(
        world,
        "SELECT h.display_name, g.display_name FROM kudos k"
        " JOIN members h ON h.id = k.helper_id JOIN members g ON g.id = k.given_by",
    )
    assert given == [(b, a)]
    known = await one(world, carla, "!whoknows Excel")
    assert body_lines(known)[1:] == [f"• {b} — Excel · 1 kudo", f"• {c} — MS Excel"]


# -- shared costs ---------------------------------------------------------------------------


async def test_a_cost_charged_paid_and_confirmed_by_matrix_messages(matrix: MatrixWorld) -> None:
    world = matrix
    clock = await start_space(world, rome(1, 10))
    anna, bruno, carla = world.anna, world.bruno, world.carla
    a, b, c = anna.localpart, bruno.localpart, carla.localpart

    added = await one(world, bruno, "!cost add Internet 30 monthly 25")
    assert body_lines(added) == [
        "Cost #1 Internet: €30.00, monthly on day 25, split equally.",
        "First charge on Wed, 25 Nov 2026, for 25 Oct – 24 Nov 2026.",
    ]
    refused = await one(world, carla, "!cost add Cleaning 10 monthly 3")
    assert refused.body == "Only the space's admins can use !cost add."

    # The due date at reminder time: the job makes the charge, each hears in private.
    clock.set(rome(25, 9, 0, 20))
    await world.bot.app.run_jobs()
    notices = {p.localpart: await private(p, world, "Internet, 25 Oct") for p in world.people}
    assert body_lines(notices[a]) == [
        "Internet, 25 Oct – 24 Nov 2026: your share is €10.00 of €30.00 (split equally among 3).",
        "Charge #1. When you've paid, press the button or send !paid 1.",
        "I've paid: !paid 1",
    ]
    shares = await rows(
        world,
        "SELECT m.display_name, s.amount FROM charge_shares s"
        " JOIN members m ON m.id = s.member_id ORDER BY m.id",
    )
    assert shares == [(b, 1000), (a, 1000), (c, 1000)]
    assert await rows(world, "SELECT due_on, amount FROM charges") == [("2026-11-25", 3000)]

    paid = await one(world, anna, "!paid 1", room=notices[a].room_id)
    assert paid.body == (
        "Noted: you paid €10.00 for Internet (charge #1). Payment #1 is waiting for an admin"
        " to confirm it."
    )
    ask = await private(bruno, world, f"{a} says they've paid €10.00")
    assert body_lines(ask)[-1] == "Confirm: !confirm 1"
    assert await rows(world, "SELECT amount, state FROM payments") == [(1000, "declared")]

    # What one owes and who owes what are for private rooms only.
    for person, line in ((carla, "!due"), (bruno, "!balance"), (bruno, "!export costs")):
        refused = await one(world, person, line)
        assert refused.body == f"{line} is private: send it to me in a private chat."
    due = await one(world, carla, "!due", room=notices[c].room_id)
    assert body_lines(due) == [
        "What you owe",
        "#1 Internet (25 Oct – 24 Nov 2026), due Wed, 25 Nov 2026: €10.00",
        "Still to pay: €10.00. When you've paid, send !paid with the number.",
    ]

    confirmed = await one(world, bruno, "!confirm 1", room=ask.room_id)
    assert confirmed.body == f"Payment #1 confirmed: {a} paid €10.00 for Internet (charge #1)."
    thanks = await private(anna, world, f"{b} confirmed your payment")
    assert thanks.body.endswith("Your share of it is fully paid. Thank you!")
    assert await rows(world, "SELECT state FROM payments") == [("confirmed",)]

    balance = await one(world, bruno, "!balance", room=ask.room_id)
    assert body_lines(balance) == [
        "Open charges",
        "",
        "#1 Internet (25 Oct – 24 Nov 2026): €30.00, due Wed, 25 Nov 2026",
        f"✓ {a}: €10.00 paid",  # by name
        f"• {b} owes €10.00",
        f"• {c} owes €10.00",
        "",
        "Who owes what",
        f"{b}: €10.00",
        f"{c}: €10.00",
        "",
        "To record money you've received: !paid <charge> <amount> <member>.",
    ]
    export = await one(world, bruno, "!export costs", room=ask.room_id)
    assert export.body == "1 charge, all time, with its shares and payments."
    file = await file_after(bruno, ask.room_id, 0)
    assert file.body == "costs-all.csv"
    table = list(csv.DictReader(io.StringIO((await download(bruno, file)).decode("utf-8-sig"))))
    assert [(r["kind"], r["member"], r["amount"], r["owed"], r["state"]) for r in table] == [
        ("charge", "", "30.00", "", ""),
        ("share", a, "10.00", "0.00", ""),
        ("share", b, "10.00", "10.00", ""),
        ("share", c, "10.00", "10.00", ""),
        ("payment", a, "10.00", "", "confirmed"),
    ]


# -- hostile text ---------------------------------------------------------------------------


async def test_hostile_names_and_notes_are_escaped_and_ping_nobody(matrix: MatrixWorld) -> None:
    world = matrix
    anna, bruno, carla = world.anna, world.bruno, world.carla
    name = "<b>&</b> @room"
    await carla.client.set_displayname(name)
    world.bot.clock = clock = RunningClock(rome(25, 9))
    await world.bot.start()
    # The bot may notify the whole room here (power 100): only its own care stops @room.
    response = await anna.client.room_create(
        name="Coworking",
        invite=[bruno.user_id, carla.user_id],
        power_level_override={"users": {bruno.user_id: 50, world.bot.user_id: 100}},
    )
    assert isinstance(response, RoomCreateResponse), response
    world.room = response.room_id
    await world.invite_bot(world.room)
    await world.setup_space()
    note = f"@room <b>&</b> &amp; {bruno.user_id} {bruno.localpart}"

    clock.set(rome(25, 10))
    welcome = await one(world, carla, f"!checkin {note}")
    assert welcome.body.startswith(f"Welcome, {name}! You checked in at 10:00.")
    who = await one(world, anna, "!who")
    assert body_lines(who)[1].replace("\u2060", "") == f"{name} — since 10:00 — {note}"
    assert "&lt;b&gt;&amp;&lt;/b&gt; @\u2060room" in who.html  # escaped, and no @room
    await one(world, bruno, "!skills add Excel")
    post = await one(world, carla, f"!ask excel: {note}")
    assert note in post.body.replace("\u2060", "")
    asked = await private(bruno, world, "🙋")
    assert note in asked.body

    long_note = (f"{note} " * 100)[:3999] + "!"  # 4,000 characters
    refused = await one(world, anna, f"!checkin {long_note}")
    assert body_lines(refused) == [
        "Too long: 200 characters at most (you wrote 4000).",
        "Usage: !checkin [HH:MM] [note]",
    ]
    assert await rows(world, "SELECT note FROM visits") == [(note,)]
    assert await rows(world, "SELECT display_name FROM members WHERE id = 3") == [(name,)]

    # Mentions are intentional: a reply names the one who asked, nothing names the room.
    said = [s for p in world.people for s in p.heard]
    assert said and all("room" not in s.content["m.mentions"] for s in said)
    for s in said:
        asker = [p.user_id for p in world.people if s.reply_to in p.sent]
        assert s.content["m.mentions"].get("user_ids", []) in ([], asker), s.body


# -- one space, two platforms ---------------------------------------------------------------


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(limits=FakeLimits().faster(SPEED))
    await fake.start()
    yield fake
    await fake.close()


async def telegram_sent(
    server: FakeTelegram, before: int, found: Callable[[list[Sent]], bool]
) -> list[Sent]:
    """What the bot sent on Telegram since `before`, once `found` holds for it."""

    async def check() -> bool:
        return found(server.sent[before:])

    await eventually(check, within=30)
    return server.sent[before:]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_one_space_in_a_telegram_group_and_a_matrix_room(
    matrix: MatrixWorld, telegram: FakeTelegram
) -> None:
    world = matrix
    anna, bruno = world.anna, world.bruno
    tina = telegram.user("Tina")
    group = telegram.group("Coworking Veglio", creator=tina)
    response = await anna.client.room_create(
        name="Coworking", invite=[bruno.user_id, world.carla.user_id]
    )
    assert isinstance(response, RoomCreateResponse), response
    world.room = response.room_id
    clock = RunningClock(rome(25, 9))
    world.bot.clock = clock
    config = tomllib.loads(
        "[[spaces]]\n"
        'name = "Veglio"\nlanguage = "en"\njoin = "open"\n'
        f"telegram_chat_id = {group.id}\n"
        f'matrix_room = "{world.room}"\n'
        f'admins = ["matrix:{bruno.user_id}"]\n'
    )
    world.bot.spaces = parse_config(config, None, {}).spaces
    world.bot.others = [
        TelegramTransport(
            TelegramSection(token=telegram.token, api_base_url=telegram.base_url),
            clock=clock,
            limits=TELEGRAM_LIMITS.faster(SPEED),
            timeouts=Timeouts(connect=2, read=2, write=2, pool=2, poll=2),
            language="en",
        )
    ]
    await world.bot.start()
    await world.invite_bot(world.room)  # accepted: the room is the space's

    async def tg_say(text: str, found: Callable[[list[Sent]], bool]) -> list[Sent]:
        before = len(telegram.sent)
        await telegram.wait_confirmed(telegram.say(tina, group, text))
        return await telegram_sent(telegram, before, found)

    joined = await tg_say("/join", bool)
    assert joined[0].text.startswith("Welcome to Veglio, Tina!")
    await one(world, anna, "!join")

    # Tina checks in on Telegram: the Matrix room learns it, by name, pinging nobody.
    clock.set(rome(25, 10))
    sent = await tg_say("/checkin fixing the <b>printer</b> @room", bool)
    assert sent[0].text == "Welcome, Tina! You checked in at 10:00. You're the first one here."
    heard = await anna.wait_for(
        lambda h: any(s.room_id == world.room and s.body.startswith("Tina is in") for s in h),
        "the check-in from Telegram",
    )
    announce = next(s for s in heard if s.body.startswith("Tina is in"))
    assert announce.body == "Tina is in: fixing the <b>printer</b> @\u2060room"
    assert announce.html == "Tina is in: <i>fixing the &lt;b&gt;printer&lt;/b&gt; @\u2060room</i>"
    assert announce.content["m.mentions"] == {} and not announce.reply_to

    # Anna checks in on Matrix: the Telegram group learns it.
    clock.set(rome(25, 10, 1))
    before = len(telegram.sent)
    reply = await one(world, anna, "!checkin on the <i>terrace</i>")
    assert reply.body.endswith("2 people are in now.")
    posts = await telegram_sent(telegram, before, bool)
    assert [(p.chat_id, p.text) for p in posts] == [
        (group.id, f"{anna.localpart} is in: on the <i>terrace</i>")
    ]
    note = "on the <i>terrace</i>"
    italic = {"type": "italic", "offset": posts[0].text.index(note), "length": len(note)}
    assert posts[0].entities == [italic]

    who = await tg_say("/who", bool)
    assert who[0].text.split("\n") == [
        "2 people in",
        "Tina — since 10:00 — fixing the <b>printer</b> @\u2060room",
        f"{anna.localpart} — since 10:01 — on the <i>terrace</i>",
        "The space has been open since 10:00.",
    ]

    # Hidden, Tina checks in unannounced: Anna's !who reply, queued after where the
    # announcement would be, comes with no second one before it.
    await tg_say("/privacy hidden", bool)
    await tg_say("/out", bool)
    await tg_say("/in", bool)
    who_here = await one(world, anna, "!who")
    assert body_lines(who_here) == [
        "2 people in",
        f"{anna.localpart} — since 10:01 — on the <i>terrace</i>",
        "(1 person prefers not to be named)",
        "The space has been open since 10:00.",
    ]
    assert [s.body[:10] for s in anna.in_room(world.room) if "is in" in s.body] == ["Tina is in"]

    # Anna asks on Matrix; Tina, who knows, offers with the button in the Telegram group.
    await tg_say("/skills add Excel", bool)
    before = len(telegram.sent)
    await one(world, anna, "!ask excel: pivot tables?")
    sent = await telegram_sent(telegram, before, lambda s: len(s) >= 2)
    post = next(s for s in sent if s.chat_id == group.id)
    assert post.text.startswith(f"🙋 #1 {anna.localpart} asks for help with excel:")
    assert [label for label, _ in post.buttons] == ["I can help"]
    notice = next(s for s in sent if s.chat_id == tina.id)
    assert [label for label, _ in notice.buttons] == ["I can help"]
    before = len(telegram.sent)
    await telegram.wait_confirmed(telegram.press(tina, post, "I can help"))
    claimed = await telegram_sent(telegram, before, bool)
    assert claimed[0].chat_id == group.id
    assert claimed[0].text.startswith(
        f"Thank you, Tina! #1 (excel) is yours. Reach {anna.localpart}: {anna.user_id}."
    )
    told = await private(anna, world, "🤝 Tina will help you with #1 (excel).")
    assert f'<a href="tg://user?id={tina.id}">Tina</a>' in told.html

    identities = await rows(
        world,
        "SELECT m.display_name, i.identity FROM members m"
        " JOIN identities i ON i.member_id = m.id ORDER BY m.id",
    )
    assert (f"{anna.localpart}", f"matrix:{anna.user_id}") in identities
    assert ("Tina", f"telegram:{tina.id}") in identities
    visits = await rows(
        world,
        "SELECT m.display_name, v.note FROM visits v JOIN members m ON m.id = v.member_id"
        " ORDER BY v.id",
    )
    assert visits == [
        ("Tina", "fixing the <b>printer</b> @room"),
        (anna.localpart, "on the <i>terrace</i>"),
        ("Tina", ""),
    ]
    assert await rows(world, "SELECT state FROM help_requests") == [("claimed",)]
    assert telegram.errors == []
