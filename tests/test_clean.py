"""Cleaning: rejoining, publisher and generic rules, learned boilerplate, real pages."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import FIXTURES, REPO
from transforms.clean.document import clean_document
from transforms.clean.rules import apply_rules, compile_rules, rejoin_broken
from transforms.clean.stage import Clean, RemoveRecurring
from transforms.read.decoding import declared_charset, decode_bytes
from transforms.read.formats import parse_txt
from transforms.records import Article, RawDocument, Reject
from transforms.settings import CleanSettings, load_settings
from transforms.text import split_paragraphs

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
SETTINGS = load_settings()
RULES = compile_rules(SETTINGS.clean)


def seed(name: str) -> RawDocument:
    path = next((REPO / "seeds").glob(f"{name}_*.txt"))
    return parse_txt(path.read_bytes(), str(path))


def test_rejoin_joins_a_sentence_broken_over_paragraphs_only() -> None:
    paragraphs = ["Bei einem Telefonat haben die Minister", "die Bedeutung betont.", "Neuer Absatz.", "Titel ohne Punkt",
                  "Großgeschrieben geht es weiter."]
    assert rejoin_broken(paragraphs) == ["Bei einem Telefonat haben die Minister die Bedeutung betont.", "Neuer Absatz.",
                                         "Titel ohne Punkt", "Großgeschrieben geht es weiter."]


def test_split_paragraphs_normalizes_whitespace_and_line_ends() -> None:
    assert split_paragraphs("A\u00a0 b\r\n\r\n  C  \rD") == ["A b", "C", "D"]


def test_seed_rt_loses_more_on_topic_and_appeal_but_keeps_the_article() -> None:
    article = clean_document(seed("000"), RULES, SETTINGS.clean, NOW)
    assert isinstance(article, Article)
    assert "Mehr zum Thema" not in article.text and "Sperrung von RT" not in article.text
    assert "Zusammenarbeit in Handel, Wirtschaft" in article.text  # the last real paragraph stays
    rules = {r.rule for r in article.removed}
    assert rules == {"publisher:rt_de:cut_from"}
    assert any(r.text.startswith("Mehr zum Thema") for r in article.removed)
    assert any(r.text.startswith("Durch die Sperrung von RT") for r in article.removed)


def test_seed_azertac_rejoins_the_broken_first_sentence() -> None:
    article = clean_document(seed("003"), RULES, SETTINGS.clean, NOW)
    assert isinstance(article, Article)
    assert "Mohammad Hanif Atmar die Bedeutung der Ausweitung" in article.text
    assert article.text.startswith("Baku, 31. Mai, AZERTAC\n\n") and article.removed == ()


def test_an_article_carries_the_simhash_of_its_final_text() -> None:
    from transforms.clean.learned import remove_learned
    from transforms.clean.rules import source_key
    from transforms.ids import stable_hash, text_simhash

    body = ("Der Außenminister traf am Montag seinen Amtskollegen in Wien zu Gesprächen über die Lage "
            "in der Region und die Zusammenarbeit beider Länder in Handel und Energie.\n\n") * 3
    doc = RawDocument(source_uri="a.txt", kind="text", body=body + "Folgen Sie uns auf allen Kanälen.",
                      source="Beispiel")
    article = clean_document(doc, RULES, SETTINGS.clean, NOW)
    assert isinstance(article, Article)
    assert article.simhash == text_simhash(article.text) and article.simhash is not None
    last = article.text.split("\n\n")[-1]  # learned as recurring: the text, and so the SimHash, change
    key = source_key(article.source, article.url)
    assert key is not None
    trimmed = remove_learned(article, {(key, stable_hash(last.casefold()))})
    assert trimmed.text != article.text and trimmed.simhash == text_simhash(trimmed.text) != article.simhash


def test_generic_rules_apply_without_any_publisher() -> None:
    kept, removed = apply_rules(["Ein Satz.", "Mehr zum Thema - Noch ein Artikel", "Read more: other story",
                                 "© 2024 Example Media"], RULES, None, None)
    assert kept == ["Ein Satz."]
    assert [r.rule for r in removed] == ["generic:de", "generic:en", "generic:*"]


def test_publisher_rule_matches_by_url_host() -> None:
    kept, removed = apply_rules(["Text.", "Our Standards: The Thomson Reuters Trust Principles."], RULES, None,
                                "https://www.reuters.com/article/x")
    assert kept == ["Text."] and removed[0].rule == "publisher:reuters:drop"


def test_navigation_only_page_is_too_short() -> None:
    html = "<html><body><nav><a href='/'>Home</a> <a href='/i'>Impressum</a></nav><p>Cookies akzeptieren</p></body></html>"
    result = clean_document(RawDocument("x.html", "html", html), RULES, SETTINGS.clean, NOW)
    assert isinstance(result, Reject) and result.reason == "clean/too_short"


def test_article_that_is_only_boilerplate_is_an_article_with_everything_removed() -> None:
    text = "\n".join(["Mehr zum Thema - " + "Ein Artikel über etwas anderes, das hier nur verlinkt wird. " * 3] * 3)
    result = clean_document(RawDocument("x.txt", "text", text, title="T"), RULES, SETTINGS.clean, NOW)
    assert isinstance(result, Article) and result.text == "" and len(result.removed) == 3


def _fixture_pages() -> list[tuple[str, dict]]:
    return list(json.loads((FIXTURES / "clean" / "evaldata.json").read_text()).items())


@pytest.mark.parametrize("url, entry", _fixture_pages(), ids=lambda v: v if isinstance(v, str) else "")
def test_real_pages_keep_their_text_and_lose_their_boilerplate(url: str, entry: dict) -> None:
    data = gzip.decompress((FIXTURES / "clean" / entry["file"]).read_bytes())
    html, _ = decode_bytes(data, declared_charset(data))
    article = clean_document(RawDocument(entry["file"], "html", html, url=url), RULES, SETTINGS.clean, NOW)
    assert isinstance(article, Article)
    text = " ".join(f"{article.title} {article.text}".split())
    for snippet in entry["with"]:
        assert " ".join(snippet.split()) in text
    for snippet in entry["without"]:
        assert " ".join(snippet.split()) not in text
    assert article.published_at is None or article.published_basis == "page"


def test_clean_transform_learns_paragraphs_recurring_across_one_source() -> None:
    footer = "Dieser Beitrag wurde von der Redaktion des Beispielblatts sorgfältig geprüft."
    docs = [RawDocument(f"d{i}.txt", "text", f"Absatz Nummer {i} mit eigenem Inhalt. " * 8 + f"\n{footer}",
                        title=f"T{i}", url=f"https://beispiel.de/{i}") for i in range(3)]
    docs.append(RawDocument("other.txt", "text", "Ganz anderer Text einer anderen Quelle. " * 8 + f"\n{footer}",
                            title="O", url="https://anders.de/1"))
    settings = CleanSettings(min_chars=50, learned_min_articles=3)
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(docs) | Clean(settings, NOW)
        learned = out["articles"] | RemoveRecurring(settings) | beam.Map(lambda a: (a.url, footer in a.text,
                                                        [r.rule for r in a.removed if r.text == footer]))
        assert_that(learned, equal_to([(f"https://beispiel.de/{i}", False, ["learned:recurring"]) for i in range(3)]
                                      + [("https://anders.de/1", True, [])]))


def test_copies_of_one_story_do_not_make_its_paragraphs_boilerplate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Three copies of one article in a run are one article, with its text intact (dedup comes first)."""
    import json

    from tests.conftest import FAST_BEAM, read_table, run_cli

    text = (REPO / "seeds" / next(p.name for p in (REPO / "seeds").glob("003_*.txt"))).read_text(encoding="utf-8")
    lines = [json.dumps({"url": "https://azertag.az/a/1", "text": text, "source": "AZERTAC"})] * 3
    (tmp_path / "copies.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("run", str(tmp_path / "copies.jsonl"), "--output", str(tmp_path / "out"), *FAST_BEAM)
    assert result.returncode == 0, result.stderr[-2000:]
    [article] = read_table(tmp_path / "out", "articles")
    assert "Mammadyarov" in article["text"] and not [r for r in article["removed"] if r["rule"] == "learned:recurring"]
    assert sorted(r["reason"] for r in read_table(tmp_path / "out", "rejects")) == ["dedup/duplicate_url"] * 2


FRAGMENT_SENTENCE = "The foreign minister of France met his German counterpart in Berlin on Monday to discuss sanctions."


@pytest.mark.parametrize("body", [
    f"<p>{FRAGMENT_SENTENCE} {FRAGMENT_SENTENCE} {FRAGMENT_SENTENCE}</p>",  # a JSON Lines `html` field
    f"{FRAGMENT_SENTENCE} {FRAGMENT_SENTENCE} {FRAGMENT_SENTENCE}",  # an RSS description typed text/html
])
def test_html_fragment_without_a_page_around_it_keeps_its_text(body: str) -> None:
    """trafilatura extracts nothing from HTML with no <html>/<body>: such a fragment was a clean/too_short
    reject ("0 characters") however long it was."""
    result = clean_document(RawDocument("frag.jsonl#L1", "html", body, url="https://ex.org/a"), RULES,
                            SETTINGS.clean, NOW)
    assert isinstance(result, Article), result
    assert result.text.count(FRAGMENT_SENTENCE) == 3


def test_feed_fallback_summaries_long_enough_become_articles() -> None:
    """Real feed entries whose page cannot be fetched: each summary or content whose plain text is
    min_chars or more is an article with that text, not a clean/too_short reject."""
    import lxml.html

    from transforms.feeds.poll import PendingEntry, entry_document, parse_feed
    from transforms.net.client import FetchError
    from transforms.settings import FeedSettings

    data = (FIXTURES / "feeds" / "heise-developer.atom").read_bytes()
    _, entries = parse_feed(data, "https://ex.org/feed", {}, FeedSettings(max_feed_bytes=1 << 20))
    checked = 0
    for entry in entries:
        doc = entry_document(PendingEntry(entry, None, None, NOW), FetchError(entry.link, "fetch/dns_error", "x"))
        assert isinstance(doc, RawDocument) and doc.kind == "html"
        plain = " ".join(lxml.html.fromstring(doc.body).text_content().split())
        # the short ones: longer content is real markup that trafilatura trims (links, teasers)
        if len(plain) < SETTINGS.clean.min_chars or len(doc.body) > 400:
            continue
        checked += 1
        result = clean_document(doc, RULES, SETTINGS.clean, NOW)
        assert isinstance(result, Article), (entry.link, result)
        assert " ".join(result.text.split()) == plain
    assert checked >= 1
