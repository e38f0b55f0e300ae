"""`check-config` and `run` agree on what is wrong with a file, and name every problem
at once; the settings have the same names in the file and in chat."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from bot.config import parse_config
from bot.testing import BotHarness
from handlers.members.settings import SETTINGS

ROOT = Path(__file__).parent.parent

THREE_PROBLEMS = """
[telegram]
token = "123456:ABC-def_ghi"
mode = "carrier-pigeon"

[[spaces]]
name = "Veglio"
timezone = "Europe/Rom"
capacity = "ten"
colour = "red"
"""


def cli(command: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coworkbot", command, "--config", str(config)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=False,
    )


def test_an_empty_file_is_refused_by_both_alike(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("", "utf-8")
    check, run = cli("check-config", path), cli("run", path)
    assert check.returncode == run.returncode == 2
    expected = f"coworkbot: {path}: telegram/matrix: neither section is present: nothing to run\n"
    assert check.stderr == run.stderr == expected
    assert check.stdout == ""


def test_every_problem_of_the_file_is_named_at_once(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(THREE_PROBLEMS, "utf-8")
    check, run = cli("check-config", path), cli("run", path)
    assert check.returncode == run.returncode == 2
    assert check.stderr == run.stderr
    assert check.stderr.splitlines() == [
        f"coworkbot: {path}: telegram.mode: must be polling or webhook",
        f"coworkbot: {path}: spaces[0].timezone: unknown time zone 'Europe/Rom'"
        " (an IANA name like Europe/Rome)",
        f"coworkbot: {path}: spaces[0].capacity: expected an integer, got 'ten'",
        f"coworkbot: {path}: spaces[0].colour: unknown key (a typo?);"
        " config.example.toml lists them",
    ]
    assert "Traceback" not in check.stderr


async def test_each_chat_setting_is_a_config_key_and_stores_the_same(bot: BotHarness) -> None:
    """`/set key example` and `key = example` in [[spaces]] are the same thing."""
    await bot.setup_space("Anna")
    lines = ['[telegram]\ntoken = "1:x"\n[[spaces]]']
    for key, setting in SETTINGS.items():
        value = setting.example
        lines.append(f"{key} = {value}" if value.isdigit() else f'{key} = "{value}"')
        sent = await bot.say(f"/set {key} {value}", as_="Anna")
        assert sent[0].text.startswith(("Done:", "Fatto:")), sent[0].text  # language it
    config = parse_config(tomllib.loads("\n".join(lines)), None, {})
    section = config.spaces[0]
    stored = (await bot.fetchall("SELECT * FROM spaces"))[0]
    for column, value in section.settings().items():
        assert stored[column] == value, column
    assert stored["name"] == section.name
