"""`link`: a one-time code joins an account on another platform to a member, merging
what both accounts had done."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import coworkbot
from bot.testing import ROME
from handlers.privacy.codes import CODE_ALPHABET, code_hash, normalize_code, show_code
from tests.support.costs import lift_flood_guard
from tests.support.privacy import (
    TwoPlatforms,
    code_in,
    member_of,
    member_references,
)


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[TwoPlatforms]:
    harness = await TwoPlatforms.start(tmp_path, routers=coworkbot.routers())
    yield harness
    await harness.close()


def test_codes_are_normalized_and_checked() -> None:
    assert normalize_code("abcd-efgh") == "ABCDEFGH"
    assert normalize_code(" AbCd EfGh ") == "ABCDEFGH"
    assert normalize_code("ABCD-EFG") is None  # too short
    assert normalize_code("ABCD-EFG0") is None  # 0 is not in the alphabet (nor O, 1, I)
    assert normalize_code("<b>ABCD</b>") is None
    assert show_code("ABCDEFGH") == "ABCD-EFGH"
    assert set(CODE_ALPHABET).isdisjoint("01IO")
    assert code_hash("ABCDEFGH") != "ABCDEFGH" and len(code_hash("ABCDEFGH")) == 64


async def test_code_links_a_new_account_to_the_member(two: TwoPlatforms) -> None:
    await two.setup_space("Anna", members=["Bruno"])
    bruno = await member_of(two, "memory:bruno")
    sent = await two.say("/link", as_="Bruno", chat="private")
    assert len(sent) == 1 and sent[0].private
    code = code_in(sent)
    assert "within 10 minutes" in sent[0].text and f"!link {code}" in sent[0].text
    # Only the hash is stored, with the account that asked.
    rows = await two.fetchall("SELECT code_hash, member_id, identity, used_at FROM link_codes")
    assert [tuple(r) for r in rows] == [
        (code_hash(code.replace("-", "")), bruno, "memory:bruno", None)
    ]

    sent = await two.say_console(f"/link {code.lower()}", "Bruno")
    answer = [s for s in sent if s.chat.platform == "console"]
    assert len(answer) == 1
    assert answer[0].text.startswith("Linked: this account and your test account are now one")
    assert "Veglio" in answer[0].text
    # The account that asked is told, so a stolen code would be noticed.
    notice = two.inbox("Bruno")[-1]
    assert "The console account Bruno is now linked to you in Veglio" in notice.text
    assert await member_of(two, "console:c-bruno") == bruno
    assert await two.fetchval("SELECT used_at FROM link_codes") is not None

    # From now on the console account is Bruno, in private and with his history.
    await two.say("/checkin morning", as_="Bruno")
    sent = await two.say_console("/checkout", "Bruno")
    assert any("Bruno" in s.text and "0 min" in s.text for s in sent)
    visits = await two.fetchall("SELECT member_id, checkout_at FROM visits")
    assert [(v["member_id"], v["checkout_at"] is not None) for v in visits] == [(bruno, True)]


async def test_code_works_once_and_for_ten_minutes(two: TwoPlatforms) -> None:
    await two.setup_space("Anna", members=["Bruno"])
    code = code_in(await two.say("/link", as_="Bruno", chat="private"))
    await two.say_console(f"/link {code}", "Bruno")
    sent = await two.say_console(f"/link {code}", "Bruno 2")
    assert "This code doesn't work" in sent[-1].text
    assert await member_of(two, "console:c-bruno2") is None

    old = code_in(await two.say("/link", as_="Anna", chat="private"))
    new = code_in(await two.say("/link", as_="Anna", chat="private"))
    sent = await two.say_console(f"/link {old}", "Anna")
    assert "doesn't work" in sent[-1].text  # a new code replaces the old one
    two.clock.advance(timedelta(minutes=10, seconds=1))
    sent = await two.say_console(f"/link {new}", "Anna")
    assert "older than 10 minutes" in sent[-1].text
    assert await member_of(two, "console:c-anna") is None
    for typo in ("WRONG-CODE", "x", "<b>&amp;</b>" * 2):
        sent = await two.say_console(f"/link {typo}", "Anna")
        assert "doesn't work" in sent[-1].text
    assert await member_of(two, "console:c-anna") is None
    # Expired codes (they name the account that asked) are dropped by the privacy job.
    assert await two.count("link_codes") == 2
    await two.tick()
    assert await two.count("link_codes") == 0


async def test_code_lasts_ten_real_minutes_across_the_dst_jump(two: TwoPlatforms) -> None:
    """On 2027-03-28 Rome jumps from 02:00 to 03:00: a code of 01:55 lasts until 03:05."""
    await two.setup_space("Anna", members=["Bruno"])
    two.clock.set(datetime(2027, 3, 28, 1, 55, tzinfo=ROME))
    code = code_in(await two.say("/link", as_="Bruno", chat="private"))
    two.clock.set(datetime(2027, 3, 28, 3, 4, 59, tzinfo=ROME))
    sent = await two.say_console(f"/link {code}", "Bruno")
    assert sent[-1].text.startswith("Linked:")
    code = code_in(await two.say("/link", as_="Bruno", chat="private"))
    two.clock.advance(timedelta(minutes=10))
    sent = await two.say_console(f"/link {code}", "Bruno")
    assert "doesn't work" in sent[-1].text


async def test_code_refused_from_the_same_account_or_platform(two: TwoPlatforms) -> None:
    await two.setup_space("Anna", members=["Bruno", "Carla"])
    code = code_in(await two.say("/link", as_="Bruno", chat="private"))
    sent = await two.say(f"/link {code}", as_="Bruno", chat="private")
    assert sent[-1].text == "Send the code from your other account, not from this one."
    # Carla on the same platform cannot take over Bruno with his code…
    sent = await two.say(f"/link {code}", as_="Carla", chat="private")
    assert "You already have a test account linked in Veglio" in sent[-1].text
    assert await member_of(two, "memory:carla") != await member_of(two, "memory:bruno")
    # …and the code was not spent by those attempts.
    await two.say_console(f"/link {code}", "Bruno")
    assert await member_of(two, "console:c-bruno") == await member_of(two, "memory:bruno")
    code = code_in(await two.say("/link", as_="Bruno", chat="private"))
    sent = await two.say_console(f"/link {code}", "Bruno")
    assert "already linked to you" in sent[-1].text


async def test_link_is_private_and_for_members(two: TwoPlatforms) -> None:
    await two.setup_space("Anna", members=["Bruno"])
    sent = await two.say("/link", as_="Bruno")
    assert sent[-1].text == "/link is private: send it to me in a private chat."
    sent = await two.say("/link", as_="Nora", chat="private")
    assert sent[-1].text.startswith("You're not a member of any space yet.")
    await two.say("/set join approval", as_="Anna")
    await two.say("/join", as_="Piero")
    sent = await two.say("/link", as_="Piero", chat="private")
    assert sent[-1].text == "Your request to join is waiting for an admin's approval."
    await two.say("/leave confirm", as_="Bruno")  # joining needs approval: /leave asks first
    sent = await two.say("/link", as_="Bruno", chat="private")
    assert sent[-1].text.startswith("This is for members.")
    assert await two.count("link_codes") == 0


async def test_link_merges_two_members_and_their_history(two: TwoPlatforms) -> None:
    """Bruno joined on both platforms before linking: one member remains, with all of it."""
    await two.setup_space("Anna", members=["Bruno", "Carla"])
    await two.bind_console_room()
    await two.say_console("/join", "Bruno", room="room")
    a = await member_of(two, "memory:bruno")
    b = await member_of(two, "console:c-bruno")
    assert a is not None and b is not None and a != b

    # History on both accounts: visits (both open now), plans, skills, requests, kudos.
    await two.say("/checkin desk 4", as_="Bruno")
    await two.say_console("/checkin from home", "Bruno", room="room")
    await two.say("/going tomorrow", as_="Bruno")
    await two.say_console("/going tomorrow", "Bruno", room="room")
    await two.say_console("/going 2026-11-27", "Bruno", room="room")
    await two.say("/skills add Excel, Word", as_="Bruno")
    await two.say_console("/skills add excel, Legno", "Bruno", room="room")
    await two.say_console("/ask Word: how do I number pages?", "Bruno", room="room")
    await two.say("/offer 1", as_="Carla")
    await two.say_console("/thanks 1", "Bruno", room="room")
    await two.say("/skills add Python", as_="Carla")
    await two.say("/ask Legno: a shelf?", as_="Carla")
    await two.say_console("/offer 2", "Bruno", room="room")
    await two.say("/thanks 2", as_="Carla")
    before = {
        table: await two.fetchval(f"SELECT COUNT(*) FROM {table}")
        for table in ("visits", "kudos", "help_requests", "outbox")
    }

    sent = await two.say("/link", as_="Bruno", chat="private")
    sent = await two.say_console(f"/link {code_in(sent)}", "Bruno")
    assert any(s.text.startswith("Linked:") for s in sent)

    assert await member_of(two, "console:c-bruno") == a
    assert await two.count("members", id=b) == 0
    for table, column in await member_references(two):
        count = await two.fetchval(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (b,))
        assert count == 0, f"{table}.{column} still refers to the merged-away member"
    for table, count in before.items():
        expected = count + (3 if table == "outbox" else 0)  # code, answer, notice
        assert await two.fetchval(f"SELECT COUNT(*) FROM {table}") == expected, table
    visits = await two.fetchall("SELECT member_id, note, checkout_at FROM visits ORDER BY id")
    assert [(v["member_id"], v["note"]) for v in visits] == [(a, "desk 4"), (a, "from home")]
    assert sum(v["checkout_at"] is None for v in visits) == 1  # one open visit at most
    plans = await two.fetchall("SELECT member_id, local_date FROM planned_visits ORDER BY 2")
    assert [tuple(p) for p in plans] == [(a, "2026-11-26"), (a, "2026-11-27")]
    skills = await two.fetchall("SELECT label FROM skills WHERE member_id = ? ORDER BY tag", (a,))
    assert [s["label"] for s in skills] == ["Excel", "Legno", "Word"]
    requests = await two.fetchall(
        "SELECT number, requester_id, helper_id FROM help_requests ORDER BY number"
    )
    carla = await member_of(two, "memory:carla")
    assert [tuple(r) for r in requests] == [(1, a, carla), (2, carla, a)]
    kudos = await two.fetchall("SELECT helper_id, given_by FROM kudos ORDER BY id")
    assert [tuple(k) for k in kudos] == [(carla, a), (a, carla)]

    # The merged member speaks from either account and sees one history.
    sent = await two.say_console("/skills", "Bruno")
    assert "Excel, Legno, Word" in sent[-1].text and "1 kudo received" in sent[-1].text
    sent = await two.say("/checkout", as_="Bruno")
    assert "Bruno" in sent[0].text


async def test_link_in_italian(two: TwoPlatforms) -> None:
    await two.setup_space("Anna", members=["Bruno"])
    await two.say("/lang it", as_="Bruno")
    sent = await two.say("/link", as_="Bruno", chat="private")
    assert sent[0].text.startswith("Il tuo codice: ")
    assert "entro 10 minuti" in sent[0].text
    code = code_in(sent)
    await two.say_console(f"/link {code}", "Bruno")
    assert two.inbox("Bruno")[-1].text.startswith("L'account console Bruno ora è collegato")


async def test_forgetme_from_one_account_forgets_every_linked_one(two: TwoPlatforms) -> None:
    await two.setup_space("Anna", members=["Bruno"])
    code = code_in(await two.say("/link", as_="Bruno", chat="private"))
    await two.say_console(f"/link {code}", "Bruno")
    bruno = await member_of(two, "memory:bruno")
    sent = await two.say_console("/forgetme confirm", "Bruno")
    assert sent[-1].text.startswith("Done: I've forgotten you.")
    assert sent[-1].chat.platform == "console"
    assert await member_of(two, "memory:bruno") is None
    assert await member_of(two, "console:c-bruno") is None
    assert await two.fetchval("SELECT display_name FROM members WHERE id = ?", (bruno,)) == (
        f"#{bruno}"
    )
    # Both accounts are strangers now: the other one too can only join again.
    sent = await two.say("/myexport", as_="Bruno", chat="private")
    assert sent[0].text.startswith("You're not a member of any space yet.")


async def test_link_merges_cost_shares_and_payments(two: TwoPlatforms) -> None:
    """Bruno's console account had a share of one charge alone and, with his other
    account, two shares of a second: after `link` he has one share of each, the second
    the sum of both, with every payment; every charge still adds up to its amount."""
    lift_flood_guard(two)
    await two.setup_space("Anna", members=["Carla"])
    await two.bind_console_room()
    await two.say_console("/join", "Bruno", room="room")
    await two.say("/cost add Internet 30 monthly 28", as_="Anna")
    await two.say("/cost add Heating 100,01 monthly 1", as_="Anna")
    two.clock.set(datetime(2026, 11, 28, 9, 30, tzinfo=ROME))
    await two.tick()  # charge #1 (Internet): Anna, Carla, console Bruno
    await two.say("/join", as_="Bruno")
    two.clock.set(datetime(2026, 12, 1, 9, 30, tzinfo=ROME))
    await two.tick()  # charge #2 (Heating): Anna, Carla and both Bruno accounts
    a = await member_of(two, "memory:bruno")
    b = await member_of(two, "console:c-bruno")
    assert a is not None and b is not None and a != b
    owed = await two.fetchall(
        "SELECT charge_id, member_id, amount, weight, days, units FROM charge_shares"
        " WHERE member_id IN (?, ?) ORDER BY charge_id, member_id",
        (a, b),
    )
    assert [(s["charge_id"], s["member_id"]) for s in owed] == sorted([(1, b), (2, a), (2, b)])
    heating = {s["member_id"]: tuple(s)[2:] for s in owed if s["charge_id"] == 2}
    await two.say_console("/paid 1 4", "Bruno")
    await two.say_console("/paid 2 10", "Bruno")
    await two.say("/paid 2 5", as_="Bruno")
    await two.say("/confirm 2", as_="Anna")
    await two.say("/paid 1 1 #" + str(b), as_="Anna")  # cash, recorded by an admin
    payments_before = await two.fetchall("SELECT id, charge_id, amount, state FROM payments")

    sent = await two.say("/link", as_="Bruno", chat="private")
    sent = await two.say_console(f"/link {code_in(sent)}", "Bruno")
    assert any(s.text.startswith("Linked:") for s in sent)

    assert await two.count("members", id=b) == 0
    for table, column in [*await member_references(two), ("payments", "member_id")]:
        count = await two.fetchval(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (b,))
        assert count == 0, f"{table}.{column} still refers to the merged-away member"
    shares = await two.fetchall(
        "SELECT charge_id, amount, weight, days, units FROM charge_shares WHERE member_id = ?"
        " ORDER BY charge_id",
        (a,),
    )
    merged = (
        heating[a][0] + heating[b][0],
        heating[a][1] + heating[b][1],
        max(heating[a][2], heating[b][2]),
        heating[a][3] + heating[b][3],
    )
    assert [tuple(s) for s in shares] == [(1, *tuple(owed[0])[2:]), (2, *merged)]
    payments = await two.fetchall("SELECT id, charge_id, member_id, amount, state FROM payments")
    assert [(p["id"], p["charge_id"], p["amount"], p["state"]) for p in payments] == [
        tuple(p) for p in payments_before
    ]
    assert {p["member_id"] for p in payments} == {a}
    sums = await two.fetchall(
        "SELECT c.id, c.amount, SUM(s.amount) AS shared, COUNT(*) AS n FROM charges c"
        " JOIN charge_shares s ON s.charge_id = c.id GROUP BY c.id, c.amount ORDER BY c.id"
    )
    assert [tuple(r) for r in sums] == [(1, 3000, 3000, 3), (2, 10001, 10001, 3)]

    # What he owes is one line per charge, whichever account asks.
    sent = await two.say_console("/due", "Bruno")
    lines = [s for s in sent if s.chat.platform == "console"][-1].text.splitlines()
    assert lines[1].startswith("#1 Internet")
    assert lines[1].endswith(": €9.00, of which €4.00 declared and waiting for an admin")
    assert lines[2].startswith("#2 Heating")
    owes = f"€{(merged[0] - 1000) / 100:.2f}"  # the €10 payment was confirmed
    assert lines[2].endswith(f": {owes}, of which €5.00 declared and waiting for an admin")
