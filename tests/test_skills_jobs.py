"""Escalation and expiry of help requests: exactly once, across restarts and DST days."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.testing import ROME, BotHarness
from tests.support.skills import check_in, member_id, only, private_to, request_row


async def community(bot: BotHarness) -> None:
    """Anna (admin), Bruno, Carla, Dario active; Pia pending; Leo left. Nobody knows Python."""
    await bot.setup_space("Anna", members=["Bruno", "Carla", "Dario", "Leo"])
    await bot.say("/leave", as_="Leo")
    await bot.say("/set join approval", as_="Anna")
    await bot.say("/join", as_="Pia")
    await bot.say("/skills add Python", as_="Dario")
    await bot.say("/lang it", as_="Bruno")


async def test_unclaimed_request_escalates_once_to_every_active_member(bot: BotHarness) -> None:
    await community(bot)
    await check_in(bot, "Carla")
    await bot.say("/ask Python: why is my loop slow?", as_="Bruno")
    assert private_to(bot.sent[-2:]) == ["dario"]  # the one who knows, at once

    assert await bot.tick(timedelta(hours=3, minutes=59)) == []
    sent = await bot.tick(timedelta(minutes=1))
    # Present first (Carla), then by name; the requester, pending and left members are not.
    assert private_to(sent) == ["carla", "anna", "dario", "bruno"]
    to_carla = sent[0]
    assert "Still no helper after 4 hours: Bruno asks about Python (request #1)" in to_carla.text
    assert "why is my loop slow?" in to_carla.text and "/offer 1" in to_carla.text
    assert [b.command for b in to_carla.buttons] == ["offer 1"]
    to_bruno = sent[-1]
    assert to_bruno.text == (
        "Nessuno ha ancora preso la #1 (Python), quindi l'ho chiesto a tutto il gruppo."
    )
    row = await request_row(bot, 1)
    assert row["escalated_at"] == "2026-11-25T12:00:00Z" and row["state"] == "open"
    reasons = await bot.fetchall(
        "SELECT reason, COUNT(*) AS n FROM help_notices GROUP BY reason ORDER BY reason"
    )
    assert [(r["reason"], r["n"]) for r in reasons] == [("escalation", 3), ("match", 1)]

    assert await bot.tick(timedelta(minutes=1)) == []
    assert await bot.tick(timedelta(hours=5)) == []

    # An escalated request is still an ordinary request: anyone may take it.
    sent = await bot.press(to_carla, "I can help", as_="Carla")
    assert "#1 (Python) is yours" in sent[0].text


async def test_escalation_follows_the_space_setting(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/set escalate_after 1", as_="Anna")
    await bot.say("/ask Python: quick one", as_="Bruno")
    assert await bot.tick(timedelta(minutes=59)) == []
    sent = await bot.tick(timedelta(minutes=1))
    assert "after 1 hour" in sent[0].text
    assert (await request_row(bot, 1))["escalated_at"] is not None


async def test_claimed_or_cancelled_requests_do_not_escalate(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Python: one", as_="Bruno")
    await bot.say("/ask Python: two", as_="Bruno")
    await bot.say("/offer 1", as_="Dario")
    await bot.say("/cancel 2", as_="Bruno")
    assert await bot.tick(timedelta(hours=5)) == []
    rows = await bot.fetchall("SELECT escalated_at FROM help_requests")
    assert [r["escalated_at"] for r in rows] == [None, None]


async def test_open_request_expires_once_and_the_requester_is_told(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/lang en", as_="Bruno")
    await bot.say("/ask Python: anyone?", as_="Bruno")
    await bot.tick(timedelta(hours=4))  # escalated meanwhile
    assert await bot.tick(timedelta(days=7, hours=-4, minutes=-1)) == []
    sent = await bot.tick(timedelta(minutes=1))
    assert only(sent).to == "bruno"
    assert sent[0].text == (
        "Your request #1 (Python) expired after 7 days. "
        "If you still need help, ask again with /ask."
    )
    row = await request_row(bot, 1)
    assert row["state"] == "expired" and row["closed_at"] == "2026-12-02T08:00:00Z"
    assert await bot.tick(timedelta(minutes=1)) == []
    assert await bot.tick(timedelta(days=30)) == []
    reply = only(await bot.say("/offer 1", as_="Dario"))
    assert reply.text == "Request #1 is already expired: nothing to do."
    reply = only(await bot.say("/requests", as_="Dario"))
    assert "No request is waiting" in reply.text


async def test_claimed_request_expires_too_and_the_helper_is_told(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/set expire_after 2", as_="Anna")
    await bot.say("/ask Python: anyone?", as_="Bruno")
    await bot.say("/offer 1", as_="Dario")
    sent = await bot.tick(timedelta(days=2))
    assert sorted(private_to(sent)) == ["bruno", "dario"]
    to_dario = only([s for s in sent if s.to == "dario"])
    assert to_dario.text == "Request #1 (Python), which you offered to help with, has expired."
    assert "scaduta dopo 2 giorni" in only([s for s in sent if s.to == "bruno"]).text
    assert (await request_row(bot, 1))["state"] == "expired"


async def test_escalation_and_expiry_happen_once_across_restarts(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/ask Python: before the reboot", as_="Bruno")
    bot.clock.advance(timedelta(hours=4))
    first = await bot.tick()
    assert len(private_to(first)) == 4

    await bot.restart()
    assert await bot.tick() == []
    assert await bot.tick(timedelta(minutes=10)) == []

    # Down for the whole week: back up, the request expires once and is not re-escalated.
    await bot.say("/ask Python: during the outage", as_="Carla")
    await bot.restart()
    bot.clock.advance(timedelta(days=8))
    await bot.restart()
    sent = await bot.tick()
    texts = [s.text for s in sent]
    assert sum("#1 (Python) è scaduta" in t for t in texts) == 1
    assert sum("#2 (Python) expired" in t for t in texts) == 1
    assert not any("Still no helper" in t for t in texts)
    assert len(sent) == 2

    await bot.restart()
    assert await bot.tick() == []
    rows = await bot.fetchall("SELECT number, state, escalated_at FROM help_requests")
    assert [(r["number"], r["state"], r["escalated_at"] is None) for r in rows] == [
        (1, "expired", False),
        (2, "expired", True),
    ]
    assert await bot.count("help_notices", reason="escalation") == 3


async def test_expiry_is_a_calendar_week_across_the_spring_dst_change(bot: BotHarness) -> None:
    await community(bot)
    bot.clock.set(datetime(2027, 3, 25, 10, 0, tzinfo=ROME))
    await bot.say("/ask Python: across the clock change", as_="Carla")
    await bot.tick()
    await bot.tick(timedelta(hours=4))
    bot.clock.set(datetime(2027, 4, 1, 9, 59, tzinfo=ROME))
    assert await bot.tick() == []
    bot.clock.set(datetime(2027, 4, 1, 10, 0, tzinfo=ROME))
    sent = await bot.tick()
    assert only(sent).to == "carla" and "expired after 7 days" in sent[0].text
    assert (await request_row(bot, 1))["closed_at"] == "2027-04-01T08:00:00Z"


async def test_expiry_across_the_autumn_dst_change(bot: BotHarness) -> None:
    await community(bot)
    await bot.say("/set expire_after 1", as_="Anna")
    bot.clock.set(datetime(2027, 10, 30, 18, 0, tzinfo=ROME))
    await bot.say("/ask Python: on the long night", as_="Carla")
    await bot.tick(timedelta(hours=4))
    bot.clock.set(datetime(2027, 10, 31, 17, 59, tzinfo=ROME))  # 24 h already passed
    assert await bot.tick() == []
    bot.clock.set(datetime(2027, 10, 31, 18, 0, tzinfo=ROME))
    sent = await bot.tick()
    assert "expired after 1 day." in only(sent).text


async def test_escalation_counts_real_hours_across_dst_nights(bot: BotHarness) -> None:
    await community(bot)
    # Spring: 00:30 CET + 4 h is 05:30 CEST, since 02:00 becomes 03:00.
    bot.clock.set(datetime(2027, 3, 28, 0, 30, tzinfo=ROME))
    await bot.say("/ask Python: spring night", as_="Carla")
    bot.clock.set(datetime(2027, 3, 28, 5, 29, tzinfo=ROME))
    assert await bot.tick() == []
    bot.clock.set(datetime(2027, 3, 28, 5, 30, tzinfo=ROME))
    assert len(private_to(await bot.tick())) == 4
    await bot.say("/cancel 1", as_="Carla")
    # Autumn: 00:30 CEST + 4 h is 03:30 CET, since 03:00 goes back to 02:00.
    bot.clock.set(datetime(2027, 10, 31, 0, 30, tzinfo=ROME))
    await bot.say("/ask Python: autumn night", as_="Carla")
    bot.clock.set(datetime(2027, 10, 31, 3, 29, tzinfo=ROME))
    assert await bot.tick() == []
    bot.clock.set(datetime(2027, 10, 31, 3, 30, tzinfo=ROME))
    sent = await bot.tick()
    assert len(private_to(sent)) == 4 and "#2" in sent[0].text
    assert await member_id(bot, "Carla") not in [
        r["member_id"] for r in await bot.fetchall("SELECT member_id FROM help_notices")
    ]


async def test_a_request_whose_requester_was_erased_still_escalates_and_expires(
    bot: BotHarness,
) -> None:
    await community(bot)
    await bot.say("/ask Python: and then I vanished", as_="Carla")
    async with bot.app.store.transaction() as session:
        await session.tx.execute("DELETE FROM members WHERE display_name = 'Carla'")
    sent = await bot.tick(timedelta(hours=4))
    assert private_to(sent) == ["anna", "bruno", "dario"]
    assert "Still no helper after 4 hours: someone asks about Python" in sent[0].text
    assert "qualcuno chiede di Python" in sent[1].text
    sent = await bot.tick(timedelta(days=7))
    assert sent == []  # nobody left to tell
    assert (await request_row(bot, 1))["state"] == "expired"
