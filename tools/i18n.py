"""`make i18n`: keep the gettext catalogs in `locales/` whole, in four steps.

1. **convert** — message dicts still written in Python (`MESSAGES: Catalog = {key:
   {"en": ..., "it": ...}}`, the old style) are moved into the catalogs and deleted
   from their module. A key the catalogs already have keeps the catalog's text; the
   step says where the dict differs, so a reviewed translation is never overwritten
   by an older one (`--overwrite` lets the dict win).
2. **extract** — `locales/coworkbot.pot`, the template a new language starts from, is
   written from the English catalog, which is the source of every message.
3. **update** — every other catalog gets the English catalog's keys, in its order:
   new keys empty, removed keys dropped, each message's English shown above it as a
   comment, plural forms and the `Plural-Forms` header as Babel (CLDR) has them for
   the language. A translation whose English changed since it was made is marked
   fuzzy, with the previous English beside it, until a translator reviews it.
4. **compile** — every catalog is compiled with Babel, which proves it reads and
   compiles, and its statistics are printed. The bot reads the `.po` files themselves
   at start (see bot/i18n.py), so no `.mo` file is written or committed.

A file is rewritten only when its messages change, so running it twice changes nothing.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
DOMAIN = "coworkbot"
SOURCE = "en"
SOURCES = ("bot", "handlers")  # where message dicts may still be written in Python
ENGLISH = "English: "
PREVIOUS = "Previous English: "
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")
WIDTH = 76

Text = str | tuple[str, ...]


# -- catalogs on disk -------------------------------------------------------------------


def po_path(lang: str, locales: Path = LOCALES) -> Path:
    return locales / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def pot_path(locales: Path = LOCALES) -> Path:
    return locales / f"{DOMAIN}.pot"


def languages(locales: Path = LOCALES) -> list[str]:
    return sorted(p.parent.parent.name for p in locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def plural_forms(lang: str) -> str:
    """The gettext `Plural-Forms` of a language, from Babel's CLDR data."""
    return str(get_plural(lang).plural_forms)


def categories(lang: str) -> list[str]:
    """CLDR plural categories in the order of the language's gettext plural forms."""
    tags = Locale.parse(lang).plural_form.tags
    return [tag for tag in CLDR_ORDER if tag in tags or tag == "other"]


@dataclass
class Entry:
    """One message of one catalog, in the form this tool works with."""

    key: str
    text: Text
    notes: list[str] = field(default_factory=list)  # developers' notes (`#.` in English)
    fuzzy: bool = False
    english: str | None = None  # the English it translates, as recorded (whitespace folded)
    previous: str | None = None  # the English before it changed, for fuzzy entries
    comments: list[str] = field(default_factory=list)  # translators' own `#` comments
    source: Text | None = None  # the English itself, when known, to show line by line

    @property
    def plural(self) -> bool:
        return not isinstance(self.text, str)

    @property
    def translated(self) -> bool:
        return has_all(self.text) and not self.fuzzy


def has_all(text: Text) -> bool:
    return bool(text) if isinstance(text, str) else bool(text) and all(text)


def has_any(text: Text) -> bool:
    return bool(text) if isinstance(text, str) else any(text)


def english_lines(text: Text) -> list[str]:
    """How a message's English is shown above its translation (plural forms numbered)."""
    if isinstance(text, str):
        return text.split("\n")
    return [f"[{i}] {line}" for i, form in enumerate(text) for line in form.split("\n")]


def fold(lines: Iterable[str]) -> str:
    """Whitespace folded, so comments that Babel re-wraps compare equal."""
    return " ".join(" ".join(lines).split())


def _split_comments(comments: Sequence[str]) -> tuple[list[str], str | None, str | None]:
    """`#.` lines: the notes, then "English: …" and "Previous English: …" with the
    lines Babel wrapped them into."""
    parts: dict[str, list[str]] = {"notes": []}
    section = "notes"
    for comment in comments:
        for label, name in ((ENGLISH, "english"), (PREVIOUS, "previous")):
            if comment.startswith(label):
                section, comment = name, comment[len(label) :]
                parts[section] = []
        parts[section].append(comment)
    english, previous = parts.get("english"), parts.get("previous")
    return (
        parts["notes"],
        None if english is None else fold(english),
        None if previous is None else fold(previous),
    )


def read_entries(path: Path, lang: str) -> list[Entry]:
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    entries = []
    for message in catalog:
        if not message.id:
            continue
        key = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
        text = _text(message.string)
        notes, english, previous = _split_comments(message.auto_comments)
        entries.append(
            Entry(key, text, notes, message.fuzzy, english, previous, list(message.user_comments))
        )
    return entries


HEADER = """\
# {name} messages of coworkbot.
# Each message id is a key; "English:" above it shows the source text.
# Edit with Poedit or Weblate, keeping {{placeholders}} and <b>tags</b>;
# README.md, "Translating", says how.
#"""


def read_header(path: Path) -> Catalog | None:
    """The catalog's header as it is now, so a rewrite keeps what Poedit put there."""
    if not path.exists():
        return None
    with path.open("rb") as po:
        return read_po(po, domain=DOMAIN)


def render(entries: Iterable[Entry], lang: str | None, header: Catalog | None = None) -> bytes:
    """A catalog as `.po` bytes (`lang` None: the `.pot` template)."""
    name = Locale.parse(lang).english_name if lang else "Template for the"
    catalog = Catalog(
        locale=lang,
        domain=DOMAIN,
        project="coworkbot",
        version=header.version if header and header.version not in (None, "VERSION") else "1",
        header_comment=HEADER.format(name=name),
        fuzzy=False,
    )
    catalog.msgid_bugs_address = ""
    if lang:
        catalog.language_team = f"{Locale.parse(lang).english_name}"
    if header is not None:
        catalog.creation_date = header.creation_date
        catalog.revision_date = header.revision_date
        catalog.last_translator = header.last_translator
        catalog.language_team = header.language_team or catalog.language_team
    for entry in entries:
        comments = list(entry.notes)
        if lang != SOURCE and entry.source is not None:
            first, *rest = english_lines(entry.source)
            comments += [f"{ENGLISH}{first}", *rest]
        elif lang != SOURCE and entry.english is not None:
            comments.append(f"{ENGLISH}{entry.english}")
        if entry.fuzzy and entry.previous is not None:
            comments.append(f"{PREVIOUS}{entry.previous}")
        message = Message(
            (entry.key, entry.key) if entry.plural else entry.key,
            entry.text,
            auto_comments=comments,
            user_comments=entry.comments,
            flags=["fuzzy"] if entry.fuzzy else [],
        )
        catalog[entry.key] = message
    out = io.BytesIO()
    write_po(out, catalog, width=WIDTH, omit_header=False)
    return out.getvalue()


# Header lines that change on every write without anything real changing.
_VOLATILE = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date|Generated-By): .*\n', re.M)


def save(path: Path, content: bytes) -> bool:
    """Write only when something other than a date or Babel's version changed."""
    if path.exists() and _VOLATILE.sub(b"", path.read_bytes()) == _VOLATILE.sub(b"", content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


# -- 1. convert ---------------------------------------------------------------------------


@dataclass
class DictCatalog:
    """A message dict found in a Python module."""

    path: Path
    name: str
    first_line: int  # 1-based, the assignment's first and last lines
    last_line: int
    messages: dict[str, dict[str, Text | dict[str, str]]]


def _is_catalog(value: object) -> bool:
    if not isinstance(value, dict) or not value:
        return False
    for key, texts in value.items():
        if not (isinstance(key, str) and "." in key and isinstance(texts, dict)):
            return False
        if SOURCE not in texts or not all(LANGUAGE_CODE.fullmatch(lang) for lang in texts):
            return False
    return True


def find_dicts(path: Path) -> list[DictCatalog]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Dict):
            continue
        try:
            literal = ast.literal_eval(value)
        except ValueError:
            continue
        if _is_catalog(literal):
            assert node.end_lineno is not None
            found.append(DictCatalog(path, target.id, node.lineno, node.end_lineno, literal))
    return found


def _forms(text: str | Mapping[str, str], lang: str) -> Text:
    """A dict text as catalog text: plural categories become the language's forms."""
    if isinstance(text, str):
        return text
    return tuple(text.get(tag) or text["other"] for tag in categories(lang))


def merge_dicts(
    dicts: Sequence[DictCatalog], catalogs: dict[str, list[Entry]], overwrite: bool
) -> list[str]:
    """Put the dicts' messages into `catalogs` (language -> entries); return what differed."""
    notes: list[str] = []
    for found in dicts:
        for key, texts in found.messages.items():
            for lang, entries in catalogs.items():
                raw = texts.get(lang)
                if raw is None or isinstance(raw, tuple):
                    continue
                text = _forms(raw, lang)
                existing = next((e for e in entries if e.key == key), None)
                if existing is None:
                    _insert(entries, Entry(key, text))
                elif existing.text != text and (existing.translated or lang == SOURCE):
                    if overwrite:
                        existing.text, existing.fuzzy = text, False
                    else:
                        notes.append(
                            f"{shown(found.path)}: {key} [{lang}] kept the catalog's"
                            f" text {existing.text!r}; the dict had {text!r}"
                        )
                else:
                    existing.text, existing.fuzzy = text, False
    return notes


def _insert(entries: list[Entry], entry: Entry) -> None:
    """After the last entry of the same family (`checkin.` for `checkin.done`), else last."""
    prefix = entry.key.split(".")[0] + "."
    last = max((i for i, e in enumerate(entries) if e.key.startswith(prefix)), default=None)
    entries.insert(len(entries) if last is None else last + 1, entry)


def strip_dicts(path: Path, dicts: Sequence[DictCatalog]) -> list[str]:
    """Delete the dicts from their module; return what a person still has to fix."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for found in sorted(dicts, key=lambda d: d.first_line, reverse=True):
        del lines[found.first_line - 1 : found.last_line]
    source = "".join(lines)
    todo = []
    for found in dicts:
        source = re.sub(rf"(Router\(\s*\"[^\"]+\")\s*,\s*{found.name}\s*\)", r"\1)", source)
        if re.search(rf"\b{found.name}\b", source):
            todo.append(f"{shown(path)} still uses {found.name}")
    path.write_text(source, encoding="utf-8")
    if _only_imports(source):
        path.unlink()
        todo.append(f"{shown(path)} held only messages and is deleted")
    return todo


def _only_imports(source: str) -> bool:
    body = ast.parse(source).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in body)


def importers(path: Path, names: Sequence[str], project: Path) -> list[str]:
    """Other modules that import a deleted dict: a person removes those imports."""
    if not path.is_relative_to(project):
        return []
    module = ".".join(path.relative_to(project).with_suffix("").parts)
    found = []
    for other in python_files([project]):
        source = other.read_text(encoding="utf-8")
        for name in names:
            if re.search(rf"from {re.escape(module)} import[^\n]*\b{name}\b", source) or re.search(
                rf"from {re.escape(module)} import \([^)]*\b{name}\b", source
            ):
                found.append(f"{shown(other)} imports {name} from {module}: remove it")
    return found


def shown(path: Path) -> str:
    """A path as the messages show it: relative to the project when it is inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def python_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        yield from sorted(
            p for p in root.rglob("*.py") if not {".venv", ".git"} & set(p.relative_to(root).parts)
        )


def convert(
    roots: Iterable[Path],
    catalogs: dict[str, list[Entry]],
    project: Path = ROOT,
    overwrite: bool = False,
) -> tuple[list[Path], list[str]]:
    """Move every message dict under `roots` into `catalogs`; the changed files and notes."""
    changed: list[Path] = []
    notes: list[str] = []
    for path in python_files(roots):
        dicts = find_dicts(path)
        if not dicts:
            continue
        notes += merge_dicts(dicts, catalogs, overwrite)
        notes += strip_dicts(path, dicts)
        notes += importers(path, [d.name for d in dicts], project)
        changed.append(path)
        names = ", ".join(d.name for d in dicts)
        count = sum(len(d.messages) for d in dicts)
        print(f"convert: {count} messages of {shown(path)} ({names}) moved to locales/")
    return changed, notes


# -- 3. update ------------------------------------------------------------------------------


def update(source: list[Entry], entries: list[Entry], lang: str) -> list[Entry]:
    """A language's entries made to follow the English source."""
    by_key = {e.key: e for e in entries}
    forms = int(get_plural(lang).num_plurals)
    out = []
    for english in source:
        old = by_key.get(english.key)
        entry = Entry(english.key, "" if not english.plural else ("",) * forms, english.notes)
        entry.english, entry.source = fold(english_lines(english.text)), english.text
        if old is not None:
            entry.text, entry.fuzzy, entry.comments = old.text, old.fuzzy, old.comments
            entry.previous = old.previous
            if english.plural != old.plural:  # the message gained or lost plural forms
                first = old.text if isinstance(old.text, str) else old.text[-1]
                entry.text = (first,) * forms if english.plural else first
                entry.fuzzy = bool(first)
            elif isinstance(old.text, tuple) and len(old.text) != forms:
                entry.text = tuple((list(old.text) + [old.text[-1]] * forms)[:forms])
            changed = old.english is not None and old.english != entry.english
            if changed and has_any(entry.text):
                entry.fuzzy = True
                entry.previous = old.previous if old.fuzzy and old.previous else old.english
        if not entry.fuzzy:
            entry.previous = None
        out.append(entry)
    return out


def template(source: list[Entry]) -> list[Entry]:
    """The `.pot`: every key, no translation, the English above it."""
    return [
        Entry(
            e.key,
            ("", "") if e.plural else "",
            e.notes,
            english=fold(english_lines(e.text)),
            source=e.text,
        )
        for e in source
    ]


# -- 4. compile ----------------------------------------------------------------------------


def compile_check(lang: str, locales: Path = LOCALES) -> str:
    """Compile a catalog with Babel (in memory) and say how complete it is."""
    with po_path(lang, locales).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    write_mo(io.BytesIO(), catalog)
    messages = [m for m in catalog if m.id]
    fuzzy = sum(1 for m in messages if m.fuzzy)
    empty = sum(1 for m in messages if not m.fuzzy and not has_all(_text(m.string)))
    done = len(messages) - fuzzy - empty
    return f"{lang}: {done} translated, {fuzzy} fuzzy, {empty} untranslated"


def _text(string: object) -> Text:
    return tuple(str(s) for s in string) if isinstance(string, (tuple, list)) else str(string or "")


# -- the command ---------------------------------------------------------------------------


def run(
    locales: Path, roots: Sequence[Path], overwrite: bool = False, new: Sequence[str] = ()
) -> int:
    for lang in new:
        Locale.parse(lang)  # refuses what is not a language
        if not po_path(lang, locales).exists():
            save(po_path(lang, locales), render([], lang))
            print(f"new: started {po_path(lang, locales).relative_to(locales.parent)}")
    langs = languages(locales)
    if SOURCE not in langs:
        print(f"no English catalog at {po_path(SOURCE, locales)}", file=sys.stderr)
        return 1
    catalogs = {lang: read_entries(po_path(lang, locales), lang) for lang in langs}
    changed, notes = convert(roots, catalogs, locales.parent, overwrite)
    source = catalogs[SOURCE]
    written = []
    for lang in langs:
        entries = source if lang == SOURCE else update(source, catalogs[lang], lang)
        path = po_path(lang, locales)
        if save(path, render(entries, lang, read_header(path))):
            written.append(str(po_path(lang, locales).relative_to(locales.parent)))
    if save(pot_path(locales), render(template(source), None, read_header(pot_path(locales)))):
        written.append(str(pot_path(locales).relative_to(locales.parent)))
    for name in written:
        print(f"update: wrote {name}")
    if changed:
        tidy(changed)
    for lang in langs:
        print(f"compile: {compile_check(lang, locales)}")
    for note in notes:
        print(f"review: {note}")
    return 0


def tidy(paths: Sequence[Path]) -> None:
    """Let ruff remove the imports the deleted dicts needed, and reformat."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    existing = [str(p) for p in paths if p.exists()]
    if not existing or not Path(ruff).exists():
        return
    subprocess.run([ruff, "check", "--fix", "--select", "F401,I001", *existing], check=False)  # noqa: S603
    subprocess.run([ruff, "format", *existing], check=False)  # noqa: S603


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locales", type=Path, default=LOCALES)
    parser.add_argument("--overwrite", action="store_true", help="dict texts win over catalogs")
    parser.add_argument(
        "--new",
        action="append",
        default=[],
        metavar="LANG",
        help="start a catalog for a new language (e.g. fr)",
    )
    parser.add_argument("roots", nargs="*", type=Path, help="where to look for message dicts")
    args = parser.parse_args(argv)
    roots = args.roots or [ROOT / name for name in SOURCES]
    return run(args.locales, [r.resolve() for r in roots], args.overwrite, args.new)


if __name__ == "__main__":
    sys.exit(main())
