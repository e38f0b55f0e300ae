"""Catalogs complete in both languages; Babel formats; user text always escaped."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import coworkbot
from bot.app import App
from bot.config import BotSection, Config
from bot.i18n import Formatter, Markup, Translator, escape, placeholders, to_plain
from tests.support.markup import html_problem


def full_translator() -> Translator:
    app = App(Config(path=None, bot=BotSection()), [], routers=coworkbot.routers())
    return app.translator


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    translator = full_translator()
    problems = []
    for key in translator.message_keys():
        texts = translator.texts(key)
        if set(texts) != {"it", "en"}:
            problems.append(f"{key}: languages {sorted(texts)}")
            continue
        if placeholders(texts["it"]) != placeholders(texts["en"]):
            problems.append(f"{key}: placeholders differ")
        for lang, text in texts.items():
            if isinstance(text, dict) and "other" not in text:
                problems.append(f"{key}/{lang}: plural forms need 'other'")
    assert problems == []


# Plain text by design: the dispatcher escapes usages, /balance escapes its hint.
PLAIN_TEXT = ("usage.", "balance.hint_args")


def test_every_message_is_valid_html_for_telegram() -> None:
    """A catalog text is markup: a literal `<day>` in it makes Telegram refuse the whole
    message ("can't parse entities"); found by the fuzz test in `cost add`'s answer."""

    translator = full_translator()
    problems = []
    for key in translator.message_keys():
        if key.startswith(PLAIN_TEXT):
            continue
        for lang, text in translator.texts(key).items():
            for form in text.values() if isinstance(text, dict) else [text]:
                html = re.sub(r"\{[a-z_]+\}", "x", form)
                if html_problem(html):
                    problems.append(f"{key}/{lang}: {html_problem(html)}")
    assert problems == []


def test_every_command_is_described_in_both_languages() -> None:
    app = App(Config(path=None, bot=BotSection()), [], routers=coworkbot.routers())
    missing = [
        c.name for c in app.registry.commands.values() if not app.translator.has(f"cmd.{c.key}")
    ]
    assert missing == []
    needs_usage = [
        c.name
        for c in app.registry.commands.values()
        if c.params and not app.translator.has(f"usage.{c.key}")
    ]
    assert needs_usage == []


def test_values_are_escaped_but_markup_is_kept() -> None:
    translator = Translator("en")
    translator.add({"k": {"en": "<b>{name}</b> {extra}", "it": "<b>{name}</b> {extra}"}})
    out = translator.t("en", "k", name="<i>Eve</i> & co", extra=Markup("<code>ok</code>"))
    assert out == "<b>&lt;i&gt;Eve&lt;/i&gt; &amp; co</b> <code>ok</code>"
    assert to_plain(out) == "<i>Eve</i> & co ok"
    assert escape('"quote"') == "&quot;quote&quot;"


def test_plural_forms_follow_each_language() -> None:
    translator = Translator("it")
    translator.add(
        {
            "p": {
                "en": {"one": "{count} person", "other": "{count} people"},
                "it": {"one": "{count} persona", "other": "{count} persone"},
            }
        }
    )
    assert translator.t("en", "p", count=1) == "1 person"
    assert translator.t("en", "p", count=0) == "0 people"
    assert translator.t("it", "p", count=1) == "1 persona"
    assert translator.t("it", "p", count=1_000_000) == "1000000 persone"
    with pytest.raises(TypeError):
        translator.t("it", "p")


def test_duplicate_keys_are_refused() -> None:
    translator = Translator("it")
    translator.add({"k": {"en": "a", "it": "a"}})
    with pytest.raises(ValueError, match="defined twice"):
        translator.add({"k": {"en": "b", "it": "b"}})


@pytest.mark.parametrize(
    ("lang", "minor", "currency", "shown"),
    [
        ("it", 123456, "EUR", "€\u00a01.234,56"),
        ("en", 123456, "EUR", "€1,234.56"),
        ("en", 5, "EUR", "€0.05"),
        ("it", 1000, "JPY", "JPY\u00a01.000"),  # no decimals for yen
        ("en", -250, "CHF", "-CHF2.50"),
    ],
)
def test_money(lang: str, minor: int, currency: str, shown: str) -> None:
    assert Formatter(lang, ZoneInfo("Europe/Rome"), currency).money(minor) == shown


def test_times_are_shown_in_the_space_timezone() -> None:
    rome = Formatter("it", ZoneInfo("Europe/Rome"))
    moment = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # the night summer time starts
    assert rome.time(moment) == "01:30"
    assert rome.time(moment + timedelta(hours=1)) == "03:30"
    assert Formatter("en", ZoneInfo("America/New_York")).time(moment) == "20:30"
    assert rome.day(date(2026, 11, 25)) == "mer 25 nov 2026"
    assert Formatter("en", ZoneInfo("UTC")).day(date(2026, 11, 25)) == "Wed 25 Nov 2026"
    assert rome.month(2026, 11) == "novembre 2026"
    assert rome.duration(timedelta(hours=2, minutes=5)) == "2 h 05 min"
    assert rome.duration(timedelta(minutes=40)) == "40 min"


def test_relative_times_come_from_babel() -> None:
    en = Formatter("en", ZoneInfo("UTC"))
    it = Formatter("it", ZoneInfo("UTC"))
    assert en.ago(timedelta(hours=2)) == "2 hours ago"
    assert it.ago(timedelta(days=3)) == "3 giorni fa"
    assert en.span(timedelta(minutes=50)) == "50 minutes"
    assert it.span(timedelta(hours=1)) == "1 ora"
