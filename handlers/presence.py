"""Presence: who is at the space now, who is coming, and how often everyone came.

A visit runs from a check-in to a check-out. Nobody is asked to remember to check out:
at the space's closing time the open visits are closed *at* that time, and a visit
still open at the end of its day is closed at 23:59 of that day and flagged, so no
visit ever spans midnight and the day counts that costs are split by stay honest.

The closing is decided from stored state alone (`settle`): the job runs it every
minute, and so does every presence command before it reads anything, so a late tick,
a tick after a restart, or a command that beats the tick all see the same truth and
close each visit exactly once.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from bot.arguments import Rest, YearMonth
from bot.context import Context, Render, Runtime
from bot.dispatcher import Role, Router, Where
from bot.events import Document
from bot.i18n import Catalog, Localizer, Markup, join
from handlers.members import clean_text
from handlers.mentions import defuse_mentions
from storage.members import Member, MemberStatus
from storage.presence import ClosedBy, Closing, Visit
from storage.spaces import Space

MAX_NOTE = 200
END_OF_DAY = time(23, 59)
PLAN_DAYS_AHEAD = 90
HIDDEN = "hidden"
CSV_HEADER = ("member", "date", "in", "out", "minutes", "closed_by")

MESSAGES: Catalog = {
    "section.presence": {"en": "Presence", "it": "Presenze"},
    "cmd.checkin": {"en": "you are at the space now", "it": "sei allo spazio adesso"},
    "usage.checkin": {"en": "[note]", "it": "[nota]"},
    "cmd.checkout": {"en": "you are leaving", "it": "stai andando via"},
    "cmd.who": {
        "en": "who is in now, and who is coming today",
        "it": "chi c'è ora e chi arriva oggi",
    },
    "cmd.me": {
        "en": "your days and hours this month and last",
        "it": "i tuoi giorni e ore di questo mese e del precedente",
    },
    "cmd.stats": {
        "en": "days open, average and peak presence of a month",
        "it": "giorni di apertura, presenza media e massima di un mese",
    },
    "usage.stats": {"en": "[YYYY-MM]", "it": "[AAAA-MM]"},
    "cmd.going": {
        "en": "say you are coming on a day (today if none)",
        "it": "annuncia che verrai in un giorno (oggi se non lo dici)",
    },
    "usage.going": {"en": "[date]", "it": "[data]"},
    "cmd.notgoing": {
        "en": "take back a day you said you were coming",
        "it": "ritira un giorno in cui avevi detto di venire",
    },
    "usage.notgoing": {"en": "[date]", "it": "[data]"},
    "cmd.privacy": {
        "en": "whether /who shows you by name or only counts you (public: the web too)",
        "it": "se /who ti mostra per nome o ti conta soltanto (public: anche sul web)",
    },
    "usage.privacy": {"en": "[visible|hidden|public]", "it": "[visible|hidden|public]"},
    "cmd.export_attendance": {
        "en": "the visits of a month as a CSV file",
        "it": "le presenze di un mese come file CSV",
    },
    "usage.export_attendance": {"en": "[YYYY-MM]", "it": "[AAAA-MM]"},
    # checkin
    "checkin.done": {
        "en": "Welcome, {name}: you are in since {time}.",
        "it": "Benvenuto, {name}: sei dentro dalle {time}.",
    },
    "checkin.count": {
        "en": {"one": "You are the first one in.", "other": "{count} people are in now."},
        "it": {"one": "Sei il primo ad arrivare.", "other": "Ora ci sono {count} persone."},
    },
    "checkin.desks_left": {
        "en": {"one": "{count} desk left.", "other": "{count} desks left."},
        "it": {"one": "Resta {count} postazione.", "other": "Restano {count} postazioni."},
    },
    "checkin.last_desk": {
        "en": "You took the last desk: the space is now full.",
        "it": "Hai preso l'ultima postazione: ora lo spazio è pieno.",
    },
    "checkin.full": {
        "en": "The space is full: {count} people for {capacity} desks. Your visit is recorded.",
        "it": "Lo spazio è pieno: {count} persone per {capacity} postazioni. "
        "La tua presenza è registrata.",
    },
    "checkin.already": {
        "en": "You are already in since {time}.",
        "it": "Sei già dentro dalle {time}.",
    },
    "presence.announce": {"en": "{name} is in.", "it": "{name} è arrivato."},
    "presence.announce_note": {
        "en": "{name} is in: <i>{note}</i>",
        "it": "{name} è arrivato: <i>{note}</i>",
    },
    # checkout
    "checkout.done": {
        "en": "Bye {name}: you stayed {duration} ({start}–{end}).",
        "it": "Ciao {name}: sei rimasto {duration} ({start}–{end}).",
    },
    "checkout.not_in": {
        "en": "You are not checked in. Send {checkin} when you arrive.",
        "it": "Non risulti dentro. Scrivi {checkin} quando arrivi.",
    },
    "checkout.was_closed.closing": {
        "en": "I had already checked you out at closing time, {time}: you stayed {duration}.",
        "it": "Ti avevo già fatto uscire all'orario di chiusura, alle {time}: "
        "sei rimasto {duration}.",
    },
    "checkout.was_closed.midnight": {
        "en": "Your visit of {day} was closed at {time}, the end of that day: "
        "it counts {duration}.",
        "it": "La tua presenza di {day} è stata chiusa alle {time}, a fine giornata: "
        "conta {duration}.",
    },
    # what the closing job tells a member
    "notice.closing": {
        "en": "It is closing time at {space}: I checked you out at {time}. You stayed {duration}.",
        "it": "È l'orario di chiusura di {space}: ti ho fatto uscire alle {time}. "
        "Sei rimasto {duration}.",
    },
    "notice.midnight": {
        "en": "Your visit at {space} on {day} was still open at the end of the day: "
        "I closed it at {time} ({duration}). If you are still there, check in again.",
        "it": "La tua presenza a {space} di {day} era ancora aperta a fine giornata: "
        "l'ho chiusa alle {time} ({duration}). Se sei ancora lì, fai di nuovo il check-in.",
    },
    # who
    "who.nobody": {"en": "Nobody is in right now.", "it": "Al momento non c'è nessuno."},
    "who.title": {
        "en": {"one": "<b>{count} person in</b>", "other": "<b>{count} people in</b>"},
        "it": {"one": "<b>{count} persona dentro</b>", "other": "<b>{count} persone dentro</b>"},
    },
    "who.title_capacity": {
        "en": {
            "one": "<b>{count} person in</b> ({capacity} desks)",
            "other": "<b>{count} people in</b> ({capacity} desks)",
        },
        "it": {
            "one": "<b>{count} persona dentro</b> ({capacity} postazioni)",
            "other": "<b>{count} persone dentro</b> ({capacity} postazioni)",
        },
    },
    "who.line": {"en": "{name} — since {time}", "it": "{name} — dalle {time}"},
    "who.line_note": {
        "en": "{name} — since {time} — <i>{note}</i>",
        "it": "{name} — dalle {time} — <i>{note}</i>",
    },
    "who.hidden": {
        "en": {
            "one": "({count} person prefers not to be named)",
            "other": "({count} people prefer not to be named)",
        },
        "it": {
            "one": "({count} persona preferisce non essere nominata)",
            "other": "({count} persone preferiscono non essere nominate)",
        },
    },
    "who.planned_title": {"en": "<b>Coming today</b>", "it": "<b>Arrivano oggi</b>"},
    "presence.others": {
        "en": {"one": "{count} more", "other": "{count} more"},
        "it": {"one": "un'altra persona", "other": "altre {count} persone"},
    },
    # me
    "me.title": {"en": "<b>Your presence</b>", "it": "<b>Le tue presenze</b>"},
    "me.line": {"en": "{month}: {days}, {duration}", "it": "{month}: {days}, {duration}"},
    "me.none": {"en": "{month}: no visits", "it": "{month}: nessuna presenza"},
    "me.days": {
        "en": {"one": "{count} day", "other": "{count} days"},
        "it": {"one": "{count} giorno", "other": "{count} giorni"},
    },
    "me.now": {"en": "You are in since {time}.", "it": "Sei dentro dalle {time}."},
    # stats
    "stats.title": {"en": "<b>{space} — {month}</b>", "it": "<b>{space} — {month}</b>"},
    "stats.none": {"en": "No visits in {month}.", "it": "Nessuna presenza in {month}."},
    "stats.days_open": {
        "en": {"one": "Open on {count} day", "other": "Open on {count} days"},
        "it": {"one": "Aperto {count} giorno", "other": "Aperto {count} giorni"},
    },
    "stats.average": {
        "en": "People per day: {average} on average",
        "it": "Persone al giorno: {average} in media",
    },
    "stats.peak": {
        "en": {
            "one": "Peak: {count} person on {day}",
            "other": "Peak: {count} people on {day}",
        },
        "it": {
            "one": "Massimo: {count} persona il {day}",
            "other": "Massimo: {count} persone il {day}",
        },
    },
    "stats.members_title": {"en": "<b>Days per member</b>", "it": "<b>Giorni per membro</b>"},
    "stats.member_line": {"en": "{name}: {days}", "it": "{name}: {days}"},
    "stats.members_private": {
        "en": "The days of each member are shown only in private: send me {stats} there.",
        "it": "I giorni di ciascun membro si vedono solo in privato: scrivimi {stats} lì.",
    },
    # going
    "going.done": {
        "en": "Noted: you are coming on {day}.",
        "it": "Segnato: verrai {day}.",
    },
    "going.also": {"en": "Also coming: {names}.", "it": "Vengono anche: {names}."},
    "going.already": {
        "en": "You had already said you are coming on {day}.",
        "it": "Avevi già detto che verrai {day}.",
    },
    "going.already_in": {
        "en": "You are already in today.",
        "it": "Sei già dentro oggi.",
    },
    "going.past": {
        "en": "{day} is in the past: pick today or a later day.",
        "it": "{day} è già passato: scegli oggi o un giorno successivo.",
    },
    "going.too_far": {
        "en": "That is too far ahead: plan at most {limit} days ahead.",
        "it": "È troppo in là: puoi programmare al massimo {limit} giorni avanti.",
    },
    "notgoing.done": {
        "en": "Okay: you are no longer expected on {day}.",
        "it": "Va bene: non sei più atteso {day}.",
    },
    "notgoing.none": {
        "en": "You had not said you were coming on {day}.",
        "it": "Non avevi detto che saresti venuto {day}.",
    },
    # privacy
    "privacy.now_visible": {
        "en": "Your presence is now shown by name.",
        "it": "Ora la tua presenza è mostrata con il tuo nome.",
    },
    "privacy.now_hidden": {
        "en": "Your presence is now hidden: who counts you without naming you, "
        "and your check-ins are not announced.",
        "it": "Ora la tua presenza è nascosta: chi c'è ti conta senza nominarti "
        "e i tuoi arrivi non vengono annunciati.",
    },
    "privacy.now_public": {
        "en": "Your presence is now public: members see your name, and so do the space's "
        "web page and its SpaceAPI, for anyone.",
        "it": "Ora la tua presenza è pubblica: i membri vedono il tuo nome, e anche la "
        "pagina web dello spazio e la sua SpaceAPI, per chiunque.",
    },
    "privacy.is_public": {
        "en": "Your presence is public, on the web too. To show it only to members: {command}",
        "it": "La tua presenza è pubblica, anche sul web. Per mostrarla solo ai membri: {command}",
    },
    "privacy.is_visible": {
        "en": "Your presence is shown by name. To hide it: {command}",
        "it": "La tua presenza è mostrata con il tuo nome. Per nasconderla: {command}",
    },
    "privacy.is_hidden": {
        "en": "Your presence is hidden. To show it: {command}",
        "it": "La tua presenza è nascosta. Per mostrarla: {command}",
    },
    # export
    "export.none": {
        "en": "No visits in {month}: nothing to export.",
        "it": "Nessuna presenza in {month}: niente da esportare.",
    },
    "export.done": {
        "en": {
            "one": "Attendance of {month}: {count} visit.",
            "other": "Attendance of {month}: {count} visits.",
        },
        "it": {
            "one": "Presenze di {month}: {count} visita.",
            "other": "Presenze di {month}: {count} visite.",
        },
    },
}

router = Router("presence", MESSAGES)


# -- pure calculations ------------------------------------------------------------------


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day.

    A time the clock skips (spring forward) lands one hour later, as a wall clock shows
    it; a time that happens twice (fall back) is its first occurrence.
    """
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def parse_hhmm(text: str | None) -> time | None:
    if not text:
        return None
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def cutoff(visit: Visit, closing_time: str | None, tz: ZoneInfo) -> Closing:
    """When an open visit ends by itself: its day's closing time, else 23:59 of its day.

    A check-in after the closing time (someone working late) is not closed in the past:
    it runs to the end of its day like a space with no closing time.
    """
    end_of_day = max(local_instant(visit.local_date, END_OF_DAY, tz), visit.checkin_at)
    closing = parse_hhmm(closing_time)
    if closing is not None:
        at = local_instant(visit.local_date, closing, tz)
        if visit.checkin_at < at <= end_of_day:
            return Closing(visit.id, at, ClosedBy.CLOSING)
    return Closing(visit.id, end_of_day, ClosedBy.MIDNIGHT)


def due_closings(
    visits: Iterable[Visit], closing_time: str | None, tz: ZoneInfo, now: datetime
) -> list[tuple[Visit, Closing]]:
    """The open visits whose cut-off has come, each with the closing that ends it."""
    out = []
    for visit in visits:
        closing = cutoff(visit, closing_time, tz)
        if visit.is_open and closing.at <= now:
            out.append((visit, closing))
    return out


@dataclass(frozen=True)
class Attendance:
    days: int
    time: timedelta


def attendance(visits: Iterable[Visit], now: datetime) -> Attendance:
    """Distinct days with a visit, and time spent (an open visit counts up to now)."""
    days: set[date] = set()
    spent = timedelta(0)
    for visit in visits:
        days.add(visit.local_date)
        spent += visit.length(now)
    return Attendance(len(days), spent)


@dataclass(frozen=True)
class MonthStats:
    days_open: int
    average: Decimal
    peak: int
    peak_day: date | None
    days_per_member: Mapping[int, int]


def month_stats(visits: Iterable[Visit]) -> MonthStats:
    """Days with anyone in, people per day (average and peak), days per member.

    People per day counts each member once a day however often they came and went.
    The peak day is the earliest of equal peaks, so the answer is stable.
    """
    pairs = {(v.local_date, v.member_id) for v in visits}
    per_day = Counter(day for day, _ in pairs)
    per_member = Counter(member for _, member in pairs)
    if not per_day:
        return MonthStats(0, Decimal(0), 0, None, {})
    peak_day = min(per_day, key=lambda d: (-per_day[d], d))
    average = (Decimal(len(pairs)) / len(per_day)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return MonthStats(len(per_day), average, per_day[peak_day], peak_day, dict(per_member))


def month_range(month: YearMonth) -> tuple[date, date]:
    return month.first_day, month.next.first_day - timedelta(days=1)


def spreadsheet_safe(text: str) -> str:
    """Keep a name from being run as a formula when the CSV is opened in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def attendance_csv(visits: Iterable[Visit], names: Mapping[int, str], tz: ZoneInfo) -> bytes:
    """One row per visit: member, date, in, out, minutes, closed_by (times local HH:MM).

    An open visit has no out, minutes or closed_by yet.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for visit in visits:
        out = visit.checkout_at
        writer.writerow(
            (
                spreadsheet_safe(names.get(visit.member_id, f"#{visit.member_id}")),
                visit.local_date.isoformat(),
                visit.checkin_at.astimezone(tz).strftime("%H:%M"),
                out.astimezone(tz).strftime("%H:%M") if out else "",
                int((out - visit.checkin_at).total_seconds() // 60) if out else "",
                visit.closed_by.value if visit.closed_by else "",
            )
        )
    return buffer.getvalue().encode("utf-8")


# -- closing visits that are over ---------------------------------------------------------


async def settle(ctx: Context, *, quiet_for: int | None = None) -> list[tuple[Visit, Closing]]:
    """Close every open visit of the space whose cut-off has come, and tell each member.

    Run by the job and by each presence command before it reads, so nobody ever sees a
    visit that should have ended. The member `quiet_for` is not notified: the command
    they just sent answers them instead.
    """
    space = ctx.space
    assert space is not None
    due = due_closings(
        await ctx.session.presence.open_visits(space.id), space.closing_time, space.tz, ctx.now
    )
    if not due:
        return []
    await ctx.session.presence.close([closing for _, closing in due])
    members = {m.id: m for m in await ctx.session.members.of_space(space.id)}
    for visit, closing in due:
        member = members.get(visit.member_id)
        if member is None or member.status is MemberStatus.LEFT or member.id == quiet_for:
            continue
        await ctx.notify(member, closing_notice(space, visit, closing))
    return due


def closing_notice(space: Space, visit: Visit, closing: Closing) -> Render:
    def render(loc: Localizer) -> Markup:
        return loc.t(
            f"notice.{closing.closed_by.value}",
            space=space.name,
            day=loc.fmt.day(visit.local_date),
            time=loc.fmt.time(closing.at),
            duration=loc.fmt.duration(closing.at - visit.checkin_at),
        )

    return render


@router.job("presence.closing", every=timedelta(minutes=1))
async def closing_job(rt: Runtime) -> None:
    """Close visits at closing time and at the end of their day, in every space."""

    async def work(ctx: Context) -> None:
        await settle(ctx)

    await rt.each_space(work)


# -- check in and out -------------------------------------------------------------------


def is_hidden(member: Member) -> bool:
    return member.visibility == HIDDEN


@router.command("checkin", aliases=["in"], role=Role.MEMBER, where=Where.ANY)
async def checkin(ctx: Context, note: Annotated[str, Rest(MAX_NOTE)] = "") -> None:
    assert ctx.space is not None and ctx.member is not None and ctx.msg is not None
    space, member = ctx.space, ctx.member
    await settle(ctx)
    current = await ctx.session.presence.open_visit(member.id)
    if current is not None:
        await ctx.say("checkin.already", time=ctx.fmt.time(current.checkin_at))
        return
    text = clean_text(note)
    visit = await ctx.session.presence.check_in(space.id, member.id, ctx.today, ctx.now, text)
    count = len(await ctx.session.presence.open_visits(space.id))
    lines = [
        ctx.t("checkin.done", name=member.display_name, time=ctx.fmt.time(visit.checkin_at)),
        ctx.t("checkin.count", count=count),
    ]
    if space.capacity:
        left = space.capacity - count
        if left > 0:
            lines.append(ctx.t("checkin.desks_left", count=left))
        elif left == 0:
            lines.append(ctx.t("checkin.last_desk"))
        else:
            lines.append(ctx.t("checkin.full", count=count, capacity=space.capacity))
    await ctx.reply(join(lines, " "))
    if not ctx.msg.chat.private and not is_hidden(member):
        # The other group (Telegram <-> Matrix) learns it too; by name only, never a mention.
        key = "presence.announce_note" if text else "presence.announce"
        name, quiet_note = defuse_mentions(member.display_name), defuse_mentions(text)
        await ctx.post(lambda loc: loc.t(key, name=name, note=quiet_note), exclude=ctx.msg.chat)


@router.command("checkout", aliases=["out"], role=Role.MEMBER, where=Where.ANY)
async def checkout(ctx: Context) -> None:
    assert ctx.member is not None
    member = ctx.member
    for closed, closing in await settle(ctx, quiet_for=member.id):
        if closed.member_id == member.id:
            await ctx.say(
                f"checkout.was_closed.{closing.closed_by.value}",
                day=ctx.fmt.day(closed.local_date),
                time=ctx.fmt.time(closing.at),
                duration=ctx.fmt.duration(closing.at - closed.checkin_at),
            )
            return
    visit = await ctx.session.presence.open_visit(member.id)
    if visit is None:
        await ctx.say("checkout.not_in", checkin=f"{ctx.prefix}checkin")
        return
    await ctx.session.presence.close([Closing(visit.id, ctx.now, ClosedBy.MEMBER)])
    await ctx.say(
        "checkout.done",
        name=member.display_name,
        duration=ctx.fmt.duration(ctx.now - visit.checkin_at),
        start=ctx.fmt.time(visit.checkin_at),
        end=ctx.fmt.time(ctx.now),
    )


# -- who is in, who is coming -----------------------------------------------------------


def named_list(loc: Localizer, members: Sequence[Member]) -> str:
    """Visible members by name, hidden ones only counted."""
    names = [m.display_name for m in members if not is_hidden(m)]
    hidden = len(members) - len(names)
    if hidden:
        names.append(str(loc.t("presence.others", count=hidden)))
    return ", ".join(names)


@router.command("who", role=Role.MEMBER, where=Where.ANY)
async def who(ctx: Context) -> None:
    assert ctx.space is not None
    space = ctx.space
    await settle(ctx)
    present = await ctx.session.presence.open_visits(space.id)
    members = {m.id: m for m in await ctx.session.members.of_space(space.id)}
    lines: list[Markup] = []
    if not present:
        lines.append(ctx.t("who.nobody"))
    else:
        if space.capacity:
            lines.append(ctx.t("who.title_capacity", count=len(present), capacity=space.capacity))
        else:
            lines.append(ctx.t("who.title", count=len(present)))
        hidden = 0
        for visit in present:
            member = members.get(visit.member_id)
            if member is None or is_hidden(member):
                hidden += 1
                continue
            key = "who.line_note" if visit.note else "who.line"
            lines.append(
                ctx.t(
                    key,
                    name=defuse_mentions(member.display_name),
                    time=ctx.fmt.time(visit.checkin_at),
                    note=defuse_mentions(visit.note),
                )
            )
        if hidden:
            lines.append(ctx.t("who.hidden", count=hidden))
    from handlers.web.state import state_line  # the web capability builds on this one

    lines.append(await state_line(ctx))
    came_today = {
        v.member_id for v in await ctx.session.presence.visits(space.id, ctx.today, ctx.today)
    }
    coming = [
        members[p.member_id]
        for p in await ctx.session.presence.planned(space.id, ctx.today)
        if p.member_id in members
        and p.member_id not in came_today
        and members[p.member_id].status is MemberStatus.ACTIVE
    ]
    if coming:
        lines.append(Markup(f"\n{ctx.t('who.planned_title')}"))
        lines.append(Markup(named_list(ctx.loc, coming)))
    await ctx.reply(join(lines))


@router.command("going", role=Role.MEMBER, where=Where.ANY)
async def going(ctx: Context, day: date | None = None) -> None:
    assert ctx.space is not None and ctx.member is not None
    space, member = ctx.space, ctx.member
    wanted = day or ctx.today
    shown = ctx.fmt.day(wanted)
    if wanted < ctx.today:
        await ctx.say("going.past", day=shown)
        return
    if wanted > ctx.today + timedelta(days=PLAN_DAYS_AHEAD):
        await ctx.say("going.too_far", limit=PLAN_DAYS_AHEAD)
        return
    if wanted == ctx.today:
        await settle(ctx)
        if await ctx.session.presence.open_visit(member.id) is not None:
            await ctx.say("going.already_in")
            return
    if not await ctx.session.presence.plan(space.id, member.id, wanted, ctx.now):
        await ctx.say("going.already", day=shown)
        return
    lines = [ctx.t("going.done", day=shown)]
    members = {m.id: m for m in await ctx.session.members.of_space(space.id, MemberStatus.ACTIVE)}
    others = [
        members[p.member_id]
        for p in await ctx.session.presence.planned(space.id, wanted)
        if p.member_id in members and p.member_id != member.id
    ]
    if others:
        lines.append(ctx.t("going.also", names=named_list(ctx.loc, others)))
    await ctx.reply(join(lines, " "))


@router.command("notgoing", role=Role.MEMBER, where=Where.ANY)
async def notgoing(ctx: Context, day: date | None = None) -> None:
    assert ctx.member is not None
    wanted = day or ctx.today
    removed = await ctx.session.presence.unplan(ctx.member.id, wanted)
    await ctx.say("notgoing.done" if removed else "notgoing.none", day=ctx.fmt.day(wanted))


@router.command("privacy", role=Role.MEMBER, where=Where.ANY)
async def privacy(
    ctx: Context, visibility: Literal["visible", "hidden", "public"] | None = None
) -> None:
    assert ctx.member is not None
    if visibility is None:
        now = ctx.member.visibility
        other = "visible" if now in (HIDDEN, "public") else "hidden"
        await ctx.say(f"privacy.is_{now}", command=f"{ctx.prefix}privacy {other}")
        return
    await ctx.session.members.set_visibility(ctx.member.id, visibility)
    await ctx.say(f"privacy.now_{visibility}")


# -- history ----------------------------------------------------------------------------


@router.command("me", role=Role.MEMBER, where=Where.ANY)
async def me(ctx: Context) -> None:
    assert ctx.space is not None and ctx.member is not None
    await settle(ctx)
    this = YearMonth.of(ctx.today)
    first, _ = month_range(this.previous)
    _, last = month_range(this)
    visits = await ctx.session.presence.visits(ctx.space.id, first, last, member_id=ctx.member.id)
    lines = [ctx.t("me.title")]
    for month in (this, this.previous):
        mine = [v for v in visits if YearMonth.of(v.local_date) == month]
        name = ctx.fmt.month(month.year, month.month)
        if not mine:
            lines.append(ctx.t("me.none", month=name))
            continue
        summary = attendance(mine, ctx.now)
        lines.append(
            ctx.t(
                "me.line",
                month=name,
                days=ctx.t("me.days", count=summary.days),
                duration=ctx.fmt.duration(summary.time),
            )
        )
    current = next((v for v in visits if v.is_open), None)
    if current is not None:
        lines.append(ctx.t("me.now", time=ctx.fmt.time(current.checkin_at)))
    await ctx.reply(join(lines))


@router.command("stats", role=Role.MEMBER, where=Where.ANY)
async def stats(ctx: Context, month: YearMonth | None = None) -> None:
    assert ctx.space is not None and ctx.member is not None and ctx.msg is not None
    space = ctx.space
    await settle(ctx)
    wanted = month or YearMonth.of(ctx.today)
    name = ctx.fmt.month(wanted.year, wanted.month)
    first, last = month_range(wanted)
    figures = month_stats(await ctx.session.presence.visits(space.id, first, last))
    if figures.peak_day is None:
        await ctx.say("stats.none", month=name)
        return
    lines = [
        ctx.t("stats.title", space=space.name, month=name),
        ctx.t("stats.days_open", count=figures.days_open),
        ctx.t("stats.average", average=ctx.fmt.number(figures.average)),
        ctx.t("stats.peak", count=figures.peak, day=ctx.fmt.day(figures.peak_day)),
    ]
    if ctx.member.is_admin and ctx.msg.chat.private:
        members = {m.id: m for m in await ctx.session.members.of_space(space.id)}
        lines.append(Markup(f"\n{ctx.t('stats.members_title')}"))
        ranked = sorted(
            figures.days_per_member.items(),
            key=lambda item: (-item[1], members[item[0]].display_name.casefold()),
        )
        for member_id, days in ranked:
            lines.append(
                ctx.t(
                    "stats.member_line",
                    name=members[member_id].display_name,
                    days=ctx.t("me.days", count=days),
                )
            )
    elif ctx.member.is_admin:
        lines.append(ctx.t("stats.members_private", stats=f"{ctx.prefix}stats {wanted}"))
    await ctx.reply(join(lines))


@router.command("export attendance", role=Role.ADMIN, where=Where.PRIVATE)
async def export_attendance(ctx: Context, month: YearMonth | None = None) -> None:
    assert ctx.space is not None
    space = ctx.space
    await settle(ctx)
    wanted = month or YearMonth.of(ctx.today)
    name = ctx.fmt.month(wanted.year, wanted.month)
    first, last = month_range(wanted)
    visits = await ctx.session.presence.visits(space.id, first, last)
    if not visits:
        await ctx.say("export.none", month=name)
        return
    names = {m.id: m.display_name for m in await ctx.session.members.of_space(space.id)}
    document = Document(f"attendance-{wanted}.csv", attendance_csv(visits, names, space.tz))
    await ctx.reply(ctx.t("export.done", month=name, count=len(visits)), document=document)
