"""`coworkbot run` as a replica in tests/test_replicas.py, with Telegram's sending
limits made faster on the bot's side as on the fake server's (10,000 replies at 30 a
second would take six minutes). Everything else is the real command.

    python -m tests.support.replica_bot CONFIG FASTER
"""

from __future__ import annotations

import sys

import coworkbot
from bot.transports.telegram.limits import TELEGRAM_LIMITS
from bot.transports.telegram.transport import TelegramTransport


def main() -> int:
    config, faster = sys.argv[1], float(sys.argv[2])
    defaults = TelegramTransport.__init__.__kwdefaults__
    assert defaults is not None
    defaults["limits"] = TELEGRAM_LIMITS.faster(faster)
    return coworkbot.main(["run", "--config", config])


if __name__ == "__main__":
    sys.exit(main())
