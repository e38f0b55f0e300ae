"""Speaking and reading Italian, English and German: the words people type in their own
language (dates, `/privacy nascosto`, `/forgetme conferma`), the Italian command names
(`/entro`, `/chi`…) with the English ones working everywhere, `/lang` by code or name,
and German end to end on Telegram (the fake Bot API server) and on Matrix (Synapse)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Literal, get_args, get_origin
from zoneinfo import ZoneInfo

import pytest

import coworkbot
from bot.arguments import ArgError, parse_date
from bot.clock import FakeClock
from bot.flood import FloodGuard
from bot.i18n import Translator
from bot.registry import Registry
from bot.testing import BotHarness
from tests.support.fake_telegram import FakeLimits, FakeTelegram, TelegramBot
from tests.support.synapse.people import MatrixWorld, RunningClock

ROME = ZoneInfo("Europe/Rome")
WEDNESDAY = date(2026, 11, 25)  # the harness's day


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


# -- dates as people write them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("oggi", WEDNESDAY),
        ("domani", date(2026, 11, 26)),
        ("dopodomani", date(2026, 11, 27)),
        ("ieri", date(2026, 11, 24)),
        ("übermorgen", date(2026, 11, 27)),
        ("Heute", WEDNESDAY),
        ("tomorrow", date(2026, 11, 26)),
        ("30/11", date(2026, 11, 30)),  # without a year: the next 30 November
        ("25/11", WEDNESDAY),  # today is the next such day
        ("24/11", date(2027, 11, 24)),  # yesterday's date: next year's
        ("1.12.", date(2026, 12, 1)),  # as Germans write it
        ("29/02", date(2028, 2, 29)),  # the next leap day
        ("venerdì", date(2026, 11, 27)),
        ("venerdi", date(2026, 11, 27)),  # no accent on a phone keyboard
        ("Freitag", date(2026, 11, 27)),
        ("fri", date(2026, 11, 27)),
        ("mercoledì", WEDNESDAY),  # the day's own name is today
        ("lunedì", date(2026, 11, 30)),
        ("28.03.2027", date(2027, 3, 28)),
        ("2027-03-28", date(2027, 3, 28)),
    ],
)
def test_dates_in_every_language(text: str, meant: date) -> None:
    assert parse_date(text, WEDNESDAY) == meant


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("31/04", "args.no_such_date"),
        ("13/13", "args.no_such_date"),
        ("boh", "args.bad_date"),
        ("30/11/26", "args.bad_date"),
    ],
)
def test_dates_that_are_no_dates(text: str, key: str) -> None:
    with pytest.raises(ArgError) as refused:
        parse_date(text, WEDNESDAY)
    assert refused.value.key == key


def test_no_word_means_two_choices() -> None:
    """A word typed for a choice (`nascosto`) must name one choice only, in every language."""
    translator = Translator()
    registry = Registry(coworkbot.routers())
    for command in registry.commands.values():
        for param in command.params:
            if get_origin(param.kind) is not Literal:
                continue
            seen: dict[str, str] = {}
            for choice in get_args(param.kind):
                for word in {choice} | translator.words(f"word.{choice}"):
                    assert seen.setdefault(word, choice) == choice, (command.name, word)


# -- words and command names in chat ----------------------------------------------------------


async def test_italian_words_and_command_names(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno", "Carla"])
    await bot.say("/set language it", as_="Anna")  # the group reads the space's language
    await bot.say("/lang it", as_="Bruno")
    bot.clock.set(at(9))
    sent = await bot.say("/entro", as_="Bruno")
    assert sent[0].text == "Ciao Bruno, sei dentro dalle 09:00. Per ora ci sei solo tu."
    sent = await bot.say("/chi", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "1 persona dentro",
        "Bruno — dalle 09:00",
        "Lo spazio è aperto dalle 09:00.",
    ]
    # The Italian names work for everyone, and the English ones for Italians.
    await bot.say("/lang en", as_="Carla")
    carla = await bot.say("/entro", as_="Carla", chat="private")  # she reads English
    assert carla[0].text.startswith("Welcome, Carla!")
    assert (await bot.say("/who", as_="Bruno"))[0].text.startswith("2 persone dentro")
    bot.clock.set(at(12))
    sent = await bot.say("/entor", as_="Bruno")
    assert sent[0].text == "Non conosco il comando /entor. Forse intendevi /entro?"
    sent = await bot.say("/esco", as_="Bruno")
    assert sent[0].text == "Ciao Bruno, hai passato 3 h allo spazio (09:00–12:00)."
    # Commands named in a reply are named as the reader's menu names them.
    sent = await bot.say("/esco", as_="Bruno")
    assert sent[0].text == "Non risulti dentro. Scrivi /entro quando arrivi."
    await bot.say("/checkout", as_="Carla", chat="private")
    sent = await bot.say("/checkout", as_="Carla", chat="private")  # she reads English
    assert sent[0].text == "You're not checked in. Send /checkin when you arrive."

    assert (await bot.say("/privacy", as_="Bruno"))[0].text == (
        "La tua presenza è mostrata con il tuo nome. Per nasconderla: /privacy nascosto"
    )
    sent = await bot.say("/privacy nascosto", as_="Bruno")
    assert sent[0].text.startswith("Ora la tua presenza è nascosta")
    assert await bot.fetchval("SELECT visibility FROM members WHERE display_name='Bruno'") == (
        "hidden"
    )
    sent = await bot.say("/privacy boh", as_="Bruno")
    assert sent[0].text.splitlines() == [
        "“boh” non è tra: visibile, nascosto, pubblico.",
        "Uso: /privacy [visibile|nascosto|pubblico]",
    ]
    await bot.say("/privacy visibile", as_="Bruno")
    assert await bot.fetchval("SELECT visibility FROM members WHERE display_name='Bruno'") == (
        "visible"
    )

    sent = await bot.say("/going dopodomani", as_="Bruno")
    assert sent[0].text == "Segnato: verrai ven 27 nov 2026."
    sent = await bot.say("/going 30/11", as_="Bruno")
    assert sent[0].text == "Segnato: verrai lun 30 nov 2026."
    sent = await bot.say("/going 24/11", as_="Bruno")  # next year's: too far ahead
    assert sent[0].text == "È troppo in là: puoi programmare al massimo 90 giorni avanti."
    planned = await bot.fetchall("SELECT local_date FROM planned_visits ORDER BY local_date")
    assert [r["local_date"] for r in planned] == ["2026-11-27", "2026-11-30"]


async def test_cost_add_in_italian_and_german_words(bot: BotHarness) -> None:
    """`/cost add` reads its schedule and split words in any language of the catalogs,
    and a name keeps its own words even when one of them is a schedule word."""
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/lang it", as_="Anna")
    sent = await bot.say(
        "/cost add Affitto mensile 500 mensile 1 quote", as_="Anna", chat="private"
    )
    assert sent[0].text.startswith("Spesa #1 Affitto mensile: €\u00a0500,00, ogni mese")
    await bot.say("/cost add Assicurazione 300 annuale 15-01 presenze", as_="Anna", chat="private")
    await bot.say("/cost add Pellet 80 unatantum domani", as_="Anna", chat="private")
    await bot.say("/cost add Reinigung 90 monatlich 28 anwesenheit", as_="Anna", chat="private")
    await bot.say("/cost add Wartung 60 einmalig 30.11. gleich", as_="Anna", chat="private")
    rows = await bot.fetchall(
        "SELECT name, every, day, month, split, next_due FROM costs ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        ("Affitto mensile", "monthly", 1, 0, "shares", "2026-12-01"),
        ("Assicurazione", "yearly", 15, 1, "attendance", "2027-01-15"),
        ("Pellet", "once", 0, 0, "equal", "2026-11-26"),
        ("Reinigung", "monthly", 28, 0, "attendance", "2026-11-28"),
        ("Wartung", "once", 0, 0, "equal", "2026-11-30"),
    ]
    # A wrong split word is answered in the reader's words, and nothing is stored.
    sent = await bot.say("/cost add Luce 40 mensile 5 boh", as_="Anna", chat="private")
    assert sent[0].text.startswith("“boh” non è un modo di dividere: usa uguale, presenze o quote.")
    sent = await bot.say("/cost add Luce 40", as_="Anna", chat="private")
    assert sent[0].text.startswith(
        "Di' quando scade: mensile <giorno>, annuale <gg-mm> oppure unatantum <gg/mm/aaaa>."
    )
    assert await bot.fetchval("SELECT COUNT(*) FROM costs WHERE name = 'Luce'") == 0


async def test_italian_help_shows_the_italian_names(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/lang it", as_="Bruno")
    # /help comes in as many messages as Telegram's 4096 characters take
    text = "\n\n".join(s.text for s in await bot.say("/aiuto", as_="Bruno", chat="private"))
    assert "/entro [HH:MM] [nota] — sei allo spazio, da adesso o da un'ora di oggi" in text
    assert "/chi — chi c'è ora e chi arriva oggi" in text
    assert "/chiedi <competenza>: <domanda>" in text
    assert "/checkin" not in text
    assert text.endswith("Scrivi /aiuto seguito da un comando per vedere come si usa.")
    detail = (await bot.say("/aiuto checkin", as_="Bruno", chat="private"))[0].text
    assert detail.splitlines()[0] == "/entro [HH:MM] [nota]"
    assert detail.splitlines()[-1] == "Anche: /checkin, /in"
    english = (await bot.say("/help entro", as_="Anna"))[0].text
    assert english.splitlines()[0] == "/checkin [HH:MM] [note]"
    assert english.splitlines()[-1] == "Also: /in, /entro"


async def test_lang_takes_codes_and_names_and_lists_the_languages(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    sent = await bot.say("/lang", as_="Bruno")
    assert sent[0].text == (
        "I speak: Deutsch (de), English (en), italiano (it). You're using English."
        " Change it with /lang de."
    )
    assert (await bot.say("/lang Deutsch", as_="Bruno"))[0].text == (
        "Ich spreche jetzt Deutsch mit dir."
    )
    assert (await bot.say("/lang tedesco", as_="Bruno"))[0].text.startswith("Ich spreche")
    assert (await bot.say("/lang ITALIAN", as_="Bruno"))[0].text == "Ti parlerò in italiano."
    assert await bot.fetchval("SELECT language FROM members WHERE display_name='Bruno'") == "it"
    sent = await bot.say("/lang klingon", as_="Bruno", chat="private")
    assert sent[0].text.splitlines()[0] == (
        "Non parlo “klingon”. Parlo: Deutsch (de), English (en), italiano (it)."
    )
    assert await bot.fetchval("SELECT language FROM members WHERE display_name='Bruno'") == "it"
    sent = await bot.say("/set language fr", as_="Anna")
    assert sent[0].text == (
        "The language must be one of: Deutsch (de), English (en), italiano (it)."
    )
    sent = await bot.say("/set language deutsch", as_="Anna")
    assert sent[0].text == "Erledigt: language de."  # the group reads German from now


async def test_a_german_stranger_is_answered_in_german(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    sent = await bot.say("/start", as_=bot.user("Jonas", language="de"), chat="private")
    assert sent[0].text.startswith("Hallo! Ich kümmere mich um Coworking-Spaces")


async def test_german_days_money_and_plurals(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/lang de", as_="Bruno")
    bot.clock.set(at(9))
    sent = await bot.say("/checkin", as_="Bruno", chat="private")
    assert sent[0].text == "Hallo Bruno, du bist seit 09:00 da. Sonst ist noch niemand da."
    sent = await bot.say("/going übermorgen", as_="Bruno", chat="private")
    assert sent[0].text == "Notiert: Du kommst am Fr., 27. Nov. 2026."
    await bot.say("/cost add Heizung 2468,50 once 2026-11-25", as_="Anna")
    sent = await bot.tick()
    notice = next(s for s in sent if s.to == "bruno")
    assert notice.text.startswith(  # a one-off: no period
        "Heizung: Dein Anteil ist 1.234,25\u00a0€ von 2.468,50\u00a0€ (zu gleichen Teilen unter 2)."
    )
    assert [b.label for b in notice.buttons] == ["Bezahlt"]


# -- German end to end on Telegram -----------------------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(limits=FakeLimits().faster(20))
    await fake.start()
    yield fake
    await fake.close()


@pytest.mark.http
async def test_german_on_telegram(server: FakeTelegram, tmp_path: Path) -> None:
    tg = await TelegramBot(server, tmp_path, clock=FakeClock(at(9)), speed=20).start()
    tg.app.dispatcher.flood = FloodGuard(limit=1_000_000)
    try:
        # The menu a German Telegram shows: German descriptions, for members and admins.
        menu = dict(server.commands[("default", "de")])
        assert menu["checkin"] == (
            "einchecken: Du bist im Space, ab jetzt oder ab einer Uhrzeit von heute"
        )
        assert dict(server.commands[("all_chat_administrators", "de")])["approve"] == (
            "eine Beitrittsanfrage annehmen"
        )
        anna = server.user("Anna")
        jonas = server.user("Jonas", language="de")
        group = server.group("Coworking Bozen", creator=anna, members=(jonas,))
        await tg.say(anna, "/setup Bozen", group)
        await tg.say(anna, "/set join open", group)
        await tg.say(anna, "/set language de", group)  # the group reads German
        hello = await tg.say(jonas, "/join", group)
        assert hello[0].text.startswith("Willkommen bei Bozen, Jonas!")
        switched = await tg.say(jonas, "/lang de", group)
        assert [s.text for s in switched] == ["Ich spreche jetzt Deutsch mit dir."]
        sent = await tg.say(jonas, "/checkin", group)
        assert [s.text for s in sent] == [
            "Hallo Jonas, du bist seit 09:00 da. Sonst ist noch niemand da."
        ]
        sent = await tg.say(jonas, "/privacy verborgen", group)
        assert sent[0].text.startswith("Deine Anwesenheit ist jetzt verborgen")
        sent = await tg.say(jonas, "/me")
        assert sent[0].text.splitlines()[:2] == ["Deine Besuche", "November 2026: 1 Tag, 0 min"]
        assert await tg.fetchval("SELECT language FROM members WHERE display_name='Jonas'") == (
            "de"
        )
    finally:
        await tg.stop()


# -- German end to end on Matrix ---------------------------------------------------------------


async def test_german_on_matrix(matrix: MatrixWorld) -> None:
    world = matrix
    world.bot.clock = RunningClock(at(9))
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()
    anna = world.anna
    await world.command(world.bruno, "!set language de")  # the room reads the space's language
    switched = await world.command(anna, "!lang deutsch")
    assert [s.body for s in switched] == ["Ich spreche jetzt Deutsch mit dir."]
    reply = await world.command(anna, "!checkin")
    assert [s.body for s in reply] == [
        f"Hallo {anna.localpart}, du bist seit 09:00 da. Sonst ist noch niemand da."
    ]
    help_ = await world.command(anna, "!help checkin")
    assert help_[0].body.splitlines() == [
        "!checkin [HH:MM] [Notiz]",
        "einchecken: Du bist im Space, ab jetzt oder ab einer Uhrzeit von heute",
        "Wer: Mitglieder. Wo: überall.",
        "Auch: !in, !entro",
    ]
    stored = await world.bot.fetchall(
        "SELECT language FROM members WHERE display_name = ?", (anna.localpart,)
    )
    assert [tuple(r) for r in stored] == [("de",)]
