"""The pure parts of "what the platforms really send": how a Telegram update or a Matrix
event is read (threads, moves, the bot's own membership, channels, message age), how a
name is cleaned and shown, and which outbox rows go out as one message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update

from bot.events import Kind
from bot.i18n import FSI, PDI, Translator, isolate
from bot.outbox import merge_run, merged_message
from bot.transports.matrix.content import text_content, thread_root
from bot.transports.matrix.timeline import removal, replacement_room
from bot.transports.telegram.transport import api_root
from bot.transports.telegram.updates import AnonymousCommand, can_read, convert
from storage.names import clean_name
from storage.outbox import OutboxRow

BOT_ID = 7000001
GROUP = {"id": -100777, "type": "supergroup", "title": "Veglio", "is_forum": True}
USER = {"id": 501, "is_bot": False, "first_name": "Anna", "language_code": "en"}
SENT = 1_795_597_200  # 2026-11-25 09:00 UTC


def update(kind: str = "message", **payload: Any) -> Update:
    base: dict[str, Any] = {"message_id": 9, "date": SENT, "chat": GROUP, "from": USER}
    parsed = Update.de_json({"update_id": 31, kind: {**base, **payload}}, None)
    assert parsed is not None
    return parsed


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(SENT + seconds, UTC)


def test_a_message_s_age_is_by_the_transport_s_clock_and_never_negative() -> None:
    late = convert(update(text="/checkin"), BOT_ID, "Bot", at(20 * 60))
    assert late is not None and not isinstance(late, AnonymousCommand)
    assert late.age == timedelta(minutes=20) and late.timestamp == at(0)
    ahead = convert(update(text="/checkin"), BOT_ID, "Bot", at(-3600))
    assert ahead is not None and not isinstance(ahead, AnonymousCommand)
    assert ahead.age == timedelta(0)  # a time ahead of ours is not trusted: news


def test_only_a_forum_topic_is_a_thread_and_general_is_none() -> None:
    def thread(**payload: Any) -> str:
        msg = convert(update(text="/who", **payload), BOT_ID, "Bot")
        assert msg is not None and not isinstance(msg, AnonymousCommand)
        return msg.thread_id

    assert thread(message_thread_id=42, is_topic_message=True) == "42"
    assert thread(message_thread_id=1, is_topic_message=True) == ""  # General
    assert thread(message_thread_id=42) == ""  # a thread of replies, not a topic
    assert thread() == ""
    msg = convert(update(text="/who"), BOT_ID, "Bot")
    assert msg is not None and not isinstance(msg, AnonymousCommand) and msg.chat.forum


def test_an_upgrade_reads_as_one_move_from_either_chat() -> None:
    old = {"id": -4001, "type": "group", "title": "Veglio"}
    in_old = convert(update(chat=old, migrate_to_chat_id=-1002), BOT_ID, "Bot")
    in_new = convert(update(migrate_from_chat_id=-4001), BOT_ID, "Bot")
    for moved in (in_old, in_new):
        assert moved is not None and not isinstance(moved, AnonymousCommand)
        assert moved.kind is Kind.CHAT_MOVED
    assert in_old is not None and in_new is not None
    assert not isinstance(in_old, AnonymousCommand) and not isinstance(in_new, AnonymousCommand)
    assert (in_old.chat.chat_id, in_old.moved_to) == ("-4001", "-1002")
    assert (in_new.chat.chat_id, in_new.moved_to) == ("-4001", "-100777")
    assert in_old.update_id == "moved:-4001:-1002"  # one dedupe key per move


def test_the_bot_s_own_membership_changes() -> None:
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}

    rights = {  # what an administrator's ChatMember carries
        key: False
        for key in (
            "can_be_edited",
            "is_anonymous",
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        )
    }

    def member(status: str) -> dict[str, Any]:
        extra = rights if status == "administrator" else {"until_date": 0}
        return {"status": status, "user": bot, **extra}

    def change(chat: dict[str, Any], old: str, new: str) -> object:
        data = {
            "chat": chat,
            "from": USER,
            "date": SENT,
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        parsed = Update.de_json({"update_id": 40, "my_chat_member": data}, None)
        assert parsed is not None
        msg = convert(parsed, BOT_ID, "Bot")
        return None if msg is None or isinstance(msg, AnonymousCommand) else msg.kind

    private = {"id": 501, "type": "private", "first_name": "Anna"}
    assert change(GROUP, "left", "member") is Kind.BOT_ADDED
    assert change(GROUP, "member", "kicked") is Kind.BOT_REMOVED
    assert change(GROUP, "member", "administrator") is None  # a promotion: not news here
    assert change(private, "member", "kicked") is Kind.BOT_REMOVED  # blocked
    assert change(private, "kicked", "member") is Kind.BOT_ADDED  # unblocked
    assert can_read("administrator", False) and can_read("member", True)
    assert not can_read("member", False) and not can_read("left", True)


def test_channels_are_nobody() -> None:
    channel = {"id": -100555, "type": "channel", "title": "News"}
    service = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
    forwarded = update(
        text="/checkin", sender_chat=channel, is_automatic_forward=True, **{"from": service}
    )
    assert convert(forwarded, BOT_ID, "Bot") is None
    channel_bot = {"id": 136817688, "is_bot": True, "first_name": "Channel"}
    as_channel = update(text="/setup", sender_chat=channel, **{"from": channel_bot})
    assert convert(as_channel, BOT_ID, "Bot") is None
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
    as_group = update(text="/setup", sender_chat=GROUP, **{"from": anonymous})
    assert isinstance(convert(as_group, BOT_ID, "Bot"), AnonymousCommand)  # still asked


def test_the_api_root_with_or_without_bot() -> None:
    for given in ("http://h:8081", "http://h:8081/", "http://h:8081/bot", "http://h:8081/bot/"):
        assert api_root(given) == "http://h:8081"
    assert api_root("") == "https://api.telegram.org"


def test_names_lose_controls_and_invisible_characters_keep_joiners() -> None:
    assert clean_name("\u202eAnna\u202c") == "Anna"
    assert clean_name("Bo\u200bb\u2066\u2069 \u3164") == "Bob"
    assert clean_name("Line\nbreak\tand   spaces") == "Line break and spaces"
    family = "👨\u200d👩\u200d👧"
    assert clean_name(f"{family} Sara") == f"{family} Sara"  # ZWJ emoji stay whole
    assert clean_name("مى\u200cخواهم") == "مى\u200cخواهم"  # Persian needs its ZWNJ
    assert clean_name("x" * 100) == "x" * 64
    assert clean_name("\u2800\u200b") == ""


def test_right_to_left_text_is_isolated_and_nothing_else() -> None:
    assert isolate("Anna") == "Anna"
    assert isolate("عمر") == f"{FSI}عمر{PDI}"
    assert isolate("Room ١٢") == f"{FSI}Room ١٢{PDI}"  # Arabic digits turn lines too
    assert isolate(f"{FSI}x{PDI}") == f"{FSI}x{PDI}"
    translator = Translator("en")  # the real catalogs: presence.announce is "{name} is in."
    assert translator.t("en", "presence.announce", name="עדי") == f"{FSI}עדי{PDI} is in."
    assert translator.t("en", "presence.announce", name="<b>") == "&lt;b&gt; is in."


def row(row_id: int, html: str, merge: str | None = None, **extra: Any) -> OutboxRow:
    fields: dict[str, Any] = {
        "id": row_id,
        "platform": "telegram",
        "chat_id": "-100777",
        "private": False,
        "html": html,
        "buttons": [],
        "reply_to": str(row_id * 10),
        "doc_name": None,
        "doc_mime": None,
        "doc_content": None,
        "space_id": 1,
        "member_id": None,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": at(0),
        "created_at": at(0),
        "thread_id": "",
        "merge_kind": merge,
    }
    fields.update(extra)
    return OutboxRow(**fields)


def test_which_rows_merge() -> None:
    rows = [
        row(1, "Anna is in.", "checkin"),
        row(2, "Bruno is in.", "checkin"),
        row(3, "Welcome, Carla!", "welcome"),
    ]
    run = merge_run(rows)
    assert [r.id for r in run] == [1, 2]
    message = merged_message(run)
    assert (message.html, message.reply_to, message.key) == ("Anna is in.\nBruno is in.", "", 1)
    single = merged_message(merge_run(rows[2:]))
    assert (single.html, single.reply_to) == ("Welcome, Carla!", "30")  # alone: a reply
    assert [r.id for r in merge_run([row(1, "plain"), *rows])] == [1]
    buttons = row(4, "Anna is in.", "checkin", buttons=[("Offer", "offer 1")])
    assert [r.id for r in merge_run([rows[0], buttons])] == [1]
    other_topic = row(5, "Dario is in.", "checkin", thread_id="42")
    assert [r.id for r in merge_run([rows[0], other_topic])] == [1]
    long = [row(n, "x" * 1000, "checkin") for n in range(1, 6)]
    assert len(merge_run(long)) == 2  # one message stays one Telegram message


def test_matrix_threads_rooms_upgraded_and_the_bot_put_out() -> None:
    content = text_content("Hi", (), "!", reply_to="$cmd", thread="$root")
    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$cmd"},
    }
    assert thread_root(content) == "$root"
    assert thread_root({"m.relates_to": {"m.in_reply_to": {"event_id": "$x"}}}) == ""
    tombstone = {"type": "m.room.tombstone", "content": {"replacement_room": "!new:h"}}
    assert replacement_room(tombstone) == "!new:h"
    assert replacement_room({"type": "m.room.message", "content": {}}) == ""

    def member(membership: str, sender: str) -> dict[str, Any]:
        return {
            "type": "m.room.member",
            "state_key": "@bot:h",
            "sender": sender,
            "content": {"membership": membership},
        }

    assert removal([member("leave", "@anna:h")], "@bot:h") == ("leave", "@anna:h")
    assert removal([member("ban", "@anna:h")], "@bot:h") == ("ban", "@anna:h")
    assert removal([member("leave", "@bot:h")], "@bot:h") is None  # it left itself
    assert removal([member("leave", "@anna:h"), member("join", "@bot:h")], "@bot:h") is None
