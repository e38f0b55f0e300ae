"""Italian that fits everyone: no message speaks of a person with a masculine or feminine
form. Careful Italian software writes "Ciao Anna, sei dentro dalle 9:00", "Per ora ci
sei solo tu", "Hai passato 3 min allo spazio", "Ora hai il ruolo di admin": neutral
constructions, never "benvenuto/a" or asterisks, and the reader is addressed directly.

The scan looks for the words that take a gender when they are about a person; where
one of them is about a thing ("il primo addebito", "in attesa"), the phrase is listed
below as allowed, so every exception is a reviewed one.
"""

from __future__ import annotations

import re

import pytest

from bot.i18n import Translator, to_plain

# Words that take -o/-a/-i/-e when they agree with a person, and the phrases where
# they agree with a thing instead.
PERSON_STEMS: dict[str, tuple[str, ...]] = {
    "benvenut": (),
    "rimast": (),
    "arrivat": (),
    "iscritt": (),
    "pront": (r"\bspazio \S+ è pronto\b",),
    "sicur": (),
    "stanc": (),
    "content": (),
    "stat": (r"\bpagina di stato\b",),
    "attes": (r"\bin attesa\b", r"\bl'attesa\b"),
    "ultim": (
        r"\bl'ultima postazione\b",
        r"\bl'ultimo del mese\b",
        r"\bultimo (?:giorno|messaggio)\b",
        r"\bl'ultima volta\b",
        r"\ball'ultima uscita\b",
        r"\bultime quattro settimane\b",
    ),
    "unic": (r"\bl'unica persona\b", r"\bl'unica volta\b"),
    "stess": (),
    "nuov": (
        r"\bdi nuovo\b",
        r"\buno nuovo\b",
        r"\bnuovo spazio\b",
        r"\bstanza nuova\b",
        # the word typed after /presence token and /calendar
        r"\[nuovo\b",
        r"\bnuovo\|nuova\b",
        r"\(nuovo:",
    ),
}
# Participles that are often nouns or about things ("la tua uscita", "hai ringraziato"):
# they take a person's gender after a form of "essere", where they agree with the subject.
AFTER_ESSERE = (
    "andat|venut|uscit|entrat|tornat|partit|nominat|promoss|bloccat|rimoss|dimenticat"
    "|ringraziat|invitat|approvat|accettat|rifiutat"
)
ESSERE = r"(?:sono|sei|è|siamo|siete|ero|eri|era|sarai|sarà|sia|essere|esser|stato|stata)"
PATTERNS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(rf"\b{stem}[oaie]\b"), allowed) for stem, allowed in PERSON_STEMS.items()
]
PATTERNS += [
    (
        re.compile(rf"\b{ESSERE}\s+(?:\w+\s+)?(?:{AFTER_ESSERE})[oaie]\b"),
        (r"\bqualcosa è andato storto\b",),
    ),
    # "il primo", "la prima", "sei primo": "prima" alone is an adverb.
    (re.compile(r"\b(?:il|la|i|le|sei|è|sono)\s+prim[oaie]\b"), ()),
    # The title itself is gendered: the role is "admin", people are "chi amministra".
    (re.compile(r"\bamministrat(?:ore|ori|rice|rici)\b"), ()),
    # "admin" is neutral, an article before it is not ("un admin", "gli admin").
    (
        re.compile(
            r"\b(?:un|una|gli|degli|agli|dagli|negli|sugli|il|lo|la|le|del|dello|della"
            r"|al|allo|alla|dal|dallo|dalla)\s+admin\b"
        ),
        (),
    ),
    # Pronouns for a person: lui, lei; "scrivigli", "chiedile"; "ringrazialo", "contattala".
    (re.compile(r"\b(?:lui|lei|egli|ella)\b"), ()),
    (re.compile(r"\b(?:scrivi|chiedi|rispondi|manda|di'|dì|scriver|chieder)(?:gli|le)\b"), ()),
    (
        re.compile(
            r"\b(?:ringrazia|contatta|avvisa|aiuta|ringraziar|contattar|avvisar|aiutar)(?:lo|la|li|le)\b"
        ),
        (),
    ),
]


def gendered(text: str) -> list[str]:
    """The words of an Italian text that give a person a gender."""
    plain = re.sub(r"\{[a-z_]+\}", "x", to_plain(text)).lower()
    found = []
    for pattern, allowed in PATTERNS:
        for m in pattern.finditer(plain):
            spans = [a.span() for phrase in allowed for a in re.finditer(phrase, plain)]
            if not any(start <= m.start() and m.end() <= end for start, end in spans):
                found.append(m.group(0))
    return found


def test_no_italian_message_gives_a_person_a_gender() -> None:
    translator = Translator("it")
    problems = []
    for key in translator.message_keys():
        text = translator.text("it", key)
        for form in (text,) if isinstance(text, str) else text:
            if words := gendered(form):
                problems.append(f"{key}: {words} in {form!r}")
    assert problems == []


@pytest.mark.parametrize(
    "text",
    [
        "Benvenuto, Anna: sei dentro dalle 09:00.",
        "Sei il primo ad arrivare.",
        "Ciao Carla: sei rimasta 3 min.",
        "Ora sei amministratore di {space}.",
        "Va bene: non sei più atteso {day}.",
        "Contattalo: scrivigli nel gruppo.",
        "La richiesta aspetta un admin.",
        "Se non sei stato tu, avvisa subito.",
        "Non puoi offrire aiuto a te stesso.",
    ],
)
def test_the_scan_finds_what_the_old_messages_said(text: str) -> None:
    assert gendered(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "Ciao {name}, sei dentro dalle {time}.",
        "Per ora ci sei solo tu.",
        "Ciao {name}, hai passato {duration} allo spazio.",
        "Ora hai il ruolo di admin in {space}.",
        "Primo addebito il {first}, per il periodo {period}.",
        "<b>Richieste in attesa</b>",
    ],
)
def test_the_scan_lets_neutral_italian_through(text: str) -> None:
    assert gendered(text) == []
