"""The arguments skills commands take: lists of skills, one skill, a question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from bot.arguments import ArgError, TextArgument
from handlers.skills.matching import MAX_SKILL_LEN, clean_skill, valid_skill

MAX_SKILL_LINE = 1500
MAX_QUESTION = 500
_LIST_SPLIT = re.compile(r"[,;\n]")


@dataclass(frozen=True)
class SkillList(TextArgument):
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


@dataclass(frozen=True)
class SkillQuery(TextArgument):
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


@dataclass(frozen=True)
class HelpQuestion(TextArgument):
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
