"""Help between peers: members declare what they know, ask for help, and the bot routes
each request to the people who know, present ones first (see ../shared/DESIGN.md).

Matching is a pure function (`skill_tag`, `skill_matches`, `rank_matches`) so its rules
are tested directly. Jobs only tick: a request is escalated or expired when the clock and
its stored state say so, and the state change is written in the same transaction as the
messages, so nothing happens twice, not even across a restart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from bot.arguments import ArgError
from bot.context import ButtonSpec, Context, Render, Runtime
from bot.dispatcher import Router
from bot.events import ChatRef, Platform
from bot.i18n import Catalog, Localizer, Markup, escape, join
from handlers.members import MemberName
from handlers.mentions import defuse_mentions
from storage.members import Identity, Member, MemberStatus
from storage.skills import HelpRequest, RequestState, SkillHolder

MAX_SKILLS = 30
MAX_SKILL_LEN = 40
MAX_SKILL_LINE = 1500
MAX_QUESTION = 500
FIRST_WAVE = 10
MAX_LISTED = 20
QUESTION_PREVIEW = 80
# Expiry counts calendar days in the space's timezone; a wall-clock day differs from 24 h
# by at most the DST jump, so candidates are fetched with this margin and then decided exactly.
DST_MARGIN = timedelta(hours=3)

MESSAGES: Catalog = {
    "section.skills": {"en": "Help between peers", "it": "Aiuto tra pari"},
    "cmd.skills": {
        "en": "your skills, or a member's",
        "it": "le tue competenze, o quelle di un membro",
    },
    "usage.skills": {"en": "[member]", "it": "[membro]"},
    "cmd.skills_add": {
        "en": "declare what you know (comma-separated)",
        "it": "dichiara cosa sai fare (separato da virgole)",
    },
    "usage.skills_add": {"en": "<skill>, <skill>, …", "it": "<competenza>, <competenza>, …"},
    "cmd.skills_remove": {"en": "remove skills of yours", "it": "togli tue competenze"},
    "usage.skills_remove": {"en": "<skill>, …", "it": "<competenza>, …"},
    "cmd.whoknows": {
        "en": "who knows something, present ones first",
        "it": "chi sa fare qualcosa, prima chi è presente",
    },
    "usage.whoknows": {"en": "<skill>", "it": "<competenza>"},
    "cmd.ask": {
        "en": "ask for help: I tell those who know",
        "it": "chiedi aiuto: lo dico a chi sa",
    },
    "usage.ask": {"en": "<skill>: <question>", "it": "<competenza>: <domanda>"},
    "cmd.offer": {"en": "offer your help on a request", "it": "offri il tuo aiuto a una richiesta"},
    "usage.offer": {"en": "<number>", "it": "<numero>"},
    "cmd.done": {"en": "mark a request as solved", "it": "segna una richiesta come risolta"},
    "usage.done": {"en": "<number>", "it": "<numero>"},
    "cmd.thanks": {
        "en": "thank whoever helped you (a kudos)",
        "it": "ringrazia chi ti ha aiutato (un kudos)",
    },
    "usage.thanks": {"en": "<number>", "it": "<numero>"},
    "cmd.cancel": {"en": "cancel a request", "it": "annulla una richiesta"},
    "usage.cancel": {"en": "<number>", "it": "<numero>"},
    "cmd.requests": {"en": "requests waiting for help", "it": "richieste in attesa di aiuto"},
    "button.offer": {"en": "I can help", "it": "Posso aiutare"},
    "button.done": {"en": "Solved", "it": "Risolta"},
    "button.thanks": {"en": "Say thanks", "it": "Ringrazia"},
    # -- skills ---------------------------------------------------------------------
    "skills.bad": {
        "en": {
            "one": (
                "{skills} is not a skill: a skill needs a letter or a digit and at most "
                "{limit} characters."
            ),
            "other": (
                "{skills} are not skills: a skill needs a letter or a digit and at most "
                "{limit} characters."
            ),
        },
        "it": {
            "one": (
                "{skills} non è una competenza: ci vuole almeno una lettera o una cifra e "
                "al massimo {limit} caratteri."
            ),
            "other": (
                "{skills} non sono competenze: ci vuole almeno una lettera o una cifra e "
                "al massimo {limit} caratteri."
            ),
        },
    },
    "skills.none_given": {
        "en": "Which skill? Write it after the command.",
        "it": "Quale competenza? Scrivila dopo il comando.",
    },
    "skills.line_too_long": {
        "en": "Too long: at most {limit} characters in all.",
        "it": "Troppo lungo: al massimo {limit} caratteri in tutto.",
    },
    "skills.mine": {
        "en": {
            "one": "<b>Your skills</b> ({count} of {limit}): {skills}",
            "other": "<b>Your skills</b> ({count} of {limit}): {skills}",
        },
        "it": {
            "one": "<b>Le tue competenze</b> ({count} su {limit}): {skills}",
            "other": "<b>Le tue competenze</b> ({count} su {limit}): {skills}",
        },
    },
    "skills.mine_none": {
        "en": "You have not declared any skill yet. Add some with {add}, e.g. {example}.",
        "it": "Non hai ancora dichiarato competenze. Aggiungine con {add}, per esempio {example}.",
    },
    "skills.example": {"en": "Excel, accounting", "it": "Excel, contabilità"},
    "skills.theirs": {
        "en": "<b>Skills of {name}</b>: {skills}",
        "it": "<b>Competenze di {name}</b>: {skills}",
    },
    "skills.theirs_none": {
        "en": "{name} has not declared any skill yet.",
        "it": "{name} non ha ancora dichiarato competenze.",
    },
    "skills.kudos": {
        "en": {"one": "{count} kudos received.", "other": "{count} kudos received."},
        "it": {"one": "{count} kudos ricevuto.", "other": "{count} kudos ricevuti."},
    },
    "skills.added": {
        "en": "Added: {skills}.",
        "it": "Aggiunte: {skills}.",
    },
    "skills.already_had": {
        "en": "You already had: {skills}.",
        "it": "Avevi già: {skills}.",
    },
    "skills.count": {
        "en": {"one": "You now have {count} skill.", "other": "You now have {count} skills."},
        "it": {
            "one": "Ora hai {count} competenza.",
            "other": "Ora hai {count} competenze.",
        },
    },
    "skills.too_many": {
        "en": (
            "At most {limit} skills each: you have {have} and asked to add {adding}. "
            "Remove some first with {remove}."
        ),
        "it": (
            "Al massimo {limit} competenze a testa: ne hai {have} e volevi aggiungerne "
            "{adding}. Prima togline qualcuna con {remove}."
        ),
    },
    "skills.not_yours": {
        "en": "You don't have {skills}. Your skills: {mine}.",
        "it": "Non hai {skills}. Le tue competenze: {mine}.",
    },
    "skills.none_word": {"en": "none", "it": "nessuna"},
    "skills.removed": {"en": "Removed: {skills}.", "it": "Tolte: {skills}."},
    "skills.whoknows_title": {
        "en": "<b>Who knows {skill}</b>",
        "it": "<b>Chi sa di {skill}</b>",
    },
    "skills.whoknows_line": {
        "en": "• {name} — {label}{here}{kudos}",
        "it": "• {name} — {label}{here}{kudos}",
    },
    "skills.here_mark": {"en": " · here now", "it": " · qui ora"},
    "skills.kudos_mark": {
        "en": {"one": " · {count} kudos", "other": " · {count} kudos"},
        "it": {"one": " · {count} kudos", "other": " · {count} kudos"},
    },
    "skills.and_more": {
        "en": {"one": "and {count} more", "other": "and {count} more"},
        "it": {"one": "e altri {count}", "other": "e altri {count}"},
    },
    "skills.nobody_knows": {
        "en": "Nobody here has declared {skill} yet. You can still ask everyone: {ask}",
        "it": "Nessuno qui ha ancora dichiarato {skill}. Puoi comunque chiedere a tutti: {ask}",
    },
    # -- asking -----------------------------------------------------------------------
    "skills.ask_no_colon": {
        "en": "Put a colon between the skill and the question.",
        "it": "Metti i due punti tra la competenza e la domanda.",
    },
    "skills.ask_no_question": {
        "en": "What is the question? Write it after the colon.",
        "it": "Qual è la domanda? Scrivila dopo i due punti.",
    },
    "skills.ask_no_skill": {
        "en": "Which skill does it need? Write it before the colon.",
        "it": "Che competenza serve? Scrivila prima dei due punti.",
    },
    "skills.question_too_long": {
        "en": "The question is too long: at most {limit} characters (you wrote {length}).",
        "it": "La domanda è troppo lunga: al massimo {limit} caratteri (ne hai scritti {length}).",
    },
    "skills.request_post": {
        "en": "🙋 <b>#{number}</b> {name} asks for help with <b>{skill}</b>:\n{question}",
        "it": "🙋 <b>#{number}</b> {name} chiede aiuto su <b>{skill}</b>:\n{question}",
    },
    "skills.request_notice": {
        "en": (
            "🙋 {name} asks for help with <b>{skill}</b>, which you know "
            "(request <b>#{number}</b>):\n{question}\nCan you help? {offer}"
        ),
        "it": (
            "🙋 {name} chiede aiuto su <b>{skill}</b>, che tu conosci "
            "(richiesta <b>#{number}</b>):\n{question}\nPuoi aiutare? {offer}"
        ),
    },
    "skills.asked_told": {
        "en": {
            "one": "I told {count} member who knows {skill}, privately.",
            "other": "I told {count} members who know {skill}, privately.",
        },
        "it": {
            "one": "L'ho detto in privato a {count} membro che conosce {skill}.",
            "other": "L'ho detto in privato a {count} membri che conoscono {skill}.",
        },
    },
    "skills.only_you": {
        "en": "You are the only one here who has declared {skill}. You can still ask"
        " everyone: {ask}",
        "it": "Qui hai dichiarato {skill} solo tu. Puoi comunque chiedere a tutti: {ask}",
    },
    "skills.asked_only_you": {
        "en": "You are the only one here who has declared {skill}, so the request is in the"
        " group only.",
        "it": "Qui hai dichiarato {skill} solo tu, quindi la richiesta è solo nel gruppo.",
    },
    "skills.asked_nobody": {
        "en": "Nobody here has declared {skill} yet, so the request is in the group only.",
        "it": "Nessuno qui ha ancora dichiarato {skill}, quindi la richiesta è solo nel gruppo.",
    },
    "skills.asked_private": {
        "en": "Your request <b>#{number}</b> is posted in the group.",
        "it": "La tua richiesta <b>#{number}</b> è pubblicata nel gruppo.",
    },
    "skills.asked_cancel": {
        "en": "You can cancel it with {cancel}.",
        "it": "Puoi annullarla con {cancel}.",
    },
    # -- the lifecycle ----------------------------------------------------------------
    "skills.no_such_request": {
        "en": "There is no request #{number}. {requests} lists the open ones.",
        "it": "Non c'è nessuna richiesta #{number}. {requests} elenca quelle aperte.",
    },
    "skills.state.resolved": {"en": "solved", "it": "risolta"},
    "skills.state.cancelled": {"en": "cancelled", "it": "annullata"},
    "skills.state.expired": {"en": "expired", "it": "scaduta"},
    "skills.closed": {
        "en": "Request #{number} is already {state}: nothing to do.",
        "it": "La richiesta #{number} è già {state}: non c'è niente da fare.",
    },
    "skills.offer_own": {
        "en": "#{number} is your own request: you can't offer help to yourself.",
        "it": "La #{number} è una tua richiesta: non puoi offrire aiuto a te stesso.",
    },
    "skills.offer_taken": {
        "en": "{name} already offered to help with #{number}. Thanks anyway!",
        "it": "{name} ha già offerto aiuto per la #{number}. Grazie comunque!",
    },
    "skills.offer_yours_already": {
        "en": "You already offered to help with #{number}.",
        "it": "Hai già offerto aiuto per la #{number}.",
    },
    "skills.offer_done": {
        "en": (
            "Thank you, {name}! #{number} ({skill}) is yours. Reach {requester}: {reach}.\n"
            "When it is solved, send {done}."
        ),
        "it": (
            "Grazie, {name}! La #{number} ({skill}) è tua. Contatta {requester}: {reach}.\n"
            "Quando è risolta, scrivi {done}."
        ),
    },
    "skills.offer_to_requester": {
        "en": "🤝 {helper} will help you with #{number} ({skill}). Reach them: {reach}.",
        "it": "🤝 {helper} ti aiuterà con la #{number} ({skill}). Contattalo: {reach}.",
    },
    "skills.reach_group": {
        "en": "write to them in the group",
        "it": "scrivigli nel gruppo",
    },
    "skills.done_not_yours": {
        "en": "Only whoever asked #{number} or is helping with it can mark it solved.",
        "it": "Solo chi ha chiesto la #{number} o chi sta aiutando può segnarla risolta.",
    },
    "skills.done_by_requester": {
        "en": "#{number} is solved. 🎉",
        "it": "La #{number} è risolta. 🎉",
    },
    "skills.done_thank_hint": {
        "en": "Thank {helper} with {thanks}.",
        "it": "Ringrazia {helper} con {thanks}.",
    },
    "skills.done_tell_helper": {
        "en": "{requester} marked #{number} ({skill}) as solved. Thank you for helping!",
        "it": "{requester} ha segnato la #{number} ({skill}) come risolta. Grazie dell'aiuto!",
    },
    "skills.done_by_helper": {
        "en": "#{number} is solved, and I told {requester}. Thank you for helping!",
        "it": "La #{number} è risolta e l'ho detto a {requester}. Grazie dell'aiuto!",
    },
    "skills.done_tell_requester": {
        "en": (
            "{helper} marked your request #{number} ({skill}) as solved. Thank them with {thanks}."
        ),
        "it": (
            "{helper} ha segnato la tua richiesta #{number} ({skill}) come risolta. "
            "Ringrazialo con {thanks}."
        ),
    },
    "skills.thanks_not_yours": {
        "en": "Only whoever asked #{number} can thank for it.",
        "it": "Solo chi ha chiesto la #{number} può ringraziare.",
    },
    "skills.thanks_no_helper": {
        "en": "Nobody has offered to help with #{number} yet, so there is nobody to thank.",
        "it": "Nessuno ha ancora offerto aiuto per la #{number}: non c'è nessuno da ringraziare.",
    },
    "skills.thanks_already": {
        "en": "You already thanked {helper} for #{number}.",
        "it": "Hai già ringraziato {helper} per la #{number}.",
    },
    "skills.thanks_done": {
        "en": "I passed your thanks to {helper}. 💐",
        "it": "Ho girato il tuo grazie a {helper}. 💐",
    },
    "skills.thanks_still_open": {
        "en": "If it is solved, close it with {done}.",
        "it": "Se è risolta, chiudila con {done}.",
    },
    "skills.thanks_to_helper": {
        "en": {
            "one": "💐 {requester} thanks you for #{number} ({skill}). You have {count} kudos.",
            "other": "💐 {requester} thanks you for #{number} ({skill}). You have {count} kudos.",
        },
        "it": {
            "one": "💐 {requester} ti ringrazia per la #{number} ({skill}). Hai {count} kudos.",
            "other": "💐 {requester} ti ringrazia per la #{number} ({skill}). Hai {count} kudos.",
        },
    },
    "skills.cancel_not_yours": {
        "en": "Only whoever asked #{number}, or an admin, can cancel it.",
        "it": "Solo chi ha chiesto la #{number}, o un amministratore, può annullarla.",
    },
    "skills.cancel_done": {
        "en": "#{number} is cancelled.",
        "it": "La #{number} è annullata.",
    },
    "skills.cancel_tell_helper": {
        "en": "#{number} ({skill}), which you offered to help with, was cancelled.",
        "it": "La #{number} ({skill}), per cui avevi offerto aiuto, è stata annullata.",
    },
    "skills.cancel_tell_requester": {
        "en": "{admin}, an admin, cancelled your request #{number} ({skill}).",
        "it": "{admin}, un amministratore, ha annullato la tua richiesta #{number} ({skill}).",
    },
    "skills.requests_none": {
        "en": "No request is waiting for help. Ask with {ask}.",
        "it": "Nessuna richiesta aspetta aiuto. Chiedi con {ask}.",
    },
    "skills.requests_title": {
        "en": "<b>Requests waiting for help</b>",
        "it": "<b>Richieste in attesa di aiuto</b>",
    },
    "skills.requests_line": {
        "en": "<b>#{number}</b> {skill}: {question}\n   {name}, {age}{taken}",
        "it": "<b>#{number}</b> {skill}: {question}\n   {name}, {age}{taken}",
    },
    "skills.requests_taken": {
        "en": " · {helper} is helping",
        "it": " · aiuta {helper}",
    },
    "skills.someone": {"en": "someone", "it": "qualcuno"},
    # -- jobs -------------------------------------------------------------------------
    "skills.escalation": {
        "en": (
            "🙋 Still no helper after {age}: {name} asks about <b>{skill}</b> "
            "(request <b>#{number}</b>):\n{question}\nCan you help? {offer}"
        ),
        "it": (
            "🙋 Ancora nessun aiuto dopo {age}: {name} chiede di <b>{skill}</b> "
            "(richiesta <b>#{number}</b>):\n{question}\nPuoi aiutare? {offer}"
        ),
    },
    "skills.escalated_requester": {
        "en": "Nobody has taken #{number} ({skill}) yet, so I asked every member.",
        "it": (
            "Nessuno ha ancora preso la #{number} ({skill}), quindi l'ho chiesto a tutti i membri."
        ),
    },
    "skills.expired_requester": {
        "en": {
            "one": (
                "Your request #{number} ({skill}) expired after {count} day. "
                "If you still need help, ask again with {ask}."
            ),
            "other": (
                "Your request #{number} ({skill}) expired after {count} days. "
                "If you still need help, ask again with {ask}."
            ),
        },
        "it": {
            "one": (
                "La tua richiesta #{number} ({skill}) è scaduta dopo {count} giorno. "
                "Se hai ancora bisogno, chiedi di nuovo con {ask}."
            ),
            "other": (
                "La tua richiesta #{number} ({skill}) è scaduta dopo {count} giorni. "
                "Se hai ancora bisogno, chiedi di nuovo con {ask}."
            ),
        },
    },
    "skills.expired_helper": {
        "en": "Request #{number} ({skill}), which you offered to help with, has expired.",
        "it": "La richiesta #{number} ({skill}), per cui avevi offerto aiuto, è scaduta.",
    },
}

router = Router("skills", MESSAGES)


# -- matching: pure functions -------------------------------------------------------------

_WORD_SPLIT = re.compile(r"[\s\-/_.,;:()\[\]{}|&'\"!?]+")
_LIST_SPLIT = re.compile(r"[,;\n]")


def clean_skill(text: str) -> str:
    """A skill as written, fit to show: no control characters, single spaces, trimmed."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())


def skill_tag(text: str) -> str:
    """The form skills are matched on: case, accents and spacing do not matter.

    `Contabilità`, ` contabilita ` and `CONTABILITA` all give `contabilita`.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def skill_words(tag: str) -> tuple[str, ...]:
    """The words of a tag; punctuation between words separates them (`node.js`, `ms-excel`).

    Symbols that are part of a name (`c++`, `c#`) stay with their word, so `c` does not
    find `c++`.
    """
    return tuple(w for w in _WORD_SPLIT.split(tag) if w)


def skill_matches(query_tag: str, tag: str) -> bool:
    """The whole tag, or a tag containing the query's words in a row (`excel` → `ms excel`)."""
    if not query_tag:
        return False
    if query_tag == tag:
        return True
    wanted, words = skill_words(query_tag), skill_words(tag)
    if not wanted:
        return False
    size = len(wanted)
    return any(words[i : i + size] == wanted for i in range(len(words) - size + 1))


@dataclass(frozen=True)
class SkillMatch:
    """One member who knows what was asked, with the skill that matched best."""

    member_id: int
    display_name: str
    label: str
    present: bool
    kudos: int
    exact: bool


def rank_matches(
    query_tag: str, holders: Iterable[SkillHolder], *, public: bool
) -> list[SkillMatch]:
    """Members with a matching skill: present first, then by kudos, then exact matches, name.

    `public` lists are read by others, so a member whose presence is hidden is never
    shown (or ranked) as present there; private routing may use the truth, since
    nobody sees its order.
    """
    best: dict[int, SkillMatch] = {}
    for holder in holders:
        if not skill_matches(query_tag, holder.tag):
            continue
        match = SkillMatch(
            member_id=holder.member_id,
            display_name=holder.display_name,
            label=holder.label,
            present=holder.present and not (public and holder.hidden),
            kudos=holder.kudos,
            exact=holder.tag == query_tag,
        )
        kept = best.get(holder.member_id)
        if kept is None or (match.exact and not kept.exact):
            best[holder.member_id] = match
    return sorted(
        best.values(),
        key=lambda m: (
            not m.present,
            -m.kudos,
            not m.exact,
            m.display_name.casefold(),
            m.member_id,
        ),
    )


def valid_skill(text: str) -> tuple[str, str] | None:
    """`(tag, label)` for a skill someone wrote, or None if it cannot be one."""
    label = clean_skill(text)
    if not label or len(label) > MAX_SKILL_LEN or not any(ch.isalnum() for ch in label):
        return None
    return skill_tag(label), label


def expires_at(created: datetime, days: int, tz: ZoneInfo) -> datetime:
    """`days` calendar days after `created`, at the same wall-clock time in the space.

    Across a DST change a week is not 7 × 24 h: a request made at 10:00 expires at 10:00.
    """
    wall = created.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return wall.replace(tzinfo=tz).astimezone(UTC)


# -- arguments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillList:
    """`a, b, c`: skills separated by commas, each checked, duplicates dropped."""

    rest: ClassVar[bool] = True
    skills: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> SkillList:
        if len(text) > MAX_SKILL_LINE:
            raise ArgError("skills.line_too_long", limit=MAX_SKILL_LINE)
        pieces = [p for p in (clean_skill(p) for p in _LIST_SPLIT.split(text)) if p]
        if not pieces:
            raise ArgError("skills.none_given")
        bad = [p for p in pieces if valid_skill(p) is None]
        if bad:
            shown = ", ".join(f"“{p[: MAX_SKILL_LEN + 5]}”" for p in bad[:5])
            raise ArgError("skills.bad", skills=shown, limit=MAX_SKILL_LEN, count=len(bad))
        seen: dict[str, str] = {}
        for piece in pieces:
            found = valid_skill(piece)
            assert found is not None
            seen.setdefault(found[0], found[1])
        return cls(tuple(seen.items()))

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> SkillList:
        return cls.parse(text)


@dataclass(frozen=True)
class SkillQuery:
    """One skill to look for, as the rest of the line."""

    rest: ClassVar[bool] = True
    tag: str
    label: str

    @classmethod
    def parse(cls, text: str) -> SkillQuery:
        found = valid_skill(text)
        if found is None:
            raise ArgError(
                "skills.bad",
                skills=f"“{text[: MAX_SKILL_LEN + 5]}”",
                limit=MAX_SKILL_LEN,
                count=1,
            )
        return cls(*found)

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> SkillQuery:
        return cls.parse(text)


@dataclass(frozen=True)
class HelpQuestion:
    """`<skill>: <question>`, the rest of the line of `ask`."""

    rest: ClassVar[bool] = True
    tag: str
    label: str
    question: str

    @classmethod
    def parse(cls, text: str) -> HelpQuestion:
        skill, colon, question = text.partition(":")
        if not colon:
            raise ArgError("skills.ask_no_colon")
        if not clean_skill(skill):
            raise ArgError("skills.ask_no_skill")
        lines = [clean_skill(line) for line in question.splitlines()]
        text_out = "\n".join(line for line in lines if line)
        if not text_out:
            raise ArgError("skills.ask_no_question")
        if len(text_out) > MAX_QUESTION:
            raise ArgError("skills.question_too_long", limit=MAX_QUESTION, length=len(text_out))
        query = SkillQuery.parse(skill)
        return cls(query.tag, query.label, text_out)

    @classmethod
    async def convert(cls, text: str, ctx: Context) -> HelpQuestion:
        return cls.parse(text)


# -- speaking to many ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cmd:
    """A command inside a private message, written with the reader's own prefix (/ or !)."""

    line: str


@dataclass(frozen=True)
class Ago:
    """A length of time (`4 hours`), in the reader's language."""

    span: timedelta


@dataclass(frozen=True)
class Said:
    """A catalog message without values, in the reader's language."""

    key: str


@dataclass(frozen=True)
class Reach:
    """How to write to `member` directly, in the reader's language."""

    member: Member
    identity: Identity | None


@dataclass(frozen=True)
class Letter:
    """A private message to one member, delivered with others in one batch.

    Values may be `Cmd`, `Ago`, `Reach` or `Said`, resolved for each reader.
    """

    member: Member
    key: str
    values: Mapping[str, object]
    buttons: Sequence[ButtonSpec] = ()


def resolve(value: object, loc: Localizer, prefix: str) -> object:
    if isinstance(value, Cmd):
        return f"{prefix}{value.line}"
    if isinstance(value, Ago):
        return loc.fmt.span(value.span)
    if isinstance(value, Reach):
        return reach(loc, value.member, value.identity)
    if isinstance(value, Said):
        return loc.t(value.key)
    return value


async def deliver(ctx: Context, letters: Sequence[Letter]) -> list[Member]:
    """Write to many members privately, looking their chats up in one query.

    Returns those reached (a member with no identity left is skipped).
    """
    if not letters:
        return []
    chats = await ctx.session.members.preferred_identities(
        list(dict.fromkeys(letter.member.id for letter in letters))
    )
    reached: list[Member] = []
    for letter in letters:
        identity = chats.get(letter.member.id)
        if identity is None:
            continue
        loc = ctx.loc_for(letter.member)
        prefix = ctx.rt.prefix(identity.platform)
        values = {k: resolve(v, loc, prefix) for k, v in letter.values.items()}
        chat = ChatRef(Platform(identity.platform), identity.user_id, private=True)
        await ctx.send(
            chat,
            loc.t(letter.key, **values),
            loc,
            buttons=letter.buttons,
            member_id=letter.member.id,
        )
        reached.append(letter.member)
    return reached


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


def listing(loc: Localizer, labels: Iterable[str]) -> Markup:
    shown = [escape(label) for label in labels]
    return Markup(", ".join(shown)) if shown else loc.t("skills.none_word")


async def members_by_id(ctx: Context) -> dict[int, Member]:
    """Everyone of the space, left ones too (old requests still name them), in one query."""
    assert ctx.space is not None
    return {m.id: m for m in await ctx.session.members.of_space(ctx.space.id)}


def name_of(loc: Localizer, people: dict[int, Member], member_id: int | None) -> str:
    member = people.get(member_id) if member_id is not None else None
    return member.display_name if member else str(loc.t("skills.someone"))


# -- skills ------------------------------------------------------------------------------


@router.command("skills")
async def skills(ctx: Context, who: MemberName | None = None) -> None:
    assert ctx.member is not None
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
async def skills_add(ctx: Context, wanted: SkillList) -> None:
    assert ctx.member is not None and ctx.space is not None
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
async def skills_remove(ctx: Context, unwanted: SkillList) -> None:
    assert ctx.member is not None
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
async def whoknows(ctx: Context, skill: SkillQuery) -> None:
    assert ctx.space is not None
    holders = await ctx.session.skills.holders(ctx.space.id)
    found = rank_matches(skill.tag, holders, public=True)
    if not found or [m.member_id for m in found] == [ctx.member.id if ctx.member else None]:
        await ctx.say(
            "skills.only_you" if found else "skills.nobody_knows",
            skill=skill.label,
            ask=f"{ctx.prefix}ask {skill.label}: …",
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


@router.command("ask")
async def ask(ctx: Context, wanted: HelpQuestion) -> None:
    assert ctx.member is not None and ctx.space is not None and ctx.msg is not None
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
        Letter(people[m.member_id], "skills.request_notice", values, buttons)
        for m in found[:FIRST_WAVE]
    ]
    told = await deliver(ctx, letters)
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


async def find_request(ctx: Context, number: int) -> HelpRequest | None:
    """The space's request #number, or None after saying there is no such request."""
    assert ctx.space is not None
    request = await ctx.session.skills.by_number(ctx.space.id, number)
    if request is None:
        await ctx.say("skills.no_such_request", number=number, requests=f"{ctx.prefix}requests")
    return request


async def refuse_closed(ctx: Context, request: HelpRequest) -> bool:
    """Say so and return True if the request is no longer open or claimed."""
    if request.is_active:
        return False
    await ctx.say(
        "skills.closed",
        number=request.number,
        state=ctx.t(f"skills.state.{request.state.value}"),
    )
    return True


def person(people: dict[int, Member], member_id: int | None) -> Member | None:
    return people.get(member_id) if member_id is not None else None


@router.command("offer")
async def offer(ctx: Context, number: int) -> None:
    assert ctx.member is not None
    me = ctx.member
    request = await find_request(ctx, number)
    if request is None:
        return
    if request.requester_id == me.id:
        await ctx.say("skills.offer_own", number=number)
        return
    if await refuse_closed(ctx, request):
        return
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
        await deliver(ctx, [Letter(requester, "skills.offer_to_requester", values, buttons)])


@router.command("done")
async def done(ctx: Context, number: int) -> None:
    assert ctx.member is not None
    me = ctx.member
    request = await find_request(ctx, number)
    if request is None:
        return
    if me.id not in (request.requester_id, request.helper_id):
        await ctx.say("skills.done_not_yours", number=number)
        return
    if await refuse_closed(ctx, request):
        return
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
            await deliver(ctx, [Letter(helper, "skills.done_tell_helper", values)])
        return
    await ctx.say(
        "skills.done_by_helper",
        number=number,
        requester=name_of(ctx.loc, people, request.requester_id),
    )
    if requester is not None:
        values |= {"helper": me.display_name, "thanks": Cmd(f"thanks {number}")}
        await deliver(ctx, [Letter(requester, "skills.done_tell_requester", values, thank_button)])


@router.command("thanks")
async def thanks(ctx: Context, number: int) -> None:
    assert ctx.member is not None
    me = ctx.member
    request = await find_request(ctx, number)
    if request is None:
        return
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
    await deliver(ctx, [Letter(helper, "skills.thanks_to_helper", values)])


@router.command("cancel")
async def cancel(ctx: Context, number: int) -> None:
    assert ctx.member is not None
    me = ctx.member
    request = await find_request(ctx, number)
    if request is None:
        return
    is_requester = me.id == request.requester_id
    if not is_requester and not me.is_admin:
        await ctx.say("skills.cancel_not_yours", number=number)
        return
    if await refuse_closed(ctx, request):
        return
    await ctx.session.skills.close(request.id, RequestState.CANCELLED, me.id, ctx.now)
    await ctx.say("skills.cancel_done", number=number)
    people = await members_by_id(ctx)
    values = {"number": number, "skill": request.skill_label, "admin": me.display_name}
    letters: list[Letter] = []
    helper = person(people, request.helper_id)
    if helper is not None and helper.id != me.id:
        letters.append(Letter(helper, "skills.cancel_tell_helper", values))
    requester = person(people, request.requester_id)
    if requester is not None and not is_requester:
        letters.append(Letter(requester, "skills.cancel_tell_requester", values))
    await deliver(ctx, letters)


def preview(text: str) -> str:
    """A question on one line, cut with an ellipsis, for lists."""
    flat = " ".join(text.split())
    return flat if len(flat) <= QUESTION_PREVIEW else flat[: QUESTION_PREVIEW - 1] + "…"


@router.command("requests")
async def requests(ctx: Context) -> None:
    assert ctx.space is not None
    active = await ctx.session.skills.active(ctx.space.id)
    if not active:
        await ctx.say("skills.requests_none", ask=f"{ctx.prefix}ask")
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


# -- jobs -------------------------------------------------------------------------------


@router.job("skills.requests", every=timedelta(minutes=1))
async def requests_job(rt: Runtime) -> None:
    await rt.each_space(tend_requests)


async def tend_requests(ctx: Context) -> None:
    """Expire first: a request found long overdue after downtime just expires, unescalated."""
    await expire_due(ctx)
    await escalate_due(ctx)


async def expire_due(ctx: Context) -> None:
    assert ctx.space is not None
    days = ctx.space.expire_after_days
    repo = ctx.session.skills
    candidates = await repo.active_created_before(
        ctx.space.id, ctx.now - timedelta(days=days) + DST_MARGIN
    )
    due = [r for r in candidates if expires_at(r.created_at, days, ctx.tz) <= ctx.now]
    if not due:
        return
    await repo.expire([r.id for r in due], ctx.now)
    people = await members_by_id(ctx)
    letters: list[Letter] = []
    for request in due:
        values = {
            "number": request.number,
            "skill": request.skill_label,
            "count": days,
            "ask": Cmd("ask"),
        }
        requester = person(people, request.requester_id)
        if requester is not None and requester.is_active:
            letters.append(Letter(requester, "skills.expired_requester", values))
        helper = person(people, request.helper_id)
        if helper is not None and helper.is_active:
            letters.append(Letter(helper, "skills.expired_helper", values))
    await deliver(ctx, letters)


async def escalate_due(ctx: Context) -> None:
    """Requests nobody took in time go to every active member, once, present ones first."""
    assert ctx.space is not None
    repo = ctx.session.skills
    due = await repo.to_escalate(
        ctx.space.id, ctx.now - timedelta(minutes=ctx.space.escalate_after_minutes)
    )
    if not due:
        return
    people = await members_by_id(ctx)
    present = await repo.present_members(ctx.space.id)
    active = sorted(
        (m for m in people.values() if m.is_active),
        key=lambda m: (m.id not in present, m.display_name.casefold(), m.id),
    )
    letters: list[Letter] = []
    notices: list[tuple[int, int]] = []
    for request in due:
        requester = person(people, request.requester_id)
        values = request_values(request, requester) | {"age": Ago(ctx.now - request.created_at)}
        for member in active:
            if member.id != request.requester_id:
                letters.append(
                    Letter(member, "skills.escalation", values, offer_button(request.number))
                )
                notices.append((request.id, member.id))
        if requester is not None and requester.is_active:
            letters.append(Letter(requester, "skills.escalated_requester", values))
    reached = {m.id for m in await deliver(ctx, letters)}
    await repo.record_notices(
        [(rid, mid) for rid, mid in notices if mid in reached], "escalation", ctx.now
    )
    await repo.mark_escalated([r.id for r in due], ctx.now)
