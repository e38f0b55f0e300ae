"""What a handler or a job is given: the caller, the space, the store, the clock, and ways to speak.

Everything a handler says goes to the outbox inside the handler's own transaction, so a
reply exists exactly when the effect it reports does.

The dispatcher gives every command a `CommandContext` (the incoming message is known),
and member and admin commands a `MemberContext` (the space and the caller are known
too, checked before the handler runs); a job's work in one space gets a `SpaceContext`.
A handler that cannot do what was asked raises `Refusal`; the dispatcher answers it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Self
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.events import ChatRef, Document, IncomingMessage, Platform
from bot.i18n import Formatter, Localizer, Markup, Translator
from bot.later import Later, Work
from storage import Session, Store
from storage.members import Member
from storage.outbox import NewOutboxItem
from storage.spaces import Space

if TYPE_CHECKING:
    from bot.registry import Registry

log = logging.getLogger(__name__)

# A message rendered for one reader, in the reader's own language.
Render = Callable[[Localizer], Markup]
# An inline button: (label message key, command line it stands for).
ButtonSpec = tuple[str, str]

DEFAULT_TZ = ZoneInfo("Europe/Rome")


class Refusal(Exception):
    """A command that will not be done, and why: the dispatcher answers `key` translated
    with `values` (as errbot's `CommandError`).

    Raise it before changing anything: what the handler already wrote is kept.
    """

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def message(key: str, /, **values: object) -> Render:
    """A catalog message as a `Render`, for `notify`/`post` with no per-reader values."""
    return lambda loc: loc.t(key, **values)


@dataclass
class Runtime:
    """The long-lived parts every context shares; built once by the app."""

    store: Store
    clock: Clock
    translator: Translator
    registry: Registry
    matrix_prefix: str = "!"
    # How links to the web server are written ("" when `[web]` is not configured).
    public_url: str = ""
    later: Later = field(default_factory=Later)

    def prefix(self, platform: str) -> str:
        return self.matrix_prefix if platform == Platform.MATRIX else "/"

    def context(
        self,
        session: Session,
        space: Space | None = None,
        member: Member | None = None,
        msg: IncomingMessage | None = None,
        lang: str | None = None,
    ) -> Context:
        return Context(self, session, space, member, msg, lang)

    def space_context(self, session: Session, space: Space) -> SpaceContext:
        return SpaceContext(self, session, space, None, None, None)

    async def each_space(self, work: Callable[[SpaceContext], Awaitable[None]]) -> None:
        """Run a job's work once per space, each in its own transaction.

        A failure in one space is logged and does not stop the others: one community's
        odd data must not silence everyone's reminders.
        """
        async with self.store.transaction() as session:
            spaces = await session.spaces.all()
        for space in spaces:
            try:
                async with self.store.transaction() as session:
                    ctx = self.space_context(session, space)
                    await work(ctx)
                self.later.submit(ctx.after)
            except Exception:
                log.exception("job failed for space %s", space.id)


class Context:
    def __init__(
        self,
        rt: Runtime,
        session: Session,
        space: Space | None,
        member: Member | None,
        msg: IncomingMessage | None,
        lang: str | None,
    ) -> None:
        self.rt = rt
        self.session = session
        self.space = space
        self.member = member
        self.msg = msg
        self.now: datetime = rt.clock.now()
        self.after: list[Work] = []
        wanted = (
            lang or (member.language if member else None) or (space.language if space else None)
        )
        self.loc = self.localizer(rt.translator.language(wanted))

    @classmethod
    def _copy(cls, ctx: Context) -> Self:
        """The same context as a narrower kind (same clock reading, same language)."""
        narrowed = cls.__new__(cls)
        narrowed.__dict__.update(ctx.__dict__)
        return narrowed

    # -- reading -------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return self.loc.lang

    @property
    def fmt(self) -> Formatter:
        return self.loc.fmt

    @property
    def tz(self) -> ZoneInfo:
        return self.space.tz if self.space else DEFAULT_TZ

    @property
    def today(self) -> date:
        """Today in the space's timezone (not the server's, not UTC)."""
        return self.now.astimezone(self.tz).date()

    @property
    def prefix(self) -> str:
        return self.rt.prefix(self.msg.chat.platform if self.msg else "")

    def t(self, key: str, /, **values: object) -> Markup:
        return self.loc.t(key, **values)

    def localizer(self, lang: str) -> Localizer:
        currency = self.space.currency if self.space else "EUR"
        return Localizer(self.rt.translator, Formatter(lang, self.tz, currency))

    def loc_for(self, member: Member) -> Localizer:
        space_lang = self.space.language if self.space else None
        return self.localizer(self.rt.translator.language(member.language or space_lang))

    def after_commit(self, work: Work) -> None:
        """Run `work` once this context's transaction has committed (bot/later.py)."""
        self.after.append(work)

    # -- speaking ------------------------------------------------------------------

    async def reply(
        self,
        text: Markup,
        *,
        buttons: Sequence[ButtonSpec] = (),
        document: Document | None = None,
    ) -> int:
        """Answer in the chat the command came from; returns the outbox row's id."""
        if self.msg is None:
            raise RuntimeError("reply() needs an incoming message; jobs use notify() or post()")
        return await self.send(
            self.msg.chat,
            text,
            self.loc,
            buttons=buttons,
            document=document,
            member_id=self.member.id if self.member and self.msg.chat.private else None,
            reply_to=self.msg.message_id,
        )

    async def say(self, key: str, /, **values: object) -> None:
        await self.reply(self.t(key, **values))

    async def notify(
        self,
        member: Member,
        render: Render,
        *,
        buttons: Sequence[ButtonSpec] = (),
        document: Document | None = None,
    ) -> bool:
        """Write to a member privately, in their language, on the platform they used last."""
        identities = await self.session.members.identities(member.id)
        if not identities:
            return False
        chat = ChatRef(Platform(identities[0].platform), identities[0].user_id, private=True)
        loc = self.loc_for(member)
        await self.send(
            chat, render(loc), loc, buttons=buttons, document=document, member_id=member.id
        )
        return True

    async def notify_admins(self, render: Render, *, buttons: Sequence[ButtonSpec] = ()) -> int:
        if self.space is None:
            return 0
        sent = 0
        for admin in await self.session.members.admins(self.space.id):
            sent += await self.notify(admin, render, buttons=buttons)
        return sent

    async def post(
        self,
        render: Render,
        *,
        exclude: ChatRef | None = None,
        buttons: Sequence[ButtonSpec] = (),
    ) -> int:
        """Write to the space's group chats (Telegram group, Matrix room) in its language."""
        if self.space is None:
            return 0
        loc = self.localizer(self.space.language)
        posted = 0
        for platform, chat_id in (await self.session.spaces.chats(self.space.id)).items():
            chat = ChatRef(Platform(platform), chat_id, private=False)
            if exclude is not None and (exclude.platform, exclude.chat_id) == (platform, chat_id):
                continue
            await self.send(chat, render(loc), loc, buttons=buttons)
            posted += 1
        return posted

    async def send(
        self,
        chat: ChatRef,
        text: Markup,
        loc: Localizer,
        *,
        buttons: Sequence[ButtonSpec] = (),
        document: Document | None = None,
        member_id: int | None = None,
        reply_to: str = "",
    ) -> int:
        item = NewOutboxItem(
            platform=chat.platform,
            chat_id=chat.chat_id,
            private=chat.private,
            html=str(text),
            buttons=tuple((str(loc.t(label)), command) for label, command in buttons),
            reply_to=reply_to,
            doc_name=document.filename if document else None,
            doc_mime=document.mime_type if document else None,
            doc_content=document.content if document else None,
            space_id=self.space.id if self.space else None,
            member_id=member_id,
        )
        return await self.session.outbox.enqueue(item, self.now)


class SpaceContext(Context):
    """A context in a known space: a job's work in one space, or a member's command."""

    space: Space


class CommandContext(Context):
    """What the dispatcher gives a command or an event hook: the incoming message is known."""

    msg: IncomingMessage

    @classmethod
    def of(cls, ctx: Context) -> CommandContext:
        if ctx.msg is None:
            raise ValueError("a command context needs the incoming message")
        return cls._copy(ctx)


class MemberContext(CommandContext, SpaceContext):
    """What member and admin commands are given: the caller is a member of the space.

    The dispatcher builds it only after checking that the caller is an active member
    (an admin, for admin commands) of the space the command is about.
    """

    member: Member

    @classmethod
    def of(cls, ctx: Context) -> MemberContext:
        if ctx.msg is None or ctx.space is None or ctx.member is None:
            raise ValueError("a member context needs the message, the space and the member")
        return cls._copy(ctx)
