"""`python -m bench.run`: the seven figure groups, or some of them, with a table each.

python -m bench.run                      # everything, full sizes
python -m bench.run --quick              # everything, smaller sizes (a few minutes)
python -m bench.run --only scale         # one group (repeat --only for more)
python -m bench.run --save before.json   # keep the figures to compare later
python -m bench.run --compare before.json after.json
python -m bench.run --only throughput --profile   # pyinstrument, if installed
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.report import Group, compare, machine, save, table
from bench.world import Options, quiet

GROUPS = {
    "throughput": "bench.throughput",
    "fanout": "bench.fanout",
    "scale": "bench.scale",
    "memory": "bench.memory",
    "e2ee": "bench.e2ee",
    "replicas": "bench.replicas",
    "web": "bench.web",
    "fairness": "bench.fairness",
}
DEFAULT_DATA = Path(__file__).resolve().parent / ".data"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--only", action="append", choices=list(GROUPS), help="run this group (repeatable)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA,
        help=f"where databases and the cached data set live (default {DEFAULT_DATA})",
    )
    parser.add_argument("--save", type=Path, metavar="JSON", help="write the figures here")
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"), help="compare two saves"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each group with pyinstrument (pip install pyinstrument first)",
    )
    return parser.parse_args(argv)


async def run_group(key: str, options: Options, profile: bool) -> Group:
    module = importlib.import_module(GROUPS[key])
    runner: Callable[[Options], Awaitable[Group]] = module.run
    if not profile:
        return await runner(options)
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("--profile needs pyinstrument: .venv/bin/pip install pyinstrument")
    profiler = Profiler(async_mode="enabled")
    profiler.start()
    try:
        return await runner(options)
    finally:
        profiler.stop()
        out = options.data_dir / f"profile-{key}.html"
        out.write_text(profiler.output_html())
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"profile written to {out}")


async def main_async(args: argparse.Namespace) -> int:
    options = Options(quick=args.quick, data_dir=args.data_dir.resolve())
    options.data_dir.mkdir(parents=True, exist_ok=True)
    header = machine(options.data_dir)
    print("\n".join(header))
    print(f"sizes: {'quick' if args.quick else 'full'}\n")
    groups: list[Group] = []
    for key in args.only or list(GROUPS):
        print(f"== {key}", flush=True)
        start = time.perf_counter()
        group = await run_group(key, options, args.profile)
        group.seconds = time.perf_counter() - start
        groups.append(group)
        print()
    print("\n\n".join(table(g) for g in groups))
    if args.save:
        save(groups, header, args.save)
        print(f"\nfigures saved to {args.save}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.compare:
        print(compare(*args.compare))
        return 0
    quiet()
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
