"""Matrix through matrix-nio: see `transport.py` for the sync loop and delivery rules,
`crypto.py` for end-to-end encryption."""

from __future__ import annotations

# First, before anything imports nio: a broken encryption extra must not break nio.
from bot.transports.matrix import e2e_extra  # noqa: F401  # isort: skip
from bot.transports.matrix.transport import MatrixTransport

__all__ = ["MatrixTransport"]
