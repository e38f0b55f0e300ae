"""`/settings` shows each setting as `/set` takes it back, `/help set` explains every key
with its unit and an example, and numbers may carry their unit."""

from __future__ import annotations

import pytest

from bot.testing import BotHarness
from handlers.members.settings import SETTINGS


async def test_every_line_of_settings_pasted_into_set_is_taken_and_changes_nothing(
    bot: BotHarness,
) -> None:
    await bot.setup_space("Anna")
    await bot.say("/set closing_time off", as_="Anna")  # "off" is shown and taken back too
    await bot.say("/set capacity 0", as_="Anna")
    before = tuple((await bot.fetchall("SELECT * FROM spaces"))[0])
    lines = (await bot.say("/settings", as_="Anna"))[0].text.splitlines()
    assert lines[0] == "Settings of Veglio"
    shown = lines[1 : 1 + len(SETTINGS)]
    assert [line.split(" ", 1)[0] for line in shown] == list(SETTINGS)
    assert "escalate_after_hours 4" in shown and "expire_after_days 7" in shown
    assert "closing_time off" in shown and "capacity off" in shown
    for line in shown:
        sent = await bot.say(f"/set {line}", as_="Anna")
        assert sent[0].text == f"Done: {line}."
    assert tuple((await bot.fetchall("SELECT * FROM spaces"))[0]) == before


@pytest.mark.parametrize(
    ("line", "column", "stored"),
    [
        ("/set escalate_after_hours 4h", "escalate_after_minutes", 240),
        ("/set escalate_after_hours 6 ore", "escalate_after_minutes", 360),
        ("/set escalate_after 2", "escalate_after_minutes", 120),  # the former name
        ("/set expire_after_days 10d", "expire_after_days", 10),
        ("/set expire_after_days 10 giorni", "expire_after_days", 10),
        ("/set nag_every_days 3 days", "nag_every_days", 3),
        ("/set reminder_time 8:30", "reminder_time", "08:30"),
        ("/set closing 19:30", "closing_time", "19:30"),
    ],
)
async def test_a_number_may_carry_its_own_unit(
    bot: BotHarness, line: str, column: str, stored: object
) -> None:
    await bot.setup_space("Anna")
    sent = await bot.say(line, as_="Anna")
    assert sent[0].text.startswith("Done:")
    assert await bot.fetchval(f"SELECT {column} FROM spaces") == stored


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("/set escalate_after_hours 4d", "escalate_after_hours must be a whole number from 1"),
        ("/set expire_after_days 7h", "expire_after_days must be a whole number from 1 to 365"),
        ("/set reminder_time off", "“off” isn't a time: write HH:MM, e.g. 09:00."),
        ("/set capacity lots", "capacity must be a whole number from 0 to 100000"),
    ],
)
async def test_a_wrong_unit_or_value_is_refused_and_changes_nothing(
    bot: BotHarness, line: str, answer: str
) -> None:
    await bot.setup_space("Anna")
    before = tuple((await bot.fetchall("SELECT * FROM spaces"))[0])
    sent = await bot.say(line, as_="Anna")
    assert answer in sent[0].text
    assert tuple((await bot.fetchall("SELECT * FROM spaces"))[0]) == before


async def test_help_set_explains_every_key_with_an_example(bot: BotHarness) -> None:
    await bot.setup_space("Anna", members=["Bruno"])
    await bot.say("/lang it", as_="Anna")
    for who, chat, example in (("Bruno", "group", "Example:"), ("Anna", "private", "Esempio:")):
        text = (await bot.say("/help set", as_=who, chat=chat))[0].text
        assert text.startswith("/set <")
        for key, setting in SETTINGS.items():
            line = next(li for li in text.splitlines() if li.startswith(f"{key}: "))
            assert f"{example} /set {key} {setting.example}" in line, line
    text = (await bot.say("/help set", as_="Bruno"))[0].text
    assert "escalate_after_hours: hours before a help request" in text
    assert "capacity: how many desks there are, or off for no limit" in text
