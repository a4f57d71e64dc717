"""English news patterns: modals of a later phrase, qualifier names, short asides, names that
contain trigger words, failed agreements, labour strikes, indictments (own example sentences)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.events_helpers import make_article, model, type_and_countries
from transforms.events.actors import find_actors
from transforms.events.extract import extract_mentions
from transforms.events.model import compile_model
from transforms.events.sentences import tokenize

DAY = dt.date(2024, 6, 2)


def _sets(text: str, language: str = "en") -> list[tuple[str, list[str]]]:
    return type_and_countries(text, language, DAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "and will ..." plans a later act, not the reported one
        ("Peru is investigating the deaths of Bolivian miners and will publish its findings, a minister said.",
         ("ACCUSE", ["BOL", "PER"])),
        # an English noun that is a German modal form ("plant") plans nothing
        ("A Chilean company is suing Argentina over the closure of its power plant.", ("ACCUSE", ["ARG", "CHL"])),
        # "upcoming" after the act qualifies a later noun
        ("The Kenyan government has banned opposition rallies before the upcoming vote.", ("COERCE", ["KEN"])),
        # "Iran-backed", "NATO-member": the name qualifies the party after it
        ("NATO-member Turkey condemned Sweden on Monday.", ("ACCUSE", ["SWE", "TUR"])),
        ("Syria-backed gunmen attacked Lebanese soldiers on Friday.", ("ASSAULT", ["LBN"])),
        # an acronym in brackets does not end the clause: the body before it is the subject
        ("The World Health Organization (WHO) urged Brazil to share data with Peru.", ("REQUEST", ["BRA", "UN"])),
        # "failed to reach agreement": a mutual rejection
        ("Serbia and Kosovo failed to reach an agreement on Monday after a day of talks.", ("REJECT", ["SRB", "XKX"])),
        # workers on an open-ended strike: a walkout, not a military strike
        ("Thousands of Greek dock workers began an open-ended strike on Monday.", ("PROTEST", ["GRC"])),
        # an indictment is an accusation
        ("A Dutch court indicted two Russian officers on Tuesday.", ("ACCUSE", ["NLD", "RUS"])),
        # "complained to X over Y": Y is accused, X only told
        ("Ukraine complained to the OSCE on Friday over Russian shelling.", ("ACCUSE", ["RUS", "UKR"])),
        # "to" before the trigger is no addressee: the one condemned stays
        ("Sweden moved to condemn Iran over two jailed Swedish citizens.", ("ACCUSE", ["IRN", "SWE"])),
        # a possessor after the act is its target; the possessed noun's own phrase adds nobody
        ("Hundreds of farmers began a sit-in to protest against France's decision to import beef from Brazil.",
         ("PROTEST", ["FRA"])),
        ("Germany is pushing for Poland to accept the proposal.", ("REQUEST", ["DEU", "POL"])),
        # "the Serbs of northern Kosovo": a people named by its home
        ("The Serbs of northern Kosovo demanded autonomy from Kosovar authorities.", ("REQUEST", ["XKX"])),
        # the neighbour in "border with X" names the border, not a party
        ("Armenian rebels threatened to attack villages near Armenia's border with Iran.", ("THREATEN", ["ARM"])),
        # "evacuated the wounded": humanitarian aid
        ("Red Cross teams evacuated the wounded from a Syrian village on Monday.", ("AID", ["ICRC", "SYR"])),
        # a blockade is a state's restriction (COERCE 191); lifting one eases it (RETREAT 0872)
        ("Egypt imposed a blockade on Libyan ports on Monday.", ("COERCE", ["EGY", "LBY"])),
        ("Israel lifted its blockade of Lebanon on Thursday.", ("RETREAT", ["ISR", "LBN"])),
        # sexual assault
        ("Peruvian soldiers raped Bolivian women near the border, a rights group said.", ("ASSAULT", ["BOL", "PER"])),
        # ending restrictions is an easing
        ("Hungary lifted restrictions on Serbian truck drivers on Monday.", ("CONCEDE", ["HUN", "SRB"])),
        # at one word the longest phrase decides: handing over medicine is aid, not an extradition
        ("Turkish medics handed over two tonnes of medicine to Syrian hospitals on Monday.", ("AID", ["SYR", "TUR"])),
        # "X is out of the question": the act before it is what is rejected
        ("Berlin said that lifting sanctions on Russia is out of the question.", ("REJECT", ["DEU", "RUS"])),
    ],
)
def test_patterns(text, expected):
    assert expected in _sets(text)


@pytest.mark.parametrize(
    ("text", "unexpected"),
    [
        # "Economic Cooperation" inside a name is not an act of cooperation
        ("Chile and Peru joined the Pacific Economic Cooperation Council on Monday.", "COOPERATE"),
        # an open-ended strike ends nothing
        ("Thousands of Greek dock workers began an open-ended strike on Monday.", "CONCEDE"),
        # a modal before the act still makes it a plan
        ("Peru will consider sanctions against Chile.", "SANCTION"),
        # a strike that kills aid workers is no walkout
        ("Two aid workers were wounded when an Israeli strike hit Rafah on Monday.", "PROTEST"),
    ],
)
def test_pattern_non_events(text, unexpected):
    assert unexpected not in [t for t, _ in _sets(text)]


def test_a_short_aside_keeps_its_clause():
    tokens = tokenize("The Food and Agriculture Organization (FAO) warned Chad, officials said.")
    clause = {t.text: t.clause for t in tokens}
    assert clause["Organization"] == clause["FAO"] == clause["warned"] == clause["Chad"]
    assert clause["officials"] > clause["Chad"]  # a comma still ends it
    long = tokenize("Chad (which borders Sudan and Libya) warned Niger.")
    assert {t.text: t.clause for t in long}["warned"] > 0  # a longer bracket is an aside of its own


def test_a_dateline_agency_still_ends_the_clause():
    tokens = tokenize("MOSCOW (Reuters) - Ukraine attacked Russian positions on Monday.")
    clause = {t.text: t.clause for t in tokens}
    assert clause["MOSCOW"] < clause["Ukraine"]


def _actor_countries(text: str) -> set[str | None]:
    actors = find_actors(tokenize(text), compile_model(model()).gazetteer, DAY)
    return {a.country for a in actors if not a.location}


def test_a_border_neighbour_is_a_party_unless_the_border_is_a_place():
    assert "SYR" in _actor_countries("Turkey closed its border with Syria on Monday.")
    assert "SYR" not in _actor_countries("Kurdish fighters attacked a village near Turkey's border with Syria.")


def test_lifting_a_blockade_is_cameo_0872():
    mentions = extract_mentions(make_article("Die Türkei hob die Seeblockade gegen Zypern auf.", "de", published=DAY), model())
    assert [(m.event_type, m.cameo_code) for m in mentions] == [("RETREAT", "0872")]


# Precision on real pages (false positives seen on trafilatura's evaluation pages, rewritten as our
# own sentences): a pronoun, one act named twice, a lone party after an agreement or a request,
# and English idioms with a trigger word inside.
@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Feel free to send us your comments about the talks.", "en", []),
        # an invitation is a promised meeting: PLOVER AGREE (GUIDE.md; this assertion said REQUEST before)
        ("Kim lud Trump schließlich nach Nordkorea ein, und Trump folgte der Einladung.", "de",
         [("AGREE", ["PRK", "USA"])]),
        ("The new report calls on the European Union to act quickly.", "en", []),
        ("The European Union called for an immediate ceasefire on Monday.", "en", [("REQUEST", ["EU"])]),
        ("Officials in London must have expected the decision for weeks.", "en", []),
        ("At the awards dinner, the actor took a veiled shot at President Donald Trump.", "en", []),
        ("Soldiers shot at protesters in Caracas, Venezuela's opposition said.", "en", [("ASSAULT", ["VEN"])]),
        ("Germany, however, has agreed to send more tanks.", "en", [("AGREE", ["DEU"])]),
        ("Klein notes that much of America finds the changes profoundly threatening.", "en", []),
        ("Passengers returning from Denmark and Iceland will have to self-isolate, Britain said.", "en", []),
        ("Britain announced that travellers from Iceland and Slovakia would have to self-isolate on their return.",
         "en", []),
        ("Iran returned the seized British tanker to the United Kingdom on Monday.", "en", [("RETREAT", ["GBR", "IRN"])]),
        ("The army of Sudan issued a more threatening statement against Chad on Monday.", "en",
         [("THREATEN", ["SDN", "TCD"])]),
    ],
)
def test_real_page_false_positives_are_not_events(text: str, language: str, expected: list) -> None:
    assert type_and_countries(text, language, DAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("British lecturers began further strikes over pensions and pay on Monday.", [("PROTEST", ["GBR"])]),
        ("An Israeli strike on a school in Gaza killed twelve people, the European Union said.",
         [("ASSAULT", ["ISR", "PSE"])]),
    ],
)
def test_a_strike_in_a_pay_dispute_is_a_protest_not_an_attack(text: str, expected: list) -> None:
    assert [(t, c) for t, c in type_and_countries(text, "en", DAY) if t in ("PROTEST", "ASSAULT")] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Die Deutsche Bank hat am Montag Sanktionen gegen Russland verhängt.", []),
        ("Die Deutsche Bahn kündigte am Montag Streiks an, die Gewerkschaft lehnte das Angebot ab.", []),
        ("„Deutsche Soldaten haben am Montag in Litauen mit Manövern begonnen“, sagte der Minister.",
         [("MOBILIZE", ["DEU"])]),
        ("In Berlin protestierten am Samstag viele Deutsche gegen den Krieg Russlands.", [("PROTEST", ["DEU", "RUS"])]),
    ],
)
def test_a_capitalized_german_adjective_inside_a_sentence_is_part_of_a_name(text: str, expected: list) -> None:
    assert type_and_countries(text, "de", DAY) == expected
