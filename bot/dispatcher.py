"""The command registry and the one path every incoming message takes.

Each handler module owns a `Router` and declares its commands on it:

    @router.command("checkin", aliases=["in"], role=Role.MEMBER)
    async def checkin(ctx: Context, note: Annotated[str, Rest(200)] = "") -> None: ...

The dispatcher answers, itself and translated, everything the handler should never
see: unknown commands, wrong place, wrong role, bad arguments. It records the update id
in the same transaction as the handler's effects and replies, so a redelivered update
does nothing at all.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import re
import time
import types
import typing
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from bot.arguments import ArgError, Rest, parse_date
from bot.context import Context, Runtime
from bot.events import ChatRef, IncomingMessage, Kind, UserRef
from bot.i18n import Catalog, Markup, escape
from storage import Session
from storage.members import Member, MemberStatus

if TYPE_CHECKING:
    from aiohttp import web

    from bot.web import Fresh, Route

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]
JobFunc = Callable[[Runtime], Awaitable[None]]
EventFunc = Callable[[Context], Awaitable[None]]
RouteFunc = Callable[[Runtime, "web.Request"], Awaitable["web.StreamResponse"]]

MAX_COMMAND_ECHO = 32


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
class Param:
    name: str
    kind: Any
    optional: bool
    default: Any
    rest: bool
    max_len: int = 0


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    role: Role
    where: Where
    func: Handler
    params: tuple[Param, ...]
    router: str

    @property
    def key(self) -> str:
        """The catalog stem: `cmd.<key>` describes it, `usage.<key>` shows its arguments."""
        return self.name.replace(" ", "_")


@dataclass(frozen=True)
class Job:
    id: str
    every: timedelta
    func: JobFunc


class Router:
    """One per handler module: its commands, its jobs, its event hooks, its web routes
    (bot/web.py) and its messages."""

    def __init__(self, name: str, messages: Catalog | None = None) -> None:
        self.name = name
        self.messages: Catalog = messages or {}
        self.commands: list[Command] = []
        self.jobs: list[Job] = []
        self.events: dict[Kind, list[EventFunc]] = {}
        self.routes: list[Route] = []

    def command(
        self,
        name: str,
        *,
        aliases: Sequence[str] = (),
        role: Role = Role.MEMBER,
        where: Where = Where.ANY,
    ) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            self.commands.append(
                Command(name, tuple(aliases), role, where, func, _params(func), self.name)
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
        from bot.web import Route  # bot.web uses the flood guard below

        def register(func: RouteFunc) -> RouteFunc:
            self.routes.append(Route(method, path, func, limited, fresh))
            return func

        return register


def _params(func: Handler) -> tuple[Param, ...]:
    """Read the arguments a handler wants from its signature (after `ctx`)."""
    hints = typing.get_type_hints(func, include_extras=True)
    out: list[Param] = []
    for name, p in list(inspect.signature(func).parameters.items())[1:]:
        kind = hints[name]
        rest, max_len = False, 0
        if typing.get_origin(kind) is Annotated:
            base, *extras = typing.get_args(kind)
            for extra in extras:
                if isinstance(extra, Rest):
                    rest, max_len = True, extra.max_len
            kind = base
        if typing.get_origin(kind) in (typing.Union, types.UnionType):
            non_none = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = non_none[0]
        rest = rest or bool(getattr(kind, "rest", False))
        optional = p.default is not inspect.Parameter.empty
        out.append(Param(name, kind, optional, p.default if optional else None, rest, max_len))
    return tuple(out)


class Registry:
    def __init__(self, routers: Iterable[Router]) -> None:
        self.routers = list(routers)
        self.commands: dict[str, Command] = {}
        self._names: dict[str, str] = {}
        self.jobs: list[Job] = []
        self.events: dict[Kind, list[EventFunc]] = {}
        self.routes: list[Route] = []
        for router in self.routers:
            for command in router.commands:
                for word in (command.name, *command.aliases):
                    if word in self._names:
                        raise ValueError(f"command {word!r} is registered twice")
                    self._names[word] = command.name
                self.commands[command.name] = command
            self.jobs.extend(router.jobs)
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
        matches = difflib.get_close_matches(word, list(self._names), n=1, cutoff=0.75)
        return self._names[matches[0]] if matches else None

    def visible(self, role: Role, chat_admin: bool = False) -> list[Command]:
        allowed = [
            c
            for c in self.commands.values()
            if c.role <= role or (c.role is Role.CHAT_ADMIN and chat_admin)
        ]
        return allowed

    def usage(self, command: Command, ctx: Context) -> Markup:
        usage_key = f"usage.{command.key}"
        args = ctx.t(usage_key) if ctx.rt.translator.has(usage_key) else Markup("")
        line = f"{ctx.prefix}{command.name} {args}".rstrip()
        return Markup(f"<code>{escape(line)}</code>")


@dataclass(frozen=True)
class ParsedLine:
    word: str
    args: str
    addressed: bool


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def without_controls(text: str) -> str:
    """Control and direction-override characters become spaces: they carry no meaning in a
    command and could hide what a stored text really says."""
    return _CONTROLS.sub(" ", text)


_COMMAND = re.compile(r"^(?P<word>[A-Za-z][A-Za-z0-9_]{0,31})(?:@(?P<bot>[A-Za-z0-9_]+))?$")


def parse_line(text: str, prefixes: str, bot_name: str) -> ParsedLine | None:
    """`/checkin@CoworkBot note` → ("checkin", "note"); None if not a command for us."""
    stripped = text.strip()
    if len(stripped) < 2 or stripped[0] not in prefixes:
        return None
    first, _, rest = stripped[1:].partition(" ")
    first, newline, after = first.partition("\n")
    if newline:
        rest = f"{after} {rest}" if rest else after
    m = _COMMAND.match(first.strip())
    if m is None:
        return None
    addressed = m["bot"] is not None
    if addressed and bot_name and m["bot"].lower() != bot_name.lower():
        return None
    return ParsedLine(m["word"].lower(), rest.strip(), addressed)


@dataclass
class FloodGuard:
    """At most `limit` commands per `window` seconds per sender; others are not slowed.

    Kept in memory on purpose: it protects the bot's time now; after a restart everyone
    starts fresh, which costs nothing.
    """

    limit: int = 20
    window: float = 10.0
    now: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _warned: set[str] = field(default_factory=set)

    def check(self, who: str) -> Literal["ok", "warn", "drop"]:
        moment = self.now()
        if len(self._seen) > 1000:
            self.forget_idle()
        stamps = self._seen.setdefault(who, deque())
        while stamps and stamps[0] <= moment - self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(moment)
            self._warned.discard(who)
            return "ok"
        if who in self._warned:
            return "drop"
        self._warned.add(who)
        return "warn"

    def forget_idle(self) -> None:
        moment = self.now()
        for who in [w for w, s in self._seen.items() if not s or s[-1] <= moment - self.window]:
            del self._seen[who]
            self._warned.discard(who)


class Dispatcher:
    def __init__(
        self,
        rt: Runtime,
        *,
        bot_names: dict[str, str] | None = None,
        is_chat_admin: Callable[[ChatRef, UserRef], Awaitable[bool]] | None = None,
        on_commit: Callable[[], None] = lambda: None,
        flood: FloodGuard | None = None,
    ) -> None:
        self.rt = rt
        self.registry = rt.registry
        self.bot_names = bot_names if bot_names is not None else {}
        self._is_chat_admin = is_chat_admin
        self._on_commit = on_commit
        self.flood = flood or FloodGuard()

    def prefixes(self, platform: str) -> str:
        if platform == "telegram":
            return "/"
        if platform == "matrix":
            return self.rt.matrix_prefix
        return "/" + self.rt.matrix_prefix

    async def handle(self, msg: IncomingMessage) -> None:
        """Process one update exactly once; never raises for anything a user can send."""
        if msg.kind is Kind.EDITED:
            return  # an edited command would run twice; people expect edits to be ignored
        if msg.kind is Kind.MEMBER_LEFT:
            await self._event(msg)
            return
        bot_name = self.bot_names.get(msg.chat.platform, "")
        parsed = parse_line(without_controls(msg.text), self.prefixes(msg.chat.platform), bot_name)
        if parsed is None and not (msg.chat.private and msg.text.strip()):
            return  # ordinary group chatter is none of our business
        verdict = self.flood.check(msg.sender.identity)
        if verdict == "drop":
            return
        found = self.registry.lookup(parsed.word, parsed.args) if parsed else None
        chat_admin = False
        if found and found[0].role is Role.CHAT_ADMIN and not msg.chat.private:
            chat_admin = await self._check_chat_admin(msg)
        ctx: Context | None = None
        try:
            async with self.rt.store.transaction() as session:
                if not await session.updates.mark_processed(msg.dedupe_key, self.rt.clock.now()):
                    return
                ctx = await self._context(session, msg)
                if verdict == "warn":
                    await ctx.say("flood.slow_down")
                elif parsed is None:
                    await ctx.say("dispatch.not_a_command", help=f"{ctx.prefix}help")
                else:
                    await self._run(ctx, parsed, found, chat_admin)
        except Exception:
            log.exception("handler failed for update %s", msg.dedupe_key)
            ctx = None  # rolled back: what it left for later goes with it
            await self._apologise(msg)
        self._on_commit()
        if ctx is not None:
            self.rt.later.submit(ctx.after)

    async def _check_chat_admin(self, msg: IncomingMessage) -> bool:
        if msg.sender_is_chat_admin is not None:
            return msg.sender_is_chat_admin
        if self._is_chat_admin is None:
            return False
        try:
            return await self._is_chat_admin(msg.chat, msg.sender)
        except Exception:
            log.warning("could not check chat admin rights", exc_info=True)
            return False

    async def _apologise(self, msg: IncomingMessage) -> None:
        """The handler broke: its effects are rolled back; say so once, and never again."""
        try:
            async with self.rt.store.transaction() as session:
                if await session.updates.mark_processed(msg.dedupe_key, self.rt.clock.now()):
                    ctx = await self._context(session, msg)
                    await ctx.say("dispatch.internal_error")
        except Exception:
            log.exception("could not even apologise for update %s", msg.dedupe_key)

    async def _event(self, msg: IncomingMessage) -> None:
        funcs = self.registry.events.get(msg.kind, [])
        if not funcs:
            return
        try:
            async with self.rt.store.transaction() as session:
                if not await session.updates.mark_processed(msg.dedupe_key, self.rt.clock.now()):
                    return
                ctx = await self._context(session, msg)
                for func in funcs:
                    await func(ctx)
        except Exception:
            log.exception("event hook failed for update %s", msg.dedupe_key)
        self._on_commit()

    async def _context(self, session: Session, msg: IncomingMessage) -> Context:
        """Find the space and the caller: the chat's space in a group, the last used in private."""
        identity = msg.sender.identity
        member: Member | None = None
        if msg.chat.private:
            memberships = await session.members.memberships(identity)
            current = [m for m in memberships if m.status is not MemberStatus.LEFT]
            member = (current or memberships)[0] if memberships else None
            space = await session.spaces.get(member.space_id) if member else None
        else:
            space = await session.spaces.by_chat(msg.chat.platform, msg.chat.chat_id)
            if space:
                member = await session.members.by_identity(space.id, identity)
        if member is not None:
            member = await session.members.touch(
                member, identity, msg.sender.display_name, msg.sender.username, self.rt.clock.now()
            )
        lang = member.language if member and member.language else None
        if lang is None and msg.sender.language in ("it", "en") and member is None:
            lang = msg.sender.language
        return self.rt.context(session, space, member, msg, lang)

    async def _run(
        self,
        ctx: Context,
        parsed: ParsedLine,
        found: tuple[Command, str] | None,
        chat_admin: bool,
    ) -> None:
        assert ctx.msg is not None
        if found is None:
            await self._unknown(ctx, parsed)
            return
        command, args = found
        if not await self._allowed(ctx, command, chat_admin):
            return
        try:
            values = await self._parse_args(ctx, command, args)
        except ArgError as err:
            usage = self.registry.usage(command, ctx)
            await ctx.reply(
                Markup(f"{ctx.t(err.key, **err.values)}\n{ctx.t('dispatch.usage')} {usage}")
            )
            return
        await command.func(ctx, **values)

    async def _unknown(self, ctx: Context, parsed: ParsedLine) -> None:
        assert ctx.msg is not None
        group = self.registry.group(parsed.word)
        if group:
            lines = [self.registry.usage(c, ctx) for c in group]
            await ctx.reply(Markup(f"{ctx.t('dispatch.usage')}\n" + "\n".join(lines)))
            return
        shown = parsed.word[:MAX_COMMAND_ECHO]
        suggestion = self.registry.suggest(parsed.word)
        if suggestion:
            await ctx.say(
                "dispatch.unknown_suggest",
                command=f"{ctx.prefix}{shown}",
                suggestion=f"{ctx.prefix}{suggestion}",
            )
        elif ctx.msg.chat.private or parsed.addressed or ctx.msg.chat.platform == "console":
            # In a real group an unknown command may belong to another bot: stay quiet.
            await ctx.say(
                "dispatch.unknown", command=f"{ctx.prefix}{shown}", help=f"{ctx.prefix}help"
            )

    async def _allowed(self, ctx: Context, command: Command, chat_admin: bool) -> bool:
        assert ctx.msg is not None
        private = ctx.msg.chat.private
        name = f"{ctx.prefix}{command.name}"
        if command.where is Where.GROUP and private:
            await ctx.say("dispatch.group_only", command=name)
            return False
        if command.where is Where.PRIVATE and not private:
            await ctx.say("dispatch.private_only", command=name)
            return False
        if command.role is Role.ANYONE:
            return True
        if command.role is Role.CHAT_ADMIN:
            if not chat_admin:
                await ctx.say("dispatch.chat_admin_only", command=name)
            return chat_admin
        if ctx.space is None:
            await ctx.say(
                "dispatch.no_space" if not private else "dispatch.no_membership",
                setup=f"{ctx.prefix}setup",
                join=f"{ctx.prefix}join",
            )
            return False
        member = ctx.member
        if member is None or member.status is MemberStatus.LEFT:
            await ctx.say("dispatch.not_member", join=f"{ctx.prefix}join")
            return False
        if member.status is MemberStatus.PENDING:
            await ctx.say("dispatch.pending")
            return False
        if command.role is Role.ADMIN and not member.is_admin:
            await ctx.say("dispatch.admin_only", command=name)
            return False
        return True

    async def _parse_args(self, ctx: Context, command: Command, text: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        rest = text.strip()
        for param in command.params:
            if param.rest:
                token, rest = rest, ""
            else:
                token, _, rest = rest.partition(" ")
                rest = rest.strip()
            if not token:
                if not param.optional:
                    raise ArgError("dispatch.missing_argument")
                values[param.name] = param.default
                continue
            values[param.name] = await _convert(param, token, ctx)
        if rest:
            raise ArgError("dispatch.too_many_arguments")
        return values


async def _convert(param: Param, token: str, ctx: Context) -> Any:
    kind = param.kind
    if param.max_len and len(token) > param.max_len:
        raise ArgError("dispatch.too_long", limit=param.max_len, length=len(token))
    if kind is str:
        return token
    if kind is int:
        if not re.fullmatch(r"[+-]?\d{1,12}", token.removeprefix("#")):
            raise ArgError("dispatch.not_a_number", value=token[:MAX_COMMAND_ECHO])
        return int(token.removeprefix("#"))
    if typing.get_origin(kind) is Literal:
        choices = [str(c) for c in typing.get_args(kind)]
        if token.lower() not in choices:
            raise ArgError(
                "dispatch.not_a_choice",
                value=token[:MAX_COMMAND_ECHO],
                choices=", ".join(choices),
            )
        return token.lower()
    if kind is date:
        return parse_date(token, ctx.today)
    convert = getattr(kind, "convert", None)
    if convert is None:
        raise TypeError(f"no converter for argument type {kind!r}")
    return await convert(token, ctx)


MESSAGES: Catalog = {
    "dispatch.usage": {"en": "Usage:", "it": "Uso:"},
    "dispatch.unknown": {
        "en": "I don't know the command {command}. Send {help} for the list.",
        "it": "Non conosco il comando {command}. Scrivi {help} per l'elenco.",
    },
    "dispatch.unknown_suggest": {
        "en": "I don't know the command {command}. Did you mean {suggestion}?",
        "it": "Non conosco il comando {command}. Forse intendevi {suggestion}?",
    },
    "dispatch.not_a_command": {
        "en": "I answer to commands. Send {help} to see what I can do.",
        "it": "Rispondo ai comandi. Scrivi {help} per vedere cosa so fare.",
    },
    "dispatch.group_only": {
        "en": "{command} works in the community's group, not here.",
        "it": "{command} funziona nel gruppo della comunità, non qui.",
    },
    "dispatch.private_only": {
        "en": "{command} is private: send it to me in a private chat.",
        "it": "{command} è privato: scrivimelo in chat privata.",
    },
    "dispatch.chat_admin_only": {
        "en": "Only an administrator of this chat can use {command}.",
        "it": "Solo un amministratore di questa chat può usare {command}.",
    },
    "dispatch.no_space": {
        "en": "This chat is not set up yet. A chat administrator can send {setup}.",
        "it": "Questa chat non è ancora configurata. Un amministratore può scrivere {setup}.",
    },
    "dispatch.no_membership": {
        "en": "You are not a member of any space yet. Send {join} in your community's group.",
        "it": (
            "Non sei ancora membro di nessuno spazio. Scrivi {join} nel gruppo della tua comunità."
        ),
    },
    "dispatch.not_member": {
        "en": "This is for members. Send {join} in the group to become one.",
        "it": "Questo è per i membri. Scrivi {join} nel gruppo per diventarlo.",
    },
    "dispatch.pending": {
        "en": "Your request to join is waiting for an admin's approval.",
        "it": "La tua richiesta di iscrizione aspetta l'approvazione di un amministratore.",
    },
    "dispatch.admin_only": {
        "en": "Only the space's admins can use {command}.",
        "it": "Solo gli amministratori dello spazio possono usare {command}.",
    },
    "dispatch.missing_argument": {
        "en": "Something is missing.",
        "it": "Manca qualcosa.",
    },
    "dispatch.too_many_arguments": {
        "en": "Too many words.",
        "it": "Troppe parole.",
    },
    "dispatch.too_long": {
        "en": "Too long: at most {limit} characters (you wrote {length}).",
        "it": "Troppo lungo: al massimo {limit} caratteri (ne hai scritti {length}).",
    },
    "dispatch.not_a_number": {
        "en": "“{value}” is not a whole number.",
        "it": "“{value}” non è un numero intero.",
    },
    "dispatch.not_a_choice": {
        "en": "“{value}” is not one of: {choices}.",
        "it": "“{value}” non è tra: {choices}.",
    },
    "dispatch.internal_error": {
        "en": "Sorry, something went wrong on my side and nothing was changed. Please try again.",
        "it": "Scusa, qualcosa è andato storto da parte mia e non ho cambiato nulla. Riprova.",
    },
    "flood.slow_down": {
        "en": "You are going too fast: I'll ignore your commands for a few seconds.",
        "it": "Vai troppo veloce: ignorerò i tuoi comandi per qualche secondo.",
    },
    "args.bad_date": {
        "en": "“{value}” is not a date: write 2027-03-28, 28/03/2027, today or tomorrow.",
        "it": "“{value}” non è una data: scrivi 2027-03-28, 28/03/2027, oggi o domani.",
    },
    "args.no_such_date": {
        "en": "{value} does not exist in the calendar.",
        "it": "{value} non esiste nel calendario.",
    },
    "args.bad_month": {
        "en": "“{value}” is not a month: write it as YYYY-MM, e.g. 2026-11.",
        "it": "“{value}” non è un mese: scrivilo come AAAA-MM, per esempio 2026-11.",
    },
}
