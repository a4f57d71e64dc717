"""HTML inputs without a URL take the one the page states (canonical, then og:url), with its source."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from tests.conftest import FAST_BEAM, read_table, run_cli
from transforms.clean.html import page_url


@pytest.mark.parametrize(("head", "expected"), [
    ('<link rel="canonical" href="https://a.example/x"><meta property="og:url" content="https://b.example/y">',
     ("https://a.example/x", "canonical")),
    ('<meta property="og:url" content="https://b.example/y"><link rel="canonical" href="https://a.example/x">',
     ("https://a.example/x", "canonical")),  # canonical wins whatever the order
    ("<meta content='https://b.example/y?a=1&amp;b=2' property='og:url'>", ("https://b.example/y?a=1&b=2", "og:url")),
    ('<LINK REL="alternate canonical" HREF=https://a.example/x>', ("https://a.example/x", "canonical")),
    ('<link rel="canonical" href="/story/1"><meta property="og:url" content="https://b.example/y">',
     ("https://b.example/story/1", "canonical")),  # relative, resolved against og:url's origin
    ('<link rel="canonical" href="/story/1">', None),  # relative with nothing to resolve it against
    ('<link rel="canonical" href="javascript:alert(1)"><meta name="og:url" content="https://b.example/y">',
     ("https://b.example/y", "og:url")),
    ('<link rel="stylesheet" href="https://a.example/s.css"><meta property="og:image" content="https://a.example/i.png">',
     None),
])
def test_page_url(head: str, expected: tuple[str, str] | None) -> None:
    assert page_url(f"<html><head>{head}</head><body><p>text</p></body></html>") == expected


def test_a_canonical_link_in_the_body_is_not_the_page_url() -> None:
    assert page_url('<html><head></head><body><link rel="canonical" href="https://a.example/q"></body></html>') is None


@pytest.fixture(scope="module")
def fundus_pages(corpus: Path) -> list[Path]:
    pages = sorted((corpus / "fundus" / "at").glob("DerStandard_*.html.gz"))
    if not pages:
        pytest.skip("no DerStandard page in the corpus")
    return pages


def test_html_files_get_their_url_and_a_recrawl_is_a_url_duplicate(fundus_pages: list[Path], tmp_path: Path) -> None:
    """A real fundus page saved twice (the second crawl with one more paragraph, so another content
    hash): one article with the page's canonical URL, the other a dedup/duplicate_url; the events
    link to the article."""
    page = gzip.decompress(fundus_pages[0].read_bytes()).decode("utf-8")
    expected = page_url(page)
    assert expected is not None and expected[1] == "canonical"
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(fundus_pages[0], inputs / "crawl1.html.gz")
    recrawl = page.replace("</body>", "<p>Update: Dieser Artikel wurde am Abend um einen Absatz ergänzt, "
                                      "nachdem die Redaktion weitere Stellungnahmen erhalten hatte.</p></body>", 1)
    (inputs / "crawl2.html").write_text(recrawl, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("run", str(inputs), "--output", str(out), *FAST_BEAM)
    assert result.returncode == 0, result.stderr
    articles = read_table(out, "articles")
    assert [(a["url"], a["url_source"]) for a in articles] == [expected]
    rejects = read_table(out, "rejects")
    assert [r["reason"] for r in rejects] == ["dedup/duplicate_url"]
    for row in read_table(out, "mentions"):
        assert row["url"] == expected[0]


def test_a_given_url_stays_and_says_input(tmp_path: Path, fundus_pages: list[Path]) -> None:
    """A JSON Lines record's url wins over the page's own; a text file has none."""
    import json

    page = gzip.decompress(fundus_pages[0].read_bytes()).decode("utf-8")
    inputs = tmp_path / "in"
    inputs.mkdir()
    record = {"url": "https://mirror.example/a", "html": page}
    (inputs / "a.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (inputs / "b.txt").write_text("Titel\n\n" + "Der Außenminister traf den Botschafter in Wien. " * 10, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("run", str(inputs), "--output", str(out), *FAST_BEAM)
    assert result.returncode == 0, result.stderr
    by_uri = {Path(a["source_uri"].split("#")[0]).name: a for a in read_table(out, "articles")}
    assert (by_uri["a.jsonl"]["url"], by_uri["a.jsonl"]["url_source"]) == ("https://mirror.example/a", "input")
    assert (by_uri["b.txt"]["url"], by_uri["b.txt"]["url_source"]) == (None, None)
