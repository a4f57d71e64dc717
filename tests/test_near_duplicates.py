"""Near-duplicate flags: the smallest article_id within SimHash distance 3 is canonical, whatever the runs."""

from __future__ import annotations

import dataclasses
import datetime as dt

import apache_beam as beam
import pyarrow as pa
from apache_beam.testing.util import assert_that, equal_to

from tests.records_factory import article
from transforms.dedup.articles import (
    FlagNearDuplicates,
    NearEntry,
    hamming,
    near_duplicate_links,
)
from transforms.ids import simhash, text_simhash
from transforms.output.index import ArticleIndex
from transforms.output.write import NEAR_DUPLICATE_PATCH, apply_near_duplicate_patches
from transforms.records import Article

BASE = ("Die Regierung in Baku hat am Montag neue Gespräche über den Bau einer Eisenbahnlinie angekündigt, "
        "die durch die Region bis an die Grenze führen soll. Der Minister sagte, die Arbeiten könnten im Herbst "
        "beginnen, sobald die Finanzierung gesichert sei. Vertreter der Nachbarländer sollen zu einem Treffen "
        "in der Hauptstadt eingeladen werden, bei dem auch über Zölle und Grenzkontrollen gesprochen wird. ") * 2


def variant(word: str) -> str:
    return BASE.replace("Herbst", word, 1)


def test_links_pair_only_close_texts_with_a_new_side_and_point_to_the_smaller_id() -> None:
    a, b = simhash(variant("Herbst")), simhash(variant("Frühjahr"))
    far = simhash("Ganz anderer Text über Fußball, Wetter und die Börse in Frankfurt. " * 10)
    assert hamming(a, b) <= 3 < hamming(a, far)
    entries = [NearEntry("b", b, True), NearEntry("a", a, False, "date=x/language=de"), NearEntry("f", far, True)]
    assert list(near_duplicate_links(entries)) == [(NearEntry("b", b, True), "a")]
    assert list(near_duplicate_links([NearEntry("b", b, False, "p"), NearEntry("a", a, False, "p")])) == []


def test_patches_only_lower_a_flag() -> None:
    rows = [{"article_id": "m", "near_duplicate_of": "k"}, {"article_id": "z", "near_duplicate_of": None}]
    patched = apply_near_duplicate_patches(rows, [{"article_id": "m", NEAR_DUPLICATE_PATCH: "l"},
                                                  {"article_id": "z", NEAR_DUPLICATE_PATCH: "c"}])
    assert [r["near_duplicate_of"] for r in patched] == ["k", "c"]


def with_simhash(a: Article) -> Article:
    return dataclasses.replace(a, simhash=text_simhash(a.text))


def index_of(existing: list[tuple]) -> ArticleIndex:
    """An index of existing (article_id, simhash hex, partition[, near_duplicate_of]) articles, as read
    from the output (a file written before near_duplicate_of has none: null)."""
    by_partition: dict[str, list[tuple]] = {}
    for article_id, simhash_hex, partition, *flag in existing:
        by_partition.setdefault(partition, []).append((article_id, simhash_hex, *flag))
    stamp = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
    parts = []
    for partition, rows in by_partition.items():
        columns = {"article_id": [r[0] for r in rows], "content_hash": [f"h{r[0]}" for r in rows],
                   "ingested_at": pa.array([stamp] * len(rows), pa.timestamp("us", tz="UTC")),
                   "simhash": [r[1] for r in rows]}
        if any(len(r) > 2 for r in rows):
            columns["near_duplicate_of"] = [r[2] if len(r) > 2 else None for r in rows]
        parts.append((partition, pa.table(columns)))
    return ArticleIndex.from_parts(parts)


def run_flags(new: list[Article], existing: list[tuple], flags: list, patches: list) -> None:
    with beam.Pipeline(runner="FnApiRunner") as p:
        index = beam.pvalue.AsSingleton(p | "E" >> beam.Create([index_of(existing)]))
        result = p | "A" >> beam.Create(new) | FlagNearDuplicates(index)
        got = result["articles"] | beam.Map(lambda a: (a.url, a.near_duplicate_of))
        assert_that(got, equal_to(flags), label="flags")
        assert_that(result["patches"], equal_to(patches), label="patches")


def test_flags_do_not_depend_on_how_articles_were_split_across_runs() -> None:
    # as cleaning makes them: each article carries the SimHash of its text
    articles = [with_simhash(article(i, text=variant(w))) for i, w in enumerate(["Herbst", "Frühjahr", "Sommer"])]
    canonical = min(a.article_id for a in articles)
    # one run with all three: both others point to the smallest id
    run_flags(articles, [], [(a.url, None if a.article_id == canonical else canonical) for a in articles], [])
    # the canonical one arrives in a later run: the two rows already written are patched to point to it
    late = next(a for a in articles if a.article_id == canonical)
    earlier = [a for a in articles if a is not late]
    partition = "date=2024-06-01/language=de"
    run_flags([late], [(a.article_id, a.simhash, partition) for a in earlier], [(late.url, None)],
              [(a.article_id, partition, canonical) for a in earlier])


def test_existing_articles_are_patched_only_when_their_flag_gets_lower() -> None:
    first, second, third = sorted((with_simhash(article(i, text=variant(w))) for i, w in
                                   enumerate(["Herbst", "Frühjahr", "Sommer"])), key=lambda a: a.article_id)
    partition = "date=2024-06-01/language=de"
    # the third already points to the first: a new second copy (a larger id) flags itself, patches nothing
    existing = [(first.article_id, first.simhash, partition, None),
                (third.article_id, third.simhash, partition, first.article_id)]
    run_flags([second], existing, [(second.url, first.article_id)], [])
    # the third points to the second: a new first copy lowers both
    existing = [(second.article_id, second.simhash, partition, None),
                (third.article_id, third.simhash, partition, second.article_id)]
    run_flags([first], existing, [(first.url, None)],
              [(second.article_id, partition, first.article_id), (third.article_id, partition, first.article_id)])


def _smallest_link_by_brute_force(entries: list[NearEntry]) -> dict[NearEntry, str]:
    best: dict[NearEntry, str] = {}
    for a in set(entries):
        for b in set(entries):
            if a.article_id < b.article_id and (a.new or b.new) and hamming(a.simhash, b.simhash) <= 3:
                best[b] = min(best.get(b, a.article_id), a.article_id)
    return best


def test_each_article_gets_the_smallest_of_all_its_near_duplicates() -> None:
    import random

    rng = random.Random(7)
    base = rng.getrandbits(64)
    entries = []
    for n in range(60):  # clusters around a few texts, some far, old and new mixed
        centre = base if n % 3 else base ^ (0xFFFF << 20)
        flips = sum(1 << rng.randrange(64) for _ in range(rng.randrange(0, 4)))
        entries.append(NearEntry(f"id{rng.randrange(10_000):05d}", centre ^ flips, rng.random() < 0.6,
                                 None if n % 2 else "p"))
    links = list(near_duplicate_links(entries))
    assert len({high for high, _ in links}) == len(links)  # one link per article
    assert dict(links) == _smallest_link_by_brute_force(entries)


def test_thousands_of_near_copies_give_one_link_each_not_one_per_pair() -> None:
    entries = [NearEntry(f"id{n:05d}", 0xABCDEF, True) for n in range(3000)]
    links = list(near_duplicate_links(entries))
    assert len(links) == 2999 and {low for _, low in links} == {"id00000"}
