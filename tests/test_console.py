"""The console as a newcomer meets it: `coworkbot run` with no config, input piped in."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.console import run_console


def test_run_without_config_starts_the_console_and_exits_at_end_of_input(tmp_path: Path) -> None:
    result = run_console(tmp_path, "/help\n/settings\n", "run")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "no config file" in result.stdout and "[telegram]" in result.stdout
    assert "What you can do" in result.stdout
    assert "Settings of Demo" in result.stdout and "timezone Europe/Rome" in result.stdout
    assert (tmp_path / "data" / "coworkbot.db").exists()


def test_console_subcommand_private_mode_and_speaking_as_others(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/set join approval",
            ":as Bruno",
            "/join",
            ":as me",
            "/approve Bruno",
            ":private",
            "/members",
            ":quit",
            "/help",
        ]
    )
    result = run_console(tmp_path, script + "\n", "console", "--data", str(tmp_path / "d"))
    assert (result.returncode, result.stderr) == (0, "")  # :quit ends it quietly
    out = result.stdout
    assert "(now speaking as Bruno)" in out
    assert "asked the admins of Demo" in out
    assert "[bot, private to local] Bruno (#2) asks to join Demo" in out
    assert "Bruno is now a member" in out
    assert "[bot, private] Members of Demo" in out
    assert "What you can do" not in out  # :quit stopped before /help


def test_state_survives_between_runs(tmp_path: Path) -> None:
    run_console(tmp_path, "/set capacity 4\n", "run")
    again = run_console(tmp_path, "/settings\n", "run")
    assert "capacity 4" in again.stdout


def test_backup_and_migrate_commands(tmp_path: Path) -> None:
    run_console(tmp_path, "/settings\n", "run")
    migrate = run_console(tmp_path, "", "migrate")
    assert migrate.returncode == 0 and "schema version" in migrate.stdout
    backup = run_console(tmp_path, "", "backup", "--output", str(tmp_path / "b.db"))
    assert backup.returncode == 0, backup.stderr
    assert (tmp_path / "b.db").stat().st_size > 0
    shutil.rmtree(tmp_path / "data")
    missing = run_console(tmp_path, "", "backup")
    assert missing.returncode == 2 and "no database" in missing.stderr
