"""User text the bot repeats in a group must not ping anyone.

Notes and questions are written by one member and shown by the bot to everyone: an
`@name` or `@room` in them would make the bot notify people the writer only named
(Telegram turns `@username` in any message into a mention; Matrix clients without
intentional mentions highlight `@room`). A word joiner after `@` keeps the text as
it reads and breaks the mention.
"""

from __future__ import annotations

WORD_JOINER = "\u2060"


def defuse_mentions(text: str) -> str:
    """`@name` and `@room` shown as they are but pinging nobody (a word joiner after `@`)."""
    return text.replace("@", "@" + WORD_JOINER)
