"""Seed acceptance: the two seed articles give exactly the events the design names."""

from __future__ import annotations

import datetime as dt

from tests.events_helpers import SEEDS, make_article, model
from transforms.events.extract import extract_mentions


def _cleaned_000() -> str:
    # The cleaner's result: title line, "Mehr zum Thema" line and the closing appeal removed.
    lines = (SEEDS / "000_016a57d3c07c75c1.txt").read_text(encoding="utf-8").strip().split("\n")
    body = [line for line in lines[1:] if line.strip()]
    assert body[-2].startswith("Mehr zum Thema") and body[-1].startswith("Durch die Sperrung von RT")
    return "\n".join(body[:-2])


def _cleaned_003() -> str:
    text = (SEEDS / "003_51033ca26b47b8f0.txt").read_text(encoding="utf-8")
    rejoined = text.replace("Mohammad Hanif Atmar\n\ndie Bedeutung", "Mohammad Hanif Atmar die Bedeutung")
    assert rejoined != text
    return rejoined


def test_seed_000_phone_call_and_trade_commission_meeting():
    mentions = extract_mentions(make_article(_cleaned_000(), published=None), model())
    by_event = {}
    for m in mentions:
        by_event.setdefault(m.event_id, []).append(m)
    assert len(by_event) == 2, [(m.event_type, [p.key for p in m.participants]) for m in mentions]

    calls = [m for m in mentions if m.event_mode == "phone"]
    meetings = [m for m in mentions if m.event_mode == "meeting"]
    assert len(calls) >= 2 and len(meetings) >= 1 and len(calls) + len(meetings) == len(mentions)
    assert len({m.event_id for m in calls}) == 1  # every later mention of the call is the same event
    call = calls[0]
    assert call.event_type == "CONSULT" and call.cameo_code == "041" and call.quad_class == 1
    assert [p.key for p in call.participants] == ["AZE:foreign_minister", "RUS:foreign_minister"]
    assert call.event_date is None and call.date_text == "am Samstag"
    names = {p.key: p.name for p in call.participants}
    assert "Lawrow" in names["RUS:foreign_minister"] and "Bairamov" in names["AZE:foreign_minister"]
    # a named office holder's participant name is the person as written, not the whole phrase
    assert names == {"RUS:foreign_minister": "Sergei Lawrow", "AZE:foreign_minister": "Dscheichun Bairamov"}
    assert {p.actor_code for p in call.participants} == {"RUSGOV", "AZEGOV"}

    meeting = meetings[0]
    assert meeting.event_type == "CONSULT"
    assert [p.key for p in meeting.participants] == ["AZE:deputy_head_of_government", "RUS:deputy_head_of_government"]
    assert meeting.event_date is None and meeting.date_text == "am Freitag"
    assert meeting.location_country == "RUS" and meeting.location_name == "Astrachan"
    assert len({m.event_id for m in meetings}) == 1


def test_seed_000_teaser_headline_is_not_an_event():
    teaser = "Mehr zum Thema ‒ Video: Russland zerstört aserbaidschanische Öllager in Odessa und Meldung über False Flag in Charkow"
    assert extract_mentions(make_article(teaser, published=dt.date(2024, 5, 1)), model()) == []
    headline = "Russland zerstört aserbaidschanische Öllager in Odessa"
    assert extract_mentions(make_article(headline + "\nDer Text folgt hier.", published=None), model()) == []


def test_seed_003_phone_call_dated_by_dateline_and_tenures():
    mentions = extract_mentions(make_article(_cleaned_003(), published=None), model())
    assert mentions, "the phone call must be found"
    assert {m.event_id for m in mentions} == {mentions[0].event_id}
    call = mentions[0]
    assert (call.event_type, call.event_mode, call.cameo_code) == ("CONSULT", "phone", "041")
    assert [p.key for p in call.participants] == ["AFG:foreign_minister", "AZE:foreign_minister"]
    assert call.event_date == dt.date(2020, 5, 31)
    assert call.date_basis == "dateline+tenure" and "31. Mai" in call.date_text
