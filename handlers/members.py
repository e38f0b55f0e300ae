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

from bot.arguments import ArgError, Rest, split_words, unquote
from bot.config import Config, SpaceSection
from bot.context import CommandContext, Context, MemberContext, Refusal, Runtime, message
from bot.events import Kind
from bot.i18n import Catalog, Localizer, Markup, join
from bot.registry import Command, Role, Router, Where
from handlers.settings import MESSAGES as SETTINGS_MESSAGES
from handlers.settings import SettingKey, setting_line, settings_help, settings_lines
from handlers.text import MAX_NAME, clean_name
from storage.members import Member, MemberRole, MembersRepo, MemberStatus
from storage.presence import ClosedBy, Closing
from storage.spaces import Space

log = logging.getLogger(__name__)

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
        "it": "fa di questo gruppo un nuovo spazio, che amministri tu (admin della chat)",
    },
    "usage.setup": {"en": "[name]", "it": "[nome]"},
    "cmd.join": {"en": "become a member of this space", "it": "diventa membro di questo spazio"},
    "cmd.leave": {"en": "leave the space", "it": "lascia lo spazio"},
    "usage.leave": {"en": "[confirm]", "it": "[confirm]"},
    "cmd.approve": {"en": "accept a request to join", "it": "accetta una richiesta di iscrizione"},
    "usage.approve": {"en": "<member>", "it": "<membro>"},
    "cmd.reject": {
        "en": "turn down a request to join",
        "it": "rifiuta una richiesta di iscrizione",
    },
    "usage.reject": {"en": "<member>", "it": "<membro>"},
    "cmd.members": {
        "en": "who the members are, with their role",
        "it": "chi sono i membri, con il loro ruolo",
    },
    "cmd.remove": {
        "en": "remove a member from the space (asks for confirmation)",
        "it": "toglie un membro dallo spazio (chiede conferma)",
    },
    "usage.remove": {"en": "<member>", "it": "<membro>"},
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
        "en": "There is no command {command}. {help} lists them all.",
        "it": "Il comando {command} non esiste. {help} li elenca tutti.",
    },
    "help.group": {
        "en": "<b>{command}</b> has these commands:",
        "it": "<b>{command}</b> comprende questi comandi:",
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
            "Lo spazio <b>{space}</b> è pronto e lo amministri tu.\n"
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
        "it": "Ciao {name}, ora fai parte di {space}! Scrivi {help} per vedere cosa puoi fare.",
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
        "it": "Ora fai parte di {space}! Scrivi {help} per vedere cosa puoi fare.",
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
    "members.role.admin": {"en": "admin", "it": "admin"},
    "members.role.member": {"en": "member", "it": "membro"},
    "members.line_pending": {"en": "#{id} {name}{username}", "it": "#{id} {name}{username}"},
    "members.pending_title": {
        "en": "<b>Waiting for approval</b>",
        "it": "<b>In attesa di approvazione</b>",
    },
    "members.left_count": {
        "en": {"one": "and {count} who left", "other": "and {count} who left"},
        "it": {"one": "e {count} che ha lasciato", "other": "e {count} che hanno lasciato"},
    },
    "promote.already": {
        "en": "{name} is already an admin.",
        "it": "{name} ha già i permessi di amministrazione.",
    },
    "promote.not_active": {
        "en": "{name} is not an active member.",
        "it": "{name} non è un membro attivo.",
    },
    "promote.done": {
        "en": "{name} is now an admin.",
        "it": "{name} ora ha i permessi di amministrazione.",
    },
    "promote.notice": {
        "en": "You are now an admin of {space}.",
        "it": "Ora hai i permessi di amministrazione in {space}.",
    },
    "demote.not_admin": {
        "en": "{name} is not an admin.",
        "it": "{name} non ha i permessi di amministrazione.",
    },
    "demote.last_admin": {
        "en": "{name} is the last admin: promote someone else first.",
        "it": "{name} è l'unica persona con i permessi di amministrazione:"
        " prima promuovi qualcun altro.",
    },
    "demote.done": {
        "en": "{name} is now a plain member.",
        "it": "{name} ora è un membro semplice.",
    },
    "demote.notice": {
        "en": "You are no longer an admin of {space}; you are still a member.",
        "it": "Non hai più i permessi di amministrazione in {space}; resti membro.",
    },
    "leave.last_admin": {
        "en": "You are the last admin: promote someone else before leaving.",
        "it": "Hai gli unici permessi di amministrazione: promuovi qualcun altro prima di uscire.",
    },
    "leave.ask": {
        "en": "Leave <b>{space}</b>? To come back you will need an admin's approval."
        " To go on, press the button or send {confirm}.",
        "it": "Vuoi lasciare <b>{space}</b>? Per tornare ti servirà l'approvazione di un admin."
        " Per procedere premi il pulsante o scrivi {confirm}.",
    },
    "button.leave": {"en": "Yes, leave", "it": "Sì, esco"},
    "leave.not_yours": {
        "en": "That button is for {name}. To leave yourself, send {leave}.",
        "it": "Quel pulsante è per {name}. Per uscire tu, scrivi {leave}.",
    },
    "leave.done": {
        "en": "You left {space}. You can come back with {join}.",
        "it": "Hai lasciato {space}. Puoi tornare con {join}.",
    },
    "leave.owed": {
        "en": "What you owe stays to pay: {due} lists it.",
        "it": "Quello che devi resta da pagare: {due} lo elenca.",
    },
    "remove.self": {
        "en": "To leave the space yourself, send {leave}.",
        "it": "Per uscire tu dallo spazio, scrivi {leave}.",
    },
    "remove.pending": {
        "en": "{name} is not a member yet: {reject} turns the request down.",
        "it": "{name} non è ancora membro: {reject} rifiuta la richiesta.",
    },
    "remove.not_member": {
        "en": "{name} is not a member any more.",
        "it": "{name} non è più membro.",
    },
    "remove.ask": {
        "en": "Remove <b>{name}</b> from {space}? From today they are no longer charged,"
        " their open help requests are closed, and what they owe stays owed."
        " To go on, press the button or send {confirm}.",
        "it": "Vuoi togliere <b>{name}</b> da {space}? Da oggi non riceve più addebiti,"
        " le sue richieste di aiuto aperte si chiudono e quello che deve resta dovuto."
        " Per procedere premi il pulsante o scrivi {confirm}.",
    },
    "button.remove": {"en": "Yes, remove", "it": "Sì, togli"},
    "remove.done": {
        "en": "{name} is no longer a member of {space}: no more charges from today.",
        "it": "{name} non è più membro di {space}: da oggi niente più addebiti.",
    },
    "remove.requests": {
        "en": {
            "one": "{count} open help request closed.",
            "other": "{count} open help requests closed.",
        },
        "it": {
            "one": "{count} richiesta di aiuto aperta chiusa.",
            "other": "{count} richieste di aiuto aperte chiuse.",
        },
    },
    "remove.owed": {
        "en": "Still owed: {amount} ({balance} shows it).",
        "it": "Ancora da pagare: {amount} ({balance} lo mostra).",
    },
    "remove.notice": {
        "en": "An admin removed you from {space}. What you owe stays to pay: {due} lists it.",
        "it": "Un admin ti ha tolto da {space}. Quello che devi resta da pagare: {due} lo elenca.",
    },
    "left.notice_admins": {
        "en": "{name} left the group and is no longer a member of {space}.",
        "it": "{name} ha lasciato il gruppo e non è più membro di {space}.",
    },
    "lang.done": {"en": "I will speak English with you.", "it": "Ti parlerò in italiano."},
    "settings.title": {"en": "<b>Settings of {space}</b>", "it": "<b>Impostazioni di {space}</b>"},
    "settings.change": {
        "en": "Change one with {set} followed by a line above; {help} explains each.",
        "it": "Cambiane una con {set} seguito da una riga qui sopra; {help} le spiega tutte.",
    },
    "set.done": {"en": "Done: {setting}.", "it": "Fatto: {setting}."},
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

router = Router("members", {**MESSAGES, **SETTINGS_MESSAGES})


@dataclass(frozen=True)
class MemberArg:
    """A member of the caller's space, written as `#12`, `@username` or a (unique) name."""

    rest: ClassVar[bool] = False
    member: Member

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> MemberArg:
        if ctx.space is None:
            raise ArgError("dispatch.missing_argument")
        text = unquote(text)
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
        await help_topic(ctx, command)
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
        lines += [command_line(ctx, c) for c in visible]
    lines.append(Markup(f"\n{ctx.t('help.more', help=f'{ctx.prefix}help')}"))
    await ctx.reply(join(lines))


async def help_topic(ctx: Context, topic: str) -> None:
    """`help <command>`: one command in detail, or the commands of a group (`cost`)."""
    registry = ctx.rt.registry
    word, _, rest = topic.lstrip("/!").lower().partition(" ")
    found = registry.lookup(word, rest)
    group = registry.group(word)
    if found is not None:
        detail = describe(ctx, found[0])
        if found[0].name == "set":
            detail = join([detail, settings_help(ctx.loc, ctx.prefix)], "\n\n")
        await ctx.reply(detail)
    elif group:
        lines = [ctx.t("help.group", command=f"{ctx.prefix}{word}")]
        lines += [command_line(ctx, c) for c in group]
        await ctx.reply(join(lines))
    else:
        await ctx.say("help.unknown", command=topic, help=f"{ctx.prefix}help")


def command_line(ctx: Context, command: Command) -> Markup:
    """`/cost add <name> … — add a shared cost (private)`: one line of a listing."""
    mark = f" {ctx.t('help.private_mark')}" if command.where is Where.PRIVATE else ""
    usage = ctx.rt.registry.usage(command, ctx)
    return Markup(f"{usage} — {ctx.t(f'cmd.{command.key}')}{mark}")


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


CONFIRM_WORDS = ("confirm", "conferma")


@router.command("leave")
async def leave(
    ctx: MemberContext,
    confirm: Literal["confirm", "conferma"] | None = None,
    owner: int | None = None,
) -> None:
    """`leave [confirm]`; the button adds whose it is, since everyone in a group sees it
    and a press is a command from whoever pressed."""
    if owner is not None and owner != ctx.member.id:
        other = await ctx.session.members.get(owner)
        name = other.display_name if other else f"#{owner}"
        raise Refusal("leave.not_yours", name=name, leave=f"{ctx.prefix}leave")
    if await is_last_admin(ctx, ctx.member):
        await ctx.say("leave.last_admin")
        return
    if ctx.space.join_policy == "approval" and confirm is None:
        # Coming back is not up to them: say so before they go.
        await ctx.reply(
            ctx.t("leave.ask", space=ctx.space.name, confirm=f"{ctx.prefix}leave confirm"),
            buttons=[("button.leave", f"leave confirm {ctx.member.id}")],
        )
        return
    await depart(ctx, ctx.member, by=ctx.member)
    lines = [ctx.t("leave.done", space=ctx.space.name, join=f"{ctx.prefix}join")]
    if await owed_by(ctx, ctx.member):
        lines.append(ctx.t("leave.owed", due=f"{ctx.prefix}due"))
    await ctx.reply(join(lines, " "))


@router.on(Kind.MEMBER_LEFT)
async def left_the_group(ctx: Context) -> None:
    """Someone left the space's group: they are no longer a member (the last admin stays)."""
    member = ctx.member
    if member is None or ctx.space is None or ctx.msg is None or ctx.msg.chat.private:
        return
    if member.status is MemberStatus.LEFT or await is_last_admin(ctx, member):
        return
    await depart(ctx, member, by=member)
    await ctx.notify_admins(
        message("left.notice_admins", name=member.display_name, space=ctx.space.name)
    )


async def depart(ctx: Context, member: Member, *, by: Member) -> int:
    """Someone stops being a member now: the membership period ends (no share of the days
    to come), an open visit is closed, planned days are dropped, their open help requests
    are cancelled and the ones they took given back. What they owe stays owed. Returns how
    many requests were closed."""
    await ctx.session.members.set_status(member.id, MemberStatus.LEFT, ctx.now)
    visit = await ctx.session.presence.open_visit(member.id)
    if visit is not None:
        closed_by = ClosedBy.MEMBER if by.id == member.id else ClosedBy.ADMIN
        await ctx.session.presence.close([Closing(visit.id, ctx.now, closed_by)])
    await ctx.session.presence.unplan_from(member.id, ctx.today)
    return await ctx.session.skills.withdraw_member(member.id, by.id, ctx.now)


async def owed_by(ctx: Context, member: Member) -> int:
    """What a member still owes in their space, in minor units (0: nothing)."""
    lines = await ctx.session.costs.shares(member.space_id, member_id=member.id, unsettled=True)
    return sum(line.owed for line in lines)


@dataclass(frozen=True)
class Removal:
    """`remove <member> [confirm]`: the member may be a name with spaces."""

    rest: ClassVar[bool] = True
    member: Member
    confirmed: bool

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> Removal:
        words = split_words(text)
        confirmed = bool(words) and words[-1].lower() in CONFIRM_WORDS and len(words) > 1
        who = " ".join(words[:-1] if confirmed else words)
        return cls((await MemberArg.convert(who, ctx)).member, confirmed)


@router.command("remove", role=Role.ADMIN)
async def remove(ctx: MemberContext, args: Removal) -> None:
    target, prefix = args.member, ctx.prefix
    if target.id == ctx.member.id:
        await ctx.say("remove.self", leave=f"{prefix}leave")
    elif target.status is MemberStatus.PENDING:
        await ctx.say(
            "remove.pending", name=target.display_name, reject=f"{prefix}reject {target.id}"
        )
    elif target.status is MemberStatus.LEFT:
        await ctx.say("remove.not_member", name=target.display_name)
    elif await is_last_admin(ctx, target):
        await ctx.say("demote.last_admin", name=target.display_name)
    elif not args.confirmed:
        confirm = f"remove #{target.id} confirm"
        await ctx.reply(
            ctx.t(
                "remove.ask",
                name=target.display_name,
                space=ctx.space.name,
                confirm=f"{prefix}{confirm}",
            ),
            buttons=[("button.remove", confirm)],
        )
    else:
        closed = await depart(ctx, target, by=ctx.member)
        lines = [ctx.t("remove.done", name=target.display_name, space=ctx.space.name)]
        if closed:
            lines.append(ctx.t("remove.requests", count=closed))
        if owed := await owed_by(ctx, target):
            amount = ctx.fmt.money(owed, ctx.space.currency)
            lines.append(ctx.t("remove.owed", amount=amount, balance=f"{prefix}balance"))
        await ctx.reply(join(lines, " "))
        await ctx.notify(target, message("remove.notice", space=ctx.space.name, due="/due"))


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


@router.command("members")
async def members(ctx: MemberContext) -> None:
    """Everyone sees who the members are and their role; admins also the usernames, who
    is waiting for approval and how many left."""
    admin = ctx.member.is_admin
    everyone = await ctx.session.members.of_space(ctx.space.id)
    lines = [ctx.t("members.title", space=ctx.space.name)]
    lines += [
        member_line(ctx.loc, m, username=admin) for m in everyone if m.status is MemberStatus.ACTIVE
    ]
    pending = [m for m in everyone if m.status is MemberStatus.PENDING]
    if pending and admin:
        lines.append(ctx.t("members.pending_title"))
        lines += [pending_line(ctx.loc, m) for m in pending]
    gone = sum(1 for m in everyone if m.status is MemberStatus.LEFT)
    if gone and admin:
        lines.append(ctx.t("members.left_count", count=gone))
    await ctx.reply(join(lines))


def username_of(member: Member) -> str:
    return f" (@{member.username})" if member.username else ""


def member_line(loc: Localizer, member: Member, *, username: bool = True) -> Markup:
    return loc.t(
        "members.line",
        id=member.id,
        name=member.display_name,
        username=username_of(member) if username else "",
        role=loc.t(f"members.role.{member.role.value}"),
    )


def pending_line(loc: Localizer, member: Member) -> Markup:
    """A request to join: who, and no role (they have none yet)."""
    return loc.t(
        "members.line_pending", id=member.id, name=member.display_name, username=username_of(member)
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
    if ctx.space is not None:
        await ctx.notify(target, message("demote.notice", space=ctx.space.name))


# -- settings and language --------------------------------------------------------------


@router.command("settings", role=Role.ADMIN)
async def settings(ctx: MemberContext) -> None:
    lines = [ctx.t("settings.title", space=ctx.space.name), *settings_lines(ctx.space)]
    lines.append(ctx.t("settings.change", set=f"{ctx.prefix}set", help=f"{ctx.prefix}help set"))
    await ctx.reply(join(lines))


@router.command("set", role=Role.ADMIN)
async def set_(ctx: MemberContext, key: SettingKey, value: Annotated[str, Rest(64)]) -> None:
    setting = key.setting
    stored = setting.read(value.strip())  # a Refusal (ArgError) says what is wrong
    await ctx.session.spaces.update(ctx.space.id, **{setting.column: stored})
    updated = await ctx.session.spaces.get(ctx.space.id)
    assert updated is not None
    ctx.space = updated
    if setting.key == "language" and ctx.msg is not None and not ctx.msg.chat.private:
        ctx.loc = ctx.localizer(updated.language)  # the group reads the new language now
    await ctx.say("set.done", setting=setting_line(setting, updated))


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
