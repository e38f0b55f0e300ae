"""Fixing visits: members give the time they really came or left (today, not in the
future, not across their other visits), admins fix or remove any visit, and every
change stays in the visit's history and in the attendance export. Hidden members'
check-ins are answered privately and announced nowhere; a repeated check-in with a
note updates the note."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest

from bot.testing import ROME, BotHarness
from storage import open_database
from storage.db import load_migrations
from tests.support.postgres import PostgresServer

T0 = "2026-11-01T08:00:00Z"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


async def visits(bot: BotHarness) -> list[tuple[str, str | None, str | None]]:
    rows = await bot.fetchall(
        "SELECT local_date, checkin_at, checkout_at, closed_by FROM visits ORDER BY checkin_at"
    )
    return [tuple(r) for r in rows]


async def changes(bot: BotHarness) -> list[tuple[object, ...]]:
    rows = await bot.fetchall(
        "SELECT visit_id, old_checkin_at, old_checkout_at, new_checkin_at, new_checkout_at,"
        " changed_by, changed_at FROM visit_changes ORDER BY id"
    )
    return [tuple(r) for r in rows]


async def test_checkin_and_checkout_at_a_time_of_today(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    bot.clock.set(at(25, 9, 40))
    sent = await bot.say("/checkin 09:00 deep work", as_="Bruno")
    assert sent[0].text == "Welcome, Bruno! You checked in at 09:00. You're the first one here."
    bot.clock.set(at(25, 19, 10))
    sent = await bot.say("/checkout 18:30", as_="Bruno")
    assert sent[0].text == "Bye, Bruno! You were here for 9 h 30 min (09:00–18:30)."
    assert await visits(bot) == [
        ("2026-11-25", "2026-11-25T08:00:00Z", "2026-11-25T17:30:00Z", "member")
    ]
    assert await bot.fetchval("SELECT note FROM visits") == "deep work"
    assert await changes(bot) == [
        (1, None, None, "2026-11-25T08:00:00Z", None, 2, "2026-11-25T08:40:00Z"),
        (1, "2026-11-25T08:00:00Z", None, "2026-11-25T08:00:00Z", "2026-11-25T17:30:00Z", 2,
         "2026-11-25T18:10:00Z"),
    ]  # fmt: skip


async def test_checkout_at_a_time_fixes_a_visit_closed_by_the_closing_time(
    bot: BotHarness,
) -> None:
    """Forgot to check out: closing time ended the visit at 20:00; the member says 18:30."""
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/set closing_time 20:00", as_="Anna")
    bot.clock.set(at(25, 9))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(at(25, 21))
    await bot.tick()
    sent = await bot.say("/checkout 18:30", as_="Bruno", chat="private")
    assert sent[0].text == (
        "Fixed: your visit today is now 09:00–18:30 (9 h 30 min); it said 20:00."
    )
    assert (await visits(bot))[0][2:] == ("2026-11-25T17:30:00Z", "member")
    assert (await changes(bot))[-1][1:5] == (
        "2026-11-25T08:00:00Z",
        "2026-11-25T19:00:00Z",
        "2026-11-25T08:00:00Z",
        "2026-11-25T17:30:00Z",
    )


async def test_times_in_the_future_or_across_visits_are_refused_and_change_nothing(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    bot.clock.set(at(25, 9))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(at(25, 12))
    await bot.say("/out", as_="Bruno")
    bot.clock.set(at(25, 14))
    before = (await visits(bot), await changes(bot))
    for line, answer in [
        ("/checkin 15:00", "It isn't 15:00 yet today: give a time that has passed."),
        ("/checkin 11:00", "11:00 is before 12:00, where your visit of today stands"),
        ("/checkin 25:00", "“25:00” isn't a time: write HH:MM, e.g. 18:30."),
        ("/checkout 08:00", "08:00 is before 09:00, where your visit of today stands"),
        ("/checkout 14:30", "It isn't 14:30 yet today"),
        ("/checkout lunch", "“lunch” isn't a time"),
    ]:
        sent = await bot.say(line, as_="Bruno")
        assert sent[0].text.startswith(answer), (line, sent[0].text)
    assert (await visits(bot), await changes(bot)) == before
    sent = await bot.say("/checkin 12:30", as_="Bruno")  # after the last check-out: fine
    assert sent[0].text.startswith("Welcome, Bruno! You checked in at 12:30.")


async def test_checkin_again_moves_the_time_or_updates_the_note(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    bot.clock.set(at(25, 9, 40))
    await bot.say("/in", as_="Bruno")
    sent = await bot.say("/in on the terrace", as_="Bruno")
    assert sent[0].text == "Note updated: on the terrace. You're already checked in, since 09:40."
    assert await bot.fetchval("SELECT note FROM visits") == "on the terrace"
    sent = await bot.say("/in 09:05", as_="Bruno")
    assert sent[0].text == "Fixed: you've been in since 09:05 (it said 09:40)."
    assert (await visits(bot))[0][1:] == ("2026-11-25T08:05:00Z", None, None)
    who = (await bot.say("/who", as_="Anna"))[0].text
    assert "Bruno — since 09:05 — on the terrace" in who


async def test_an_admin_fixes_adds_and_removes_visits_and_the_export_shows_it(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    bot.clock.set(at(24, 9))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(at(25, 10))
    await bot.tick()  # Bruno's visit of the 24th ran to 23:59
    sent = await bot.say("/visit fix Bruno 2026-11-24 09:00-17:45", as_="Anna")
    assert [(s.to, s.text) for s in sent] == [
        ("group", "Bruno's visit on Tue, 24 Nov 2026 is now 09:00–17:45 (8 h 45 min);"
         " it was 09:00–23:59."),
        ("bruno", "Anna corrected your visit on Tue, 24 Nov 2026: now 09:00–17:45,"
         " it was 09:00–23:59."),
    ]  # fmt: skip
    sent = await bot.say("/visit fix Carla 23/11/2026 14:00-18:00", as_="Anna")
    assert sent[0].text == "Recorded a visit by Carla on Mon, 23 Nov 2026: 14:00–18:00 (4 h)."
    sent = await bot.say("/visit remove Carla 2026-11-23", as_="Anna")
    assert sent[0].text == "Removed Carla's visit on Mon, 23 Nov 2026 (14:00–18:00)."
    assert [s.text for s in sent if s.to == "carla"] == [
        "Anna removed your visit on Mon, 23 Nov 2026 (14:00–18:00)."
    ]
    assert await visits(bot) == [
        ("2026-11-24", "2026-11-24T08:00:00Z", "2026-11-24T16:45:00Z", "admin")
    ]
    assert len(await changes(bot)) == 3

    sent = await bot.say("/export attendance 2026-11", as_="Anna", chat="private")
    document = sent[0].document
    assert document is not None
    rows = list(csv.DictReader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert [
        (r["member"], r["date"], r["in"], r["out"], r["minutes"], r["closed_by"], r["changes"])
        for r in rows
    ] == [
        ("Carla", "2026-11-23", "14:00", "18:00", "", "removed",
         "2026-11-25 10:00 Anna: — → 14:00–18:00; 2026-11-25 10:00 Anna: 14:00–18:00 → —"),
        ("Bruno", "2026-11-24", "09:00", "17:45", "525", "admin",
         "2026-11-25 10:00 Anna: 09:00–23:59 → 09:00–17:45"),
    ]  # fmt: skip


async def test_visit_fix_refuses_what_cannot_be_and_changes_nothing(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    bot.clock.set(at(24, 9))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(at(24, 12))
    await bot.say("/out", as_="Bruno")
    bot.clock.set(at(24, 14))
    await bot.say("/in", as_="Bruno")
    bot.clock.set(at(24, 16))
    before = (await visits(bot), await changes(bot))
    for who, line, answer in [
        ("Anna", "/visit fix Bruno 2026-11-24 11:00-15:00",
         "Bruno has 2 visits on Tue, 24 Nov 2026: 09:00–12:00, 14:00–."),
        ("Anna", "/visit fix Bruno 2026-11-24 12:30-13:30",
         "Bruno has 2 visits on Tue, 24 Nov 2026"),
        ("Anna", "/visit fix Bruno 2026-11-24 15:00-17:00", "That's still to come"),
        ("Anna", "/visit fix Bruno 2026-11-24 18:00-09:00", "The check-out must come after"),
        ("Anna", "/visit fix Bruno 2026-11-24 9-18", "“9-18” isn't a time range"),
        ("Anna", "/visit fix Bruno 2026-11-24 09:00-2", "“09:00-2” isn't a time range"),
        ("Anna", "/visit fix Bruno 2026-11-24", "Say the times of the visit, e.g."),
        ("Anna", "/visit remove Bruno 2026-11-24", "Bruno has 2 visits on Tue, 24 Nov 2026"),
        ("Anna", "/visit remove Bruno 2026-11-20", "Bruno has no visit on Fri, 20 Nov 2026."),
        ("Anna", "/visit remove Zoe 2026-11-24", "Nobody matches “Zoe”."),
        ("Bruno", "/visit remove Bruno 2026-11-24", "Only the space's admins can use"),
    ]:  # fmt: skip
        sent = await bot.say(line, as_=who)
        assert sent[0].text.startswith(answer), (line, sent[0].text)
    assert (await visits(bot), await changes(bot)) == before
    sent = await bot.say("/visit remove Bruno 2026-11-24 14:00", as_="Anna")
    assert sent[0].text == "Removed Bruno's visit on Tue, 24 Nov 2026 (14:00–)."
    assert len(await visits(bot)) == 1


async def test_a_hidden_check_in_is_answered_privately_and_announced_nowhere(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/lang it", as_="Carla")
    await bot.say("/privacy hidden", as_="Carla")
    sent = await bot.say("/checkin writing", as_="Carla")
    assert [(s.to, s.private) for s in sent] == [("carla", True)]
    assert sent[0].text.startswith("Ciao Carla, sei dentro dalle 09:00.")  # her language
    sent = await bot.say("/checkout", as_="Carla")
    assert [(s.to, s.private) for s in sent] == [("carla", True)]
    sent = await bot.say("/checkin", as_="Bruno")  # visible: answered in the group
    assert [(s.to, s.private) for s in sent] == [("group", False)]


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
async def test_the_visits_rebuilt_by_the_upgrade_keep_their_ids_and_new_ones_follow(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    """Migration 13 rebuilds `visits` (SQLite cannot change a CHECK in place) copying
    each row with its id: on PostgreSQL the id's identity must then go on after the
    largest, or the next check-in collides with a copied visit."""
    if engine == "sqlite":
        kept, added = await upgrade_with_visits(tmp_path / "bot.db")
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        async with server.fresh_schema() as url:  # from before the step, not the shared one
            kept, added = await upgrade_with_visits(url)
    assert kept == [1, 2] and added == 3


async def upgrade_with_visits(target: Path | str) -> tuple[list[int], int]:
    """The ids of two visits made before migration 13, after it; and the next one's."""
    steps = load_migrations()
    before = next(m.version for m in steps if m.name == "visit_history") - 1
    old = await open_database(target, migrations=steps[:before])
    async with old.transaction() as tx:
        space = await tx.execute("INSERT INTO spaces (name, created_at) VALUES ('Old', ?)", (T0,))
        anna = await tx.execute(
            "INSERT INTO members (space_id, display_name, created_at) VALUES (?, 'Anna', ?)",
            (space, T0),
        )
        for day in (2, 3):
            await tx.execute(
                "INSERT INTO visits (space_id, member_id, local_date, checkin_at, checkout_at,"
                " closed_by) VALUES (?, ?, ?, ?, ?, 'member')",
                (space, anna, f"2026-11-0{day}", f"2026-11-0{day}T08:00:00Z", T0),
            )
    await old.close()
    new = await open_database(target)
    async with new.transaction() as tx:
        kept = [r[0] for r in await tx.fetchall("SELECT id FROM visits ORDER BY id")]
        added = await tx.execute(
            "INSERT INTO visits (space_id, member_id, local_date, checkin_at)"
            " VALUES (?, ?, '2026-11-04', '2026-11-04T08:00:00Z')",
            (space, anna),
        )
    await new.close()
    return kept, added
