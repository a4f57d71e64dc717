"""Acts that are not events: negated, planned or hypothetical, denied, habitual, asked about.

Each check looks at the trigger's clause (tokens between commas, colons, dashes, quotes), because
German puts the modal verb and the negation far from the verb it modifies ("Lawrow wird seinen
Amtskollegen am Montag nicht treffen"). docs/events.md lists the words.
"""

from __future__ import annotations

NEGATIONS = frozenset(
    ["nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "weder", "ohne", "not", "no", "never", "neither", "nor", "without", "didn", "t", "cannot"]
)
# Future, plans, intentions, conditions and possibilities (German and English).
MODALS = frozenset(
    ["wird", "werden", "würde", "würden", "soll", "sollen", "sollte", "sollten", "will", "wollen", "wollte", "wollten", "möchte", "möchten", "plant", "planen", "plante", "geplant", "geplante", "geplanten", "geplantes", "beabsichtigt", "beabsichtigen", "erwartet", "erwarten", "voraussichtlich", "bereit", "morgen", "übermorgen", "nächste", "nächsten", "nächster", "kommende", "kommenden", "künftig", "künftige", "könnte", "könnten", "kann", "können", "muss", "müssen", "dürfte", "dürften", "falls", "wenn", "sofern", "ob", "would", "could", "might", "may", "should", "shall", "plans", "planned", "planning", "plan", "intends", "intend", "intended", "wants", "want", "hopes", "hope", "expected", "expects", "scheduled", "upcoming", "tomorrow", "next", "if", "unless", "whether", "considering", "consider", "proposed", "proposes", "prepared", "ready"]
)
DENIALS = frozenset(
    ["dementierte", "dementiert", "dementieren", "bestritt", "bestritten", "bestreitet", "denied", "denies", "deny", "dismissed", "refuted", "rumours", "rumors", "gerüchte", "falschmeldung"]
)
HABITUAL = frozenset(["mittlerweile", "bislang", "bisher", "regelmäßig", "regularly", "routinely", "usually", "traditionell"])
# "seit Monaten kritisiert", "has for years accused", "over the past few months warned": a stance kept up, not one act
_SPAN_PREPS = frozenset({"seit", "for", "past", "spent"})
_SPANS = frozenset({"monaten", "wochen", "jahren", "jahrzehnten", "months", "weeks", "years", "decades"})
# Words that make a modal harmless: "will" after these is a noun ("the will of"), "may" a month.
_NOT_MODAL_AFTER = frozenset({"the", "der", "die", "das", "of", "in", "on", "am", "im"})
# German modal forms that are English nouns ("his pharmaceutical plant").
_GERMAN_ONLY = frozenset({"plant"})
# English: an auxiliary after "and/but/which/that/who" opens a new verb phrase ("is investigating
# the crimes and will bring suspects to trial"): it plans that act, not the trigger before it.
_AUXILIARIES = frozenset({"will", "would", "could", "might", "may", "should", "shall"})
_NEW_PHRASE = frozenset({"and", "but", "which", "that", "who"})


def _clause_words(forms: list[str], clauses: list[int], index: int) -> list[tuple[int, str]]:
    clause = clauses[index]
    return [(i, f) for i, f in enumerate(forms) if clauses[i] == clause]


def is_negated(forms: list[str], clauses: list[int], index: int, lang: str = "de") -> bool:
    """English negates before the verb ("did not meet"); German also after it ("traf ihn nicht")."""
    before, after = (8, 6) if lang == "de" else (4, 0)  # German perfect: "hat nicht mit X telefoniert"
    words = _clause_words(forms, clauses, index)
    # the trigger's own first word is not a negation of it ("not accept" is a REJECT trigger)
    return any(f in NEGATIONS and -before <= i - index <= after and i != index for i, f in words)


def is_modal(forms: list[str], clauses: list[int], index: int, governs: bool, lang: str = "de") -> bool:
    """Planned, hypothetical, conditional. A governing trigger ("agreed to", "threatened to",
    "demanded") is itself the event, so only a modal before it counts."""
    for i, f in _clause_words(forms, clauses, index):
        if f not in MODALS or (governs and i > index):
            continue
        if lang == "en" and (f in _GERMAN_ONLY or (i > index and _later_phrase(forms, i))):
            continue
        if f in ("may", "will") and i > 0 and forms[i - 1] in _NOT_MODAL_AFTER:
            continue
        if f == "may" and i + 1 < len(forms) and forms[i + 1][:1].isdigit():
            continue
        return True
    return False


def _later_phrase(forms: list[str], i: int) -> bool:
    """An English modal after the trigger that belongs to a later phrase: 'and will ...', 'the upcoming elections'."""
    return (forms[i] in _AUXILIARIES and forms[i - 1] in _NEW_PHRASE) or forms[i] == "upcoming"


def is_denied(forms: list[str], index: int) -> bool:
    """'X denied that ...' / 'dementierte, dass ...': everything reported after the denial."""
    return any(f in DENIALS for f in forms[:index])


def is_habitual(forms: list[str], clauses: list[int], index: int) -> bool:
    words = [f for _, f in _clause_words(forms, clauses, index)]
    if any(f in HABITUAL for f in words):
        return True
    padded = [*words, "", ""]  # the two words after each word, empty past the end
    return any(a in _SPAN_PREPS and (b in _SPANS or (b == "few" and c in _SPANS))
               for a, b, c in zip(words, padded[1:], padded[2:], strict=False))


# "sprach über das Gipfeltreffen", "talked about the summit": the act is a topic of the talk.
TOPIC_WORDS = frozenset({"über", "about", "regarding", "concerning", "bezüglich", "hinsichtlich"})
_AMOUNT_WORDS = frozenset({"half", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                           "hundred", "hundreds", "thousand", "thousands", "dozen", "dozens", "zwei", "drei", "vier", "fünf"})


def is_topic_word(forms: list[str], i: int) -> bool:
    """'about the summit' is a topic; 'about 70 million dollars', 'über 100 Menschen' an amount."""
    if forms[i] not in TOPIC_WORDS:
        return False
    nxt = forms[i + 1] if i + 1 < len(forms) else ""
    return not (nxt[:1].isdigit() or nxt in _AMOUNT_WORDS)


def is_topic(forms: list[str], clauses: list[int], index: int) -> bool:
    return any(is_topic_word(forms, i) and clauses[i] == clauses[index] for i in range(max(0, index - 3), index))
