"""Unit tests of the viewers' table reader and aggregation functions."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.view import aggregate, tables
from tests import view_data as vd

D = dt.date


def ev(event_id, day, kind="CONSULT", quad=1, countries=("RUS", "AZE"), articles=1, sources=1, mentions=1):
    people = [vd.person(f"P{c}", f"{c}:foreign_minister", c, "foreign_minister") for c in countries]
    return vd.event(event_id, day, kind, None, "041", quad, people, f"sentence {event_id}", None,
                    [f"a-{event_id}-{i}" for i in range(articles)], mentions=mentions, sources=sources)


# --- reading the Hive layout -------------------------------------------------------------------

def test_parse_partitions_dates_null_and_strings():
    assert tables.parse_partitions("event_date=2020-05-31/data.parquet") == {"event_date": D(2020, 5, 31)}
    assert tables.parse_partitions("event_date=__HIVE_DEFAULT_PARTITION__/data.parquet") == {"event_date": None}
    assert tables.parse_partitions("date=2020-05-31/language=de/data.parquet") == {"date": D(2020, 5, 31), "language": "de"}
    with pytest.raises(ValueError):
        tables.parse_partitions("event_date=yesterday/data.parquet")


def test_read_rows_adds_partition_values_and_keeps_null_dates(tmp_path):
    vd.seed_like(tmp_path)
    events = tables.read_rows(str(tmp_path), "events")
    by_id = {e["event_id"]: e for e in events}
    assert set(by_id) == {"e-phone", "e-meeting", "e-call"}
    assert by_id["e-call"]["event_date"] == D(2020, 5, 31)
    assert by_id["e-phone"]["event_date"] is None and by_id["e-meeting"]["event_date"] is None
    assert by_id["e-call"]["participants"][1]["key"] == "AFG:foreign_minister"
    articles = tables.read_rows(str(tmp_path), "articles", tables.VIEW_COLUMNS["articles"])
    assert {(a["article_id"], a["date"], a["language"]) for a in articles} == {
        ("a000", D(2024, 1, 2), "de"), ("a003", D(2020, 5, 31), "de")}
    assert "text" not in articles[0]  # the viewer leaves article bodies on disk


def test_read_rows_ignores_hidden_files_and_missing_tables(tmp_path):
    vd.seed_like(tmp_path)
    staging = tmp_path / "events" / "_staging" / "event_date=2020-01-01"
    staging.mkdir(parents=True)
    (staging / "data.parquet").write_bytes(b"not parquet: a half-written file")
    (tmp_path / "events" / "event_date=2020-05-31" / ".data.parquet.tmp").write_bytes(b"junk")
    assert len(tables.read_rows(str(tmp_path), "events")) == 3
    assert tables.read_rows(str(tmp_path / "nothing"), "events") == []


# --- filtering and ordering --------------------------------------------------------------------

def test_filter_by_dates_country_and_type():
    rows = [ev("a", D(2020, 1, 1)), ev("b", D(2020, 2, 1), kind="ACCUSE", quad=3, countries=("USA", "EU")),
            ev("c", None), ev("d", D(2020, 3, 1), countries=("AZE", "AFG"))]
    ids = lambda rs: [r["event_id"] for r in rs]  # noqa: E731
    assert ids(aggregate.filter_events(rows)) == ["a", "b", "c", "d"]
    # a date bound cannot place an undated event: it drops out
    assert ids(aggregate.filter_events(rows, since=D(2020, 2, 1))) == ["b", "d"]
    assert ids(aggregate.filter_events(rows, until=D(2020, 2, 1))) == ["a", "b"]
    assert ids(aggregate.filter_events(rows, country="eu")) == ["b"]
    assert ids(aggregate.filter_events(rows, country="AZE")) == ["a", "c", "d"]
    assert ids(aggregate.filter_events(rows, event_type="accuse")) == ["b"]


def test_parse_day_accepts_partial_dates():
    assert aggregate.parse_day("2020") == D(2020, 1, 1)
    assert aggregate.parse_day("2020-05") == D(2020, 5, 1)
    assert aggregate.parse_day("2020-05-31") == D(2020, 5, 31)


def test_newest_first_puts_unknown_dates_last_and_breaks_ties_by_coverage():
    rows = [ev("old", D(2019, 1, 1)), ev("undated", None), ev("new-small", D(2021, 1, 1)),
            ev("new-big", D(2021, 1, 1), articles=5)]
    assert [r["event_id"] for r in aggregate.newest_first(rows)] == ["new-big", "new-small", "old", "undated"]


def test_top_events_ranks_by_articles_then_sources_then_mentions():
    rows = [ev("a", D(2020, 1, 1), articles=2), ev("b", D(2020, 1, 2), articles=2, sources=2),
            ev("c", None, articles=9), ev("d", D(2020, 1, 3))]
    assert [r["event_id"] for r in aggregate.top_events(rows, 3)] == ["c", "b", "a"]


def test_totals_counts_distinct_articles_and_undated():
    shared = ev("a", D(2020, 1, 1))
    other = ev("b", None, countries=("USA", "CHN"))
    other["article_ids"] = shared["article_ids"] + ["x"]
    t = aggregate.totals([shared, other])
    assert (t.events, t.undated, t.articles) == (2, 1, 2)
    assert t.countries == ("AZE", "CHN", "RUS", "USA")
    assert t.first == t.last == D(2020, 1, 1)


# --- timeline ------------------------------------------------------------------------------------

def test_timeline_per_day_is_continuous_and_keeps_undated_apart():
    rows = [ev("a", D(2020, 5, 29)), ev("b", D(2020, 5, 31), kind="ACCUSE", quad=3), ev("c", D(2020, 5, 31)),
            ev("d", None)]
    line = aggregate.timeline(rows)
    assert line.unit == "day"
    assert line.buckets == (D(2020, 5, 29), D(2020, 5, 30), D(2020, 5, 31))
    assert line.counts[D(2020, 5, 30)] == {}
    assert line.counts[D(2020, 5, 31)] == {"CONSULT": 1, "ACCUSE": 1}
    assert line.undated == {"CONSULT": 1}
    assert line.categories == ("CONSULT", "ACCUSE")  # PLOVER order: cooperation before conflict
    assert line.peak == 2


def test_timeline_by_quad_class():
    rows = [ev("a", D(2020, 1, 1), quad=4), ev("b", D(2020, 1, 1), quad=1)]
    line = aggregate.timeline(rows, by="quad")
    assert line.categories == ("verbal cooperation", "material conflict")
    with pytest.raises(ValueError):
        aggregate.timeline(rows, by="colour")


def test_timeline_switches_to_weeks_then_months_for_long_spans():
    weeks = aggregate.timeline([ev("a", D(2020, 1, 1)), ev("b", D(2020, 12, 31))], max_buckets=120)
    assert weeks.unit == "week"
    assert weeks.buckets[0] == D(2019, 12, 30)  # the Monday of 2020-01-01's week
    assert all(b.weekday() == 0 for b in weeks.buckets)
    assert sum(sum(v.values()) for v in weeks.counts.values()) == 2
    months = aggregate.timeline([ev("a", D(2000, 1, 15)), ev("b", D(2020, 12, 31))])
    assert months.unit == "month"
    assert months.buckets[0] == D(2000, 1, 1) and months.buckets[-1] == D(2020, 12, 1)
    assert len(months.buckets) == 21 * 12


def test_timeline_of_nothing():
    line = aggregate.timeline([])
    assert (line.buckets, line.categories, line.peak) == ((), (), 0)


# --- actor network -------------------------------------------------------------------------------

def test_actor_network_weights_and_cooperation_vs_conflict():
    rows = [ev("a", D(2020, 1, 1), quad=1), ev("b", D(2020, 1, 2), quad=2, countries=("AZE", "RUS")),
            ev("c", D(2020, 1, 3), quad=4, countries=("RUS", "AZE", "ARM")),
            ev("d", D(2020, 1, 4), countries=("RUS", "RUS"))]  # one country: a node, no edge
    net = aggregate.actor_network(rows)
    assert net.nodes == (("RUS", 4), ("AZE", 3), ("ARM", 1))
    edges = {(e.a, e.b): (e.cooperation, e.conflict) for e in net.edges}
    assert edges == {("AZE", "RUS"): (2, 1), ("ARM", "AZE"): (0, 1), ("ARM", "RUS"): (0, 1)}
    assert net.edges[0].weight == 3 and (net.hidden_nodes, net.hidden_edges) == (0, 0)


def test_actor_network_keeps_the_biggest_actors():
    rows = [ev(f"e{i}", D(2020, 1, 1), countries=("USA", f"C{i:02d}")) for i in range(40)]
    net = aggregate.actor_network(rows, max_nodes=10)
    assert len(net.nodes) == 10 and net.nodes[0] == ("USA", 40)
    assert net.hidden_nodes == 31
    assert all(e.a in dict(net.nodes) and e.b in dict(net.nodes) for e in net.edges)
    assert len(net.edges) == 9 and net.hidden_edges == 31


# --- rejects, scope, sources ---------------------------------------------------------------------

def test_rejects_by_reason_most_frequent_first_with_an_example():
    rows = [vd.reject("b.html", "clean", "clean/empty_text"), vd.reject("a.html", "clean", "clean/empty_text"),
            vd.reject("x.gz", "read", "read/truncated_gzip")]
    reasons = aggregate.rejects_by_reason(rows)
    assert [(r.reason, r.count, r.example) for r in reasons] == [
        ("clean/empty_text", 2, "a.html"), ("read/truncated_gzip", 1, "x.gz")]


def test_scope_from_tables(tmp_path):
    vd.seed_like(tmp_path)
    view = tables.read_view(str(tmp_path))
    s = aggregate.scope(view["articles"], view["events"], view["mentions"], view["rejects"])
    assert (s.articles, s.mentions, s.rejects, s.sources) == (2, 3, 1, 2)
    assert s.languages == (("de", 2),)
    assert (s.first_published, s.last_published, s.unpublished) == (D(2020, 5, 31), D(2020, 5, 31), 1)
    assert (s.first_ingested, s.last_ingested) == (D(2024, 1, 2), D(2024, 1, 2))
    assert (s.events.events, s.events.undated) == (3, 2)


def test_event_sources_prefers_mentions_then_article_ids_then_example_url():
    a1 = vd.article("a1", "https://x.example/1", "First", "en", None, "X")
    a2 = vd.article("a2", "https://y.example/2", "Second", "en", None, "Y")
    row = ev("e", D(2020, 1, 1))
    row["article_ids"] = ["a1", "a2"]
    mentions = {"e": [vd.mention(row, a1, 1), vd.mention(row, a1, 2)]}
    got = aggregate.event_sources(row, mentions, {"a1": a1, "a2": a2})
    assert [(s.url, s.title, s.source) for s in got.links] == [("https://x.example/1", "First", "X"),
                                                              ("https://y.example/2", "Second", "Y")]
    assert aggregate.event_sources(row, mentions, {"a1": a1, "a2": a2}, limit=1).more == 1
    bare = ev("f", None)
    bare["example_url"] = "https://z.example/"
    assert [s.url for s in aggregate.event_sources(bare, {}, {}).links] == ["https://z.example/"]
