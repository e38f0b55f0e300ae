"""Who may run what, where: every registered command × {non-member, pending, member,
admin} × {group, private}, allowed or refused exactly as the README's command table says.

The command list comes from the registry, so a command added later is tested at once;
it only needs its line in ACCESS (the test says so if it is missing).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import coworkbot
from bot.app import engine
from bot.i18n import Translator
from bot.registry import Registry
from bot.testing import BotHarness, Sent

# command -> (who may run it, where): as the DESIGN table says. Some are registered for
# anyone and their handler says who: `link` (a new account must be able to redeem a
# code; only active members get one), and the "known" ones, for people the bot keeps
# data about, pending and departed members too (`myexport`, `forgetme`, `space`);
# `due` and `paid` are for members, and for those who left while owing (tested apart).
ACCESS: dict[str, tuple[str, str]] = {
    "start": ("anyone", "private"),
    "help": ("anyone", "any"),
    "setup": ("chat admin", "group"),
    "join": ("anyone", "any"),  # in private with an invitation (its deep link)
    "invite": ("admin", "any"),
    "set topic": ("admin", "group"),
    "leave": ("member", "any"),
    "approve": ("admin", "any"),
    "reject": ("admin", "any"),
    "members": ("member", "any"),
    "remove": ("admin", "any"),
    "promote": ("admin", "any"),
    "demote": ("admin", "any"),
    "set": ("admin", "any"),
    "settings": ("admin", "any"),
    "lang": ("member", "any"),
    "space": ("known", "private"),
    "link": ("member", "private"),
    "checkin": ("member", "any"),
    "checkout": ("member", "any"),
    "who": ("member", "any"),
    "me": ("member", "any"),
    "stats": ("member", "any"),
    "going": ("member", "any"),
    "notgoing": ("member", "any"),
    "privacy": ("member", "any"),
    "export attendance": ("admin", "private"),
    "visit fix": ("admin", "any"),
    "visit remove": ("admin", "any"),
    "skills": ("member", "any"),
    "skills add": ("member", "any"),
    "skills remove": ("member", "any"),
    "whoknows": ("member", "any"),
    "ask": ("member", "any"),
    "offer": ("member", "any"),
    "done": ("member", "any"),
    "thanks": ("member", "any"),
    "cancel": ("member", "any"),
    "requests": ("member", "any"),
    "cost add": ("admin", "any"),
    "costs": ("member", "any"),
    "cost remove": ("admin", "any"),
    "shares": ("admin", "any"),
    "due": ("member", "private"),
    "paid": ("member", "any"),
    "confirm": ("admin", "any"),
    "balance": ("admin", "private"),
    "export costs": ("admin", "private"),
    "cost end": ("admin", "any"),
    "cost amount": ("admin", "any"),
    # The fund: `bill`, `reimburse` and `export fund` are for members, and their handlers
    # say that only the treasurer or an admin may (the treasurer need not be an admin).
    "fund": ("member", "private"),
    "treasurer": ("member", "any"),
    "bill": ("member", "any"),
    "spent": ("member", "any"),
    "bill remove": ("member", "any"),  # the handler says who: treasurer or admin
    "spent remove": ("member", "any"),  # who fronted it, the treasurer or an admin
    "reimburse": ("member", "any"),
    "settle": ("member", "private"),
    "settled": ("member", "any"),
    "receipt": ("member", "private"),
    "set iban": ("admin", "any"),
    "set payee": ("admin", "any"),
    "set qr": ("admin", "any"),
    "export fund": ("member", "private"),
    "myexport": ("known", "private"),
    "forgetme": ("known", "private"),
    "open": ("member", "any"),
    "close": ("member", "any"),
    "device add": ("member", "private"),
    "device list": ("member", "private"),
    "device remove": ("member", "private"),
    "presence token": ("admin", "private"),
    "calendar": ("member", "private"),
    "stats chart": ("member", "any"),
}
PRIVATE_DATA = {
    "due",
    "balance",
    "export attendance",
    "export costs",
    "myexport",
    "fund",
    "settle",
    "receipt",
    "export fund",
    "device list",
    "presence token",
    "calendar",
}

CALLERS = ("non-member", "pending", "member", "admin")
# One person per caller and place, so what one does (leave, forgetme) touches no other.
PEOPLE = {
    ("non-member", "group"): "Nora",
    ("non-member", "private"): "Nino",
    ("pending", "group"): "Piero",
    ("pending", "private"): "Pia",
    ("member", "group"): "Bruno",
    ("member", "private"): "Bice",
    ("admin", "group"): "Anna",
    ("admin", "private"): "Ada",
}
# The refusals, by their longest fixed piece of English (the catalog has the wording).
REFUSAL_KEYS = (
    "dispatch.private_only",
    "dispatch.group_only",
    "dispatch.chat_admin_only",
    "dispatch.no_space",
    "dispatch.no_membership",
    "dispatch.not_member",
    "dispatch.pending",
    "dispatch.admin_only",
    "forgetme.nothing",
    "space.none",
)
REFUSALS = tuple(
    max(re.split(r"\{[a-z_]+\}", str(Translator().text("en", key))), key=len)
    for key in REFUSAL_KEYS
)

REGISTERED = sorted(Registry([engine, *coworkbot.routers()]).commands)


def allowed(who: str, where: str, caller: str, place: str) -> bool:
    if where not in ("any", place):
        return False
    return {
        "anyone": True,
        "chat admin": caller == "admin",  # in the tests only the admin administers the chat
        "member": caller in ("member", "admin"),
        "admin": caller == "admin",
        "known": caller != "non-member",
    }[who]


def refused(replies: list[Sent]) -> bool:
    return any(r in s.text for s in replies for r in REFUSALS)


@pytest.fixture
async def community(tmp_path: Path) -> AsyncIterator[BotHarness]:
    bot = await BotHarness.start(tmp_path, routers=coworkbot.routers())
    await bot.setup_space("Anna", members=["Ada", "Bruno", "Bice"])
    await bot.say("/promote Ada", as_="Anna")
    await bot.say("/set join approval", as_="Anna")
    await bot.say("/join", as_="Piero")
    await bot.say("/join", as_="Pia")
    yield bot
    await bot.close()


def test_every_registered_command_has_an_expected_access() -> None:
    missing = [name for name in REGISTERED if name not in ACCESS]
    assert missing == [], f"add these commands to ACCESS (who, where): {missing}"


@pytest.mark.parametrize("command", REGISTERED)
async def test_access_matrix(community: BotHarness, command: str) -> None:
    assert await outcomes(community, command, f"/{command}") == expected(command)


# The costs commands again, with real arguments and a real charge to pay (#1, €40 shared
# by the four active members): refusals still come first, and what the allowed get is
# what the DESIGN table says, private data in private only.
COSTS_LINES = {
    "cost add": "/cost add Water 20 monthly 5",
    "costs": "/costs",
    "cost remove": "/cost remove 1",
    "shares": "/shares Bruno 2",
    "due": "/due",
    "paid": "/paid 1 1",
    "confirm": "/confirm 1",
    "balance": "/balance",
    "export costs": "/export costs 2026-11",
}


@pytest.mark.parametrize("command", sorted(COSTS_LINES))
async def test_access_matrix_of_costs_with_arguments(community: BotHarness, command: str) -> None:
    bot = community
    await bot.say("/cost add Internet 40 once 2026-11-25", as_="Anna")
    await bot.tick()
    await bot.say("/paid 1 2", as_="Bice")  # payment #1, for /confirm
    assert await bot.count("charge_shares") == 4
    assert await outcomes(bot, command, COSTS_LINES[command]) == expected(command)
    # Every charge still adds up, whatever was allowed.
    assert (
        await bot.fetchall(
            "SELECT c.id FROM charges c JOIN charge_shares s ON s.charge_id = c.id"
            " GROUP BY c.id, c.amount HAVING SUM(s.amount) <> c.amount"
        )
        == []
    )


async def outcomes(bot: BotHarness, command: str, line: str) -> dict[tuple[str, str], bool]:
    """Whether each caller in each place was let through (True) or refused."""
    found: dict[tuple[str, str], bool] = {}
    for caller in CALLERS:
        for place in ("group", "private"):
            name = PEOPLE[caller, place]
            chat = bot.private_chat(name) if place == "private" else bot.group
            sent = await bot.say(line, as_=name, chat=place)
            replies = [s for s in sent if (s.to, s.private) == (chat.chat_id, chat.private)]
            assert replies, f"{line} by {caller} in {place} got no answer"
            found[caller, place] = not refused(replies)
            # Nothing private ever reaches a group.
            assert all(s.private for s in sent if s.document is not None)
            if command in PRIVATE_DATA:
                assert all(s.private or refused([s]) for s in sent)
    return found


def expected(command: str) -> dict[tuple[str, str], bool]:
    who, where = ACCESS[command]
    return {
        (caller, place): allowed(who, where, caller, place)
        for caller in CALLERS
        for place in ("group", "private")
    }


async def test_private_data_is_answered_in_private_only(community: BotHarness) -> None:
    """With real arguments, the exports and `myexport` send files only in private."""
    bot = community
    await bot.say("/checkin", as_="Bruno")
    await bot.say("/cost add Internet 40,40 once 2026-11-25", as_="Anna")
    await bot.tick()  # €10.10 each for Anna, Ada, Bruno and Bice
    await bot.say("/paid 1 3", as_="Bruno")
    for line, who in (
        ("/export attendance", "Anna"),
        ("/export attendance 2026-11", "Anna"),
        ("/myexport", "Bruno"),
        ("/stats", "Anna"),
        ("/due", "Bruno"),
        ("/balance", "Anna"),
        ("/export costs", "Anna"),
        ("/export costs 2026-11", "Anna"),
    ):
        sent = await bot.say(line, as_=who)
        assert all(s.document is None for s in sent), line
        in_group = " ".join(s.text for s in sent if not s.private)
        assert "Bruno" not in in_group and "€" not in in_group, line
        sent = await bot.say(line, as_=who, chat="private")
        assert all(s.private for s in sent), line
    assert any(s.document is not None for s in bot.sent)
    assert any("€7.10" in s.text for s in bot.inbox("Bruno"))  # /due, privately
