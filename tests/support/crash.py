"""Running the bot as a real OS process on the file transport (`crash_bot`), and reading
what it delivered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
RUN_TIMEOUT = 120


def start_bot(workdir: Path, *options: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with (workdir / "stderr.log").open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.crash_bot", str(workdir), *options],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def delivered(workdir: Path) -> list[dict[str, Any]]:
    path = workdir / "sent.jsonl"
    text = path.read_text("utf-8") if path.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
