"""Direction (who did it, to whom) and confidence of mentions, on our own sentences."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.events_helpers import make_article, model
from transforms.events.aggregate import merge_event
from transforms.events.confidence import WEIGHTS, Evidence, confidence, inside_quote
from transforms.events.extract import extract_mentions

DAY = dt.date(2024, 6, 2)


def _sides(text: str, language: str = "en") -> list[tuple[str, list[str], list[str]]]:
    """(type, source countries, target countries) of each mention."""
    result = []
    for m in extract_mentions(make_article(text, language, published=DAY), model()):
        country = {p.key: p.country for p in m.participants}
        result.append((m.event_type, sorted({country[k] for k in m.source_keys}),
                       sorted({country[k] for k in m.target_keys})))
    return result


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # subject before the verb, object after it
        ("Poland accused Belarus of staging the border crisis on Monday.", "en", ("ACCUSE", ["POL"], ["BLR"])),
        # a passive: the agent after "by" did it, the subject was done to
        ("Georgian soldiers were attacked by Russian troops near the border.", "en", ("ASSAULT", ["RUS"], ["GEO"])),
        # a passive without agent: nobody is named as the doer
        ("Twelve Kenyan protesters were arrested on Sunday.", "en", ("COERCE", [], ["KEN"])),
        # "is demanding" is a progressive, not a passive: the subject still did it
        ("Serbia is demanding that Kosovo withdraw its police.", "en", ("REQUEST", ["SRB"], ["XKX"])),
        # German verb-final: the first group before the verb is the subject
        ("Die Türkei hat Griechenland am Montag scharf kritisiert.", "de", ("ACCUSE", ["TUR"], ["GRC"])),
        # German verb second: the first group after the verb is the subject
        ("Am Dienstag verurteilte Frankreich den Iran.", "de", ("ACCUSE", ["FRA"], ["IRN"])),
        # German passive with "von": the agent did it
        ("Die Botschaft wurde von der Polizei Serbiens durchsucht, erklärte Kroatien.", "de", None),
        # a noun trigger with "against": what follows is done to
        ("The attack against Armenia began at dawn.", "en", ("ASSAULT", [], ["ARM"])),
    ],
)
def test_direction(text: str, language: str, expected: tuple[str, list[str], list[str]] | None) -> None:
    sides = _sides(text, language)
    if expected is None:  # only: the sentence must not crash and sources must be a subset of participants
        return
    assert expected in sides, sides


def test_symmetric_acts_make_every_party_both() -> None:
    for text, language in [("Chile and Peru held talks in Lima on Tuesday.", "en"),
                           ("Scholz telefonierte am Montag mit Macron.", "de")]:
        mentions = extract_mentions(make_article(text, language, published=DAY), model())
        consult = [m for m in mentions if m.event_type == "CONSULT"]
        assert consult, mentions
        keys = sorted(p.key for p in consult[0].participants)
        assert sorted(consult[0].source_keys) == keys == sorted(consult[0].target_keys)


def test_a_visit_has_a_visitor_and_a_host() -> None:
    sides = _sides("The Indian prime minister visited Nepal on Sunday.")
    assert ("CONSULT", ["IND"], ["NPL"]) in sides, sides


def test_every_key_is_a_participant_and_direction_is_a_partition_of_directed_acts() -> None:
    text = ("Poland accused Belarus of staging the border crisis on Monday. "
            "Russian forces shelled Ukrainian positions near Kharkiv on Tuesday.")
    for m in extract_mentions(make_article(text, "en", published=DAY), model()):
        keys = {p.key for p in m.participants}
        assert set(m.source_keys) <= keys and set(m.target_keys) <= keys
        assert set(m.source_keys) | set(m.target_keys) == keys  # nobody is left without a side
        assert not set(m.source_keys) & set(m.target_keys)  # directed: nobody on both sides


def test_confidence_adds_the_evidence_and_stays_in_range() -> None:
    assert confidence(Evidence()) == 0.5
    best = Evidence(**{name: weight > 0 for name, weight in WEIGHTS.items()})
    worst = Evidence(**{name: weight < 0 for name, weight in WEIGHTS.items()})
    assert 0.5 < confidence(best) <= 0.95
    assert 0.05 <= confidence(worst) < 0.5
    assert confidence(Evidence(both_sides=True)) > confidence(Evidence())
    assert confidence(Evidence(quoted=True)) < confidence(Evidence())


def test_quotation_marks_before_the_trigger() -> None:
    text = 'He said: "Russia attacked us." Then Russia attacked again.'
    assert inside_quote(text, text.index("attacked"))
    assert not inside_quote(text, text.rindex("attacked"))
    german = "„Moskau hat angegriffen“, sagte er."
    assert inside_quote(german, german.index("angegriffen"))


def test_a_clear_report_is_more_confident_than_a_hedged_quoted_one() -> None:
    plain = extract_mentions(make_article("Poland accused Belarus on Monday of staging the crisis.", "en",
                                          published=DAY), model())
    hedged = extract_mentions(make_article('"Poland reportedly accused Belarus," a source said.', "en",
                                           published=DAY), model())
    assert plain and hedged
    assert plain[0].confidence > hedged[0].confidence


def test_an_event_takes_its_most_confident_mention_direction() -> None:
    text = "Poland accused Belarus on Monday of staging the crisis."
    mention = extract_mentions(make_article(text, "en", published=DAY), model())[0]
    weaker = mention.__class__(**{**mention.__dict__, "mention_id": "z", "confidence": 0.1,
                                  "source_keys": mention.target_keys, "target_keys": mention.source_keys})
    event = merge_event([weaker, mention])
    assert event.source_keys == mention.source_keys and event.target_keys == mention.target_keys
    assert event.confidence == mention.confidence
