"""The status page, `/spaces/<slug>/`: for a phone at the door or a screen in the hall.

Open or closed and since when, how many are in, how many more are coming today, when
it closes (or opens), the opening hours and the last four weeks as a picture. In the
space's language, readable on a phone, no JavaScript (it reloads itself every minute
with a plain `refresh`), and nothing private: counts only, no names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from bot.context import Runtime
from bot.hours import HoursRange, parse_hours
from bot.i18n import Localizer, escape
from handlers.presence.calc import local_instant, parse_hhmm
from handlers.presence.commands import coming_today
from handlers.web.base import router, space_by_slug, when_text
from handlers.web.charts import weekday_names
from handlers.web.state import Now, current
from storage.spaces import Space

REFRESH_SECONDS = 60


STYLE = """
:root { color-scheme: light dark; --open: #1e7a3c; --closed: #8a8f98; }
* { box-sizing: border-box; }
body { margin: 0; font: 1.05rem/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 36rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
.state { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.5rem;
  padding: 1rem; border-radius: 0.75rem; color: #fff; }
.state strong { font-size: 2rem; line-height: 1; }
.state.open { background: var(--open); }
.state.closed { background: var(--closed); }
ul { padding-left: 1.2rem; }
.facts { list-style: none; padding: 0; font-size: 1.15rem; }
.facts li { padding: 0.35rem 0; border-bottom: 1px solid #8884; }
figure { margin: 1.5rem 0 0; }
img { max-width: 100%; height: auto; }
footer { margin-top: 1.5rem; font-size: 0.9rem; }
a { color: inherit; }
"""


# -- what the page says: pure --------------------------------------------------------------


def next_closing(space: Space, ranges: tuple[HoursRange, ...], now: datetime) -> datetime | None:
    """When an open space closes today: its closing time, or the end of its hours now."""
    today = now.astimezone(space.tz).date()
    times = []
    closing = parse_hhmm(space.closing_time)
    if closing is not None:
        times.append(local_instant(today, closing, space.tz))
    for r in ranges:
        if today.weekday() in r.days:
            start, end = (local_instant(today, t, space.tz) for t in (r.start, r.end))
            if start <= now < end:
                times.append(end)
    ahead = [t for t in times if t > now]
    return min(ahead) if ahead else None


def next_opening(space: Space, ranges: tuple[HoursRange, ...], now: datetime) -> datetime | None:
    """When a closed space opens next by its hours, within a week."""
    today = now.astimezone(space.tz).date()
    for n in range(8):
        day = today + timedelta(days=n)
        starts = [local_instant(day, r.start, space.tz) for r in ranges if day.weekday() in r.days]
        ahead = [s for s in starts if s > now]
        if ahead:
            return min(ahead)
    return None


def hours_lines(loc: Localizer, ranges: tuple[HoursRange, ...]) -> list[str]:
    names = weekday_names(loc.lang)
    lines = []
    for r in ranges:
        runs: list[list[int]] = []
        for day in r.days:
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        days = ", ".join(
            names[run[0]] if len(run) == 1 else f"{names[run[0]]}–{names[run[-1]]}" for run in runs
        )
        lines.append(f"{days} {r.start:%H:%M}–{r.end:%H:%M}")
    return lines


def render(space: Space, loc: Localizer, found: Now, coming: int, now: datetime) -> str:
    """The page's HTML; every value in it is escaped."""
    state = found.state
    ranges = parse_hours(space.opening_hours)
    facts = [
        loc.t("page.inside", count=len(found.inside)) if found.inside else loc.t("page.nobody")
    ]
    if coming:
        facts.append(loc.t("page.coming", count=coming))
    if state.is_open:
        closes = next_closing(space, ranges, now)
        if closes is not None:
            facts.append(loc.t("page.closes", time=loc.fmt.time(closes)))
    else:
        opens = next_opening(space, ranges, now)
        if opens is not None:
            facts.append(when_text(loc, "page.opens", opens, now))
    since = when_text(loc, "page.since", state.changed_at, now) if state.changed_by else ""
    word = loc.t("page.open" if state.is_open else "page.closed")
    css = "open" if state.is_open else "closed"
    hours = ""
    if ranges:
        items = "".join(f"<li>{escape(line)}</li>" for line in hours_lines(loc, ranges))
        hours = f'<h2>{loc.t("page.hours")}</h2><ul id="hours">{items}</ul>'
    facts_html = "".join(f"<li>{fact}</li>" for fact in facts)
    name = escape(space.name)
    return f"""<!doctype html>
<html lang="{escape(loc.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>{name} — {word}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{name}</h1>
<p id="state" class="state {css}"><strong>{word}</strong> <span>{since}</span></p>
<ul id="facts" class="facts">{facts_html}</ul>
{hours}
<figure><img src="chart.png" width="660" height="484" alt="{loc.t("page.chart_alt")}"></figure>
<footer><a href="calendar.ics">{loc.t("page.calendar")}</a> ·
<a href="spaceapi.json">SpaceAPI</a> ·
{loc.t("page.updated", time=loc.fmt.time(now))}</footer>
</main>
</body>
</html>
"""


# -- the routes -------------------------------------------------------------------------------


@router.route("GET", "/spaces/{slug}/", fresh="data")
async def status_page(rt: Runtime, request: web.Request) -> web.Response:
    now = rt.clock.now()
    async with rt.store.transaction() as session:
        space = await space_by_slug(session, request.match_info["slug"])
        found = await current(session, space, now)
        today = now.astimezone(space.tz).date()
        coming = len(await coming_today(session, space.id, today))
        loc = rt.context(session, space).loc
    html = render(space, loc, found, coming, now)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


@router.route("GET", "/spaces/{slug}")
async def without_slash(rt: Runtime, request: web.Request) -> web.Response:
    async with rt.store.transaction() as session:
        space = await space_by_slug(session, request.match_info["slug"])
    raise web.HTTPPermanentRedirect(f"/spaces/{space.slug}/")
