"""What Telegram really does to a community's group, end to end.

The real app and python-telegram-bot against the fake Bot API server, which models each
of these from the Bot API documentation (tests/fake_telegram.py cites the pages): a
basic group upgraded to a supergroup (its id changes), forum topics, commands that
waited while the bot was down, automatic forwards and posts as a channel, deep links,
a server address given with or without `/bot`, and names written to fool the eye.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.config import ConfigError, TelegramSection
from bot.events import IncomingMessage
from bot.transports.telegram.transport import TelegramTransport
from tests.support.fake_telegram import (
    SPEED,
    FakeChat,
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

ROME = ZoneInfo("Europe/Rome")
UPGRADED = "group chat was upgraded to a supergroup chat"
NOT_A_THREAD = "message thread not found"


def rome(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


@pytest.fixture
async def tg(server: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    clock = FakeClock(rome(25, 9))
    bot = await TelegramBot(server, tmp_path, clock=clock, speed=SPEED, scripted=True).start()
    yield bot
    await bot.stop()


def to(sent: list[Sent], where: FakeUser | FakeChat) -> list[Sent]:
    return [s for s in sent if s.chat_id == where.id]


def one(sent: list[Sent], where: FakeUser | FakeChat) -> Sent:
    found = to(sent, where)
    assert len(found) == 1, f"expected one message to {where.id}, got {[s.text for s in sent]}"
    return found[0]


async def rows(tg: TelegramBot, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await tg.fetchall(sql)]


async def handled(tg: TelegramBot, update_ids: list[int]) -> None:
    """Until the bot confirmed these updates (it stored what they did), then deliver."""
    for update_id in update_ids:
        await tg.server.wait_confirmed(update_id)
    await tg.deliver()


# -- a group upgraded to a supergroup -------------------------------------------------------


async def test_an_upgraded_group_keeps_its_space_its_queue_and_its_buttons(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.basic_group("Veglio", creator=anna, members=(bruno,))
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(anna, "/set join open", group)
    await tg.say(bruno, "/join", group)
    await tg.say(bruno, "/skills add excel")
    request = one(await tg.say(anna, "/ask excel: a pivot table?"), group)
    assert request.buttons  # "I can help", signed for the basic group's id

    # Bruno's /who is handled and its answer queued when the upgrade comes.
    who = server.say(bruno, group, "/who")
    await server.wait_confirmed(who)
    new = server.upgrade(group, by=anna)
    await handled(tg, [server.updates[-1]["update_id"]])

    assert await rows(tg, "SELECT platform, chat_id FROM space_chats") == [
        ("telegram", str(new.id))
    ]
    assert await rows(tg, "SELECT old_chat_id, new_chat_id FROM chat_moves") == [
        (str(group.id), str(new.id))
    ]
    after = [s for s in server.sent if s.chat_id == new.id and s.at >= request.at]
    assert [s.text for s in after if "carries on here" in s.text] == [
        "Veglio carries on here: this chat took the place of the old one (Telegram upgrades"
        " a group to a supergroup by itself when a setting changes; a Matrix room upgrade"
        " makes a new room). Nothing to do."
    ]  # two service messages, one notice
    answers = [s for s in after if s.text.startswith("Nobody's in")]
    assert len(answers) == 1  # the queued answer went to the new id, once
    assert not any(UPGRADED in e[2] for e in server.errors)  # not even tried at the old id

    # The button shown before the upgrade still works in the supergroup.
    offered = await tg.press(bruno, request, "I can help")
    assert any("Bruno" in s.text and s.chat_id == anna.id for s in offered)
    # /setup in the new chat finds the space: no second one.
    again = one(await tg.say(anna, "/setup Other", new), new)
    assert again.text == "This chat already belongs to the space Veglio."
    assert await tg.fetchval("SELECT COUNT(*) FROM spaces") == 1


async def test_an_upgrade_learnt_only_when_sending_moves_the_space_then(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.basic_group("Veglio", creator=anna, members=(bruno,))
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(anna, "/set join open", group)
    await tg.say(bruno, "/join", group)
    await tg.say(bruno, "/skills add excel")
    new = server.upgrade(group, by=anna, tell=False)  # the service messages never came

    sent = await tg.say(anna, "/ask excel: a pivot table?")
    posts = [s for s in to(sent, new) if s.buttons]
    assert len(posts) == 1 and "pivot table" in posts[0].text
    assert sum(UPGRADED in e[2] for e in server.errors) == 1  # refused once, then followed
    assert await rows(tg, "SELECT chat_id FROM space_chats") == [(str(new.id),)]
    assert len([s for s in server.to(new) if "carries on here" in s.text]) == 1
    # Later posts go to the new id at once.
    await tg.say(anna, "/ask excel: and a chart?")
    assert sum(UPGRADED in e[2] for e in server.errors) == 1


async def test_an_upgrade_while_the_bot_was_away_is_found_at_start(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna = server.user("Anna")
    group = server.basic_group("Veglio", creator=anna)
    await tg.say(anna, "/setup Veglio", group)
    await tg.stop()
    new = server.upgrade(group, by=anna, tell=False)  # more than a day ago: updates gone
    await tg.start()

    async def moved() -> bool:
        return await rows(tg, "SELECT chat_id FROM space_chats") == [(str(new.id),)]

    await eventually(moved)
    await tg.deliver()
    assert len([s for s in server.to(new) if "carries on here" in s.text]) == 1
    again = one(await tg.say(anna, "/setup Veglio", new), new)
    assert again.text == "This chat already belongs to the space Veglio."
    assert await tg.fetchval("SELECT COUNT(*) FROM spaces") == 1


# -- forum topics -----------------------------------------------------------------------------


async def test_topics_replies_in_the_command_s_topic_posts_in_the_chosen_one(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    forum = server.forum("Veglio", creator=anna, members=(bruno,))
    desk = server.topic(forum, "Coworking", by=anna)
    news = server.topic(forum, "Annunci", by=anna)
    await tg.say(anna, "/setup Veglio", forum)  # in General
    await tg.say(anna, "/set join open", forum)

    welcome = one(await tg.say(bruno, "/join", forum, topic=desk), forum)
    assert welcome.thread == desk and welcome.text.startswith("Welcome to Veglio")
    who = one(await tg.say(bruno, "/who", forum), forum)
    assert who.thread is None  # General: no thread given (never thread 1)
    await tg.say(bruno, "/skills add excel")

    # A post that answers nobody goes to General until the admins choose a topic.
    post = one(await tg.say(anna, "/ask excel: a pivot table?"), forum)
    assert post.thread is None and post.buttons
    chosen = one(await tg.say(anna, "/set topic here", forum, topic=news), forum)
    assert chosen.thread == news
    assert chosen.text == (
        "From now on my posts (announcements, requests, reminders) go to this topic."
    )
    post = one(await tg.say(anna, "/ask excel: and a chart?"), forum)
    assert post.thread == news
    refused = one(await tg.say(bruno, "/set topic general", forum, topic=desk), forum)
    assert refused.text == "Only the space's admins can use /set topic." and refused.thread == desk

    # The topic is deleted: posts still reach the group, in General.
    del forum.topics[news]
    post = one(await tg.say(anna, "/ask excel: conditional formats?"), forum)
    assert post.thread is None
    assert [e for e in server.errors if NOT_A_THREAD in e[2]] != []
    back = one(await tg.say(anna, "/set topic general", forum, topic=desk), forum)
    assert back.thread == desk and back.text.endswith("go to General.")
    assert await rows(tg, "SELECT topic FROM space_chats") == [("",)]
    assert not [e for e in server.errors if e[1] == 400 and NOT_A_THREAD not in e[2]]


async def test_a_reply_in_a_group_without_topics_carries_no_thread(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna = server.user("Anna")
    group = server.group("Veglio", creator=anna)
    ready = one(await tg.say(anna, "/setup Veglio", group), group)
    # Answering the bot's message: Telegram puts the reply in a thread of replies
    # (message_thread_id, no is_topic_message); the answer must not name it.
    sent = one(await tg.say(anna, "/settings", group, reply_to=ready), group)
    assert sent.thread is None and sent.text.startswith("Settings of Veglio")
    refused = one(await tg.say(anna, "/set topic here", group), group)
    assert refused.text == "This group has no topics: my posts go to the group itself."
    assert [e for e in server.errors if NOT_A_THREAD in e[2]] == []


# -- commands that waited while the bot was down ----------------------------------------------


async def community(tg: TelegramBot) -> tuple[FakeUser, FakeUser, FakeUser, FakeChat]:
    server = tg.server
    anna, bruno, carla = server.user("Anna"), server.user("Bruno"), server.user("Carla")
    group = server.group("Veglio", creator=anna, members=(bruno, carla))
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(anna, "/set join open", group)
    await tg.say(anna, "/set closing 19:00", group)
    for person in (bruno, carla):
        await tg.say(person, "/join", group)
    return anna, bruno, carla, group


Said = tuple[datetime, FakeUser, str]  # when, who, what (in the group)


async def while_down(
    tg: TelegramBot, group: FakeChat, said: list[Said], back: datetime
) -> list[str]:
    """The bot is down; people write in the group at the given times; it is back at
    `back`. Its answers in the group to what was said meanwhile."""
    await tg.stop()
    for moment, person, text in said:
        tg.clock.set(moment)
        tg.server.say(person, group, text)
    tg.clock.set(back)
    before = len(tg.server.sent)
    await tg.start()
    await handled(tg, [tg.server.updates[-1]["update_id"]])
    return [s.text for s in to(tg.server.sent[before:], group)]


async def test_commands_sent_while_the_bot_was_down_count_when_they_were_sent(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno, carla, group = await community(tg)
    said = [(rome(25, 9, 0), bruno, "/checkin"), (rome(25, 9, 40), carla, "/checkin")]
    replies = await while_down(tg, group, said, back=rome(25, 9, 45))
    assert replies == [
        "Welcome, Bruno! You checked in at 09:00. You're the first one here.\n"
        "You sent this at 09:00, while I was offline: I could only answer now.",
        "Welcome, Carla! You checked in at 09:40. 2 people are in now.",  # 5 minutes: in time
    ]
    assert await rows(tg, "SELECT checkin_at FROM visits ORDER BY id") == [
        ("2026-11-25T08:00:00Z",),
        ("2026-11-25T08:40:00Z",),
    ]

    # A checkout sent before closing and handled after it keeps its own time.
    said = [
        (rome(25, 17, 0), bruno, "/checkout"),
        (rome(25, 18, 50), carla, "/checkin"),  # already in: said so, late
        (rome(25, 19, 30), anna, "/who"),
    ]
    replies = await while_down(tg, group, said, back=rome(25, 19, 30))
    assert replies[0] == (
        "Bye, Bruno! You were here for 8 h (09:00–17:00).\n"
        "You sent this at 17:00, while I was offline: I could only answer now."
    )
    visits = await rows(tg, "SELECT checkout_at, closed_by FROM visits ORDER BY id")
    assert visits == [("2026-11-25T16:00:00Z", "member"), ("2026-11-25T18:00:00Z", "closing")]


async def test_a_check_in_that_arrives_after_the_day_s_closing_is_refused(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno, carla, group = await community(tg)
    replies = await while_down(tg, group, [(rome(25, 18, 50), bruno, "/checkin")], rome(25, 19, 30))
    assert replies == [
        (
            "I got this check-in only after that day's closing time (19:00), so I did not"
            " record it.\nYou sent this at 18:50, while I was offline: I could only answer now."
        )
    ]
    assert await tg.fetchval("SELECT COUNT(*) FROM visits") == 0

    # With no closing time a day ends at midnight: a check-in of yesterday is refused,
    # one of this morning counts from when it was sent.
    await tg.say(anna, "/set closing off", group)
    said = [(rome(25, 22, 0), bruno, "/checkin"), (rome(26, 8, 0), carla, "/checkin")]
    replies = await while_down(tg, group, said, back=rome(26, 8, 30))
    assert [r.splitlines()[0] for r in replies] == [
        "I got this check-in only after that day was over, so I did not record it.",
        "Welcome, Carla! You checked in at 08:00. You're the first one here.",
    ]
    assert await rows(tg, "SELECT local_date, checkin_at FROM visits") == [
        ("2026-11-26", "2026-11-26T07:00:00Z")
    ]


# -- not commands -----------------------------------------------------------------------------


async def test_automatic_forwards_and_posts_as_a_channel_get_no_answer(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna = server.user("Anna")
    group = server.group("Veglio", creator=anna)
    news = server.channel("Veglio News")
    await tg.say(anna, "/setup Veglio", group)
    before = len(server.sent)
    forwarded = server.forward_from_channel(news, group, "/checkin from the channel")
    as_channel = server.say(anna, group, "/setup Again", as_channel=news)
    await handled(tg, [forwarded, as_channel])
    assert server.sent[before:] == []
    key = f"telegram:{forwarded}"
    assert (
        await tg.fetchval("SELECT COUNT(*) FROM processed_updates WHERE update_key = ?", (key,))
        == 0
    )


# -- deep links -------------------------------------------------------------------------------


async def test_an_invitation_link_offers_to_join_its_space(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno = server.user("Anna"), server.user("Bruno")
    group = server.group("Veglio", creator=anna)
    await tg.say(anna, "/setup Veglio", group)
    link = one(await tg.say(anna, "/invite"), anna)
    url = link.text.splitlines()[-1]
    assert url.startswith("https://t.me/CoworkTestBot?start=")
    payload = url.partition("?start=")[2]

    offer = one(await tg.say(bruno, f"/start {payload}"), bruno)
    assert offer.text == "You are invited to join Veglio. Press the button, or send /join " + (
        payload + "."
    )
    asked = one(await tg.press(bruno, offer, "Join"), bruno)
    assert asked.text == "Thanks, Bruno: I've asked the admins of Veglio to approve you."
    assert await rows(tg, "SELECT display_name, status FROM members ORDER BY id") == [
        ("Anna", "active"),
        ("Bruno", "pending"),
    ]
    assert any("Bruno" in s.text and "asks to join" in s.text for s in server.to(anna))

    carla = server.user("Carla")
    forged = payload.split("-")[0] + "-aaaaaaaaaa"
    bad = one(await tg.say(carla, f"/start {forged}"), carla)
    assert bad.text.startswith("This invitation link is not valid")
    assert await tg.fetchval("SELECT COUNT(*) FROM members") == 2
    await tg.say(anna, "/approve Bruno")
    member = one(await tg.say(bruno, f"/start {payload}"), bruno)
    assert member.text.startswith("Hi Bruno! You're a member of Veglio.")


# -- the Bot API's address --------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/", "/bot", "/bot/"])
async def test_the_server_root_may_be_given_with_or_without_bot(
    server: FakeTelegram, tmp_path: Path, suffix: str
) -> None:
    section = TelegramSection(token=server.token, api_base_url=server.base_url + suffix)
    transport = TelegramTransport(section)

    async def sink(msg: IncomingMessage) -> None:
        """Nothing is said in this test."""

    await transport.start(sink)
    try:
        assert transport.bot_name == "CoworkTestBot"
    finally:
        await transport.stop()
        await transport.close()


async def test_a_wrong_address_is_told_apart_from_a_refused_token(server: FakeTelegram) -> None:
    async def sink(msg: IncomingMessage) -> None:
        raise AssertionError("nothing should arrive")

    wrong_path = TelegramSection(token=server.token, api_base_url=server.base_url + "/telegram")
    with pytest.raises(ConfigError) as caught:
        await TelegramTransport(wrong_path).start(sink)
    assert caught.value.key == "telegram.api_base_url"
    assert "404" in str(caught.value) and server.token not in str(caught.value)

    wrong_token = "7000001:AAwrong-token_0000000000000000000000000"
    refused = TelegramSection(token=wrong_token, api_base_url=server.base_url + "/bot")
    with pytest.raises(ConfigError) as caught:
        await TelegramTransport(refused).start(sink)
    assert caught.value.key == "telegram.token" and "refused this token" in str(caught.value)


# -- names ------------------------------------------------------------------------------------


async def test_names_are_cleaned_each_time_and_shown_isolated(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna = server.user("Anna")
    sara = server.user("\u202eSara\u200b\u2066 ")  # a right-to-left override, invisible bits
    omar = server.user("عمر", "123")
    group = server.group("Veglio", creator=anna, members=(sara, omar))
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(anna, "/set join open", group)
    await tg.say(sara, "/join", group)
    welcome = one(await tg.say(omar, "/join", group), group)
    assert "\u2068عمر 123\u2069" in welcome.text  # its own direction, the line keeps its own
    names = await rows(tg, "SELECT display_name FROM members ORDER BY id")
    assert names == [("Anna",), ("Sara",), ("عمر 123",)]

    # She renames herself with a new trick: what is stored is clean again.
    sara.first_name = "Sara\u202e\u2067lol"
    await tg.say(sara, "/who", group)
    assert await tg.fetchval("SELECT display_name FROM members WHERE id = 2") == "Saralol"

    # Omar changes his name and leaves: the member keeps the name he had.
    omar.first_name = "Spam"
    await handled(tg, server.leave(omar, group))
    assert await rows(tg, "SELECT display_name, status FROM members WHERE id = 3") == [
        ("عمر 123", "left")
    ]
