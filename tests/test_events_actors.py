"""Actor resolution: places as done-to, bodies placed by the sentence, ethnic groups, IGO bodies."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.events_helpers import make_article, model, type_and_countries
from transforms.events.extract import extract_mentions

DAY = dt.date(2024, 6, 2)


def _sets(text: str, language: str = "en") -> list[tuple[str, list[str]]]:
    return type_and_countries(text, language, DAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a material act in a place with one named party: the place's country is the done-to
        ("Serbia lifted a night curfew in Montenegro on Sunday.", ("CONCEDE", ["MNE", "SRB"])),
        ("Israeli tanks fired shells at targets in Jericho on Monday.", ("ASSAULT", ["ISR", "PSE"])),
        # protests and threats abroad: the host country is the done-to; at home nobody is added
        ("Chilean exiles demonstrated in Madrid on Sunday.", ("PROTEST", ["CHL", "ESP"])),
        ("Hezbollah threatened on Friday to launch new attacks in Israel.", ("THREATEN", ["ISR", "LBN"])),
        ("Thousands of Serbs protested in Belgrade on Sunday.", ("PROTEST", ["SRB"])),
        # police without an adjective take the sentence's one place
        ("Police arrested 20 protesters in Minsk on Sunday.", ("COERCE", ["BLR"])),
        # an ethnic group is coded by where it lives, not by the adjective's state
        ("Up to 100 ethnic Albanians demonstrated on Tuesday in Serbia.", ("PROTEST", ["SRB"])),
        # an IGO's officials or troops are the IGO
        ("Red Cross officials suspended aid deliveries in Baghdad on Wednesday.", ("SANCTION", ["ICRC", "IRQ"])),
        # Northern Ireland is a place of the United Kingdom, not Ireland
        ("The British government on Monday outlawed an extremist group in Northern Ireland.", ("COERCE", ["GBR"])),
    ],
)
def test_actor_sets(text, expected):
    assert expected in _sets(text)


def test_a_place_before_the_act_is_not_its_target():
    # where a decision is taken is not who it is done to
    assert ("SANCTION", ["BEL", "EU"]) not in _sets("In Brussels, the EU imposed sanctions on Monday.")


def test_adjective_before_a_place_noun_names_a_place():
    sets = _sets("U.N. helicopters evacuated the wounded from the besieged Bosnian town of Gorazde on Friday.")
    assert ("AID", ["BIH", "UN"]) in sets  # evacuating the wounded is humanitarian aid


def test_a_later_sentence_keeps_the_parties_it_names():
    text = ("Russia, Turkey and Iran held talks in Astana on Monday. "
            "Russia and Turkey also held talks about the border.")
    mentions = extract_mentions(make_article(text, "en", published=DAY), model())
    sets = [sorted(p.country for p in m.participants) for m in mentions]
    assert sets == [["IRN", "RUS", "TUR"], ["RUS", "TUR"]]
    assert mentions[1].event_date == mentions[0].event_date  # the act's date carries over


def test_a_later_sentence_without_two_parties_is_the_earlier_event():
    text = "Lawrow telefonierte am Samstag mit Bairamow. Das Telefonat habe auf Initiative von Baku stattgefunden."
    mentions = extract_mentions(make_article(text, published=DAY), model())
    assert len({m.event_id for m in mentions}) == 1


@pytest.mark.parametrize(
    ("name", "day", "office"),
    [
        ("Tebboune", dt.date(2024, 5, 1), ("DZA", "head_of_state")),
        ("Kaja Kallas", dt.date(2022, 5, 1), ("EST", "head_of_government")),
        ("Kallas", dt.date(2025, 5, 1), ("EU", "foreign_minister")),
        ("Sheikh Hasina", dt.date(2020, 5, 1), ("BGD", "head_of_government")),
    ],
)
def test_more_office_holders_resolve_on_the_date(name, day, office):
    from transforms.events.gazetteer import fold_name
    from transforms.events.model import compile_model

    holders = compile_model(model()).gazetteer.resolve_holder(fold_name(name), day)
    assert {(h.country, h.role) for h in holders} == {office}


def test_a_whole_only_name_is_not_matched_by_its_surname():
    from transforms.events.model import compile_model

    gaz = compile_model(model()).gazetteer
    assert gaz.match(["sanna", "marin"], 0)[0] == 2
    assert gaz.match(["marin"], 0) == (0, [])  # "=Sanna Marin": Marin alone is anyone
