"""Hostile input, one test per class not covered in test_read / test_decoding / test_clean / test_guard."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.clean.document import CleanTask, clean_document
from transforms.clean.rules import compile_rules
from transforms.clean.stage import Clean, guarded_clean
from transforms.isolation.worker import GuardedWorker
from transforms.output import layout, tables
from transforms.output.schema import to_arrow, to_row
from transforms.read import formats as r
from transforms.read import jsonrecords, payload
from transforms.records import Article, RawDocument, Reject
from transforms.settings import CleanSettings, FrozenDict, ReadSettings, load_settings

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
SETTINGS = load_settings()
RULES = compile_rules(SETTINGS.clean)
GERMAN = "Die Außenminister äußerten sich über die Gespräche in Moskau und Baku, hieß es am Abend. "


def read_path(path: Path, settings: ReadSettings = SETTINGS.read) -> list[RawDocument | Reject]:
    return list(r.guarded_read(str(path), path.stat().st_size, settings, lambda p: open(p, "rb"), lambda p: None))


# --- JSON Lines -------------------------------------------------------------------------------


def test_deeply_nested_json_is_an_invalid_line_not_a_recursion_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b"[" * 100_000 + b"\n" + json.dumps({"text": "danach"}).encode() + b"\n")
    items = read_path(path)
    assert [getattr(i, "reason", "doc") for i in items] == ["read/invalid_json", "doc"]
    assert items[0].source_uri.endswith("#L1") and "nested" in items[0].detail


@pytest.mark.parametrize("value", [1e20, -1e300, float("nan"), float("inf"), "0001-01-01T00:00:00+05:00",
                                   "9999-12-31T23:59:59-05:00", {"y": 2024}])
def test_out_of_range_timestamps_keep_the_article_without_a_date(value: object) -> None:
    line = json.dumps({"text": "Ein Text.", "published_at": value}).encode()
    doc = jsonrecords.parse_json_record(line, "x.jsonl#L1")
    assert doc.published_at is None and doc.published_basis == "invalid"


def test_naive_timestamp_is_utc_and_unknown_fields_are_ignored() -> None:
    line = json.dumps({"text": "T", "published_at": "2024-05-31 23:30", "tags": ["x"], "score": 3, "nested": {}})
    doc = jsonrecords.parse_json_record(line.encode(), "x.jsonl#L1")
    assert doc.published_at == dt.datetime(2024, 5, 31, 23, 30, tzinfo=dt.timezone.utc)


def test_lone_surrogates_from_json_escapes_become_replacement_characters_that_parquet_can_hold() -> None:
    line = json.dumps({"text": "halbes \ud800 Paar, ganzes 😀", "title": "\udfffT"}).encode()
    doc = jsonrecords.parse_json_record(line, "x.jsonl#L1")
    assert doc.body == "halbes \ufffd Paar, ganzes 😀" and doc.title == "\ufffdT"
    article = clean_document(doc, RULES, CleanSettings(min_chars=5), NOW)
    assert to_arrow([to_row(article, "articles")], "articles").num_rows == 1  # raised UnicodeEncodeError before
    with pytest.raises(UnicodeEncodeError):
        pa.array(["\ud800"])  # why: Arrow strings are UTF-8


def test_raw_surrogate_bytes_and_utf16_lines_read_as_the_standard_library_reads_them() -> None:
    # the fast parser (orjson) refuses both; the standard library decides, as it always did
    cesu = b'{"text": "Ein Text mit \xed\xa0\x80 darin."}'
    assert jsonrecords.parse_json_record(cesu, "x.jsonl#L1").body == "Ein Text mit \ufffd darin."
    utf16 = json.dumps({"text": "Ein Text."}).encode("utf-16")
    assert jsonrecords.parse_json_record(utf16, "x.jsonl#L2").body == "Ein Text."


@pytest.mark.parametrize(("value", "kind"), [(2**70, "int"), (-(2**64), "int"), (1.5, "float")])
def test_a_number_in_a_text_field_is_named_by_its_exact_type(value: object, kind: str) -> None:
    # orjson would read 2**70 as a float; the record is parsed again exactly, so the reject says "int"
    line = json.dumps({"text": "Ein Text.", "title": value}).encode()
    with pytest.raises(payload.ReadError, match=f"got {kind}"):
        jsonrecords.parse_json_record(line, "x.jsonl#L1")


def test_nan_and_infinite_numbers_are_read_and_their_dates_are_invalid() -> None:
    for raw in (b'{"text": "Ein Text.", "published_at": NaN}', b'{"text": "Ein Text.", "published_at": 1e400}'):
        doc = jsonrecords.parse_json_record(raw, "x.jsonl#L1")
        assert doc.published_at is None and doc.published_basis == "invalid"


def test_an_unforeseen_error_in_a_file_is_a_reject_and_keeps_what_was_read() -> None:
    class FailsAfterFirstLine(io.RawIOBase):
        """A storage driver that breaks in the middle of a file (not an OSError: a bug)."""

        def __init__(self, path: str) -> None:
            self._served = False

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            if self._served:
                raise RuntimeError("driver bug")
            self._served = True
            line = b'{"text": "eins"}\n'
            buffer[: len(line)] = line
            return len(line)

    items = list(r.guarded_read("a.jsonl", 10, SETTINGS.read, FailsAfterFirstLine, lambda p: None))
    assert isinstance(items[0], RawDocument) and items[0].body == "eins"
    assert [(i.source_uri, i.stage, i.reason) for i in items[1:]] == [("a.jsonl", "read", "read/unexpected_error")]
    assert items[1].detail == "RuntimeError: driver bug"


# --- text and HTML ----------------------------------------------------------------------------


def test_100000_nested_elements_end_as_an_article_or_too_short_never_a_crash() -> None:
    body = "<p>" + GERMAN * 4 + "</p>"
    html = "<html><body>" + "<div>" * 100_000 + body + "</div>" * 100_000 + "</body></html>"
    with GuardedWorker(CleanTask(SETTINGS.clean, NOW), timeout_seconds=60) as worker:
        result = guarded_clean(RawDocument("nested.html", "html", html), worker)
        assert isinstance(result, Article) or result.reason == "clean/too_short"
        after = guarded_clean(RawDocument("ok.html", "html", f"<html><body>{body}</body></html>"), worker)
        assert isinstance(after, Article) and "äußerten" in after.text


def test_25_mb_text_node_is_too_large_by_default_and_bounded_with_a_raised_cap(tmp_path: Path) -> None:
    path = tmp_path / "node.html"
    path.write_bytes(b"<html><body><p>" + b"Wort " * (25 << 18) + b"</p></body></html>")
    assert [i.reason for i in read_path(path)] == ["read/too_large"]
    raised = ReadSettings(max_file_bytes=64 << 20, max_document_bytes=32 << 20, max_decompressed_bytes=64 << 20)
    started = time.monotonic()
    [doc] = read_path(path, raised)
    settings = CleanSettings(parse_timeout_seconds=60)
    with GuardedWorker(CleanTask(settings, NOW), timeout_seconds=60) as worker:
        result = guarded_clean(doc, worker)
    # lxml refuses a text node over 10 MB (no HUGE flag): nothing extracted, a clean reject, in bounded time
    assert isinstance(result, Article) or result.reason in ("clean/too_short", "parse/error")
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("meta, body, encoding", [
    (b"", GERMAN.encode("cp1252"), "cp1252"),  # no declaration
    (b'<meta charset="utf-8">', GERMAN.encode("cp1252"), "cp1252"),  # wrong declaration
    (b'<meta charset="iso-8859-1">', GERMAN.encode("utf-8"), "utf-8"),  # wrong the other way
    (b'<meta charset="x-made-up">', GERMAN.encode("latin-1"), "cp1252"),  # unknown declaration
    (b"", GERMAN.encode("utf-8") + b"Stra\xdfe.", "utf-8+cp1252"),  # invalid UTF-8: a stray legacy byte
])
def test_mislabelled_html_gets_its_umlauts_and_records_the_encoding(tmp_path: Path, meta: bytes, body: bytes,
                                                                     encoding: str) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<html><head>" + meta + b"<title>T</title></head><body><article><p>" + body * 4
                     + b"</p></article></body></html>")
    [doc] = read_path(path)
    article = clean_document(doc, RULES, CleanSettings(min_chars=50), NOW)
    assert isinstance(article, Article) and article.encoding == encoding
    assert "äußerten" in article.text and "\ufffd" not in article.text


# --- partitions -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["../../etc", "de/../../x", "..", "", "DE", "de_AT", "a" * 10])
def test_free_text_never_reaches_a_partition_path(language: str) -> None:
    row = {"published_at": NOW, "ingested_at": NOW, "language": language}
    with pytest.raises(layout.UnsafePartition):
        layout.partition_of("articles", row, NOW.date())


@pytest.mark.parametrize("partition", ["date=2024-01-01/../../../etc", "..", "date=../x", "date=2024\\x", "noequals"])
def test_partition_paths_that_leave_the_table_root_are_refused(tmp_path: Path, partition: str) -> None:
    with pytest.raises(layout.UnsafePartition):
        tables.partition_path(str(tmp_path), "articles", partition)


# --- per-element time limit in the pipeline -----------------------------------------------------


def test_a_document_that_makes_a_rule_spin_is_a_parse_timeout_and_the_run_goes_on() -> None:
    settings = CleanSettings(min_chars=20, generic=FrozenDict({"*": ("^(a+)+$",)}), parse_timeout_seconds=1.0)
    docs = [RawDocument("spin.txt", "text", GERMAN + "\n" + "a" * 40 + "!", title="T"),
            RawDocument("ok.txt", "text", GERMAN, title="T")]
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(docs) | Clean(settings, NOW)
        assert_that(out["rejects"] | beam.Map(lambda j: (j.source_uri, j.stage, j.reason)),
                    equal_to([("spin.txt", "parse", "parse/timeout")]), label="rejects")
        assert_that(out["articles"] | beam.Map(lambda a: a.source_uri), equal_to(["ok.txt"]), label="articles")
