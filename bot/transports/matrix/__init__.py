"""Matrix through matrix-nio: see `transport.py` for the sync loop and delivery rules."""

from __future__ import annotations

from bot.transports.matrix.transport import MatrixTransport

__all__ = ["MatrixTransport"]
