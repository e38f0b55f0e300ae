"""Automatic presence: devices reported by a router or Home Assistant check members in
and out, through the real web server, with the token, limits and privacy it promises."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

import coworkbot
from bot.testing import BotHarness
from handlers.web.base import token_hash
from tests.support.web import Client, web_section

pytestmark = pytest.mark.http

ROME = ZoneInfo("Europe/Rome")
PHONE = "3c:22:fb:12:34:56"
HA_ENTITY = "device_tracker.carla_phone"


def at(hour: int, minute: int = 0, second: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=ROME)


async def token_of(bot: BotHarness, admin: str = "Anna") -> str:
    sent = await bot.say("/presence token", as_=admin, chat="private")
    found = re.search(r"Token: (\S+)", sent[0].text)
    assert found, sent[0].text
    return found[1]


async def visits(bot: BotHarness) -> list[tuple[str, str, str | None, str | None]]:
    rows = await bot.fetchall(
        "SELECT m.display_name, v.checkin_at, v.checkout_at, v.closed_by"
        " FROM visits v JOIN members m ON m.id = v.member_id ORDER BY v.id"
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def community(bot: BotHarness) -> str:
    """Anna's space, Bruno with a phone (as its MAC), Carla with a Home Assistant tracker."""
    bot.clock.set(at(8))
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    sent = await bot.say("/device add 3C-22-FB-12-34-56 phone", as_="Bruno", chat="private")
    assert sent[0].text.startswith(f"Added {PHONE}. When it's at the space, I check you in")
    await bot.say(f"/device add {HA_ENTITY}", as_="Carla", chat="private")
    return await token_of(bot)


async def test_home_assistant_checks_a_member_in_and_out_at_the_time_last_seen(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    token = await community(bot)
    # The token is shown once, privately, and kept only as a hash.
    stored = await bot.fetchval("SELECT token_hash FROM presence_tokens")
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    sent = await bot.say("/presence token", as_="Anna", chat="private")
    assert sent[0].text == (
        "The presence hook has had a token since Wed, 25 Nov 2026. I keep only its "
        "fingerprint, so I can't show it again: /presence token new makes a new one "
        "(the old one stops working)."
    )
    await bot.tick()  # the privacy job blanks delivered rows that held a secret
    assert await bot.fetchval("SELECT COUNT(*) FROM outbox WHERE html LIKE ?", (f"%{token}%",)) == 0

    # Carla's phone comes home: Home Assistant's rest_command posts its state.
    bot.clock.set(at(9, 3))
    answer = await client.report("veglio", token, {"device": HA_ENTITY, "present": True})
    assert (answer.status, answer.json()) == (200, {"ok": True, "received": 1})
    assert await visits(bot) == [("Carla", "2026-11-25T08:03:00Z", None, None)]
    assert [(s.to, s.text) for s in await bot.deliver()] == [("group", "Carla is in.")]
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text.splitlines()[1:] == [
        "Carla — since 09:03",
        "The space has been open since 09:03.",
    ]

    # She leaves at 12:00: not_home. Within away_after (10 minutes) she is still in.
    bot.clock.set(at(12))
    await client.report("veglio", token, {"device": HA_ENTITY, "present": False})
    await bot.tick(timedelta(minutes=9, seconds=59))
    assert (await visits(bot))[0][2] is None
    await bot.tick(timedelta(seconds=1))
    assert await visits(bot) == [
        ("Carla", "2026-11-25T08:03:00Z", "2026-11-25T11:00:00Z", "device")
    ]
    sent = await bot.say("/who", as_="Anna")
    assert sent[0].text == "Nobody's in right now.\nThe space has been closed since 12:00."
    sent = await bot.say("/device list", as_="Carla", chat="private")
    assert sent[0].text == (f"Your devices\n{HA_ENTITY} — last seen Wed, 25 Nov 2026 12:00")


async def test_a_router_posts_a_list_and_flapping_makes_one_visit(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    token = await community(bot)
    bot.clock.set(at(9))
    both = [{"device": PHONE, "present": True}, {"device": HA_ENTITY, "present": True}]
    answer = await client.report("veglio", token, both)
    assert answer.json() == {"ok": True, "received": 2}
    announced = sorted(s.text for s in await bot.deliver())
    assert announced == ["Bruno is in.", "Carla is in."]

    # The Wi-Fi flaps: twenty reports, present and absent, over two minutes.
    for i in range(20):
        bot.clock.set(at(9, 10) + timedelta(seconds=6 * i))
        await client.report("veglio", token, {"device": PHONE, "present": i % 2 == 0})
        if i % 5 == 0:
            await bot.tick()
    assert [v[0] for v in await visits(bot)] == ["Bruno", "Carla"]
    assert await bot.deliver() == []  # no second "is in"
    # The burst ended with absent at 09:11:54; ten minutes later he is out, at that time.
    bot.clock.set(at(9, 21, 54))
    await bot.tick()
    assert (await visits(bot))[0] == (
        "Bruno",
        "2026-11-25T08:00:00Z",
        "2026-11-25T08:11:54Z",
        "device",
    )
    # The router sends its heartbeat of present devices every minute: nothing changes.
    for minute in range(22, 30):
        bot.clock.set(at(9, minute))
        await client.report("veglio", token, {"device": HA_ENTITY, "present": True})
    assert len(await visits(bot)) == 2


async def test_a_manual_check_out_wins_until_the_device_has_left(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    token = await community(bot)
    bot.clock.set(at(9))
    await client.report("veglio", token, {"device": PHONE, "present": True})
    bot.clock.set(at(11))
    await bot.say("/checkout", as_="Bruno")  # he goes out for lunch, the phone stays
    for minute in range(1, 40, 5):
        bot.clock.set(at(11, minute))
        await client.report("veglio", token, {"device": PHONE, "present": True})
        await bot.tick()
    assert await visits(bot) == [
        ("Bruno", "2026-11-25T08:00:00Z", "2026-11-25T10:00:00Z", "member")
    ]
    # The phone leaves, and comes back after more than away_after: that is a new arrival.
    bot.clock.set(at(12))
    await client.report("veglio", token, {"device": PHONE, "present": False})
    await bot.tick(timedelta(minutes=11))
    await client.report("veglio", token, {"device": PHONE, "present": True})
    assert (await visits(bot))[1] == ("Bruno", "2026-11-25T11:11:00Z", None, None)
    # A check-in by hand while the device is away is never closed by the device.
    bot.clock.set(at(14))
    await bot.say("/checkout", as_="Bruno")
    await client.report("veglio", token, {"device": PHONE, "present": False})
    bot.clock.set(at(15))
    await bot.say("/checkin", as_="Bruno")
    await bot.tick(timedelta(minutes=30))
    assert (await visits(bot))[2] == ("Bruno", "2026-11-25T14:00:00Z", None, None)


async def test_hidden_members_are_checked_in_quietly(web_bot: BotHarness, client: Client) -> None:
    bot = web_bot
    token = await community(bot)
    await bot.say("/privacy hidden", as_="Bruno")
    await bot.deliver()
    await client.report("veglio", token, {"device": PHONE, "present": True})
    assert len(await visits(bot)) == 1
    assert await bot.deliver() == []
    # A member who left: their device does nothing any more.
    await bot.say("/leave", as_="Carla")
    await client.report("veglio", token, {"device": HA_ENTITY, "present": True})
    assert [v[0] for v in await visits(bot)] == ["Bruno"]


async def test_the_hook_refuses_without_the_token_and_says_nothing_about_devices(
    web_bot: BotHarness, client: Client
) -> None:
    bot = web_bot
    token = await community(bot)
    report = {"device": PHONE, "present": True}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"}):
        answer = await client.post(
            "/spaces/veglio/presence", headers=headers, data=json.dumps(report)
        )
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="coworkbot"'
        assert answer.json() == {"error": "a valid bearer token is needed"}
    # One space's token does not open another's.
    async with bot.app.store.transaction() as session:
        other = await session.spaces.create("Altrove", bot.clock.now())
        await session.web.set_token(other.id, token_hash("altrove's own"), bot.clock.now())
    assert (await client.report("altrove", token, report)).status == 401
    assert (await client.report("veglio", "altrove's own", report)).status == 401
    assert await visits(bot) == []

    # Known and unknown devices get the same answer.
    known = await client.report("veglio", token, report)
    unknown = await client.report("veglio", token, {"device": "aa:bb:cc:dd:ee:ff", "present": True})
    assert (
        (known.status, known.body)
        == (unknown.status, unknown.body)
        == (
            200,
            b'{"ok": true, "received": 1}',
        )
    )
    assert [v[0] for v in await visits(bot)] == ["Bruno"]

    # Bad bodies: a clear 400, nothing stored.
    for body in (b"not json", b"[]", b'{"device": "x"}', b'{"device": "x", "present": "home"}'):
        answer = await client.post(
            "/spaces/veglio/presence",
            headers={"Authorization": f"Bearer {token}"},
            data=body,
        )
        assert answer.status == 400, body
        assert "error" in answer.json()
    huge = json.dumps([report] * 3000).encode()
    assert len(huge) > 64 * 1024
    answer = await client.post(
        "/spaces/veglio/presence", headers={"Authorization": f"Bearer {token}"}, data=huge
    )
    assert answer.status == 413
    assert "Traceback" not in answer.text
    assert len(await visits(bot)) == 1

    # A new token replaces the old one at once.
    assert [s.text for s in await bot.deliver()] == ["Bruno is in."]
    sent = await bot.say("/presence token new", as_="Anna", chat="private")
    assert sent[0].text.endswith("The old token no longer works.")
    assert (await client.report("veglio", token, report)).status == 401


async def test_the_hook_is_limited_per_minute(tmp_path: Path) -> None:
    bot = await BotHarness.start(
        tmp_path, routers=coworkbot.routers(), web=web_section(rate_limit=5)
    )
    try:
        async with aiohttp.ClientSession() as session:
            client = Client(bot.web_url, session)
            token = await community(bot)
            report = {"device": PHONE, "present": True}
            statuses = [(await client.report("veglio", token, report)).status for _ in range(7)]
            assert statuses == [200] * 5 + [429] * 2
            refused = await client.report("veglio", token, report)
            assert refused.headers["Retry-After"] == "60"
            # Reading pages is not limited.
            pages = [(await client.get("/spaces/veglio/spaceapi.json")).status for _ in range(8)]
            assert pages == [200] * 8
    finally:
        await bot.close()


async def test_devices_are_registered_privately_and_checked(web_bot: BotHarness) -> None:
    bot = web_bot
    await community(bot)
    sent = await bot.say("/device add 3c:22:fb:12:34:56", as_="Carla", chat="private")
    assert sent[0].text == f"{PHONE} is already registered in this space."
    sent = await bot.say("/device add 3c22.fb12.3456", as_="Bruno", chat="private")
    assert sent[0].text == f"You had already added {PHONE}."
    sent = await bot.say("/device add <b>not</b>a-device!", as_="Bruno", chat="private")
    assert sent[0].text.startswith("“<b>not</b>a-device!” isn't a device ID")
    sent = await bot.say("/device add laptop-bruno", as_="Bruno")
    assert sent[0].text == "/device add is private: send it to me in a private chat."
    sent = await bot.say("/device list", as_="Bruno", chat="private")
    assert sent[0].text == f"Your devices\n{PHONE} (phone) — not seen yet"
    sent = await bot.say(f"/device remove {HA_ENTITY}", as_="Bruno", chat="private")
    assert sent[0].text == f"You have no device {HA_ENTITY}. /device list shows yours."
    sent = await bot.say("/device remove 3C:22:FB:12:34:56", as_="Bruno", chat="private")
    assert sent[0].text == f"Removed {PHONE}: it no longer checks you in or out."
    assert await bot.count("devices") == 1
    sent = await bot.say("/device list", as_="Bruno", chat="private")
    assert sent[0].text.startswith("You have no devices. Add one with /device add")
    # Only admins get the token, privately.
    sent = await bot.say("/presence token", as_="Bruno", chat="private")
    assert sent[0].text == "Only the space's admins can use /presence token."
    # Devices are personal data: exported, and erased with forgetme.
    sent = await bot.say("/myexport", as_="Carla", chat="private")
    assert sent[0].document is not None
    exported = json.loads(sent[0].document.content)
    assert exported["memberships"][0]["web"]["devices"][0]["device"] == HA_ENTITY
    await bot.say("/forgetme confirm", as_="Carla", chat="private")
    assert await bot.count("devices") == 0


async def test_without_web_the_commands_say_so(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    sent = await bot.say("/presence token", as_="Anna", chat="private")
    assert sent[0].text.startswith("The web server isn't set up")
    assert await bot.count("presence_tokens") == 0
