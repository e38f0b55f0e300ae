"""The bot's Matrix device in a backup: its login, its Olm account and its sessions.

`coworkbot backup` copies the database; with end-to-end encryption the bot is also a
device with keys that people's clients trust and that hold the room keys of messages
not yet read. Those files (the login in `matrix-session.json`, the pickle key and nio's
store in `matrix-crypto/`) go into the copy, in its `matrix_identity_backup` table, so
one file is the whole backup. Restoring is copying that file back as the database: at
its next start the transport finds the table filled, writes the files back (what was
there is kept aside as `*.replaced-<time>`) and empties the table.

No nio here: `coworkbot backup` must work where the encryption extra does not load.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from bot.transports.matrix.credentials import FILE_NAME as CREDENTIALS_FILE

CRYPTO_DIR = "matrix-crypto"  # the same as crypto.STORE_DIR (that module imports nio)
_NAME = re.compile(rf"^(?:{re.escape(CREDENTIALS_FILE)}|{CRYPTO_DIR}/(?!\.)[^/\\]+)$")


def snapshot(data_dir: Path) -> dict[str, bytes]:
    """The device's files, each read consistently (SQLite files through its backup API,
    so a bot writing to them meanwhile does not matter)."""
    files: dict[str, bytes] = {}
    credentials = data_dir / CREDENTIALS_FILE
    if credentials.is_file():
        files[CREDENTIALS_FILE] = credentials.read_bytes()
    crypto = data_dir / CRYPTO_DIR
    if crypto.is_dir():
        for path in sorted(crypto.iterdir()):
            name = f"{CRYPTO_DIR}/{path.name}"
            if path.suffix == ".db":
                files[name] = _sqlite_bytes(path)
            elif path.is_file() and "." not in path.name:  # the pickle key
                files[name] = path.read_bytes()
    return files


def _sqlite_bytes(path: Path) -> bytes:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    copy = sqlite3.connect(":memory:")
    try:
        source.backup(copy)
        return copy.serialize()
    finally:
        source.close()
        copy.close()


def add_to_backup(data_dir: Path, backup: Path) -> int:
    """Put the device's files into the database copy at `backup`; how many went in.
    The copy then holds the access token and the keys: it is made readable by its
    owner only."""
    files = snapshot(data_dir)
    with contextlib.closing(sqlite3.connect(backup)) as db, db:
        db.executemany(
            "INSERT OR REPLACE INTO matrix_identity_backup (name, content) VALUES (?, ?)",
            sorted(files.items()),
        )
    os.chmod(backup, 0o600)
    return len(files)


def restore(data_dir: Path, files: Mapping[str, bytes], now: datetime | None = None) -> None:
    """Write the device's files back from a restored database (see the module doc)."""
    wrong = [name for name in files if not _NAME.match(name)]
    if wrong:  # checked before anything is touched
        raise ValueError(f"not a file of the Matrix device: {wrong[0]!r}")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    crypto = data_dir / CRYPTO_DIR
    if crypto.exists():
        crypto.rename(crypto.with_name(f"{CRYPTO_DIR}.replaced-{stamp}"))
    credentials = data_dir / CREDENTIALS_FILE
    if credentials.exists():
        credentials.rename(credentials.with_name(f"{CREDENTIALS_FILE}.replaced-{stamp}"))
    crypto.mkdir(parents=True, mode=0o700)
    for name, content in files.items():
        path = data_dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
