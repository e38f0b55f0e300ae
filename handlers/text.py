"""Text people type, made fit to show and store."""

from __future__ import annotations

MAX_NAME = 64


def clean_text(text: str, limit: int | None = None) -> str:
    """Text fit to show and store: control characters gone, whitespace collapsed, capped."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())[:limit]


def clean_name(text: str) -> str:
    return clean_text(text, MAX_NAME)
