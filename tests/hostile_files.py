"""A folder of hostile and broken inputs, generated (never downloaded), with what each must become.

Used by the end-to-end test (tests/test_hostile_e2e.py) and, scaled up, by bench/hostile_memory.py.
``write_hostile_folder`` returns the expected outcome per input record: its source_uri mapped to
"article" or to the reject reason it must end with.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import yaml

from transforms.settings import packaged_config_dir

REPO = Path(__file__).resolve().parents[1]
SPIN_RULE = "^(a+)+$"  # a user's rule with exponential backtracking; "aaaa...!" makes it spin
GERMAN = ("Die Außenminister äußerten sich über die Gespräche in Moskau und Baku. Man habe über Handel, "
          "Energie und die Lage in der Region gesprochen, hieß es aus dem Ministerium. ")
ENGLISH = ("The foreign ministers spoke about the talks in Moscow and Baku. They discussed trade, energy and "
           "the situation in the region, the ministry said. ")


def write_config(folder: Path, *, timeout: float = 2.0, max_decompressed: int = 4 << 20) -> Path:
    """The packaged configuration, copied (relative paths keep working) with a spinning rule and tight caps."""
    shutil.copytree(packaged_config_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = folder / "pipeline.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["read"]["max_decompressed_bytes"] = max_decompressed
    data["clean"]["parse_timeout_seconds"] = timeout
    data["clean"]["generic"]["*"].append(SPIN_RULE)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _html(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>Gespräche</title></head><body><article>{body}</article></body></html>"


def _paragraphs(text: str, count: int = 4) -> str:
    return "".join(f"<p>{text * 2}</p>" for _ in range(count))


def write_hostile_folder(root: Path, copies: int = 1, big_text_node_mb: int = 25) -> dict[str, str]:
    """Write every hostile class ``copies`` times under ``root``; returns {source_uri: expected}."""
    root.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    for i in range(copies):
        expected.update(_write_set(root / f"set{i:03d}", i, big_text_node_mb if i == 0 else 0))
    return expected


def uri_matches(expected_uri: str, actual_uri: str) -> bool:
    """A file-level expectation also covers the records read from that file before it failed."""
    return actual_uri == expected_uri or actual_uri.startswith(expected_uri + "#")


def _write_set(folder: Path, n: int, big_text_node_mb: int) -> dict[str, str]:
    folder.mkdir(parents=True)
    out: dict[str, str] = {}
    unique = f" Meldung {n}."  # so copies are not duplicates of each other

    def put(name: str, data: bytes | str, expect: str | None) -> Path:
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        if expect is not None:
            out[str(path)] = expect
        return path

    # --- files
    put("empty.txt", b"", "read/empty")
    put("bom_only.txt", b"\xef\xbb\xbf \r\n\t\n", "read/empty")
    put("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "read/binary")
    put("report.html", b"%PDF-1.7\n" + bytes(range(256)) * 8, "read/binary")
    put("nul_bytes.txt", b"Titel\n" + b"\x00\x01\x02\x03" * 500, "read/binary")
    whole = gzip.compress(("Titel\n\n" + GERMAN * 200 + unique).encode())
    put("cut.txt.gz", whole[: len(whole) // 2], "read/truncated_gzip")
    cut_lines = gzip.compress(b"".join(json.dumps({"text": GERMAN * 2 + f"Nummer {k}.{unique}"}).encode() + b"\n"
                                       for k in range(300)))
    put("cut_lines.jsonl.gz", cut_lines[: len(cut_lines) * 2 // 3], None)  # records before the cut may come out
    out[str(folder / "cut_lines.jsonl.gz")] = "read/truncated_gzip"
    put("bomb.html.gz", gzip.compress(b"<p>" + b"A" * (20 << 20)), "read/decompression_bomb")
    put("corrupt.txt.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 200, "read/corrupt_gzip")
    put("plain_named.txt.gz", "Klartext unter gz-Namen\n\n" + GERMAN * 3 + unique, "article")
    put("gzip_named.txt", gzip.compress(("Gzip unter txt-Namen\n\n" + ENGLISH * 3 + unique).encode()), "article")
    multi = put("multi.jsonl.gz", gzip.compress(json.dumps({"text": GERMAN * 2 + "eins" + unique}).encode() + b"\n")
                + gzip.compress(json.dumps({"text": ENGLISH * 2 + "two" + unique}).encode() + b"\n"), None)
    out[f"{multi}#L1"] = out[f"{multi}#L2"] = "article"
    put("huge_page.html", b"<html><body><p>" + b"x" * (9 << 20) + b"</p></body></html>", "read/too_large")
    if big_text_node_mb:
        put("text_node.html", b"<html><body><p>" + b"Wort " * (big_text_node_mb << 18) + b"</p></body></html>",
            "read/too_large")
    put("notes.docx", b"PK\x03\x04 not really", "read/unsupported_type")

    # --- JSON Lines: every line its own record
    lines: list[tuple[bytes, str | None]] = [
        (json.dumps({"url": f"https://example.org/ok/{n}", "title": "Gut", "text": GERMAN * 3 + "Gut." + unique,
                     "published_at": "2024-05-31T10:00:00", "mystery_field": {"x": 1}}).encode(), "article"),
        (b"{not json at all", "read/invalid_json"),
        (b"[" * 100_000, "read/invalid_json"),
        (json.dumps({"title": ["a"], "text": GERMAN}).encode(), "read/invalid_record"),
        (json.dumps({"title": "ohne Text"}).encode(), "read/missing_text"),
        (json.dumps({"text": 42}).encode(), "read/invalid_record"),
        (json.dumps([1, 2, 3]).encode(), "read/invalid_record"),
        (b"", None),  # a blank line is no record
        (json.dumps({"text": GERMAN * 3 + "13" + unique, "published_at": "2024-13-45"}).encode(), "article"),
        (json.dumps({"text": GERMAN * 3 + "0001" + unique, "published_at": "0001-01-01T00:00:00+05:00"}).encode(),
         "article"),
        (json.dumps({"text": ENGLISH * 3 + "9999" + unique, "published_at": "9999-12-31"}).encode(), "article"),
        (b'{"text": "' + (ENGLISH * 3 + "nan" + unique).encode() + b'", "published_at": NaN}', "article"),
        (json.dumps({"text": ENGLISH * 3 + "1e20" + unique, "published_at": 1e20}).encode(), "article"),
        (json.dumps({"text": GERMAN * 3 + "\ud800 halbes Paar" + unique, "title": "Kaputt \udfff"}).encode(), "article"),
        (json.dumps({"url": f"https://example.org/evil/{n}", "text": ENGLISH * 3 + "evil" + unique,
                     "title": "../../../../tmp/pwned", "source": "../../etc/passwd",
                     "language": "../../etc"}).encode(), "article"),
        (json.dumps({"html": _html("<nav>Home | Impressum</nav><p>Cookies akzeptieren</p>")}).encode(),
         "clean/too_short"),
        (b'{"text": "' + b"y" * (9 << 20) + b'"}', "read/too_large"),
        (json.dumps({"text": ENGLISH * 3 + "after the giant line" + unique}).encode(), "article"),
    ]
    jsonl = folder / "mixed.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + b"\n".join(line for line, _ in lines) + b"\n")
    for number, (_, expect) in enumerate(lines, start=1):
        if expect is not None:
            out[f"{jsonl}#L{number}"] = expect

    # --- text and HTML
    put("cp1252_undeclared.html", _html(_paragraphs(GERMAN + " Ohne Angabe." + unique)).encode("cp1252"), "article")
    put("wrong_declaration.html", _html(_paragraphs(GERMAN + " Falsche Angabe." + unique), '<meta charset="utf-8">'
                                        ).encode("cp1252"), "article")
    put("latin1_declared_utf8_bytes.html",
        _html(_paragraphs(GERMAN + " Latin-1 behauptet." + unique),
              '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">').encode("utf-8"), "article")
    put("mostly_utf8.txt", ("Gemischt\n\n" + GERMAN * 3 + unique).encode("utf-8") + b" Stra\xdfe und Gr\xfc\xdfe.",
        "article")
    put("nested.html", "<html><body>" + "<div>" * 100_000 + _paragraphs(GERMAN + unique) + "</div>" * 100_000
        + "</body></html>", "nested")
    put("navigation_only.html", "<html><body><nav><a href='/'>Home</a> <a href='/i'>Impressum</a></nav>"
        "<div class='cookie'>Wir verwenden Cookies. Akzeptieren</div></body></html>", "clean/too_short")
    put("boilerplate_only.txt", "Nur Verweise\n\n" + "\n".join(
        f"Mehr zum Thema - Ein anderer Artikel über etwas anderes, hier nur verlinkt ({k}).{unique}" for k in range(4)),
        "article")
    put("spin.txt", f"Regel dreht durch\n\n{GERMAN * 2}{unique}\n\n" + "a" * 40 + "!", "parse/timeout")
    put("with_bad_sidecar.txt", "Sidecar kaputt\n\n" + GERMAN * 3 + "Ohne Metadaten." + unique, "article")
    put("with_bad_sidecar.meta.json", b"[" * 50_000, "read/invalid_sidecar")  # not an input, but reported
    for seed in sorted((REPO / "seeds").glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
        if n == 0:
            out[str(folder / seed.name)] = "article"
        else:
            out[str(folder / seed.name)] = "dedup"  # the same seed again: one article, the rest duplicates
    return out
