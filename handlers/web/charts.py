"""Charts: presence by weekday and hour (a heatmap), and days per member for admins.

`/stats chart [YYYY-MM]` sends the month's chart as a PNG (with days per member for an
admin asking in private); the status page shows the last four weeks, without names.
Drawing happens in a separate process (handlers/web/drawing.py), after the command's
transaction has committed (`ctx.after_commit`), so neither the database nor the bot's
memory carries matplotlib.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_date

from bot.arguments import YearMonth
from bot.context import MemberContext, Runtime
from bot.events import Document
from bot.i18n import Localizer
from bot.registry import Role, Where
from handlers.presence.calc import month_range, month_stats
from handlers.presence.closing import settle
from handlers.web.base import router, space_by_slug
from storage import Session
from storage.presence import Visit

log = logging.getLogger(__name__)

DRAWING = Path(__file__).with_name("drawing.py")
TIMEOUT = 120.0
LAST_WEEKS = 4
DAY_HOURS = (7, 21)  # shown even when nobody came earlier or stayed later
PAGE_CHART_FOR = timedelta(hours=1)


class ChartError(Exception):
    """The drawing process failed or took too long."""


# -- the data: pure --------------------------------------------------------------------------


def presence_grid(
    visits: Iterable[Visit], tz: ZoneInfo, first: date, last: date, now: datetime
) -> list[list[float]]:
    """People in on average per weekday (rows, Monday first) and hour (24 columns) over
    the days from `first` to `last`: the hours spent in each slot, over how many times
    that weekday occurs."""
    total = [[0.0] * 24 for _ in range(7)]
    for visit in visits:
        moment, end = visit.checkin_at, visit.checkout_at or now
        while moment < end:
            boundary = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            step = min(boundary + timedelta(hours=1), end)
            local = moment.astimezone(tz)
            total[local.weekday()][local.hour] += (step - moment) / timedelta(hours=1)
            moment = step
    occurs = [0] * 7
    day = first
    while day <= last:
        occurs[day.weekday()] += 1
        day += timedelta(days=1)
    return [
        [round(v / occurs[d], 3) if occurs[d] else 0.0 for v in row] for d, row in enumerate(total)
    ]


def hours_shown(grid: list[list[float]]) -> tuple[int, int]:
    used = [h for h in range(24) if any(row[h] for row in grid)]
    first = min([DAY_HOURS[0], *used])
    last = max([DAY_HOURS[1], *(h + 1 for h in used)])
    return first, last


def weekday_names(lang: str) -> list[str]:
    monday = date(2024, 1, 1)
    return [str(format_date(monday + timedelta(days=i), "EEE", locale=lang)) for i in range(7)]


def chart_spec(
    loc: Localizer,
    title: str,
    grid: list[list[float]],
    members: Mapping[str, int] | None = None,
    *,
    phone: bool = False,
) -> dict[str, Any]:
    """What drawing.py draws; `members` (name → days) adds the bar chart; `phone` sizes it
    for the status page."""
    spec: dict[str, Any] = {
        "title": title,
        "weekdays": weekday_names(loc.lang),
        "grid": grid,
        "hours": list(hours_shown(grid)),
        "scale": str(loc.t("chart.scale")),
        "empty": str(loc.t("chart.empty")),
        "members": None,
        "phone": phone,
    }
    if members:
        ranked = sorted(members.items(), key=lambda item: (-item[1], item[0].casefold()))
        spec["members"] = {
            "title": str(loc.t("chart.members")),
            "names": [name for name, _ in ranked],
            "days": [days for _, days in ranked],
        }
    return spec


# -- drawing -----------------------------------------------------------------------------------


async def draw(spec: Mapping[str, Any], cache_dir: Path) -> bytes:
    """The PNG of a spec, drawn by drawing.py in a process of its own."""
    env = {**os.environ, "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(cache_dir)}
    await asyncio.to_thread(cache_dir.mkdir, parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",  # isolated: nothing from the script's folder or the environment shadows a module
        str(DRAWING),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(json.dumps(spec).encode("utf-8")), TIMEOUT
        )
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise ChartError("drawing took too long") from exc
    if proc.returncode != 0 or not out.startswith(b"\x89PNG"):
        raise ChartError(err.decode("utf-8", "replace")[-2000:])
    return out


def cache_dir(rt: Runtime) -> Path:
    """matplotlib's font cache, kept beside the database so it is built once."""
    return rt.data_dir / "cache" / "matplotlib"


# -- the command and the page's picture -----------------------------------------------------------


@router.command("stats chart", role=Role.MEMBER, where=Where.ANY)
async def stats_chart(ctx: MemberContext, month: YearMonth | None = None) -> None:
    space, member, msg = ctx.space, ctx.member, ctx.msg
    await settle(ctx)
    wanted = month or YearMonth.of(ctx.today)
    name = ctx.fmt.month(wanted.year, wanted.month)
    first, last = month_range(wanted)
    visits = await ctx.session.presence.visits(space.id, first, last)
    if not visits:
        await ctx.say("stats.none", month=name)
        return
    grid = presence_grid(visits, space.tz, first, min(last, max(first, ctx.today)), ctx.now)
    days: dict[str, int] | None = None
    if member.is_admin and msg.chat.private:
        names = {m.id: m.display_name for m in await ctx.session.members.of_space(space.id)}
        per_member = month_stats(visits).days_per_member
        days = {names.get(k, f"#{k}"): v for k, v in per_member.items()}
    title = str(ctx.t("chart.title", space=space.name, period=name))
    spec = chart_spec(ctx.loc, title, grid, days)
    rt, lang = ctx.rt, ctx.lang

    async def send() -> None:
        try:
            png = await draw(spec, cache_dir(rt))
        except (ChartError, OSError):
            log.exception("chart for space %s failed", space.id)
            png = b""

        async def answer(session: Session) -> None:
            later = rt.context(session, space, member, msg, lang)
            if not png:
                await later.say("chart.failed")
                return
            caption = later.t("chart.caption", space=space.name, month=name)
            document = Document(f"presence-{wanted}.png", png, "image/png")
            await later.reply(caption, document=document)

        await rt.store.run(answer)

    ctx.after_commit(send)


@router.route("GET", "/spaces/{slug}/chart.png", fresh=PAGE_CHART_FOR)
async def page_chart(rt: Runtime, request: web.Request) -> web.Response:
    """The last four weeks, for the status page: no names."""
    now = rt.clock.now()
    async with rt.store.transaction() as session:
        space = await space_by_slug(session, request.match_info["slug"])
        today = now.astimezone(space.tz).date()
        first = today - timedelta(weeks=LAST_WEEKS) + timedelta(days=1)
        visits = await session.presence.visits(space.id, first, today)
        loc = rt.context(session, space).loc
    title = str(loc.t("chart.page_title"))
    grid = presence_grid(visits, space.tz, first, today, now)
    spec = chart_spec(loc, title, grid, phone=True)
    try:
        png = await draw(spec, cache_dir(rt))
    except ChartError:
        log.exception("page chart for space %s failed", space.id)
        raise web.HTTPServiceUnavailable(text="The chart could not be drawn.\n") from None
    return web.Response(body=png, content_type="image/png")
