"""Figures, their baselines and ratios, printed as one table per group.

Every figure is measured in the same run as its baseline, on the same disk and the same
(shared) cores, so a ratio stays meaningful on a busy machine even when the absolute
numbers move.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured value, optionally set against the baseline measured with it.

    `ratio` is value / baseline. `better` says which way is good ("higher" for rates,
    "lower" for times and sizes), so the reader of a table needs no guessing. `goal`,
    if any, is the ratio an issue asked for; the table says whether it was met.
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    better: str = "lower"
    note: str = ""
    goal: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def verdict(self) -> str:
        """`goal ≥ 1.0: met` (or `not met`); empty without a goal."""
        if self.goal is None or self.ratio is None:
            return ""
        higher = self.better == "higher"
        met = self.ratio >= self.goal if higher else self.ratio <= self.goal
        return f"goal {'≥' if higher else '≤'} {self.goal:g}: {'met' if met else 'NOT met'}"


@dataclass
class Group:
    """The figures of one group (throughput, fanout, scale, memory) and how it was run."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(f"  {render_line(figure)}", flush=True)
        return figure

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  · {text}", flush=True)


def number(value: float) -> str:
    """Three significant figures, no exponent for ordinary magnitudes."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 3:
        return f"{value:,.0f}"
    decimals = max(0, 2 - magnitude)
    return f"{value:.{decimals}f}"


def render_line(f: Figure) -> str:
    text = f"{f.name}: {number(f.value)} {f.unit}"
    if f.baseline is not None:
        text += f"  vs {f.baseline_name} {number(f.baseline)} {f.unit}"
        if f.ratio is not None:
            text += f"  → ratio {f.ratio:.2f} ({f.better} is better)"
        if f.verdict():
            text += f"; {f.verdict()}"
    if f.note:
        text += f"  [{f.note}]"
    return text


def table(group: Group) -> str:
    """A Markdown table: figure, value, baseline, ratio."""
    rows = [
        f"### {group.title} ({group.seconds:.0f} s)",
        "",
        "| figure | value | baseline | ratio |",
        "|---|---|---|---|",
    ]
    for f in group.figures:
        base = f"{number(f.baseline)} {f.unit} ({f.baseline_name})" if f.baseline else "—"
        ratio = f"{f.ratio:.2f} ({f.better} better)" if f.ratio is not None else "—"
        if f.verdict():
            ratio += f"; {f.verdict()}"
        value = f"{number(f.value)} {f.unit}"
        if f.note:
            value += f" — {f.note}"
        rows.append(f"| {f.name} | {value} | {base} | {ratio} |")
    rows += [f"- {n}" for n in group.notes]
    return "\n".join(rows)


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile by the nearest-rank method (p99 of 100 samples is the 99th)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def machine(data_dir: Path) -> list[str]:
    """What the figures were measured on; the load average says how shared it was."""
    load = os.getloadavg()
    free = shutil.disk_usage(data_dir).free / 2**30
    return [
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (cores shared with others)",
        f"SQLite {sqlite3.sqlite_version}; data dir {data_dir} ({free:.0f} GiB free)",
        f"started {time.strftime('%Y-%m-%d %H:%M:%S')}; argv {' '.join(sys.argv[1:]) or '-'}",
    ]


def save(groups: Sequence[Group], header: Sequence[str], path: Path) -> None:
    """The run as JSON, so two runs (before and after a fix) can be compared."""
    data = {
        "machine": list(header),
        "groups": [
            {
                "key": g.key,
                "title": g.title,
                "seconds": g.seconds,
                "notes": g.notes,
                "figures": [asdict(f) | {"ratio": f.ratio} for f in g.figures],
            }
            for g in groups
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


@dataclass(frozen=True)
class Saved:
    value: float
    unit: str
    ratio: float | None

    def shown(self) -> str:
        return f"{number(self.value)} {self.unit}".strip()

    def shown_ratio(self) -> str:
        return "—" if self.ratio is None else f"{self.ratio:.2f}"


def compare(before: Path, after: Path) -> str:
    """A before/after table of two saved runs, figure by figure."""
    old = _figures(json.loads(before.read_text()))
    new = _figures(json.loads(after.read_text()))
    rows = ["| figure | before | after | ratio before | ratio after |", "|---|---|---|---|---|"]
    for key, f in new.items():
        b = old.get(key)
        vb, rb = ("—", "—") if b is None else (b.shown(), b.shown_ratio())
        rows.append(f"| {key} | {vb} | {f.shown()} | {rb} | {f.shown_ratio()} |")
    return "\n".join(rows)


def _figures(data: dict[str, Any]) -> dict[str, Saved]:
    out: dict[str, Saved] = {}
    for g in data["groups"]:
        for f in g["figures"]:
            out[f"{g['key']}: {f['name']}"] = Saved(float(f["value"]), f["unit"], f["ratio"])
    return out
