"""The `coworkbot` command: run, console, migrate, backup, check-config.

`main` is given the capabilities' routers by the composition root (`coworkbot.main`).
Exit codes: 0 fine, 1 the bot failed while running, 2 a wrong config or database
(refused before starting, with the file, the key and the reason; no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.config import (
    CONFIG_ENV,
    MATRIX_PASSWORD_ENV,
    TOKEN_ENV,
    Config,
    ConfigError,
    demo_config,
    load_config,
    resolve_config_path,
)
from bot.i18n import LANGUAGES
from bot.logs import setup_logging
from bot.registry import Router
from bot.transports.base import Transport
from bot.transports.console import ConsoleTransport
from storage import DatabaseError, Store

if TYPE_CHECKING:
    from bot.app import App

CONSOLE_USER = "local"

NO_CONFIG_HINT = f"""\
coworkbot: no config file, so here is the console on a local database with a space
named "Demo" where you are the admin. Type /help, /checkin, /who; ':help' for console
commands; Ctrl-D to leave.
To run on Telegram or Matrix: copy config.example.toml to config.toml, fill in
[telegram] (token from @BotFather, or env {TOKEN_ENV}) and/or [matrix]
(password or env {MATRIX_PASSWORD_ENV}), then `make run` again. ${CONFIG_ENV} or
--config PATH point to another file.
"""


def main(argv: list[str] | None = None, *, routers: Sequence[Router]) -> int:
    args = _parser().parse_args(argv)
    args.routers = list(routers)
    try:
        code: int = args.func(args)
    except ConfigError as err:
        for line in str(err).splitlines():  # every problem of the file, one per line
            print(f"coworkbot: {line}", file=sys.stderr)
        return 2
    except DatabaseError as err:
        print(f"coworkbot: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coworkbot", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config", metavar="PATH", help=f"config file (else ${CONFIG_ENV}, else ./config.toml)"
        )

    run = sub.add_parser("run", help="run the bot (the console if there is no config file)")
    with_config(run)
    run.set_defaults(func=cmd_run)

    console = sub.add_parser("console", help="try the bot in this terminal, on a local database")
    console.add_argument("--data", metavar="DIR", default="data", help="data directory (./data)")
    console.set_defaults(func=cmd_console)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    with_config(migrate)
    migrate.set_defaults(func=cmd_migrate)

    backup = sub.add_parser(
        "backup",
        help="a consistent copy of the database (and the Matrix device), even while running",
    )
    with_config(backup)
    backup.add_argument(
        "--output", metavar="PATH", help="where to write (default data_dir/backups/)"
    )
    backup.set_defaults(func=cmd_backup)

    check = sub.add_parser("check-config", help="validate the config file and exit")
    with_config(check)
    check.set_defaults(func=cmd_check_config)
    return parser


def _load(flag: str | None) -> Config | None:
    """The config, or None when no file exists and none was asked for explicitly."""
    path = resolve_config_path(flag)
    if not path.exists() and flag is None and not os.environ.get(CONFIG_ENV):
        return None
    return load_config(path)


def cmd_run(args: argparse.Namespace) -> int:
    config = _load(args.config)
    if config is None:
        print(NO_CONFIG_HINT)  # a greeting, not an error: stderr stays for problems
        return run_console(Path("data"), args.routers)
    return _run(config, build_transports(config, args.routers), args.routers)


def cmd_console(args: argparse.Namespace) -> int:
    return run_console(Path(args.data), args.routers)


def run_console(data_dir: Path, routers: Sequence[Router]) -> int:
    # The demo speaks the terminal's language (it_IT.UTF-8: Italian) if it has it, else English.
    terminal = os.environ.get("LANG", "")[:2]
    language = terminal if terminal in LANGUAGES else "en"
    config = demo_config(data_dir.resolve(), f"console:{CONSOLE_USER}", language)
    name = (os.environ.get("USER") or getpass.getuser() or "You").capitalize()
    console = ConsoleTransport(
        user_id=CONSOLE_USER,
        display_name=name,
        exports_dir=data_dir / "exports",
        timezone=ZoneInfo(config.spaces[0].timezone),
    )
    return _run(config, [console], routers, console=console)


def build_transports(config: Config, routers: Sequence[Router]) -> list[Transport]:
    transports: list[Transport] = []
    if config.telegram is not None:
        from bot.transports.telegram.menu import command_menu
        from bot.transports.telegram.transport import TelegramTransport

        language = config.bot.default_language
        menu = command_menu(routers, language)
        transports.append(TelegramTransport(config.telegram, menu=menu, language=language))
    if config.matrix is not None:
        from bot.transports.matrix import MatrixTransport

        transports.append(MatrixTransport.from_config(config))
    return transports


def console_app(
    config: Config,
    console: ConsoleTransport,
    routers: Sequence[Router],
    *,
    background: bool = True,
) -> App:
    """The app behind the console: on the console's clock; each line's answers are
    delivered before the next line is read, and `:wait` runs the jobs at once."""
    from bot.app import App

    app = App(config, [console], routers=routers, clock=console.clock, background=background)

    async def deliver() -> object:
        return await app.outbox.flush()

    async def catch_up() -> None:
        await app.run_jobs()

    console.set_after_input(deliver)
    console.set_after_wait(catch_up)
    return app


def _run(
    config: Config,
    transports: list[Transport],
    routers: Sequence[Router],
    console: ConsoleTransport | None = None,
) -> int:
    from bot.app import App

    secrets = []
    if config.telegram:
        secrets.append(config.telegram.token)
        secrets.append(config.telegram.secret_token)
    if config.matrix:
        secrets += [config.matrix.password, config.matrix.access_token]
    if config.database.url:
        secrets.append(urlsplit(config.database.url).password or "")
    setup_logging("WARNING" if console else config.bot.log_level, secrets)
    if console is not None:
        app = console_app(config, console, routers)
    else:
        app = App(config, transports, routers=routers)
    return asyncio.run(app.run())


def cmd_migrate(args: argparse.Namespace) -> int:
    config = _load(args.config) or demo_config(Path("data").resolve(), f"console:{CONSOLE_USER}")

    async def migrate() -> int:
        store = await Store.open(config.database_target)
        version = await store.db.schema_version()
        await store.close()
        print(f"{store.db.path}: schema version {version}")
        return 0

    return asyncio.run(migrate())


def cmd_backup(args: argparse.Namespace) -> int:
    config = _load(args.config) or demo_config(Path("data").resolve(), f"console:{CONSOLE_USER}")
    remote = bool(config.database.url)
    if not remote and not config.database_path.exists():
        raise ConfigError(config.path, "bot.data_dir", f"no database at {config.database_path}")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = "dump" if remote else "db"  # PostgreSQL: pg_dump's custom format (pg_restore)
    dest = (
        Path(args.output)
        if args.output
        else config.bot.data_dir / "backups" / f"coworkbot-{stamp}.{suffix}"
    )

    async def backup() -> int:
        from storage import open_database

        db = await open_database(config.database_target, migrate=False)
        try:
            await db.backup(dest)
        finally:
            await db.close()
        if config.matrix is not None and not remote:
            from bot.transports.matrix.device_backup import add_to_backup

            # The Matrix device (login, encryption keys) goes into the same file.
            add_to_backup(config.bot.data_dir, dest)
        elif config.matrix is not None:
            print(
                f"coworkbot: the Matrix device (login, encryption keys) stays in "
                f"{config.bot.data_dir}: back that directory up too",
                file=sys.stderr,
            )
        os.chmod(dest, 0o600)  # personal data, and with Matrix the device's keys
        print(dest)
        return 0

    return asyncio.run(backup())


def cmd_check_config(args: argparse.Namespace) -> int:
    path = resolve_config_path(args.config)
    config = load_config(path)
    parts = [f"{len(config.spaces)} space(s)"]
    sections = (("telegram", config.telegram), ("matrix", config.matrix), ("web", config.web))
    parts += [name for name, on in sections if on]
    if config.database.url:
        parts.append("PostgreSQL" + (", replicas" if config.cluster.enabled else ""))
    print(f"{path}: ok ({', '.join(parts)})")
    return 0
