"""`config.toml`: read with tomllib, checked key by key, secrets from the environment.

A wrong config is refused before anything starts, with the file, the key and what is
wrong, so an admin never has to read a traceback to fix a typo.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import get_currency_name

from bot.hours import format_hours, parse_hours, valid_hours
from bot.i18n import LANGUAGES

ONE_OF = ", ".join(LANGUAGES)

TOKEN_ENV = "COWORKBOT_TELEGRAM_TOKEN"  # noqa: S105 (a variable name)
MATRIX_PASSWORD_ENV = "COWORKBOT_MATRIX_PASSWORD"  # noqa: S105 (a variable name)
CONFIG_ENV = "COWORKBOT_CONFIG"
DATABASE_ENV = "COWORKBOT_DATABASE_URL"
DEFAULT_CONFIG = Path("config.toml")

T = TypeVar("T")


class ConfigError(Exception):
    """What is wrong with a config file: every problem found, one `file: key: problem`
    line each; `key` and `problem` are the first."""

    def __init__(
        self, path: Path | None, key: str, problem: str, more: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        self.problems = [(key, problem), *more]
        where = str(path) if path else "<config>"
        super().__init__("\n".join(f"{where}: {k}: {p}" for k, p in self.problems))


class _Problems:
    """The problems of one file, gathered so that one check names them all."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.found: list[tuple[str, str]] = []

    def add(self, key: str, problem: str) -> None:
        self.found.append((key, problem))

    def raise_any(self) -> None:
        if self.found:
            (key, problem), *more = self.found
            raise ConfigError(self.path, key, problem, more)


@dataclass(frozen=True)
class BotSection:
    data_dir: Path = Path("data")
    default_language: str = "it"
    command_prefix_matrix: str = "!"
    log_level: str = "INFO"


@dataclass(frozen=True)
class TelegramSection:
    token: str
    api_base_url: str = ""
    mode: str = "polling"
    webhook_url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str = ""


@dataclass(frozen=True)
class MatrixSection:
    homeserver: str
    user_id: str
    password: str = ""
    access_token: str = ""
    device_name: str = "coworkbot"
    encrypt_direct_chats: bool = True


@dataclass(frozen=True)
class DatabaseSection:
    """`url` of a PostgreSQL database; empty: the SQLite file in `data_dir`."""

    url: str = ""


@dataclass(frozen=True)
class ClusterSection:
    """Several replicas of the bot on one PostgreSQL database."""

    enabled: bool = False


@dataclass(frozen=True)
class WebSection:
    """The small web server: SpaceAPI, the status page, calendars, the presence hook."""

    listen: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    rate_limit: int = 60

    @property
    def base_url(self) -> str:
        """How links to the server are written: `public_url`, else the address it listens on."""
        return self.public_url or f"http://{self.listen}:{self.port}"


# SpaceAPI's contact fields that are plain strings (https://spaceapi.io, schema v15).
CONTACT_KEYS = frozenset(
    {
        "email",
        "phone",
        "sip",
        "irc",
        "twitter",
        "mastodon",
        "facebook",
        "identica",
        "foursquare",
        "ml",
        "xmpp",
        "issue_mail",
        "gopher",
        "matrix",
        "mumble",
    }
)
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def valid_slug(text: str) -> bool:
    return bool(_SLUG.match(text))


@dataclass(frozen=True)
class SpaceSection:
    name: str
    timezone: str = "Europe/Rome"
    language: str = "it"
    currency: str = "EUR"
    capacity: int | None = None
    closing_time: str | None = None
    reminder_time: str = "09:00"
    join: str = "approval"
    escalate_after_hours: int = 4
    expire_after_days: int = 7
    remind_days_before: int = 3
    nag_every_days: int = 7
    chats: Mapping[str, str] = field(default_factory=dict)
    admins: tuple[str, ...] = ()
    slug: str = ""
    hours: str = ""
    away_after: int = 10
    web: Mapping[str, object] = field(default_factory=dict)

    def settings(self) -> dict[str, str | int | None]:
        """The stored columns this section sets (see storage.spaces.SETTING_COLUMNS).

        The slug only when given: otherwise the space keeps the one made from its name.
        """
        slug: dict[str, str | int | None] = {"slug": self.slug} if self.slug else {}
        return slug | {
            "timezone": self.timezone,
            "language": self.language,
            "currency": self.currency,
            "capacity": self.capacity,
            "closing_time": self.closing_time,
            "reminder_time": self.reminder_time,
            "join_policy": self.join,
            "escalate_after_minutes": self.escalate_after_hours * 60,
            "expire_after_days": self.expire_after_days,
            "remind_days_before": self.remind_days_before,
            "nag_every_days": self.nag_every_days,
            "away_after_minutes": self.away_after,
            "opening_hours": self.hours,
            "web_json": json.dumps(dict(self.web), sort_keys=True) if self.web else None,
        }


@dataclass(frozen=True)
class Config:
    path: Path | None
    bot: BotSection
    telegram: TelegramSection | None = None
    matrix: MatrixSection | None = None
    spaces: tuple[SpaceSection, ...] = ()
    web: WebSection | None = None
    database: DatabaseSection = DatabaseSection()
    cluster: ClusterSection = ClusterSection()

    @property
    def database_path(self) -> Path:
        return self.bot.data_dir / "coworkbot.db"

    @property
    def database_target(self) -> Path | str:
        """Where the data lives: the PostgreSQL URL, else the SQLite file."""
        return self.database.url or self.database_path


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_IDENTITY = re.compile(r"^(telegram:-?\d+|matrix:@[^:\s]+:\S+|console:\S+|memory:\S+)$")


def valid_hhmm(text: str) -> bool:
    return bool(_HHMM.match(text))


def valid_timezone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def valid_currency(code: str) -> bool:
    if not re.fullmatch(r"[A-Z]{3}", code):
        return False
    return bool(get_currency_name(code, locale="en") != code)


class _Section:
    """Typed reads from one TOML table; a failure names the key, is noted, and the read
    goes on with the default, so every problem of the file is found in one pass."""

    def __init__(self, problems: _Problems, prefix: str, data: Mapping[str, Any]) -> None:
        self.problems = problems
        self.prefix = prefix
        self.data = data
        self.seen: set[str] = set()
        self.bad: set[str] = set()

    def fail(self, key: str, problem: str) -> None:
        self.bad.add(key)
        self.problems.add(f"{self.prefix}{key}", problem)

    def get(self, key: str, kind: type[T], default: T) -> T:
        self.seen.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            self.fail(key, f"expected {_kind_name(kind)}, got {value!r}")
            return default
        return value

    def check(self, key: str, ok: Callable[[Any], bool], problem: str) -> None:
        if key in self.data and key not in self.bad and not ok(self.data[key]):
            self.fail(key, problem.format(value=self.data[key]))

    def finish(self) -> None:
        for key in sorted(set(self.data) - self.seen):
            self.fail(key, "unknown key (a typo?); config.example.toml lists them")


def _kind_name(kind: type) -> str:
    names: dict[type, str] = {
        str: "a string",
        int: "an integer",
        list: "a list",
        dict: "a table",
        bool: "true or false",
    }
    return names.get(kind, kind.__name__)


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    environ = os.environ if env is None else env
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(path, "file", "not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "syntax", str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "file", str(exc)) from exc
    return parse_config(raw, path, environ, to_run=True)


def parse_config(
    raw: Mapping[str, Any],
    path: Path | None,
    env: Mapping[str, str],
    *,
    to_run: bool = False,
) -> Config:
    """The config, or a ConfigError naming every problem of the file: what `check-config`
    says and what `run` refuses are the same. `to_run` (a file, which `run` starts) also
    needs a platform to run on."""
    problems = _Problems(path)
    known = {"bot", "telegram", "matrix", "spaces", "database", "cluster", "web"}
    for key in raw:
        if key not in known:
            problems.add(key, "unknown section (a typo?); config.example.toml lists them")
    base = path.parent if path else Path.cwd()
    bot = _parse_bot(_table(raw, "bot", problems) or {}, problems, base)
    telegram = matrix = None
    if (table := _table(raw, "telegram", problems)) is not None:
        telegram = _parse_telegram(table, problems, env)
    if (table := _table(raw, "matrix", problems)) is not None:
        matrix = _parse_matrix(table, problems, env)
    if to_run and "telegram" not in raw and "matrix" not in raw:
        problems.add("telegram/matrix", "neither section is present: nothing to run")
    web = None
    if (table := _table(raw, "web", problems)) is not None:
        web = _parse_web(table, problems)
    spaces_raw = raw.get("spaces", [])
    if not isinstance(spaces_raw, list):
        problems.add("spaces", "must be written as [[spaces]] tables")
        spaces_raw = []
    spaces = tuple(_parse_space(s, i, problems) for i, s in enumerate(spaces_raw))
    names = [s.name for s in spaces]
    for i, name in enumerate(names):
        if name and names.index(name) != i:
            problems.add(f"spaces[{i}].name", f"{name!r} is used by two spaces")
    slugs = [s.slug for s in spaces]
    for i, slug in enumerate(slugs):
        if slug and slugs.index(slug) != i:
            problems.add(f"spaces[{i}].slug", f"{slug!r} is used by two spaces")
    database = _parse_database(_table(raw, "database", problems) or {}, problems, env)
    cluster = _parse_cluster(_table(raw, "cluster", problems) or {}, problems, "cluster" in raw)
    if cluster.enabled:
        if not database.url:
            problems.add(
                "cluster",
                f"replicas share one PostgreSQL database: set [database] url (or {DATABASE_ENV})",
            )
        if telegram is not None and telegram.mode != "webhook":
            problems.add(
                "telegram.mode",
                "with [cluster] every replica takes updates by webhook: polling would delete"
                " the webhook the other replicas serve",
            )
    problems.raise_any()
    return Config(
        path=path,
        bot=bot,
        telegram=telegram,
        matrix=matrix,
        spaces=spaces,
        database=database,
        cluster=cluster,
        web=web,
    )


def _parse_database(
    data: Mapping[str, Any], problems: _Problems, env: Mapping[str, str]
) -> DatabaseSection:
    s = _Section(problems, "database.", data)
    url = env.get(DATABASE_ENV) or s.get("url", str, "")
    if url and not url.startswith(("postgresql://", "postgres://")):
        s.fail(
            "url", "must be a PostgreSQL URL (postgresql://user@host/db); leave it out for SQLite"
        )
        url = ""
    s.finish()
    return DatabaseSection(url)


def _parse_cluster(data: Mapping[str, Any], problems: _Problems, present: bool) -> ClusterSection:
    s = _Section(problems, "cluster.", data)
    enabled = s.get("enabled", bool, present)
    s.finish()
    return ClusterSection(enabled)


def _table(raw: Mapping[str, Any], name: str, problems: _Problems) -> Mapping[str, Any] | None:
    """The table `[name]`, or None when it is absent or not a table (a problem then)."""
    if name not in raw:
        return None
    value = raw[name]
    if not isinstance(value, dict):
        problems.add(name, "must be a table ([" + name + "])")
        return None
    return value


def _parse_bot(data: Mapping[str, Any], problems: _Problems, base: Path) -> BotSection:
    s = _Section(problems, "bot.", data)
    data_dir = Path(s.get("data_dir", str, "./data"))
    language = s.get("default_language", str, "it")
    s.check(
        "default_language", lambda v: v in LANGUAGES, f"must be one of {ONE_OF}; got {{value!r}}"
    )
    prefix = s.get("command_prefix_matrix", str, "!")
    s.check(
        "command_prefix_matrix",
        lambda v: len(v) == 1 and not v.isalnum() and not v.isspace(),
        "must be one punctuation character, like !",
    )
    level = s.get("log_level", str, "INFO").upper()
    s.check(
        "log_level",
        lambda v: str(v).upper() in {"DEBUG", "INFO", "WARNING", "ERROR"},
        "must be DEBUG, INFO, WARNING or ERROR",
    )
    s.finish()
    return BotSection(
        data_dir=data_dir if data_dir.is_absolute() else base / data_dir,
        default_language=language,
        command_prefix_matrix=prefix,
        log_level=level,
    )


def _parse_telegram(
    data: Mapping[str, Any], problems: _Problems, env: Mapping[str, str]
) -> TelegramSection:
    s = _Section(problems, "telegram.", data)
    in_file = s.get("token", str, "")
    token = env.get(TOKEN_ENV) or in_file
    if not token:
        s.fail("token", f"missing: set it here or in the environment as {TOKEN_ENV}")
    elif not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
        # Never echo the token itself: error messages end up in logs.
        s.fail("token", "does not look like a bot token (digits:letters from @BotFather)")
    api = s.get("api_base_url", str, "")
    s.check(
        "api_base_url",
        lambda v: v == "" or v.startswith(("http://", "https://")),
        "must start with http:// or https://",
    )
    mode = s.get("mode", str, "polling")
    s.check("mode", lambda v: v in {"polling", "webhook"}, "must be polling or webhook")
    webhook_url = s.get("webhook_url", str, "")
    if mode == "webhook" and not webhook_url.startswith("https://"):
        s.fail("webhook_url", "webhook mode needs an https:// URL Telegram can reach")
    listen = s.get("listen", str, "127.0.0.1")
    port = s.get("port", int, 8443)
    s.check("port", lambda v: 0 < v < 65536, "must be a TCP port (1-65535)")
    secret = s.get("secret_token", str, "")
    s.check(
        "secret_token",
        lambda v: re.fullmatch(r"[A-Za-z0-9_-]{0,256}", v) is not None,
        "may hold only letters, digits, _ and - (at most 256)",
    )
    s.finish()
    return TelegramSection(token, api.rstrip("/"), mode, webhook_url, listen, port, secret)


def _parse_matrix(
    data: Mapping[str, Any], problems: _Problems, env: Mapping[str, str]
) -> MatrixSection:
    s = _Section(problems, "matrix.", data)
    homeserver = s.get("homeserver", str, "")
    if not homeserver.startswith(("http://", "https://")):
        s.fail("homeserver", "missing or not an http(s):// URL")
    user_id = s.get("user_id", str, "")
    if not re.fullmatch(r"@[^:\s]+:\S+", user_id):
        s.fail("user_id", "missing or not a Matrix user id like @coworkbot:example.org")
    in_file = s.get("password", str, "")
    password = env.get(MATRIX_PASSWORD_ENV) or in_file
    token = s.get("access_token", str, "")
    if not password and not token:
        s.fail("password", f"set a password (or env {MATRIX_PASSWORD_ENV}) or an access_token")
    device = s.get("device_name", str, "coworkbot")
    encrypt_direct = s.get("encrypt_direct_chats", bool, True)
    s.finish()
    return MatrixSection(homeserver.rstrip("/"), user_id, password, token, device, encrypt_direct)


def _parse_web(data: Mapping[str, Any], problems: _Problems) -> WebSection:
    s = _Section(problems, "web.", data)
    listen = s.get("listen", str, "127.0.0.1")
    port = s.get("port", int, 8080)
    s.check("port", lambda v: 0 < v < 65536, "must be a TCP port (1-65535)")
    public_url = s.get("public_url", str, "")
    s.check(
        "public_url",
        lambda v: v == "" or re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", v) is not None,
        "must be an http:// or https:// address, like https://cowo.example.org",
    )
    rate_limit = s.get("rate_limit", int, 60)
    s.check("rate_limit", lambda v: 1 <= v <= 10_000, "must be from 1 to 10000")
    s.finish()
    return WebSection(listen, port, public_url.rstrip("/"), rate_limit)


def _parse_space_web(s: _Section) -> dict[str, object]:
    """The SpaceAPI details of a space: its site, logo, address, position and contacts."""
    web: dict[str, object] = {}
    for key in ("website", "logo"):
        value = s.get(key, str, "")
        s.check(
            key,
            lambda v: v == "" or re.fullmatch(r"https?://\S+", v) is not None,
            "must be an http:// or https:// address",
        )
        if value and key not in s.bad:
            web[key] = value
    address = s.get("address", str, "").strip()
    if address:
        web["address"] = address
    for key, limit in (("lat", 90), ("lon", 180)):
        s.seen.add(key)
        if key in s.data:
            value = s.data[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                s.fail(key, f"expected a number, got {value!r}")
            elif not -limit <= value <= limit:
                s.fail(key, f"must be from -{limit} to {limit}")
            else:
                web[key] = float(value)
    contact = s.get("contact", dict, {})
    good: dict[str, str] = {}
    for key, value in contact.items():
        if key not in CONTACT_KEYS:
            s.fail(f"contact.{key}", f"unknown; one of {', '.join(sorted(CONTACT_KEYS))}")
        elif not isinstance(value, str) or not value.strip():
            s.fail(f"contact.{key}", "must be a non-empty string")
        else:
            good[key] = value.strip()
    if good:
        web["contact"] = dict(sorted(good.items()))
    return web


def _parse_space(data: Any, index: int, problems: _Problems) -> SpaceSection:
    if not isinstance(data, dict):
        problems.add(f"spaces[{index}]", "must be a table")
        data = {}
    s = _Section(problems, f"spaces[{index}].", data)
    name = s.get("name", str, "").strip()
    if not name or len(name) > 64:
        s.fail("name", "missing, or longer than 64 characters")
    timezone = s.get("timezone", str, "Europe/Rome")
    s.check(
        "timezone", valid_timezone, "unknown time zone {value!r} (an IANA name like Europe/Rome)"
    )
    language = s.get("language", str, "it")
    s.check("language", lambda v: v in LANGUAGES, f"must be one of {ONE_OF}; got {{value!r}}")
    currency = s.get("currency", str, "EUR")
    s.check("currency", valid_currency, "unknown currency {value!r} (an ISO code like EUR)")
    capacity = s.get("capacity", int, 0) or None
    s.check("capacity", lambda v: 0 <= v <= 100_000, "must be between 0 (no limit) and 100000")
    closing_text = s.get("closing_time", str, "")
    s.check(
        "closing_time",
        lambda v: v in ("", "off") or valid_hhmm(v),
        "must be HH:MM, e.g. 20:00, or off",
    )
    closing = None if closing_text in ("", "off") else closing_text
    reminder = s.get("reminder_time", str, "09:00")
    s.check("reminder_time", valid_hhmm, "must be HH:MM, e.g. 09:00")
    join = s.get("join", str, "approval")
    s.check("join", lambda v: v in {"open", "approval"}, "must be open or approval")
    limits = {
        "escalate_after_hours": (4, 1, 24 * 14),
        "expire_after_days": (7, 1, 365),
        "remind_days_before": (3, 0, 60),
        "nag_every_days": (7, 1, 90),
    }
    numbers: dict[str, int] = {}
    for key, (default, low, high) in limits.items():
        numbers[key] = s.get(key, int, default)
        if not low <= numbers[key] <= high:
            s.fail(key, f"must be from {low} to {high}")
    chats: dict[str, str] = {}
    chat_id = s.get("telegram_chat_id", int, 0)
    if chat_id:
        s.check("telegram_chat_id", lambda v: v < 0, "a group's id is negative, e.g. -100123")
        chats["telegram"] = str(chat_id)
    room = s.get("matrix_room", str, "")
    if room:
        # `!opaque:server` up to room version 11; from version 12 (Synapse's default
        # since 1.136) a room id is `!` and a hash, with no server part.
        s.check(
            "matrix_room",
            lambda v: re.fullmatch(r"![^\s:]+(:\S+)?", v) is not None,
            "must be a room id like !abcdef:example.org (not an alias like #room:example.org)",
        )
        chats["matrix"] = room
    slug = s.get("slug", str, "")
    s.check(
        "slug",
        valid_slug,
        "must be lowercase letters, digits and dashes (at most 40), like coworking-veglio",
    )
    hours = s.get("hours", str, "")
    s.check("hours", valid_hours, 'must be like "mon-fri 09:00-19:00; sat 10:00-13:00"')
    away_after = s.get("away_after", int, 10)
    s.check("away_after", lambda v: 1 <= v <= 240, "must be from 1 to 240 (minutes)")
    web = _parse_space_web(s)
    admins = s.get("admins", list, [])
    for i, admin in enumerate(admins):
        if not isinstance(admin, str) or not _IDENTITY.match(admin):
            s.fail(
                f"admins[{i}]",
                f"{admin!r} is not an identity like telegram:123456 or matrix:@anna:example.org",
            )
    s.finish()
    return SpaceSection(
        name=name,
        timezone=timezone,
        language=language,
        currency=currency,
        capacity=capacity,
        closing_time=closing,
        reminder_time=reminder,
        join=join,
        chats=chats,
        admins=tuple(admins),
        slug=slug,
        hours=format_hours(parse_hours(hours)) if valid_hours(hours) else "",
        away_after=away_after,
        web=web,
        **numbers,
    )


def resolve_config_path(flag: str | None, env: Mapping[str, str] | None = None) -> Path:
    """The flag, else `$COWORKBOT_CONFIG`, else `./config.toml`."""
    environ = os.environ if env is None else env
    if flag:
        return Path(flag)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return DEFAULT_CONFIG


def demo_config(data_dir: Path, user_identity: str, language: str = "en") -> Config:
    """What `coworkbot run` uses with no config file: the console, one space, you its admin."""
    demo = SpaceSection(
        name="Demo",
        language=language,
        join="open",
        capacity=10,
        closing_time="20:00",
        chats={"console": "demo"},
        admins=(user_identity,),
    )
    bot = BotSection(data_dir=data_dir, default_language=language)
    return Config(path=None, bot=bot, spaces=(demo,))
