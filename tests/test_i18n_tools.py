"""`make i18n` (tools/i18n.py): message dicts moved out of Python, catalogs kept in step
with English, nothing rewritten for nothing; and the catalogs travel with an installed bot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.i18n import LANGUAGES, read_catalog
from tools import i18n

ROOT = Path(__file__).resolve().parent.parent

MODULE = '''"""A capability written the old way."""

from bot.registry import Router
from bot.i18n import Catalog

MESSAGES: Catalog = {
    "fund.title": {"en": "<b>Common fund</b>", "it": "<b>Cassa comune</b>"},
    "fund.count": {
        "en": {"one": "{count} payment", "other": "{count} payments"},
        "it": {"one": "{count} versamento", "other": "{count} versamenti"},
    },
    "dispatch.usage": {"en": "Usage (old):", "it": "Uso (vecchio):"},
}

router = Router("fund", MESSAGES)


def behaviour() -> int:
    return 1
'''


def project(tmp_path: Path) -> Path:
    """A small project: English and Italian catalogs with one message, one old module."""
    locales = tmp_path / "locales"
    for lang, text in (("en", "Usage:"), ("it", "Uso:")):
        path = i18n.po_path(lang, locales)
        path.parent.mkdir(parents=True)
        path.write_bytes(i18n.render([i18n.Entry("dispatch.usage", text)], lang))
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "fund.py").write_text(MODULE)
    (tmp_path / "handlers" / "other.py").write_text("from handlers.fund import MESSAGES\n")
    return locales


def test_convert_moves_the_dicts_into_the_catalogs_and_out_of_the_module(
    tmp_path: Path, capsys: object
) -> None:
    locales = project(tmp_path)
    assert i18n.run(locales, [tmp_path / "handlers"]) == 0
    en = read_catalog(i18n.po_path("en", locales), "en")
    it = read_catalog(i18n.po_path("it", locales), "it")
    assert en.messages["fund.title"] == "<b>Common fund</b>"
    assert en.messages["fund.count"] == ("{count} payment", "{count} payments")
    # Italian has three CLDR forms (one, many, other): `many` takes the `other` text.
    one, other = "{count} versamento", "{count} versamenti"
    assert it.messages["fund.count"] == (one, other, other)
    # A key the catalogs had keeps its reviewed text; the run says where the dict differs.
    assert en.messages["dispatch.usage"] == "Usage:" and it.messages["dispatch.usage"] == "Uso:"
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "dispatch.usage [en] kept the catalog's text" in out
    assert "handlers/other.py imports MESSAGES from handlers.fund: remove it" in out
    module = (tmp_path / "handlers" / "fund.py").read_text()
    assert "MESSAGES" not in module and "Catalog" not in module
    assert 'router = Router("fund")' in module and "def behaviour() -> int:" in module
    compile(module, "fund.py", "exec")
    # English comments show translators the source; the template has every key.
    po = i18n.po_path("it", locales).read_text()
    assert '#. English: <b>Common fund</b>\nmsgid "fund.title"' in po
    assert 'msgid "fund.count"' in i18n.pot_path(locales).read_text()


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    locales = project(tmp_path)
    i18n.run(locales, [tmp_path / "handlers"])
    before = {p: p.read_bytes() for p in locales.rglob("*.po*")}
    stamps = {p: p.stat().st_mtime_ns for p in before}
    i18n.run(locales, [tmp_path / "handlers"])
    assert {p: p.read_bytes() for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == stamps


def test_a_changed_english_text_makes_the_translation_fuzzy_until_reviewed(
    tmp_path: Path,
) -> None:
    locales = project(tmp_path)
    i18n.run(locales, [tmp_path / "handlers"])
    en = i18n.read_entries(i18n.po_path("en", locales), "en")
    en[0].text = "How to use it:"
    en.append(i18n.Entry("fund.new", "New"))
    en = [e for e in en if e.key != "fund.title"]
    i18n.po_path("en", locales).write_bytes(i18n.render(en, "en"))
    i18n.run(locales, [])
    it = {e.key: e for e in i18n.read_entries(i18n.po_path("it", locales), "it")}
    assert it["dispatch.usage"].fuzzy and it["dispatch.usage"].text == "Uso:"
    assert it["dispatch.usage"].english == "How to use it:"
    assert it["dispatch.usage"].previous == "Usage:"
    assert it["fund.new"].text == "" and "fund.title" not in it
    catalog = read_catalog(i18n.po_path("it", locales), "it")
    assert "dispatch.usage" not in catalog.messages and "dispatch.usage" in catalog.fuzzy
    # A translator reviews it (Poedit drops the fuzzy flag): the previous English goes.
    entries = list(it.values())
    it["dispatch.usage"].fuzzy = False
    i18n.po_path("it", locales).write_bytes(i18n.render(entries, "it"))
    i18n.run(locales, [])
    again = {e.key: e for e in i18n.read_entries(i18n.po_path("it", locales), "it")}
    assert not again["dispatch.usage"].fuzzy and again["dispatch.usage"].previous is None


def test_a_new_language_starts_from_english(tmp_path: Path) -> None:
    locales = project(tmp_path)
    i18n.run(locales, [tmp_path / "handlers"], new=["fr"])
    fr = i18n.read_entries(i18n.po_path("fr", locales), "fr")
    assert {e.key for e in fr} == {"dispatch.usage", "fund.title", "fund.count"}
    assert not any(e.translated for e in fr)
    assert "nplurals=3" in i18n.po_path("fr", locales).read_text()  # CLDR: one, many, other


def test_the_repository_catalogs_are_up_to_date() -> None:
    """What `make i18n` would write is what is committed: run it after editing English."""
    source = i18n.read_entries(i18n.po_path("en"), "en")
    stale = []
    for lang in LANGUAGES:
        path = i18n.po_path(lang)
        entries = (
            source if lang == "en" else i18n.update(source, i18n.read_entries(path, lang), lang)
        )
        wanted = i18n.render(entries, lang, i18n.read_header(path))
        if i18n._VOLATILE.sub(b"", wanted) != i18n._VOLATILE.sub(b"", path.read_bytes()):
            stale.append(lang)
    template = i18n.render(i18n.template(source), None, i18n.read_header(i18n.pot_path()))
    if i18n._VOLATILE.sub(b"", template) != i18n._VOLATILE.sub(b"", i18n.pot_path().read_bytes()):
        stale.append("template")
    assert stale == []
    assert [
        f for f in i18n.python_files([ROOT / "bot", ROOT / "handlers"]) if i18n.find_dicts(f)
    ] == []


def test_an_installed_bot_finds_its_catalogs(tmp_path: Path) -> None:
    """The .po files are package data: a wheel carries them and, installed, they load."""
    source = tmp_path / "src"
    for name in ("coworkbot", "bot", "handlers", "storage", "locales"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for lang in LANGUAGES:
        assert f"locales/{lang}/LC_MESSAGES/coworkbot.po" in names
    target = tmp_path / "installed"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    probe = (
        "import bot.i18n as m; from bot.i18n import Translator;"
        "print(m.__file__); print(Translator('it').t('it', 'dispatch.usage'))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    shown = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    where, text = shown.stdout.splitlines()
    assert where.startswith(str(target)) and text == "Uso:"
