"""The console as a process: `coworkbot <args>` with its input piped in, as `make run`
starts it (without make and pip around it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def run_console(workdir: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", "USER": "tester"}
    env.pop("COWORKBOT_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "coworkbot", *args],
        input=script,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
