"""Members' control over their data: `link` two accounts, `myexport`, `forgetme`.

All three walk the same list of repositories (`personal_data`), each of which knows
how to export, erase and merge its own rows about a member; a new capability with
member rows adds one line there.

`forgetme` keeps the ledger whole: the member row stays as an anonymous placeholder
(`#<id>`, no name, no account), so visits counted for attendance splits, kudos and
cost shares and payments still add up, while the name, the accounts, skills, notes,
planned days, help request texts and the private rooms kept for Matrix accounts are
gone, also from the outbox (messages that named the person are blanked; the goodbye is
blanked once delivered, and on Matrix its room is forgotten then).

The three commands are registered for anyone, in private: `link <code>` must work
from an account the bot does not know yet, and `myexport`/`forgetme` must work for
people who are pending or have left too (their data is still here). Each handler says
itself who may use it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from bot.arguments import Rest
from bot.context import CommandContext, Context, MemberContext, Refusal, Runtime
from bot.events import ChatRef, Document, Platform, UserRef
from bot.i18n import Catalog, escape, to_plain
from bot.registry import Role, Router, Where
from storage import Session
from storage.db import to_db
from storage.members import Member, MemberStatus
from storage.privacy import OutboxText, PersonalData

LINK_TTL = timedelta(minutes=10)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 8
EXPORT_FORMAT = "coworkbot-export/1"

MESSAGES: Catalog = {
    "section.privacy": {"en": "Your data", "it": "I tuoi dati"},
    "cmd.link": {
        "en": "join your accounts on two platforms (Telegram, Matrix) into one member",
        "it": "unisce i tuoi account su due piattaforme (Telegram, Matrix) in un solo membro",
    },
    "usage.link": {"en": "[code]", "it": "[codice]"},
    "cmd.myexport": {
        "en": "everything I keep about you, as a file",
        "it": "tutto quello che so di te, in un file",
    },
    "cmd.forgetme": {
        "en": "erase your personal data (asks for confirmation)",
        "it": "cancella i tuoi dati personali (chiede conferma)",
    },
    "usage.forgetme": {"en": "[confirm]", "it": "[confirm]"},
    "button.forgetme": {"en": "Yes, forget me", "it": "Sì, dimenticami"},
    "link.code": {
        "en": (
            "Your code: <code>{code}</code>\n"
            "From your other account (Telegram or Matrix), send me privately {command} "
            "within {minutes} minutes. It works once, and only for you in <b>{space}</b>."
        ),
        "it": (
            "Il tuo codice: <code>{code}</code>\n"
            "Dal tuo altro account (Telegram o Matrix) mandami in privato {command} "
            "entro {minutes} minuti. Vale una volta sola, e solo per te in <b>{space}</b>."
        ),
    },
    "link.bad_code": {
        "en": (
            "This code does not work: it may be mistyped, used already, or older than "
            "{minutes} minutes. Ask for a new one with {link} from the account you are "
            "a member with."
        ),
        "it": (
            "Questo codice non funziona: forse è scritto male, già usato o più vecchio di "
            "{minutes} minuti. Chiedine uno nuovo con {link} dall'account con cui sei membro."
        ),
    },
    "link.same_account": {
        "en": "Send the code from your <i>other</i> account, not from this one.",
        "it": "Manda il codice dal tuo <i>altro</i> account, non da questo.",
    },
    "link.already": {
        "en": "This account is already linked to you in <b>{space}</b>.",
        "it": "Questo account è già collegato a te in <b>{space}</b>.",
    },
    "link.platform_taken": {
        "en": (
            "You already have a {platform} account linked in <b>{space}</b>; "
            "a member has one account per platform."
        ),
        "it": (
            "Hai già un account {platform} collegato in <b>{space}</b>; "
            "un membro ha un account per piattaforma."
        ),
    },
    "link.done": {
        "en": (
            "Linked: this account and your {platform} account are now one member of "
            "<b>{space}</b>, {name}. Your visits, skills and requests are together."
        ),
        "it": (
            "Collegato: questo account e il tuo account {platform} ora sono un solo membro "
            "di <b>{space}</b>, {name}. Visite, competenze e richieste sono riunite."
        ),
    },
    "link.notice": {
        "en": (
            "The {platform} account {account} is now linked to you in <b>{space}</b>. "
            "If that was not you, tell an admin at once."
        ),
        "it": (
            "L'account {platform} {account} ora è collegato a te in <b>{space}</b>. "
            "Se non sei stato tu, avvisa subito un amministratore."
        ),
    },
    "platform.telegram": {"en": "Telegram", "it": "Telegram"},
    "platform.matrix": {"en": "Matrix", "it": "Matrix"},
    "platform.console": {"en": "console", "it": "console"},
    "platform.memory": {"en": "test", "it": "test"},
    "myexport.done": {
        "en": (
            "Here is everything I keep about you, as JSON: your membership in {spaces}, "
            "your accounts, visits, planned days, skills, help requests, kudos, cost shares "
            "and payments."
        ),
        "it": (
            "Ecco tutto quello che so di te, in JSON: la tua iscrizione a {spaces}, "
            "i tuoi account, visite, giorni previsti, competenze, richieste di aiuto, kudos, "
            "quote delle spese e pagamenti."
        ),
    },
    "forgetme.nothing": {
        "en": "I keep nothing about you: you are not a member of any space.",
        "it": "Non conservo nulla su di te: non sei membro di nessuno spazio.",
    },
    "forgetme.last_admin": {
        "en": (
            "You are the only admin of {spaces}: make someone else admin with {promote} "
            "first, then ask again."
        ),
        "it": (
            "Sei l'unico amministratore di {spaces}: prima nomina un altro amministratore "
            "con {promote}, poi chiedimelo di nuovo."
        ),
    },
    "forgetme.ask": {
        "en": (
            "<b>Forget you?</b> In {spaces} I will erase your name, your accounts, skills, "
            "visit notes, planned days and the texts of your help requests, and cancel "
            "your open requests. What the accounts need stays, under an anonymous number: "
            "your visits are counted, your cost shares and payments kept. This cannot be "
            "undone; you can join again later as a new member.\n"
            "To go on, press the button or send {confirm}."
        ),
        "it": (
            "<b>Vuoi che ti dimentichi?</b> In {spaces} cancellerò il tuo nome, i tuoi "
            "account, le competenze, le note delle visite, i giorni previsti e i testi delle "
            "tue richieste di aiuto, e annullerò le richieste aperte. Quello che serve ai "
            "conti resta, sotto un numero anonimo: le visite contate, le quote e i pagamenti. "
            "Non si può annullare; potrai iscriverti di nuovo come nuovo membro.\n"
            "Per procedere premi il pulsante o scrivi {confirm}."
        ),
    },
    "forgetme.done": {
        "en": (
            "Done: I have forgotten you. This is my last message to you; "
            "if you want to come back one day, send {join} in the group."
        ),
        "it": (
            "Fatto: ti ho dimenticato. Questo è il mio ultimo messaggio per te; "
            "se un giorno vorrai tornare, scrivi {join} nel gruppo."
        ),
    },
}

router = Router("privacy", MESSAGES)


def personal_data(session: Session) -> list[tuple[str, PersonalData]]:
    """Every repository with rows about a member, by the name its export section gets.

    The members repository comes last: erasing or merging it removes the accounts and
    the row the others still refer to while they work.
    """
    return [
        ("presence", session.presence),
        ("skills", session.skills),
        ("costs", session.costs),
        ("matrix", session.matrix),
        ("web", session.web),
        ("privacy", session.privacy),
        ("member", session.members),
    ]


# -- link codes: pure --------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """`abcd-efgh`, `ABCD EFGH` → `ABCDEFGH`; None if it cannot be a code at all."""
    code = re.sub(r"[\s\-_.]", "", text).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def show_code(code: str) -> str:
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def other_prefix(rt: Runtime, platform: str) -> str:
    """How the code will be typed on the other platform: Matrix uses its own prefix."""
    return "/" if platform == Platform.MATRIX else rt.matrix_prefix


def platform_name(ctx: Context, platform: str) -> str:
    key = f"platform.{platform}"
    return str(ctx.t(key)) if ctx.rt.translator.has(key) else platform


def account_label(user: UserRef) -> str:
    if user.platform == Platform.MATRIX:
        return user.user_id
    return f"{user.display_name} (@{user.username})" if user.username else user.display_name


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
async def forgetme(
    ctx: CommandContext, confirm: Literal["confirm", "conferma"] | None = None
) -> None:
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
            ctx.t("forgetme.ask", spaces=listed, confirm=f"{ctx.prefix}forgetme confirm"),
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


# -- finding a person in the outbox: pure --------------------------------------------------


@dataclass(frozen=True)
class Traces:
    """What could name a person in a message: texts they wrote or are called by, and
    the chats that are theirs (a private chat's id is the user id)."""

    texts: frozenset[str]
    chats: frozenset[str]


def traces(exports: Iterable[Mapping[str, object]]) -> Traces:
    texts: set[str] = set()
    chats: set[str] = set()
    for export in exports:
        member = _dict(export.get("member"))
        for key in ("name", "username"):
            value = member.get(key)
            if isinstance(value, str) and value:
                texts.add(value)
        for account in _list(member.get("accounts")):
            identity = _dict(account).get("account")
            if isinstance(identity, str):
                user_id = identity.partition(":")[2]
                chats.add(user_id)
                texts.add(user_id)
        for visit in _list(_dict(export.get("presence")).get("visits")):
            note = _dict(visit).get("note")
            if isinstance(note, str) and note:
                texts.add(note)
        skills = _dict(export.get("skills"))
        for skill in _list(skills.get("skills")):
            label = _dict(skill).get("skill")
            if isinstance(label, str) and label:
                texts.add(label)
        for request in _list(skills.get("requests_asked")):
            question = _dict(request).get("question")
            if isinstance(question, str) and question:
                texts.update(line for line in question.splitlines() if line.strip())
    return Traces(frozenset(texts), frozenset(chats))


def _dict(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def folded(text: str) -> str:
    """Letters and digits only, case folded: survives escaping, mention-defusing, markup."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def mentions(text: str, found: Traces) -> bool:
    plain = to_plain(text)
    flat = folded(plain)
    for needle in found.texts:
        if needle in text or needle in plain or str(escape(needle)) in text:
            return True
        key = folded(needle)
        if key and key in flat:
            return True
    return False


@dataclass(frozen=True)
class OutboxPlan:
    blank: list[int]
    wipe_later: list[int]


def outbox_plan(rows: Sequence[OutboxText], found: Traces, member_ids: set[int]) -> OutboxPlan:
    """Messages to the person are blanked (queued ones cancelled: nobody is there to read
    them); delivered messages naming them are blanked; queued messages to others that
    name them still go out, and are blanked once delivered."""
    blank: list[int] = []
    later: list[int] = []
    for row in rows:
        theirs = row.private and (row.chat_id in found.chats or row.member_id in member_ids)
        if theirs or (not row.pending and mentions(row.text, found)):
            blank.append(row.id)
        elif mentions(row.text, found):
            later.append(row.id)
    return OutboxPlan(blank, later)


# -- the wipe job ----------------------------------------------------------------------------


@router.job("privacy.wipe", every=timedelta(minutes=1))
async def wipe_job(rt: Runtime) -> None:
    """Blank delivered messages marked for it (forgetting the Matrix room a goodbye went
    to first: the row's chat says whose it was); drop expired link codes."""
    async with rt.store.transaction() as session:
        await session.matrix.forget_rooms_of_the_forgotten()
        await session.privacy.wipe_delivered()
        await session.privacy.prune_link_codes(rt.clock.now())
