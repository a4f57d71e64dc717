"""Extraction never raises: word soups of trigger words, actor names, quotes, dates and punctuation,
built from a fixed seed (every rule that indexes tokens, clauses or characters is exercised at the
edges: one-word clauses, a trigger first or last, quotes unclosed, headings, empty lines)."""

from __future__ import annotations

import datetime as dt
import random

from tests.events_helpers import make_article, model
from transforms.events.extract import extract_mentions

WORDS = [
    # triggers and senses
    "attacked", "angegriffen", "attackiert", "Attacke", "criticized", "kritisierte", "warned", "warnte", "vor", "against",
    "threat", "of", "invited", "lud", "ein", "met", "with", "received", "released", "free", "March", "März", "seit",
    "Monaten", "for", "years", "committed", "to", "seek", "was", "were", "wurde", "von", "by", "pledged", "tackle",
    "struck", "down", "kippte", "laut", "according", "in", "response", "another", "strike", "weiterer", "Angriff",
    "each", "other", "einander", "both", "sides", "beide", "Seiten", "stimmten", "zu", "322", "306", "asked", "whether",
    "conceded", "that", "allowed", "Critics", "Kritiker", "der", "Regierung", "He", "Sie", "Jr", "-", "Gov.",
    # actors and places
    "Russia", "Russland", "Ukraine", "Kiew", "Rom", "Braslavski", "Hamas", "AfD", "CDU", "Labour", "Democrats", "Indiana",
    "Boris", "Johnson", "Trump", "Zuma", "Sambudla", "police", "Polizei", "the", "The", "prime", "minister", "Namibian",
    # dates and punctuation
    "on", "Monday", "am", "Samstag", "7.", "Oktober", "2023", "July", "2021", "1940", "World", "War", "bis", "zum", "31.",
    "Mai", ",", ".", ";", ":", "“", "”", "„", "\"", "(", ")", "?", "\n\n",
]  # fmt: skip


def test_word_soups_never_raise() -> None:
    rng = random.Random(20261207)
    for _ in range(600):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 30))]
        text = " ".join(words)
        language = rng.choice(["de", "en"])
        published = rng.choice([None, dt.date(2024, 6, 5)])
        title = rng.choice([None, " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))])
        for mention in extract_mentions(make_article(text, language, published=published, title=title), model()):
            keys = {p.key for p in mention.participants}
            assert set(mention.source_keys) <= keys and set(mention.target_keys) <= keys
            assert mention.confidence is not None and 0.0 <= mention.confidence <= 1.0
