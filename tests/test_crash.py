"""Crash safety: the bot as a real process on a real database, killed with SIGKILL at
twenty random points while it works through a script of 500 commands, restarted each
time, must end exactly where a run that was never killed ends.

Both runs read the same script through the file transport (tests/support/file_transport.py),
which redelivers what it had not confirmed, like Telegram. At the end:

- every table holds the same rows as after the run never killed: each command's
  effect is there exactly once (the unique note of each check-in and the unique text
  of each question are counted one by one), no job effect (closing, escalation,
  expiry, wipe) is doubled or missing;
- the outbox holds the same messages, all sent, and every one of them reached the
  platform at least once (a kill between the platform's answer and the outbox's
  record of it sends again: that is the only duplicate allowed, and it is counted).
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers.costs.schedules import Every, Schedule, moment, reached_day
from tests.support.crash import RUN_TIMEOUT, delivered, start_bot

pytestmark = pytest.mark.crash

ROME = ZoneInfo("Europe/Rome")
SEED = 20261102
COMMANDS = 500
KILLS = 20
EARLY_KILLS = 4  # of the kills, these come at a random moment after start (imports,
#                  migrations, the jobs at start) rather than at a point of the script

PEOPLE = {
    "anna": "Anna",
    "bruno": "Bruno",
    "carla": "Carla",
    "dario": "Dario",
    "elena": "Elena",
    "franco": "Franco",
    "giulia": "Giulia",
    "hugo": "Hugo",
}


# -- the script -----------------------------------------------------------------------------


# Shared costs, added by Anna right after everyone joined: their reminders (3 days
# before), due dates and charges, and a payment reminder a week after the first, fall
# inside the two weeks the script covers, at the space's reminder time (09:00 in Rome),
# which the ticks cross.
REMINDER_AT = clock_time(9, 0)
REMIND_DAYS_BEFORE = 3
COSTS = {
    "Internet": ("/cost add Internet 30 monthly 5", Schedule(Every.MONTHLY, day=5)),
    "Pulizie": (
        "/cost add Pulizie 45 once 2026-11-08 shares",
        Schedule(Every.ONCE, on=date(2026, 11, 8)),
    ),
    "Heating": (
        "/cost add Heating 120,50 monthly 11 attendance",
        Schedule(Every.MONTHLY, day=11),
    ),
    "Caldaia": ("/cost add Caldaia 200 yearly 14-11", Schedule(Every.YEARLY, day=14, month=11)),
}


@dataclass
class Scripter:
    """Writes a plausible month of a small community, deterministically from a seed."""

    rng: random.Random
    now: datetime
    lines: list[dict[str, Any]]
    commands: int = 0
    asks: int = 0
    tag: int = 0
    requesters: dict[int, str] = field(default_factory=dict)
    due_moments: list[datetime] = field(default_factory=list)
    payments: int = 0

    def charges(self) -> int:
        """How many charges the bot has made by now (ids follow due dates)."""
        return sum(1 for moment in self.due_moments if moment <= self.now)

    def tick(self) -> None:
        local = self.now.astimezone(ROME)
        if local.hour < 18:
            local += timedelta(minutes=self.rng.choice([30, 60, 120, 180]))
        else:  # the night, or a long weekend: closing, escalation and expiry happen
            days = self.rng.choice([1, 1, 1, 3])
            local = (local + timedelta(days=days)).replace(hour=8, minute=0)
        self.now = local.astimezone(UTC)
        self.lines.append({"at": self.now.isoformat(), "tick": True})

    def say(self, user: str, text: str, chat: str = "group") -> None:
        self.commands += 1
        self.lines.append(
            {"at": self.now.isoformat(), "user": user, "name": PEOPLE[user], "chat": chat,
             "text": text}
        )  # fmt: skip

    def unique(self) -> int:
        self.tag += 1
        return self.tag

    def number(self) -> int:
        return self.rng.randint(1, max(1, self.asks))

    def random_command(self) -> None:
        if self.payments and self.rng.random() < 0.05:  # Anna goes through the payments
            self.say("anna", f"/confirm {self.rng.randint(1, self.payments)}")
            return
        who = self.rng.choice(list(PEOPLE))
        mine = self.number()
        if self.rng.random() < 0.7:
            who = self.requesters.get(mine, who)
        day = (self.now.astimezone(ROME) + timedelta(days=self.rng.randint(0, 3))).date()
        skill = f"s{self.rng.randint(1, 5)}"
        choices: list[tuple[int, tuple[str, str]]] = [
            (14, (f"/checkin v{self.unique()}", "group")),
            (9, ("/checkout", "group")),
            (5, ("/who", "group")),
            (3, ("/me", "private")),
            (3, (f"/going {day.isoformat()}", "group")),
            (1, (f"/notgoing {day.isoformat()}", "group")),
            (5, (f"/skills add {skill}, t{self.unique()}", "group")),
            (2, ("/skills", "private")),
            (2, (f"/whoknows {skill}", "group")),
            (7, (f"/ask {skill}: q{self.unique()}?", "group")),
            (6, (f"/offer {self.number()}", "group")),
            (3, (f"/done {mine}", "group")),
            (3, (f"/thanks {mine}", "private")),
            (1, (f"/cancel {mine}", "group")),
            (2, ("/requests", "group")),
            (1, ("/stats", "group")),
            (1, (f"/privacy {self.rng.choice(['hidden', 'visible'])}", "group")),
            (1, ("/help", "private")),
            (1, (f"/lang {self.rng.choice(['it', 'en'])}", "private")),
            (1, ("/myexport", "private")),
            (2, (self.rng.choice(["/offer abc", "/checkin " + "x" * 300, "/nonsense"]), "group")),
        ]
        charge = self.rng.randint(1, max(1, self.charges()))
        amount = self.rng.choice(["", "", " 5", " 2,50", " 1000"])
        choices += [
            (4, (f"/paid {charge}{amount}", self.rng.choice(["group", "private"]))),
            (2, ("/due", "private")),
            (1, ("/costs", "group")),
        ]
        if who == "anna":
            payment = self.rng.randint(1, max(1, self.payments))
            payer = self.rng.choice([p for p in PEOPLE if p != "anna"])
            choices += [
                (2, ("/members", "group")),
                (1, ("/export attendance", "private")),
                (8, (f"/confirm {payment}", "group")),
                (1, ("/balance", "private")),
                (1, (f"/paid {charge} 1 @{payer}", "group")),  # cash received
                (1, ("/export costs", "private")),
            ]
        weights = [w for w, _ in choices]
        text, chat = self.rng.choices([c for _, c in choices], weights)[0]
        if text.startswith("/ask"):
            self.asks += 1
            self.requesters[self.asks] = who
        if text.startswith("/paid"):
            self.payments += 1
        self.say(who, text, chat)


def make_script(path: Path) -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    start = datetime(2026, 11, 2, 8, 0, tzinfo=ROME).astimezone(UTC)
    s = Scripter(rng, start, [{"at": start.isoformat(), "tick": True}])
    s.say("anna", "/setup Veglio")
    s.say("anna", "/set join open")
    s.say("anna", "/set closing 19:00")
    for user in PEOPLE:
        if user != "anna":
            s.say(user, "/join")
    s.say("anna", "/shares dario 2")
    end = start + timedelta(days=60)
    for line, schedule in COSTS.values():
        s.say("anna", line)
        s.due_moments += [moment(due, REMINDER_AT, ROME) for due in due_dates(schedule, s.now, end)]
    while s.commands < COMMANDS:
        if s.commands == COMMANDS // 2:
            s.say("hugo", "/forgetme confirm", "private")  # erasure under crashes too
        elif s.commands == COMMANDS // 2 + 40:
            s.say("hugo", "/join")
        elif rng.random() < 0.12:
            s.tick()
        else:
            s.random_command()
    s.tick()  # a last tick, so the jobs see everything the script did
    path.write_text("".join(json.dumps(line) + "\n" for line in s.lines), "utf-8")
    return s.lines


def due_dates(schedule: Schedule, created: datetime, until: datetime) -> list[date]:
    """The due dates of a cost added at `created` whose reminder time comes by `until`."""
    out: list[date] = []
    due = schedule.due_from(created.astimezone(ROME).date())
    while due is not None and moment(due, REMINDER_AT, ROME) <= until:
        out.append(due)
        due = schedule.due_after(due)
    return out


@dataclass(frozen=True)
class CostsDue:
    """What the costs job must have done by the end of the script, worked out from the
    script alone: (cost, due date) of every charge and every before-due reminder."""

    charges: Counter[tuple[str, str]]
    reminders: Counter[tuple[str, str]]


def costs_due(lines: list[dict[str, Any]]) -> CostsDue:
    ticks = [datetime.fromisoformat(line["at"]) for line in lines if line.get("tick")]
    end = ticks[-1]
    charges: Counter[tuple[str, str]] = Counter()
    reminders: Counter[tuple[str, str]] = Counter()
    for name, (text, schedule) in COSTS.items():
        created = next(datetime.fromisoformat(x["at"]) for x in lines if x.get("text") == text)
        # A charge for every due date whose reminder time a tick reached…
        for due in due_dates(schedule, created, end):
            charges[name, due.isoformat()] += 1
        # …and a reminder for every due date, reminder time ahead, that a tick saw in
        # the days before it (a cost added after that time gets none).
        for due in due_dates(schedule, created, end + timedelta(days=REMIND_DAYS_BEFORE)):
            slot = due - timedelta(days=REMIND_DAYS_BEFORE)
            seen = any(slot <= reached_day(t, ROME, REMINDER_AT) < due for t in ticks)
            if seen and moment(slot, REMINDER_AT, ROME) >= created:
                reminders[name, due.isoformat()] += 1
    return CostsDue(charges, reminders)


# -- running it -----------------------------------------------------------------------------


def received_by(workdir: Path, pid: int) -> int:
    """The highest script line the process `pid` has started on, or -1; past every line
    once it has read the whole script (a fast bot gets there before a late kill point)."""
    path = workdir / "trace.log"
    if not path.exists():
        return -1
    best = -1
    prefix = f"{pid} recv "
    for line in path.read_text("utf-8").splitlines():
        if line.startswith(prefix):
            best = max(best, int(line[len(prefix) :]))
        elif line == f"{pid} end":
            return sys.maxsize
    return best


def finish(proc: subprocess.Popen[bytes]) -> None:
    assert proc.wait(timeout=RUN_TIMEOUT) == 0, "the bot did not finish the script cleanly"


def run_with_kills(workdir: Path, lines: int) -> int:
    rng = random.Random(SEED + 1)
    points: list[tuple[str, float]] = [
        ("line", i) for i in sorted(rng.sample(range(12, lines - 40), KILLS - EARLY_KILLS))
    ]
    for _ in range(EARLY_KILLS):
        points.insert(rng.randrange(len(points) + 1), ("after", rng.uniform(0.05, 0.8)))
    kills = 0
    for kind, where in points:
        # --stay: a bot that has read the whole script waits for more, as a real one
        # does, so a kill near the end of the script still finds it running.
        proc = start_bot(workdir, "--stay")
        try:
            if kind == "after":
                time.sleep(where)
            else:
                deadline = time.monotonic() + RUN_TIMEOUT
                while received_by(workdir, proc.pid) < where and proc.poll() is None:
                    assert time.monotonic() < deadline, "the bot made no progress"
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.02))
            assert proc.poll() is None, "the bot ended before it could be killed"
        finally:  # a failed run leaves no bot waiting behind it
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        kills += 1
    finish(start_bot(workdir))
    return kills


# -- comparing -------------------------------------------------------------------------------

# Columns that only say when the outbox got to a row, which depends on timing.
DELIVERY_COLUMNS = {"sent_at", "delivery_id", "attempts"}


def dump(db: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version'"
            )
        ]
        out: dict[str, Counter[tuple[Any, ...]]] = {}
        for name in names:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
            if name == "outbox":
                columns = [c for c in columns if c not in DELIVERY_COLUMNS and c != "id"]
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {name}").fetchall()
            out[name] = Counter(tuple(r) for r in rows)
        return out
    finally:
        conn.close()


def outbox_rows(db: Path) -> dict[int, tuple[str, str, str]]:
    conn = sqlite3.connect(db)
    try:
        return {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute("SELECT id, state, chat_id, html FROM outbox")
        }
    finally:
        conn.close()


def count_like(db: Path, sql: str, value: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql, (value,)).fetchone()[0])
    finally:
        conn.close()


CHARGES = "SELECT k.name, c.due_on FROM charges c JOIN costs k ON k.id = c.cost_id"
REMINDERS = "SELECT k.name, r.due_on FROM cost_reminders r JOIN costs k ON k.id = r.cost_id"
# The messages, by what only they carry: a charge's notice has its `paid <id>` button
# and starts with the cost's name; a reminder names the cost after "Reminder:" (in
# either language); a payment reminder starts with its title. Erased Hugo's are blank.
CHARGE_NOTICES = (
    "SELECT c.id, o.chat_id FROM outbox o JOIN charges c"
    " ON o.buttons LIKE '%\"paid ' || c.id || '\"%' AND o.html LIKE '<b>' || c.name || '</b>,%'"
)
REMINDER_NOTICES = (
    "SELECT k.name, o.chat_id FROM outbox o JOIN costs k"
    " ON o.html LIKE 'Reminder: <b>' || k.name || '</b>%'"
    " OR o.html LIKE 'Promemoria: <b>' || k.name || '</b>%'"
)
NAGS = (
    "SELECT o.chat_id, o.html FROM outbox o"
    " WHERE o.html LIKE '<b>Still to pay</b>%' OR o.html LIKE '<b>Ancora da pagare</b>%'"
)


def costs_done(db: Path, sql: str) -> Counter[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return Counter(tuple(r) for r in conn.execute(sql))
    finally:
        conn.close()


@pytest.mark.timeout(400)
def test_killed_twenty_times_ends_exactly_like_never_killed(tmp_path: Path) -> None:
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    for workdir in (reference, crashed):
        workdir.mkdir()
        lines = make_script(workdir / "script.jsonl")
    messages = [i for i, line in enumerate(lines) if not line.get("tick")]
    assert len(messages) == COMMANDS

    finish(start_bot(reference))
    kills = run_with_kills(crashed, len(lines))
    assert kills == KILLS

    db = Path("data") / "coworkbot.db"
    want, got = dump(reference / db), dump(crashed / db)
    assert sorted(got) == sorted(want)
    for table in want:
        assert got[table] == want[table], f"{table} differs after the crashes"

    # Every command was processed exactly once: each update id is recorded once…
    assert set(want["processed_updates"]) and {r[0] for r in got["processed_updates"]} == {
        f"memory:u{i}" for i in messages
    }
    # …and each unique check-in note and question is there once, or as often as in the
    # run never killed (a check-in refused as a second one, Hugo's erased question).
    for line in (lines[i] for i in messages):
        text = line["text"]
        for prefix, sql in (
            ("/checkin v", "SELECT COUNT(*) FROM visits WHERE note = ?"),
            ("/ask ", "SELECT COUNT(*) FROM help_requests WHERE question = ?"),
        ):
            if text.startswith(prefix):
                value = text.split(" ", 1)[1] if prefix == "/checkin v" else text.split(": ")[1]
                n = count_like(crashed / db, sql, value)
                assert n == count_like(reference / db, sql, value) and n <= 1, text

    # Costs: every charge and every before-due reminder the schedules call for by the
    # last tick is there exactly once, none skipped, in both runs; and the messages that
    # tell them (a charge to each member with a share, a reminder to the admin) are in
    # the outbox as often as in the run never killed.
    due = costs_due(lines)
    assert len(due.charges) >= 3 and len(due.reminders) >= 4
    for workdir in (reference, crashed):
        assert costs_done(workdir / db, CHARGES) == due.charges, workdir.name
        assert costs_done(workdir / db, REMINDERS) == due.reminders, workdir.name
    reminded = costs_done(crashed / db, REMINDER_NOTICES)
    assert Counter(name for name, _ in reminded.elements()) == Counter(
        name for name, _ in due.reminders.elements()
    )  # one admin, Anna: one message per reminder
    for sql in (CHARGE_NOTICES, REMINDER_NOTICES, NAGS):
        told = costs_done(crashed / db, sql)
        assert told == costs_done(reference / db, sql) and told, sql
    assert sum(want["payments"].values()) > 0 and sum(want["charge_shares"].values()) > 0
    confirmed = count_like(
        crashed / db, "SELECT COUNT(*) FROM payments WHERE state = ?", "confirmed"
    )
    assert confirmed == count_like(
        reference / db, "SELECT COUNT(*) FROM payments WHERE state = ?", "confirmed"
    )

    # Every message in the outbox is sent and reached the platform; nothing else did.
    rows = outbox_rows(crashed / db)
    assert {state for state, _, _ in rows.values()} == {"sent"}
    sends = delivered(crashed)
    keys = Counter(s["key"] for s in sends)
    assert set(keys) == set(rows)
    for s in sends:
        _, chat, html = rows[s["key"]]
        if chat:  # not blanked by forgetme since
            assert (s["chat"], s["html"]) == (chat, html)
    duplicates = sum(n - 1 for n in keys.values())
    reference_sends = Counter(s["key"] for s in delivered(reference))
    assert set(reference_sends.values()) == {1}
    assert len(sends) - duplicates == len(reference_sends)

    received = Counter(
        int(line.split()[2])
        for line in (crashed / "trace.log").read_text("utf-8").splitlines()
        if line.split()[1] == "recv"
    )
    again = sum(1 for n in received.values() if n > 1)
    notices = len({s["key"] for s in sends if not s["reply_to"]})
    ledger = {
        what: sum(costs_done(crashed / db, sql).values())
        for what, sql in (
            ("charge notices", CHARGE_NOTICES),
            ("payment reminders", NAGS),
            ("payments", "SELECT id FROM payments"),
        )
    }
    print(
        f"\ncosts: {len(due.charges)} charges and {len(due.reminders)} before-due reminders"
        f" exactly once, {confirmed} payments confirmed; "
        + ", ".join(f"{n} {what}" for what, n in ledger.items())
    )
    print(
        f"crash: {len(messages)} commands and {len(lines) - len(messages)} ticks fed,"
        f" {kills} kills, {again} lines delivered again after a kill,"
        f" {len(rows)} messages ({notices} not replies: notices, posts, jobs) all sent,"
        f" {duplicates} sent twice"
        " (killed between the platform's answer and the outbox's record)"
    )
