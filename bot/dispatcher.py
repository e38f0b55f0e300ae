"""The one path every incoming message takes.

The dispatcher answers, itself and translated, everything the handler should never
see: unknown commands, wrong place, wrong role, bad arguments. It records the update id
in the same transaction as the handler's effects and replies, so a redelivered update
does nothing at all. The parts it uses: `bot.parsing` reads the line, `bot.flood`
slows a flooding sender, `bot.registry` finds the command, `bot.arguments` reads its
arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.arguments import ECHO, ArgError, parse_args
from bot.context import CommandContext, MemberContext, Refusal, Runtime
from bot.events import ChatRef, IncomingMessage, Kind, UserRef
from bot.flood import FloodGuard
from bot.i18n import Markup
from bot.later import Work
from bot.parsing import ParsedLine, parse_line, without_controls
from bot.registry import Command, EventFunc, Role, Where
from storage import Session, Unit
from storage.flood import Verdict
from storage.members import Member, MemberStatus

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        rt: Runtime,
        *,
        bot_names: dict[str, str] | None = None,
        is_chat_admin: Callable[[ChatRef, UserRef], Awaitable[bool]] | None = None,
        on_commit: Callable[[], None] = lambda: None,
        flood: FloodGuard | None = None,
        shared_flood: bool = False,
    ) -> None:
        self.rt = rt
        self.registry = rt.registry
        self.bot_names = bot_names if bot_names is not None else {}
        self._is_chat_admin = is_chat_admin
        self.flood = flood or FloodGuard()
        # Replicas take one sender's updates in turn: then the count is in the database.
        self.shared_flood = shared_flood
        self._on_commit = on_commit
        self._line = rt.store.group

    def prefixes(self, platform: str) -> str:
        if platform == "telegram":
            return "/"
        if platform == "matrix":
            return self.rt.matrix_prefix
        return "/" + self.rt.matrix_prefix

    async def handle(self, msg: IncomingMessage) -> None:
        """Process one update exactly once; never raises for anything a user can send.

        Returns once the update's effects and replies are committed: with the updates
        that arrived alongside it, in one transaction (storage/groupcommit.py).
        """
        if msg.kind is Kind.EDITED:
            return  # an edited command would run twice; people expect edits to be ignored
        ticket = self._line.reserve()  # its turn is its arrival, whatever it awaits below
        try:
            prepared = await self._prepare(msg)
        except BaseException:
            self._line.cancel(ticket)
            raise
        if prepared is None:
            self._line.cancel(ticket)
            return
        unit, after = prepared
        await self._line.submit(ticket, unit)
        self._on_commit()
        self.rt.later.submit(after)

    async def _prepare(self, msg: IncomingMessage) -> tuple[Unit, list[Work]] | None:
        """What the update asks for, read before its transaction, and the list its
        handler fills with what is left for after commit; None if nothing."""
        if msg.kind not in (Kind.MESSAGE, Kind.BUTTON):
            # Something happened to a chat or a member (left, moved, the bot removed…).
            funcs = self.registry.events.get(msg.kind, [])
            if not funcs:
                return None
            return Unit(
                f"event hook for update {msg.dedupe_key}",
                lambda session: self._event(session, msg, funcs),
                _nothing,
            ), []
        bot_name = self.bot_names.get(msg.chat.platform, "")
        parsed = parse_line(without_controls(msg.text), self.prefixes(msg.chat.platform), bot_name)
        if parsed is None and not (msg.chat.private and msg.text.strip()):
            return None  # ordinary group chatter is none of our business
        shared = self.shared_flood
        verdict: Verdict = "ok" if shared else self.flood.check(msg.sender.identity)
        if verdict == "drop":
            return None
        found = self.registry.lookup(parsed.word, parsed.args) if parsed else None
        chat_admin = False
        if found and found[0].role is Role.CHAT_ADMIN and not msg.chat.private:
            chat_admin = await self._check_chat_admin(msg)
        after: list[Work] = []  # what the handler left for after commit (bot/later.py)

        async def work(session: Session) -> None:
            after.clear()  # a unit may run again alone if its batch could not commit
            if not await session.updates.mark_processed(msg.dedupe_key, self.rt.clock.now()):
                return
            said: Verdict = verdict
            if shared:
                said = await session.flood.check(
                    msg.sender.identity,
                    self.rt.clock.now(),
                    limit=self.flood.limit,
                    window=timedelta(seconds=self.flood.window),
                )
                if said == "drop":
                    return
            ctx = await self._context(session, msg)
            if said == "warn":
                await ctx.say("flood.slow_down")
            elif parsed is None:
                await ctx.say("dispatch.not_a_command", help=ctx.command("help"))
            else:
                await self._run(ctx, parsed, found, chat_admin)
            after.extend(ctx.after)  # the narrower contexts share this list

        async def failed(session: Session) -> None:
            after.clear()  # rolled back: what it left for after commit goes with it
            await self._apologise(session, msg)

        return Unit(f"handler for update {msg.dedupe_key}", work, failed), after

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

    async def _apologise(self, session: Session, msg: IncomingMessage) -> None:
        """The handler broke: its effects are rolled back; say so once, and never again."""
        if await session.updates.mark_processed(msg.dedupe_key, self.rt.clock.now()):
            ctx = await self._context(session, msg)
            await ctx.say("dispatch.internal_error")

    async def _event(self, session: Session, msg: IncomingMessage, funcs: list[EventFunc]) -> None:
        if not await session.updates.mark_processed(msg.dedupe_key, self.rt.clock.now()):
            return
        ctx = await self._context(session, msg)
        for func in funcs:
            await func(ctx)

    async def _context(self, session: Session, msg: IncomingMessage) -> CommandContext:
        """Find the space and the caller: the chat's space in a group, the last used in private."""
        identity = msg.sender.identity
        member: Member | None = None
        if msg.chat.private:
            space, member = await session.members.in_private(identity)
        else:
            space, member = await session.members.in_chat(
                msg.chat.platform, msg.chat.chat_id, identity
            )
        if member is not None:
            # Only what someone says shows their current name: a departure or a block
            # keeps the name they had (a platform may not know it any more).
            speaking = msg.kind in (Kind.MESSAGE, Kind.BUTTON)
            member = await session.members.touch(
                member,
                identity,
                msg.sender.display_name if speaking else "",
                msg.sender.username if speaking else member.username,
                self.rt.clock.now(),
            )
        lang = member.language if member and member.language else None
        if lang is None and msg.sender.language in self.rt.translator.catalogs and member is None:
            lang = msg.sender.language
        if space is not None and not msg.chat.private:
            lang = space.language  # the whole group reads it: the space's language
        return CommandContext(self.rt, session, space, member, msg, lang)

    async def _run(
        self,
        ctx: CommandContext,
        parsed: ParsedLine,
        found: tuple[Command, str] | None,
        chat_admin: bool,
    ) -> None:
        if found is None:
            await self._unknown(ctx, parsed)
            return
        command, args = found
        if not await self._allowed(ctx, command, chat_admin):
            return
        if command.role in (Role.MEMBER, Role.ADMIN):
            ctx = MemberContext.of(ctx)  # _allowed found the space and an active member
        try:
            values = await parse_args(ctx, command.params, args)
        except ArgError as err:
            usage = self.registry.usage(command, ctx, typed=parsed.word)
            await ctx.reply(
                Markup(f"{ctx.t(err.key, **err.values)}\n{ctx.t('dispatch.usage')} {usage}")
            )
            return
        try:
            await command.func(ctx, **values)
        except Refusal as refusal:
            await ctx.say(refusal.key, **refusal.values)

    async def _unknown(self, ctx: CommandContext, parsed: ParsedLine) -> None:
        group = self.registry.group(parsed.word)
        if group:
            lines = [self.registry.usage(c, ctx) for c in group]
            await ctx.reply(Markup(f"{ctx.t('dispatch.usage')}\n" + "\n".join(lines)))
            return
        shown = parsed.word[:ECHO]
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
                "dispatch.unknown", command=f"{ctx.prefix}{shown}", help=ctx.command("help")
            )

    async def _allowed(self, ctx: CommandContext, command: Command, chat_admin: bool) -> bool:
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


async def _nothing(session: Session) -> None:
    """An event hook that failed records nothing: its update runs again if redelivered."""
