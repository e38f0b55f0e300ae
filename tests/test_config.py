"""config.toml: every key checked, errors naming file, key and problem; the CLI exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, resolve_config_path

GOOD = """
[bot]
data_dir = "./state"
default_language = "en"

[telegram]
token = "123456:ABC-def_ghi"

[[spaces]]
name = "Coworking Veglio"
timezone = "Europe/Rome"
capacity = 10
closing_time = "20:00"
telegram_chat_id = -1001234567890
matrix_room = "!abcdef:example.org"
admins = ["telegram:123456789", "matrix:@anna:example.org"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    return path


def test_a_good_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), env={})
    assert config.bot.data_dir == tmp_path / "state"
    assert config.telegram is not None and config.telegram.token == "123456:ABC-def_ghi"
    assert config.matrix is None
    space = config.spaces[0]
    assert space.chats == {"telegram": "-1001234567890", "matrix": "!abcdef:example.org"}
    assert space.join == "approval" and space.capacity == 10
    assert space.settings()["escalate_after_minutes"] == 240


def test_the_example_config_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).parent.parent / "config.example.toml"
    env = {"COWORKBOT_TELEGRAM_TOKEN": "1:x", "COWORKBOT_MATRIX_PASSWORD": "pw"}
    config = load_config(example, env=env)
    assert config.telegram is not None and config.matrix is not None and config.spaces


MATRIX = '\n[matrix]\nhomeserver = "https://m.example.org"\nuser_id = "@bot:example.org"\n'


def test_direct_chats_are_encrypted_unless_told(tmp_path: Path) -> None:
    env = {"COWORKBOT_MATRIX_PASSWORD": "pw"}
    config = load_config(write(tmp_path, GOOD + MATRIX), env=env)
    assert config.matrix is not None and config.matrix.encrypt_direct_chats is True
    plain = load_config(write(tmp_path, GOOD + MATRIX + "encrypt_direct_chats = false\n"), env)
    assert plain.matrix is not None and plain.matrix.encrypt_direct_chats is False
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, GOOD + MATRIX + 'encrypt_direct_chats = "no"\n'), env)
    assert caught.value.key == "matrix.encrypt_direct_chats"
    assert caught.value.problem == "expected true or false, got 'no'"


def test_secrets_from_the_environment(tmp_path: Path) -> None:
    text = GOOD.replace('token = "123456:ABC-def_ghi"', "") + (
        '\n[matrix]\nhomeserver = "https://m.example.org"\nuser_id = "@bot:example.org"\n'
    )
    env = {"COWORKBOT_TELEGRAM_TOKEN": "42:envtoken", "COWORKBOT_MATRIX_PASSWORD": "pw"}
    config = load_config(write(tmp_path, text), env=env)
    assert config.telegram is not None and config.telegram.token == "42:envtoken"
    assert config.matrix is not None and config.matrix.password == "pw"


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (("Europe/Rome", "Europe/Rom"), "spaces[0].timezone", "unknown time zone"),
        (("capacity = 10", "capacity = 'ten'"), "spaces[0].capacity", "expected an integer"),
        (('"20:00"', '"8pm"'), "spaces[0].closing_time", "HH:MM"),
        (("[telegram]", "[telegarm]"), "telegarm", "unknown section"),
        (
            ('default_language = "en"', 'default_language = "fr"'),
            "bot.default_language",
            "de, en, it",
        ),
        (('token = "123456:ABC-def_ghi"', 'token = ""'), "telegram.token", "missing"),
        (('token = "123456:ABC-def_ghi"', 'token = "oops"'), "telegram.token", "bot token"),
        (("capacity = 10", "capacity = 10\ncolour = 'red'"), "spaces[0].colour", "unknown key"),
        (('"telegram:123456789"', '"tg:1"'), "spaces[0].admins[0]", "not an identity"),
        (("-1001234567890", "1001234567890"), "spaces[0].telegram_chat_id", "negative"),
        (("[[spaces]]", "[[spaces]\n"), "syntax", ""),
    ],
)
def test_config_errors_name_file_key_and_problem(
    tmp_path: Path, change: tuple[str, str], key: str, problem: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "room",
    [
        "!abcdef:example.org",
        "!kqi3QvvBApuhKb11_eofA2OhIVgZnYG-QinoUBJ-yTc",  # room version 12: no server part
    ],
)
def test_matrix_room_ids_of_every_room_version(tmp_path: Path, room: str) -> None:
    config = load_config(write(tmp_path, GOOD.replace("!abcdef:example.org", room)), env={})
    assert config.spaces[0].chats["matrix"] == room


@pytest.mark.parametrize("room", ["#veglio:example.org", "abcdef:example.org", "!", "! x"])
def test_a_matrix_room_must_be_a_room_id(tmp_path: Path, room: str) -> None:
    path = write(tmp_path, GOOD.replace("!abcdef:example.org", room))
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert caught.value.key == "spaces[0].matrix_room"
    assert "must be a room id" in caught.value.problem


def test_error_messages_never_echo_the_token(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('token = "123456:ABC-def_ghi"', 'token = "secret value"'))
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert "secret value" not in str(caught.value)


def test_config_path_resolution() -> None:
    assert resolve_config_path("x.toml", env={"COWORKBOT_CONFIG": "y.toml"}) == Path("x.toml")
    assert resolve_config_path(None, env={"COWORKBOT_CONFIG": "y.toml"}) == Path("y.toml")
    assert resolve_config_path(None, env={}) == Path("config.toml")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coworkbot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parent.parent)},
        check=False,
    )


def test_cli_refuses_a_wrong_config_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("Europe/Rome", "Nowhere/Land"))
    for command in ("check-config", "run"):
        result = run_cli(command, "--config", str(path), cwd=tmp_path)
        assert result.returncode == 2
        assert f"{path}: spaces[0].timezone: unknown time zone 'Nowhere/Land'" in result.stderr
        assert "Traceback" not in result.stderr


def test_cli_check_config_ok_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    ok = run_cli("check-config", "--config", str(path), cwd=tmp_path)
    assert ok.returncode == 0 and "ok (1 space(s), telegram)" in ok.stdout
    missing = run_cli("check-config", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_the_database_url_from_the_file_or_the_environment(tmp_path: Path) -> None:
    plain = load_config(write(tmp_path, GOOD), env={})
    assert plain.database.url == "" and plain.database_target == tmp_path / "state/coworkbot.db"
    url = "postgresql://bot:pw@db.example.org/coworkbot"
    in_file = load_config(write(tmp_path, GOOD + f'\n[database]\nurl = "{url}"\n'), env={})
    assert in_file.database_target == url
    from_env = load_config(write(tmp_path, GOOD), env={"COWORKBOT_DATABASE_URL": url})
    assert from_env.database.url == url
    with pytest.raises(ConfigError, match=r"database\.url: must be a PostgreSQL URL"):
        load_config(write(tmp_path, GOOD + '\n[database]\nurl = "mysql://x/y"\n'), env={})


def test_replicas_need_postgresql_and_webhooks(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cluster: replicas share one PostgreSQL database"):
        load_config(write(tmp_path, GOOD + "\n[cluster]\n"), env={})
    url = 'url = "postgresql://bot@db/coworkbot"'
    polling = GOOD + f"\n[database]\n{url}\n[cluster]\n"
    with pytest.raises(ConfigError, match=r"telegram\.mode: with \[cluster\] every replica"):
        load_config(write(tmp_path, polling), env={})
    webhook = polling.replace(
        'token = "123456:ABC-def_ghi"',
        'token = "123456:ABC-def_ghi"\nmode = "webhook"\nwebhook_url = "https://bot.example.org/h"',
    )
    assert load_config(write(tmp_path, webhook), env={}).cluster.enabled
    off = polling.replace("[cluster]\n", "[cluster]\nenabled = false\n")
    assert not load_config(write(tmp_path, off), env={}).cluster.enabled
