"""The compact index of what the output holds (transforms/output/index.py), read back from real Parquet,
and the events of a mentions partition recomputed a chunk at a time (transforms/output/eventmerge.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from tests.records_factory import NOW, article, mention
from transforms.dedup.articles import simhash_bands
from transforms.events.aggregate import events_from_mentions
from transforms.ids import text_simhash
from transforms.output import eventmerge, layout, tables, write
from transforms.output.index import read_articles_index
from transforms.output.schema import to_row

BASE = ("Die Regierung in Baku hat am Montag neue Gespräche über den Bau einer Eisenbahnlinie angekündigt, "
        "die durch die Region bis an die Grenze führen soll. Der Minister sagte, die Arbeiten könnten im Herbst "
        "beginnen, sobald die Finanzierung gesichert sei. ") * 2


def _write_articles(output: Path) -> list[tuple[object, str]]:
    """Articles in two partitions (one of them ingested earlier, one with no SimHash); (article, partition)."""
    placed = []
    for n in range(30):
        text = BASE.replace("Herbst", f"Monat {n}") if n % 3 else f"Ein ganz anderer Text Nummer {n}. " * 12
        a = dataclasses.replace(article(n, text=text, language="de" if n % 2 else "en"), simhash=text_simhash(text))
        if n == 7:
            a = dataclasses.replace(a, simhash=None)  # a text too short to compare, or a file of schema 1
        if n % 2:
            a = dataclasses.replace(a, ingested_at=NOW - dt.timedelta(days=3, microseconds=n))
        if n % 5 == 1:
            a = dataclasses.replace(a, near_duplicate_of=f"{n:016x}")
        placed.append((a, layout.partition_of("articles", to_row(a, "articles"), NOW.date())))
    for partition in sorted({p for _, p in placed}):
        rows = [to_row(a, "articles") for a, p in placed if p == partition]
        tables.write_rows(tables.join(tables.partition_path(str(output), "articles", partition), tables.DATA_FILE),
                          rows, "articles")
    return placed


def test_the_index_read_back_from_parquet_answers_like_the_rows(tmp_path: Path) -> None:
    placed = _write_articles(tmp_path)
    index = read_articles_index(str(tmp_path))
    assert len(index) == 30 and len({p for _, p in placed}) == 2
    for a, partition in placed:
        assert index.has_id(a.article_id) and index.has_hash(a.content_hash)
        assert index.previous(a.article_id) == (a.ingested_at, partition)
    unknown = article(99, text="Nicht im Index. " * 10)
    assert not index.has_id(unknown.article_id) and not index.has_hash(unknown.content_hash)
    assert index.previous(unknown.article_id) is None
    assert not index.has_id(placed[0][0].content_hash)  # ids and hashes are two lookups, not one set
    # every (band, value) of every article: exactly the articles with a SimHash sharing it
    with_simhash = [(a, p) for a, p in placed if a.simhash is not None]
    for a, _ in with_simhash:
        for band, value in simhash_bands(int(a.simhash, 16)):
            expected = sorted((b.article_id, int(b.simhash, 16), p, b.near_duplicate_of) for b, p in with_simhash
                              if simhash_bands(int(b.simhash, 16))[band][1] == value)
            assert sorted(index.sharing_band(band, value)) == expected
    assert all(a.article_id not in {i for band in range(4) for i, _, _, _ in index.sharing_band(band, 0)}
               for a, _ in placed if a.simhash is None)


def test_an_output_without_articles_is_an_empty_index(tmp_path: Path) -> None:
    index = read_articles_index(str(tmp_path))
    assert len(index) == 0 and not index.has_id("abc") and not index.has_hash("abc")
    assert index.previous("abc") is None and list(index.sharing_band(0, 0)) == []


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_events_recomputed_in_chunks_are_those_of_all_mentions_at_once(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    articles = [article(n) for n in range(6)]
    mentions = [mention(a, i, event_type=kind) for n, a in enumerate(articles)
                for i, kind in enumerate(["CONSULT", "MEET", "ACCUSE"][: 1 + n % 3])]
    monkeypatch.setattr(eventmerge, "EVENT_CHUNK_ROWS", chunk)
    got = write.events_arrow(tables.to_arrow([to_row(m, "mentions") for m in mentions], "mentions"),
                             "event_date=2024-05-31")
    expected = tables.to_arrow([to_row(e, "events") for e in events_from_mentions(mentions)], "events")
    assert got.num_rows == 3 and got.to_pylist() == expected.to_pylist()
    assert {r["num_mentions"] for r in got.to_pylist()} == {6, 4, 2}
