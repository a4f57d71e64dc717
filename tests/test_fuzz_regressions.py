"""Inputs found by bench/fuzz_inputs.py (mutations of corpus files), minimised; each broke the
contract "every record ends as a document or a reject, the rest of the file is still read"."""

from __future__ import annotations

import re

import pytest

from tests.test_warc import PAGE, gz_members, http_response, read, warc_record
from transforms.records import RawDocument, Reject

AFTER = warc_record("response", "https://a.example/after", http_response(PAGE))


def outcomes(items: list[RawDocument | Reject]) -> list[str]:
    return [i.reason if isinstance(i, Reject) else "doc" for i in items]


def container(record: bytes, plain: bool) -> tuple[bytes, str]:
    return (record + AFTER, "t.warc") if plain else (gz_members(record, AFTER), "t.warc.gz")


@pytest.mark.parametrize("plain", [True, False], ids=["warc", "warc.gz"])
@pytest.mark.parametrize("length", ["abc", "1e3", "0x10", "99999999999999999999", "1" * 40])
def test_a_content_length_that_is_no_byte_count_is_a_reject_and_the_next_record_is_read(length: str,
                                                                                       plain: bool) -> None:
    # warcio reads "abc" as length 0 and our check then raised ValueError; a number beyond
    # sys.maxsize made warcio's LimitReader raise OverflowError: the whole file was lost
    record = warc_record("response", "https://a.example/1", http_response(PAGE), length=length)
    data, name = container(record, plain)
    items, _ = read(data, name=name)
    assert outcomes(items)[0] == "read/warc_bad_content_length"
    assert "Content-Length" in items[0].detail
    assert outcomes(items)[-1] == "doc" and items[-1].url == "https://a.example/after"
    assert set(outcomes(items)[1:-1]) <= {"read/warc_bytes_skipped"}


@pytest.mark.parametrize("plain", [True, False], ids=["warc", "warc.gz"])
def test_a_response_without_target_uri_is_a_corrupt_record_and_the_next_record_is_read(plain: bool) -> None:
    # warcio calls uri.startswith() on the missing header: AttributeError escaped iter_warc
    record = re.sub(rb"WARC-Target-URI: [^\r]*\r\n", b"",
                    warc_record("response", "https://a.example/1", http_response(PAGE)))
    data, name = container(record, plain)
    items, _ = read(data, name=name)
    assert outcomes(items)[0] == "read/corrupt_warc_record" and "WARC-Target-URI" in items[0].detail
    assert outcomes(items)[-1] == "doc" and items[-1].url == "https://a.example/after"
    assert set(outcomes(items)[1:-1]) <= {"read/warc_bytes_skipped"}


@pytest.mark.parametrize(("rtype", "lie"), [("response", 100_000), ("warcinfo", 10**30)])
def test_a_content_length_past_the_end_of_a_plain_warc_does_not_swallow_the_records_after_it(rtype: str,
                                                                                             lie: int) -> None:
    # the block ran to EOF: "truncated", and the three whole records inside it were never read or counted
    block = http_response(PAGE)
    liar = warc_record(rtype, "https://a.example/liar", block, length=len(block) + lie)
    after = [warc_record("response", f"https://a.example/after{i}", http_response(PAGE)) for i in range(3)]
    items, _ = read(liar + b"".join(after), name="t.warc")
    assert outcomes(items) == ["read/warc_length_mismatch", "doc", "doc", "doc"]
    assert items[0].source_uri == "t.warc#O0" and "starts inside it" in items[0].detail
    assert [i.url for i in items[1:]] == [f"https://a.example/after{i}" for i in range(3)]
    assert items[1].source_uri == f"t.warc#O{len(liar)}"
