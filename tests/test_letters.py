"""Writing to many members privately: one query for everyone's chat, each reader in their
own language and with the command prefix of the platform they read on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

import coworkbot
from bot.context import Ago, Cmd, Letter, MemberContext, message
from bot.registry import Role, Router
from tests.support.privacy import WithMatrix, code_in

extra = Router("letters_for_tests")  # it borrows two catalog messages


@extra.command("tellall", role=Role.ADMIN)
async def tell_all(ctx: MemberContext) -> None:
    members = await ctx.session.members.of_space(ctx.space.id)
    note = dict(skill="excel", number=1, question="Pivot?", offer=Cmd("who"))
    letters = [
        Letter(
            m,
            message("skills.escalation", name=m.display_name, age=Ago(timedelta(hours=4)), **note),
        )
        for m in members
    ]
    reached = await ctx.send_private(letters)
    await ctx.say("skills.asked_told", count=len(reached), skill="excel")


@pytest.fixture
async def mx(tmp_path: Path) -> AsyncIterator[WithMatrix]:
    harness = await WithMatrix.start(tmp_path, routers=[*coworkbot.routers(), extra])
    yield harness
    await harness.close()


async def identity_queries(bot: WithMatrix, line: str) -> tuple[list[str], int]:
    """What `line` said back as Anna, and how many statements read the identities table."""
    seen: list[str] = []
    bot.app.store.db.trace(lambda sql: seen.append(sql) if "identities" in sql else None)
    sent = await bot.say(line, as_="Anna")
    bot.app.store.db.trace(None)
    return [s.text for s in sent if not s.private], len(seen)


async def test_each_reader_gets_their_language_and_prefix_and_the_erased_are_skipped(
    mx: WithMatrix,
) -> None:
    await mx.setup_space("Anna", members=["Bruno", "Carla", "Dario"])
    await mx.say("/lang it", as_="Carla")
    code = code_in(await mx.say("/link", as_="Bruno", chat="private"))
    await mx.say_matrix(f"!link {code}", "Bruno")  # Bruno now reads on Matrix
    await mx.say("/forgetme confirm", as_="Dario", chat="private")

    answer, _ = await identity_queries(mx, "/tellall")

    # Dario has no account left: nobody to tell.
    assert answer == ["I told 3 members who know excel, privately."]
    assert [s.text for s in mx.inbox("Carla")][-1] == (
        "🙋 Ancora nessun aiuto dopo 4 ore: Carla chiede di excel (richiesta #1):\nPivot?\n"
        "Puoi aiutare? /chi"  # the command as her Italian menu names it
    )
    to_bruno = [m for m in mx.matrix.sent if m.chat.chat_id == "@bruno:example.org"]
    assert to_bruno[-1].html.endswith(
        "Bruno asks about <b>excel</b> (request <b>#1</b>):\nPivot?\nCan you help? !who"
    )
    assert [s.text for s in mx.inbox("Anna")][-1].startswith(
        "🙋 Still no helper after 4 hours: Anna asks about excel"
    )


async def test_one_query_finds_everyones_chat_however_many_they_are(mx: WithMatrix) -> None:
    await mx.setup_space("Anna", members=["Bruno", "Carla"])
    _, few = await identity_queries(mx, "/tellall")
    for n in range(12):
        await mx.say("/join", as_=f"Newcomer{n}")
    answer, many = await identity_queries(mx, "/tellall")
    assert answer == ["I told 15 members who know excel, privately."]
    assert many == few
