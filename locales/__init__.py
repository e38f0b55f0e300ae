"""The message catalogs: `<lang>/LC_MESSAGES/coworkbot.po`, one gettext file per language.

A package only so that an installed bot carries the `.po` files as package data and
finds them beside this file. The README's "Translating" section says how to edit them.
"""

from pathlib import Path

DIRECTORY = Path(__file__).parent
DOMAIN = "coworkbot"
