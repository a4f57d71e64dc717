"""Oversized JSON-LD blocks: removed before extraction, the rest of the page as it was."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip

import pytest

from tests.conftest import FIXTURES
from transforms.clean.document import CleanTask, clean_document
from transforms.clean.jsonld import without_oversized_jsonld
from transforms.clean.rules import compile_rules
from transforms.clean.stage import guarded_clean
from transforms.isolation.worker import GuardedWorker
from transforms.read.decoding import declared_charset, decode_bytes
from transforms.records import Article, RawDocument, Reject
from transforms.settings import load_settings

NOW = dt.datetime(2024, 8, 5, tzinfo=dt.timezone.utc)
SETTINGS = load_settings()
RULES = compile_rules(SETTINGS.clean)
HEAD, TAIL = "<html><head><title>T</title>", "</head><body><p>Text.</p></body></html>"


def page(*scripts: str) -> str:
    return HEAD + "".join(scripts) + TAIL


def test_a_block_longer_than_the_limit_goes_and_nothing_else_changes() -> None:
    big = '<script type="application/ld+json">{"x": "' + "a" * 200 + '"}</script>'
    small = '<script type="application/ld+json">{"y": 1}</script>'
    assert without_oversized_jsonld(page(small, big, small), 100) == page(small, small)


def test_a_page_without_such_a_block_comes_back_as_the_same_object() -> None:
    html = page('<script type="application/ld+json">{"y": 1}</script>', "<p>" + "b" * 500 + "</p>")
    assert without_oversized_jsonld(html, 100) is html
    big = page('<script type="application/ld+json">{"x": "' + "a" * 200 + '"}</script>')
    assert without_oversized_jsonld(big, 0) is big  # 0: no limit
    assert without_oversized_jsonld(big, 10_000) is big  # the whole page is shorter than the limit


@pytest.mark.parametrize("tag", [
    '<script type="application/settings+json">',
    "<SCRIPT TYPE='application/ld+json'>",
    '<script id="json-ld" type=application/ld+json data-x="1">',
])
def test_what_trafilatura_reads_as_json_ld_is_recognised(tag: str) -> None:
    assert without_oversized_jsonld(page(tag + "z" * 200 + "</SCRIPT >"), 100) == page()


@pytest.mark.parametrize("tag", [
    '<script type="application/json">',  # not JSON-LD: trafilatura does not read it for metadata
    '<script type="application/LD+JSON">',  # its XPath compares the type's value as is
    "<script>",
])
def test_other_scripts_stay_whatever_their_size(tag: str) -> None:
    html = page(tag + "z" * 200 + "</script>")
    assert without_oversized_jsonld(html, 100) is html


def test_the_type_named_in_text_is_not_a_block() -> None:
    html = page() + "<p>served as application/ld+json " + "c" * 200 + "</p>"
    assert without_oversized_jsonld(html, 100) is html


def test_an_unterminated_block_runs_to_the_end_of_the_page() -> None:
    assert without_oversized_jsonld(HEAD + '<script type="application/ld+json">' + "d" * 200, 100) == HEAD


def mirror_live_blog() -> RawDocument:
    """A real live blog (The Mirror, fundus corpus) with an 841 KB JSON-LD block."""
    data = gzip.decompress((FIXTURES / "liveblog" / "TheMirror_2024_08_05.html.gz").read_bytes())
    html, _ = decode_bytes(data, declared_charset(data))
    return RawDocument(source_uri="mirror.html", kind="html", body=html,
                       url="https://www.mirror.co.uk/news/uk-news/uk-riots-live-hotel-rotherham-33386398")


def test_a_real_live_blog_reads_the_same_without_its_oversized_block() -> None:
    doc = mirror_live_blog()
    assert without_oversized_jsonld(doc.body, SETTINGS.clean.max_jsonld_chars) != doc.body  # the block is over the limit
    unlimited = dataclasses.replace(SETTINGS.clean, max_jsonld_chars=0)
    guarded, whole = (clean_document(doc, RULES, settings, NOW) for settings in (SETTINGS.clean, unlimited))
    assert isinstance(guarded, Article)
    assert guarded == whole  # text, title, authors, date, site name: every field
    assert guarded.authors == ("Lucy Thornton", "Tim Hanlon", "Phoebe Tonks", "Joseph Gamp")


def live_blog(updates: int) -> str:
    """A live blog whose JSON-LD trafilatura cannot parse after its own unescaping (``&quot;`` becomes
    a bare quote once a backslash is present), so it takes the quadratic fallback for authors."""
    words = "Words of the update. " * 20
    posts = ",".join(
        f'{{"@type":"BlogPosting","headline":"Update {i}: the minister said \\"no\\" &quot;again&quot;",'
        f'"articleBody":"{words}\\nMore.","author":{{"@type":"Person","name":"Reporter {i % 7} Example"}}}}'
        for i in range(updates))
    block = ('{"@context":"https://schema.org","@type":"LiveBlogPosting","headline":"Live: talks",'
             f'"liveBlogUpdate":[{posts}]}}')
    body = "".join(f"<p>Paragraph {i} of the live blog, long enough to be kept as article text.</p>" for i in range(30))
    return ('<html><head><title>Live: talks</title><meta name="author" content="Jane Roe">'
            f'<script type="application/ld+json">{block}</script></head><body><article>{body}</article></body></html>')


def test_a_long_live_blog_is_an_article_not_a_parse_timeout() -> None:
    """~4 MB of JSON-LD: trafilatura alone needs well over the 3 s limit given here (its fallback is
    quadratic); without the block the page is read in a fraction of a second."""
    doc = RawDocument(source_uri="live.html", kind="html", body=live_blog(6000), url="https://example.org/live")
    results = {}
    for limit in (SETTINGS.clean.max_jsonld_chars, 0):
        settings = dataclasses.replace(SETTINGS.clean, max_jsonld_chars=limit, parse_timeout_seconds=3.0)
        with GuardedWorker(CleanTask(settings, NOW), settings.parse_timeout_seconds) as worker:
            results[limit] = guarded_clean(doc, worker)
    article = results[SETTINGS.clean.max_jsonld_chars]
    assert isinstance(article, Article)
    assert article.title == "Live: talks" and article.authors == ("Jane Roe",)
    assert "Paragraph 29 of the live blog" in article.text
    # why the limit exists: the same page with the block read is lost (a trafilatura that reads it
    # in linear time would make this fail, and the limit could be revisited)
    assert isinstance(results[0], Reject) and results[0].reason == "parse/timeout"
