"""Declaring skills and finding who knows something."""

from __future__ import annotations

from collections.abc import Iterable

from bot.context import MemberContext
from bot.i18n import Localizer, Markup, escape, join
from handlers.members import MemberName
from handlers.skills import router
from handlers.skills.arguments import SkillList, SkillQuery
from handlers.skills.matching import rank_matches
from storage.members import MemberStatus

MAX_SKILLS = 30
MAX_LISTED = 20


def listing(loc: Localizer, labels: Iterable[str]) -> Markup:
    shown = [escape(label) for label in labels]
    return Markup(", ".join(shown)) if shown else loc.t("skills.none_word")


# -- skills ------------------------------------------------------------------------------


@router.command("skills")
async def skills(ctx: MemberContext, who: MemberName | None = None) -> None:
    repo = ctx.session.skills
    if who is not None and who.member.id != ctx.member.id:
        theirs = await repo.of_member(who.member.id)
        name = who.member.display_name
        if not theirs or who.member.status is not MemberStatus.ACTIVE:
            await ctx.say("skills.theirs_none", name=name)
            return
        kudos = await repo.kudos(who.member.id)
        lines = [
            ctx.t("skills.theirs", name=name, skills=listing(ctx.loc, (s.label for s in theirs)))
        ]
        if kudos:
            lines.append(ctx.t("skills.kudos", count=kudos))
        await ctx.reply(join(lines))
        return
    mine = await repo.of_member(ctx.member.id)
    kudos = await repo.kudos(ctx.member.id)
    if not mine:
        lines = [
            ctx.t(
                "skills.mine_none",
                add=f"{ctx.prefix}skills add",
                example=f"{ctx.prefix}skills add {ctx.t('skills.example')}",
            )
        ]
    else:
        lines = [
            ctx.t(
                "skills.mine",
                count=len(mine),
                limit=MAX_SKILLS,
                skills=listing(ctx.loc, (s.label for s in mine)),
            )
        ]
    if kudos:
        lines.append(ctx.t("skills.kudos", count=kudos))
    await ctx.reply(join(lines))


@router.command("skills add")
async def skills_add(ctx: MemberContext, wanted: SkillList) -> None:
    repo = ctx.session.skills
    have = {s.tag: s.label for s in await repo.of_member(ctx.member.id)}
    new = [(tag, label) for tag, label in wanted.skills if tag not in have]
    already = [have[tag] for tag, _ in wanted.skills if tag in have]
    if len(have) + len(new) > MAX_SKILLS:
        await ctx.say(
            "skills.too_many",
            limit=MAX_SKILLS,
            have=len(have),
            adding=len(new),
            remove=f"{ctx.prefix}skills remove",
        )
        return
    await repo.add(ctx.space.id, ctx.member.id, new, ctx.now)
    lines: list[Markup] = []
    if new:
        lines.append(ctx.t("skills.added", skills=listing(ctx.loc, (label for _, label in new))))
    if already:
        lines.append(ctx.t("skills.already_had", skills=listing(ctx.loc, already)))
    lines.append(ctx.t("skills.count", count=len(have) + len(new)))
    await ctx.reply(join(lines))


@router.command("skills remove")
async def skills_remove(ctx: MemberContext, unwanted: SkillList) -> None:
    repo = ctx.session.skills
    have = {s.tag: s.label for s in await repo.of_member(ctx.member.id)}
    missing = [label for tag, label in unwanted.skills if tag not in have]
    if missing:
        await ctx.say(
            "skills.not_yours",
            skills=listing(ctx.loc, missing),
            mine=listing(ctx.loc, have.values()),
        )
        return
    tags = [tag for tag, _ in unwanted.skills]
    await repo.remove(ctx.member.id, tags)
    lines = [
        ctx.t("skills.removed", skills=listing(ctx.loc, (have[tag] for tag in tags))),
        ctx.t("skills.count", count=len(have) - len(tags)),
    ]
    await ctx.reply(join(lines))


@router.command("whoknows")
async def whoknows(ctx: MemberContext, skill: SkillQuery) -> None:
    holders = await ctx.session.skills.holders(ctx.space.id)
    found = rank_matches(skill.tag, holders, public=True)
    if not found or [m.member_id for m in found] == [ctx.member.id]:
        await ctx.say(
            "skills.only_you" if found else "skills.nobody_knows",
            skill=skill.label,
            ask=f"{ctx.command('ask')} {skill.label}: …",
        )
        return
    lines = [ctx.t("skills.whoknows_title", skill=skill.label)]
    for match in found[:MAX_LISTED]:
        lines.append(
            ctx.t(
                "skills.whoknows_line",
                name=match.display_name,
                label=match.label,
                here=ctx.t("skills.here_mark") if match.present else "",
                kudos=ctx.t("skills.kudos_mark", count=match.kudos) if match.kudos else "",
            )
        )
    if len(found) > MAX_LISTED:
        lines.append(ctx.t("skills.and_more", count=len(found) - MAX_LISTED))
    await ctx.reply(join(lines))
