"""The bot's Matrix login, kept between runs.

Each password login makes a new device on the homeserver (and, with encryption, new
keys for everyone to trust): so the device id and access token of the first login are
saved and reused by every later start. They live in the database (the `kv` table), so
every replica of the bot is the same device; a login an older version saved in the
data directory (readable by the bot's user only) is moved there at the next start.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "matrix-session.json"
CREDENTIALS_KEY = "matrix.credentials"  # the kv key, with `:<user id>` after it


@dataclass(frozen=True)
class Credentials:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str


def credentials_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def credentials_json(credentials: Credentials) -> str:
    return json.dumps(asdict(credentials))


def parse_credentials(text: str, homeserver: str, user_id: str) -> Credentials | None:
    """The saved login for this account on this homeserver; None if unreadable or another's."""
    try:
        data = json.loads(text)
        saved = Credentials(
            str(data["homeserver"]),
            str(data["user_id"]),
            str(data["device_id"]),
            str(data["access_token"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if saved.homeserver != homeserver or saved.user_id != user_id or not saved.access_token:
        return None
    return saved


def load_credentials(path: Path, homeserver: str, user_id: str) -> Credentials | None:
    """The login saved in a file; None if absent or another's."""
    try:
        text = path.read_text("utf-8")
    except OSError:
        return None
    return parse_credentials(text, homeserver, user_id)


def save_credentials(path: Path, credentials: Credentials) -> None:
    """Write atomically with mode 0600: the token is as good as the password."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(credentials), out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def forget_credentials(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
