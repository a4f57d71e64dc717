"""WARC reading: the corpus WARCs, and hostile records built byte by byte."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import gzip
import io
from pathlib import Path

import pytest

from transforms.read.warc import iter_warc
from transforms.records import RawDocument, Reject
from transforms.settings import ReadSettings

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "warc"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

PAGE = b"<!doctype html><html><head><title>T</title></head><body><p>" + "Außenminister trafen sich. ".encode() * 20 + b"</p></body></html>"


def warc_record(rtype: str, uri: str, block: bytes, length: int | None = None, headers: dict | None = None) -> bytes:
    fields = {
        "WARC-Type": rtype,
        "WARC-Record-ID": f"<urn:uuid:{abs(hash((rtype, uri, block))):032x}>",
        "WARC-Date": "2024-05-02T10:00:00Z",
        "WARC-Target-URI": uri,
        "Content-Type": "application/http; msgtype=response" if rtype == "response" else "application/octet-stream",
        "Content-Length": str(len(block) if length is None else length),
        **(headers or {}),
    }
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    return head.encode() + block + b"\r\n\r\n"


def http_response(body: bytes, content_type: str = "text/html; charset=utf-8", status: str = "200 OK",
                  extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}\r\n".encode() + body


def read(data: bytes, settings: ReadSettings | None = None, name: str = "t.warc.gz"):
    skipped: collections.Counter[str] = collections.Counter()
    items = list(iter_warc(io.BytesIO(data), name, settings or ReadSettings(), lambda k: skipped.update([k])))
    return items, skipped


def docs(items):
    return [i for i in items if isinstance(i, RawDocument)]


def rejects(items):
    return [i.reason for i in items if isinstance(i, Reject)]


def gz_members(*records: bytes) -> bytes:
    return b"".join(gzip.compress(r) for r in records)


# --- the corpus ----------------------------------------------------------------------


@needs_corpus
def test_assembled_warc_gives_one_article_per_indexed_response():
    with open(CORPUS / "assembled" / "fundus-news-sample.index.tsv", encoding="utf-8") as handle:
        index = list(csv.DictReader(handle, delimiter="\t"))
    items, skipped = read((CORPUS / "assembled" / "fundus-news-sample.warc.gz").read_bytes())
    assert rejects(items) == []
    articles = docs(items)
    assert [a.url for a in articles] == [row["warc_target_uri"] for row in index]
    for article, row in zip(articles, index, strict=True):
        assert article.published_at == dt.datetime.fromisoformat(row["warc_date"].replace("Z", "+00:00"))
        assert article.published_basis == "warc_date"
        assert article.kind == "html" and article.encoding == "utf-8" and "<html" in article.body.lower()
    assert skipped == {"warcinfo": 1}
    assert len({a.source_uri for a in articles}) == len(articles)  # the Taz re-crawl shares a URL, not a source_uri


@needs_corpus
@pytest.mark.parametrize(
    ("name", "records", "articles"),
    [("wikipedia-main-page-2012-01-19.warc.gz", 151, 1), ("archive-org-wget-2013.warc.gz", 36, 2)],
)
def test_real_warcs_count_every_non_article_record(name, records, articles):
    items, skipped = read((CORPUS / name).read_bytes())
    assert rejects(items) == []
    assert len(docs(items)) == articles
    assert len(docs(items)) + sum(skipped.values()) == records  # every record is an article or counted
    assert skipped["request"] > 0 and skipped["response_non_html"] > 0


@needs_corpus
def test_wikipedia_main_page_takes_last_modified_as_fallback_date():
    items, _ = read((CORPUS / "wikipedia-main-page-2012-01-19.warc.gz").read_bytes())
    (page,) = docs(items)
    assert page.url == "http://en.wikipedia.org/wiki/Main_Page"
    assert page.published_basis == "http_last_modified"
    assert page.published_at.tzinfo is not None and page.published_at.date() <= dt.date(2012, 1, 19)


@needs_corpus
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_warc_gz_is_a_reject_never_half_read(keep):
    data = (CORPUS / "assembled" / "fundus-news-sample.warc.gz").read_bytes()
    full = docs(read(data)[0])
    items, _ = read(data[: int(len(data) * keep)])
    assert rejects(items) == ["read/truncated_gzip"]
    assert isinstance(items[-1], Reject)
    read_ok = docs(items)
    assert read_ok == full[: len(read_ok)]  # what came before the cut is whole and unchanged
    assert len(read_ok) < len(full)


@needs_corpus
def test_cut_inside_the_gzip_trailer_is_still_a_reject():
    data = (CORPUS / "assembled" / "fundus-news-sample.warc.gz").read_bytes()
    items, _ = read(data[:-3])  # the payload inflates completely; CRC and size are missing
    assert rejects(items) == ["read/truncated_gzip"]
    assert len(docs(items)) == 22


# --- hostile records -----------------------------------------------------------------


def test_plain_warc_cut_mid_payload_is_truncated_record():
    good = warc_record("response", "https://a.example/1", http_response(PAGE))
    cut = warc_record("response", "https://a.example/2", http_response(PAGE))[:-200]
    items, _ = read(good + cut, name="t.warc")
    assert [d.url for d in docs(items)] == ["https://a.example/1"]
    assert rejects(items) == ["read/truncated_warc_record"]
    assert items[-1].source_uri == f"t.warc#O{len(good)}"


@pytest.mark.parametrize("delta", [-40, +40, +100_000])
def test_lying_content_length_in_gzip_member_is_rejected_and_next_record_read(delta):
    block = http_response(PAGE)
    liar = warc_record("response", "https://a.example/liar", block, length=len(block) + delta)
    after = warc_record("response", "https://a.example/after", http_response(PAGE))
    items, _ = read(gz_members(warc_record("warcinfo", "", b"x: y\r\n"), liar, after))
    assert rejects(items) == ["read/warc_length_mismatch"]
    assert [d.url for d in docs(items)] == ["https://a.example/after"]


@pytest.mark.parametrize("delta", [-40, +40])
def test_lying_content_length_in_plain_warc_resyncs_at_next_record(delta):
    block = http_response(PAGE)
    liar = warc_record("response", "https://a.example/liar", block, length=len(block) + delta)
    after = warc_record("response", "https://a.example/after", http_response(PAGE))
    items, _ = read(liar + after, name="t.warc")
    # the liar is rejected; the bytes between its claimed end and the next record header are
    # reported, and +40 swallowed the next record's first header line, so that record is among them
    assert rejects(items) == ["read/warc_length_mismatch", "read/warc_bytes_skipped"]
    assert [d.url for d in docs(items)] == (["https://a.example/after"] if delta < 0 else [])


def test_non_article_records_are_counted_not_rejected():
    records = [
        warc_record("warcinfo", "", b"software: test\r\n"),
        warc_record("request", "https://a.example/", b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n"),
        warc_record("response", "https://a.example/logo.png", http_response(b"\x89PNG\r\n\x1a\n....", "image/png")),
        warc_record("response", "https://a.example/old", http_response(b"", status="301 Moved", extra="Location: /\r\n")),
        warc_record("metadata", "https://a.example/", b"via: x\r\n"),
        warc_record("revisit", "https://a.example/", b"HTTP/1.1 304 Not Modified\r\n\r\n"),
        warc_record("response", "dns:a.example", b"20240502 a.example 1.2.3.4"),
        warc_record("response", "https://a.example/", http_response(PAGE)),
    ]
    items, skipped = read(gz_members(*records))
    assert rejects(items) == [] and len(docs(items)) == 1
    assert skipped == {"warcinfo": 1, "request": 1, "response_non_html": 1, "response_status_3xx": 1,
                       "metadata": 1, "revisit": 1, "response_not_http": 1}


def test_chunked_and_gzip_encoded_payload_is_decoded():
    encoded = gzip.compress(PAGE)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (encoded[:50], encoded[50:])) + b"0\r\n\r\n"
    block = http_response(chunked, extra="Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n")
    items, _ = read(gz_members(warc_record("response", "https://a.example/", block)))
    (doc,) = docs(items)
    assert doc.body == PAGE.decode("utf-8") and doc.input_bytes == len(chunked)


def test_legacy_charset_from_http_header_is_used():
    body = "<html><body><p>Außenminister Lawrow äußerte sich.</p></body></html>".encode("cp1252")
    items, _ = read(gz_members(warc_record("response", "https://a.example/", http_response(body, "text/html; charset=windows-1252"))))
    (doc,) = docs(items)
    assert "Außenminister" in doc.body and doc.encoding == "cp1252"


def test_oversized_payload_is_rejected_and_the_next_record_read():
    big = warc_record("response", "https://a.example/big", http_response(PAGE * 50))
    small = warc_record("response", "https://a.example/small", http_response(PAGE))
    items, _ = read(gz_members(big, small), ReadSettings(max_document_bytes=len(PAGE) * 2))
    assert rejects(items) == ["read/too_large"]
    assert [d.url for d in docs(items)] == ["https://a.example/small"]


def test_gzip_bomb_payload_is_too_large_not_inflated():
    bomb = gzip.compress(b"<html>" + b" " * 5_000_000)
    block = http_response(bomb, extra="Content-Encoding: gzip\r\n")
    items, _ = read(gz_members(warc_record("response", "https://a.example/", block)), ReadSettings(max_document_bytes=100_000))
    assert rejects(items) == ["read/too_large"]


def test_max_records_stops_early():
    records = [warc_record("response", f"https://a.example/{n}", http_response(PAGE)) for n in range(5)]
    items, skipped = read(gz_members(*records), ReadSettings(max_records_per_file=2))
    assert [d.url for d in docs(items)] == ["https://a.example/0", "https://a.example/1"]
    assert skipped["max_records_reached"] == 1


def test_whole_file_gzip_is_read_too():
    records = [warc_record("response", f"https://a.example/{n}", http_response(PAGE)) for n in range(3)]
    items, _ = read(gzip.compress(b"".join(records)))
    assert [d.url for d in docs(items)] == [f"https://a.example/{n}" for n in range(3)]
    assert [d.source_uri for d in docs(items)] == ["t.warc.gz#O0", "t.warc.gz#O0+1", "t.warc.gz#O0+2"]


def test_garbage_after_members_is_a_reject():
    data = gz_members(warc_record("response", "https://a.example/", http_response(PAGE))) + b"not gzip at all"
    items, _ = read(data)
    assert len(docs(items)) == 1 and rejects(items) == ["read/corrupt_gzip"]


class _CountingStream(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner, self.consumed, self.largest_read = io.BytesIO(data), 0, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size if size >= 0 else 1 << 60)
        data = self._inner.read(size)
        self.consumed += len(data)
        return data


def test_large_warc_is_streamed_not_loaded():
    record = gzip.compress(warc_record("response", "https://a.example/", http_response(PAGE * 20)))
    data = record * 2000  # ~ several MB compressed, far more inflated
    stream = _CountingStream(data)
    items = iter_warc(stream, "big.warc.gz", ReadSettings(), lambda _k: None)
    first = next(items)
    assert isinstance(first, RawDocument)
    assert stream.consumed < 256 * 1024 < len(data)  # the first article came before the file was read
    assert stream.largest_read <= 64 * 1024
    assert sum(1 for _ in items) == 1999


def test_offset_range_reads_only_members_starting_in_range():
    members = [gzip.compress(warc_record("response", f"https://a.example/{n}", http_response(PAGE))) for n in range(4)]
    data = b"".join(members)
    split = len(members[0]) + len(members[1])
    first = io.BytesIO(data)
    second = io.BytesIO(data)
    second.seek(split)
    part1 = list(iter_warc(first, "f.warc.gz", ReadSettings(), lambda _k: None, end_offset=split))
    part2 = list(iter_warc(second, "f.warc.gz", ReadSettings(), lambda _k: None, base_offset=split))
    assert [d.url for d in part1 + part2] == [f"https://a.example/{n}" for n in range(4)]
    assert part2[0].source_uri == f"f.warc.gz#O{split}"


@needs_corpus
@pytest.mark.parametrize("split_bytes", [50_000, 300_000])
def test_ranges_of_a_big_warc_gz_together_read_every_record_once(split_bytes):
    from transforms.read.warcsplit import iter_warc_range, split_ranges

    data = (CORPUS / "assembled" / "fundus-news-sample.warc.gz").read_bytes()
    whole = docs(read(data)[0])
    ranges = split_ranges(len(data), split_bytes)
    assert len(ranges) > 3
    parts = []
    for start, end in ranges:
        parts += list(iter_warc_range(io.BytesIO(data), "t.warc.gz", ReadSettings(), lambda _k: None, start, end))
    assert parts == whole  # same records, same source_uri offsets, nothing twice, nothing lost


def test_split_ranges_cover_the_file():
    from transforms.read.warcsplit import split_ranges

    assert split_ranges(10, 100) == [(0, None)]
    assert split_ranges(250, 100) == [(0, 100), (100, 200), (200, None)]


@pytest.mark.parametrize("value, expected", [
    ("2024-05-01T10:00:00Z", dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)),
    ("2024-05-01T10:00:00.5Z", dt.datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=dt.timezone.utc)),  # 1 digit
    ("2024-05-01T12:00:00.12345+02:00", dt.datetime(2024, 5, 1, 10, 0, 0, 123450, tzinfo=dt.timezone.utc)),
    ("2024-05-01T10:00:00", dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)),  # naive: taken as UTC
    ("2024-13-01T00:00:00Z", None), ("yesterday", None), ("", None),
])
def test_warc_date_fractions_of_any_length_are_read_and_nonsense_is_none(value, expected) -> None:  # type: ignore[no-untyped-def]
    """WARC-Date may carry 1-9 fractional digits (WARC 1.1); Python 3.10's fromisoformat took only 3 or 6."""
    from transforms.read.warchttp import parse_iso

    assert parse_iso(value) == expected
