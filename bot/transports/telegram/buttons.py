"""Inline buttons whose callback data is the command line they stand for, signed.

A press comes back from Telegram as a string the client could have made up, so the
data carries an HMAC over the chat it was shown in, the command and the day it was
made; the key is derived from the bot token, which only Telegram and the bot know.
A forged button, one copied to another chat, or one older than `max_age` is refused.
Telegram allows 64 bytes of callback data: the signature takes 18, the command the rest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from bot.clock import Clock

CALLBACK_LIMIT = 64
MAX_AGE = timedelta(days=120)
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_SEP = "|"
_MAC_BYTES = 8  # 64 bits: forging one needs about 2**63 tries against Telegram's rate limits


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


class ButtonSigner:
    def __init__(self, token: str, clock: Clock, max_age: timedelta = MAX_AGE) -> None:
        self._key = hmac.new(token.encode(), b"coworkbot callback data v1", hashlib.sha256).digest()
        self._clock = clock
        self._max_age = max_age

    def _day(self) -> int:
        return (self._clock.now() - _EPOCH).days

    def _mac(self, chat_id: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{chat_id}{_SEP}{payload}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:_MAC_BYTES]).decode().rstrip("=")

    def sign(self, chat_id: str, command: str) -> str | None:
        """The callback data for `command` shown in `chat_id`; None if it cannot fit."""
        payload = f"{command}{_SEP}{_b36(self._day())}"
        data = f"{payload}{_SEP}{self._mac(chat_id, payload)}"
        return data if len(data.encode()) <= CALLBACK_LIMIT else None

    def verify(self, chat_id: str, data: str) -> str | None:
        """The command a press in `chat_id` stands for, or None if the data is not ours."""
        payload, sep, mac = data.rpartition(_SEP)
        command, sep2, day_text = payload.rpartition(_SEP)
        if not sep or not sep2 or not command:
            return None
        if not hmac.compare_digest(mac, self._mac(chat_id, payload)):
            return None
        try:
            day = int(day_text, 36)
        except ValueError:
            return None
        age = self._day() - day
        if age > self._max_age.days or age < -1:
            return None
        return command
