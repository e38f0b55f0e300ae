"""`forgetme`: after a confirmation, nothing personal is left, anywhere, even after a
restart and in a backup; the ledger keeps an anonymous placeholder."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bot.testing import BotHarness
from handlers.privacy.traces import Traces, mentions, outbox_plan, traces
from storage.privacy import OutboxText
from tests.support.postgres import pg_tool
from tests.support.privacy import bytes_found, find_everywhere, member_of

NAME = "Bruno Zanetti"
USER_ID = "brunozanetti"  # BotHarness.user(NAME): also his username
NOTE = "fixing-the-kiln-7731"
QUESTION = "where-is-the-ladder-4412?"
SKILL = "Intarsio5521"
SECRETS = [NAME, "Zanetti", USER_ID, NOTE, "kiln-7731", QUESTION, "ladder-4412", SKILL]


async def history(bot: BotHarness) -> int:
    """Anna (admin), Carla and Bruno Zanetti with a bit of everything; Bruno's id."""
    await bot.setup_space("Anna", members=["Carla", NAME])
    await bot.say(f"/checkin {NOTE}", as_=NAME)
    await bot.say("/who", as_="Carla")
    await bot.say("/checkout", as_=NAME)
    await bot.say("/going tomorrow", as_=NAME)
    await bot.say(f"/skills add Falegnameria, Ceramica, {SKILL}", as_=NAME)
    await bot.say("/skills add Python", as_="Carla")
    await bot.say(f"/ask Python: {QUESTION}", as_=NAME)
    await bot.say("/offer 1", as_="Carla")
    await bot.say("/thanks 1", as_=NAME)
    await bot.say("/ask Ceramica: glaze temperature?", as_="Carla")
    await bot.say("/offer 2", as_=NAME)
    await bot.say("/done 2", as_="Carla")
    await bot.say("/thanks 2", as_="Carla")
    await bot.say(f"/ask Falegnameria: {QUESTION} again", as_=NAME)  # stays open
    await bot.say("/cost add Internet 30 once 2026-11-25", as_="Anna")
    await bot.tick()  # charge #1 at once: €10 for each of the three
    await bot.say("/paid 1 4", as_=NAME)
    await bot.say("/confirm 1", as_="Anna")
    await bot.say("/paid 1", as_=NAME)  # the €6 left, declared
    await bot.say("/due", as_=NAME, chat="private")
    await bot.say("/balance", as_="Anna", chat="private")
    await bot.say("/requests", as_="Anna")
    await bot.say("/myexport", as_=NAME, chat="private")
    await bot.say("/link", as_=NAME, chat="private")
    await bot.say("/stats", as_="Anna", chat="private")
    await bot.say("/members", as_="Anna")
    bruno = await member_of_name(bot)
    return bruno


async def costs_ledger(bot: BotHarness) -> dict[str, list[tuple[object, ...]]]:
    shares = await bot.fetchall("SELECT charge_id, member_id, amount FROM charge_shares")
    payments = await bot.fetchall(
        "SELECT charge_id, member_id, amount, state FROM payments ORDER BY id"
    )
    return {"shares": [tuple(r) for r in shares], "payments": [tuple(r) for r in payments]}


async def member_of_name(bot: BotHarness) -> int:
    value = await member_of(bot, f"memory:{USER_ID}")
    assert value is not None
    return value


async def test_forgetme_asks_first_and_changes_nothing(bot: BotHarness) -> None:
    bruno = await history(bot)
    before = await bot.fetchall("SELECT * FROM members ORDER BY id")
    sent = await bot.say("/forgetme", as_=NAME, chat="private")
    assert len(sent) == 1
    assert sent[0].text.startswith("Forget you? In Veglio I'll erase your name")
    assert "send /forgetme confirm" in sent[0].text
    assert [(b.label, b.command) for b in sent[0].buttons] == [
        ("Yes, forget me", "forgetme confirm")
    ]
    assert await bot.fetchall("SELECT * FROM members ORDER BY id") == before
    assert await member_of_name(bot) == bruno

    sent = await bot.say("/forgetme confirm", as_=NAME)
    assert sent[0].text == "/forgetme is private: send it to me in a private chat."
    sent = await bot.say("/forgetme yes", as_=NAME, chat="private")
    assert sent[0].text.startswith("“yes” isn't one of: confirm.")
    assert await member_of_name(bot) == bruno


async def test_forgetme_erases_everything_personal_and_keeps_the_ledger(
    bot: BotHarness, tmp_path: Path
) -> None:
    bruno = await history(bot)
    carla = await member_of(bot, "memory:carla")
    visits_before = await bot.fetchall(
        "SELECT id, local_date, checkin_at, checkout_at FROM visits WHERE member_id = ?", (bruno,)
    )
    assert len(visits_before) == 1
    ledger = await costs_ledger(bot)
    anna = await member_of(bot, "memory:anna")
    assert sorted(ledger["shares"]) == sorted([(1, m, 1000) for m in (anna, bruno, carla)])
    assert ledger["payments"] == [(1, bruno, 400, "confirmed"), (1, bruno, 600, "declared")]
    assert await find_everywhere(bot, SECRETS)  # there is something to erase

    ask = (await bot.say("/forgetme", as_=NAME, chat="private"))[0]
    sent = await bot.press(ask, "Yes, forget me", as_=NAME)
    assert len(sent) == 1 and sent[0].private and sent[0].to == USER_ID
    assert sent[0].text.startswith("Done: I've forgotten you.")

    # The placeholder: same id, no name, no account, gone; the ledger rows stay with it.
    member = dict((await bot.fetchall("SELECT * FROM members WHERE id = ?", (bruno,)))[0])
    assert (member["display_name"], member["username"], member["status"], member["role"]) == (
        f"#{bruno}",
        "",
        "left",
        "member",
    )
    assert await bot.count("identities", member_id=bruno) == 0
    assert await bot.fetchval("SELECT member_id FROM erasures") == bruno
    visits = await bot.fetchall(
        "SELECT id, local_date, checkin_at, checkout_at, note FROM visits WHERE member_id = ?",
        (bruno,),
    )
    assert [tuple(v)[:4] for v in visits] == [tuple(v) for v in visits_before]
    assert [v["note"] for v in visits] == [""]
    for table in ("planned_visits", "skills", "help_notices", "link_codes"):
        count = await bot.fetchval(f"SELECT COUNT(*) FROM {table} WHERE member_id = ?", (bruno,))
        assert count == 0, table
    requests = await bot.fetchall(
        "SELECT number, requester_id, helper_id, state, question FROM help_requests ORDER BY 1"
    )
    assert [tuple(r) for r in requests] == [
        (1, bruno, carla, "cancelled", ""),
        (2, carla, bruno, "resolved", "glaze temperature?"),
        (3, bruno, None, "cancelled", ""),
    ]
    kudos = await bot.fetchall("SELECT helper_id, given_by FROM kudos ORDER BY id")
    assert [tuple(k) for k in kudos] == [(carla, bruno), (bruno, carla)]
    # The ledger is untouched: his share and payments stay with the placeholder, the
    # charge still adds up, and admins can still settle what he declared.
    assert await costs_ledger(bot) == ledger
    sent = await bot.say("/balance", as_="Anna", chat="private")
    assert f"• #{bruno} owes €6.00 of €10.00 (€6.00 declared" in sent[0].text
    assert NAME not in sent[0].text
    sent = await bot.say("/confirm 2", as_="Anna")
    assert sent[0].text.startswith(f"Payment #2 confirmed: #{bruno} paid €6.00")
    assert len(sent) == 1  # nobody to tell: the placeholder has no account
    assert await bot.fetchval("SELECT state FROM payments WHERE id = 2") == "confirmed"

    # After a restart (jobs run at start), nothing of him is left in any table…
    await bot.restart()
    await bot.tick()
    assert await find_everywhere(bot, SECRETS) == []
    assert await bot.count("outbox_wipe") == 0
    if bot.app.store.engine == "postgresql":
        # The erased rows' old versions were vacuumed away by the job that ran…
        vacuumed = await bot.fetchval(
            "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables"
            " WHERE relname = 'identities' AND schemaname = current_schema()"
        )
        assert vacuumed
        # …and nothing is in a backup made now (pg_dump). What stays in the WAL and in
        # older backups until they rotate: README, "Erasure on PostgreSQL".
        backup = tmp_path / "backup.dump"
        await bot.app.store.db.backup(backup)
        restored = subprocess.run(  # noqa: ASYNC221 (a test: one short run)
            [pg_tool("pg_restore"), "--file=-", str(backup)],
            capture_output=True,
            check=True,
        ).stdout
        assert b"CREATE TABLE" in restored and b"members" in restored
        assert [n for n in SECRETS if n.lower().encode() in restored.lower()] == []
        return
    assert await bot.fetchval("PRAGMA integrity_check") == "ok"
    # …nor in a backup made now, nor in the database file's bytes (free pages included:
    # secure_delete zeroes what is deleted, whatever the SQLite build's default).
    assert await bot.fetchval("PRAGMA secure_delete") == 1
    backup = tmp_path / "backup.db"
    await bot.app.store.db.backup(backup)
    assert bytes_found(backup, SECRETS) == []
    await bot.close()
    database = bot.config.database_path
    assert bytes_found(database, SECRETS) == []
    assert bytes_found(database.with_name(database.name + "-wal"), SECRETS) == []


async def test_the_forgotten_can_join_again_as_new(bot: BotHarness) -> None:
    bruno = await history(bot)
    await bot.say("/forgetme confirm", as_=NAME, chat="private")
    sent = await bot.say("/who", as_=NAME)
    assert sent[0].text.startswith("This is for members.")
    sent = await bot.say("/join", as_=NAME)
    assert sent[0].text.startswith(f"Welcome to Veglio, {NAME}!")
    again = await member_of_name(bot)
    assert again != bruno
    sent = await bot.say("/me", as_=NAME)
    assert sent[0].text.endswith("November 2026: no visits\nOctober 2026: no visits")
    sent = await bot.say("/skills", as_=NAME)
    assert "Falegnameria" not in sent[0].text
    # Others see no trace of the old one, and the open request is gone.
    sent = await bot.say("/requests", as_="Carla")
    assert "#3" not in sent[0].text
    sent = await bot.say("/whoknows Ceramica", as_="Carla")
    assert NAME not in sent[0].text


async def test_the_only_admin_must_hand_over_first(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Carla"])
    sent = await bot.say("/forgetme confirm", as_="Anna", chat="private")
    assert sent[0].text.startswith("You're the only admin of Veglio")
    assert await member_of(bot, "memory:anna") is not None
    await bot.say("/promote Carla", as_="Anna")
    sent = await bot.say("/forgetme confirm", as_="Anna", chat="private")
    assert sent[0].text.startswith("Done: I've forgotten you.")
    assert await member_of(bot, "memory:anna") is None


async def test_pending_and_departed_members_can_be_forgotten(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Carla"], join="approval")
    await bot.say("/join", as_="Piero")
    sent = await bot.say("/forgetme confirm", as_="Piero", chat="private")
    assert sent[0].text.startswith("Done: I've forgotten you.")
    assert await member_of(bot, "memory:piero") is None
    await bot.say("/leave", as_="Carla")
    sent = await bot.say("/forgetme confirm", as_="Carla", chat="private")
    assert sent[0].text.startswith("Done: I've forgotten you.")
    assert await member_of(bot, "memory:carla") is None
    sent = await bot.say("/forgetme", as_="Nora", chat="private")
    assert sent[0].text == "I keep nothing about you: you're not a member of any space."
    assert await bot.count("erasures") == 2


async def test_forgetme_in_italian(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Carla"])
    await bot.say("/lang it", as_="Carla")
    sent = await bot.say("/forgetme", as_="Carla", chat="private")
    assert sent[0].text.startswith("Vuoi che cancelli i tuoi dati? In Veglio cancellerò")
    assert [b.label for b in sent[0].buttons] == ["Sì, cancella i miei dati"]
    sent = await bot.say("/forgetme conferma", as_="Carla", chat="private")
    assert sent[0].text.startswith("Fatto: ho cancellato i tuoi dati.")


async def test_myexport_holds_all_my_data(bot: BotHarness) -> None:
    bruno = await history(bot)
    sent = await bot.say("/myexport", as_=NAME, chat="private")
    assert len(sent) == 1 and sent[0].private and sent[0].document is not None
    assert sent[0].text.startswith("Here's everything I keep about you, as JSON")
    assert sent[0].document.mime_type == "application/json"
    assert sent[0].document.filename == "my-data-2026-11-25.json"
    data = json.loads(sent[0].document.content)
    assert data["format"] == "coworkbot-export/1"
    assert data["asked_from"] == f"memory:{USER_ID}"
    [mine] = data["memberships"]
    assert mine["space"] == "Veglio"
    assert mine["member"]["id"] == bruno and mine["member"]["name"] == NAME
    assert [a["account"] for a in mine["member"]["accounts"]] == [f"memory:{USER_ID}"]
    assert [v["note"] for v in mine["presence"]["visits"]] == [NOTE]
    assert mine["presence"]["planned_days"] == ["2026-11-26"]
    assert [s["skill"] for s in mine["skills"]["skills"]] == ["Ceramica", "Falegnameria", SKILL]
    assert [(r["number"], r["question"]) for r in mine["skills"]["requests_asked"]] == [
        (1, QUESTION),
        (3, f"{QUESTION} again"),
    ]
    assert [r["number"] for r in mine["skills"]["requests_helped"]] == [2]
    assert mine["skills"]["kudos_received"][0]["request"] == 2
    assert mine["skills"]["kudos_given"][0]["request"] == 1
    assert mine["privacy"] == {"unused_link_codes": 1}
    costs = mine["costs"]
    assert [
        (s["charge"], s["name"], s["due_on"], s["amount"], s["currency"]) for s in costs["shares"]
    ] == [(1, "Internet", "2026-11-25", 1000, "EUR")]
    assert (costs["shares"][0]["confirmed"], costs["shares"][0]["declared"]) == (400, 600)
    assert costs["shares"][0]["charge_amount"] == 3000
    assert [
        (p["id"], p["charge"], p["name"], p["amount"], p["state"]) for p in costs["payments"]
    ] == [(1, 1, "Internet", 400, "confirmed"), (2, 1, "Internet", 600, "declared")]
    assert costs["payments"][0]["declared_at"] == "2026-11-25T08:00:00Z"
    assert costs["payments"][0]["confirmed_at"] == "2026-11-25T08:00:00Z"
    assert costs["payments"][1]["confirmed_at"] is None
    # Nothing about anyone else.
    assert "Carla" not in sent[0].document.content.decode()


async def test_myexport_is_private_and_for_people_i_know(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Carla"])
    sent = await bot.say("/myexport", as_="Carla")
    assert sent[0].text == "/myexport is private: send it to me in a private chat."
    assert all(s.document is None for s in bot.sent)
    sent = await bot.say("/myexport", as_="Nora", chat="private")
    assert sent[0].text.startswith("You're not a member of any space yet.")
    await bot.say("/leave", as_="Carla")
    await bot.say("/lang it", as_="Anna")
    sent = await bot.say("/myexport", as_="Carla", chat="private")
    assert sent[0].document is not None
    assert json.loads(sent[0].document.content)["memberships"][0]["member"]["status"] == "left"
    sent = await bot.say("/myexport", as_="Anna", chat="private")
    assert sent[0].text.startswith("Ecco tutto quello che conservo su di te, in JSON")


def row(
    id_: int,
    text: str,
    *,
    pending: bool = False,
    private: bool = False,
    chat: str = "group",
    member: int | None = None,
) -> OutboxText:
    return OutboxText(id_, "memory", chat, private, pending, member, text)


def test_outbox_plan_blanks_what_names_the_person() -> None:
    found = traces(
        [
            {
                "member": {
                    "name": "Bruno O'Neil",
                    "username": "bon",
                    "accounts": [{"account": "memory:bon"}],
                },
                "presence": {"visits": [{"note": "kiln"}, {"note": ""}]},
                "skills": {"requests_asked": [{"question": "first line\nsecond"}]},
            }
        ]
    )
    assert found.chats == {"bon"}
    assert {"Bruno O'Neil", "bon", "kiln", "first line", "second"} <= found.texts
    assert mentions("<b>Bruno O&#x27;Neil</b> is in", found)
    assert mentions("@\u2060Bruno O'Neil", found)  # mention defused with a word joiner
    assert mentions("#1 first line second…", found)
    assert not mentions("Carla is in", Traces(frozenset({"Bruno"}), frozenset()))
    plan = outbox_plan(
        [
            row(1, "Carla is in"),
            row(2, "Bruno O&#x27;Neil is in"),
            row(3, "Bruno O&#x27;Neil is in", pending=True),
            row(4, "your code", private=True, chat="bon", pending=True),
            row(5, "hello", private=True, chat="carla", member=7),
            row(6, "old reply", private=True, chat="x", member=9),
        ],
        found,
        {9},
    )
    assert plan.blank == [2, 4, 6]
    assert plan.wipe_later == [3]
