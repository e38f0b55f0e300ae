"""The whole bot on Telegram: real python-telegram-bot, real app, the fake Bot API server.

Every test here talks as Telegram users do (messages, buttons, leaving a group) and reads
what Telegram would show. To add a capability's flow: make people with `server.user`,
a group with `server.group`, then `sent = await tg.say(person, "/command", group)` and
`await tg.press(person, sent[0], "Label")`; `tg.fetchall(sql)` reads what was stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import coworkbot
from bot.app import App
from bot.cli import build_transports
from bot.config import ConfigError, TelegramSection, parse_config
from bot.events import IncomingMessage
from bot.transports.telegram.transport import TelegramTransport
from storage.members import MemberStatus
from tests.support.fake_telegram import (
    SPEED,
    FakeTelegram,
    FakeUser,
    Sent,
    TelegramBot,
    eventually,
)

pytestmark = [
    pytest.mark.http,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]


@pytest.fixture
async def tg(server: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    bot = await TelegramBot(server, tmp_path, speed=SPEED).start()
    yield bot
    await bot.stop()


def only(sent: list[Sent], who: FakeUser | int) -> Sent:
    chat_id = who if isinstance(who, int) else who.id
    found = [s for s in sent if s.chat_id == chat_id]
    assert len(found) == 1, f"expected one message to {chat_id}, got {[s.text for s in sent]}"
    return found[0]


async def set_up(tg: TelegramBot, admin: FakeUser, group_id: int, join: str = "open") -> None:
    group = tg.server.chats[group_id]
    await tg.say(admin, "/setup Veglio", group)
    await tg.say(admin, f"/set join {join}", group)


async def test_membership_by_messages_and_buttons(tg: TelegramBot, server: FakeTelegram) -> None:
    anna = server.user("Anna", "Verdi", username="anna_v")
    bruno = server.user("Bruno", "Rossi")
    group = server.group("Coworking Veglio", creator=anna, members=(bruno,))

    # Anna writes as the group (anonymous admin): the bot asks who she is.
    prompt = only(await tg.say(anna, "/setup Veglio", group, anonymous=True), group.id)
    assert "Press the button to run /setup Veglio as yourself" in prompt.text
    assert [label for label, _ in prompt.buttons] == ["Run as me"]
    assert await tg.fetchval("SELECT COUNT(*) FROM spaces") == 0

    refused = only(await tg.press(bruno, prompt, "Run as me"), group.id)
    assert refused.text == "Only an admin of this chat can use /setup."
    assert await tg.fetchval("SELECT COUNT(*) FROM spaces") == 0

    done = only(await tg.press(anna, prompt, "Run as me"), group.id)
    assert done.text.startswith("The space Veglio is ready and you're its admin.")
    assert done.reply_to == prompt.message_id
    rows = await tg.fetchall(
        "SELECT m.display_name, m.role, i.identity FROM members m"
        " JOIN identities i ON i.member_id = m.id"
    )
    assert [tuple(r) for r in rows] == [("Anna Verdi", "admin", f"telegram:{anna.id}")]
    chats = await tg.fetchall("SELECT platform, chat_id FROM space_chats")
    assert [tuple(r) for r in chats] == [("telegram", str(group.id))]
    assert all(text == "" for text, _ in server.answers.values()) and len(server.answers) == 2

    # Bruno asks to join; Anna gets the request privately, with buttons.
    sent = await tg.say(bruno, "/join", group)
    assert (
        only(sent, group.id).text
        == "Thanks, Bruno Rossi: I've asked the admins of Veglio to approve you."
    )
    request = only(sent, anna)
    assert "Bruno Rossi (#2) asks to join Veglio" in request.text
    assert [label for label, _ in request.buttons] == ["Approve", "Reject"]
    assert all(len(data.encode()) <= 64 for _, data in request.buttons)
    status = "SELECT status FROM members WHERE display_name = 'Bruno Rossi'"
    assert await tg.fetchval(status) == MemberStatus.PENDING

    # Bruno copies the Approve button into his own chat, then forges one: both refused.
    hello = only(await tg.say(bruno, "/start"), bruno)
    for data in (request.button("Approve"), "approve 2|zz|AAAAAAAAAAA"):
        before = len(server.sent)
        update_id = server.press_data(bruno, hello, data)
        await server.wait_confirmed(update_id)
        await tg.deliver()
        assert server.sent[before:] == []
    refusals = [text for text, _ in list(server.answers.values())[-2:]]
    assert refusals == ["This button isn't valid any more."] * 2
    assert await tg.fetchval(status) == MemberStatus.PENDING

    sent = await tg.press(anna, request, "Approve")
    assert only(sent, anna).text == "Bruno Rossi is now a member."
    assert only(sent, bruno).text.startswith("You're in: welcome to Veglio!")
    assert await tg.fetchval(status) == MemberStatus.ACTIVE

    # The same button again: the dispatcher answers, nothing changes.
    again = only(await tg.press(anna, request, "Approve"), anna)
    assert again.text == "Bruno Rossi has no request waiting."

    sent = await tg.say(anna, "/promote Bruno", group)
    assert only(sent, group.id).text == "Bruno Rossi is now an admin."
    assert only(sent, bruno).text == "You're now an admin of Veglio."
    role = "SELECT role FROM members WHERE display_name = 'Bruno Rossi'"
    assert await tg.fetchval(role) == "admin"
    assert server.errors == []


async def test_setup_by_a_chat_admin_and_refused_to_others(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    owner, admin, carla = server.user("Olga"), server.user("Adam"), server.user("Carla")
    group = server.group("Veglio", creator=owner, admins=(admin,), members=(carla,))
    refused = only(await tg.say(carla, "/setup", group), group.id)
    assert refused.text == "Only an admin of this chat can use /setup."
    assert await tg.fetchval("SELECT COUNT(*) FROM spaces") == 0
    done = only(await tg.say(admin, "/setup@CoworkTestBot", group), group.id)
    assert "The space Veglio is ready" in done.text  # the group's title names the space
    assert server.calls["getChatMember"] == 2
    other = server.group("Other", creator=owner)
    assert (await tg.say(owner, "/setup@SomeOtherBot", other)) == []
    assert await tg.fetchval("SELECT COUNT(*) FROM spaces") == 1


@pytest.mark.parametrize("name", ["<b>&</b>", "</i>", "a < b & c", "&lt;x&gt;", "🙂<pre>"])
async def test_hostile_names_never_break_the_html(
    tg: TelegramBot, server: FakeTelegram, name: str
) -> None:
    anna = server.user("Anna")
    hostile = server.user(name, username="hostile_1")
    group = server.group("Veglio", creator=anna, members=(hostile,))
    await set_up(tg, anna, group.id)
    welcome = only(await tg.say(hostile, "/join", group), group.id)
    assert welcome.text.startswith(f"Welcome to Veglio, {name}!")
    listing = only(await tg.say(anna, "/members", group), group.id)
    assert f"{name} (@hostile_1) — member" in listing.text
    assert server.errors == []  # not one "can't parse entities"
    stored = "SELECT display_name FROM members WHERE username = 'hostile_1'"
    assert await tg.fetchval(stored) == name


async def test_edited_commands_and_other_chatter_do_nothing(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.group("Veglio", creator=anna, members=(bruno,))
    await set_up(tg, anna, group.id)
    original = server.say(bruno, group, "hello all")
    await server.wait_confirmed(original)
    message_id = server.updates[-1]["message"]["message_id"]
    before = len(server.sent)
    edit = server.say(bruno, group, "/join", edit_of=message_id)
    await server.wait_confirmed(edit)
    await tg.deliver()
    assert server.sent[before:] == []
    assert await tg.fetchval("SELECT COUNT(*) FROM members") == 1


async def test_leaving_the_group_ends_membership(tg: TelegramBot, server: FakeTelegram) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.group("Veglio", creator=anna, members=(bruno,))
    await set_up(tg, anna, group.id)
    await tg.say(bruno, "/join", group)
    before = len(server.sent)
    ids = server.leave(bruno, group)
    assert len(ids) == 2  # the service message and the chat_member update
    await server.wait_confirmed(ids[-1])
    await tg.deliver()
    notice = only(server.sent[before:], anna)  # told once, though two updates said it
    assert notice.text == "Bruno left the group and is no longer a member of Veglio."
    status = "SELECT status FROM members WHERE display_name = 'Bruno'"
    assert await tg.fetchval(status) == MemberStatus.LEFT


async def test_long_replies_are_split_at_line_breaks(tg: TelegramBot, server: FakeTelegram) -> None:
    anna = server.user("Anna")
    group = server.group("Veglio", creator=anna)
    await set_up(tg, anna, group.id)
    async with tg.app.store.transaction() as session:
        space = await session.spaces.by_chat("telegram", str(group.id))
        assert space is not None
        for i in range(150):
            name = f"Member number {i:03d} with a rather long name"
            await session.members.create(
                space.id, f"telegram:{900 + i}", name, tg.clock.now(), status=MemberStatus.ACTIVE
            )
    before = len(server.sent)
    command = server.say(anna, group, "/members")
    await server.wait_confirmed(command)
    await tg.deliver()
    pieces = server.sent[before:]
    assert len(pieces) == 3  # about 9,400 characters
    assert all(len(p.text) <= 4096 for p in pieces)
    assert pieces[0].reply_to is not None and pieces[1].reply_to is None
    assert all(p.text.split("\n")[-1].endswith("— member") for p in pieces)  # whole lines
    lines = [line for p in pieces for line in p.text.split("\n")]
    assert sum("with a rather long name" in line for line in lines) == 150
    assert lines[0] == "Members of Veglio"


async def test_italian_speakers_get_italian(tg: TelegramBot, server: FakeTelegram) -> None:
    giulia = server.user("Giulia", language="it")
    greeting = only(await tg.say(giulia, "/start"), giulia)
    assert greeting.text.startswith("Ciao! Gestisco spazi di coworking")


async def test_the_command_menu_is_published_in_every_language(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    """setMyCommands for the default (no language_code) and for it, en and de, each for
    everyone and for the chats' admins (Bot API, setMyCommands, BotCommandScope)."""
    assert {lang for _, lang in server.commands} == {"", "it", "en", "de"}
    for lang in ("", "it", "en", "de"):
        everyone = dict(server.commands[("default", lang)])
        admins = dict(server.commands[("all_chat_administrators", lang)])
        assert "join" in everyone and "approve" not in everyone
        assert {"approve", "promote", "join"} <= set(admins)
    assert dict(server.commands[("default", "it")])["join"] == "iscriviti a questo spazio"
    assert dict(server.commands[("default", "")])["join"] == "become a member of this space"
    assert dict(server.commands[("default", "de")])["join"] == "Mitglied dieses Space werden"


async def test_the_cli_wiring_answers_with_the_outbox_in_the_background(
    server: FakeTelegram, tmp_path: Path
) -> None:
    """`coworkbot run`'s own pieces: config, build_transports, App with its outbox loop."""
    raw = {
        "bot": {"data_dir": str(tmp_path), "default_language": "it"},
        "telegram": {"token": server.token, "api_base_url": server.base_url + "/"},
    }
    config = parse_config(raw, None, {})
    (transport,) = build_transports(config, coworkbot.routers())
    assert isinstance(transport, TelegramTransport) and transport.menu is not None
    app = App(config, [transport], routers=coworkbot.routers())
    await app.start()
    try:
        assert transport.bot_name == "CoworkTestBot"
        giulia = server.user("Giulia", language="it")
        server.say(giulia, None, "/start")

        async def answered() -> bool:
            return bool(server.to(giulia))

        await eventually(answered)
        assert server.to(giulia)[0].text.startswith("Ciao! Gestisco spazi di coworking")
    finally:
        await app.stop()
    assert server.calls["deleteWebhook"] == 1 and server.calls["setMyCommands"] == 8


async def test_a_refused_token_stops_the_start_with_a_clear_error(server: FakeTelegram) -> None:
    wrong = "7000001:AAwrong-token_0000000000000000000000000"
    section = TelegramSection(token=wrong, api_base_url=server.base_url)
    transport = TelegramTransport(section)

    async def sink(msg: IncomingMessage) -> None:
        raise AssertionError("nothing should arrive")

    with pytest.raises(ConfigError) as caught:
        await transport.start(sink)
    assert caught.value.key == "telegram.token"
    assert "refused this token" in str(caught.value) and "AAwrong" not in str(caught.value)
    await transport.stop()
