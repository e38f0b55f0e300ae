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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.events import ChatRef, Document, IncomingMessage, Kind, Platform
from bot.i18n import Formatter, Localizer, Markup, Translator, to_plain
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
# An inline button: (label message key, or a rendered `Markup` label; the command line
# it stands for).
ButtonSpec = tuple[str, str]

DEFAULT_TZ = ZoneInfo("Europe/Rome")
# A command older than this when it is handled (sent while the bot was down) is
# answered with a note that the answer comes late.
LATE_AFTER = timedelta(minutes=15)


class Refusal(Exception):
    """A command that will not be done, and why: the dispatcher answers `key` translated
    with `values` (as errbot's `CommandError`).

    Raise it before changing anything: what the handler already wrote is kept.
    """

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@runtime_checkable
class ForReader(Protocol):
    """A value shown differently to each reader (their language, their prefix)."""

    def for_reader(self, loc: Localizer) -> object: ...


@dataclass(frozen=True)
class Cmd:
    """A command inside a message, written with the reader's own prefix (/ or !) and
    name (`/pagato` for an Italian)."""

    line: str

    def for_reader(self, loc: Localizer) -> object:
        return loc.command(self.line)


@dataclass(frozen=True)
class Ago:
    """A length of time (`4 hours`), in the reader's language."""

    span: timedelta

    def for_reader(self, loc: Localizer) -> object:
        return loc.fmt.span(self.span)


@dataclass(frozen=True)
class Said:
    """A catalog message without values, in the reader's language."""

    key: str

    def for_reader(self, loc: Localizer) -> object:
        return loc.t(self.key)


def message(key: str, /, **values: object) -> Render:
    """A catalog message as a `Render`; values that are `ForReader` (`Cmd`, `Ago`, `Said`)
    are shown for each reader."""

    def render(loc: Localizer) -> Markup:
        shown = {k: v.for_reader(loc) if isinstance(v, ForReader) else v for k, v in values.items()}
        return loc.t(key, **shown)

    return render


@dataclass(frozen=True)
class Letter:
    """A private message to one member, rendered in their language with their prefix."""

    member: Member
    render: Render
    buttons: Sequence[ButtonSpec] = ()
    document: Document | None = None


@dataclass
class Runtime:
    """The long-lived parts every context shares; built once by the app."""

    store: Store
    clock: Clock
    translator: Translator
    registry: Registry
    matrix_prefix: str = "!"
    # Each transport's name for the bot on its platform (Telegram's username), once started.
    bot_names: dict[str, str] = field(default_factory=dict)
    # How links to the web server are written ("" when `[web]` is not configured).
    public_url: str = ""
    # Where the bot keeps its files (caches among them), whatever the database.
    data_dir: Path = Path("data")
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
        spaces = await self.store.run(lambda session: session.spaces.all())
        for space in spaces:

            async def in_space(session: Session, space: Space = space) -> list[Work]:
                ctx = self.space_context(session, space)
                await work(ctx)
                return ctx.after

            try:
                # Run again from the start if another replica's transaction got in the way.
                self.later.submit(await self.store.run(in_space))
            except Exception:
                log.exception("job failed for space %s", space.id)


def _label(loc: Localizer, label: str) -> str:
    """A button's label: a catalog key, or text already rendered (`Markup`, e.g. "Paid 2")."""
    return to_plain(label) if isinstance(label, Markup) else str(loc.t(label))


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
        self._late_noted = False

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
    def sent_at(self) -> datetime:
        """When the command was sent, by the platform's word (never later than now): a
        command that waited while the bot was down takes effect at that time."""
        if self.msg is None:
            return self.now
        return self.now - max(self.msg.age, timedelta(0))

    @property
    def late(self) -> bool:
        """Whether the command waited so long (the bot was down) that its answer is late."""
        return self.msg is not None and self.msg.kind is Kind.MESSAGE and self.msg.age > LATE_AFTER

    @property
    def prefix(self) -> str:
        return self.rt.prefix(self.msg.chat.platform if self.msg else "")

    def t(self, key: str, /, **values: object) -> Markup:
        return self.loc.t(key, **values)

    def command(self, line: str) -> str:
        """A command as the caller writes it (`/aiuto` for an Italian, `/help` otherwise)."""
        return self.loc.command(line)

    def localizer(self, lang: str, platform: str | None = None) -> Localizer:
        """A reader's localizer: the caller's prefix, or that of `platform` if given."""
        currency = self.space.currency if self.space else "EUR"
        prefix = self.prefix if platform is None else self.rt.prefix(platform)
        names = self.rt.registry.local_names.get(lang)
        return Localizer(self.rt.translator, Formatter(lang, self.tz, currency), prefix, names)

    def loc_for(self, member: Member, platform: str | None = None) -> Localizer:
        space_lang = self.space.language if self.space else None
        lang = self.rt.translator.language(member.language or space_lang)
        return self.localizer(lang, platform)

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
        merge: str | None = None,
    ) -> int:
        """Answer in the chat (and the thread or topic) the command came from; returns
        the outbox row's id.

        The first answer to a late command (sent while the bot was down) says when it
        was sent. `merge` names what the answer says, for a group's backlog to go out
        merged (see `bot.outbox`).
        """
        if self.msg is None:
            raise RuntimeError("reply() needs an incoming message; jobs use send_private/post")
        if self.late and not self._late_noted:
            self._late_noted = True
            text = Markup(f"{text}\n<i>{self._late_note()}</i>")
            merge = None  # its note is its own: it does not go into a merged message
        return await self.send(
            self.msg.chat,
            text,
            self.loc,
            buttons=buttons,
            document=document,
            member_id=self.member.id if self.member and self.msg.chat.private else None,
            reply_to=self.msg.message_id,
            thread_id=self.msg.thread_id,
            merge=merge,
        )

    def _late_note(self) -> Markup:
        sent = self.sent_at
        if sent.astimezone(self.tz).date() == self.today:
            return self.t("dispatch.answered_late", time=self.fmt.time(sent))
        day = self.fmt.day(sent.astimezone(self.tz).date())
        return self.t("dispatch.answered_late_day", day=day, time=self.fmt.time(sent))

    async def say(self, key: str, /, **values: object) -> None:
        await self.reply(self.t(key, **values))

    async def send_private(self, letters: Iterable[Letter]) -> list[Member]:
        """Write to members privately, each in their language, on the platform they used
        last: one query finds everyone's chat, however many letters there are.

        Returns the members reached, one per letter delivered; a member with no account
        left (erased) has nobody to tell and is skipped.
        """
        batch = list(letters)
        if not batch:
            return []
        chats = await self.session.members.preferred_identities(
            list(dict.fromkeys(letter.member.id for letter in batch))
        )
        reached: list[Member] = []
        for letter in batch:
            identity = chats.get(letter.member.id)
            if identity is None:
                continue
            loc = self.loc_for(letter.member, identity.platform)
            chat = ChatRef(Platform(identity.platform), identity.user_id, private=True)
            await self.send(
                chat,
                letter.render(loc),
                loc,
                buttons=letter.buttons,
                document=letter.document,
                member_id=letter.member.id,
            )
            reached.append(letter.member)
        return reached

    async def notify_admins(self, render: Render, *, buttons: Sequence[ButtonSpec] = ()) -> int:
        """Write to every admin of the space privately; how many were reached."""
        if self.space is None:
            return 0
        admins = await self.session.members.admins(self.space.id)
        return len(await self.send_private(Letter(a, render, buttons) for a in admins))

    async def post(
        self,
        render: Render,
        *,
        exclude: ChatRef | None = None,
        buttons: Sequence[ButtonSpec] = (),
        merge: str | None = None,
    ) -> int:
        """Write to the space's group chats (Telegram group, Matrix room) in its language;
        in a forum, to the topic the admins chose for posts (General by default)."""
        if self.space is None:
            return 0
        posted = 0
        for bound in await self.session.spaces.chats(self.space.id):
            chat = ChatRef(Platform(bound.platform), bound.chat_id, private=False)
            if exclude is not None and (exclude.platform, exclude.chat_id) == (
                bound.platform,
                bound.chat_id,
            ):
                continue
            loc = self.localizer(self.space.language, bound.platform)
            await self.send(
                chat, render(loc), loc, buttons=buttons, thread_id=bound.topic, merge=merge
            )
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
        thread_id: str = "",
        merge: str | None = None,
    ) -> int:
        item = NewOutboxItem(
            platform=chat.platform,
            chat_id=chat.chat_id,
            private=chat.private,
            html=str(text),
            buttons=tuple((_label(loc, label), command) for label, command in buttons),
            reply_to=reply_to,
            doc_name=document.filename if document else None,
            doc_mime=document.mime_type if document else None,
            doc_content=document.content if document else None,
            space_id=self.space.id if self.space else None,
            member_id=member_id,
            thread_id=thread_id,
            merge_kind=merge,
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
