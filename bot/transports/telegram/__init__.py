"""Telegram through python-telegram-bot: `transport.TelegramTransport` and its parts.

The package root imports nothing on purpose: the engine imports `undelivered` without
paying for python-telegram-bot, and the console never loads it.
"""
