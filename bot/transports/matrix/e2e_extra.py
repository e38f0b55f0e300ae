"""Whether matrix-nio's end-to-end encryption can load, decided before nio is imported.

nio turns its encryption on when it finds `vodozemac` installed, and then imports it
with everything else: a broken wheel (wrong architecture, a missing system library)
would make `import nio` itself fail and take the whole Matrix transport down. So the
encryption extra is tried here first; if any part of it does not load, nio is told
vodozemac is absent (`find_spec` answers None for a module set to None in
`sys.modules`) and starts without encryption, and `UNAVAILABLE` says why, for the
transport to log once and to tell the admins of encrypted rooms, as it did before
encryption was supported.
"""

from __future__ import annotations

import importlib
import sys

# What `matrix-nio[e2e]` brings: the Olm/Megolm implementation and what nio's crypto
# store is made of.
MODULES = ("vodozemac", "peewee", "cachetools", "atomicwrites")


def _probe() -> str | None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a broken binary raises ImportError or OSError
            sys.modules["vodozemac"] = None  # type: ignore[assignment]
            return f"{name} cannot be imported ({type(exc).__name__}: {exc})"
    return None


UNAVAILABLE: str | None = _probe()
