"""The big store of figure group 3, made fast and kept on disk between runs.

1,000 spaces of 50 members, 2,000 visits and 200 help requests each (2,000,000 visits
and 200,000 requests in all), two monthly costs charged for 36 months with a share per
member and the payments against them, skills, kudos, notices, the cost reminders and
summaries sent, and a month of delivered outbox rows.

The schema is the real one: the database is created by `Store.open`, which runs the
migrations; the rows then go in with `executemany` in a single transaction. Each space
is drawn from its own seeded generator, so space 1 of the big store is the very same
as the only space of the one-space store the figures are compared with: any difference
between the two is the cost of the other 999.

The file is cached under the bench data dir, named by its size and by a hash of the
migrations and of this module, so a schema change (a new index) makes a new one.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from bench.world import BENCH_NOW, ROME
from handlers.costs.jobs import Membership, participants
from handlers.costs.money import Split, allocate, split_amount
from handlers.costs.schedules import Every, Schedule, add_months
from handlers.skills.matching import skill_tag
from storage import Store
from storage.members import Member, MemberRole, MembershipPeriod, MemberStatus

MEMBERS = 50
VISITS = 2000
REQUESTS = 200
MONTHS = 36
OPEN_NOW = 6  # visits still open this morning, per space
CHUNK = 20  # spaces per executemany batch

TODAY = BENCH_NOW.date()
FIRST_DAY = date(*add_months(TODAY.year, TODAY.month, -(MONTHS - 1)), 1)
JOINED = datetime(2023, 10, 2, 9, 0, tzinfo=UTC)
LEFT = datetime(2026, 11, 15, 18, 0, tzinfo=UTC)
SETTLED_BEFORE = TODAY - timedelta(days=92)  # older charges are paid in full
ENTRY_SLOTS = 200  # fund entry ids per space
RECEIPT = b"\xff\xd8\xff\xe0" + bytes(2000)  # a small photo of a receipt

FIRST_NAMES = (
    "Anna",
    "Bruno",
    "Carla",
    "Dario",
    "Elena",
    "Fabio",
    "Giulia",
    "Hugo",
    "Irene",
    "Jacopo",
    "Katia",
    "Luca",
    "Marta",
    "Nico",
    "Olga",
    "Paolo",
    "Rita",
    "Sara",
    "Tommaso",
    "Ugo",
    "Vera",
    "Walter",
    "Ylenia",
    "Zeno",
    "Alba",
    "Bea",
    "Ciro",
    "Dora",
    "Enzo",
    "Flavia",
    "Gino",
    "Ivo",
    "Lara",
    "Mino",
    "Nadia",
    "Oreste",
    "Pia",
    "Rocco",
    "Silvia",
    "Teo",
)
SKILLS = (
    "Contabilità",
    "Excel",
    "Fotografia",
    "Grafica",
    "Photoshop",
    "Python",
    "JavaScript",
    "SQL",
    "Marketing",
    "SEO",
    "Copywriting",
    "Traduzioni",
    "Inglese",
    "Tedesco",
    "Diritto del lavoro",
    "Fatturazione elettronica",
    "Falegnameria",
    "Elettricità",
    "Idraulica",
    "WordPress",
    "Video editing",
    "Social media",
    "Stampa 3D",
    "Arduino",
    "Linux",
    "Reti",
    "Sicurezza",
    "Project management",
    "Ufficio stampa",
    "Illustrazione",
    "UX design",
    "Architettura",
    "Fisco",
    "Bandi europei",
    "Ciclismo",
    "Cucina",
    "Giardinaggio",
    "Musica",
    "Yoga",
    "Public speaking",
)
COSTS = (
    # (name, amount in cents, day of the month, split)
    ("Heating", 30_000, 5, Split.ATTENDANCE),
    ("Internet", 6_000, 10, Split.EQUAL),
)


@dataclass(frozen=True)
class Size:
    spaces: int

    @property
    def label(self) -> str:
        return f"{self.spaces} spaces, {self.spaces * MEMBERS:,} members"


def is_member_on(member: Member, day: date) -> bool:
    return (
        member.joined_at is not None
        and member.joined_at.date() <= day
        and (member.left_at is None or member.left_at.date() > day)
    )


def utc_hours(day: date) -> int:
    """Rome's offset from UTC on `day`, in whole hours (1 in winter, 2 in summer)."""
    offset = datetime(day.year, day.month, day.day, 12, tzinfo=ROME).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 3600)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fingerprint() -> str:
    """Changes when the schema or the generator does."""
    digest = hashlib.sha256()
    for entry in sorted(resources.files("storage.schema").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class Rows:
    """Rows waiting for their executemany, table by table."""

    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.tables.setdefault(table, []).append(row)

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


INSERTS = {
    "spaces": "INSERT INTO spaces (id, name, timezone, language, currency, capacity,"
    " closing_time, join_policy, created_at) VALUES (?, ?, 'Europe/Rome', ?, 'EUR', 20,"
    " '19:00', 'approval', ?)",
    "space_chats": "INSERT INTO space_chats (space_id, platform, chat_id) VALUES (?, ?, ?)",
    "members": "INSERT INTO members (id, space_id, display_name, username, role, status,"
    " visibility, shares, joined_at, left_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "membership_periods": "INSERT INTO membership_periods (member_id, joined_at, left_at)"
    " VALUES (?, ?, ?)",
    "identities": "INSERT INTO identities (space_id, identity, member_id, last_seen_at)"
    " VALUES (?, ?, ?, ?)",
    "visits": "INSERT INTO visits (space_id, member_id, local_date, checkin_at, checkout_at,"
    " closed_by, note) VALUES (?, ?, ?, ?, ?, ?, '')",
    "skills": "INSERT INTO skills (member_id, space_id, tag, label, created_at)"
    " VALUES (?, ?, ?, ?, ?)",
    "help_requests": "INSERT INTO help_requests (id, space_id, number, requester_id, skill_tag,"
    " skill_label, question, state, helper_id, created_at, claimed_at, closed_at, closed_by,"
    " escalated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "help_notices": "INSERT INTO help_notices (request_id, member_id, reason, rank, sent_at)"
    " VALUES (?, ?, 'match', ?, ?)",
    "kudos": "INSERT INTO kudos (request_id, space_id, helper_id, given_by, given_at)"
    " VALUES (?, ?, ?, ?, ?)",
    "costs": "INSERT INTO costs (id, space_id, name, amount, currency, every, day, split,"
    " next_due, created_by, created_at) VALUES (?, ?, ?, ?, 'EUR', 'monthly', ?, ?, ?, ?, ?)",
    "charges": "INSERT INTO charges (id, space_id, cost_id, name, due_on, period_start,"
    " period_end, amount, currency, split, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'EUR', ?, ?)",
    "charge_shares": "INSERT INTO charge_shares (charge_id, member_id, amount, weight, days,"
    " units, nagged_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "payments": "INSERT INTO payments (charge_id, member_id, amount, state, declared_at,"
    " confirmed_at, confirmed_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "receipts": "INSERT INTO receipts (id, space_id, filename, mime_type, size, sha256, content,"
    " sent_by, created_at) VALUES (?, ?, ?, 'image/jpeg', ?, ?, ?, ?, ?)",
    "fund_entries": "INSERT INTO fund_entries (id, space_id, kind, amount, currency, member_id,"
    " cost_id, note, on_date, receipt_id, recorded_by, created_at)"
    " VALUES (?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?, ?)",
    "fund_splits": "INSERT INTO fund_splits (entry_id, member_id, amount) VALUES (?, ?, ?)",
    "cost_reminders": "INSERT INTO cost_reminders (cost_id, due_on, sent_at) VALUES (?, ?, ?)",
    "cost_summaries": "INSERT INTO cost_summaries (space_id, month, sent_at) VALUES (?, ?, ?)",
    "outbox": "INSERT INTO outbox (platform, chat_id, private, html, space_id, member_id, state,"
    " attempts, next_attempt_at, created_at, sent_at, delivery_id)"
    " VALUES ('memory', ?, ?, ?, ?, ?, 'sent', 1, ?, ?, ?, ?)",
    "processed_updates": "INSERT INTO processed_updates (update_key, processed_at) VALUES (?, ?)",
    "kv": "INSERT INTO kv (key, value) VALUES (?, ?)",
}
ORDER = list(INSERTS)


class SpaceMaker:
    """Everything of one space, from its own generator; ids are fixed by the space's number."""

    def __init__(self, space_id: int) -> None:
        self.s = space_id
        self.rng = random.Random(space_id * 7919)
        self.first_member = (space_id - 1) * MEMBERS + 1
        self.weekdays = [
            FIRST_DAY + timedelta(days=i)
            for i in range((TODAY - FIRST_DAY).days)
            if (FIRST_DAY + timedelta(days=i)).weekday() < 5
        ]

    def member_id(self, k: int) -> int:
        return self.first_member + k

    def make(self, rows: Rows) -> None:
        members = self.members(rows)
        days = self.visits(rows, members)
        self.skills_and_requests(rows, members)
        self.costs(rows, members, days)
        self.fund(rows, members)
        self.history(rows)

    # -- people --------------------------------------------------------------------------

    def members(self, rows: Rows) -> list[Member]:
        s, rng = self.s, self.rng
        created = stamp(JOINED - timedelta(days=30))
        rows.add("spaces", (s, f"Space {s}", "it" if s % 2 else "en", created))
        rows.add("space_chats", (s, "memory", f"g{s}"))
        out = []
        for k in range(MEMBERS):
            mid = self.member_id(k)
            name = f"{FIRST_NAMES[k % len(FIRST_NAMES)]} {chr(65 + k // len(FIRST_NAMES))}{s}"
            joined = JOINED if k < 40 else JOINED + timedelta(days=rng.randrange(60, 900))
            left = LEFT if k >= MEMBERS - 2 else None
            member = Member(
                id=mid,
                space_id=s,
                display_name=name,
                username=f"u{mid}",
                role=MemberRole.ADMIN if k == 0 else MemberRole.MEMBER,
                status=MemberStatus.LEFT if left else MemberStatus.ACTIVE,
                language=None,
                visibility="hidden" if k % 9 == 8 else "visible",
                shares=1 + (k % 3 == 0),
                joined_at=joined,
                left_at=left,
                created_at=joined,
            )
            out.append(member)
            rows.add(
                "members",
                (
                    mid,
                    s,
                    name,
                    member.username,
                    member.role.value,
                    member.status.value,
                    member.visibility,
                    member.shares,
                    stamp(joined),
                    stamp(left) if left else None,
                    stamp(joined),
                ),
            )
            rows.add("membership_periods", (mid, stamp(joined), stamp(left) if left else None))
            seen = stamp(BENCH_NOW - timedelta(hours=rng.randrange(1, 2000)))
            rows.add("identities", (s, f"memory:u{mid}", mid, seen))
        return out

    def present_on(self, members: Sequence[Member], day: date) -> list[Member]:
        return [m for m in members if is_member_on(m, day)]

    # -- presence ------------------------------------------------------------------------

    def visits(self, rows: Rows, members: Sequence[Member]) -> dict[int, list[int]]:
        """2,000 visits on weekdays over 36 months, six still open now; returns each
        member's visit days (ordinals, sorted) for the attendance splits."""
        rng = self.rng
        picked = sorted(rng.choice(self.weekdays) for _ in range(VISITS - OPEN_NOW))
        days: dict[int, set[int]] = {}
        offsets: dict[date, int] = {}
        for day in picked:
            member = rng.choice(members)
            while not is_member_on(member, day):
                member = rng.choice(members)
            offset = offsets.get(day)
            if offset is None:
                offset = offsets[day] = utc_hours(day)
            start = 8 * 60 + rng.randrange(0, 180)
            end = min(start + rng.randrange(60, 480), 19 * 60)
            iso = day.isoformat()
            rows.add(
                "visits",
                (
                    self.s,
                    member.id,
                    iso,
                    f"{iso}T{start // 60 - offset:02d}:{start % 60:02d}:00Z",
                    f"{iso}T{end // 60 - offset:02d}:{end % 60:02d}:00Z",
                    "closing" if end == 19 * 60 else "member",
                ),
            )
            days.setdefault(member.id, set()).add(day.toordinal())
        iso = TODAY.isoformat()
        for member in self.present_on(members, TODAY)[1 : OPEN_NOW + 1]:
            arrived = stamp(BENCH_NOW - timedelta(minutes=rng.randrange(5, 90)))
            rows.add("visits", (self.s, member.id, iso, arrived, None, None))
            days.setdefault(member.id, set()).add(TODAY.toordinal())
        return {mid: sorted(d) for mid, d in days.items()}

    # -- help between peers ----------------------------------------------------------------

    def skills_and_requests(self, rows: Rows, members: Sequence[Member]) -> None:
        rng, s = self.rng, self.s
        for member in members:
            for label in rng.sample(SKILLS, 3):
                rows.add("skills", (member.id, s, skill_tag(label), label, stamp(JOINED)))
        span = (BENCH_NOW - timedelta(days=10) - JOINED).total_seconds()
        moments = sorted(rng.uniform(0, span) for _ in range(REQUESTS - 3))
        created = [JOINED + timedelta(seconds=x) for x in moments]
        created += [BENCH_NOW - timedelta(hours=h) for h in (50, 20, 2)]
        first_id = (s - 1) * REQUESTS + 1
        for n, at in enumerate(created, start=1):
            rid = first_id + n - 1
            who = self.present_on(members, at.date()) or list(members)
            requester = rng.choice(who)
            helper = rng.choice(who)
            label = rng.choice(SKILLS)
            recent = n > REQUESTS - 3
            roll = rng.random()
            if recent:
                state = "open" if n < REQUESTS else "claimed"
            else:
                state = "resolved" if roll < 0.6 else "expired" if roll < 0.85 else "cancelled"
            claimed = at + timedelta(hours=rng.randrange(1, 30))
            closed = claimed + timedelta(hours=rng.randrange(1, 48))
            late = at + timedelta(hours=4)
            escalated = stamp(late) if late <= BENCH_NOW and state != "claimed" else None
            rows.add(
                "help_requests",
                (
                    rid,
                    s,
                    n,
                    requester.id,
                    skill_tag(label),
                    label,
                    f"Qualcuno sa aiutarmi con {label.lower()}? Richiesta {n}.",
                    state,
                    helper.id if state in ("resolved", "claimed") else None,
                    stamp(at),
                    stamp(claimed) if state in ("resolved", "claimed") else None,
                    stamp(closed) if not recent else None,
                    requester.id if state in ("resolved", "cancelled") else None,
                    escalated,
                ),
            )
            for rank, notified in enumerate(rng.sample(list(members), 2)):
                rows.add("help_notices", (rid, notified.id, rank, stamp(at)))
            if state == "resolved" and roll < 0.3:
                rows.add("kudos", (rid, s, helper.id, requester.id, stamp(closed)))

    # -- shared costs ------------------------------------------------------------------------

    def costs(self, rows: Rows, members: Sequence[Member], days: dict[int, list[int]]) -> None:
        rng, s = self.rng, self.s
        admin = members[0].id
        membership = Membership(
            members, {m.id: [MembershipPeriod(m.created_at, m.left_at)] for m in members}
        )
        charge_id = (s - 1) * len(COSTS) * MONTHS
        for c, (name, amount, day, split) in enumerate(COSTS):
            cost_id = (s - 1) * len(COSTS) + c + 1
            schedule = Schedule(Every.MONTHLY, day=day)
            first_due = schedule.due_from(FIRST_DAY)
            assert first_due is not None
            due = first_due
            while due <= TODAY:
                charge_id += 1
                period = schedule.period(due)
                visits = {
                    mid: bisect.bisect_right(ds, period.end.toordinal())
                    - bisect.bisect_left(ds, period.start.toordinal())
                    for mid, ds in days.items()
                }
                people = participants(membership, period, ROME, visits)
                plan = allocate(split, people)
                amounts = split_amount(amount, plan.weights)
                made = stamp(datetime(due.year, due.month, due.day, 8, 0, tzinfo=UTC))
                rows.add(
                    "charges",
                    (
                        charge_id,
                        s,
                        cost_id,
                        name,
                        due.isoformat(),
                        period.start.isoformat(),
                        period.end.isoformat(),
                        amount,
                        plan.method.value,
                        made,
                    ),
                )
                rows.add("cost_reminders", (cost_id, due.isoformat(), made))
                self.shares(rows, charge_id, due, people, plan, amounts, admin, rng)
                nxt = schedule.due_after(due)
                assert nxt is not None
                due = nxt
            rows.add(
                "costs",
                (cost_id, s, name, amount, day, split.value, due.isoformat(), admin, stamp(JOINED)),
            )
        month = FIRST_DAY
        while month <= TODAY:
            rows.add("cost_summaries", (s, f"{month:%Y-%m}", stamp(BENCH_NOW)))
            month = date(*add_months(month.year, month.month, 1), 1)

    def fund(self, rows: Rows, members: Sequence[Member]) -> None:
        """The common fund: every charge's bill paid to the supplier two days after it,
        with a receipt; every other month an expense a member fronted, split among
        everyone or owed by the fund and paid back a week later."""
        rng, s = self.rng, self.s
        admin = members[0].id
        entry = (s - 1) * ENTRY_SLOTS
        receipt = (s - 1) * ENTRY_SLOTS
        for c, (_, amount, day, _) in enumerate(COSTS):
            cost_id = (s - 1) * len(COSTS) + c + 1
            schedule = Schedule(Every.MONTHLY, day=day)
            due = schedule.due_from(FIRST_DAY)
            while due is not None and due + timedelta(days=2) <= TODAY:
                entry += 1
                paid = due + timedelta(days=2)
                at = stamp(datetime(paid.year, paid.month, paid.day, 10, tzinfo=UTC))
                rows.add(
                    "fund_entries",
                    (
                        entry,
                        s,
                        "bill",
                        amount,
                        None,
                        cost_id,
                        "",
                        paid.isoformat(),
                        None,
                        admin,
                        at,
                    ),
                )
                due = schedule.due_after(due)
        month = FIRST_DAY
        while month <= TODAY:
            spent_on = month + timedelta(days=rng.randrange(0, 27))
            if spent_on > TODAY:
                break
            people = [m for m in members if is_member_on(m, spent_on)]
            buyer = rng.choice(people).id
            at = datetime(spent_on.year, spent_on.month, spent_on.day, 15, tzinfo=UTC)
            amount = rng.randrange(1_000, 30_000)
            receipt += 1
            rows.add(
                "receipts",
                (receipt, s, "receipt.jpg", len(RECEIPT), "0" * 64, RECEIPT, buyer, stamp(at)),
            )
            entry += 1
            rows.add(
                "fund_entries",
                (entry, s, "spent", amount, buyer, None, "supplies", spent_on.isoformat(),
                 receipt, buyer, stamp(at)),
            )  # fmt: skip
            if month.month % 4 == 0:
                parts = split_amount(amount, {m.id: 1 for m in people})
                for member_id, part in parts.items():
                    if part:
                        rows.add("fund_splits", (entry, member_id, part))
            elif spent_on + timedelta(days=7) <= TODAY:
                back = spent_on + timedelta(days=7)
                entry += 1
                rows.add(
                    "fund_entries",
                    (entry, s, "reimburse", amount, buyer, None, "", back.isoformat(), None,
                     admin, stamp(at + timedelta(days=7))),
                )  # fmt: skip
            month = date(*add_months(month.year, month.month, 2), 1)
        assert entry <= s * ENTRY_SLOTS

    @staticmethod
    def shares(
        rows: Rows,
        charge_id: int,
        due: date,
        people: Sequence[Any],
        plan: Any,
        amounts: dict[int, int],
        admin: int,
        rng: random.Random,
    ) -> None:
        waited = (TODAY - due).days
        nagged = (due + timedelta(days=waited // 7 * 7)).isoformat() if waited >= 7 else None
        for p in people:
            share = amounts[p.member_id]
            if share <= 0:
                continue
            roll = 0.0 if due < SETTLED_BEFORE else rng.random()
            state = "confirmed" if roll < 0.6 else "declared" if roll < 0.75 else None
            rows.add(
                "charge_shares",
                (
                    charge_id,
                    p.member_id,
                    share,
                    plan.weights[p.member_id],
                    p.days,
                    plan.units[p.member_id],
                    None if state == "confirmed" else nagged,
                ),
            )
            if state is not None:
                declared = datetime(due.year, due.month, due.day, 12, tzinfo=UTC) + timedelta(
                    days=rng.randrange(0, 10)
                )
                confirmed = declared + timedelta(days=2)
                rows.add(
                    "payments",
                    (
                        charge_id,
                        p.member_id,
                        share,
                        state,
                        stamp(declared),
                        stamp(confirmed) if state == "confirmed" else None,
                        admin if state == "confirmed" else None,
                    ),
                )

    # -- what a running bot leaves behind ------------------------------------------------------

    def history(self, rows: Rows) -> None:
        """A month of delivered messages and processed updates (the bot keeps 30 days)."""
        rng, s = self.rng, self.s
        for i in range(300):
            at = BENCH_NOW - timedelta(minutes=rng.randrange(60, 30 * 24 * 60))
            member = self.member_id(rng.randrange(MEMBERS))
            private = i % 3 == 0
            chat = f"u{member}" if private else f"g{s}"
            rows.add(
                "outbox",
                (
                    chat,
                    int(private),
                    "Benvenuto: sei dentro dalle 09:12. Ora ci sono 4 persone.",
                    s,
                    member if private else None,
                    stamp(at),
                    stamp(at),
                    stamp(at),
                    f"memory-{s}-{i}",
                ),
            )
            rows.add("processed_updates", (f"memory:h{s}-{i}", stamp(at)))
        rows.add("kv", (f"costs.day_done:{s}", TODAY.isoformat()))


def flush(conn: sqlite3.Connection, rows: Rows) -> None:
    for table in ORDER:
        batch = rows.tables.get(table)
        if batch:
            conn.executemany(INSERTS[table], batch)
    rows.tables.clear()


def chunks(total: int) -> Iterator[range]:
    for first in range(1, total + 1, CHUNK):
        yield range(first, min(first + CHUNK, total + 1))


async def generate(path: Path, size: Size, *, progress: bool = True) -> None:
    """Make the store at `path`: migrations first, then every row in one transaction."""
    store = await Store.open(path)
    await store.close()
    await asyncio.to_thread(load, path, size, progress)


def load(path: Path, size: Size, progress: bool) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Loading only: no journal and no fsync; the file is WAL again when done.
        for pragma in (
            "PRAGMA journal_mode=OFF",
            "PRAGMA synchronous=OFF",
            "PRAGMA foreign_keys=OFF",
            "PRAGMA cache_size=-400000",
        ):
            conn.execute(pragma)
        conn.execute("BEGIN")
        rows = Rows()
        made = 0
        start = time.perf_counter()
        for spaces in chunks(size.spaces):
            for s in spaces:
                SpaceMaker(s).make(rows)
            made += rows.count()
            flush(conn, rows)
            if progress and spaces.stop % 100 == 1:
                print(
                    f"    … {spaces.stop - 1} spaces, {made:,} rows, "
                    f"{time.perf_counter() - start:.0f} s",
                    flush=True,
                )
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


async def cached(data_dir: Path, size: Size) -> tuple[Path, float | None]:
    """The store of this size, made if missing; (path, seconds it took or None if cached)."""
    stores = data_dir / "stores"
    stores.mkdir(parents=True, exist_ok=True)
    path = stores / f"store-{size.spaces}-{fingerprint()}.db"
    if path.exists():
        return path, None
    for stale in stores.glob(f"store-{size.spaces}-*.db*"):
        stale.unlink()
    partial = path.with_suffix(".partial")
    for leftover in stores.glob(partial.name + "*"):
        leftover.unlink()
    start = time.perf_counter()
    await generate(partial, size)
    partial.rename(path)
    return path, time.perf_counter() - start


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in (
                "spaces",
                "members",
                "visits",
                "help_requests",
                "charges",
                "charge_shares",
                "payments",
            )
        }
    finally:
        conn.close()
