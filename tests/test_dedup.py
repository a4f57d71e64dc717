from __future__ import annotations

import dataclasses
import datetime as dt

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.records_factory import BAYRAMOV, LAVROV, article, mention
from transforms import ids
from transforms.dedup.articles import DedupArticles, hamming, split_duplicates
from transforms.events.aggregate import events_from_mentions
from transforms.ids import simhash


def test_event_id_is_order_free_and_date_scoped() -> None:
    a = ids.event_id(dt.date(2024, 5, 31), "CONSULT", ["RUS:foreign_minister", "AZE:foreign_minister"])
    b = ids.event_id(dt.date(2024, 5, 31), "CONSULT", ["AZE:foreign_minister", "RUS:foreign_minister"])
    assert a == b
    assert a != ids.event_id(dt.date(2024, 6, 1), "CONSULT", ["AZE:foreign_minister", "RUS:foreign_minister"])
    undated = [ids.event_id(None, "CONSULT", ["X"], article) for article in ("a1", "a2")]
    assert undated[0] != undated[1]  # without a date an event merges only within its article


def test_same_event_from_two_outlets_is_one_event_with_counts() -> None:
    a1, a2 = article(1), article(2, source="Andere Zeitung")
    mentions = [mention(a1, 0), mention(a1, 3), mention(a2, 1, participants=(LAVROV, BAYRAMOV))]
    [event] = events_from_mentions(mentions)
    assert (event.num_mentions, event.num_articles, event.num_sources) == (3, 2, 2)
    assert [p.key for p in event.participants] == ["AZE:foreign_minister", "RUS:foreign_minister"]
    assert event.article_ids == tuple(sorted({a1.article_id, a2.article_id}))


def test_different_type_or_date_are_different_events() -> None:
    a = article(1)
    events = events_from_mentions([mention(a, 0), mention(a, 1, event_type="AGREE"), mention(a, 2, date=dt.date(2024, 5, 30))])
    assert len(events) == 3


def test_duplicates_keep_the_copy_with_a_url_and_reject_the_rest() -> None:
    with_url = article(1)
    copy = dataclasses.replace(with_url, url=None, source_uri="in/copy.txt")
    kept, rejects = split_duplicates([copy, with_url], "dedup/duplicate_content")
    assert kept is with_url
    assert [(r.source_uri, r.reason) for r in rejects] == [("in/copy.txt", "dedup/duplicate_content")]


def test_simhash_is_close_for_near_duplicates_and_far_otherwise() -> None:
    base = " ".join(f"wort{i}" for i in range(300))
    near = base.replace("wort150", "anders")
    other = " ".join(f"ding{i}" for i in range(300))
    assert hamming(simhash(base), simhash(near)) <= 6
    assert hamming(simhash(base), simhash(other)) > 15


def _reference_simhash(text: str) -> int:
    """The SimHash as the ``simhash`` column has always held it, written plainly: the values in
    existing outputs are compared with new ones, so a faster implementation must keep them."""
    import hashlib
    import re

    words = re.findall(r"\w+", text.casefold())
    grams = [" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))]
    values = [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams]
    return sum(1 << bit for bit in range(64) if 2 * sum((v >> bit) & 1 for v in values) > len(values))


def test_simhash_values_are_those_of_the_plain_definition() -> None:
    texts = ["", "eins", "eins zwei", "eins zwei drei", "Größe STRASSE straße – Ærø, 北京 2024!",
             " ".join(f"Wort{i % 37} und {i}" for i in range(500))]
    assert [simhash(t) for t in texts] == [_reference_simhash(t) for t in texts]


def test_dedup_transform_same_url_and_same_content() -> None:
    a, b = article(1), article(2)
    same_url = dataclasses.replace(a, source_uri="in/again.txt", text=a.text + " Update.",
                                   content_hash=ids.content_hash(a.text + " Update."))
    same_text = dataclasses.replace(b, url="https://mirror.example/2", article_id=ids.article_id("https://mirror.example/2", ""),
                                    source_uri="in/mirror.txt")
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create([a, b, same_url, same_text]) | DedupArticles()
        assert_that(out["articles"] | "Ids" >> beam.Map(lambda x: x.source_uri), equal_to(["in/1.txt", "in/2.txt"]),
                    label="kept")
        assert_that(out["rejects"] | "Reasons" >> beam.Map(lambda r: (r.source_uri, r.reason)),
                    equal_to([("in/again.txt", "dedup/duplicate_url"), ("in/mirror.txt", "dedup/duplicate_content")]),
                    label="rejected")


def test_the_first_copy_in_input_order_survives() -> None:
    first = dataclasses.replace(article(1), source_uri="in/a.jsonl#L2")
    later = dataclasses.replace(first, source_uri="in/a.jsonl#L11")
    kept, rejects = split_duplicates([later, first], "dedup/duplicate_url")
    assert kept.source_uri == "in/a.jsonl#L2" and [r.source_uri for r in rejects] == ["in/a.jsonl#L11"]
