"""The Matrix transport's pure rules: event content, history, credentials (no server)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.events import Button, Document
from bot.transports.matrix.content import (
    button_hints,
    command_text,
    file_content,
    is_edit,
    is_room_creator,
    matrix_html,
    mentioned_users,
    power_level_of,
    text_content,
    transaction_id,
)
from bot.transports.matrix.credentials import (
    Credentials,
    credentials_path,
    load_credentials,
    save_credentials,
)
from bot.transports.matrix.timeline import first_visit, merge_gap, not_history

BOT = "@coworkbot:example.org"


def test_newlines_become_breaks_except_in_pre() -> None:
    html = "<b>Title</b>\nline\n<pre>a\nb</pre>\nend"
    assert matrix_html(html) == "<b>Title</b><br>line<br><pre>a\nb</pre><br>end"


def test_a_reply_is_a_notice_with_plain_and_html_bodies() -> None:
    content = text_content(
        "<b>Veglio</b> &amp; co\nready",
        (),
        "!",
        reply_to="$cmd",
        reply_sender="@anna:example.org",
    )
    assert content["msgtype"] == "m.notice"
    assert content["body"] == "Veglio & co\nready"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == "<b>Veglio</b> &amp; co<br>ready"
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$cmd"}}
    assert content["m.mentions"] == {"user_ids": ["@anna:example.org"]}


def test_no_mention_unless_meant() -> None:
    content = text_content("Anna is in", (), "!")
    assert content["m.mentions"] == {}
    assert "m.relates_to" not in content


def test_pills_are_the_mentions() -> None:
    html = (
        'Ask <a href="https://matrix.to/#/@bruno:example.org">Bruno</a> or'
        ' <a href="https://example.org/#/@nobody:x">not a pill</a>'
    )
    assert mentioned_users(html) == ["@bruno:example.org"]
    content = text_content(html, (), "!", reply_to="$c", reply_sender="@bruno:example.org")
    assert content["m.mentions"] == {"user_ids": ["@bruno:example.org"]}
    assert content["body"] == "Ask Bruno or not a pill"


def test_buttons_become_command_hints_with_the_prefix() -> None:
    buttons = (Button("Approve", "approve 12"), Button("<Reject>", "reject 12"))
    html, plain = button_hints(buttons, "!")
    assert plain == "\nApprove: !approve 12 · <Reject>: !reject 12"
    assert html == ("\nApprove: <code>!approve 12</code> · &lt;Reject&gt;: <code>!reject 12</code>")
    content = text_content("Anna asks to join", buttons, "!")
    assert content["body"].endswith("Approve: !approve 12 · <Reject>: !reject 12")
    assert content["formatted_body"].startswith("Anna asks to join<br>Approve: <code>")
    assert button_hints((), "!") == ("", "")


def test_very_long_messages_are_cut_to_fit_an_event() -> None:
    content = text_content("x" * 100_000, (), "!")
    assert len(content["body"]) == 24_000 and content["body"].endswith("…")
    assert "formatted_body" not in content  # too long for the event: plain body only


def test_files_carry_name_type_and_size() -> None:
    doc = Document("days.csv", b"a,b\n", "text/csv")
    content = file_content(doc, "mxc://example.org/abc")
    assert content == {
        "msgtype": "m.file",
        "body": "days.csv",
        "filename": "days.csv",
        "url": "mxc://example.org/abc",
        "info": {"mimetype": "text/csv", "size": 4},
        "m.mentions": {},
    }


def test_an_encrypted_file_names_its_keys_in_file_not_url() -> None:
    doc = Document("my-data.json", b"{}", "application/json")
    keys = {"v": "v2", "key": {"k": "secret", "alg": "A256CTR"}, "iv": "iv", "hashes": {}}
    content = file_content(doc, "mxc://example.org/enc", keys)
    assert "url" not in content  # the spec's EncryptedFile instead (client-server, m.file)
    assert content["file"] == {**keys, "url": "mxc://example.org/enc", "mimetype": doc.mime_type}
    assert content["info"] == {"mimetype": "application/json", "size": 2}


def test_transaction_ids_are_stable_per_row_and_part() -> None:
    assert transaction_id("ab12", 7, "text") == transaction_id("ab12", 7, "text")
    ids = {transaction_id("ab12", 7, "text"), transaction_id("ab12", 7, "file")}
    ids |= {transaction_id("ab12", 8, "text"), transaction_id("cd34", 7, "text")}
    assert len(ids) == 4
    assert all(re.fullmatch(r"[A-Za-z0-9._]+", i) for i in ids)


def test_reply_fallback_is_not_part_of_the_command() -> None:
    reply = {
        "body": "> <@bot:x> Anna asks to join\n> second line\n\n!approve 12",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$x"}},
    }
    assert command_text(reply) == "!approve 12"
    assert command_text({"body": "> quoting is fine\n!who"}) == "> quoting is fine\n!who"
    assert command_text({"body": 12}) == ""


def test_edits_are_recognised() -> None:
    assert is_edit({"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}})
    assert not is_edit({"m.relates_to": {"m.in_reply_to": {"event_id": "$x"}}})
    assert not is_edit({})


def test_power_levels_and_room_creators() -> None:
    levels = {"users": {"@mod:x": 50, "@odd:x": "high"}, "users_default": 10}
    assert power_level_of("@mod:x", levels) == 50
    assert power_level_of("@someone:x", levels) == 10
    assert power_level_of("@odd:x", levels) == 0
    assert power_level_of("@someone:x", {}) == 0
    assert is_room_creator("@anna:x", "@anna:x", {"room_version": "12"})
    assert is_room_creator(
        "@bea:x", "@anna:x", {"room_version": "12", "additional_creators": ["@bea:x"]}
    )
    assert not is_room_creator("@anna:x", "@anna:x", {"room_version": "10"})
    assert not is_room_creator("@carl:x", "@anna:x", {"room_version": "12"})


def _event(n: int, ts: int, kind: str = "m.room.message", **extra: object) -> dict[str, object]:
    return {"event_id": f"${n}", "origin_server_ts": ts, "type": kind, **extra}


def _join(n: int, ts: int, who: str = BOT) -> dict[str, object]:
    return _event(n, ts, "m.room.member", state_key=who, content={"membership": "join"})


def test_first_visit_skips_what_came_before_the_bots_join() -> None:
    events = [_event(1, 100), _join(2, 200), _event(3, 200), _event(4, 300)]
    history_before, new = first_visit(events, BOT, None)
    assert history_before == 200
    assert [e["event_id"] for e in new] == ["$3", "$4"]


def test_someone_elses_join_does_not_split_history() -> None:
    events = [_event(1, 100), _join(2, 150, "@anna:x"), _event(3, 160)]
    history_before, new = first_visit(events, BOT, None)
    assert new == [] and history_before == 161  # all history, and so on a replay


def test_first_visit_without_the_join_event_uses_when_this_run_joined() -> None:
    events = [_event(1, 100), _event(2, 250), _event(3, 300)]
    assert first_visit(events, BOT, 250) == (250, events[1:])
    assert first_visit([], BOT, None) == (0, [])


def test_known_rooms_drop_only_older_events() -> None:
    events = [_event(1, 99), _event(2, 100), _event(3, 101)]
    assert [e["event_id"] for e in not_history(events, 100)] == ["$2", "$3"]


def test_gap_and_timeline_merge_in_order_once_each() -> None:
    gap_newest_first = [_event(3, 3), _event(2, 2), _event(1, 1)]
    timeline = [_event(3, 3), _event(4, 4)]
    merged = merge_gap(gap_newest_first, timeline)
    assert [e["event_id"] for e in merged] == ["$1", "$2", "$3", "$4"]


def test_credentials_round_trip_private_and_per_account(tmp_path: Path) -> None:
    path = credentials_path(tmp_path / "data")
    saved = Credentials("https://hs", BOT, "DEVICE", "token")
    save_credentials(path, saved)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_credentials(path, "https://hs", BOT) == saved
    assert load_credentials(path, "https://other", BOT) is None
    assert load_credentials(path, "https://hs", "@someone:else") is None
    path.write_text("{not json")
    assert load_credentials(path, "https://hs", BOT) is None
