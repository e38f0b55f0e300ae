"""Help requests: asked, offered, solved, thanked or cancelled, and the people told.

A request goes privately to the first members who know its skill (present ones first)
and to the group; those who help and those helped hear of each step privately."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import (
    ButtonSpec,
    Cmd,
    Context,
    Letter,
    MemberContext,
    Refusal,
    Render,
    Said,
    SpaceContext,
    message,
)
from bot.events import Platform
from bot.i18n import Localizer, Markup, escape, join
from handlers.mentions import defuse_mentions
from handlers.skills import router
from handlers.skills.arguments import HelpQuestion
from handlers.skills.matching import rank_matches
from storage.members import Identity, Member
from storage.skills import HelpRequest, RequestState

FIRST_WAVE = 10
QUESTION_PREVIEW = 80


# -- speaking to many ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """How to write to `member` directly, in the reader's language."""

    member: Member
    identity: Identity | None

    def for_reader(self, loc: Localizer) -> object:
        return reach(loc, self.member, self.identity)


def reach(loc: Localizer, member: Member, identity: Identity | None) -> Markup:
    """How to write to someone directly, on the platform they use."""
    if identity is not None and identity.platform == Platform.MATRIX:
        user = escape(identity.user_id)
        return Markup(f'<a href="https://matrix.to/#/{user}">{user}</a>')
    if member.username:
        return escape(f"@{member.username}")
    if identity is not None and identity.platform == Platform.TELEGRAM:
        return Markup(
            f'<a href="tg://user?id={escape(identity.user_id)}">{escape(member.display_name)}</a>'
        )
    return loc.t("skills.reach_group")


def offer_button(number: int) -> list[ButtonSpec]:
    return [("button.offer", f"offer {number}")]


async def members_by_id(ctx: SpaceContext) -> dict[int, Member]:
    """Everyone of the space, left ones too (old requests still name them), in one query."""
    return {m.id: m for m in await ctx.session.members.of_space(ctx.space.id)}


def name_of(loc: Localizer, people: dict[int, Member], member_id: int | None) -> str:
    member = people.get(member_id) if member_id is not None else None
    return member.display_name if member else str(loc.t("skills.someone"))


# -- requests ------------------------------------------------------------------------------


def request_post(request: HelpRequest, name: str) -> Render:
    """The announcement in the group, in the space's language; mentions written in the
    question are shown but ping nobody (the group did not ask to be called)."""
    return lambda loc: loc.t(
        "skills.request_post",
        number=request.number,
        name=defuse_mentions(name),
        skill=request.skill_label,
        question=defuse_mentions(request.question),
    )


def request_values(request: HelpRequest, requester: Member | None) -> dict[str, object]:
    """What private messages about a request show of it."""
    return {
        "number": request.number,
        "skill": request.skill_label,
        "question": request.question,
        "name": requester.display_name if requester else Said("skills.someone"),
        "offer": Cmd(f"offer {request.number}"),
    }


@router.command("ask", local={"it": "chiedi"})
async def ask(ctx: MemberContext, wanted: HelpQuestion) -> None:
    me = ctx.member
    repo = ctx.session.skills
    request = await repo.open_request(
        ctx.space.id, me.id, wanted.tag, wanted.label, wanted.question, ctx.now
    )
    matching = rank_matches(wanted.tag, await repo.holders(ctx.space.id), public=False)
    found = [m for m in matching if m.member_id != me.id]
    people = await members_by_id(ctx)
    values = request_values(request, me)
    buttons = offer_button(request.number)
    letters = [
        Letter(people[m.member_id], message("skills.request_notice", **values), buttons)
        for m in found[:FIRST_WAVE]
    ]
    told = await ctx.send_private(letters)
    await repo.record_notices([(request.id, m.id) for m in told], "match", ctx.now)

    if told:
        status = ctx.t("skills.asked_told", count=len(told), skill=request.skill_label)
    else:
        nobody = "skills.asked_only_you" if matching else "skills.asked_nobody"
        status = ctx.t(nobody, skill=request.skill_label)
    cancel = ctx.t("skills.asked_cancel", cancel=f"{ctx.prefix}cancel {request.number}")
    post = request_post(request, me.display_name)
    if ctx.msg.chat.private:
        await ctx.post(post, buttons=buttons)
        lines = [ctx.t("skills.asked_private", number=request.number), status, cancel]
        await ctx.reply(join(lines))
    else:
        # In the group the answer is the announcement itself; other bound rooms get a copy.
        await ctx.reply(join([post(ctx.loc), status]), buttons=buttons)
        await ctx.post(post, exclude=ctx.msg.chat, buttons=buttons)


async def find_request(ctx: SpaceContext, number: int) -> HelpRequest:
    """The space's request #number, or a Refusal saying there is no such request."""
    request = await ctx.session.skills.by_number(ctx.space.id, number)
    if request is None:
        raise Refusal("skills.no_such_request", number=number, requests=f"{ctx.prefix}requests")
    return request


def check_active(ctx: Context, request: HelpRequest) -> None:
    """A Refusal if the request is no longer open or claimed."""
    if not request.is_active:
        raise Refusal(
            "skills.closed",
            number=request.number,
            state=ctx.t(f"skills.state.{request.state.value}"),
        )


def person(people: dict[int, Member], member_id: int | None) -> Member | None:
    return people.get(member_id) if member_id is not None else None


@router.command("offer")
async def offer(ctx: MemberContext, number: int) -> None:
    me = ctx.member
    request = await find_request(ctx, number)
    if request.requester_id == me.id:
        await ctx.say("skills.offer_own", number=number)
        return
    check_active(ctx, request)
    people = await members_by_id(ctx)
    if request.state is RequestState.CLAIMED:
        if request.helper_id == me.id:
            await ctx.say("skills.offer_yours_already", number=number)
        else:
            helper_name = name_of(ctx.loc, people, request.helper_id)
            await ctx.say("skills.offer_taken", number=number, name=helper_name)
        return
    await ctx.session.skills.claim(request.id, me.id, ctx.now)
    requester = person(people, request.requester_id)
    chats = await ctx.session.members.preferred_identities(
        [me.id] + ([requester.id] if requester else [])
    )
    await ctx.say(
        "skills.offer_done",
        name=me.display_name,
        number=number,
        skill=request.skill_label,
        requester=name_of(ctx.loc, people, request.requester_id),
        reach=(
            reach(ctx.loc, requester, chats.get(requester.id))
            if requester
            else ctx.t("skills.reach_group")
        ),
        done=f"{ctx.prefix}done {number}",
    )
    if requester is not None:
        values = {
            "helper": me.display_name,
            "number": number,
            "skill": request.skill_label,
            "reach": Reach(me, chats.get(me.id)),
        }
        buttons = [("button.done", f"done {number}")]
        await ctx.send_private(
            [Letter(requester, message("skills.offer_to_requester", **values), buttons)]
        )


@router.command("done")
async def done(ctx: MemberContext, number: int) -> None:
    me = ctx.member
    request = await find_request(ctx, number)
    if me.id not in (request.requester_id, request.helper_id):
        await ctx.say("skills.done_not_yours", number=number)
        return
    check_active(ctx, request)
    await ctx.session.skills.close(request.id, RequestState.RESOLVED, me.id, ctx.now)
    people = await members_by_id(ctx)
    helper = person(people, request.helper_id)
    requester = person(people, request.requester_id)
    thank_button: list[ButtonSpec] = (
        [] if request.thanked else [("button.thanks", f"thanks {number}")]
    )
    values: dict[str, object] = {"number": number, "skill": request.skill_label}
    if me.id == request.requester_id:
        lines = [ctx.t("skills.done_by_requester", number=number)]
        if helper is not None and not request.thanked:
            thanks_line = f"{ctx.prefix}thanks {number}"
            lines.append(
                ctx.t("skills.done_thank_hint", helper=helper.display_name, thanks=thanks_line)
            )
        await ctx.reply(join(lines), buttons=thank_button if helper else [])
        if helper is not None:
            values["requester"] = me.display_name
            await ctx.send_private([Letter(helper, message("skills.done_tell_helper", **values))])
        return
    await ctx.say(
        "skills.done_by_helper",
        number=number,
        requester=name_of(ctx.loc, people, request.requester_id),
    )
    if requester is not None:
        values |= {"helper": me.display_name, "thanks": Cmd(f"thanks {number}")}
        await ctx.send_private(
            [Letter(requester, message("skills.done_tell_requester", **values), thank_button)]
        )


@router.command("thanks")
async def thanks(ctx: MemberContext, number: int) -> None:
    me = ctx.member
    request = await find_request(ctx, number)
    if me.id != request.requester_id:
        await ctx.say("skills.thanks_not_yours", number=number)
        return
    people = await members_by_id(ctx)
    helper = person(people, request.helper_id)
    if helper is None:
        await ctx.say("skills.thanks_no_helper", number=number)
        return
    if request.thanked:
        await ctx.say("skills.thanks_already", number=number, helper=helper.display_name)
        return
    await ctx.session.skills.thank(request, me.id, ctx.now)
    kudos = await ctx.session.skills.kudos(helper.id)
    lines = [ctx.t("skills.thanks_done", helper=helper.display_name)]
    buttons: list[ButtonSpec] = []
    if request.state is RequestState.CLAIMED:
        lines.append(ctx.t("skills.thanks_still_open", done=f"{ctx.prefix}done {number}"))
        buttons.append(("button.done", f"done {number}"))
    await ctx.reply(join(lines), buttons=buttons)
    values = {
        "requester": me.display_name,
        "number": number,
        "skill": request.skill_label,
        "count": kudos,
    }
    await ctx.send_private([Letter(helper, message("skills.thanks_to_helper", **values))])


@router.command("cancel")
async def cancel(ctx: MemberContext, number: int) -> None:
    me = ctx.member
    request = await find_request(ctx, number)
    is_requester = me.id == request.requester_id
    if not is_requester and not me.is_admin:
        await ctx.say("skills.cancel_not_yours", number=number)
        return
    check_active(ctx, request)
    await ctx.session.skills.close(request.id, RequestState.CANCELLED, me.id, ctx.now)
    await ctx.say("skills.cancel_done", number=number)
    people = await members_by_id(ctx)
    values = {"number": number, "skill": request.skill_label, "admin": me.display_name}
    letters: list[Letter] = []
    helper = person(people, request.helper_id)
    if helper is not None and helper.id != me.id:
        letters.append(Letter(helper, message("skills.cancel_tell_helper", **values)))
    requester = person(people, request.requester_id)
    if requester is not None and not is_requester:
        letters.append(Letter(requester, message("skills.cancel_tell_requester", **values)))
    await ctx.send_private(letters)


def preview(text: str) -> str:
    """A question on one line, cut with an ellipsis, for lists."""
    flat = " ".join(text.split())
    return flat if len(flat) <= QUESTION_PREVIEW else flat[: QUESTION_PREVIEW - 1] + "…"


@router.command("requests")
async def requests(ctx: MemberContext) -> None:
    active = await ctx.session.skills.active(ctx.space.id)
    if not active:
        await ctx.say("skills.requests_none", ask=ctx.command("ask"))
        return
    people = await members_by_id(ctx)
    lines = [ctx.t("skills.requests_title")]
    for request in active:
        taken = (
            ctx.t("skills.requests_taken", helper=name_of(ctx.loc, people, request.helper_id))
            if request.state is RequestState.CLAIMED
            else ""
        )
        lines.append(
            ctx.t(
                "skills.requests_line",
                number=request.number,
                skill=request.skill_label,
                question=defuse_mentions(preview(request.question)),
                name=defuse_mentions(name_of(ctx.loc, people, request.requester_id)),
                age=ctx.fmt.ago(ctx.now - request.created_at),
                taken=taken,
            )
        )
    await ctx.reply(join(lines))
