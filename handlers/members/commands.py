"""Membership commands: start and help, setup, join and leave, approvals, roles, settings,
language, and which space private commands mean."""

from __future__ import annotations

from typing import Annotated, Literal

from bot.arguments import ArgError, Rest
from bot.config import valid_currency, valid_hhmm, valid_timezone
from bot.context import CommandContext, Context, Letter, MemberContext, Refusal, message
from bot.events import Kind
from bot.hours import HoursError, format_hours, parse_hours
from bot.i18n import LANGUAGES, Localizer, Markup, escape, join, language_name
from bot.registry import Command, Role, Where
from handlers.members import router
from handlers.members.arguments import (
    MAX_NAME,
    Language,
    MemberName,
    clean_name,
    language_code,
    languages_list,
)
from storage.members import Member, MemberRole, MemberStatus
from storage.spaces import Space

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


@router.command("help", local={"it": "aiuto"}, role=Role.ANYONE)
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
    help_name = registry.commands["help"].name_in(ctx.lang)
    lines.append(Markup(f"\n{ctx.t('help.more', help=f'{ctx.prefix}{help_name}')}"))
    await ctx.reply(join(lines))


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
        code = language_code(value, LANGUAGES)
        if code is None:
            raise ArgError("set.bad.language", languages=languages_list(LANGUAGES))
        return "language", code
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
