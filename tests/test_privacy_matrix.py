"""Privacy for what the Matrix transport keeps about people: the private room of each
Matrix account (`matrix_direct_rooms`, keyed by the Matrix user id). It is in
`myexport`, `link` leaves it alone (it belongs to the account, which moves), and
`forgetme` forgets it: at once for a linked account, and after the goodbye was
delivered for the account that asked (the goodbye must reach the room they asked in,
not a new one). Other people's rooms stay."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

import coworkbot
from bot.testing import Sent
from bot.transports.base import DeliveryError
from storage.members import MemberStatus
from tests.support.privacy import (
    WithMatrix,
    bytes_found,
    code_in,
    find_everywhere,
    member_of,
)

NAME = "Bruno Zanetti"
MX = "@brunozanetti:example.org"
ROOM = "!dm-bruno-8841:example.org"
NORA = "@nora:example.org"
NORA_ROOM = "!dm-nora-1177:example.org"
SECRETS = [NAME, "Zanetti", "brunozanetti", ROOM, "dm-bruno-8841"]


@pytest.fixture
async def mx(tmp_path: Path) -> AsyncIterator[WithMatrix]:
    harness = await WithMatrix.start(tmp_path, routers=coworkbot.routers())
    yield harness
    await harness.close()


async def rooms(bot: WithMatrix) -> dict[str, str]:
    rows = await bot.fetchall("SELECT user_id, room_id FROM matrix_direct_rooms")
    return {r["user_id"]: r["room_id"] for r in rows}


async def record_room(bot: WithMatrix, user_id: str, room_id: str) -> None:
    """What the Matrix transport stores when a person opens a private room with the bot."""
    async with bot.app.store.transaction() as session:
        await session.matrix.set_direct_room(user_id, room_id, bot.clock.now())


async def linked(bot: WithMatrix) -> int:
    """Bruno Zanetti, a member on `memory`, links his Matrix account; Nora, a stranger,
    once opened a private room with the bot on Matrix too. Bruno's member id."""
    await bot.setup_space("Anna", members=["Carla", NAME])
    await record_room(bot, MX, ROOM)
    await record_room(bot, NORA, NORA_ROOM)
    sent = await bot.say_matrix("!start", "Nora")
    assert sent[-1].text.startswith("Hi! I run coworking spaces")
    code = code_in(await bot.say("/link", as_=NAME, chat="private"))
    sent = await bot.say_matrix(f"!link {code}", NAME)
    assert any(s.text.startswith("Linked:") for s in sent)
    bruno = await member_of(bot, f"matrix:{MX}")
    assert bruno is not None and bruno == await member_of(bot, "memory:brunozanetti")
    return bruno


async def test_link_leaves_the_room_alone_and_myexport_shows_it(mx: WithMatrix) -> None:
    bruno = await linked(mx)
    assert await rooms(mx) == {MX: ROOM, NORA: NORA_ROOM}
    sent = await mx.say_matrix("!myexport", NAME)
    [export] = [s for s in sent if s.document is not None]
    assert export.private and export.to == MX
    assert export.document is not None
    data = json.loads(export.document.content)
    [mine] = data["memberships"]
    assert mine["member"]["id"] == bruno
    assert sorted(a["account"] for a in mine["member"]["accounts"]) == [
        f"matrix:{MX}",
        "memory:brunozanetti",
    ]
    assert [(r["account"], r["room"]) for r in mine["matrix"]["private_rooms"]] == [(MX, ROOM)]
    assert NORA not in export.document.content.decode()
    # A member without a Matrix account has no room to show.
    sent = await mx.say("/myexport", as_="Carla", chat="private")
    assert sent[0].document is not None
    assert json.loads(sent[0].document.content)["memberships"][0]["matrix"] == {"private_rooms": []}


async def test_forgetme_on_matrix_says_goodbye_in_the_room_then_forgets_it(
    mx: WithMatrix, tmp_path: Path
) -> None:
    bruno = await linked(mx)
    await mx.say("/checkin at the kiln", as_=NAME)
    assert await find_everywhere(mx, SECRETS)

    mx.matrix.failures.append(DeliveryError("homeserver busy", retry_after=1.0))
    sent = await mx.say_matrix("!forgetme confirm", NAME)
    assert sent == []  # the goodbye could not be delivered yet
    assert await member_of(mx, f"matrix:{MX}") is None
    # Kept for the goodbye, which must reach the room Bruno asked in: a tick before
    # it is delivered does not forget it…
    assert await rooms(mx) == {MX: ROOM, NORA: NORA_ROOM}
    assert await mx.fetchval("SELECT member_id FROM erasures") == bruno
    await mx.tick(timedelta(seconds=30))
    [goodbye] = [Sent.of(m) for m in mx.matrix.sent if m.chat.chat_id == MX][-1:]
    assert goodbye.private
    assert goodbye.text.startswith("Done: I've forgotten you.")
    assert await rooms(mx) == {MX: ROOM, NORA: NORA_ROOM}
    # …the first tick after it does; Nora's room stays.
    await mx.tick(timedelta(minutes=1))
    assert await rooms(mx) == {NORA: NORA_ROOM}

    await mx.restart()
    await mx.tick()
    assert await find_everywhere(mx, SECRETS) == []
    backup = tmp_path / "backup.db"
    await mx.app.store.db.backup(backup)
    assert bytes_found(backup, SECRETS) == []
    await mx.close()
    database = mx.config.database_path
    assert bytes_found(database, SECRETS) == []
    assert bytes_found(database.with_name(database.name + "-wal"), SECRETS) == []


async def test_forgetme_from_another_account_forgets_the_matrix_room_at_once(
    mx: WithMatrix,
) -> None:
    await linked(mx)
    sent = await mx.say("/forgetme confirm", as_=NAME, chat="private")
    assert sent[-1].text.startswith("Done: I've forgotten you.")
    assert sent[-1].chat.platform == "memory"
    assert await rooms(mx) == {NORA: NORA_ROOM}
    await mx.tick()
    assert await find_everywhere(mx, SECRETS) == []


async def test_a_matrix_account_still_a_member_elsewhere_keeps_its_room(
    mx: WithMatrix,
) -> None:
    """Forgetting Bruno in one space from his `memory` account leaves his Matrix
    account's room while that account is still a member of another space."""
    await linked(mx)
    async with mx.app.store.transaction() as session:
        other = await session.spaces.create("Other", mx.clock.now())
        await session.members.create(
            other.id, f"matrix:{MX}", NAME, mx.clock.now(), status=MemberStatus.ACTIVE
        )
    sent = await mx.say("/forgetme confirm", as_=NAME, chat="private")
    assert sent[-1].text.startswith("Done: I've forgotten you.")
    assert await rooms(mx) == {MX: ROOM, NORA: NORA_ROOM}
