"""Telegram through python-telegram-bot: `transport.TelegramTransport` and its parts.

The package root imports nothing on purpose: the console never loads python-telegram-bot.
"""
