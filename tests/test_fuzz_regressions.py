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
