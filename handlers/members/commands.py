"""Membership commands: start and help, setup, join and leave, approvals, roles, settings,
language, and which space private commands mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from bot.arguments import Rest, confirmed_words
from bot.context import CommandContext, Context, Letter, MemberContext, Refusal, message
from bot.events import Kind
from bot.i18n import Localizer, Markup, join, language_name, to_plain
from bot.registry import Command, Role, Where
from handlers import invites
from handlers.members import router
from handlers.members.arguments import (
    MAX_NAME,
    Language,
    MemberArg,
    MemberName,
    clean_name,
    languages_list,
)
from handlers.members.settings import SettingKey, setting_line, settings_help, settings_lines
from storage.members import Member, MemberRole, MemberStatus
from storage.presence import ClosedBy, Closing

# -- start and help ---------------------------------------------------------------------


@router.command("start", role=Role.ANYONE, where=Where.PRIVATE)
async def start(ctx: CommandContext, payload: Annotated[str, Rest(64)] = "") -> None:
    """A greeting; with a deep link's payload (an invitation), the offer to join."""
    if payload and not await invites.offer(ctx, payload):
        return
    if ctx.member and ctx.space and ctx.member.is_active:
        await ctx.say(
            "start.member",
            name=ctx.member.display_name,
            space=ctx.space.name,
            help=ctx.command("help"),
        )
    else:
        await ctx.say("start.stranger", join=f"{ctx.prefix}join")


# Visible characters of one /help message: Telegram takes 4096 (a whole listing for an
# admin is longer: it goes in several messages, a section never cut).
HELP_BUDGET = 3500


def caller_role(ctx: Context) -> Role:
    if ctx.member is None or not ctx.member.is_active:
        return Role.ANYONE
    return Role.ADMIN if ctx.member.is_admin else Role.MEMBER


@router.command("help", local={"it": "aiuto"}, role=Role.ANYONE)
async def help_(ctx: CommandContext, command: Annotated[str, Rest(64)] = "") -> None:
    registry = ctx.rt.registry
    if command:
        await help_topic(ctx, command)
        return
    role = caller_role(ctx)
    in_unset_group = ctx.msg is not None and not ctx.msg.chat.private and ctx.space is None
    blocks: list[Markup] = [ctx.t("help.title")]
    for section in registry.routers:
        visible = [
            c
            for c in section.commands
            if c.role <= role
            or (c.role is Role.CHAT_ADMIN and (in_unset_group or role is Role.ADMIN))
        ]
        if not visible or not ctx.rt.translator.has(f"section.{section.name}"):
            continue
        title = Markup(f"<b>{ctx.t(f'section.{section.name}')}</b>")
        blocks.append(join([title, *(command_line(ctx, c) for c in visible)]))
    # The footer goes with the last section: never a message of its own.
    blocks[-1] = join([blocks[-1], ctx.t("help.more", help=ctx.command("help"))], "\n\n")
    for part in packed(blocks, HELP_BUDGET):
        await ctx.reply(join(part, "\n\n"))


def packed(blocks: list[Markup], budget: int) -> list[list[Markup]]:
    """The blocks, in order, in as few messages as keep each within `budget` visible
    characters (UTF-16 units, as Telegram counts); a block is never cut."""
    parts: list[list[Markup]] = []
    size = budget + 1
    for block in blocks:
        length = len(to_plain(block).encode("utf-16-le")) // 2
        if parts and size + 2 + length <= budget:
            parts[-1].append(block)
            size += 2 + length
        else:
            parts.append([block])
            size = length
    return parts


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
        await ctx.say("help.unknown", command=topic, help=ctx.command("help"))


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
    detail = ctx.t(
        "help.detail",
        usage=ctx.rt.registry.usage(command, ctx),
        description=ctx.t(f"cmd.{command.key}"),
        who=ctx.t(f"help.who.{who}"),
        where=ctx.t(f"help.where.{command.where.value}"),
    )
    shown = command.name_in(ctx.lang)
    others = [n for n in (command.name, *command.aliases) if n != shown]
    if not others:
        return detail
    also = ctx.t("help.also", names=", ".join(f"{ctx.prefix}{n}" for n in others))
    return Markup(f"{detail}\n{also}")


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


@router.command("join", role=Role.ANYONE)
async def join_(ctx: CommandContext, invitation: Annotated[str, Rest(64)] = "") -> None:
    """In a group: join its space. In private: join the space of an invitation."""
    space = ctx.space
    if ctx.msg.chat.private:
        space = await invites.invited_space(ctx, invitation) if invitation else None
        if space is None:
            await ctx.say("join.private" if not invitation else "invite.bad", join="/join")
            return
        ctx.space = space
        ctx.member = await ctx.session.members.by_identity(space.id, ctx.msg.sender.identity)
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
        # Many joining at once (a new group) make a backlog: their welcomes go out merged.
        welcome = ctx.t("join.welcome", space=space.name, name=name, help=ctx.command("help"))
        await ctx.reply(welcome, merge="welcome")
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
async def leave(
    ctx: MemberContext,
    confirm: Literal["confirm"] | None = None,
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
        words, confirmed = confirmed_words(text, ctx)
        who = " ".join(words)
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
        space_name = ctx.space.name

        def notice(loc: Localizer) -> Markup:
            return loc.t("remove.notice", space=space_name, due=loc.command("due"))

        await ctx.send_private([Letter(target, notice)])


# -- admins decide ----------------------------------------------------------------------


def pending(who: MemberName) -> Member:
    """The member whose request to join an admin decides, or a Refusal if there is none."""
    if who.member.status is not MemberStatus.PENDING:
        raise Refusal("approve.not_pending", name=who.member.display_name)
    return who.member


@router.command("approve", role=Role.ADMIN)
async def approve(ctx: MemberContext, who: MemberName) -> None:
    target = pending(who)
    await ctx.session.members.set_status(target.id, MemberStatus.ACTIVE, ctx.now)
    await ctx.say("approve.done", name=target.display_name)
    welcome = message("approve.welcome", space=ctx.space.name, help="/help")
    await ctx.send_private([Letter(target, welcome)])


@router.command("reject", role=Role.ADMIN)
async def reject(ctx: MemberContext, who: MemberName) -> None:
    target = pending(who)
    await ctx.say("reject.done", name=target.display_name)
    await ctx.send_private([Letter(target, message("reject.notice", space=ctx.space.name))])
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
    await ctx.send_private([Letter(target, message("promote.notice", space=ctx.space.name))])


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
    await ctx.send_private([Letter(target, message("demote.notice", space=ctx.space.name))])


# -- settings and language --------------------------------------------------------------


@router.command("settings", role=Role.ADMIN)
async def settings(ctx: MemberContext) -> None:
    lines = [ctx.t("settings.title", space=ctx.space.name), *settings_lines(ctx.space)]
    lines.append(
        ctx.t("settings.change", set=f"{ctx.prefix}set", help=f"{ctx.command('help')} set")
    )
    await ctx.reply(join(lines))


@router.command("set", role=Role.ADMIN)
async def set_(ctx: MemberContext, key: SettingKey, value: Annotated[str, Rest(160)]) -> None:
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
async def lang(ctx: MemberContext, language: Language | None = None) -> None:
    if language is None:
        languages = ctx.rt.translator.languages
        other = next(code for code in languages if code != ctx.lang)
        await ctx.say(
            "lang.list",
            languages=languages_list(languages),
            current=language_name(ctx.lang),
            command=f"{ctx.prefix}lang {other}",
        )
        return
    await ctx.session.members.set_language(ctx.member.id, language.code)
    ctx.loc = ctx.localizer(language.code)
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
