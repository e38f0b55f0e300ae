"""Logging set-up, with secrets scrubbed from every line at every level.

httpx logs request URLs at INFO and the Telegram Bot API puts the token in the URL, so
redaction is done on the formatted record rather than trusted to each library.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable


class Redactor(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def add(self, secret: str) -> None:
        if secret and secret not in self.secrets:
            self.secrets.append(secret)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> Redactor:
    """Log to stderr; the returned redactor sits on the handler, so it sees every logger."""
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Per-request lines from the HTTP clients are noise at INFO.
    for noisy in ("httpx", "httpcore", "apscheduler.executors", "apscheduler.scheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return redactor
