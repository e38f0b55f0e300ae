"""The catalogs in locales/: complete in every language, placeholders and HTML intact,
plural forms from CLDR, English where a translation is missing; Babel formats."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.messages.plurals import get_plural

import coworkbot
from bot.app import App
from bot.config import BotSection, Config
from bot.i18n import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    Formatter,
    LanguageCatalog,
    Markup,
    Translator,
    escape,
    load_catalogs,
    placeholders,
    to_plain,
)
from bot.transports.telegram.split import TEXT_LIMIT
from tests.support.markup import html_problem, utf16_length

ROOT = Path(__file__).resolve().parent.parent

# Plain text by design: the dispatcher escapes usages, /balance escapes its hint.
PLAIN_TEXT = ("usage.", "balance.hint_args")


def forms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else text


def test_there_are_italian_english_and_german() -> None:
    assert {"it", "en", "de"} <= set(LANGUAGES)


def test_no_message_is_missing_in_any_language() -> None:
    """A missing translation would show English; fuzzy ones (their English changed since)
    are missing too until a translator reviews them."""
    translator = Translator()
    missing = [
        f"{lang}: {key}" + (" (fuzzy)" if key in translator.catalogs[lang].fuzzy else "")
        for lang in LANGUAGES
        for key in translator.message_keys()
        if not translator.translated(lang, key)
    ]
    assert missing == []


def test_no_catalog_has_messages_english_does_not() -> None:
    catalogs = load_catalogs()
    source = set(catalogs[SOURCE_LANGUAGE].messages)
    extra = {lang: sorted(set(c.messages) - source) for lang, c in catalogs.items()}
    assert {lang: keys for lang, keys in extra.items() if keys} == {}


TAGS = re.compile(r"</?[a-z]+[^>]*>")


def test_every_translation_keeps_the_placeholders_and_the_tags() -> None:
    translator = Translator()
    problems = []
    for key in translator.message_keys():
        english = translator.text(SOURCE_LANGUAGE, key)
        tags = Counter(TAGS.findall(forms(english)[-1]))
        for lang in LANGUAGES:
            text = translator.text(lang, key)
            if placeholders(text) != placeholders(english):
                problems.append(f"{lang} {key}: {placeholders(text)} != {placeholders(english)}")
            for form in forms(text):
                if not placeholders(form) <= placeholders(english):
                    problems.append(f"{lang} {key}: a plural form has other placeholders")
                if not key.startswith(PLAIN_TEXT) and Counter(TAGS.findall(form)) != tags:
                    problems.append(f"{lang} {key}: tags {TAGS.findall(form)} != {dict(tags)}")
    assert problems == []


def test_no_text_starts_or_ends_with_a_newline() -> None:
    """gettext's own check (msgfmt -c, which Poedit runs on save) refuses a translation
    that begins or ends with a newline when its message id does not, and ids never do:
    code puts blank lines between messages, not the catalog."""
    translator = Translator()
    edged = [
        f"{lang} {key}"
        for lang in LANGUAGES
        for key in translator.message_keys()
        for form in forms(translator.text(lang, key))
        if form.startswith("\n") or form.endswith("\n")
    ]
    assert edged == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_gnu_msgfmt_accepts_every_catalog() -> None:
    """The catalogs pass gettext's own checks, as Poedit and Weblate run them."""
    for path in sorted(ROOT.glob("locales/*/LC_MESSAGES/coworkbot.po")):
        checked = subprocess.run(
            ["msgfmt", "--check", "--output-file=/dev/null", str(path)],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr


SAMPLES: dict[str, object] = {
    "name": "Anna <Maria> & co",
    "space": "Coworking Veglio",
    "time": "09:00",
    "day": "mer 25 nov 2026",
    "month": "novembre 2026",
    "amount": "€ 1.234,56",
    "question": "How do I make a pivot table? " * 16,
}


def sample(name: str) -> object:
    return SAMPLES.get(name, f"{name}-{'x' * 60}")


def test_every_message_renders_in_every_language_as_telegram_html() -> None:
    """With sample values (HTML in them, plural counts of every form): valid Telegram
    HTML, one message long at most, every placeholder filled."""
    translator = Translator()
    problems = []
    for lang in LANGUAGES:
        for key in translator.message_keys():
            text = translator.text(lang, key)
            names = placeholders(translator.text(SOURCE_LANGUAGE, key))
            values = {n: sample(n) for n in names}
            counts = [0, 1, 2, 5, 21, 1_000_000] if not isinstance(text, str) else [None]
            for count in counts:
                if count is not None:
                    values["count"] = count
                try:
                    shown = translator.t(lang, key, **values)
                except (KeyError, IndexError, ValueError) as exc:
                    problems.append(f"{lang} {key}: {exc!r}")
                    continue
                if not key.startswith(PLAIN_TEXT) and (problem := html_problem(shown)):
                    problems.append(f"{lang} {key}: {problem}")
                if utf16_length(to_plain(shown)) > TEXT_LIMIT:
                    problems.append(f"{lang} {key}: longer than one Telegram message")
                if re.search(r"\{[a-z_]*\}", shown):
                    problems.append(f"{lang} {key}: a placeholder is left")
    assert problems == []


def test_plural_forms_are_cldr_s() -> None:
    """Each catalog's Plural-Forms header is Babel's for its language, and it picks the
    form of the CLDR category a number has (Italian: one, many, other)."""
    catalogs = load_catalogs()
    for lang, catalog in catalogs.items():
        assert catalog.plural_forms == get_plural(lang).plural_forms, lang
        locale = Locale.parse(lang)
        order = [
            t
            for t in ("zero", "one", "two", "few", "many", "other")
            if t in locale.plural_form.tags or t == "other"
        ]
        for n in [*range(0, 210), 1_000, 1_000_000, 2_000_000, 1_000_001]:
            assert order[catalog.plural(n)] == locale.plural_form(n), (lang, n)


def test_a_missing_or_fuzzy_translation_falls_back_to_english() -> None:
    catalogs = {
        "en": LanguageCatalog("en", {"a": "Hi {name}", "b": ("{count} day", "{count} days")}),
        "it": LanguageCatalog("it", {}, get_plural("it").plural_forms, frozenset({"a"})),
    }
    translator = Translator("it", catalogs)
    assert translator.t("it", "a", name="Eva") == "Hi Eva"
    assert translator.t("it", "b", count=2) == "2 days"
    assert not translator.translated("it", "a")
    assert translator.language("fr") == "it" and translator.language("en") == "en"
    with pytest.raises(KeyError):
        translator.t("it", "nowhere")


def test_values_are_escaped_but_markup_is_kept() -> None:
    catalogs = {"en": LanguageCatalog("en", {"k": "<b>{name}</b> {extra}"})}
    translator = Translator("en", catalogs)
    out = translator.t("en", "k", name="<i>Eve</i> & co", extra=Markup("<code>ok</code>"))
    assert out == "<b>&lt;i&gt;Eve&lt;/i&gt; &amp; co</b> <code>ok</code>"
    assert to_plain(out) == "<i>Eve</i> & co ok"
    assert escape('"quote"') == "&quot;quote&quot;"


def test_plural_forms_follow_each_language() -> None:
    catalogs = {
        "en": LanguageCatalog("en", {"p": ("{count} person", "{count} people")}),
        "it": LanguageCatalog(
            "it",
            {"p": ("{count} persona", "{count} di persone", "{count} persone")},
            get_plural("it").plural_forms,
        ),
    }
    translator = Translator("it", catalogs)
    assert translator.t("en", "p", count=1) == "1 person"
    assert translator.t("en", "p", count=0) == "0 people"
    assert translator.t("it", "p", count=1) == "1 persona"
    assert translator.t("it", "p", count=7) == "7 persone"
    assert translator.t("it", "p", count=1_000_000) == "1000000 di persone"
    with pytest.raises(TypeError):
        translator.t("it", "p")


def test_every_command_is_described_in_every_language_for_the_menu() -> None:
    """Telegram takes descriptions of 1 to 256 characters (Bot API, BotCommand)."""
    app = App(Config(path=None, bot=BotSection()), [], routers=coworkbot.routers())
    translator = app.translator
    missing = [c.name for c in app.registry.commands.values() if not translator.has(f"cmd.{c.key}")]
    assert missing == []
    needs_usage = [
        c.name
        for c in app.registry.commands.values()
        if c.params and not translator.has(f"usage.{c.key}")
    ]
    assert needs_usage == []
    for lang in LANGUAGES:
        for command in app.registry.commands.values():
            description = to_plain(translator.t(lang, f"cmd.{command.key}"))
            assert 3 <= len(description) <= 256, (lang, command.name)


SPEAKERS = {"say", "t", "message", "ArgError", "Refusal", "Said"}
KEY = re.compile(r"[a-z][a-z_]*(?:\.[a-z0-9_]+)+")


def keys_in_code() -> list[tuple[str, str]]:
    """Message keys written literally in the code: `ctx.say("key")`, `loc.t("key")`,
    `message("key")`, `ArgError("key")`, `Refusal("key")`, and `("button.key", command)` buttons."""
    found = []
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = node.args[0]
                if (
                    name in SPEAKERS
                    and isinstance(first, ast.Constant)
                    and KEY.fullmatch(str(first.value))
                ):
                    found.append((str(first.value), f"{path.relative_to(ROOT)}:{node.lineno}"))
            if isinstance(node, ast.Tuple) and node.elts:
                first = node.elts[0]
                if isinstance(first, ast.Constant) and str(first.value).startswith("button."):
                    found.append((str(first.value), f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def test_every_key_the_code_uses_is_in_the_catalogs() -> None:
    translator = Translator()
    used = keys_in_code()
    assert len(used) > 200  # the scan finds the code's keys at all
    assert [f"{where}: {key}" for key, where in used if not translator.has(key)] == []


@pytest.mark.parametrize(
    ("lang", "minor", "currency", "shown"),
    [
        ("it", 123456, "EUR", "€\u00a01.234,56"),
        ("en", 123456, "EUR", "€1,234.56"),
        ("de", 123456, "EUR", "1.234,56\u00a0€"),
        ("en", 5, "EUR", "€0.05"),
        ("it", 1000, "JPY", "JPY\u00a01.000"),  # no decimals for yen
        ("en", -250, "CHF", "-CHF2.50"),
        ("de", 250, "CHF", "2,50\u00a0CHF"),
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
    assert Formatter("en", ZoneInfo("UTC")).day(date(2026, 11, 25)) == "Wed, 25 Nov 2026"
    assert Formatter("de", ZoneInfo("UTC")).day(date(2026, 11, 25)) == "Mi., 25. Nov. 2026"
    assert rome.month(2026, 11) == "novembre 2026"
    assert Formatter("de", ZoneInfo("UTC")).month(2026, 11) == "November 2026"
    assert rome.duration(timedelta(hours=2, minutes=5)) == "2 h 05 min"
    assert rome.duration(timedelta(minutes=40)) == "40 min"


def test_relative_times_come_from_babel() -> None:
    en = Formatter("en", ZoneInfo("UTC"))
    it = Formatter("it", ZoneInfo("UTC"))
    de = Formatter("de", ZoneInfo("UTC"))
    assert en.ago(timedelta(hours=2)) == "2 hours ago"
    assert it.ago(timedelta(days=3)) == "3 giorni fa"
    assert de.ago(timedelta(days=3)) == "vor 3 Tagen"
    assert en.span(timedelta(minutes=50)) == "50 minutes"
    assert it.span(timedelta(hours=1)) == "1 ora"
    assert de.span(timedelta(hours=2)) == "2 Stunden"
