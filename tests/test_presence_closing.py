"""The closing-time job: visits end at closing time or at 23:59 of their day, exactly once.

Moved with the FakeClock through a normal day, both daylight-saving days in Europe/Rome,
a visit crossing midnight and restarts; and once through the real APScheduler.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Runtime
from bot.scheduler import Scheduler
from bot.testing import BotHarness
from handlers.presence.closing import closing_job

ROME = ZoneInfo("Europe/Rome")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)  # type: ignore[misc]


async def visit_rows(bot: BotHarness) -> list[tuple[str, str, str, str | None, str | None]]:
    rows = await bot.fetchall(
        "SELECT m.display_name, v.local_date, v.checkin_at, v.checkout_at, v.closed_by"
        " FROM visits v JOIN members m ON m.id = v.member_id ORDER BY v.id"
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def space_with_closing(bot: BotHarness, closing: str | None = "20:00") -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario"])
    if closing:
        await bot.say(f"/set closing {closing}", as_="Anna")


async def test_closing_time_on_a_normal_day(bot: BotHarness) -> None:
    await space_with_closing(bot)
    bot.clock.set(rome(2026, 11, 25, 9, 0))
    await bot.say("/in", as_="Bruno")
    await bot.say("/in", as_="Carla")
    await bot.say("/in", as_="Dario")
    bot.clock.set(rome(2026, 11, 25, 12, 0))
    await bot.say("/out", as_="Carla")
    await bot.say("/leave", as_="Dario")

    bot.clock.set(rome(2026, 11, 25, 19, 59))
    assert await bot.tick() == []
    assert (await visit_rows(bot))[0][3] is None

    # The tick comes late: the visit still ends at 20:00, not at the tick.
    bot.clock.set(rome(2026, 11, 25, 20, 7))
    sent = await bot.tick()
    assert [(s.to, s.private, s.text) for s in sent] == [
        (
            "bruno",
            True,
            "It's closing time at Veglio: I checked you out at 20:00. You were here for 11 h.",
        ),
    ]
    assert await visit_rows(bot) == [
        ("Bruno", "2026-11-25", "2026-11-25T08:00:00Z", "2026-11-25T19:00:00Z", "closing"),
        ("Carla", "2026-11-25", "2026-11-25T08:00:00Z", "2026-11-25T11:00:00Z", "member"),
        # Dario left the space at noon: leaving ended his visit then.
        ("Dario", "2026-11-25", "2026-11-25T08:00:00Z", "2026-11-25T11:00:00Z", "member"),
    ]
    # Once: more ticks, later ticks, a restart, change nothing and say nothing.
    assert await bot.tick(timedelta(minutes=1)) == []
    await bot.restart()
    assert await bot.tick(timedelta(hours=1)) == []
    assert len(bot.inbox("Bruno")) == 0  # the new harness transport starts empty
    assert await bot.fetchval("SELECT COUNT(*) FROM outbox WHERE member_id IS NOT NULL") == 1
    sent = await bot.say("/checkout", as_="Bruno")
    assert sent[0].text.startswith("You're not checked in.")


async def test_closing_happens_once_when_the_bot_was_down_at_closing_time(
    bot: BotHarness,
) -> None:
    await space_with_closing(bot)
    await bot.say("/lang it", as_="Bruno")
    bot.clock.set(rome(2026, 11, 25, 9, 30))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(rome(2026, 11, 25, 19, 0))
    assert await bot.tick() == []
    bot.clock.set(rome(2026, 11, 25, 22, 15))  # down from 19:00 to 22:15
    await bot.restart()
    sent = await bot.tick()  # what the scheduler does at start
    assert [s.text for s in sent] == [
        "È l'orario di chiusura di Veglio: ho registrato la tua uscita alle 20:00."
        " Hai passato 10 h 30 min allo spazio."
    ]
    assert (await visit_rows(bot))[0][3:] == ("2026-11-25T19:00:00Z", "closing")
    await bot.restart()
    assert await bot.tick() == []
    assert await bot.fetchval("SELECT COUNT(*) FROM outbox WHERE member_id IS NOT NULL") == 1


async def test_closing_on_the_spring_forward_day(bot: BotHarness) -> None:
    """2027-03-28: 02:00 CET becomes 03:00 CEST; 20:00 that evening is 18:00 UTC."""
    await space_with_closing(bot)
    bot.clock.set(rome(2027, 3, 28, 0, 30))  # CET, 23:30 UTC the day before
    sent = await bot.say("/in", as_="Bruno")
    assert "checked in at 00:30" in sent[0].text
    bot.clock.set(rome(2027, 3, 28, 9, 0))  # CEST
    await bot.say("/in", as_="Carla")
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text.splitlines()[1:] == [
        "Bruno — since 00:30",
        "Carla — since 09:00",
        "The space has been open since 00:30.",
    ]

    bot.clock.set(utc(2027, 3, 28, 17, 59))  # 19:59 CEST
    assert await bot.tick() == []
    bot.clock.set(utc(2027, 3, 28, 18, 0))  # 20:00 CEST
    sent = await bot.tick()
    assert sorted((s.to, s.text) for s in sent) == [
        (
            "bruno",
            "It's closing time at Veglio: I checked you out at 20:00."
            " You were here for 18 h 30 min.",
        ),
        (
            "carla",
            "It's closing time at Veglio: I checked you out at 20:00. You were here for 11 h.",
        ),
    ]
    assert await visit_rows(bot) == [
        ("Bruno", "2027-03-28", "2027-03-27T23:30:00Z", "2027-03-28T18:00:00Z", "closing"),
        ("Carla", "2027-03-28", "2027-03-28T07:00:00Z", "2027-03-28T18:00:00Z", "closing"),
    ]
    # Open and closed follow the visits across the change of hour, in local time.
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text.splitlines()[-1] == "The space has been closed since 20:00."
    assert await bot.tick(timedelta(hours=2)) == []


async def test_closing_on_the_fall_back_day(bot: BotHarness) -> None:
    """2027-10-31: 03:00 CEST becomes 02:00 CET; 20:00 that evening is 19:00 UTC."""
    await space_with_closing(bot)
    bot.clock.set(rome(2027, 10, 31, 0, 30))  # CEST, 22:30 UTC the day before
    await bot.say("/in", as_="Bruno")

    bot.clock.set(utc(2027, 10, 31, 18, 0))  # 19:00 CET: a summer-time job would close now
    assert await bot.tick() == []
    bot.clock.set(utc(2027, 10, 31, 18, 59))  # 19:59 CET
    assert await bot.tick() == []
    bot.clock.set(utc(2027, 10, 31, 19, 0))  # 20:00 CET
    sent = await bot.tick()
    assert [s.text for s in sent] == [
        "It's closing time at Veglio: I checked you out at 20:00. You were here for 20 h 30 min."
    ]
    assert await visit_rows(bot) == [
        ("Bruno", "2027-10-31", "2027-10-30T22:30:00Z", "2027-10-31T19:00:00Z", "closing"),
    ]
    sent = await bot.say("/me", as_="Bruno")
    assert "October 2027: 1 day, 20 h 30 min" in sent[0].text.splitlines()


async def test_a_visit_crossing_midnight_is_cut_at_2359_and_flagged(bot: BotHarness) -> None:
    await space_with_closing(bot, closing=None)
    bot.clock.set(rome(2026, 11, 25, 22, 0))
    await bot.say("/in late shift", as_="Bruno")
    bot.clock.set(rome(2026, 11, 25, 23, 58))
    assert await bot.tick() == []

    bot.clock.set(rome(2026, 11, 26, 0, 10))
    sent = await bot.tick()
    assert [(s.to, s.text) for s in sent] == [
        (
            "bruno",
            "Your visit to Veglio on Wed, 25 Nov 2026 was still open at the end of the day: "
            "I closed it at 23:59 (1 h 59 min). If you're still there, check in again.",
        )
    ]
    assert await visit_rows(bot) == [
        ("Bruno", "2026-11-25", "2026-11-25T21:00:00Z", "2026-11-25T22:59:00Z", "midnight"),
    ]
    assert await bot.tick(timedelta(hours=5)) == []
    # The next day is a day of its own.
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text == (
        "Nobody's in right now.\nThe space has been closed since Wed, 25 Nov 2026, 23:59."
    )
    sent = await bot.say("/in", as_="Bruno")
    assert sent[0].text.startswith("Welcome, Bruno! You checked in at 05:10.")
    rows = await visit_rows(bot)
    assert rows[1][:2] == ("Bruno", "2026-11-26")
    sent = await bot.say("/stats 2026-11", as_="Bruno")
    assert "Open on 2 days" in sent[0].text
    sent = await bot.say("/me", as_="Bruno")
    assert "November 2026: 2 days, 1 h 59 min" in sent[0].text


async def test_midnight_cut_on_both_daylight_saving_days(bot: BotHarness) -> None:
    await space_with_closing(bot, closing=None)
    bot.clock.set(rome(2027, 3, 28, 1, 0))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(utc(2027, 3, 28, 21, 58))  # 23:58 CEST
    assert await bot.tick() == []
    bot.clock.set(utc(2027, 3, 28, 21, 59))  # 23:59 CEST
    sent = await bot.tick()
    assert "I closed it at 23:59 (21 h 59 min)" in sent[0].text  # 01:00 CET → 23:59 CEST

    bot.clock.set(rome(2027, 10, 31, 1, 0))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(utc(2027, 10, 31, 22, 58))  # 23:58 CET
    assert await bot.tick() == []
    bot.clock.set(utc(2027, 10, 31, 22, 59))  # 23:59 CET
    sent = await bot.tick()
    assert "I closed it at 23:59 (23 h 59 min)" in sent[0].text  # 01:00 CEST → 23:59 CET
    assert [r[3:] for r in await visit_rows(bot)] == [
        ("2027-03-28T21:59:00Z", "midnight"),
        ("2027-10-31T22:59:00Z", "midnight"),
    ]


async def test_a_check_in_after_closing_time_runs_to_the_end_of_the_day(bot: BotHarness) -> None:
    await space_with_closing(bot)
    bot.clock.set(rome(2026, 11, 25, 21, 0))
    await bot.say("/in", as_="Bruno")
    assert await bot.tick(timedelta(minutes=30)) == []
    bot.clock.set(rome(2026, 11, 25, 23, 59))
    sent = await bot.tick()
    assert "I closed it at 23:59 (2 h 59 min)" in sent[0].text
    assert (await visit_rows(bot))[0][3:] == ("2026-11-25T22:59:00Z", "midnight")


async def test_commands_see_closed_visits_before_any_tick(bot: BotHarness) -> None:
    """A command that comes before the job's tick closes what is due itself, once."""
    await space_with_closing(bot)
    bot.clock.set(rome(2026, 11, 25, 10, 0))
    await bot.say("/in", as_="Bruno")
    await bot.say("/in", as_="Carla")
    bot.clock.set(rome(2026, 11, 25, 20, 0, 30))
    sent = await bot.say("/out", as_="Bruno")
    assert sorted((s.to, s.text) for s in sent) == [
        (
            "carla",
            "It's closing time at Veglio: I checked you out at 20:00. You were here for 10 h.",
        ),
        (
            "group",
            "I'd already checked you out at closing time, 20:00: you were here for 10 h.",
        ),
    ]
    assert bot.inbox("Bruno") == []  # answered where he asked, not twice
    assert [s.text for s in bot.inbox("Carla")] == [
        "It's closing time at Veglio: I checked you out at 20:00. You were here for 10 h."
    ]
    assert await bot.tick() == []
    assert [r[3:] for r in await visit_rows(bot)] == [
        ("2026-11-25T19:00:00Z", "closing"),
        ("2026-11-25T19:00:00Z", "closing"),
    ]

    # Next morning, a visit left open from a space with no closing time.
    await bot.say("/set closing off", as_="Anna")
    bot.clock.set(rome(2026, 11, 25, 21, 0))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(rome(2026, 11, 26, 8, 0))
    sent = await bot.say("/checkout", as_="Bruno", chat="private")
    assert sent[0].text == (
        "Your visit on Wed, 25 Nov 2026 was closed at 23:59, the end of that day: "
        "it counts 2 h 59 min."
    )
    assert len(bot.inbox("Bruno")) == 1  # that answer only
    # A stale visit does not block the next check-in; its owner is told once.
    bot.clock.set(rome(2026, 11, 26, 9, 0))
    await bot.say("/in", as_="Carla")
    bot.clock.set(rome(2026, 11, 27, 9, 0))
    sent = await bot.say("/in", as_="Carla")
    notice, reply = sent
    assert notice.private and "I closed it at 23:59 (14 h 59 min)" in notice.text
    assert reply.text.startswith(
        "Welcome, Carla! You checked in at 09:00. You're the first one here."
    )
    assert await bot.tick() == []


async def test_the_job_closes_every_space(bot: BotHarness) -> None:
    """Called directly with a moved clock: each space by its own closing time and zone."""
    await space_with_closing(bot)
    bot.clock.set(rome(2026, 11, 25, 9, 0))
    await bot.say("/in", as_="Bruno")
    async with bot.app.store.transaction() as session:
        other = await session.spaces.create(
            "Lisbon", bot.clock.now(), timezone="Europe/Lisbon", closing_time="18:00"
        )
        member = await session.members.create(
            other.id,
            "memory:carla",
            "Carla",
            bot.clock.now(),
            status="active",  # type: ignore[arg-type]
        )
        await session.presence.check_in(
            other.id, member.id, bot.clock.now().date(), bot.clock.now(), ""
        )
    bot.clock.set(utc(2026, 11, 25, 18, 0))  # 18:00 in Lisbon, 19:00 in Rome
    await closing_job(bot.app.rt)
    rows = await bot.fetchall("SELECT space_id, checkout_at, closed_by FROM visits ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (1, None, None),
        (other.id, "2026-11-25T18:00:00Z", "closing"),
    ]
    bot.clock.set(utc(2026, 11, 25, 19, 0))
    await closing_job(bot.app.rt)
    rows = await bot.fetchall("SELECT checkout_at FROM visits ORDER BY id")
    assert [r[0] for r in rows] == ["2026-11-25T19:00:00Z", "2026-11-25T18:00:00Z"]


async def test_closing_job_through_the_real_apscheduler(bot: BotHarness) -> None:
    await space_with_closing(bot)
    bot.clock.set(rome(2026, 11, 25, 9, 0))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(rome(2026, 11, 25, 20, 30))

    registered = next(j for j in bot.app.registry.jobs if j.id == "presence.closing")
    assert registered.every == timedelta(minutes=1)
    idle = asyncio.Event()
    idle.set()
    running = 0

    async def counted(rt: Runtime) -> None:
        nonlocal running
        running += 1
        idle.clear()
        try:
            await registered.func(rt)
        finally:
            running -= 1
            if not running:
                idle.set()

    runs = 0
    enough = asyncio.Event()

    def done() -> None:
        nonlocal runs
        runs += 1
        if runs >= 4:
            enough.set()

    job = replace(registered, every=timedelta(milliseconds=20), func=counted)
    scheduler = Scheduler([job], bot.app.rt, on_done=done)
    scheduler.start()
    try:
        await asyncio.wait_for(enough.wait(), 60)
    finally:
        await scheduler.stop()
    await idle.wait()  # a run already started when the scheduler stopped ends first
    await bot.app.outbox.flush()

    assert runs >= 4
    assert [s.text for s in bot.inbox("Bruno")] == [
        "It's closing time at Veglio: I checked you out at 20:00. You were here for 11 h."
    ]
    assert (await visit_rows(bot))[0][3:] == ("2026-11-25T19:00:00Z", "closing")
