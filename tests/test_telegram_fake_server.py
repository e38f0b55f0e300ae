"""The fake Bot API server answers like Telegram: checked with the real python-telegram-bot.

The transport's tests are only as good as this fake, so its refusals are tested here on
their own: HTML Telegram cannot parse, texts and callback data over the limits, flood
control, blocked users, long polling with offsets, and the failures it can inject.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.transports.telegram.transport import retry_seconds
from tests.support.fake_telegram import EntityError, FakeLimits, FakeTelegram, Faults, parse_html

pytestmark = [
    pytest.mark.http,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(limits=FakeLimits())  # Telegram's own limits: no race with the clock
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=0.5, connect_timeout=1, write_timeout=1)
    polling = HTTPXRequest(read_timeout=1, connect_timeout=1, write_timeout=1)
    client = Bot(
        server.token,
        base_url=f"{server.base_url}/bot",
        request=request,
        get_updates_request=polling,
    )
    await client.initialize()
    yield client
    await client.shutdown()


# -- HTML as Telegram parses it -----------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a <script>x</script>", 'Unsupported start tag "script" at byte offset 2'),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("€ <", "Unclosed start tag at byte offset 4"),
        ("<a href>x</a>", 'Expected equal sign in declaration of an attribute of the tag "a"'),
    ],
)
def test_parser_refuses_what_telegram_refuses(html: str, error: str) -> None:
    with pytest.raises(EntityError) as caught:
        parse_html(html)
    assert str(caught.value).startswith(error)


def test_parser_reads_entities_like_telegram() -> None:
    assert parse_html("<b>&</b>") == ("&", [{"type": "bold", "offset": 0, "length": 1}])
    assert parse_html("&lt;b&gt; &amp;amp; &#x1F642; &#233; &nbsp; &quot;")[0] == (
        '<b> &amp; 🙂 é &nbsp; "'
    )
    text, entities = parse_html('🙂<a href="https://x.org/?a=1&amp;b=2">link</a>')
    assert text == "🙂link"
    assert entities == [
        {"type": "text_link", "offset": 2, "length": 4, "url": "https://x.org/?a=1&b=2"}
    ]


async def test_send_refuses_bad_html_long_text_and_big_callback_data(
    server: FakeTelegram, bot: Bot
) -> None:
    anna = server.user("Anna")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Unsupported start tag"):
        await bot.send_message(anna.id, "Hi <Anna>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)Message is too long"):
        await bot.send_message(anna.id, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)Message is too long"):
        await bot.send_message(anna.id, "🙂" * 2049)  # UTF-16 units, as Telegram counts
    with pytest.raises(BadRequest, match=r"(?i)Button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 65)]])
        await bot.send_message(anna.id, "pick", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)Message text is empty"):
        await bot.send_message(anna.id, "<b> </b>", parse_mode="HTML")
    sent = await bot.send_message(anna.id, "<b>&lt;b&gt;&amp;&lt;/b&gt;</b>", parse_mode="HTML")
    assert sent.text == "<b>&</b>"
    assert server.to(anna)[0].text == "<b>&</b>"
    assert [code for _, code, _ in server.errors] == [400] * 5


async def test_private_chats_need_a_start_and_no_block(server: FakeTelegram, bot: Bot) -> None:
    shy = server.user("Shy", started=False)
    with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation with a user"):
        await bot.send_message(shy.id, "hello")
    shy.started, shy.blocked = True, True
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(shy.id, "hello")
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(123, "hello")
    group = server.group("Gone", bot_status="kicked")
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked"):
        await bot.send_message(group.id, "hello")


async def test_flood_control_answers_429_with_retry_after(server: FakeTelegram, bot: Bot) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    await bot.send_message(anna.id, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(anna.id, "two")  # 1 per (scaled) second in a private chat
    assert retry_seconds(caught.value) == 1
    await bot.send_message(bruno.id, "hi")  # too fast for one chat stops only that chat
    assert [s.text for s in server.sent] == ["one", "hi"]


async def test_too_fast_overall_stops_every_chat(server: FakeTelegram, bot: Bot) -> None:
    people = [server.user(f"P{i}") for i in range(32)]
    for person in people[:30]:
        await bot.send_message(person.id, "hello")
    with pytest.raises(RetryAfter):
        await bot.send_message(people[30].id, "hello")
    with pytest.raises(RetryAfter):
        await bot.send_message(people[31].id, "hello")  # the bot waits out retry_after
    assert server.error_count(429) == 2 and len(server.sent) == 30


async def test_group_limit_is_per_chat(server: FakeTelegram, bot: Bot) -> None:
    group = server.group("Veglio")
    for i in range(20):
        await bot.send_message(group.id, f"n{i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(group.id, "n20")


async def test_long_polling_offsets_and_conflicts(server: FakeTelegram, bot: Bot) -> None:
    anna = server.user("Anna")
    first = server.say(anna, None, "/start")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first]
    assert (await bot.get_updates(timeout=0))[0].update_id == first  # not yet confirmed
    waiting = asyncio.ensure_future(bot.get_updates(offset=first + 1, timeout=5))
    await asyncio.sleep(0.05)
    assert server.confirmed == first + 1 and not waiting.done()
    second = server.say(anna, None, "/help")
    updates = await waiting
    assert [u.update_id for u in updates] == [second]
    assert updates[0].message is not None and updates[0].message.text == "/help"
    one = asyncio.ensure_future(bot.get_updates(offset=second + 1, timeout=5))
    await asyncio.sleep(0.05)
    two = asyncio.ensure_future(bot.get_updates(offset=second + 1, timeout=0))
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await one
    assert await two == ()
    server.unconfirm_all()
    assert len(await bot.get_updates(timeout=0)) == 2


async def test_members_admins_edits_and_callback_answers(server: FakeTelegram, bot: Bot) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.group("Veglio", creator=anna, admins=(bruno,))
    assert (await bot.get_chat_member(group.id, anna.id)).status == ChatMemberStatus.OWNER
    assert (await bot.get_chat_member(group.id, bruno.id)).status == ChatMemberStatus.ADMINISTRATOR
    carla = server.user("Carla")
    assert (await bot.get_chat_member(group.id, carla.id)).status == ChatMemberStatus.LEFT
    admins = await bot.get_chat_administrators(group.id)
    assert {a.user.id for a in admins} == {anna.id, bruno.id}

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await bot.send_message(group.id, "Sure?", reply_markup=markup)
    edited = await bot.edit_message_text("Sure!", chat_id=group.id, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Sure!"
    with pytest.raises(BadRequest, match=r"(?i)Message is not modified"):
        await bot.edit_message_text("Sure!", chat_id=group.id, message_id=sent.message_id)

    server.press_data(anna, server.sent[0], "yes")
    (update,) = await bot.get_updates(timeout=0)
    assert update.callback_query is not None and update.callback_query.data == "yes"
    assert await bot.answer_callback_query(update.callback_query.id, text="ok")
    with pytest.raises(BadRequest, match=r"(?i)Query is too old"):
        await bot.answer_callback_query(update.callback_query.id)


async def test_commands_and_webhook_settings(server: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([("join", "become a member")], language_code="en")
    assert server.commands[("default", "en")] == [("join", "become a member")]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([("cost add", "two words")])
    with pytest.raises(BadRequest, match=r"(?i)An https url must be provided"):
        await bot.set_webhook("http://insecure.example.org/hook")
    await bot.set_webhook("https://bot.example.org/hook", secret_token="s3cret")
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_injected_failures(server: FakeTelegram, bot: Bot) -> None:
    server.set_faults(Faults(hang=1.0))
    for kind, error in (("5xx", NetworkError), ("drop", NetworkError), ("timeout", TimedOut)):
        server.fail_next(kind)
        with pytest.raises(error):
            await bot.send_message(server.user(kind).id, kind)
    assert server.sent == []  # none of these accepted the message
    server.fail_next("lost")
    with pytest.raises(NetworkError):
        await bot.send_message(server.user("Lost").id, "lost")
    assert [s.text for s in server.sent] == ["lost"]  # accepted, though the bot cannot know
