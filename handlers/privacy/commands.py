"""The privacy commands (`link`, `myexport`, `forgetme`) and the wipe job."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Annotated, Literal

from bot.arguments import Rest
from bot.context import CommandContext, Context, MemberContext, Refusal, Runtime
from bot.events import ChatRef, Document, Platform
from bot.registry import Role, Where
from handlers.privacy import router
from handlers.privacy.codes import (
    LINK_TTL,
    account_label,
    code_hash,
    new_code,
    normalize_code,
    other_prefix,
    platform_name,
    show_code,
)
from handlers.privacy.traces import outbox_plan, traces
from storage import Session
from storage.db import to_db
from storage.members import Member, MemberStatus
from storage.privacy import ERASED_TABLES, PersonalData

EXPORT_FORMAT = "coworkbot-export/1"


def personal_data(session: Session) -> list[tuple[str, PersonalData]]:
    """Every repository with rows about a member, by the name its export section gets.

    The members repository comes last: erasing or merging it removes the accounts and
    the row the others still refer to while they work.
    """
    return [
        ("presence", session.presence),
        ("skills", session.skills),
        ("costs", session.costs),
        ("fund", session.fund),
        ("matrix", session.matrix),
        ("matrix_encryption", session.matrix_crypto),
        ("web", session.web),
        ("privacy", session.privacy),
        ("member", session.members),
    ]


# -- link --------------------------------------------------------------------------------


@router.command("link", role=Role.ANYONE, where=Where.PRIVATE)
async def link(ctx: CommandContext, code: Annotated[str, Rest(40)] = "") -> None:
    if code:
        await redeem(ctx, code)
    else:
        await issue(ctx)


def as_member(ctx: CommandContext) -> MemberContext:
    """The caller as an active member, or a Refusal saying why not (as the dispatcher)."""
    member = ctx.member
    if ctx.space is None or member is None:
        raise Refusal("dispatch.no_membership", join=f"{ctx.prefix}join")
    if member.status is MemberStatus.PENDING:
        raise Refusal("dispatch.pending")
    if member.status is MemberStatus.LEFT:
        raise Refusal("dispatch.not_member", join=f"{ctx.prefix}join")
    return MemberContext.of(ctx)


async def issue(asked: CommandContext) -> None:
    ctx = as_member(asked)
    code = new_code()
    await ctx.session.privacy.new_link_code(
        code_hash(code),
        ctx.member.id,
        ctx.space.id,
        ctx.msg.sender.identity,
        ctx.now,
        ctx.now + LINK_TTL,
    )
    prefix = other_prefix(ctx.rt, ctx.msg.chat.platform)
    await ctx.say(
        "link.code",
        code=show_code(code),
        command=f"{prefix}link {show_code(code)}",
        minutes=int(LINK_TTL.total_seconds() // 60),
        space=ctx.space.name,
    )


async def redeem(ctx: CommandContext, text: str) -> None:
    sender = ctx.msg.sender
    members, privacy = ctx.session.members, ctx.session.privacy
    normalized = normalize_code(text)
    hashed = code_hash(normalized) if normalized else ""
    found = await privacy.live_link_code(hashed, ctx.now) if normalized else None
    owner = await members.get(found.member_id) if found else None
    space = await ctx.session.spaces.get(found.space_id) if found else None
    if found is None or owner is None or space is None or not owner.is_active:
        await ctx.say(
            "link.bad_code",
            minutes=int(LINK_TTL.total_seconds() // 60),
            link=f"{ctx.prefix}link",
        )
        return
    if sender.identity == found.identity:
        await ctx.say("link.same_account")
        return
    accounts = await members.identities(owner.id)
    if any(i.identity == sender.identity for i in accounts):
        await ctx.say("link.already", space=space.name)
        return
    if any(i.platform == sender.platform for i in accounts):
        await ctx.say(
            "link.platform_taken", platform=platform_name(ctx, sender.platform), space=space.name
        )
        return
    await privacy.use_link_code(hashed, ctx.now)
    other = await members.by_identity(space.id, sender.identity)
    if other is None:
        await members.add_identity(space.id, owner.id, sender.identity, ctx.now)
    else:
        for _, repo in personal_data(ctx.session):
            await repo.merge_member(other.id, owner.id, ctx.now)
    joined = await members.get(owner.id)
    assert joined is not None
    # Private commands from this account now mean this space.
    ctx.space = space
    ctx.member = await members.touch(joined, sender.identity, "", joined.username, ctx.now)
    await ctx.say(
        "link.done",
        platform=platform_name(ctx, found.platform),
        space=space.name,
        name=joined.display_name,
    )
    # The account that asked for the code hears of it: a stolen code is noticed at once.
    loc = ctx.loc_for(joined)
    chat = ChatRef(Platform(found.platform), found.user_id, private=True)
    notice = loc.t(
        "link.notice",
        platform=platform_name(ctx, sender.platform),
        account=account_label(sender),
        space=space.name,
    )
    await ctx.send(chat, notice, loc, member_id=joined.id)


# -- myexport ----------------------------------------------------------------------------


async def person(ctx: CommandContext) -> list[Member]:
    """Every membership of the caller's account, in any space and any standing."""
    return await ctx.session.members.memberships(ctx.msg.sender.identity)


async def space_names(ctx: Context, memberships: Sequence[Member]) -> dict[int, str]:
    spaces = {s.id: s.name for s in await ctx.session.spaces.all()}
    return {m.space_id: spaces.get(m.space_id, "?") for m in memberships}


@router.command("myexport", role=Role.ANYONE, where=Where.PRIVATE)
async def myexport(ctx: CommandContext) -> None:
    memberships = await person(ctx)
    if not memberships:
        await ctx.say("dispatch.no_membership", join=f"{ctx.prefix}join")
        return
    names = await space_names(ctx, memberships)
    sections: list[dict[str, object]] = []
    for member in memberships:
        section: dict[str, object] = {"space": names[member.space_id]}
        for name, repo in personal_data(ctx.session):
            section[name] = await repo.export_member(member.id)
        sections.append(section)
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": to_db(ctx.now),
        "asked_from": ctx.msg.sender.identity,
        "memberships": sections,
    }
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    document = Document(f"my-data-{ctx.today.isoformat()}.json", content, "application/json")
    listed = ", ".join(dict.fromkeys(names.values()))
    await ctx.reply(ctx.t("myexport.done", spaces=listed), document=document)


# -- forgetme ----------------------------------------------------------------------------


@router.command("forgetme", role=Role.ANYONE, where=Where.PRIVATE)
async def forgetme(ctx: CommandContext, confirm: Literal["confirm"] | None = None) -> None:
    memberships = await person(ctx)
    if not memberships:
        await ctx.say("forgetme.nothing")
        return
    names = await space_names(ctx, memberships)
    sole = [names[m.space_id] for m in memberships if m.is_admin and await is_sole_admin(ctx, m)]
    if sole:
        await ctx.say("forgetme.last_admin", spaces=", ".join(sole), promote=f"{ctx.prefix}promote")
        return
    listed = ", ".join(dict.fromkeys(names.values()))
    if confirm is None:
        await ctx.reply(
            ctx.t(
                "forgetme.ask",
                spaces=listed,
                confirm=f"{ctx.prefix}forgetme {ctx.rt.translator.word(ctx.lang, 'word.confirm')}",
            ),
            buttons=[("button.forgetme", "forgetme confirm")],
        )
        return
    room = await goodbye_room(ctx)
    await erase(ctx, memberships)
    await ctx.say("forgetme.done", join=f"{ctx.prefix}join")
    # The goodbye goes to the erased account: blank it as soon as it is delivered.
    ids = await ctx.session.privacy.pending_for_members([m.id for m in memberships])
    await ctx.session.privacy.wipe_after_delivery(ids, ctx.now)
    if room is not None:
        # On Matrix the goodbye must go to the room the person asked in, not to a new
        # one the bot would open and record: the erasure forgot the room, so it is kept
        # until the goodbye is delivered; then the wipe job forgets it.
        await ctx.session.matrix.set_direct_room(ctx.msg.sender.user_id, room, ctx.now)


async def goodbye_room(ctx: CommandContext) -> str | None:
    """The Matrix private room of the account asking, if it speaks from Matrix."""
    if ctx.msg.sender.platform != Platform.MATRIX:
        return None
    return await ctx.session.matrix.direct_room(ctx.msg.sender.user_id)


async def is_sole_admin(ctx: Context, member: Member) -> bool:
    return len(await ctx.session.members.admins(member.space_id)) <= 1


async def erase(ctx: Context, memberships: Sequence[Member]) -> None:
    """Everything personal about these members goes, in this transaction."""
    repos = personal_data(ctx.session)
    exports: list[Mapping[str, object]] = []
    for member in memberships:
        exports.append({name: await repo.export_member(member.id) for name, repo in repos})
    found = traces(exports)
    member_ids = [m.id for m in memberships]
    rows = await ctx.session.privacy.outbox_about(
        sorted({m.space_id for m in memberships}), member_ids, sorted(found.chats)
    )
    plan = outbox_plan(rows, found, set(member_ids))
    await ctx.session.privacy.blank_outbox(plan.blank)
    await ctx.session.privacy.wipe_after_delivery(plan.wipe_later, ctx.now)
    for member in memberships:
        for _, repo in repos:
            await repo.erase_member(member.id, ctx.now)
        await ctx.session.privacy.record_erasure(member.id, member.space_id, ctx.now)


# -- the wipe job ----------------------------------------------------------------------------


@router.job("privacy.wipe", every=timedelta(minutes=1))
async def wipe_job(rt: Runtime) -> None:
    """Blank delivered messages marked for it (forgetting the Matrix room a goodbye went
    to first: the row's chat says whose it was); drop expired link codes; after an
    erasure, have the database drop the old versions of the rows it changed."""

    async def wipe(session: Session) -> bool:
        await session.matrix.forget_rooms_of_the_forgotten()
        await session.privacy.wipe_delivered()
        await session.privacy.prune_link_codes(rt.clock.now())
        if not await session.privacy.erased_since_vacuum():
            return False
        await session.privacy.vacuumed(rt.clock.now())
        return True

    if await rt.store.run(wipe):
        # PostgreSQL keeps the old versions of the erased rows until a VACUUM.
        await rt.store.vacuum(ERASED_TABLES)
