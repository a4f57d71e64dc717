"""Readers: formats, sidecars, gzip by magic bytes, caps, and every bad input as a reject."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from pathlib import Path

import pytest

from transforms.read import formats as r
from transforms.read import jsonrecords, payload
from transforms.records import RawDocument, Reject
from transforms.settings import ReadSettings

SETTINGS = ReadSettings(max_document_bytes=10_000, max_decompressed_bytes=100_000)
NOW = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)


def read_path(path: Path, settings: ReadSettings = SETTINGS, meta: dict | bytes | None = None) -> list[RawDocument | Reject]:
    raw_meta = None if meta is None else (meta if isinstance(meta, bytes) else json.dumps(meta).encode())
    return list(r.read_file(str(path), path.stat().st_size, settings, lambda p: open(p, "rb"), lambda p: raw_meta))


def test_txt_title_is_first_nonempty_line_and_sidecar_gives_metadata(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("\n\nDer Titel\n\nErster Absatz.\nZweiter Absatz.\n", encoding="utf-8")
    [doc] = read_path(path, meta={"url": "https://example.org/a", "published_at": "2024-05-31T10:00:00+02:00",
                                  "source": "Example"})
    assert isinstance(doc, RawDocument)
    assert doc.title == "Der Titel"
    assert doc.body == "Erster Absatz.\nZweiter Absatz."
    assert doc.url == "https://example.org/a" and doc.source == "Example"
    assert doc.published_at == dt.datetime(2024, 5, 31, 8, tzinfo=dt.timezone.utc)
    assert doc.published_basis == "metadata"


def test_dateline_first_line_stays_in_the_body_and_names_the_agency(tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_text("Baku, 31. Mai, AZERTAC\n\nBei einem Telefonat haben die Minister gesprochen.\n", encoding="utf-8")
    [doc] = read_path(path)
    assert doc.title is None
    assert doc.body.startswith("Baku, 31. Mai, AZERTAC\n")
    assert doc.source == "AZERTAC"


def test_sidecar_path_strips_gz_and_extension() -> None:
    assert r.sidecar_path("gs://b/x/a.txt.gz") == "gs://b/x/a.meta.json"
    assert r.is_sidecar("x/a.meta.json") and not r.is_sidecar("x/a.json")
    assert r.file_format("x/A.HTM.gz") == "html" and r.file_format("x/a.pdf") is None


def test_jsonl_keeps_good_lines_and_rejects_bad_ones_with_line_numbers(tmp_path: Path) -> None:
    lines = [
        json.dumps({"url": "https://e.org/1", "title": "T", "text": "Hallo Welt", "published_at": "2024-05-01"}),
        "{not json",
        json.dumps({"title": ["a"], "text": "x"}),
        json.dumps({"title": "no body"}),
        json.dumps({"html": "<p>Hi</p>", "published_at": "2024-13-45", "extra": 1}),
        json.dumps([1, 2]),
        "",
    ]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = read_path(path)
    by_uri = {i.source_uri.rsplit("#", 1)[1]: i for i in items}
    assert isinstance(by_uri["L1"], RawDocument) and by_uri["L1"].url == "https://e.org/1"
    assert by_uri["L1"].published_at == dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)  # naive: UTC
    assert (by_uri["L2"].reason, by_uri["L3"].reason, by_uri["L4"].reason, by_uri["L6"].reason) == (
        "read/invalid_json", "read/invalid_record", "read/missing_text", "read/invalid_record")
    assert by_uri["L5"].kind == "html" and by_uri["L5"].published_at is None
    assert by_uri["L5"].published_basis == "invalid"  # absurd date: kept as an article, not guessed
    assert len(items) == 6  # the blank line is no record


def test_a_json_file_holding_an_array_gives_one_document_or_reject_per_item(tmp_path: Path) -> None:
    """A .json export is often one array (or one pretty-printed object): read line by line it gave
    one invalid_json reject per line and lost every article."""
    items = [{"url": "https://e.org/1", "title": "Eins", "text": "Erster Text", "published_at": "2024-05-01"},
             {"title": "kein Text"}, "not an object", {"html": "<p>Zwei</p>", "source": "E"}]
    path = tmp_path / "export.json"
    path.write_text("\ufeff" + json.dumps(items, indent=2, ensure_ascii=False), encoding="utf-8")
    out = {i.source_uri.rsplit("#", 1)[1]: i for i in read_path(path)}
    assert sorted(out) == ["I1", "I2", "I3", "I4"]
    assert isinstance(out["I1"], RawDocument) and (out["I1"].url, out["I1"].body) == ("https://e.org/1", "Erster Text")
    assert out["I1"].published_at == dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    assert (out["I2"].reason, out["I3"].reason) == ("read/missing_text", "read/invalid_record")
    assert out["I4"].kind == "html" and out["I4"].source == "E"

    one = tmp_path / "one.json.gz"
    one.write_bytes(gzip.compress(json.dumps(items[0], indent=2).encode()))
    [doc] = read_path(one)
    assert isinstance(doc, RawDocument) and doc.source_uri == str(one) and doc.title == "Eins"


def test_a_json_file_that_is_json_lines_is_still_read_line_by_line(tmp_path: Path) -> None:
    good = json.dumps({"url": "https://e.org/2", "text": "Zweiter Text"})
    path = tmp_path / "lines.json"
    path.write_text(json.dumps([1]) + "\n" + good + "\n", encoding="utf-8")  # first line an array, yet JSON Lines
    items = read_path(path)
    assert [i.source_uri.rsplit("#", 1)[1] for i in items] == ["L1", "L2"]
    assert items[0].reason == "read/invalid_record" and isinstance(items[1], RawDocument)
    long_first = tmp_path / "long.json"  # a first line longer than what is peeked at is still one record
    long_first.write_text(json.dumps({"text": "x" * 9000}) + "\n" + good + "\n", encoding="utf-8")
    assert [type(i).__name__ for i in read_path(long_first)] == ["RawDocument", "RawDocument"]


@pytest.mark.parametrize("value", ["2024-13-45", "0001-01-01T00:00:00Z", "9999-12-31", "yesterday", [2024]])
def test_absurd_or_unreadable_timestamps_raise(value: object) -> None:
    with pytest.raises(ValueError):
        jsonrecords.parse_timestamp(value, now=NOW)


def test_timestamps_rfc822_and_naive_iso_are_utc() -> None:
    assert jsonrecords.parse_timestamp("Sat, 16 Dec 2023 14:02:33 +0100", now=NOW) == dt.datetime(2023, 12, 16, 13, 2, 33,
                                                                                         tzinfo=dt.timezone.utc)
    assert jsonrecords.parse_timestamp("2024-05-31T12:00:00", now=NOW).tzinfo == dt.timezone.utc


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path: Path) -> None:
    text = "Titel\n\n" + "Ein Satz über Politik. " * 50
    misnamed = tmp_path / "plain.txt"
    misnamed.write_bytes(gzip.compress(text.encode()))
    plain_named_gz = tmp_path / "other.txt.gz"
    plain_named_gz.write_text(text, encoding="utf-8")
    for path in (misnamed, plain_named_gz):
        [doc] = read_path(path)
        assert isinstance(doc, RawDocument) and doc.title == "Titel"


@pytest.fixture(params=["isal", "zlib"])
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every gzip case with python-isal (the default) and with the standard library's zlib (the
    fallback where isal has no wheel): the same documents and the same rejects."""
    import zlib

    if request.param == "zlib":
        monkeypatch.setattr(payload, "inflate_library", zlib)
    else:
        from isal import isal_zlib

        assert payload.inflate_library is isal_zlib  # installed with eventwire: the default
    return request.param


def test_truncated_gzip_is_a_reject_not_half_an_article(tmp_path: Path, inflater: str) -> None:
    data = gzip.compress(("Titel\n" + "Wort " * 3000).encode())
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    [item] = read_path(path)
    assert isinstance(item, Reject) and item.reason == "read/truncated_gzip"


def test_corrupt_gzip_is_a_reject(tmp_path: Path, inflater: str) -> None:
    data = bytearray(gzip.compress(("Titel\n" + "Wort Satz Absatz " * 3000).encode(), mtime=0))
    data[40:60] = b"\xff" * 20  # inside the deflate stream
    path = tmp_path / "broken.txt.gz"
    path.write_bytes(bytes(data))
    [item] = read_path(path)
    assert isinstance(item, Reject) and item.reason == "read/corrupt_gzip"


def test_multi_member_gzip_is_read_whole(tmp_path: Path, inflater: str) -> None:
    path = tmp_path / "multi.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "eins"}\n') + gzip.compress(b'{"text": "zwei"}\n') + b"\x00" * 16)
    assert [d.body for d in read_path(path)] == ["eins", "zwei"]


def test_decompression_bomb_is_capped(tmp_path: Path, inflater: str) -> None:
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"<p>" + b"A" * 5_000_000))
    [item] = read_path(path, ReadSettings(max_decompressed_bytes=1_000_000, max_document_bytes=10_000_000))
    assert isinstance(item, Reject) and item.reason == "read/decompression_bomb"


def test_oversized_page_and_line_are_rejected_without_losing_the_rest(tmp_path: Path) -> None:
    page = tmp_path / "big.html"
    page.write_bytes(b"<p>" + b"x" * 20_000)
    assert [i.reason for i in read_path(page)] == ["read/too_large"]
    lines = tmp_path / "lines.jsonl"
    lines.write_bytes(b'{"text": "' + b"y" * 30_000 + b'"}\n{"text": "klein"}\n')
    items = read_path(lines)
    assert [type(i).__name__ for i in items] == ["Reject", "RawDocument"]
    assert items[0].reason == "read/too_large" and items[1].body == "klein"
    assert items[1].source_uri.endswith("#L2")


@pytest.mark.parametrize("content, reason", [
    (b"", "read/empty"), (b"  \n\t\n", "read/empty"), (b"\xef\xbb\xbf\n", "read/empty"),
    (b"%PDF-1.7\n%binary", "read/binary"), (b"\x89PNG\r\n\x1a\n\x00\x00", "read/binary"),
    (b"text\x00\x00\x00\x00" * 10, "read/binary"),
])
def test_empty_and_binary_files_are_rejects(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(content)
    [item] = read_path(path)
    assert isinstance(item, Reject) and item.reason == reason


def test_unsupported_extension_and_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    path.write_bytes(b"whatever")
    assert [i.reason for i in read_path(path)] == ["read/unsupported_type"]
    big = tmp_path / "y.txt"
    big.write_bytes(b"a" * 200)
    assert [i.reason for i in read_path(big, ReadSettings(max_file_bytes=100))] == ["read/file_too_large"]


def test_latin1_html_without_declaration_gets_correct_umlauts(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_bytes("<html><body><p>Die Bundesregierung äußerte sich über Gespräche.</p></body></html>".encode("cp1252"))
    [doc] = read_path(path)
    assert "äußerte" in doc.body and "\ufffd" not in doc.body and doc.encoding == "cp1252"


def test_guarded_gunzip_counts_decompressed_bytes() -> None:
    stream, gz = payload.open_payload(io.BytesIO(gzip.compress(b"abc" * 10)), SETTINGS)
    assert gz and stream.read() == b"abc" * 10


@pytest.mark.parametrize("meta", [b"{not json", b"[1, 2]", b"[" * 100_000, b"{" + b" " * (2 << 20) + b"}"])
def test_a_bad_sidecar_is_a_reject_and_the_article_is_still_read(tmp_path: Path, meta: bytes) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Titel\n\nText des Artikels.\n", encoding="utf-8")
    reject, doc = read_path(path, meta=meta)
    assert isinstance(reject, Reject) and reject.reason == "read/invalid_sidecar"
    assert reject.source_uri == str(tmp_path / "a.meta.json")
    assert isinstance(doc, RawDocument) and doc.title == "Titel" and doc.url is None


def _jsonl(count: int) -> bytes:
    return b"".join(json.dumps({"url": f"https://example.org/{i}", "text": f"Artikel {i}. " * 20}).encode() + b"\n"
                    for i in range(count))


@pytest.mark.parametrize("gzipped", [False, True])
def test_json_lines_stream_past_the_whole_file_cap(tmp_path: Path, gzipped: bool) -> None:
    """Issue #24/#25: a JSON Lines file is read line by line with only the per-line cap; the whole-file
    and the decompressed-size caps are for files read whole (a gzipped dump of a few GB is normal)."""
    data = _jsonl(500)
    path = tmp_path / ("dump.jsonl.gz" if gzipped else "dump.jsonl")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    settings = ReadSettings(max_file_bytes=1_000, max_decompressed_bytes=10_000, max_document_bytes=10_000)
    items = read_path(path, settings)
    assert len(items) == 500 and all(isinstance(i, RawDocument) for i in items)
    assert items[-1].source_uri.endswith("#L500") and items[-1].url == "https://example.org/499"


def test_max_records_applies_before_any_whole_file_cap(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    path.write_bytes(_jsonl(500))
    settings = ReadSettings(max_file_bytes=1_000, max_records_per_file=3)
    assert [i.source_uri.rsplit("#", 1)[1] for i in read_path(path, settings)] == ["L1", "L2", "L3"]


def test_files_parsed_whole_keep_the_whole_file_cap(tmp_path: Path) -> None:
    array = tmp_path / "array.json"
    array.write_bytes(b"[" + b",".join(json.dumps({"text": "x" * 50}).encode() for _ in range(100)) + b"]")
    [item] = read_path(array, ReadSettings(max_file_bytes=1_000))
    assert isinstance(item, Reject) and item.reason == "read/too_large" and "not JSON Lines" in item.detail
    page = tmp_path / "page.html"
    page.write_bytes(b"<p>" + b"x" * 2_000 + b"</p>")
    assert [i.reason for i in read_path(page, ReadSettings(max_file_bytes=1_000))] == ["read/file_too_large"]


def test_a_gzip_bomb_in_json_lines_is_still_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n" * 5_000_000))  # ~1000 times: no text compresses like that
    items = read_path(path, ReadSettings(max_decompressed_bytes=100_000))
    assert [i.reason for i in items] == ["read/decompression_bomb"]
