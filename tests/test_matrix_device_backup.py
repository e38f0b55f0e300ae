"""The Matrix device in a backup (bot/transports/matrix/device_backup.py), without a
homeserver: what goes in, what comes back, and what is refused. The whole round trip
with a real device and Synapse is in test_matrix_e2ee.py."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.transports.matrix.device_backup import restore, snapshot


def device(data_dir: Path) -> None:
    """What a bot with encryption keeps: its login, a pickle key, nio's store."""
    (data_dir / "matrix-crypto").mkdir(parents=True)
    (data_dir / "matrix-session.json").write_text('{"device_id": "OLDDEVICE"}')
    (data_dir / "matrix-crypto" / "pickle-key").write_text("seal")
    with sqlite3.connect(data_dir / "matrix-crypto" / "@bot:example.org_OLDDEVICE.db") as db:
        db.execute("CREATE TABLE accounts (account BLOB)")
        db.execute("INSERT INTO accounts VALUES (x'0102')")


def test_a_snapshot_round_trips_and_keeps_what_it_replaces(tmp_path: Path) -> None:
    old = tmp_path / "old"
    device(old)
    files = snapshot(old)
    assert sorted(files) == [
        "matrix-crypto/@bot:example.org_OLDDEVICE.db",
        "matrix-crypto/pickle-key",
        "matrix-session.json",
    ]
    new = tmp_path / "new"
    (new / "matrix-crypto").mkdir(parents=True)
    (new / "matrix-crypto" / "pickle-key").write_text("another")
    restore(new, files, datetime(2026, 11, 25, 9, 30, tzinfo=UTC))

    assert (new / "matrix-session.json").read_text() == '{"device_id": "OLDDEVICE"}'
    assert (new / "matrix-crypto" / "pickle-key").read_text() == "seal"
    with sqlite3.connect(new / "matrix-crypto" / "@bot:example.org_OLDDEVICE.db") as db:
        assert db.execute("SELECT account FROM accounts").fetchall() == [(b"\x01\x02",)]
    aside = new / "matrix-crypto.replaced-20261125-093000"
    assert (aside / "pickle-key").read_text() == "another"  # nothing is thrown away
    assert {p.stat().st_mode & 0o777 for p in (new / "matrix-crypto").iterdir()} == {0o600}


@pytest.mark.parametrize(
    "name", ["../coworkbot.db", "matrix-crypto/..", "matrix-crypto/../../x", "/etc/passwd", "x"]
)
def test_a_restored_database_cannot_write_outside_the_device_files(
    tmp_path: Path, name: str
) -> None:
    device(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match="not a file of the Matrix device"):
        restore(tmp_path, {"matrix-crypto/pickle-key": b"evil", name: b"x"})
    assert snapshot(tmp_path) == before  # nothing touched
    assert not (tmp_path.parent / "x").exists()


def test_no_device_no_files(tmp_path: Path) -> None:
    assert snapshot(tmp_path) == {}
