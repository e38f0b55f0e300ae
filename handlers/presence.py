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

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo

from bot.arguments import ECHO, ArgError, Rest, YearMonth, parse_date, split_words
from bot.context import Context, Render, Runtime, message
from bot.dispatcher import Role, Router, Where
from bot.events import Document
from bot.i18n import Catalog, Localizer, Markup, join
from handlers.members import MemberArg
from handlers.mentions import defuse_mentions
from handlers.spreadsheet import cell, table
from handlers.text import clean_text
from storage.members import Member, MemberStatus
from storage.presence import ClosedBy, Closing, Visit, VisitChange
from storage.spaces import Space

MAX_NOTE = 200
END_OF_DAY = time(23, 59)
PLAN_DAYS_AHEAD = 90
HIDDEN = "hidden"
CSV_HEADER = ("member", "date", "in", "out", "minutes", "closed_by", "changes")

MESSAGES: Catalog = {
    "section.presence": {"en": "Presence", "it": "Presenze"},
    "cmd.checkin": {
        "en": "you are at the space, from now or from a time today",
        "it": "sei allo spazio, da adesso o da un'ora di oggi",
    },
    "usage.checkin": {"en": "[HH:MM] [note]", "it": "[HH:MM] [nota]"},
    "cmd.checkout": {
        "en": "you are leaving, now or at a time today",
        "it": "esci dallo spazio, adesso o a un'ora di oggi",
    },
    "usage.checkout": {"en": "[HH:MM]", "it": "[HH:MM]"},
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
        "en": "whether /who shows you by name or only counts you",
        "it": "se /who ti mostra per nome o ti conta soltanto",
    },
    "usage.privacy": {"en": "[visible|hidden]", "it": "[visible|hidden]"},
    "cmd.export_attendance": {
        "en": "the visits of a month as a CSV file",
        "it": "le presenze di un mese come file CSV",
    },
    "usage.export_attendance": {"en": "[YYYY-MM]", "it": "[AAAA-MM]"},
    # checkin
    "checkin.done": {
        "en": "Welcome, {name}: you are in since {time}.",
        "it": "Ciao {name}, sei dentro dalle {time}.",
    },
    "checkin.count": {
        "en": {"one": "You are the first one in.", "other": "{count} people are in now."},
        "it": {"one": "Nessun altro è ancora arrivato.", "other": "Ora ci sono {count} persone."},
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
    "checkin.moved": {
        "en": "Fixed: you have been in since {time} (it said {old}).",
        "it": "Corretto: sei dentro dalle {time} (risultava dalle {old}).",
    },
    "checkin.note_updated": {
        "en": "Note updated: <i>{note}</i>.",
        "it": "Nota aggiornata: <i>{note}</i>.",
    },
    "presence.bad_time": {
        "en": "“{value}” is not a time: write HH:MM, e.g. 18:30.",
        "it": "“{value}” non è un orario: scrivi HH:MM, per esempio 18:30.",
    },
    "presence.time_future": {
        "en": "{time} has not come yet today: give a time that has passed.",
        "it": "Oggi non sono ancora le {time}: indica un orario già passato.",
    },
    "presence.time_too_early": {
        "en": "{time} is before {limit}, where your visit of today stands: give a later time.",
        "it": "Le {time} vengono prima delle {limit}, dove è la tua visita di oggi:"
        " indica un orario successivo.",
    },
    "checkout.fixed": {
        "en": "Fixed: your visit of today is now {start}–{end} ({duration}); it said {old}.",
        "it": "Corretto: la tua visita di oggi ora è {start}–{end} ({duration});"
        " risultava fino alle {old}.",
    },
    "presence.announce": {"en": "{name} is in.", "it": "Ora c'è anche {name}."},
    "presence.announce_note": {
        "en": "{name} is in: <i>{note}</i>",
        "it": "Ora c'è anche {name}: <i>{note}</i>",
    },
    # checkout
    "checkout.done": {
        "en": "Bye {name}: you stayed {duration} ({start}–{end}).",
        "it": "Ciao {name}, a presto: la tua visita è durata {duration} ({start}–{end}).",
    },
    "checkout.not_in": {
        "en": "You are not checked in. Send {checkin} when you arrive.",
        "it": "Non risulti dentro. Scrivi {checkin} quando arrivi.",
    },
    "checkout.was_closed.closing": {
        "en": "I had already checked you out at closing time, {time}: you stayed {duration}.",
        "it": "Ti avevo già fatto uscire all'orario di chiusura, alle {time}: "
        "la tua visita è durata {duration}.",
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
        "La tua visita è durata {duration}.",
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
        "it": "Va bene: ho tolto {day} dai giorni in cui vieni.",
    },
    "notgoing.none": {
        "en": "You had not said you were coming on {day}.",
        "it": "{day} non era tra i giorni in cui avevi detto di venire.",
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
    "privacy.is_visible": {
        "en": "Your presence is shown by name. To hide it: {command}",
        "it": "La tua presenza è mostrata con il tuo nome. Per nasconderla: {command}",
    },
    "privacy.is_hidden": {
        "en": "Your presence is hidden. To show it: {command}",
        "it": "La tua presenza è nascosta. Per mostrarla: {command}",
    },
    # admins fix visits
    "cmd.visit_fix": {
        "en": "set a member's visit of a day (adds it if there was none)",
        "it": "corregge la visita di un membro in un giorno (la aggiunge se non c'era)",
    },
    "usage.visit_fix": {
        "en": "<member> <date> <in>-<out>",
        "it": "<membro> <data> <ingresso>-<uscita>",
    },
    "cmd.visit_remove": {
        "en": "remove a member's visit of a day",
        "it": "toglie la visita di un membro in un giorno",
    },
    "usage.visit_remove": {"en": "<member> <date> [<in>]", "it": "<membro> <data> [<ingresso>]"},
    "visit.need_range": {
        "en": "Say the times of the visit, e.g. {example}",
        "it": "Indica gli orari della visita, per esempio {example}",
    },
    "visit.bad_range": {
        "en": "“{value}” is not a time range: write it as 09:00-18:30.",
        "it": "“{value}” non è un intervallo di orari: scrivilo come 09:00-18:30.",
    },
    "visit.end_before_start": {
        "en": "The check-out must come after the check-in.",
        "it": "L'uscita deve venire dopo l'ingresso.",
    },
    "visit.not_yet": {
        "en": "That is still to come: {day}, {time}.",
        "it": "È ancora nel futuro: {day}, {time}.",
    },
    "visit.which_fix": {
        "en": "{name} has {count} visits on {day}: {visits}. Give times that overlap just one.",
        "it": "{name} ha {count} visite il {day}: {visits}. Indica orari che ne tocchino una sola.",
    },
    "visit.which": {
        "en": "{name} has {count} visits on {day}: {visits}. Say which one by its check-in"
        " time, e.g. {example}",
        "it": "{name} ha {count} visite il {day}: {visits}. Indica quale con l'ora di ingresso,"
        " per esempio {example}",
    },
    "visit.none": {
        "en": "{name} has no visit on {day}.",
        "it": "{name} non ha visite il {day}.",
    },
    "visit.fixed": {
        "en": "The visit of {name} on {day} is now {new} ({duration}); it was {old}.",
        "it": "La visita di {name} del {day} ora è {new} ({duration}); prima era {old}.",
    },
    "visit.added": {
        "en": "Recorded a visit of {name} on {day}: {new} ({duration}).",
        "it": "Registrata una visita di {name} il {day}: {new} ({duration}).",
    },
    "visit.removed": {
        "en": "Removed the visit of {name} on {day} ({old}).",
        "it": "Tolta la visita di {name} del {day} ({old}).",
    },
    "visit.notice_fixed": {
        "en": "{admin} corrected your visit of {day}: now {new}, it was {old}.",
        "it": "{admin} ha corretto la tua visita del {day}: ora è {new}, prima era {old}.",
    },
    "visit.notice_added": {
        "en": "{admin} recorded a visit of yours on {day}: {new}.",
        "it": "{admin} ha registrato una tua visita il {day}: {new}.",
    },
    "visit.notice_removed": {
        "en": "{admin} removed your visit of {day} ({old}).",
        "it": "{admin} ha tolto la tua visita del {day} ({old}).",
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


def hhmm(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def span_text(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    """`09:00–18:30`; `09:00–` while open; `—` for no visit at all."""
    if start is None:
        return "—"
    return f"{hhmm(start, tz)}–{hhmm(end, tz) if end else ''}"


def change_text(change: VisitChange, names: Mapping[int, str], tz: ZoneInfo) -> str:
    """`2026-11-29 10:05 Anna: 09:00–23:59 → 09:00–18:30`."""
    when = change.changed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    who = names.get(change.changed_by or 0, "?")
    before = span_text(change.old_in, change.old_out, tz)
    after = span_text(change.new_in, change.new_out, tz)
    return f"{when} {who}: {before} → {after}"


def attendance_csv(
    visits: Iterable[Visit],
    changes: Iterable[VisitChange],
    names: Mapping[int, str],
    tz: ZoneInfo,
    lang: str,
) -> bytes:
    """One row per visit: member, date, in, out, minutes, closed_by (times local HH:MM),
    and the changes made to it; a removed visit is a row of its own, `removed`.

    An open visit has no out, minutes or closed_by yet.
    """
    history: dict[int, list[VisitChange]] = {}
    for change in changes:
        history.setdefault(change.visit_id, []).append(change)
    rows: list[tuple[date, datetime, list[object]]] = []
    for visit in visits:
        out = visit.checkout_at
        row: list[object] = [
            cell(names.get(visit.member_id, f"#{visit.member_id}")),
            visit.local_date.isoformat(),
            hhmm(visit.checkin_at, tz),
            hhmm(out, tz) if out else "",
            int((out - visit.checkin_at).total_seconds() // 60) if out else "",
            visit.closed_by.value if visit.closed_by else "",
            "; ".join(change_text(c, names, tz) for c in history.pop(visit.id, [])),
        ]
        rows.append((visit.local_date, visit.checkin_at, row))
    for gone in history.values():  # visits removed: what they were, and why they are not
        last = gone[-1]
        if last.new_in is not None or last.old_in is None:
            continue
        row = [
            cell(names.get(last.member_id, f"#{last.member_id}")),
            last.local_date.isoformat(),
            hhmm(last.old_in, tz),
            hhmm(last.old_out, tz) if last.old_out else "",
            "",
            "removed",
            "; ".join(change_text(c, names, tz) for c in gone),
        ]
        rows.append((last.local_date, last.old_in, row))
    rows.sort(key=lambda item: (item[0], item[1]))
    return table(CSV_HEADER, [row for _, _, row in rows], lang)


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


_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")


def parse_clock(text: str) -> time | None:
    """`18:30`, `9:00`, `18.30` as a wall-clock time; None if it is not one."""
    m = _CLOCK.fullmatch(text.strip())
    if m is None or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return time(int(m[1]), int(m[2]))


def looks_like_clock(text: str) -> bool:
    return bool(re.fullmatch(r"\d{1,2}[:.]\d+", text.strip()))


@dataclass(frozen=True)
class ClockTime:
    """A time of day, `HH:MM`."""

    rest: ClassVar[bool] = False
    at: time

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> ClockTime:
        at = parse_clock(text)
        if at is None:
            raise ArgError("presence.bad_time", value=text[:ECHO])
        return cls(at)


async def answer(ctx: Context, render: Render) -> None:
    """Reply where the command came from, but privately to a hidden member writing in a
    group: what `/privacy hidden` promises is that the group does not see their visits."""
    member = ctx.member
    in_group = ctx.msg is not None and not ctx.msg.chat.private
    if member is not None and in_group and is_hidden(member) and await ctx.notify(member, render):
        return
    await ctx.reply(render(ctx.loc))


async def passed_today(ctx: Context, wall: time, not_before: datetime | None) -> datetime | None:
    """The instant of `wall` today if it has passed and is not before `not_before` (the
    last check-out, or the check-in); otherwise None, after saying why."""
    at = local_instant(ctx.today, wall, ctx.tz)
    if at > ctx.now:
        await answer(ctx, message("presence.time_future", time=wall.strftime("%H:%M")))
        return None
    if not_before is not None and at < not_before:
        limit = ctx.fmt.time(not_before)
        await answer(
            ctx, message("presence.time_too_early", time=wall.strftime("%H:%M"), limit=limit)
        )
        return None
    return at


async def record(ctx: Context, before: Visit | None, after: Visit | None) -> None:
    assert ctx.space is not None and ctx.member is not None
    change = VisitChange.of(before, after, ctx.member.id, ctx.now)
    await ctx.session.presence.record_change(ctx.space.id, change)


def last_out(visits: Sequence[Visit], but: Visit | None = None) -> datetime | None:
    """When the last of these visits ended (an open one has not)."""
    ends = [v.checkout_at for v in visits if v.checkout_at and (but is None or v.id != but.id)]
    return max(ends, default=None)


@router.command("checkin", aliases=["in"], role=Role.MEMBER, where=Where.ANY)
async def checkin(ctx: Context, note: Annotated[str, Rest(MAX_NOTE)] = "") -> None:
    """`checkin [HH:MM] [note]`: in now, or since a time today that has passed."""
    assert ctx.space is not None and ctx.member is not None and ctx.msg is not None
    space, member = ctx.space, ctx.member
    first, _, after = note.partition(" ")
    wall = parse_clock(first)
    if wall is None and looks_like_clock(first):
        await answer(ctx, message("presence.bad_time", value=first[:ECHO]))
        return
    text = clean_text(after if wall else note)
    await settle(ctx)
    today = await ctx.session.presence.of_member_on(member.id, ctx.today)
    current = await ctx.session.presence.open_visit(member.id)
    if current is not None:
        await change_current(ctx, current, today, wall, text)
        return
    at = ctx.now
    if wall is not None:
        stated = await passed_today(ctx, wall, last_out(today))
        if stated is None:
            return
        at = stated
    visit = await ctx.session.presence.check_in(space.id, member.id, ctx.today, at, text)
    if wall is not None:
        await record(ctx, None, visit)
    count = len(await ctx.session.presence.open_visits(space.id))

    def render(loc: Localizer) -> Markup:
        lines = [
            loc.t("checkin.done", name=member.display_name, time=loc.fmt.time(visit.checkin_at)),
            loc.t("checkin.count", count=count),
        ]
        if space.capacity:
            left = space.capacity - count
            if left > 0:
                lines.append(loc.t("checkin.desks_left", count=left))
            elif left == 0:
                lines.append(loc.t("checkin.last_desk"))
            else:
                lines.append(loc.t("checkin.full", count=count, capacity=space.capacity))
        return join(lines, " ")

    await answer(ctx, render)
    if not ctx.msg.chat.private and not is_hidden(member):
        # The other group (Telegram <-> Matrix) learns it too; by name only, never a mention.
        key = "presence.announce_note" if text else "presence.announce"
        name, quiet_note = defuse_mentions(member.display_name), defuse_mentions(text)
        await ctx.post(lambda loc: loc.t(key, name=name, note=quiet_note), exclude=ctx.msg.chat)


async def change_current(
    ctx: Context, current: Visit, today: Sequence[Visit], wall: time | None, text: str
) -> None:
    """`checkin` again while in: a time moves the check-in, a note replaces the note."""
    if wall is None and not text:
        await answer(ctx, message("checkin.already", time=ctx.fmt.time(current.checkin_at)))
        return
    visit = current
    if wall is not None:
        at = await passed_today(ctx, wall, last_out(today, but=current))
        if at is None:
            return
        visit = await ctx.session.presence.set_times(current.id, at, None, None)
        await record(ctx, current, visit)
    if text:
        await ctx.session.presence.set_note(current.id, text)

    def render(loc: Localizer) -> Markup:
        lines = []
        if wall is not None:
            old, new = loc.fmt.time(current.checkin_at), loc.fmt.time(visit.checkin_at)
            lines.append(loc.t("checkin.moved", time=new, old=old))
        if text:
            lines.append(loc.t("checkin.note_updated", note=text))
        if wall is None:
            lines.append(loc.t("checkin.already", time=loc.fmt.time(visit.checkin_at)))
        return join(lines, " ")

    await answer(ctx, render)


@router.command("checkout", aliases=["out"], role=Role.MEMBER, where=Where.ANY)
async def checkout(ctx: Context, at: ClockTime | None = None) -> None:
    """`checkout [HH:MM]`: out now, or at a time today that has passed (which also fixes
    a visit of today the closing time or the end of the day already ended)."""
    assert ctx.member is not None
    member = ctx.member
    settled = await settle(ctx, quiet_for=member.id)
    if at is not None:
        await checkout_at(ctx, at.at)
        return
    for closed, closing in settled:
        if closed.member_id == member.id:
            await answer(
                ctx,
                message(
                    f"checkout.was_closed.{closing.closed_by.value}",
                    day=ctx.fmt.day(closed.local_date),
                    time=ctx.fmt.time(closing.at),
                    duration=ctx.fmt.duration(closing.at - closed.checkin_at),
                ),
            )
            return
    visit = await ctx.session.presence.open_visit(member.id)
    if visit is None:
        await answer(ctx, message("checkout.not_in", checkin=f"{ctx.prefix}checkin"))
        return
    await ctx.session.presence.close([Closing(visit.id, ctx.now, ClosedBy.MEMBER)])
    await answer(ctx, checked_out(member, visit.checkin_at, ctx.now))


def checked_out(member: Member, start: datetime, end: datetime) -> Render:
    return lambda loc: loc.t(
        "checkout.done",
        name=member.display_name,
        duration=loc.fmt.duration(end - start),
        start=loc.fmt.time(start),
        end=loc.fmt.time(end),
    )


async def checkout_at(ctx: Context, wall: time) -> None:
    assert ctx.member is not None
    member = ctx.member
    today = await ctx.session.presence.of_member_on(member.id, ctx.today)
    if not today:
        await answer(ctx, message("checkout.not_in", checkin=f"{ctx.prefix}checkin"))
        return
    target = today[-1]  # the open one, or the last that ended
    end = await passed_today(ctx, wall, target.checkin_at)
    if end is None:
        return
    fixed = await ctx.session.presence.set_times(target.id, target.checkin_at, end, ClosedBy.MEMBER)
    await record(ctx, target, fixed)
    if target.is_open:
        await answer(ctx, checked_out(member, fixed.checkin_at, end))
        return
    await answer(
        ctx,
        message(
            "checkout.fixed",
            start=ctx.fmt.time(fixed.checkin_at),
            end=ctx.fmt.time(end),
            duration=ctx.fmt.duration(end - fixed.checkin_at),
            old=ctx.fmt.time(target.checkout_at or end),
        ),
    )


# -- admins fix visits -------------------------------------------------------------------

# A time, or two joined by a dash: what is meant as one (`9-18` too, to say it is wrong),
# never a date (`28-11-2026` has two dashes).
_RANGE = re.compile(r"\d{1,2}[:.]\d{2}|\d{1,2}(?:[:.]\d+)?[-–—]\d{1,2}(?:[:.]\d+)?")


@dataclass(frozen=True)
class VisitRef:
    """`<member> <date> [<in>[-<out>]]`, read from the right so names may have spaces."""

    rest: ClassVar[bool] = True
    member: Member
    day: date
    start: time | None
    end: time | None

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> VisitRef:
        words = split_words(text)
        start = end = None
        if words and _RANGE.fullmatch(words[-1]):
            first, *second = re.split(r"[-–—]", words.pop())
            start = parse_clock(first)
            end = parse_clock(second[0]) if second else None
            if start is None or (second and end is None):
                raise ArgError("visit.bad_range", value=text.split()[-1][:ECHO])
        if len(words) < 2:
            raise ArgError("dispatch.missing_argument")
        day = parse_date(words.pop(), ctx.today)
        member = (await MemberArg.convert(" ".join(words), ctx)).member
        return cls(member, day, start, end)


def overlaps(visit: Visit, start: datetime, end: datetime, now: datetime) -> bool:
    return visit.checkin_at < end and (visit.checkout_at or now) > start


async def tell_about_visit(ctx: Context, member: Member, key: str, **values: object) -> None:
    """The member hears what an admin changed in their visits (unless it was them)."""
    assert ctx.member is not None
    if member.id != ctx.member.id:
        await ctx.notify(member, message(key, admin=ctx.member.display_name, **values))


@router.command("visit fix", role=Role.ADMIN)
async def visit_fix(ctx: Context, ref: VisitRef) -> None:
    """Set a member's visit of a day to `in-out`, or add it if there was none."""
    tz, name, day = ctx.tz, ref.member.display_name, ctx.fmt.day(ref.day)
    if ref.start is None or ref.end is None:
        example = f"{ctx.prefix}visit fix {name} {ref.day.isoformat()} 09:00-18:30"
        await ctx.say("visit.need_range", example=example)
        return
    start, end = local_instant(ref.day, ref.start, tz), local_instant(ref.day, ref.end, tz)
    if end <= start:
        await ctx.say("visit.end_before_start")
        return
    if end > ctx.now:
        await ctx.say("visit.not_yet", day=day, time=ctx.fmt.time(end))
        return
    await settle(ctx)
    visits = await ctx.session.presence.of_member_on(ref.member.id, ref.day)
    # With several visits that day, the times say which: the only one they touch.
    touching = [v for v in visits if overlaps(v, start, end, ctx.now)]
    target = visits[0] if len(visits) == 1 else touching[0] if len(touching) == 1 else None
    if target is None and visits:
        listed = ", ".join(span_text(v.checkin_at, v.checkout_at, tz) for v in visits)
        await ctx.say("visit.which_fix", name=name, count=len(visits), day=day, visits=listed)
        return
    new, duration = span_text(start, end, tz), ctx.fmt.duration(end - start)
    presence = ctx.session.presence
    if target is None:
        space_id = ref.member.space_id
        added = await presence.add(space_id, ref.member.id, ref.day, start, end, ClosedBy.ADMIN)
        await record(ctx, None, added)
        await ctx.say("visit.added", name=name, day=day, new=new, duration=duration)
        await tell_about_visit(ctx, ref.member, "visit.notice_added", day=day, new=new)
        return
    fixed = await presence.set_times(target.id, start, end, ClosedBy.ADMIN)
    await record(ctx, target, fixed)
    old = span_text(target.checkin_at, target.checkout_at, tz)
    await ctx.say("visit.fixed", name=name, day=day, new=new, duration=duration, old=old)
    await tell_about_visit(ctx, ref.member, "visit.notice_fixed", day=day, new=new, old=old)


@router.command("visit remove", role=Role.ADMIN)
async def visit_remove(ctx: Context, ref: VisitRef) -> None:
    """Remove a member's visit of a day (the one that began at `in`, if there are several)."""
    tz, name, day = ctx.tz, ref.member.display_name, ctx.fmt.day(ref.day)
    await settle(ctx)
    visits = await ctx.session.presence.of_member_on(ref.member.id, ref.day)
    if ref.start is not None:
        visits = [v for v in visits if v.checkin_at.astimezone(tz).time() == ref.start]
    if not visits:
        await ctx.say("visit.none", name=name, day=day)
        return
    if len(visits) > 1:
        listed = ", ".join(span_text(v.checkin_at, v.checkout_at, tz) for v in visits)
        start = hhmm(visits[0].checkin_at, tz)
        example = f"{ctx.prefix}visit remove {name} {ref.day.isoformat()} {start}"
        await ctx.say(
            "visit.which", name=name, count=len(visits), day=day, visits=listed, example=example
        )
        return
    gone = visits[0]
    await ctx.session.presence.delete(gone.id)
    await record(ctx, gone, None)
    old = span_text(gone.checkin_at, gone.checkout_at, tz)
    await ctx.say("visit.removed", name=name, day=day, old=old)
    await tell_about_visit(ctx, ref.member, "visit.notice_removed", day=day, old=old)


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
async def privacy(ctx: Context, visibility: Literal["visible", "hidden"] | None = None) -> None:
    assert ctx.member is not None
    if visibility is None:
        hidden = is_hidden(ctx.member)
        other = "visible" if hidden else "hidden"
        await ctx.say(
            "privacy.is_hidden" if hidden else "privacy.is_visible",
            command=f"{ctx.prefix}privacy {other}",
        )
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
    changes = await ctx.session.presence.changes(space.id, first, last)
    if not visits and not changes:
        await ctx.say("export.none", month=name)
        return
    names = {m.id: m.display_name for m in await ctx.session.members.of_space(space.id)}
    content = attendance_csv(visits, changes, names, space.tz, ctx.lang)
    document = Document(f"attendance-{wanted}.csv", content)
    await ctx.reply(ctx.t("export.done", month=name, count=len(visits)), document=document)
