"""Membership: spaces are set up, people join (openly or with approval), admins manage roles
and settings, and everyone picks their language.

Spaces also come from `[[spaces]]` in the config: a space is matched by name; values
changed in the file since the last start are applied, values changed in chat with `set`
are kept otherwise, so neither side silently undoes the other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from bot.arguments import ArgError, Rest
from bot.config import Config, SpaceSection, valid_currency, valid_hhmm, valid_timezone
from bot.context import CommandContext, Context, MemberContext, Runtime, message
from bot.events import Kind
from bot.hours import HoursError, format_hours, parse_hours
from bot.i18n import LANGUAGES, Catalog, Localizer, Markup, escape, join
from bot.registry import Command, Role, Router, Where
from storage.members import Member, MemberRole, MembersRepo, MemberStatus
from storage.spaces import Space

log = logging.getLogger(__name__)

MAX_NAME = 64

MESSAGES: Catalog = {
    "section.members": {"en": "Membership", "it": "Iscrizione"},
    "cmd.start": {"en": "greeting and how to join", "it": "saluto e come iscriversi"},
    "cmd.help": {
        "en": "the commands you can use, or how to use one",
        "it": "i comandi che puoi usare, o come usarne uno",
    },
    "usage.help": {"en": "[command]", "it": "[comando]"},
    "cmd.setup": {
        "en": "make this group a new space, with you as its admin (chat admins)",
        "it": "fa di questo gruppo un nuovo spazio, con te come amministratore (admin della chat)",
    },
    "usage.setup": {"en": "[name]", "it": "[nome]"},
    "cmd.join": {"en": "become a member of this space", "it": "diventa membro di questo spazio"},
    "cmd.leave": {"en": "leave the space", "it": "lascia lo spazio"},
    "cmd.approve": {"en": "accept a request to join", "it": "accetta una richiesta di iscrizione"},
    "usage.approve": {"en": "<member>", "it": "<membro>"},
    "cmd.reject": {
        "en": "turn down a request to join",
        "it": "rifiuta una richiesta di iscrizione",
    },
    "usage.reject": {"en": "<member>", "it": "<membro>"},
    "cmd.members": {"en": "members with role and status", "it": "membri con ruolo e stato"},
    "cmd.promote": {"en": "make a member an admin", "it": "rende un membro amministratore"},
    "usage.promote": {"en": "<member>", "it": "<membro>"},
    "cmd.demote": {
        "en": "make an admin a plain member",
        "it": "rende un amministratore membro semplice",
    },
    "usage.demote": {"en": "<member>", "it": "<membro>"},
    "cmd.set": {"en": "change a setting of the space", "it": "cambia un'impostazione dello spazio"},
    "usage.set": {"en": "<setting> <value>", "it": "<impostazione> <valore>"},
    "cmd.settings": {"en": "the space's settings", "it": "le impostazioni dello spazio"},
    "cmd.lang": {"en": "the language I use with you", "it": "la lingua che uso con te"},
    "usage.lang": {"en": "it|en", "it": "it|en"},
    "cmd.space": {
        "en": "which space your private commands are about",
        "it": "a quale spazio si riferiscono i tuoi comandi privati",
    },
    "usage.space": {"en": "[name]", "it": "[nome]"},
    "help.title": {"en": "<b>What you can do</b>", "it": "<b>Cosa puoi fare</b>"},
    "help.private_mark": {"en": "(private)", "it": "(privato)"},
    "help.more": {
        "en": "Send {help} followed by a command to see how to use it.",
        "it": "Scrivi {help} seguito da un comando per vedere come si usa.",
    },
    "help.unknown": {
        "en": "There is no command {command}.",
        "it": "Il comando {command} non esiste.",
    },
    "help.who.anyone": {"en": "anyone", "it": "chiunque"},
    "help.who.member": {"en": "members", "it": "membri"},
    "help.who.admin": {"en": "admins", "it": "amministratori"},
    "help.who.chat_admin": {"en": "chat administrators", "it": "amministratori della chat"},
    "help.where.any": {"en": "anywhere", "it": "ovunque"},
    "help.where.group": {"en": "in the group", "it": "nel gruppo"},
    "help.where.private": {"en": "in private", "it": "in privato"},
    "help.detail": {
        "en": "{usage}\n{description}\nWho: {who}. Where: {where}.",
        "it": "{usage}\n{description}\nChi: {who}. Dove: {where}.",
    },
    "start.member": {
        "en": "Hi {name}! You are a member of <b>{space}</b>. Send {help} to see what you can do.",
        "it": "Ciao {name}! Sei membro di <b>{space}</b>. Scrivi {help} per vedere cosa puoi fare.",
    },
    "start.stranger": {
        "en": (
            "Hi! I run coworking spaces: who is in, help between members, shared costs.\n"
            "To join, send {join} in your community's group."
        ),
        "it": (
            "Ciao! Gestisco spazi di coworking: chi c'è, aiuto tra membri, spese comuni.\n"
            "Per iscriverti, scrivi {join} nel gruppo della tua comunità."
        ),
    },
    "setup.already": {
        "en": "This chat already belongs to the space <b>{space}</b>.",
        "it": "Questa chat appartiene già allo spazio <b>{space}</b>.",
    },
    "setup.done": {
        "en": (
            "The space <b>{space}</b> is ready and you are its admin.\n"
            "Members join with {join}; see the settings with {settings}."
        ),
        "it": (
            "Lo spazio <b>{space}</b> è pronto e tu ne sei l'amministratore.\n"
            "I membri si iscrivono con {join}; le impostazioni con {settings}."
        ),
    },
    "setup.bad_name": {
        "en": "A space name needs letters or digits, at most {limit} characters.",
        "it": "Il nome di uno spazio vuole lettere o cifre, al massimo {limit} caratteri.",
    },
    "join.no_space": {
        "en": "This chat is not set up yet. A chat administrator can send {setup}.",
        "it": "Questa chat non è ancora configurata. Un amministratore può scrivere {setup}.",
    },
    "join.already": {
        "en": "You are already a member of {space}.",
        "it": "Sei già membro di {space}.",
    },
    "join.still_pending": {
        "en": "Your request is still waiting for an admin.",
        "it": "La tua richiesta aspetta ancora un amministratore.",
    },
    "join.welcome": {
        "en": "Welcome to {space}, {name}! Send {help} to see what you can do.",
        "it": "Benvenuto in {space}, {name}! Scrivi {help} per vedere cosa puoi fare.",
    },
    "join.asked": {
        "en": "Thanks {name}: I asked the admins of {space} to approve you.",
        "it": "Grazie {name}: ho chiesto agli amministratori di {space} di approvarti.",
    },
    "join.request_to_admins": {
        "en": "{name} (#{id}) asks to join {space}. Answer with {approve} or {reject}.",
        "it": "{name} (#{id}) chiede di entrare in {space}. Rispondi con {approve} o {reject}.",
    },
    "button.approve": {"en": "Approve", "it": "Approva"},
    "button.reject": {"en": "Reject", "it": "Rifiuta"},
    "members.no_such_member": {
        "en": "Nobody matches “{ref}”. {members} lists everyone.",
        "it": "Nessuno corrisponde a “{ref}”. {members} li elenca tutti.",
    },
    "members.ambiguous": {
        "en": "“{ref}” could be {names}: use the #number.",
        "it": "“{ref}” potrebbe essere {names}: usa il #numero.",
    },
    "approve.not_pending": {
        "en": "{name} has no request waiting.",
        "it": "{name} non ha richieste in attesa.",
    },
    "approve.done": {
        "en": "{name} is now a member.",
        "it": "{name} ora è membro.",
    },
    "approve.welcome": {
        "en": "You are in: welcome to {space}! Send {help} to see what you can do.",
        "it": "Sei dentro: benvenuto in {space}! Scrivi {help} per vedere cosa puoi fare.",
    },
    "reject.done": {
        "en": "{name}'s request was turned down.",
        "it": "La richiesta di {name} è stata rifiutata.",
    },
    "reject.notice": {
        "en": "Your request to join {space} was not accepted.",
        "it": "La tua richiesta di entrare in {space} non è stata accettata.",
    },
    "members.title": {"en": "<b>Members of {space}</b>", "it": "<b>Membri di {space}</b>"},
    "members.line": {
        "en": "#{id} {name}{username} — {role}",
        "it": "#{id} {name}{username} — {role}",
    },
    "members.role.admin": {"en": "admin", "it": "amministratore"},
    "members.role.member": {"en": "member", "it": "membro"},
    "members.pending_title": {
        "en": "<b>Waiting for approval</b>",
        "it": "<b>In attesa di approvazione</b>",
    },
    "members.left_count": {
        "en": {"one": "and {count} who left", "other": "and {count} who left"},
        "it": {"one": "e {count} che ha lasciato", "other": "e {count} che hanno lasciato"},
    },
    "promote.already": {"en": "{name} is already an admin.", "it": "{name} è già amministratore."},
    "promote.not_active": {
        "en": "{name} is not an active member.",
        "it": "{name} non è un membro attivo.",
    },
    "promote.done": {"en": "{name} is now an admin.", "it": "{name} ora è amministratore."},
    "promote.notice": {
        "en": "You are now an admin of {space}.",
        "it": "Ora sei amministratore di {space}.",
    },
    "demote.not_admin": {"en": "{name} is not an admin.", "it": "{name} non è amministratore."},
    "demote.last_admin": {
        "en": "{name} is the last admin: promote someone else first.",
        "it": "{name} è l'ultimo amministratore: prima promuovi qualcun altro.",
    },
    "demote.done": {
        "en": "{name} is now a plain member.",
        "it": "{name} ora è un membro semplice.",
    },
    "leave.last_admin": {
        "en": "You are the last admin: promote someone else before leaving.",
        "it": "Sei l'ultimo amministratore: promuovi qualcun altro prima di uscire.",
    },
    "leave.done": {
        "en": "You left {space}. You can come back with {join}.",
        "it": "Hai lasciato {space}. Puoi tornare con {join}.",
    },
    "left.notice_admins": {
        "en": "{name} left the group and is no longer a member of {space}.",
        "it": "{name} ha lasciato il gruppo e non è più membro di {space}.",
    },
    "lang.done": {"en": "I will speak English with you.", "it": "Ti parlerò in italiano."},
    "settings.title": {"en": "<b>Settings of {space}</b>", "it": "<b>Impostazioni di {space}</b>"},
    "settings.none": {"en": "none", "it": "nessuno"},
    "settings.change": {
        "en": "Change one with {set}.",
        "it": "Cambiane una con {set}.",
    },
    "set.done": {"en": "{key} is now {value}.", "it": "{key} ora è {value}."},
    "set.bad.timezone": {
        "en": "“{value}” is not a time zone: use an IANA name like Europe/Rome.",
        "it": "“{value}” non è un fuso orario: usa un nome IANA come Europe/Rome.",
    },
    "set.bad.language": {
        "en": "The language must be it or en.",
        "it": "La lingua deve essere it o en.",
    },
    "set.bad.currency": {
        "en": "“{value}” is not a currency code like EUR or CHF.",
        "it": "“{value}” non è un codice di valuta come EUR o CHF.",
    },
    "set.bad.time": {
        "en": "“{value}” is not a time: write HH:MM, e.g. 20:00, or off.",
        "it": "“{value}” non è un orario: scrivi HH:MM, per esempio 20:00, oppure off.",
    },
    "set.bad.join": {
        "en": "join must be open or approval.",
        "it": "join deve essere open o approval.",
    },
    "set.bad.number": {
        "en": "{key} must be a whole number from {low} to {high}.",
        "it": "{key} deve essere un numero intero da {low} a {high}.",
    },
    "set.bad.hours": {
        "en": "“{value}” are not opening hours: write them like mon-fri 09:00-19:00; "
        "sat 10:00-13:00, or off.",
        "it": "“{value}” non sono orari di apertura: scrivili come lun-ven 09:00-19:00; "
        "sab 10:00-13:00, oppure off.",
    },
    "set.bad.name": {
        "en": "A space name needs letters or digits, at most {limit} characters.",
        "it": "Il nome di uno spazio vuole lettere o cifre, al massimo {limit} caratteri.",
    },
    "space.none": {
        "en": "You are not a member of any space yet.",
        "it": "Non sei ancora membro di nessuno spazio.",
    },
    "space.list": {
        "en": "Your private commands are about <b>{current}</b>. Your spaces: {spaces}.",
        "it": "I tuoi comandi privati riguardano <b>{current}</b>. I tuoi spazi: {spaces}.",
    },
    "space.switched": {
        "en": "Your private commands are now about <b>{space}</b>.",
        "it": "Ora i tuoi comandi privati riguardano <b>{space}</b>.",
    },
    "space.unknown": {
        "en": "You are not in a space called “{name}”.",
        "it": "Non sei in uno spazio chiamato “{name}”.",
    },
}

router = Router("members", MESSAGES)


@dataclass(frozen=True)
class MemberArg:
    """A member of the caller's space, written as `#12`, `@username` or a (unique) name."""

    rest: ClassVar[bool] = False
    member: Member

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> MemberArg:
        if ctx.space is None:
            raise ArgError("dispatch.missing_argument")
        found = await ctx.session.members.find(ctx.space.id, text)
        ref = text[:MAX_NAME]
        if not found:
            raise ArgError("members.no_such_member", ref=ref, members=f"{ctx.prefix}members")
        if len(found) > 1:
            names = ", ".join(f"{m.display_name} (#{m.id})" for m in found[:5])
            raise ArgError("members.ambiguous", ref=ref, names=names)
        return cls(found[0])


@dataclass(frozen=True)
class MemberName(MemberArg):
    """Like MemberArg, but takes the rest of the line, so names may have spaces."""

    rest: ClassVar[bool] = True


def clean_text(text: str, limit: int | None = None) -> str:
    """Text fit to show and store: control characters gone, whitespace collapsed, capped."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())[:limit]


def clean_name(text: str) -> str:
    return clean_text(text, MAX_NAME)


# -- start and help ---------------------------------------------------------------------


@router.command("start", role=Role.ANYONE, where=Where.PRIVATE)
async def start(ctx: CommandContext) -> None:
    if ctx.member and ctx.space and ctx.member.is_active:
        await ctx.say(
            "start.member",
            name=ctx.member.display_name,
            space=ctx.space.name,
            help=f"{ctx.prefix}help",
        )
    else:
        await ctx.say("start.stranger", join=f"{ctx.prefix}join")


def caller_role(ctx: Context) -> Role:
    if ctx.member is None or not ctx.member.is_active:
        return Role.ANYONE
    return Role.ADMIN if ctx.member.is_admin else Role.MEMBER


@router.command("help", role=Role.ANYONE)
async def help_(ctx: CommandContext, command: Annotated[str, Rest(64)] = "") -> None:
    registry = ctx.rt.registry
    if command:
        word, _, rest = command.lstrip("/!").lower().partition(" ")
        found = registry.lookup(word, rest)
        if found is None:
            await ctx.say("help.unknown", command=command)
            return
        await ctx.reply(describe(ctx, found[0]))
        return
    role = caller_role(ctx)
    in_unset_group = ctx.msg is not None and not ctx.msg.chat.private and ctx.space is None
    lines: list[Markup] = [ctx.t("help.title")]
    for section in registry.routers:
        visible = [
            c
            for c in section.commands
            if c.role <= role
            or (c.role is Role.CHAT_ADMIN and (in_unset_group or role is Role.ADMIN))
        ]
        if not visible or not ctx.rt.translator.has(f"section.{section.name}"):
            continue
        lines.append(Markup(f"\n<b>{ctx.t(f'section.{section.name}')}</b>"))
        for c in visible:
            mark = f" {ctx.t('help.private_mark')}" if c.where is Where.PRIVATE else ""
            lines.append(Markup(f"{registry.usage(c, ctx)} — {ctx.t(f'cmd.{c.key}')}{mark}"))
    lines.append(Markup(f"\n{ctx.t('help.more', help=f'{ctx.prefix}help')}"))
    await ctx.reply(join(lines))


def describe(ctx: Context, command: Command) -> Markup:
    who = {
        Role.ANYONE: "anyone",
        Role.MEMBER: "member",
        Role.ADMIN: "admin",
        Role.CHAT_ADMIN: "chat_admin",
    }[command.role]
    return ctx.t(
        "help.detail",
        usage=ctx.rt.registry.usage(command, ctx),
        description=ctx.t(f"cmd.{command.key}"),
        who=ctx.t(f"help.who.{who}"),
        where=ctx.t(f"help.where.{command.where.value}"),
    )


# -- setup, join, leave -----------------------------------------------------------------


@router.command("setup", role=Role.CHAT_ADMIN, where=Where.GROUP)
async def setup(ctx: CommandContext, name: Annotated[str, Rest(200)] = "") -> None:
    if ctx.space is not None:
        await ctx.say("setup.already", space=ctx.space.name)
        return
    space_name = clean_name(name or ctx.msg.chat.title or "Coworking")
    if not any(ch.isalnum() for ch in space_name) or len(name) > MAX_NAME:
        await ctx.say("setup.bad_name", limit=MAX_NAME)
        return
    space = await ctx.session.spaces.create(space_name, ctx.now, language=ctx.lang)
    await ctx.session.spaces.bind_chat(space.id, ctx.msg.chat.platform, ctx.msg.chat.chat_id)
    sender = ctx.msg.sender
    member = await ctx.session.members.create(
        space.id,
        sender.identity,
        clean_name(sender.display_name) or sender.user_id,
        ctx.now,
        username=sender.username,
        role=MemberRole.ADMIN,
        status=MemberStatus.ACTIVE,
    )
    ctx.space, ctx.member = space, member
    await ctx.say(
        "setup.done", space=space.name, join=f"{ctx.prefix}join", settings=f"{ctx.prefix}settings"
    )


@router.command("join", role=Role.ANYONE, where=Where.GROUP)
async def join_(ctx: CommandContext) -> None:
    space = ctx.space
    if space is None:
        await ctx.say("join.no_space", setup=f"{ctx.prefix}setup")
        return
    member = ctx.member
    if member is not None and member.status is MemberStatus.ACTIVE:
        await ctx.say("join.already", space=space.name)
        return
    if member is not None and member.status is MemberStatus.PENDING:
        await ctx.say("join.still_pending")
        return
    sender = ctx.msg.sender
    name = clean_name(sender.display_name) or sender.user_id
    status = MemberStatus.ACTIVE if space.join_policy == "open" else MemberStatus.PENDING
    if member is None:
        member = await ctx.session.members.create(
            space.id, sender.identity, name, ctx.now, username=sender.username, status=status
        )
    else:
        await ctx.session.members.set_status(member.id, status, ctx.now)
    if status is MemberStatus.ACTIVE:
        await ctx.say("join.welcome", space=space.name, name=name, help=f"{ctx.prefix}help")
        return
    await ctx.say("join.asked", space=space.name, name=name)
    prefix = ctx.prefix
    await ctx.notify_admins(
        message(
            "join.request_to_admins",
            name=name,
            id=member.id,
            space=space.name,
            approve=f"{prefix}approve {member.id}",
            reject=f"{prefix}reject {member.id}",
        ),
        buttons=[
            ("button.approve", f"approve {member.id}"),
            ("button.reject", f"reject {member.id}"),
        ],
    )


async def is_last_admin(ctx: Context, member: Member) -> bool:
    admins = await ctx.session.members.admins(member.space_id)
    return member.is_admin and len(admins) <= 1


@router.command("leave")
async def leave(ctx: MemberContext) -> None:
    if await is_last_admin(ctx, ctx.member):
        await ctx.say("leave.last_admin")
        return
    await ctx.session.members.set_status(ctx.member.id, MemberStatus.LEFT, ctx.now)
    await ctx.say("leave.done", space=ctx.space.name, join=f"{ctx.prefix}join")


@router.on(Kind.MEMBER_LEFT)
async def left_the_group(ctx: Context) -> None:
    """Someone left the space's group: they are no longer a member (the last admin stays)."""
    member = ctx.member
    if member is None or ctx.space is None or ctx.msg is None or ctx.msg.chat.private:
        return
    if member.status is MemberStatus.LEFT or await is_last_admin(ctx, member):
        return
    await ctx.session.members.set_status(member.id, MemberStatus.LEFT, ctx.now)
    await ctx.notify_admins(
        message("left.notice_admins", name=member.display_name, space=ctx.space.name)
    )


# -- admins decide ----------------------------------------------------------------------


@router.command("approve", role=Role.ADMIN)
async def approve(ctx: MemberContext, who: MemberName) -> None:
    target = who.member
    if target.status is not MemberStatus.PENDING:
        await ctx.say("approve.not_pending", name=target.display_name)
        return
    await ctx.session.members.set_status(target.id, MemberStatus.ACTIVE, ctx.now)
    await ctx.say("approve.done", name=target.display_name)
    await ctx.notify(target, message("approve.welcome", space=ctx.space.name, help="/help"))


@router.command("reject", role=Role.ADMIN)
async def reject(ctx: MemberContext, who: MemberName) -> None:
    target = who.member
    if target.status is not MemberStatus.PENDING:
        await ctx.say("approve.not_pending", name=target.display_name)
        return
    await ctx.say("reject.done", name=target.display_name)
    await ctx.notify(target, message("reject.notice", space=ctx.space.name))
    # A refused request leaves no trace of the person; they may ask again.
    await ctx.session.members.delete_pending(target.id)


@router.command("members", role=Role.ADMIN)
async def members(ctx: MemberContext) -> None:
    everyone = await ctx.session.members.of_space(ctx.space.id)
    lines = [ctx.t("members.title", space=ctx.space.name)]
    lines += [member_line(ctx.loc, m) for m in everyone if m.status is MemberStatus.ACTIVE]
    pending = [m for m in everyone if m.status is MemberStatus.PENDING]
    if pending:
        lines.append(ctx.t("members.pending_title"))
        lines += [member_line(ctx.loc, m) for m in pending]
    gone = sum(1 for m in everyone if m.status is MemberStatus.LEFT)
    if gone:
        lines.append(ctx.t("members.left_count", count=gone))
    await ctx.reply(join(lines))


def member_line(loc: Localizer, member: Member) -> Markup:
    return loc.t(
        "members.line",
        id=member.id,
        name=member.display_name,
        username=f" (@{member.username})" if member.username else "",
        role=loc.t(f"members.role.{member.role.value}"),
    )


@router.command("promote", role=Role.ADMIN)
async def promote(ctx: MemberContext, who: MemberName) -> None:
    target = who.member
    if target.status is not MemberStatus.ACTIVE:
        await ctx.say("promote.not_active", name=target.display_name)
        return
    if target.role is MemberRole.ADMIN:
        await ctx.say("promote.already", name=target.display_name)
        return
    await ctx.session.members.set_role(target.id, MemberRole.ADMIN)
    await ctx.say("promote.done", name=target.display_name)
    await ctx.notify(target, message("promote.notice", space=ctx.space.name))


@router.command("demote", role=Role.ADMIN)
async def demote(ctx: MemberContext, who: MemberName) -> None:
    target = who.member
    if not target.is_admin:
        await ctx.say("demote.not_admin", name=target.display_name)
        return
    if await is_last_admin(ctx, target):
        await ctx.say("demote.last_admin", name=target.display_name)
        return
    await ctx.session.members.set_role(target.id, MemberRole.MEMBER)
    await ctx.say("demote.done", name=target.display_name)


# -- settings and language --------------------------------------------------------------

SettingKey = Literal[
    "name",
    "timezone",
    "language",
    "currency",
    "capacity",
    "closing",
    "reminder",
    "join",
    "escalate_after",
    "expire_after",
    "remind_days_before",
    "nag_every_days",
    "away_after",
    "hours",
]

# key -> (column, low, high, stored multiplier) for the numeric settings
NUMBERS: dict[str, tuple[str, int, int, int]] = {
    "capacity": ("capacity", 0, 100_000, 1),
    "escalate_after": ("escalate_after_minutes", 1, 24 * 14, 60),
    "expire_after": ("expire_after_days", 1, 365, 1),
    "remind_days_before": ("remind_days_before", 0, 60, 1),
    "nag_every_days": ("nag_every_days", 1, 90, 1),
    "away_after": ("away_after_minutes", 1, 240, 1),
}


def validate_setting(key: str, raw: str) -> tuple[str, str | int | None]:
    """The column and stored value for `set key raw`, or ArgError saying what is wrong."""
    value = raw.strip()
    if key == "name":
        name = clean_name(value)
        if not any(ch.isalnum() for ch in name) or len(value) > MAX_NAME:
            raise ArgError("set.bad.name", limit=MAX_NAME)
        return "name", name
    if key == "timezone":
        if not valid_timezone(value):
            raise ArgError("set.bad.timezone", value=value[:64])
        return "timezone", value
    if key == "language":
        if value.lower() not in LANGUAGES:
            raise ArgError("set.bad.language")
        return "language", value.lower()
    if key == "currency":
        if not valid_currency(value.upper()):
            raise ArgError("set.bad.currency", value=value[:16])
        return "currency", value.upper()
    if key in ("closing", "reminder"):
        column = "closing_time" if key == "closing" else "reminder_time"
        if key == "closing" and value.lower() in ("off", "none", "no", "-"):
            return column, None
        if not valid_hhmm(value):
            raise ArgError("set.bad.time", value=value[:16])
        return column, value
    if key == "join":
        if value.lower() not in ("open", "approval"):
            raise ArgError("set.bad.join")
        return "join_policy", value.lower()
    if key == "hours":
        try:
            return "opening_hours", format_hours(parse_hours(value))
        except HoursError as exc:
            raise ArgError("set.bad.hours", value=value[:64]) from exc
    if key == "away_after":
        value = value.lower().removesuffix("min").removesuffix("m").strip()
    column, low, high, factor = NUMBERS[key]
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise ArgError("set.bad.number", key=key, low=low, high=high)
    number = int(value) * factor
    if key == "capacity" and number == 0:
        return column, None
    return column, number


def settings_view(space: Space, loc: Localizer) -> list[tuple[str, str]]:
    none = str(loc.t("settings.none"))
    return [
        ("name", space.name),
        ("timezone", space.timezone),
        ("language", space.language),
        ("currency", space.currency),
        ("capacity", str(space.capacity) if space.capacity else none),
        ("closing", space.closing_time or none),
        ("reminder", space.reminder_time),
        ("join", space.join_policy),
        ("escalate_after", f"{space.escalate_after_minutes // 60} h"),
        ("expire_after", str(space.expire_after_days)),
        ("remind_days_before", str(space.remind_days_before)),
        ("nag_every_days", str(space.nag_every_days)),
        ("away_after", f"{space.away_after_minutes} min"),
        ("hours", space.opening_hours or none),
    ]


@router.command("settings", role=Role.ADMIN)
async def settings(ctx: MemberContext) -> None:
    lines = [ctx.t("settings.title", space=ctx.space.name)]
    lines += [
        Markup(f"<code>{escape(k)}</code>: {escape(v)}")
        for k, v in settings_view(ctx.space, ctx.loc)
    ]
    lines.append(ctx.t("settings.change", set=f"{ctx.prefix}set"))
    await ctx.reply(join(lines))


@router.command("set", role=Role.ADMIN)
async def set_(ctx: MemberContext, key: SettingKey, value: Annotated[str, Rest(160)]) -> None:
    try:
        column, stored = validate_setting(key, value)
    except ArgError as err:
        await ctx.say(err.key, **err.values)
        return
    await ctx.session.spaces.update(ctx.space.id, **{column: stored})
    updated = await ctx.session.spaces.get(ctx.space.id)
    assert updated is not None
    ctx.space = updated
    shown = dict(settings_view(updated, ctx.loc))[key]
    await ctx.say("set.done", key=key, value=shown)


@router.command("lang")
async def lang(ctx: MemberContext, language: Literal["it", "en"]) -> None:
    await ctx.session.members.set_language(ctx.member.id, language)
    ctx.loc = ctx.localizer(language)
    await ctx.say("lang.done")


@router.command("space", role=Role.ANYONE, where=Where.PRIVATE)
async def space(ctx: CommandContext, name: Annotated[str, Rest(MAX_NAME * 2)] = "") -> None:
    """Pick which space private commands mean, for people in more than one."""
    identity = ctx.msg.sender.identity
    memberships = [
        m
        for m in await ctx.session.members.memberships(identity)
        if m.status is not MemberStatus.LEFT
    ]
    if not memberships or ctx.space is None:
        await ctx.say("space.none")
        return
    spaces = {m.space_id: await ctx.session.spaces.get(m.space_id) for m in memberships}
    if not name:
        names = ", ".join(s.name for s in spaces.values() if s)
        await ctx.say("space.list", current=ctx.space.name, spaces=names)
        return
    for member in memberships:
        chosen = spaces[member.space_id]
        if chosen and chosen.name.casefold() == name.strip().casefold():
            await ctx.session.members.touch(member, identity, "", member.username, ctx.now)
            await ctx.say("space.switched", space=chosen.name)
            return
    await ctx.say("space.unknown", name=name)


# -- spaces from the config file ------------------------------------------------------------


@router.on_startup
async def sync_config_spaces(rt: Runtime, config: Config) -> None:
    await apply_config_spaces(rt, config.spaces)


async def apply_config_spaces(rt: Runtime, sections: Sequence[SpaceSection]) -> None:
    """Create or update the `[[spaces]]` of the config, bind their chats, make their admins."""
    for section in sections:
        async with rt.store.transaction() as session:
            now = rt.clock.now()
            settings = section.settings()
            space = await session.spaces.by_name(section.name)
            if space is None:
                space = await session.spaces.create(section.name, now, **settings)
                log.info("space %r created from config", section.name)
            else:
                applied = json.loads(space.config_json or "{}")
                changed = {k: v for k, v in settings.items() if k not in applied or applied[k] != v}
                if changed:
                    log.info("space %r: applying config changes %s", section.name, sorted(changed))
                    await session.spaces.update(space.id, **changed)
            await session.spaces.update(space.id, config_json=json.dumps(settings, sort_keys=True))
            for platform, chat_id in section.chats.items():
                owner = await session.spaces.by_chat(platform, chat_id)
                if owner is not None and owner.id != space.id:
                    log.error(
                        "config: %s chat %s belongs to space %r, not %r; left as it is",
                        platform,
                        chat_id,
                        owner.name,
                        section.name,
                    )
                    continue
                await session.spaces.bind_chat(space.id, platform, chat_id)
            for identity in section.admins:
                await _ensure_admin(session.members, space, identity, now)


async def _ensure_admin(members: MembersRepo, space: Space, identity: str, now: datetime) -> None:
    member = await members.by_identity(space.id, identity)
    if member is None:
        name = identity.partition(":")[2].lstrip("@").split(":")[0] or identity
        await members.create(
            space.id, identity, name, now, role=MemberRole.ADMIN, status=MemberStatus.ACTIVE
        )
        return
    if member.status is not MemberStatus.ACTIVE:
        await members.set_status(member.id, MemberStatus.ACTIVE, now)
    if member.role is not MemberRole.ADMIN:
        await members.set_role(member.id, MemberRole.ADMIN)
