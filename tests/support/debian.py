"""Programs the tests need from Debian's packages (Chromium, curl), installed when missing.

CI is a fresh Debian machine where the tests run as root: there `ensure` installs the
package with apt-get (updating the package lists first if it has none). Elsewhere a
missing program skips its tests, saying how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

LOCK = ("-o", "DPkg::Lock::Timeout=900")


def ensure(names: tuple[str, ...], package: str) -> str:
    """The path of the first of `names` on PATH, installing `package` if root may."""
    found = _which(names)
    if found:
        return found
    install = ("apt-get", *LOCK, "install", "-y", "--no-install-recommends", package)
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"no {names[0]}: install it with `{' '.join(install)}` (as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(install, env=env, capture_output=True, check=False, timeout=1200)
    if done.returncode != 0:  # a fresh machine may have no package lists yet
        update = ("apt-get", *LOCK, "update")
        subprocess.run(update, env=env, capture_output=True, check=False, timeout=600)
        subprocess.run(install, env=env, capture_output=True, check=True, timeout=1200)
    found = _which(names)
    assert found, f"apt-get installed {package}, yet {names[0]} is not on PATH"
    return found


def _which(names: tuple[str, ...]) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)
