"""Unit tests: dates, gazetteer resolution, non-event filters, participant linking."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.events_helpers import make_article, model
from transforms.events.dates import parse_dateline, sentence_date, year_from_tenures
from transforms.events.extract import extract_mentions
from transforms.events.gazetteer import fold_name
from transforms.events.model import compile_model

SUNDAY = dt.date(2024, 6, 2)


@pytest.mark.parametrize(
    ("text", "expected", "basis"),
    [
        ("Am Samstag telefonierten sie.", dt.date(2024, 6, 1), "relative_to_publication"),
        ("Sie trafen sich gestern in Berlin.", dt.date(2024, 6, 1), "relative_to_publication"),
        ("In der Nacht zum Dienstag griff Russland an.", dt.date(2024, 5, 28), "relative_to_publication"),
        ("They met last Monday in Paris.", dt.date(2024, 5, 27), "relative_to_publication"),
        ("The ministers spoke on Sunday.", SUNDAY, "relative_to_publication"),
        ("Das Treffen fand am 31. Mai 2020 statt.", dt.date(2020, 5, 31), "explicit"),
        ("They met on May 31.", dt.date(2024, 5, 31), "explicit+publication_year"),
        ("Das Abkommen wurde am 4. Dezember unterzeichnet.", dt.date(2023, 12, 4), "explicit+publication_year"),
        ("Die Minister sprachen miteinander.", SUNDAY, "publication"),
    ],
)
def test_sentence_dates(text, expected, basis):
    guess = sentence_date(text, SUNDAY, None)
    assert (guess.date, guess.basis) == (expected, basis)


def test_relative_date_without_publication_date_is_null_with_its_words():
    guess = sentence_date("Am Samstag fand ein Telefongespräch statt.", None, None)
    assert guess.date is None and guess.text == "Am Samstag" and guess.basis == "relative_unanchored"
    assert sentence_date("Sie sprachen.", None, None).date is None


def test_relative_date_pre_check_is_exact():
    """The substring pre-check of relative dates relies on how re.I folds case: an ASCII letter
    matches the characters that lower to it, plus dates.FOLDS_TO_ASCII (then the patterns decide)."""
    import re
    import sys

    from transforms.events import dates

    letters = re.compile("[a-z]", re.I)
    folds = {chr(i) for i in range(sys.maxunicode + 1)
             if letters.fullmatch(chr(i)) and not (len(chr(i).lower()) == 1 and "a" <= chr(i).lower() <= "z")}
    assert folds == set(dates.FOLDS_TO_ASCII)
    for text in ("Am SAMSTAG", "am heutigen Tag", "the day before Yesterday", "in der Nacht zum Montag", "tonight"):
        assert dates._may_be_relative(text) and sentence_date(text, SUNDAY, None).basis == "relative_to_publication"
    assert not dates._may_be_relative("Die Minister sprachen miteinander.")


def test_datelines():
    assert parse_dateline("Baku, 31. Mai, AZERTAC", None).month_day == (5, 31)
    assert parse_dateline("MOSCOW, May 31 (Reuters) - Russia said", dt.date(2021, 6, 2)).date == dt.date(2021, 5, 31)
    assert parse_dateline("Berlin, 3. Oktober 2019 (dpa)", None).date == dt.date(2019, 10, 3)
    assert parse_dateline("Die Minister sprachen am 31. Mai.", None) is None


def test_year_from_tenures():
    atmar = (dt.date(2020, 3, 1), dt.date(2021, 7, 11))
    mammadyarov = (dt.date(2004, 4, 2), dt.date(2020, 7, 16))
    later = dt.date(2026, 11, 28)
    assert year_from_tenures(5, 31, [atmar, mammadyarov], later) == 2020
    assert year_from_tenures(5, 31, [atmar], later) is None  # 2020 and 2021 both fit: no guess
    assert year_from_tenures(12, 31, [atmar, mammadyarov], later) is None


def test_open_tenures_end_at_the_article_not_at_the_clock():
    sybiha = (dt.date(2024, 9, 5), None)  # an office holder still in office
    assert year_from_tenures(5, 31, [sybiha], dt.date(2025, 6, 2)) == 2025
    assert year_from_tenures(5, 31, [sybiha], dt.date(2025, 5, 1)) is None  # 31 May 2025 had not come yet


def test_name_folding():
    assert fold_name("Bairamow") == fold_name("Bayramov") == fold_name("Bairamov")
    assert fold_name("Lawrow") == fold_name("Lavrov")
    assert fold_name("Owertschuk") == fold_name("Overchuk")


@pytest.mark.parametrize("name", ["Lawrow", "Lavrov", "Sergei Lawrow", "Sergey Lavrov"])
def test_holders_resolve_to_office_on_the_date(name):
    gaz = compile_model(model()).gazetteer
    holders = gaz.resolve_holder(fold_name(name), dt.date(2020, 5, 31))
    assert {(h.country, h.role) for h in holders} == {("RUS", "foreign_minister")}
    assert gaz.resolve_holder(fold_name(name), dt.date(2001, 1, 1)) == []


def test_bayramov_spellings_and_counterpart():
    text = "Am Montag telefonierte der russische Außenminister mit seinem aserbaidschanischen Amtskollegen."
    (mention,) = extract_mentions(make_article(text, published=SUNDAY), model())
    assert [p.key for p in mention.participants] == ["AZE:foreign_minister", "RUS:foreign_minister"]
    for spelling in ("Bairamow", "Bayramov", "Bairamov"):
        text = f"Lavrov held talks with Azerbaijani Foreign Minister Jeyhun {spelling} in Moscow on Friday."
        (mention,) = extract_mentions(make_article(text, "en", published=dt.date(2023, 3, 5)), model())
        assert [p.key for p in mention.participants] == ["AZE:foreign_minister", "RUS:foreign_minister"]
        assert mention.event_date == dt.date(2023, 3, 3) and mention.location_country == "RUS"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Lawrow wird am Montag seinen aserbaidschanischen Amtskollegen in Baku treffen.", "de"),  # planned
        ("Ein Treffen zwischen Scholz und Macron ist für die kommende Woche geplant.", "de"),  # planned
        ("Lawrow hat nicht mit seinem aserbaidschanischen Amtskollegen telefoniert.", "de"),  # negated
        ("Der Kreml dementierte, dass Putin mit Selenskyj telefoniert habe.", "de"),  # denied
        ("Hat Lawrow mit seinem aserbaidschanischen Amtskollegen telefoniert?", "de"),  # question
        ("Russia will attack Ukraine if the talks fail, officials fear.", "en"),  # hypothetical
        ("Russia did not attack Ukraine on Monday.", "en"),  # negated
    ],
)
def test_non_events(text, language):
    assert extract_mentions(make_article(text, language, published=SUNDAY), model()) == []


def test_countries_merely_mentioned_make_no_event():
    text = "Der Bericht über Russland und Aserbaidschan erschien am Montag, bei einem Treffen in Berlin sprach man über Wetter."
    assert extract_mentions(make_article(text, published=SUNDAY), model()) == []


def test_symmetric_participants_are_order_free():
    one = extract_mentions(make_article("Lawrow telefonierte am Samstag mit Bairamow.", published=SUNDAY), model())
    two = extract_mentions(make_article("Bairamow telefonierte am Samstag mit Lawrow.", published=SUNDAY), model())
    assert one and two and one[0].event_id == two[0].event_id


def test_languages_outside_the_settings_are_skipped():
    article = make_article("Lawrow telefonierte am Samstag mit Bairamow.", language="fr", published=SUNDAY)
    assert extract_mentions(article, model()) == []


@pytest.mark.parametrize("sentence", ["Am FRİDAY traf sich der Rat.", "On ſunday the minister met his counterpart.",
                                      "Am FREİTAG traf sich der Rat."])
def test_weekday_spellings_that_case_insensitive_patterns_accept_are_dated_not_an_error(sentence: str) -> None:
    # re.I lets İ, ı and ſ match i and s; the weekday table must know them too (it raised KeyError)
    guess = sentence_date(sentence, dt.date(2024, 6, 5), None)
    assert guess.basis == "relative_to_publication"
    assert guess.date == (dt.date(2024, 6, 2) if "unday" in sentence else dt.date(2024, 5, 31))
