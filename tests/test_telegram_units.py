"""The Telegram transport's pure parts: splitting, signed buttons, limits, updates, menu."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Update

import coworkbot
from bot.clock import FakeClock
from bot.events import ChatRef, Document, Kind, OutgoingMessage, Platform
from bot.i18n import escape
from bot.transports.telegram.buttons import CALLBACK_LIMIT, ButtonSigner
from bot.transports.telegram.limits import Rate, RateLimits, Window
from bot.transports.telegram.menu import command_menu
from bot.transports.telegram.split import split_html, utf16_len, visible_len, visible_text
from bot.transports.telegram.transport import plan
from bot.transports.telegram.updates import AnonymousCommand, convert
from tests.support.fake_telegram import ANONYMOUS_ADMIN_ID, BOT_ID, BOT_USERNAME, TOKEN, parse_html

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


# -- splitting long messages ------------------------------------------------------------


def test_short_message_is_one_piece() -> None:
    assert split_html("<b>Hi</b> there") == ["<b>Hi</b> there"]


def test_split_prefers_line_breaks_and_keeps_every_line() -> None:
    lines = [f"line {i:03d} " + "x" * 40 for i in range(300)]
    pieces = split_html("\n".join(lines))
    assert len(pieces) > 1
    assert all(visible_len(p) <= 4096 for p in pieces)
    assert [line for p in pieces for line in p.split("\n")] == lines


def test_split_reopens_tags_across_pieces() -> None:
    body = "\n".join(f"row {i}" for i in range(30))
    pieces = split_html(f"<b>Title</b>\n<pre>{body}</pre>", limit=60)
    assert len(pieces) > 2
    for piece in pieces:
        parse_html(piece)  # each piece is valid for Telegram's parser
        assert visible_len(piece) <= 60
    assert pieces[1].startswith("<pre>") and pieces[1].endswith("</pre>")


def test_a_long_line_is_cut_at_spaces_then_anywhere() -> None:
    words = " ".join(["parola"] * 50)
    pieces = split_html(words, limit=40)
    assert all(p.strip() and visible_len(p) <= 40 for p in pieces)
    assert all(set(p.split()) == {"parola"} for p in pieces)
    solid = "€" * 100
    assert "".join(split_html(solid, limit=30)) == solid


def test_entities_and_emoji_count_as_telegram_counts_them() -> None:
    assert visible_len("&lt;b&gt;&amp;") == 4
    assert utf16_len("🙂") == 2
    pieces = split_html("🙂" * 10, limit=5)
    assert pieces == ["🙂🙂", "🙂🙂", "🙂🙂", "🙂🙂", "🙂🙂"]
    # an entity is never cut in half
    assert all("&" not in p or "&amp;" in p for p in split_html("&amp;" * 20, limit=3))


def test_nothing_visible_gives_no_pieces() -> None:
    assert split_html("") == []
    assert split_html("<b>\n</b>") == []


_words = st.text(alphabet="ab<>&é🙂 ", min_size=1, max_size=12).map(lambda s: str(escape(s)))
_tags = st.sampled_from(["b", "i", "code", "pre", "u"])


@st.composite
def _markup(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 40))):
        word = draw(_words)
        if draw(st.booleans()):
            tag = draw(_tags)
            word = f"<{tag}>{word}</{tag}>"
        parts.append(word + draw(st.sampled_from([" ", "\n", "", "\n\n"])))
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(_markup(), st.integers(5, 80))
def test_split_property(markup: str, limit: int) -> None:
    """Every piece parses, fits, and together they say everything, in order."""
    pieces = split_html(markup, limit=limit)
    for piece in pieces:
        text, _ = parse_html(piece)
        assert 0 < utf16_len(text) <= limit
    squeeze = re.compile(r"\s+")
    joined = "".join(visible_text(p) for p in pieces)
    assert squeeze.sub("", joined) == squeeze.sub("", visible_text(markup))


# -- what one message becomes ------------------------------------------------------------

CHAT = ChatRef(Platform.TELEGRAM, "42", private=True)


def test_plan_puts_the_reply_first_and_the_buttons_last() -> None:
    long = "\n".join("y" * 100 for _ in range(100))
    parts = plan(OutgoingMessage(CHAT, long, reply_to="7"))
    assert len(parts) == 3
    assert [p.reply_to for p in parts] == ["7", "", ""]
    assert [p.keyboard for p in parts] == [False, False, True]


def test_plan_a_document_with_a_short_or_a_long_caption() -> None:
    doc = Document("a.csv", b"x,y\n")
    assert len(plan(OutgoingMessage(CHAT, "<b>Export</b>", document=doc))) == 1
    parts = plan(OutgoingMessage(CHAT, "z" * 2000, document=doc))
    assert [p.document for p in parts] == [None, doc]
    assert plan(OutgoingMessage(CHAT, "")) == []


# -- signed buttons -----------------------------------------------------------------------


def test_button_round_trip_in_its_own_chat_only() -> None:
    clock = FakeClock(NOW)
    signer = ButtonSigner(TOKEN, clock)
    data = signer.sign("-100123", "approve 12")
    assert data is not None and len(data.encode()) <= CALLBACK_LIMIT
    assert signer.verify("-100123", data) == "approve 12"
    assert signer.verify("-100999", data) is None  # copied to another chat
    assert ButtonSigner("1:other", clock).verify("-100123", data) is None


def test_forged_buttons_are_refused() -> None:
    signer = ButtonSigner(TOKEN, FakeClock(NOW))
    data = signer.sign("5", "offer 3")
    assert data is not None
    command, day, mac = data.split("|")
    assert signer.verify("5", f"promote 3|{day}|{mac}") is None
    assert signer.verify("5", f"{command}|{day}|{mac[:-1]}A") is None
    for junk in ("", "offer 3", "|||", "offer 3||", "x|zz|" + mac):
        assert signer.verify("5", junk) is None


def test_stale_buttons_are_refused() -> None:
    clock = FakeClock(NOW)
    signer = ButtonSigner(TOKEN, clock)
    data = signer.sign("5", "paid 9")
    assert data is not None
    clock.advance(timedelta(days=119))
    assert signer.verify("5", data) == "paid 9"
    clock.advance(timedelta(days=2))
    assert signer.verify("5", data) is None


def test_commands_that_cannot_fit_are_not_signed() -> None:
    signer = ButtonSigner(TOKEN, FakeClock(NOW))
    assert signer.sign("-1001234567890", "x" * 44) is not None
    assert signer.sign("-1001234567890", "x" * 60) is None
    assert signer.sign("1", "è" * 30) is None  # bytes count, not characters
    assert signer.verify("1", signer.sign("1", "ask a|b") or "") == "ask a|b"


# -- the sending window -------------------------------------------------------------------


def test_window_counts_a_send_until_a_period_after_its_answer() -> None:
    window = Window(Rate(2, 1.0))
    assert window.wait(0.0) == 0.0
    window.take()
    window.take()
    assert window.wait(0.1) is None  # both in flight: only an answer frees a place
    window.give_back(0.5)
    assert window.wait(0.6) == 0.9  # 0.5 + 1.0 - 0.6
    assert window.wait(1.5) == 0.0
    window.give_back(2.0)
    assert window.idle(3.1)


def test_limits_scale_their_periods_not_their_counts() -> None:
    fast = RateLimits().faster(10)
    assert fast.overall == Rate(30, 0.1)
    assert fast.private_chat == Rate(1, 0.1)
    assert fast.group == Rate(20, 6.0)


# -- updates ------------------------------------------------------------------------------

USER = {"id": 501, "is_bot": False, "first_name": "Anna", "username": "anna", "language_code": "it"}
GROUP = {"id": -100777, "type": "supergroup", "title": "Veglio"}


def _update(kind: str, **payload: Any) -> Update:
    base: dict[str, Any] = {"message_id": 9, "date": 1_790_000_000, "chat": GROUP, "from": USER}
    update = Update.de_json({"update_id": 31, kind: {**base, **payload}}, None)
    assert update is not None
    return update


def test_a_message_becomes_an_incoming_message() -> None:
    msg = convert(_update("message", text="/join"), BOT_ID, BOT_USERNAME)
    assert msg is not None and not isinstance(msg, AnonymousCommand)
    assert (msg.update_id, msg.text, msg.kind, msg.message_id) == ("31", "/join", Kind.MESSAGE, "9")
    assert msg.chat == ChatRef(Platform.TELEGRAM, "-100777", False, "Veglio")
    assert (msg.sender.identity, msg.sender.language) == ("telegram:501", "it")
    private = {"id": 501, "type": "private", "first_name": "Anna"}
    msg = convert(_update("message", text="hi", chat=private), BOT_ID, BOT_USERNAME)
    assert msg is not None and not isinstance(msg, AnonymousCommand)
    assert msg.chat.private and msg.chat.chat_id == msg.sender.user_id == "501"


def test_edits_are_marked_and_non_text_is_ignored() -> None:
    msg = convert(_update("edited_message", text="/join", edit_date=1), BOT_ID, BOT_USERNAME)
    assert msg is not None and not isinstance(msg, AnonymousCommand) and msg.kind is Kind.EDITED
    assert convert(_update("message", photo=[]), BOT_ID, BOT_USERNAME) is None
    bot = {"id": 99, "is_bot": True, "first_name": "Other"}
    assert convert(_update("message", text="/join", **{"from": bot}), BOT_ID, BOT_USERNAME) is None
    channel = {"id": -100555, "type": "channel", "title": "News"}
    assert convert(_update("message", text="/join", chat=channel), BOT_ID, BOT_USERNAME) is None


def test_anonymous_admins_commands_are_held_for_confirmation() -> None:
    anonymous = {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group"}

    def said(text: str) -> object:
        update = _update("message", text=text, sender_chat=GROUP, **{"from": anonymous})
        return convert(update, BOT_ID, BOT_USERNAME)

    assert said("/setup  Veglio Centro") == AnonymousCommand(
        ChatRef(Platform.TELEGRAM, "-100777", False, "Veglio"), "setup Veglio Centro", "9"
    )
    assert isinstance(said(f"/setup@{BOT_USERNAME.lower()}"), AnonymousCommand)
    assert said("/setup@SomeOtherBot") is None
    assert said("good morning") is None


def test_leaving_the_group_is_member_left_for_the_one_who_left() -> None:
    bruno = {"id": 502, "is_bot": False, "first_name": "Bruno"}
    msg = convert(_update("message", left_chat_member=bruno), BOT_ID, BOT_USERNAME)
    assert msg is not None and not isinstance(msg, AnonymousCommand)
    assert msg.kind is Kind.MEMBER_LEFT and msg.sender.user_id == "502"
    itself = {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}
    assert convert(_update("message", left_chat_member=itself), BOT_ID, BOT_USERNAME) is None

    def change(old: str, new: str) -> object:
        data = {
            "chat": GROUP,
            "from": USER,
            "date": 1_790_000_000,
            "old_chat_member": {"status": old, "user": bruno},
            "new_chat_member": {"status": new, "user": bruno, "until_date": 0},
        }
        update = Update.de_json({"update_id": 40, "chat_member": data}, None)
        assert update is not None
        return convert(update, BOT_ID, BOT_USERNAME)

    left = change("member", "left")
    assert left is not None and not isinstance(left, AnonymousCommand)
    assert left.kind is Kind.MEMBER_LEFT and left.sender.user_id == "502"
    assert change("member", "kicked") is not None
    assert change("left", "member") is None


# -- the command menu ---------------------------------------------------------------------


def test_menu_has_valid_entries_and_admin_commands_only_for_admins() -> None:
    menu = command_menu(coworkbot.routers(), "it")
    assert set(menu.everyone) == set(menu.admins) == {"it", "en", "de"}
    for lang in ("it", "en", "de"):
        for name, text in (*menu.everyone[lang], *menu.admins[lang]):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
            assert 3 <= len(text) <= 256 and "<" not in text
        everyone = dict(menu.everyone[lang])
        admins = dict(menu.admins[lang])
        assert "join" in everyone and "approve" not in everyone
        assert "approve" in admins and set(everyone) <= set(admins)
    assert dict(menu.everyone["it"])["join"] != dict(menu.everyone["en"])["join"]
    assert dict(menu.everyone["de"])["join"] == "Mitglied dieses Space werden"


def test_the_italian_menu_uses_the_italian_names() -> None:
    """Where Italian has a natural word, its menu shows it; the others keep English."""
    menu = command_menu(coworkbot.routers(), "it")
    italian, english = dict(menu.everyone["it"]), dict(menu.everyone["en"])
    for name in ("entro", "esco", "chi", "aiuto", "chiedi", "spese", "pagato"):
        assert name in italian and name not in english
    for name in ("checkin", "checkout", "who", "help", "ask", "costs", "paid"):
        assert name in english and name not in italian
    assert italian["entro"] == "sei allo spazio, da adesso o da un'ora di oggi"
    assert "join" in italian and "whoknows" in italian  # no Italian name: the English one
    assert "help" in dict(menu.everyone["de"])
