"""The web's settings: `[web]`, the spaces' slug, hours, away_after and SpaceAPI details in
the config, and `/set away_after`, `/set hours` in chat; bad values are refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import ConfigError, SpaceSection, load_config
from bot.hours import HoursError, format_hours, parse_hours
from bot.testing import BotHarness

BASE = """
[bot]
data_dir = "./state"

[telegram]
token = "123456:ABC-def_ghi"
"""

WEB = """
[web]
listen = "0.0.0.0"
port = 8080
public_url = "https://cowo.example.org/"
rate_limit = 30

[[spaces]]
name = "Coworking Veglio"
slug = "veglio"
hours = "lun-ven 9:00-19:00; sat 10.00-13.00"
away_after = 15
website = "https://veglio.example.org"
address = "Via Roma 1, Veglio"
lat = 45
lon = 8.11
contact = { email = "ciao@veglio.example.org", matrix = "#veglio:example.org" }
"""


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(BASE + text, "utf-8")
    return load_config(path, env={})


def test_web_and_a_space_with_its_details(tmp_path: Path) -> None:
    config = load(tmp_path, WEB)
    assert config.web is not None
    assert (config.web.listen, config.web.port, config.web.rate_limit) == ("0.0.0.0", 8080, 30)
    assert config.web.base_url == "https://cowo.example.org"
    space = config.spaces[0]
    settings = space.settings()
    assert settings["slug"] == "veglio"
    assert settings["opening_hours"] == "mon-fri 09:00-19:00; sat 10:00-13:00"
    assert settings["away_after_minutes"] == 15
    assert json.loads(str(settings["web_json"])) == {
        "website": "https://veglio.example.org",
        "address": "Via Roma 1, Veglio",
        "lat": 45.0,
        "lon": 8.11,
        "contact": {"email": "ciao@veglio.example.org", "matrix": "#veglio:example.org"},
    }
    # No slug in the config: the space keeps the one it was given.
    assert "slug" not in SpaceSection(name="X").settings()
    assert load(tmp_path, "").web is None


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (("port = 8080", "port = 0"), "web.port", "must be a TCP port"),
        (
            ('public_url = "https://cowo.example.org/"', 'public_url = "cowo.example.org"'),
            "web.public_url",
            "http://",
        ),
        (("rate_limit = 30", "rate_limit = 0"), "web.rate_limit", "from 1 to 10000"),
        (("rate_limit = 30", "rate_limt = 30"), "web.rate_limt", "unknown key"),
        (('slug = "veglio"', 'slug = "Veglio Alto"'), "spaces[0].slug", "lowercase letters"),
        (('slug = "veglio"', 'slug = "-veglio"'), "spaces[0].slug", "lowercase letters"),
        (("sat 10.00-13.00", "sat 13:00-10:00"), "spaces[0].hours", "mon-fri 09:00-19:00"),
        (("sat 10.00-13.00", "sab 10:00-25:00"), "spaces[0].hours", "mon-fri 09:00-19:00"),
        (("away_after = 15", "away_after = 0"), "spaces[0].away_after", "from 1 to 240"),
        (("lat = 45", "lat = 95"), "spaces[0].lat", "from -90 to 90"),
        (("lat = 45", 'lat = "45"'), "spaces[0].lat", "expected a number"),
        (
            ('website = "https://veglio.example.org"', 'website = "veglio"'),
            "spaces[0].website",
            "address",
        ),
        (("email =", "fax ="), "spaces[0].contact.fax", "unknown"),
        (
            ('email = "ciao@veglio.example.org"', "email = 3"),
            "spaces[0].contact.email",
            "non-empty string",
        ),
    ],
)
def test_bad_web_values_name_the_key(
    tmp_path: Path, change: tuple[str, str], key: str, problem: str
) -> None:
    old, new = change
    assert old in WEB
    with pytest.raises(ConfigError) as err:
        load(tmp_path, WEB.replace(old, new))
    assert err.value.key == key and problem in err.value.problem


def test_two_spaces_cannot_share_a_slug(tmp_path: Path) -> None:
    twice = WEB + '\n[[spaces]]\nname = "Altro"\nslug = "veglio"\n'
    with pytest.raises(ConfigError, match=r"spaces\[1\]\.slug: 'veglio' is used by two spaces"):
        load(tmp_path, twice)


def test_opening_hours_read_and_written_back() -> None:
    ranges = parse_hours("Lun-Mer,ven 9:00-13:00; sab 10.30-12.00")
    assert format_hours(ranges) == "mon-wed,fri 09:00-13:00; sat 10:30-12:00"
    assert parse_hours(format_hours(ranges)) == ranges
    assert parse_hours("off") == () and format_hours(()) == ""
    assert format_hours(parse_hours("lun-ven 9-18")) == "mon-fri 09:00-18:00"
    assert (
        format_hours(parse_hours("Mo-Fr 9-18; Sa 10-13")) == "mon-fri 09:00-18:00; sat 10:00-13:00"
    )
    for bad in ("mon-fri", "fri-mon 09:00-10:00", "mon 9-", "xyz 09:00-10:00", "mon 10:00-09:00"):
        with pytest.raises(HoursError):
            parse_hours(bad)


async def test_the_settings_in_chat(bot: BotHarness) -> None:
    await bot.setup_space("Anna")
    sent = await bot.say("/set away_after 15 min", as_="Anna")
    assert sent[0].text == "Done: away_after 15."
    sent = await bot.say("/set away_after 0", as_="Anna")
    assert sent[0].text == "away_after must be a whole number from 1 to 240."
    sent = await bot.say("/set hours lun-ven 09:00-19:00; sab 10:00-13:00", as_="Anna")
    assert sent[0].text == "Done: hours mon-fri 09:00-19:00; sat 10:00-13:00."
    sent = await bot.say("/set hours mon-fri 19:00-09:00", as_="Anna")
    assert sent[0].text == (
        "“mon-fri 19:00-09:00” aren't opening hours: write them like mon-fri "
        "09:00-19:00; sat 10:00-13:00, or off."
    )
    assert await bot.fetchval("SELECT opening_hours FROM spaces") == (
        "mon-fri 09:00-19:00; sat 10:00-13:00"
    )
    sent = await bot.say("/settings", as_="Anna")
    lines = sent[0].text.splitlines()
    assert lines[-3:-1] == ["away_after 15", "hours mon-fri 09:00-19:00; sat 10:00-13:00"]
    # What /settings shows can be written back.
    sent = await bot.say(f"/set {lines[-2]}", as_="Anna")
    assert sent[0].text == "Done: hours mon-fri 09:00-19:00; sat 10:00-13:00."
    sent = await bot.say("/set hours off", as_="Anna")
    assert sent[0].text == "Done: hours off."
    assert await bot.fetchval("SELECT opening_hours FROM spaces") == ""
    assert await bot.fetchval("SELECT away_after_minutes FROM spaces") == 15
    help_set = (await bot.say("/help set", as_="Anna"))[0].text
    assert "away_after: minutes a registered device may be gone" in help_set


async def test_a_slug_from_the_config_wins_over_one_made_from_a_name(
    make_bot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    bot = await make_bot()
    await bot.setup_space("Anna", name="Veglio")
    async with bot.app.store.transaction() as session:
        from handlers.web.base import assign_slugs

        await assign_slugs(session)
    assert await bot.fetchval("SELECT slug FROM spaces") == "veglio"
    await bot.close()
    bot = await make_bot(spaces=[SpaceSection(name="Altro", slug="veglio")])
    rows = await bot.fetchall("SELECT name, slug FROM spaces ORDER BY id")
    assert [tuple(r) for r in rows] == [("Veglio", None), ("Altro", "veglio")]
    async with bot.app.store.transaction() as session:
        from handlers.web.base import assign_slugs

        await assign_slugs(session)
    rows = await bot.fetchall("SELECT name, slug FROM spaces ORDER BY id")
    assert [tuple(r) for r in rows] == [("Veglio", "veglio-2"), ("Altro", "veglio")]
