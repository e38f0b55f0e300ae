"""The one path every message takes: parsing, dedupe, refusals, hostile input."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import pytest

import coworkbot
from bot.arguments import Rest, YearMonth
from bot.context import Context, MemberContext, Refusal
from bot.events import ChatRef, Kind, Platform
from bot.flood import FloodGuard
from bot.parsing import parse_line
from bot.registry import Role, Router
from bot.testing import BotHarness


@pytest.mark.parametrize(
    ("text", "prefixes", "expected"),
    [
        ("/checkin", "/", ("checkin", "", False)),
        ("/checkin  at the window ", "/", ("checkin", "at the window", False)),
        ("/CheckIn@CoworkBot note", "/", ("checkin", "note", True)),
        ("/checkin@coworkbot", "/", ("checkin", "", True)),
        ("!who", "!", ("who", "", False)),
        ("/ask\nexcel: how?", "/", ("ask", "excel: how?", False)),
    ],
)
def test_parse_line(text: str, prefixes: str, expected: tuple[str, str, bool]) -> None:
    parsed = parse_line(text, prefixes, "CoworkBot")
    assert parsed is not None
    assert (parsed.word, parsed.args, parsed.addressed) == expected


@pytest.mark.parametrize(
    "text", ["hello", "/", "!who", "/checkin@OtherBot", "/ünïcode", "/" + "x" * 40, "/ leading"]
)
def test_not_a_command_for_us(text: str) -> None:
    assert parse_line(text, "/", "CoworkBot") is None


async def test_same_update_twice_has_one_effect_and_one_reply(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    first = await bot.say("/join", as_="Bruno", update_id="u-77")
    second = await bot.say("/join", as_="Bruno", update_id="u-77")
    assert len(first) == 1 and "Welcome" in first[0].text
    assert second == []
    assert await bot.count("members", display_name="Bruno") == 1
    assert await bot.count("processed_updates", update_key="memory:u-77") == 1


async def test_redelivery_after_restart_is_ignored(tmp_path: Path) -> None:
    bot = await BotHarness.start(tmp_path, routers=coworkbot.routers())
    await bot.setup_space("Anna")
    await bot.say("/promote nobody", as_="Anna", update_id="u-1")
    await bot.say("/join", as_="Bruno", update_id="u-2")
    await bot.restart()
    assert await bot.say("/join", as_="Bruno", update_id="u-2") == []
    assert len(await bot.say("/members", as_="Anna", update_id="u-3")) == 1
    await bot.close()


async def test_unknown_commands(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    assert "Did you mean /members" in (await bot.say("/membrs", as_="Anna"))[0].text
    # In a group an unknown command may be another bot's: no answer unless addressed.
    assert await bot.say("/weather", as_="Anna") == []
    addressed = await bot.say("/weather@coworkbot", as_="Anna")
    assert "/help" in addressed[0].text
    private = await bot.say("/weather", as_="Anna", chat="private")
    assert "I don't know the command /weather" in private[0].text
    chatter = await bot.say("good morning everyone", as_="Anna")
    assert chatter == []
    hint = await bot.say("hello bot", as_="Anna", chat="private")
    assert "commands" in hint[0].text


async def test_usage_on_bad_arguments_is_translated(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/lang fr", as_="Bruno")
    assert sent[0].text == (
        "I don't speak “fr”. I speak: Deutsch (de), English (en), italiano (it).\n"
        "Usage: /lang [language]"
    )
    sent = await bot.say("/cost remove", as_="Anna")
    assert "Something's missing" in sent[0].text
    sent = await bot.say("/lang it en", as_="Bruno")
    assert "Too many words" in sent[0].text
    await bot.say("/lang it", as_="Anna")
    sent = await bot.say("/lang xx", as_="Anna", chat="private")
    assert "Non parlo “xx”" in sent[0].text and "Uso: /lang [lingua]" in sent[0].text
    assert (await bot.member("Bruno")).language is None


async def test_wrong_place_and_wrong_role_change_nothing(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/join", as_="Zoe", chat="private")
    assert "works in the community's group" in sent[0].text
    sent = await bot.say("/start", as_="Bruno")
    assert "private" in sent[0].text and not sent[0].private
    sent = await bot.say("/lang it", as_="Zoe")
    assert "for members" in sent[0].text
    assert await bot.count("members", display_name="Zoe") == 0


async def test_hostile_text_is_answered_safely(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    evil = bot.user("<b>Eve</b> & \x07co")
    sent = await bot.say("/join", as_=evil)
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp;" in sent[0].html
    assert "\x07" not in sent[0].html
    stored = await bot.fetchval("SELECT display_name FROM members WHERE id = 2")
    assert stored == "<b>Eve</b> & co"

    huge = "/help " + "x" * 10_000
    sent = await bot.say(huge, as_="Anna")
    assert "Too long" in sent[0].text and len(sent[0].html) < 500
    sent = await bot.say("/" + "y" * 10_000, as_="Anna", chat="private")
    assert sent == [] or len(sent[0].html) < 500
    sent = await bot.say("/members\x00\x1b[31m", as_="Anna")
    assert sent and len(sent[0].html) < 2000


async def test_edited_messages_are_not_commands(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    assert await bot.say("/join", as_="Bruno", kind=Kind.EDITED) == []
    assert await bot.count("members", display_name="Bruno") == 0


async def test_member_left_event_marks_the_member_left(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("", as_="Bruno", kind=Kind.MEMBER_LEFT)
    assert any(s.to == "anna" and "left the group" in s.text for s in sent)
    assert (await bot.member("Bruno")).status == "left"
    await bot.say("", as_="Anna", kind=Kind.MEMBER_LEFT)
    assert (await bot.member("Anna")).status == "active"


async def test_a_crashing_handler_changes_nothing_and_apologises_once(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    join = bot.app.registry.commands["join"]

    async def broken(ctx: Context) -> None:
        assert ctx.space is not None and ctx.msg is not None
        await ctx.session.members.create(ctx.space.id, ctx.msg.sender.identity, "Half", ctx.now)
        await ctx.say("join.welcome", space="x", name="y", help="z")
        raise RuntimeError("boom")

    original = join.func
    object.__setattr__(join, "func", broken)  # routers are shared: put it back after
    try:
        sent = await bot.say("/join", as_="Bruno", update_id="crash-1")
        assert len(sent) == 1 and "something went wrong" in sent[0].text
        assert await bot.say("/join", as_="Bruno", update_id="crash-1") == []
        assert await bot.count("members") == 1
    finally:
        object.__setattr__(join, "func", original)


async def test_commands_from_another_platform_chat_are_not_bound(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    other = ChatRef(Platform.MEMORY, "another-group", private=False)
    sent = await bot.say("/members", as_="Anna", chat=other)
    assert "isn't set up" in sent[0].text


def test_flood_guard_warns_once_then_drops_until_the_window_passes() -> None:
    moment = [0.0]
    guard = FloodGuard(limit=20, window=10.0, now=lambda: moment[0])
    verdicts = [guard.check("telegram:1") for _ in range(23)]
    assert verdicts[:20] == ["ok"] * 20 and verdicts[20:] == ["warn", "drop", "drop"]
    assert guard.check("telegram:2") == "ok"
    moment[0] = 10.5
    assert guard.check("telegram:1") == "ok"


def test_an_argument_nobody_can_parse_is_refused_when_registered() -> None:
    router = Router("odd")

    async def wants_a_float(ctx: Context, amount: float) -> None: ...

    async def rest_of_an_int(ctx: Context, number: Annotated[int, Rest(10)]) -> None: ...

    async def unannotated(ctx: Context, what) -> None:  # type: ignore[no-untyped-def]
        ...

    async def numeric_choices(ctx: Context, pick: Literal[1, 2]) -> None: ...

    for func, why in [
        (wants_a_float, "no converter for argument amount"),
        (rest_of_an_int, "Rest() marks str arguments"),
        (unannotated, "argument 'what' has no annotation"),
        (numeric_choices, "no converter for argument pick"),
    ]:
        with pytest.raises(TypeError, match=re.escape(why)):
            router.command("odd")(func)
    assert router.commands == []


def test_every_supported_argument_kind_registers() -> None:
    router = Router("fine")

    async def handler(
        ctx: Context,
        word: str,
        number: int,
        day: date | None = None,
        choice: Literal["a", "b"] | None = None,
        month: YearMonth | None = None,
        rest: Annotated[str, Rest(20)] = "",
    ) -> None: ...

    router.command("fine")(handler)
    (command,) = router.commands
    assert [(p.name, p.rest, p.optional) for p in command.params] == [
        ("word", False, False),
        ("number", False, False),
        ("day", False, True),
        ("choice", False, True),
        ("month", False, True),
        ("rest", True, True),
    ]


def test_a_member_context_is_refused_for_commands_anyone_may_send() -> None:
    router = Router("odd")

    async def greet(ctx: MemberContext) -> None: ...

    with pytest.raises(TypeError, match="greet takes a MemberContext, but ANYONE commands"):
        router.command("greet", role=Role.ANYONE)(greet)
    router.command("greet", role=Role.MEMBER)(greet)
    assert [c.name for c in router.commands] == ["greet"]


async def test_member_commands_get_the_space_and_the_caller_and_refusals_are_answered(
    tmp_path: Path,
) -> None:
    extra = Router("extra")  # its answers borrow two catalog messages
    seen: list[tuple[str, str, str]] = []

    @extra.command("probe")
    async def probe(ctx: MemberContext, word: str) -> None:
        seen.append((type(ctx).__name__, ctx.space.name, ctx.member.display_name))
        if word == "no":
            raise Refusal("promote.not_active", name=ctx.member.display_name)
        await ctx.say("approve.done", name=ctx.member.display_name)

    bot = await BotHarness.start(tmp_path, routers=[*coworkbot.routers(), extra])
    try:
        await bot.setup_space("Anna", members=["Bruno"])
        refused = await bot.say("/probe no", as_="Bruno")
        assert [s.text for s in refused] == ["Bruno isn't an active member."]
        assert [s.text for s in await bot.say("/probe yes", as_="Bruno")] == [
            "Bruno is now a member."
        ]
        assert seen == [("MemberContext", "Veglio", "Bruno")] * 2
        # A stranger never reaches the handler: the dispatcher refuses first.
        stranger = await bot.say("/probe yes", as_="Carla")
        assert "for members" in stranger[0].text and len(seen) == 2
        # The refused update is recorded like any other: sent again, it does nothing.
        assert await bot.say("/probe no", as_="Bruno", update_id="r-1") != []
        assert await bot.say("/probe no", as_="Bruno", update_id="r-1") == []
    finally:
        await bot.close()
