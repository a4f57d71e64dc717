"""``eventwire report``: the self-contained HTML page, parsed back with the standard library."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from pipeline.view import report, tables
from tests import view_data as vd


class Page(HTMLParser):
    """Collects tags (with attributes), per-id element counts and the visible text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.inside: dict[str, list[str]] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        for owner in self.stack:
            self.inside[owner].append(tag)
        if attributes.get("id"):
            self.stack.append(attributes["id"])
            self.inside[attributes["id"]] = []

    def handle_endtag(self, tag):
        if self.stack and tag in ("svg", "table", "div") and self._owner_tag(self.stack[-1]) == tag:
            self.stack.pop()

    def _owner_tag(self, owner: str) -> str:
        return next(t for t, a in self.tags if a.get("id") == owner)

    def handle_data(self, data):
        self.text.append(data)

    def count(self, owner: str, tag: str) -> int:
        return self.inside.get(owner, []).count(tag)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def render_file(tmp_path: Path, root: Path, *extra: str) -> str:
    target = tmp_path / "report.html"
    assert report.main([str(root), "--html", str(target), *extra]) == 0
    return target.read_text(encoding="utf-8")


def assert_self_contained(page: Page) -> None:
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "img", "object", "embed"), tag
        assert "src" not in attrs, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "a":
            assert re.match(r"https?://", attrs["href"] or ""), attrs


def test_seed_report_shows_the_three_events(tmp_path):
    html = render_file(tmp_path, vd.seed_like(tmp_path / "out"))
    page = Page(html)
    assert_self_contained(page)
    text = page.plain
    # header scope
    assert "3 events, 2020-05-31 (+2 date unknown)" in text
    assert "2 articles published 2020-05-31 (1 without a publication date)" in text
    assert "ingested 2024-01-02" in text and "languages: de 2" in text and "1 reject" in text
    # top events table: one row per event, undated ones say so
    assert page.count("top-events", "tr") == 4  # header + 3
    assert text.count("date unknown") >= 3  # header, timeline label, 2 table rows
    for words in ("CONSULT/phone", "CONSULT/meeting", "AZE:foreign_minister", "AFG:foreign_minister",
                  "RUS:deputy_head_of_government", "Mohammad Hanif Atmar", "Schahin Mustafajew"):
        assert words in text, words
    links = [a["href"] for t, a in page.tags if t == "a"]
    assert links == ["https://azertag.az/de/xeber/1"]  # the RT DE seed has no URL: no link, its title only
    assert "RT DE: Lawrow telefoniert mit Bairamow" in text
    # charts: 2 bars (one day + date unknown), 3 nodes, 2 edges
    assert page.count("timeline", "rect") - 1 == 2  # minus the legend swatch
    assert page.count("network", "circle") == 3 and page.count("network", "line") == 2
    # rejects by reason
    assert page.count("rejects", "tr") == 2 and "read/truncated_gzip" in text


def test_untrusted_text_is_escaped_and_only_http_links_are_made(tmp_path):
    bad = vd.article("evil", "javascript:alert(1)", "<script>alert('t')</script>", "en", None, "<b>src</b>")
    good = vd.article("ok", "https://ok.example/a?x=1&y='2'", "fine", "en", None, "OK")
    row = vd.event("e1", None, "ACCUSE", None, "112", 3,
                   [vd.person("<img src=x onerror=alert(1)>", "USA:government", "USA", "government")],
                   "He said </td><script>alert(2)</script>", None, ["evil", "ok"])
    root = vd.write_output(tmp_path / "out", [row], [vd.mention(row, bad, 1), vd.mention(row, good, 1)], [bad, good],
                           [vd.reject("<svg onload=alert(3)>", "read", "read/bad")])
    html = render_file(tmp_path, root)
    page = Page(html)
    assert_self_contained(page)
    assert "<script" not in html and "<img" not in html and "<svg onload" not in html
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html
    assert [a["href"] for t, a in page.tags if t == "a"] == ["https://ok.example/a?x=1&y='2'"]
    assert report.safe_url("JAVASCRIPT:alert(1)") is None and report.safe_url("//host/x") is None
    assert report.safe_url("data:text/html,x") is None and report.safe_url("HTTPS://x.example") == "HTTPS://x.example"


def test_empty_output_says_no_events_yet(tmp_path):
    root = tmp_path / "out"
    (root / "events").mkdir(parents=True)
    html = render_file(tmp_path, root)
    page = Page(html)
    assert "No events yet" in page.plain and "0 events" in page.plain
    assert not any(t == "svg" and a.get("class") == "chart" for t, a in page.tags)
    assert report.main([str(tmp_path / "missing"), "--html", str(tmp_path / "x.html")]) == 2


def test_thousands_of_events_are_aggregated(tmp_path):
    root = vd.many(tmp_path / "out", count=3000)
    html = render_file(tmp_path, root, "--top", "40", "--by", "quad")
    page = Page(html)
    assert_self_contained(page)
    assert "Events per week, by quad class" in page.plain
    assert page.count("top-events", "tr") == 41
    assert page.count("network", "circle") == 25 and page.count("network", "line") <= 60
    assert "3 smaller actors" in page.plain
    bars = page.count("timeline", "rect") - 4  # minus the four quad class swatches
    assert 0 < bars <= 41 * 4  # ~39 weeks + date unknown, at most one rect per class each
    assert len(html) < 400_000


def test_report_reads_only_the_view_columns(tmp_path):
    root = vd.seed_like(tmp_path / "out")
    view = tables.read_view(str(root))
    assert "text" not in view["articles"][0] and "removed" not in view["articles"][0]
    html = report.render(str(root), view)
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>")
