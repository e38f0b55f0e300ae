"""Presence commands through the whole bot: check in and out, who, me, stats, going, privacy."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.testing import BotHarness

ROME = ZoneInfo("Europe/Rome")
MATRIX_ROOM = "!room:example.org"


async def visits(bot: BotHarness) -> list[tuple[str, str, str, str | None, str | None, str]]:
    rows = await bot.fetchall(
        "SELECT m.display_name, v.local_date, v.checkin_at, v.checkout_at, v.closed_by, v.note"
        " FROM visits v JOIN members m ON m.id = v.member_id ORDER BY v.id"
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def bind_matrix_room(bot: BotHarness) -> None:
    """Give the test space a second chat, as a space with a Telegram group and a Matrix room."""
    async with bot.app.store.transaction() as session:
        space = (await session.spaces.all())[0]
        await session.spaces.bind_chat(space.id, "matrix", MATRIX_ROOM)


async def matrix_posts(bot: BotHarness) -> list[str]:
    rows = await bot.fetchall(
        "SELECT html FROM outbox WHERE platform = 'matrix' AND chat_id = ? ORDER BY id",
        (MATRIX_ROOM,),
    )
    return [r["html"] for r in rows]


def at(hour: int, minute: int = 0, day: int = 25, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


async def test_a_full_day_of_the_space(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    bot.clock.set(at(9))
    sent = await bot.say("/checkin writing a book", as_="Bruno")
    assert [s.text for s in sent] == [
        "Welcome, Bruno! You checked in at 09:00. You're the first one here."
    ]
    bot.clock.set(at(9, 30))
    sent = await bot.say("/in", as_="Carla")
    assert sent[0].text.endswith("2 people are in now.")
    bot.clock.set(at(10, 15))
    sent = await bot.say("/checkin", as_="Anna", chat="private")
    assert sent[0].private and "3 people are in now." in sent[0].text

    sent = await bot.say("/who", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "3 people in",
        "Bruno — since 09:00 — writing a book",
        "Carla — since 09:30",
        "Anna — since 10:15",
        "The space has been open since 09:00.",
    ]

    bot.clock.set(at(12, 30))
    sent = await bot.say("/out", as_="Carla")
    assert sent[0].text == "Bye, Carla! You were here for 3 h (09:30–12:30)."
    bot.clock.set(at(18, 5))
    sent = await bot.say("/checkout", as_="Bruno")
    assert sent[0].text == "Bye, Bruno! You were here for 9 h 05 min (09:00–18:05)."
    bot.clock.set(at(18, 40))
    await bot.say("/checkout", as_="Anna")

    sent = await bot.say("/who", as_="Bruno")
    assert sent[0].text == "Nobody's in right now.\nThe space has been closed since 18:40."
    assert await visits(bot) == [
        (
            "Bruno",
            "2026-11-25",
            "2026-11-25T08:00:00Z",
            "2026-11-25T17:05:00Z",
            "member",
            "writing a book",
        ),
        ("Carla", "2026-11-25", "2026-11-25T08:30:00Z", "2026-11-25T11:30:00Z", "member", ""),
        ("Anna", "2026-11-25", "2026-11-25T09:15:00Z", "2026-11-25T17:40:00Z", "member", ""),
    ]

    # A second day with Bruno alone, then a look back.
    bot.clock.set(at(9, 0, day=26))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(at(11, 0, day=26))
    await bot.say("/out", as_="Bruno")
    sent = await bot.say("/me", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "Your visits",
        "November 2026: 2 days, 11 h 05 min",
        "October 2026: no visits",
    ]
    sent = await bot.say("/stats", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "Veglio — November 2026",
        "Open on 2 days",
        "People per day: 2 on average",
        "Peak: 3 people on Wed, 25 Nov 2026",
    ]
    # Per-member days: admins only, and only in private.
    sent = await bot.say("/stats 2026-11", as_="Anna")
    assert "Days per member" not in sent[0].text
    assert "only in private" in sent[0].text
    sent = await bot.say("/stats 2026-11", as_="Anna", chat="private")
    assert sent[0].text.splitlines()[-4:] == [
        "Days per member",
        "Bruno: 2 days",
        "Anna: 1 day",
        "Carla: 1 day",
    ]
    sent = await bot.say("/stats 2026-11", as_="Bruno", chat="private")
    assert "Days per member" not in sent[0].text and "private" not in sent[0].text


async def test_me_counts_an_open_visit_and_last_month(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    bot.clock.set(at(9, 0, day=30, month=10))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(at(13, 0, day=30, month=10))
    await bot.say("/out", as_="Bruno")
    bot.clock.set(at(9, 0, day=2))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(at(10, 30, day=2))
    sent = await bot.say("/me", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "Your visits",
        "November 2026: 1 day, 1 h 30 min",
        "October 2026: 1 day, 4 h",
        "You've been in since 09:00.",
    ]


async def test_double_checkin_opens_no_second_visit_and_updates_the_note(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    bot.clock.set(at(9, 10))
    await bot.say("/checkin first note", as_="Bruno")
    bot.clock.set(at(11, 0))
    sent = await bot.say("/checkin second note", as_="Bruno")
    assert [s.text for s in sent] == [
        "Note updated: second note. You're already checked in, since 09:10."
    ]
    sent = await bot.say("/in", as_="Bruno", chat="private")
    assert sent[0].text == "You're already checked in, since 09:10."
    assert await visits(bot) == [
        ("Bruno", "2026-11-25", "2026-11-25T08:10:00Z", None, None, "second note")
    ]


async def test_checkout_when_not_in(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/checkout", as_="Bruno")
    assert [s.text for s in sent] == ["You're not checked in. Send /checkin when you arrive."]
    await bot.say("/in", as_="Bruno")
    await bot.say("/out", as_="Bruno")
    sent = await bot.say("/out", as_="Bruno")
    assert sent[0].text.startswith("You're not checked in.")
    assert len(await visits(bot)) == 1


async def test_capacity_counts_desks_and_still_records_when_full(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/set capacity 2", as_="Anna")
    sent = await bot.say("/in", as_="Bruno")
    assert sent[0].text.endswith("You're the first one here. 1 desk left.")
    sent = await bot.say("/in", as_="Carla")
    assert sent[0].text.endswith(
        "2 people are in now. You took the last desk: the space is now full."
    )
    sent = await bot.say("/in", as_="Anna")
    assert sent[0].text.endswith(
        "3 people are in now. The space is full: 3 people for 2 desks."
        " I've still recorded your visit."
    )
    assert [v[0] for v in await visits(bot)] == ["Bruno", "Carla", "Anna"]
    sent = await bot.say("/who", as_="Bruno")
    assert sent[0].text.splitlines()[0] == "3 people in (2 desks)"
    # A desk freed is a desk left again.
    await bot.say("/out", as_="Carla")
    await bot.say("/out", as_="Anna")
    sent = await bot.say("/in", as_="Carla")
    assert sent[0].text.endswith(
        "2 people are in now. You took the last desk: the space is now full."
    )


async def test_hidden_members_are_counted_not_named(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario"])
    await bind_matrix_room(bot)
    sent = await bot.say("/privacy", as_="Carla")
    assert sent[0].text == "Your presence is shown by name. To hide it: /privacy hidden"
    sent = await bot.say("/privacy hidden", as_="Carla")
    assert sent[0].text.startswith("Your presence is now hidden")
    await bot.say("/privacy hidden", as_="Dario", chat="private")
    rows = await bot.fetchall("SELECT display_name, visibility FROM members ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("Anna", "visible"),
        ("Bruno", "visible"),
        ("Carla", "hidden"),
        ("Dario", "hidden"),
    ]

    await bot.say("/in at the window", as_="Bruno")
    sent = await bot.say("/in secret project", as_="Carla")
    assert len(sent) == 1  # the reply only
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text.splitlines() == [
        "2 people in",
        "Bruno — since 09:00 — at the window",
        "(1 person prefers not to be named)",
        "The space has been open since 09:00.",
    ]
    await bot.say("/in", as_="Dario")
    sent = await bot.say("/who", as_="Carla")
    assert sent[0].text.splitlines()[-2] == "(2 people prefer not to be named)"
    assert "Carla" not in sent[0].text and "secret" not in sent[0].text
    # Only Bruno's check-in went to the other chat.
    posts = await matrix_posts(bot)
    assert len(posts) == 1 and "Bruno" in posts[0]

    sent = await bot.say("/privacy", as_="Carla")
    assert sent[0].text == "Your presence is hidden. To show it: /privacy visible"
    await bot.say("/privacy visible", as_="Carla")
    sent = await bot.say("/who", as_="Anna")
    assert "Carla — since 09:00 — secret project" in sent[0].text.splitlines()
    sent = await bot.say("/privacy maybe", as_="Carla")
    assert sent[0].text.startswith("“maybe” isn't one of: visible, hidden, public.")


async def test_group_checkin_is_announced_in_the_other_chat_without_mentions(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bind_matrix_room(bot)
    sent = await bot.say("/checkin ask @room and @carla about <b>bold</b>", as_="Bruno")
    # The group where it was said gets the reply only, no echo of the announcement.
    assert [s.to for s in sent] == ["group"]
    assert sent[0].text.startswith("Welcome, Bruno")
    posts = await matrix_posts(bot)
    assert posts == [
        "Bruno is in: <i>ask @\u2060room and @\u2060carla about &lt;b&gt;bold&lt;/b&gt;</i>"
    ]
    # A check-in in private stays private.
    await bot.say("/out", as_="Bruno")
    await bot.say("/in", as_="Bruno", chat="private")
    assert len(await matrix_posts(bot)) == 1
    # With no other chat bound there is nothing to announce to.
    await bot.say("/out", as_="Bruno")
    async with bot.app.store.transaction() as session:
        await session.tx.execute("DELETE FROM space_chats WHERE platform = 'matrix'")
    before = await bot.count("outbox")
    sent = await bot.say("/in", as_="Bruno")
    assert len(sent) == 1
    assert await bot.count("outbox") == before + 1


async def test_going_plans_a_day_and_who_shows_it(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario"])
    sent = await bot.say("/going tomorrow", as_="Bruno")
    assert sent[0].text == "Noted: you're coming on Thu, 26 Nov 2026."
    sent = await bot.say("/going 26/11/2026", as_="Carla")
    assert sent[0].text == "Noted: you're coming on Thu, 26 Nov 2026. Also coming: Bruno."
    sent = await bot.say("/going 2026-11-26", as_="Bruno")
    assert sent[0].text == "You'd already said you're coming on Thu, 26 Nov 2026."
    await bot.say("/privacy hidden", as_="Dario")
    await bot.say("/going tomorrow", as_="Dario")
    sent = await bot.say("/going tomorrow", as_="Anna")
    assert sent[0].text.endswith("Also coming: Bruno, Carla, 1 other person.")
    rows = await bot.fetchall(
        "SELECT m.display_name, p.local_date FROM planned_visits p"
        " JOIN members m ON m.id = p.member_id ORDER BY p.id"
    )
    assert [tuple(r) for r in rows] == [
        ("Bruno", "2026-11-26"),
        ("Carla", "2026-11-26"),
        ("Dario", "2026-11-26"),
        ("Anna", "2026-11-26"),
    ]
    sent = await bot.say("/notgoing tomorrow", as_="Anna")
    assert sent[0].text == "Okay: you're no longer expected on Thu, 26 Nov 2026."
    sent = await bot.say("/notgoing tomorrow", as_="Anna")
    assert sent[0].text == "You hadn't said you were coming on Thu, 26 Nov 2026."

    # Today nobody planned: who says nothing about it.
    sent = await bot.say("/who", as_="Bruno")
    assert sent[0].text == "Nobody's in right now.\nThe space is closed."
    # Tomorrow the plan shows under who, until the person arrives.
    bot.clock.set(at(8, 30, day=26))
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text.splitlines() == [
        "Nobody's in right now.",
        "The space is closed.",
        "",
        "Coming today",
        "Bruno, Carla, 1 other person",
    ]
    await bot.say("/in", as_="Bruno")
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text.splitlines()[-2:] == ["Coming today", "Carla, 1 other person"]
    await bot.say("/out", as_="Bruno")  # came and went: no longer "coming"
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text.splitlines()[-1] == "Carla, 1 other person"
    # Going today while in is answered, not stored.
    await bot.say("/in", as_="Carla")
    sent = await bot.say("/going", as_="Carla")
    assert sent[0].text == "You're already checked in today."
    # Going with no date means today.
    sent = await bot.say("/going", as_="Anna")
    assert sent[0].text.startswith("Noted: you're coming on Thu, 26 Nov 2026.")


async def test_bad_input_is_refused_and_changes_nothing(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/stats 2026-13", as_="Bruno")
    assert sent[0].text == (
        "“2026-13” isn't a month: write it as YYYY-MM, e.g. 2026-11.\nUsage: /stats [YYYY-MM]"
    )
    sent = await bot.say("/going yesterday", as_="Bruno")
    assert sent[0].text == "Tue, 24 Nov 2026 is in the past: pick today or a later day."
    sent = await bot.say("/going 31/02/2027", as_="Bruno")
    assert sent[0].text == "31/02/2027 doesn't exist in the calendar.\nUsage: /going [date]"
    sent = await bot.say("/going soon", as_="Bruno")
    assert sent[0].text.startswith("“soon” isn't a date")
    sent = await bot.say("/going 2027-06-01", as_="Bruno")
    assert sent[0].text == "That's too far ahead: you can plan up to 90 days ahead."
    sent = await bot.say("/checkin " + "x" * 201, as_="Bruno")
    assert sent[0].text == (
        "Too long: 200 characters at most (you wrote 201).\nUsage: /checkin [HH:MM] [note]"
    )
    sent = await bot.say("/checkout now please", as_="Bruno")
    assert sent[0].text.startswith("“now” isn't a time: write HH:MM, e.g. 18:30.")
    sent = await bot.say("/checkout 18:30 please", as_="Bruno")
    assert sent[0].text.startswith("Too many words.")
    sent = await bot.say("/export attendance 2026-11", as_="Bruno", chat="private")
    assert sent[0].text == "Only the space's admins can use /export attendance."
    sent = await bot.say("/checkin", as_="Zoe")
    assert sent[0].text == "This is for members. Send /join in the group to become one."
    sent = await bot.say("/who", as_="Zoe", chat="private")
    assert "/join" in sent[0].text
    assert await visits(bot) == []
    assert await bot.count("planned_visits") == 0
    # A note of exactly 200 characters is fine, and whitespace in it is tidied.
    sent = await bot.say("/checkin " + "y" * 198 + "\tz", as_="Bruno")
    assert sent[0].text.startswith("Welcome, Bruno")
    assert (await visits(bot))[0][5] == "y" * 198 + " z"


async def test_italian(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/set language it", as_="Anna")
    await bot.say("/set capacity 3", as_="Anna")
    sent = await bot.say("/checkin", as_="Bruno")
    assert sent[0].text == (
        "Ciao Bruno, sei dentro dalle 09:00. Per ora ci sei solo tu. Restano 2 postazioni."
    )
    await bot.say("/privacy hidden", as_="Carla")
    await bot.say("/in", as_="Carla")
    sent = await bot.say("/who", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "2 persone dentro (3 postazioni)",
        "Bruno — dalle 09:00",
        "(1 persona preferisce non comparire per nome)",
        "Lo spazio è aperto dalle 09:00.",
    ]
    bot.clock.set(at(17, 45))
    sent = await bot.say("/out", as_="Bruno")
    assert sent[0].text == "Ciao Bruno, hai passato 8 h 45 min allo spazio (09:00–17:45)."
    sent = await bot.say("/me", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "Le tue presenze",
        "novembre 2026: 1 giorno, 8 h 45 min",
        "ottobre 2026: nessuna presenza",
    ]
    sent = await bot.say("/stats 2026-13", as_="Bruno")
    assert sent[0].text.startswith("“2026-13” non è un mese")
    sent = await bot.say("/going ieri", as_="Bruno")
    assert sent[0].text == "mar 24 nov 2026 è già passato: scegli oggi o un giorno successivo."
    sent = await bot.say("/stats", as_="Bruno")
    assert sent[0].text.splitlines()[1:] == [
        "Aperto 1 giorno",
        "Persone al giorno: 2 in media",
        "Massimo: 2 persone il mer 25 nov 2026",
    ]


async def test_presence_commands_are_listed_in_help(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/help", as_="Bruno")
    for line in (
        "/checkin [HH:MM] [note]",
        "/checkout",
        "/who",
        "/me",
        "/stats [YYYY-MM]",
        "/going [date]",
    ):
        assert line in sent[0].text
    assert "/export attendance" not in sent[0].text
    sent = await bot.say("/help", as_="Anna", chat="private")
    assert "/export attendance [YYYY-MM] — the visits of a month as a CSV file (private)" in (
        sent[0].text
    )
    sent = await bot.say("/help in", as_="Bruno")
    assert sent[0].text.startswith("/checkin [HH:MM] [note]")
