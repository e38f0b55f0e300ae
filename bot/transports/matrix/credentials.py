"""The bot's Matrix login, kept in the data directory between runs.

Each password login makes a new device on the homeserver (and, with encryption, new
keys for everyone to trust): so the device id and access token of the first login are
saved, readable by the bot's user only, and reused by every later start.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "matrix-session.json"


@dataclass(frozen=True)
class Credentials:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str


def credentials_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load_credentials(path: Path, homeserver: str, user_id: str) -> Credentials | None:
    """The saved login for this account on this homeserver; None if absent or another's."""
    try:
        data = json.loads(path.read_text("utf-8"))
        saved = Credentials(
            str(data["homeserver"]),
            str(data["user_id"]),
            str(data["device_id"]),
            str(data["access_token"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if saved.homeserver != homeserver or saved.user_id != user_id or not saved.access_token:
        return None
    return saved


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
