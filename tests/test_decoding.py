from __future__ import annotations

import pytest

from transforms.read.decoding import declared_charset, decode_bytes, sniff_binary

GERMAN = "Die Außenminister äußerten sich über Gespräche in Moskau – „konstruktiv“, hieß es."


def test_utf8_is_taken_as_is() -> None:
    assert decode_bytes(GERMAN.encode("utf-8")) == (GERMAN, "utf-8")


def test_windows_1252_without_declaration() -> None:
    assert decode_bytes(GERMAN.encode("cp1252")) == (GERMAN, "cp1252")


def test_wrong_declaration_is_overruled_by_the_bytes() -> None:
    assert decode_bytes(GERMAN.encode("cp1252"), declared="utf-8")[0] == GERMAN
    assert decode_bytes(GERMAN.encode("utf-8"), declared="iso-8859-1") == (GERMAN, "utf-8")


def test_mostly_utf8_with_a_stray_legacy_byte_keeps_its_umlauts() -> None:
    text, encoding = decode_bytes(GERMAN.encode("utf-8") + b" Stra\xdfe")
    assert text == GERMAN + " Straße" and encoding == "utf-8+cp1252"


def test_cyrillic_legacy_bytes_are_not_forced_into_cp1252() -> None:
    text = "Министр иностранных дел России провёл переговоры с коллегой"
    assert decode_bytes(text.encode("cp1251"))[0] == text


@pytest.mark.parametrize("data, kind", [(b"%PDF-1.4", "pdf"), (b"\x1f\x8b\x08", "gzip"), (b"PK\x03\x04", "zip"),
                                        (b"\x00" * 100, "binary")])
def test_binary_magic(data: bytes, kind: str) -> None:
    assert sniff_binary(data) == kind


def test_text_and_utf16_with_bom_are_not_binary() -> None:
    assert sniff_binary(b"<html>") is None
    assert sniff_binary("Hallo".encode("utf-16")) is None


def test_declared_charset_from_meta() -> None:
    assert declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">') == "iso-8859-1"
    assert declared_charset(b"<meta charset='utf-8'>") == "utf-8"
