"""A month of a real community, played in the console: Anna (the admin, at the keyboard),
Bruno, Carla, Dario and Elena join, come and go, share costs and fix their visits, and
the console's clock moves on (`:wait`) through closing times, reminders and the first
charges. It is the real console transport, app, handlers and SQLite file, in-process;
every reply the story relies on is checked."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli import console_app
from bot.clock import FakeClock
from bot.config import demo_config
from bot.transports.console import ConsoleTransport
from coworkbot import routers

ROME = ZoneInfo("Europe/Rome")
START = datetime(2026, 11, 2, 8, 30, tzinfo=ROME)  # a Monday

# (what is typed, what must be in the answers it gets; "!" first: must NOT be there)
STORY: list[tuple[str, list[str]]] = [
    # Monday 2 November: the space opens its doors.
    ("/set join approval", ["[bot, group] Done: join approval."]),
    (":as Bruno", ["(now speaking as Bruno)"]),
    ("/join", ["Thanks, Bruno: I've asked the admins of Demo to approve you.",
               "[bot, private to local] Bruno (#2) asks to join Demo.", "[Approve]"]),
    (":as me", []),
    ("/members", ["#1 Anna — admin", "Waiting for approval\n#2 Bruno"]),
    ("/approve Bruno", ["Bruno is now a member.", "[bot, private to bruno] You're in"]),
    ("/set join open", ["Done: join open."]),
    (":as Carla", []),
    ("/join", ["Welcome to Demo, Carla!"]),
    (":as Dario", []),
    ("/join", ["Welcome to Demo, Dario!"]),
    ("/lang it", ["Ti parlerò in italiano."]),
    ("/members", ["Members of Demo", "#1 Anna — admin", "#4 Dario — member", "!Waiting"]),
    (":as Elena", []),
    ("/join", ["Welcome to Demo, Elena!"]),
    (":as me", []),
    ("/help cost", ["/cost has these commands:", "/cost add <name> <amount>",
                    "/cost remove <id> — stop a cost"]),
    ("/cost add Heating 150 monthly 1", ["Cost #1 Heating: €150.00, monthly on day 1",
                                         "First charge on Tue, 1 Dec 2026, for 1 Nov – 30 Nov"]),
    ("/cost add coffee 12.345 monthly 5",
     ["“12.345” reads two ways: €12,345.00 or €12.35.", "(type /cost add coffee 12.35 monthly 5)"]),
    ("/cost add coffee 12.35 monthly 5", ["Cost #2 coffee: €12.35"]),
    ('/cost add "new kettle" 45,90 once today',
     ["Cost #3 new kettle: €45.90, once, on Mon, 2 Nov 2026",
      "One charge, shared by the members of that day.", "! – "]),
    ("/cost add Roof 9000 once 2026-11-20",
     ["is more than 20 times the largest cost here (€150.00)", "[Yes, add it]"]),
    (":as Bruno", []),
    ("/checkin 08:00", ["Welcome, Bruno! You checked in at 08:00."]),
    (":as Carla", []),
    ("/privacy hidden", ["Your presence is now hidden"]),
    ("/checkin", ["[bot, private] Welcome, Carla! You checked in at 08:30.", "![bot, group]"]),
    (":as Dario", []),
    ("/who", ["2 people in (10 desks)", "Bruno — since 08:00",  # the group's language
              "(1 person prefers not to be named)"]),
    (":as me", []),
    (":wait 1h", ["(it is now Mon 02 Nov 2026 09:30)",
                  "[bot, private to bruno] new kettle: your share is €9.18 of €45.90"
                  " (split equally among 5).",
                  "[bot, private to dario] new kettle: la tua quota è €\u00a09,18 su €\u00a045,90",
                  "[bot, private] Reminder: coffee (€12.35, split equally) falls due on"
                  " Thu, 5 Nov 2026."]),
    (":wait 11h", ["(it is now Mon 02 Nov 2026 20:30)",
                   "[bot, private to bruno] It's closing time at Demo: I checked you out at"
                   " 20:00. You were here for 12 h."]),
    (":as Bruno", []),
    ("/checkout 18:30", ["Fixed: your visit today is now 08:00–18:30 (10 h 30 min);"
                         " it said 20:00."]),
    ("/checkout 21:00", ["It isn't 21:00 yet today"]),
    # Tuesday: Elena leaves for good, Dario leaves and comes back, Carla is removed.
    (":wait 13h", ["(it is now Tue 03 Nov 2026 09:30)"]),
    (":as Elena", []),
    (":private", []),
    ("/forgetme confirm", ["Done: I've forgotten you."]),
    (":group", []),
    (":as Dario", []),
    ("/leave", ["You've left Demo. You can come back with /join."]),
    (":wait 2d", ["(it is now Thu 05 Nov 2026 09:30)",
                  # Coffee for 5 Oct – 4 Nov: Elena is forgotten, Dario was in 2 of 3 days.
                  "[bot, private to bruno] coffee, 5 Oct – 4 Nov 2026: your share is €3.37 of"
                  " €12.35 (split equally among 4).",
                  "[bot, private] coffee, 5 ott – 4 nov 2026: la tua quota è €\u00a02,24 su"
                  " €\u00a012,35 (divisa in parti uguali fra 4, per i tuoi 2 giorni da membro"
                  " su 3).",
                  "!to elena"]),
    ("/join", ["Welcome to Demo, Dario!"]),
    (":as me", []),
    ("/remove Carla", ["Remove Carla from Demo?", "[Yes, remove]  (type /remove #3 confirm)"]),
    ("/remove #3 confirm", ["Carla is no longer a member of Demo: no more charges from today.",
                            "Still owed: €12.55",
                            "[bot, private to carla] You've been removed from Demo."]),
    ("/visit fix Bruno 2026-11-04 09:00-17:00", ["Recorded a visit by Bruno on Wed, 4 Nov 2026:"
                                                 " 09:00–17:00 (8 h).",
                                                 "[bot, private to bruno] Anna recorded a visit"]),
    ("/settings", ["escalate_after_hours 4", "closing_time 20:00", "join open"]),
    ("/set expire_after_days 10 giorni", ["Done: expire_after_days 10."]),
    # To 1 December: the heating of November is charged, by the days each belonged.
    # Heating of November, by the days each belonged: Anna and Bruno 29, Dario 2 + 26
    # (he left and came back), Carla 4 (removed on the 5th), Elena none (forgotten).
    (":wait 26d", ["(it is now Tue 01 Dec 2026 09:30)",
                   "[bot, private] Heating, 1 Nov – 30 Nov 2026: your share is €48.33 of"
                   " €150.00 (split equally among 4).",
                   "[bot, private to carla] Heating, 1 Nov – 30 Nov 2026: your share is €6.67 of"
                   " €150.00 (split equally among 4, for your 4 days as a member out of 29).",
                   "[bot, private to dario] Heating, 1 nov – 30 nov 2026: la tua quota è"
                   " €\u00a046,67 su €\u00a0150,00 (divisa in parti uguali fra 4, per i tuoi 28"
                   " giorni da membro su 29).",
                   "[bot, private] Shared costs: November 2026\n"
                   "Fell due in the month: 2 charges, €58.25.\n"
                   "Of those, still owed: €58.25, by 5 members.",
                   "!December", "!to elena"]),
    (":private", []),
    ("/balance", ["Open charges", "#3 Heating (1 Nov – 30 Nov 2026): €150.00",
                  "• Carla owes €6.67", "• Dario owes €46.67", "Carla: €19.22",
                  "#1 new kettle: €45.90, due Mon, 2 Nov 2026"]),
    (":as Bruno", []),
    ("/due", ["What you owe", "#1 new kettle, due Mon, 2 Nov 2026: €9.18",
              "#3 Heating (1 Nov – 30 Nov 2026), due Tue, 1 Dec 2026: €48.33",
              "Still to pay: €60.88."]),
    (":as Carla", []),  # removed, and still able to see and pay what she owes
    ("/due", ["#1 new kettle, due Mon, 2 Nov 2026: €9.18", "Still to pay: €19.22."]),
    ("/paid 1", ["Noted: you paid €9.18 for new kettle (charge #1).",
                 "[bot, private to local] Carla says they've paid €9.18"]),
    (":quit", []),
]  # fmt: skip


def blocks(transcript: str) -> list[tuple[str, str]]:
    """(line typed, what followed it) for every line of the transcript."""
    out: list[tuple[str, list[str]]] = []
    for line in transcript.splitlines():
        speaker, _, typed = line.partition("> ")
        if typed and speaker.endswith(("(group)", "(private)")):
            out.append((typed, []))
        elif out:
            out[-1][1].append(line)
    return [(typed, "\n".join(lines)) for typed, lines in out]


async def console(tmp_path: Path, lines: list[str]) -> str:
    """Type `lines` into the console (Anna at the keyboard); the transcript it printed."""
    out = io.StringIO()
    transport = ConsoleTransport(
        user_id="local",
        display_name="Anna",
        exports_dir=tmp_path / "exports",
        stdin=io.StringIO("".join(line + "\n" for line in lines)),
        stdout=out,
        clock=FakeClock(START),
        timezone=ROME,
    )
    config = demo_config(tmp_path / "data", "console:local", "en")
    app = console_app(config, transport, routers(), background=False)
    assert await asyncio.wait_for(app.run(), 60) == 0
    return out.getvalue()


async def test_a_month_of_five_people_in_the_console(tmp_path: Path) -> None:
    transcript = await console(tmp_path, [typed for typed, _ in STORY])
    answered = blocks(transcript)
    assert [typed for typed, _ in answered] == [typed for typed, _ in STORY]
    for (typed, expected), (_, answers) in zip(STORY, answered, strict=False):
        for snippet in expected:
            if snippet.startswith("!"):
                assert snippet[1:] not in answers, (typed, snippet, answers)
            else:
                assert snippet in answers, (typed, snippet, answers)


async def test_each_export_in_the_console_is_a_file_of_its_own(tmp_path: Path) -> None:
    """Every /myexport wrote data/exports/my-data-<day>.json: one member's replaced another's."""
    transcript = await console(
        tmp_path,
        [":as Bruno", "/join", ":private", "/myexport", ":as me", "/myexport", "/myexport"],
    )
    saved = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert saved == [
        "bruno-my-data-2026-11-02.json",
        "local-my-data-2026-11-02-2.json",
        "local-my-data-2026-11-02.json",
    ]
    bruno = json.loads((tmp_path / "exports" / saved[0]).read_text("utf-8"))
    assert bruno["memberships"][0]["member"]["name"] == "Bruno"
    assert transcript.count("file saved:") == 3
