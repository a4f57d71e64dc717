"""How sure the extractor is of one mention: a score in [0, 1] from the evidence its sentence gives.

Rule-based extraction has no probability to report, so the score adds up what makes a reading of
one sentence more or less likely to be a real act (measured on the labelled dev articles,
``bench/eval_articles.py``): both sides named, the date in the sentence itself; against it, a
hedge ("reportedly", "laut"), a quotation (a speaker's words, often opinion), a party found only
in another clause or none named as the doer, a month or year in the past, a type whose trigger
words have many senses. docs/events.md lists the weights.
Pure and Beam-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

BASE = 0.5
WEIGHTS: dict[str, float] = {
    "both_sides": 0.2,  # a source and a target, or two parties of a symmetric act: 13 of 17 right on the dev set
    "own_date": 0.05,  # the sentence dates the act itself
    "subject_elsewhere": -0.05,  # the doer was taken from another clause or an earlier sentence
    "no_source": -0.05,  # nobody is named as the doer (a passive without agent)
    "hedged": -0.15,  # reportedly, allegedly, angeblich, laut Berichten
    "quoted": -0.2,  # the trigger stands inside a quotation
    "background": -0.3,  # the sentence dates its act to a past month or year only
    # Promises and retreats are told in words of many senses ("pledged", "committed", "released",
    # "pull out", "Einigung"): 1 of 11 right on the dev set, against 21 of 26 accusations
    "ambiguous_type": -0.2,
}
# Types whose trigger words have many other senses (see "ambiguous_type").
AMBIGUOUS_TYPES = frozenset({"AGREE", "RETREAT", "CONCEDE"})


@dataclass(frozen=True)
class Evidence:
    both_sides: bool = False
    own_date: bool = False
    subject_elsewhere: bool = False
    no_source: bool = False
    hedged: bool = False
    quoted: bool = False
    background: bool = False
    ambiguous_type: bool = False


NO_EVIDENCE = Evidence()


def confidence(evidence: Evidence) -> float:
    """The mention's confidence: BASE plus the weights of the evidence present, within [0.05, 0.95]."""
    score = BASE + sum(weight for name, weight in WEIGHTS.items() if getattr(evidence, name))
    return round(min(0.95, max(0.05, score)), 2)


_HEDGES = frozenset({
    "reportedly", "allegedly", "purportedly", "apparently", "rumoured", "rumored", "unconfirmed",
    "angeblich", "mutmaßlich", "offenbar", "anscheinend", "soll", "sollen", "sollte", "sollten",
})  # fmt: skip
_QUOTES = frozenset('“”„«»"')  # single quotes are apostrophes too: not counted


def hedged(forms: list[str], clause_of: list[int], clause: int) -> bool:
    """A hedge word in the trigger's clause, or 'according to' / 'laut' anywhere in the sentence."""
    if any(f in _HEDGES for f, c in zip(forms, clause_of, strict=True) if c == clause):
        return True
    return "laut" in forms or any(a == "according" and b == "to" for a, b in pairwise(forms))


def inside_quote(text: str, char_at: int) -> bool:
    """An odd number of quotation marks before the trigger: it stands inside a quotation."""
    return sum(1 for ch in text[:char_at] if ch in _QUOTES) % 2 == 1
