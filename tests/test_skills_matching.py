"""The pure rules of help between peers: normalising, matching, ranking, parsing, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.arguments import ArgError
from bot.i18n import Formatter, Localizer, Translator
from handlers.skills.arguments import HelpQuestion, SkillList
from handlers.skills.matching import (
    MAX_SKILL_LEN,
    expires_at,
    rank_matches,
    skill_matches,
    skill_tag,
    skill_words,
    valid_skill,
)
from handlers.skills.requests import reach
from storage.members import Identity, Member, MemberRole, MemberStatus
from storage.skills import SkillHolder

ROME = ZoneInfo("Europe/Rome")


@pytest.mark.parametrize(
    "written",
    ["Contabilità", "contabilita", "  CONTABILITA  ", "Contabilita\u0300", "CONTABILITÀ"],
)
def test_tag_ignores_case_accents_and_surrounding_spaces(written: str) -> None:
    assert skill_tag(written) == "contabilita"


def test_tag_uses_compatibility_forms_and_single_spaces() -> None:
    # NFKD turns the "ﬁ" ligature and full-width letters into plain ones.
    assert skill_tag("Ｅｘｃｅｌ") == "excel"
    assert skill_tag("ﬁnanza") == "finanza"
    assert skill_tag("Ms   \tExcel") == "ms excel"
    assert skill_tag("Straße") == "strasse"
    assert skill_tag("Çà Ñ") == "ca n"


def test_words_split_on_punctuation_but_keep_symbols_of_a_name() -> None:
    assert skill_words("node.js") == ("node", "js")
    assert skill_words("ms-excel / word") == ("ms", "excel", "word")
    assert skill_words("c++") == ("c++",)
    assert skill_words("c#") == ("c#",)


@pytest.mark.parametrize(
    ("query", "tag", "expected"),
    [
        ("excel", "excel", True),  # the whole tag
        ("excel", "ms excel", True),  # a tag containing the word
        ("ms excel", "ms excel avanzato", True),  # words in a row
        ("excel ms", "ms excel", False),  # not in that order
        ("excel", "excellence", False),  # a word, not a substring
        ("ms excel", "excel", False),  # the tag must contain the query, not the reverse
        ("c", "c++", False),
        ("c", "objective-c", True),
        ("c++", "c++", True),
        ("js", "node.js", True),
        ("node.js", "node js", True),
        ("", "excel", False),
    ],
)
def test_matching_rules(query: str, tag: str, expected: bool) -> None:
    assert skill_matches(skill_tag(query), skill_tag(tag)) is expected


def holder(
    member_id: int,
    name: str,
    label: str,
    *,
    present: bool = False,
    hidden: bool = False,
    kudos: int = 0,
) -> SkillHolder:
    return SkillHolder(member_id, name, skill_tag(label), label, present, hidden, kudos)


def test_ranking_present_first_then_kudos_then_exact_then_name() -> None:
    holders = [
        holder(1, "Zeno", "MS Excel", kudos=5),
        holder(2, "Anna", "Excel", kudos=1),
        holder(3, "Bice", "MS Excel", present=True),
        holder(4, "Carlo", "Excel", present=True),
        holder(5, "Dora", "Word"),
        holder(6, "Ada", "Excel", kudos=1),
    ]
    ranked = rank_matches("excel", holders, public=False)
    assert [m.display_name for m in ranked] == ["Carlo", "Bice", "Zeno", "Ada", "Anna"]
    assert [m.exact for m in ranked] == [True, False, False, True, True]


def test_a_member_appears_once_with_the_best_matching_skill() -> None:
    holders = [holder(1, "Bruno", "MS Excel"), holder(1, "Bruno", "Excel")]
    (only,) = rank_matches("excel", holders, public=False)
    assert only.label == "Excel" and only.exact


def test_hidden_presence_is_not_shown_or_ranked_in_public_lists() -> None:
    holders = [holder(1, "Anna", "Excel"), holder(2, "Bruno", "Excel", present=True, hidden=True)]
    public = rank_matches("excel", holders, public=True)
    assert [(m.display_name, m.present) for m in public] == [("Anna", False), ("Bruno", False)]
    private = rank_matches("excel", holders, public=False)
    assert [(m.display_name, m.present) for m in private] == [("Bruno", True), ("Anna", False)]


def test_valid_skill_limits_and_symbols() -> None:
    assert valid_skill("  Contabilità ") == ("contabilita", "Contabilità")
    assert valid_skill("x" * MAX_SKILL_LEN) is not None
    assert valid_skill("x" * (MAX_SKILL_LEN + 1)) is None
    assert valid_skill("!!!") is None
    assert valid_skill("— ★ —") is None
    assert valid_skill("   ") is None
    assert valid_skill("C++") == ("c++", "C++")


def test_skill_list_splits_trims_and_drops_duplicates() -> None:
    parsed = SkillList.parse("Excel, contabilità ; EXCEL,, Contabilita\nPython ")
    assert parsed.skills == (
        ("excel", "Excel"),
        ("contabilita", "contabilità"),
        ("python", "Python"),
    )


def test_skill_list_refuses_any_bad_item_naming_it() -> None:
    with pytest.raises(ArgError) as err:
        SkillList.parse("Excel, ???, " + "y" * 41)
    assert err.value.key == "skills.bad"
    assert "???" in str(err.value.values["skills"])
    with pytest.raises(ArgError) as err:
        SkillList.parse(" , ;")
    assert err.value.key == "skills.none_given"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Excel how do I pivot", "skills.ask_no_colon"),
        ("Excel:", "skills.ask_no_question"),
        ("Excel:   \n  ", "skills.ask_no_question"),
        (": how?", "skills.ask_no_skill"),
        ("!!: how?", "skills.bad"),
        ("Excel: " + "q" * 501, "skills.question_too_long"),
    ],
)
def test_help_question_refusals(text: str, key: str) -> None:
    with pytest.raises(ArgError) as err:
        HelpQuestion.parse(text)
    assert err.value.key == key


def test_help_question_splits_at_the_first_colon() -> None:
    parsed = HelpQuestion.parse(" Contabilità : what is a 10:1 ratio?\n\n  second line ")
    assert (parsed.tag, parsed.label) == ("contabilita", "Contabilità")
    assert parsed.question == "what is a 10:1 ratio?\nsecond line"


def test_expiry_counts_calendar_days_across_spring_dst() -> None:
    created = datetime(2027, 3, 25, 10, 0, tzinfo=ROME)  # CET, +01:00
    deadline = expires_at(created.astimezone(UTC), 7, ROME)
    assert deadline.astimezone(ROME) == datetime(2027, 4, 1, 10, 0, tzinfo=ROME)  # CEST
    assert deadline - created == timedelta(days=7, hours=-1)


def test_expiry_counts_calendar_days_across_autumn_dst() -> None:
    created = datetime(2027, 10, 30, 10, 0, tzinfo=ROME)  # CEST, +02:00
    deadline = expires_at(created.astimezone(UTC), 1, ROME)
    assert deadline.astimezone(ROME) == datetime(2027, 10, 31, 10, 0, tzinfo=ROME)  # CET
    assert deadline - created == timedelta(hours=25)


def person(username: str = "") -> Member:
    moment = datetime(2026, 11, 25, tzinfo=UTC)
    return Member(
        id=7,
        space_id=1,
        display_name="Bruno <b>",
        username=username,
        role=MemberRole.MEMBER,
        status=MemberStatus.ACTIVE,
        language=None,
        visibility="visible",
        shares=1,
        joined_at=moment,
        left_at=None,
        created_at=moment,
    )


def test_reach_tells_how_to_write_to_someone_on_their_platform() -> None:
    loc = Localizer(Translator("en"), Formatter("en", ROME))
    seen = datetime(2026, 11, 25, tzinfo=UTC)
    matrix = Identity("matrix:@bruno:example.org", 7, seen)
    telegram = Identity("telegram:123", 7, seen)
    assert reach(loc, person("bruno"), matrix) == (
        '<a href="https://matrix.to/#/@bruno:example.org">@bruno:example.org</a>'
    )
    assert reach(loc, person("bruno"), telegram) == "@bruno"
    assert reach(loc, person(), telegram) == '<a href="tg://user?id=123">Bruno &lt;b&gt;</a>'
    assert reach(loc, person(), None) == "write in the group"
