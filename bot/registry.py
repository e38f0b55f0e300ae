"""The command registry: each capability's `Router` declares its commands, jobs and hooks;
the `Registry` gathers every router's, refusing two commands with one name.

Each capability owns a `Router` and declares its commands on it:

    @router.command("checkin", aliases=["in"], local={"it": "entro"}, role=Role.MEMBER)
    async def checkin(ctx: MemberContext, note: Annotated[str, Rest(200)] = "") -> None: ...

A `local` name is what the command is called in one language's menu and /help
(`/entro` in Italian); like every alias it works in any language. The arguments a
command takes are read from its signature when it is registered (`bot.arguments`).
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum, StrEnum

from bot.arguments import Param, signature_params
from bot.config import Config
from bot.context import CommandContext, Context, MemberContext, Runtime
from bot.events import Kind
from bot.i18n import Markup, escape
from bot.web import Fresh, Route, RouteFunc

Handler = Callable[..., Awaitable[None]]
JobFunc = Callable[[Runtime], Awaitable[None]]
EventFunc = Callable[[CommandContext], Awaitable[None]]
StartupFunc = Callable[[Runtime, Config], Awaitable[None]]


class Role(IntEnum):
    """Who may run a command. CHAT_ADMIN is the platform's own admin of the chat (setup)."""

    ANYONE = 0
    MEMBER = 1
    ADMIN = 2
    CHAT_ADMIN = 3


class Where(StrEnum):
    ANY = "any"
    GROUP = "group"
    PRIVATE = "private"


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    role: Role
    where: Where
    func: Handler
    params: tuple[Param, ...]
    router: str
    local: tuple[tuple[str, str], ...] = ()  # (language, name) for menus and /help

    @property
    def key(self) -> str:
        """The catalog stem: `cmd.<key>` describes it, `usage.<key>` shows its arguments."""
        return self.name.replace(" ", "_")

    def name_in(self, lang: str) -> str:
        """What the command is called for a reader of `lang`: its local name, or its own."""
        return dict(self.local).get(lang, self.name)


@dataclass(frozen=True)
class Job:
    id: str
    every: timedelta
    func: JobFunc


class Router:
    """One per capability: its commands, its jobs, its event and startup hooks, its web
    routes (bot/web.py).

    Its messages are in `locales/` under keys of its own (`section.<name>` titles its
    commands in /help, `cmd.<command>` describes one, `usage.<command>` shows its
    arguments).
    """

    def __init__(self, name: str, messages: object = None) -> None:
        if messages is not None:
            raise TypeError(
                f"Router {name!r} was given a message dict: messages live in"
                " locales/<lang>/LC_MESSAGES/coworkbot.po now; `make i18n` moves such dicts there"
            )
        self.name = name
        self.commands: list[Command] = []
        self.jobs: list[Job] = []
        self.events: dict[Kind, list[EventFunc]] = {}
        self.startup: list[StartupFunc] = []
        self.routes: list[Route] = []

    def command(
        self,
        name: str,
        *,
        aliases: Sequence[str] = (),
        local: Mapping[str, str] | None = None,
        role: Role = Role.MEMBER,
        where: Where = Where.ANY,
    ) -> Callable[[Handler], Handler]:
        names = dict(local or {})

        def register(func: Handler) -> Handler:
            if role not in (Role.MEMBER, Role.ADMIN) and wants_member_context(func):
                raise TypeError(
                    f"{func.__qualname__} takes a MemberContext, but {role.name} commands run"
                    " for callers who may be no member: take a CommandContext"
                )
            self.commands.append(
                Command(
                    name,
                    (*aliases, *names.values()),
                    role,
                    where,
                    func,
                    signature_params(func),
                    self.name,
                    tuple(sorted(names.items())),
                )
            )
            return func

        return register

    def job(self, job_id: str, *, every: timedelta) -> Callable[[JobFunc], JobFunc]:
        def register(func: JobFunc) -> JobFunc:
            self.jobs.append(Job(job_id, every, func))
            return func

        return register

    def on(self, kind: Kind) -> Callable[[EventFunc], EventFunc]:
        def register(func: EventFunc) -> EventFunc:
            self.events.setdefault(kind, []).append(func)
            return func

        return register

    def route(
        self, method: str, path: str, *, limited: bool = False, fresh: Fresh = None
    ) -> Callable[[RouteFunc], RouteFunc]:
        """A web route, served when `[web]` is configured (see bot/web.py)."""

        def register(func: RouteFunc) -> RouteFunc:
            self.routes.append(Route(method, path, func, limited, fresh))
            return func

        return register

    def on_startup(self, func: StartupFunc) -> StartupFunc:
        """Run `func(rt, config)` once when the app starts, after the database is open and
        before any update is read or any job runs (e.g. applying `[[spaces]]`)."""
        self.startup.append(func)
        return func


def wants_member_context(func: Handler) -> bool:
    """Whether a handler's first parameter, the context, is annotated as a MemberContext."""
    first = next(iter(inspect.signature(func).parameters), None)
    wanted = typing.get_type_hints(func).get(first) if first else None
    return isinstance(wanted, type) and issubclass(wanted, MemberContext)


class Registry:
    def __init__(self, routers: Iterable[Router]) -> None:
        self.routers = list(routers)
        self.commands: dict[str, Command] = {}
        self._names: dict[str, str] = {}
        # language → command → its name there (`it`: `checkin` → `entro`), for replies.
        self.local_names: dict[str, dict[str, str]] = {}
        self.jobs: list[Job] = []
        self.events: dict[Kind, list[EventFunc]] = {}
        self.startup: list[StartupFunc] = []
        self.routes: list[Route] = []
        for router in self.routers:
            for command in router.commands:
                for word in (command.name, *command.aliases):
                    if word in self._names:
                        raise ValueError(f"command {word!r} is registered twice")
                    self._names[word] = command.name
                self.commands[command.name] = command
                for lang, local in command.local:
                    self.local_names.setdefault(lang, {})[command.name] = local
            self.jobs.extend(router.jobs)
            self.startup.extend(router.startup)
            for kind, funcs in router.events.items():
                self.events.setdefault(kind, []).extend(funcs)
            self.routes.extend(router.routes)
        paths = [(r.method, r.path) for r in self.routes]
        if len(paths) != len(set(paths)):
            raise ValueError(f"a web route is declared twice in {paths}")
        job_ids = [j.id for j in self.jobs]
        if len(job_ids) != len(set(job_ids)):
            raise ValueError(f"duplicate job ids in {job_ids}")

    def lookup(self, word: str, args: str) -> tuple[Command, str] | None:
        """The command a line means; two-word commands (`cost add`) win over one word."""
        head, _, tail = args.strip().partition(" ")
        if head:
            two = self._names.get(f"{word} {head.lower()}")
            if two:
                return self.commands[two], tail.strip()
        one = self._names.get(word)
        return (self.commands[one], args.strip()) if one else None

    def group(self, word: str) -> list[Command]:
        """Commands under a group word with no command of its own (`cost` → cost add, …)."""
        return [c for c in self.commands.values() if c.name.startswith(word + " ")]

    def suggest(self, word: str) -> str | None:
        """The name closest to a mistyped word: `/entor` suggests `/entro`, not `/checkin`."""
        matches = difflib.get_close_matches(word, list(self._names), n=1, cutoff=0.75)
        return matches[0] if matches else None

    def visible(self, role: Role, chat_admin: bool = False) -> list[Command]:
        allowed = [
            c
            for c in self.commands.values()
            if c.role <= role or (c.role is Role.CHAT_ADMIN and chat_admin)
        ]
        return allowed

    def usage(self, command: Command, ctx: Context, typed: str = "") -> Markup:
        """`/checkin [note]`: by the name the person typed if it is one of the command's
        (`/in`), else by the reader's language's name (`/entro`)."""
        usage_key = f"usage.{command.key}"
        args = ctx.t(usage_key) if ctx.rt.translator.has(usage_key) else Markup("")
        if " " in command.name or typed not in (command.name, *command.aliases):
            typed = command.name_in(ctx.lang)
        line = f"{ctx.prefix}{typed} {args}".rstrip()
        return Markup(f"<code>{escape(line)}</code>")
