"""Draw a chart: run as a script, a JSON spec on stdin, a PNG on stdout.

It runs in its own short-lived process (handlers/web/charts.py starts it), so matplotlib
is imported only when a chart is drawn and the bot's memory does not keep it: the bot
stays as small as before once the chart is sent. Nothing here imports the bot.

The spec: `title`, `weekdays` (7 labels, Monday first), `grid` (7 rows of 24 hours:
people in on average), `hours` ([first, last) to show), `scale` (the colour bar's
label), `empty` (said over an empty grid), `members` (`title`, `names`, `days`) or
null, and `phone` (true: smaller and with larger letters, for the status page).
"""

from __future__ import annotations

import json
import sys
from typing import Any

DPI = 110
PHONE_SIZE = (6.0, 4.4)  # inches: 660 × 484 pixels


def draw(spec: dict[str, Any]) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    members = spec.get("members")
    rows = 2 if members else 1
    if spec.get("phone"):  # read on a phone's width: fewer inches, so larger letters
        matplotlib.rcParams["font.size"] = 12
        width, height = PHONE_SIZE
    else:
        width, height = 8.0, 3.6 + (0.6 + 0.28 * len(members["names"]) if members else 0)
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    first, last = spec["hours"]
    grid = [row[first:last] for row in spec["grid"]]
    ax = fig.add_subplot(rows, 1, 1) if members else fig.add_subplot()
    top = max(1.0, *(max(row) for row in grid))  # an empty month is white, not mid-blue
    image = ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=top, interpolation="nearest")
    ax.set_title(spec["title"])
    ax.set_yticks(range(7), spec["weekdays"])
    ax.set_xticks(range(last - first), [str(h) for h in range(first, last)])
    colorbar = fig.colorbar(image, ax=ax)
    colorbar.set_label(spec["scale"])
    if not any(any(row) for row in grid):
        ax.text((last - first) / 2 - 0.5, 3, spec["empty"], ha="center", va="center")
    if members:
        bars = fig.add_subplot(rows, 1, 2)
        names, days = members["names"][::-1], members["days"][::-1]
        bars.barh(range(len(names)), days, color="#2b6cb0")
        bars.set_yticks(range(len(names)), names)
        bars.set_title(members["title"])
        bars.xaxis.set_major_locator(MaxNLocator(integer=True))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def main() -> int:
    spec = json.load(sys.stdin)
    sys.stdout.buffer.write(draw(spec))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
