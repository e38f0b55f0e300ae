"""The shape of the house: what depends on what, and what the docs point at."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_engine_imports_no_capability_and_no_composition_root() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in ("handlers", "coworkbot")
        )
        for path in sorted((ROOT / "bot").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_storage_imports_neither_the_engine_nor_the_capabilities() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in ("bot", "handlers", "coworkbot")
        )
        for path in sorted((ROOT / "storage").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_each_handler_module_imports_on_its_own() -> None:
    """A fresh interpreter imports each capability package and shared module of
    handlers/ first (a submodule's import starts with its package's): no import cycle
    that only the composition root's order hides (a test file importing
    handlers.presence first failed)."""
    modules = sorted(
        f"handlers.{path.parent.name if path.name == '__init__.py' else path.stem}"
        for path in [*(ROOT / "handlers").glob("*.py"), *(ROOT / "handlers").glob("*/__init__.py")]
        if path.parent != ROOT / "handlers" or path.name != "__init__.py"
    )
    failed = {}
    for module in modules:
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            failed[module] = result.stderr.strip().splitlines()[-1]
    assert failed == {}


def test_test_modules_share_code_only_through_tests_support() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.startswith("tests.test_")
        )
        for path in sorted((ROOT / "tests").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def repository_files(*suffixes: str) -> list[Path]:
    """The project's own files: not the venv, caches, data or anything hidden."""
    skip = {".venv", "data", "node_modules", "__pycache__"}
    return sorted(
        path
        for path in ROOT.rglob("*")
        if path.suffix in suffixes
        and path.is_file()
        and not any(part in skip or part.startswith(".") for part in path.relative_to(ROOT).parts)
    )


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a markdown text."""
    found = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return found


def test_every_link_in_the_docs_resolves_inside_the_repository() -> None:
    broken: list[str] = []
    for doc in repository_files(".md"):
        for target in _LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto: … point outside on purpose
            path, _, anchor = target.partition("#")
            resolved = (doc.parent / path).resolve() if path else doc
            inside = resolved.is_relative_to(ROOT) and resolved.exists()
            if not inside or (
                anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text())
            ):
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert broken == []


# The original design lived beside the repository, in a folder users never have; spelt
# in two pieces so this file does not name it either.
OLD_DESIGN = "shared" + "/"


def test_nothing_points_outside_the_repository_at_the_old_design() -> None:
    pointing = [
        str(path.relative_to(ROOT))
        for path in repository_files(".py", ".md", ".toml")
        if OLD_DESIGN in path.read_text(encoding="utf-8")
    ]
    assert pointing == []
