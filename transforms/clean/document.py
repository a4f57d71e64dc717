"""Cleaning without Beam: HTML to main text (trafilatura), then text-level boilerplate removal.

The pure half of the clean stage (``transforms/clean/stage.py`` is the Beam half). It imports no Beam,
so the guard's helper process, which runs ``CleanTask``, starts in a fraction of a second
instead of importing Beam (1.3 s CPU and ~100 MB per helper).

Order: extract (HTML only) -> split paragraphs -> rejoin paragraphs broken mid-sentence ->
publisher rules -> generic rules -> (later, across the run) learned recurring paragraphs.
Every removed paragraph is kept with the rule that removed it, so over-removal can be audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html as html_lib
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from transforms import ids
from transforms.clean.jsonld import without_oversized_jsonld
from transforms.records import Article, RawDocument, Reject, Removed
from transforms.settings import CleanSettings, PublisherRule
from transforms.text import normalize_text, split_paragraphs

_SENTENCE_END = re.compile(r"""[.!?:;…"“”»«')\]]\s*$""")
_CONTINUATION_START = re.compile(r"^[a-zäöüß(„\"]")


@dataclasses.dataclass(frozen=True)
class CompiledRules:
    """The configured rules with their regexes compiled (built once per worker)."""

    generic: tuple[tuple[str, re.Pattern[str]], ...]
    publishers: tuple[tuple[PublisherRule, tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...],
                            tuple[re.Pattern[str], ...]], ...]


def compile_rules(settings: CleanSettings) -> CompiledRules:
    generic = tuple(
        (f"generic:{lang}", re.compile(pattern, re.I)) for lang, patterns in sorted(settings.generic.items())
        for pattern in patterns
    )
    publishers = tuple(
        (rule, tuple(re.compile(p, re.I) for p in rule.signature), tuple(re.compile(p, re.I) for p in rule.cut_from),
         tuple(re.compile(p, re.I) for p in rule.drop))
        for rule in settings.publishers
    )
    return CompiledRules(generic, publishers)


# --- pure text functions --------------------------------------------------------------------


def rejoin_broken(paragraphs: Iterable[str]) -> list[str]:
    """Join a paragraph that stops mid-sentence with the next one when that continues in lower case."""
    out: list[str] = []
    for paragraph in paragraphs:
        if out and not _SENTENCE_END.search(out[-1]) and _CONTINUATION_START.match(paragraph):
            out[-1] = f"{out[-1]} {paragraph}"
        else:
            out.append(paragraph)
    return out


def source_key(source: str | None, url: str | None) -> str | None:
    """What groups articles of one publisher: the source name, else the URL host."""
    if source:
        return source.strip().casefold()
    return ids.url_host(url) or None


def apply_rules(
    paragraphs: list[str], rules: CompiledRules, source: str | None, url: str | None
) -> tuple[list[str], list[Removed]]:
    """Publisher rules (by source, host or text signature), then generic rules."""
    kept, removed = list(paragraphs), []
    haystack = f"{source or ''} {ids.url_host(url)}".casefold()
    full_text = "\n".join(paragraphs)
    for rule, signature, cut_from, drop in rules.publishers:
        applies = any(m.casefold() in haystack for m in rule.match) or any(s.search(full_text) for s in signature)
        if not applies:
            continue
        for index, paragraph in enumerate(kept):
            if any(p.search(paragraph) for p in cut_from):
                removed += [Removed(p, f"publisher:{rule.name}:cut_from") for p in kept[index:]]
                kept = kept[:index]
                break
        still = []
        for paragraph in kept:
            if any(p.search(paragraph) for p in drop):
                removed.append(Removed(paragraph, f"publisher:{rule.name}:drop"))
            else:
                still.append(paragraph)
        kept = still
    final = []
    for paragraph in kept:
        rule_name = next((name for name, pattern in rules.generic if pattern.search(paragraph)), None)
        if rule_name:
            removed.append(Removed(paragraph, rule_name))
        else:
            final.append(paragraph)
    return final, removed


@dataclasses.dataclass(frozen=True)
class HtmlExtract:
    text: str
    title: str | None
    authors: tuple[str, ...]
    date: dt.date | None
    site_name: str | None


_DOCUMENT_TAG = re.compile(r"<(?:html|body)\b", re.IGNORECASE)


def _bare_extraction(html: str, url: str | None) -> Any:
    import trafilatura  # heavy; imported on the worker

    return trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, deduplicate=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )


def skip_unused_metadata() -> bool:
    """Make trafilatura's metadata step in this process skip what eventwire never stores.

    ``with_metadata=True`` also collects a page's categories, tags and licence: XPath searches over
    the whole tree, ~5% of trafilatura's time per page (``python bench/metadata_skip.py``, which
    also checks that every corpus page extracts the same). Title, author, date and site name,
    which the article keeps, are found as before, and the text does not depend on them.
    trafilatura has no switch for it, so its two module-level functions are replaced, in the
    process that cleans (a helper; the launcher only with ``parse_isolation: false``). False when
    this trafilatura has no such functions: nothing is replaced, the results are the same, the
    speed is the old one."""
    from trafilatura import metadata

    replacements = {"extract_catstags": _no_categories_or_tags, "extract_license": _no_license}
    if not all(callable(getattr(metadata, name, None)) for name in replacements):
        return False
    for name, replacement in replacements.items():
        REPLACED_METADATA.setdefault(name, getattr(metadata, name))
        setattr(metadata, name, replacement)
    return True


# trafilatura's functions that ``skip_unused_metadata`` replaced in this process, by name
REPLACED_METADATA: dict[str, Callable[..., Any]] = {}


def _no_categories_or_tags(_kind: str, _tree: Any) -> list[str]:
    return []


def _no_license(_tree: Any) -> None:
    return None


def extract_html(html: str, url: str | None) -> HtmlExtract:
    """Main text and metadata in one trafilatura pass (the HTML is parsed once; a bare fragment twice)."""
    doc = _bare_extraction(html, url)
    if (doc is None or not doc.text) and not _DOCUMENT_TAG.search(html):
        # trafilatura finds no tree in a fragment without <html>/<body> (a feed summary, a JSON Lines
        # `html` field) and returns nothing, however long it is: give it the page it expects
        doc = _bare_extraction(f"<html><body>{html}</body></html>", url)
    if doc is None:
        return HtmlExtract("", None, (), None, None)
    date = None
    if doc.date:
        try:
            date = dt.date.fromisoformat(doc.date[:10])
        except ValueError:
            date = None
    authors = tuple(a.strip() for a in (doc.author or "").split(";") if a.strip())
    return HtmlExtract(doc.text or "", doc.title or None, authors, date, doc.sitename or None)


# --- the page's own URL ------------------------------------------------------------------------

_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_LINK_OR_META = re.compile(r"<(link|meta)\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
HEAD_SCAN_CHARS = 256 * 1024  # a page without </head>: where its <link>s and <meta>s can reasonably be


def _absolute_http(url: str | None, base: str | None = None) -> str | None:
    """``url`` as an absolute http(s) URL (resolved against ``base`` when relative), else None."""
    if not url:
        return None
    url = url.strip()
    try:
        if base and not urlsplit(url).scheme:
            url = urljoin(base, url)
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def _head(html: str) -> str:
    end = html.find("</head", 0, HEAD_SCAN_CHARS)
    if end < 0:
        found = _HEAD_END.search(html, 0, HEAD_SCAN_CHARS)  # </HEAD>: rare, and a slower search
        end = found.start() if found else HEAD_SCAN_CHARS
    return html[:end]


def _url_tags(head: str, needles: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """(tag name, attributes) of the <link>/<meta> tags of ``head`` whose text holds one of ``needles``.

    Found from the needles out (str.find), not by parsing every tag: a head is often most of a page's
    markup (inline scripts, dozens of meta tags), and this runs for every saved page."""
    tags = []
    for needle in needles:
        start = 0
        while (position := head.find(needle, start)) >= 0:
            start = position + len(needle)
            opening, closing = head.rfind("<", 0, position), head.find(">", position)
            if opening < 0 or closing < 0:
                continue
            tag = _LINK_OR_META.match(head, opening, closing + 1)
            if tag is not None:
                attributes = {name.lower(): html_lib.unescape(value.strip("\"'"))
                              for name, value in _ATTRIBUTE.findall(tag.group(2))}
                tags.append((tag.group(1).lower(), attributes))
    return tags


def page_url(html: str) -> tuple[str, str] | None:
    """(URL, where it came from) that a page states for itself: ``<link rel="canonical">``, then
    ``<meta property="og:url">``; None when it states none as an absolute http(s) URL.

    For files that carry no URL (a saved page): without it a re-crawl of one URL is two articles
    and the events have no link. A scan of the head's tags, not a second parse of the page; a
    relative canonical counts when og:url gives the origin to resolve it against.
    """
    head = _head(html)
    tags = _url_tags(head, ("canonical", "og:url"))
    if not tags:  # markup in capitals (REL="CANONICAL"): every tag, whatever its case (the slow path)
        lowered = head.lower()
        if "canonical" in lowered or "og:url" in lowered:
            tags = _url_tags_case_insensitive(head)
    canonical = og_url = None
    for name, attributes in tags:
        if name == "link":
            if canonical is None and "canonical" in attributes.get("rel", "").lower().split():
                canonical = attributes.get("href")
        elif og_url is None and (attributes.get("property") or attributes.get("name", "")).lower() == "og:url":
            og_url = attributes.get("content")
    og_absolute = _absolute_http(og_url)
    canonical_absolute = _absolute_http(canonical, og_absolute)
    if canonical_absolute:
        return canonical_absolute, "canonical"
    if og_absolute:
        return og_absolute, "og:url"
    return None


def _url_tags_case_insensitive(head: str) -> list[tuple[str, dict[str, str]]]:
    """Every <link>/<meta> tag of ``head``, whatever the case of its markup (the slow path)."""
    return [(tag.group(1).lower(), {name.lower(): html_lib.unescape(value.strip("\"'"))
                                    for name, value in _ATTRIBUTE.findall(tag.group(2))})
            for tag in _LINK_OR_META.finditer(head)]


# --- short feed fallbacks ----------------------------------------------------------------------

# fetch_status of a feed entry's own text standing in for its page -> the mark when it is under
# min_chars and kept for having a sentence
SHORT_FALLBACKS = {"fallback_summary": "fallback_summary_short", "fallback_content": "fallback_content_short"}
SENTENCE_MIN_WORDS = 6
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])[\"'”“»«)\]]*\s+")
_SENTENCE_END_CHARS = re.compile(r"[.!?…][\"'”“»«)\]]*$")
_WORD = re.compile(r"\w*[^\W\d_]\w*")  # a token with at least one letter


def has_sentence(paragraphs: Iterable[str], min_words: int = SENTENCE_MIN_WORDS) -> bool:
    """True when some paragraph holds a full sentence: at least ``min_words`` words ending in . ! ? or …
    (a headline, a teaser cut with "[…]" or a "Read more" link is none)."""
    for paragraph in paragraphs:
        for sentence in _SENTENCE_SPLIT.split(paragraph.strip()):
            sentence = sentence.strip()
            if sentence.endswith(("[…]", "[...]", "...", "…")):
                continue  # cut off: the rest is on the page
            if _SENTENCE_END_CHARS.search(sentence) and len(_WORD.findall(sentence)) >= min_words:
                return True
    return False


LEARNED_RULE = "learned:recurring"
_FALLBACK_BASES = (None, "invalid", "warc_date", "http_last_modified", "first_fetch")


def clean_document(doc: RawDocument, rules: CompiledRules, settings: CleanSettings,
                   ingested_at: dt.datetime) -> Article | Reject:
    """One document to an Article (language still "und"), or a Reject."""
    published_at, basis = doc.published_at, doc.published_basis
    title, authors, site_name = doc.title, (), None
    url, url_source = doc.url, ("input" if doc.url else None)
    if doc.kind == "html":
        if not url and (stated := page_url(doc.body)):
            url, url_source = stated
        extract = extract_html(without_oversized_jsonld(doc.body, settings.max_jsonld_chars), url)
        text = extract.text
        title = title or extract.title
        authors, site_name = extract.authors, extract.site_name
        if extract.date and basis in _FALLBACK_BASES:
            published_at = dt.datetime.combine(extract.date, dt.time(), dt.timezone.utc)
            basis = "page"
    else:
        text = doc.body
    paragraphs = rejoin_broken(split_paragraphs(text))
    if title and paragraphs and paragraphs[0].casefold() == normalize_text(title).casefold():
        paragraphs = paragraphs[1:]  # the title repeated as the first line of the body
    fetch_status = doc.fetch_status
    chars = sum(len(p) for p in paragraphs)
    if chars < settings.min_chars:
        if fetch_status in SHORT_FALLBACKS and has_sentence(paragraphs):
            # a feed entry's summary standing in for a page that could not be fetched: short by
            # nature, and its sentence may report an event; kept, and marked as such
            fetch_status = SHORT_FALLBACKS[fetch_status]
        else:
            return Reject(doc.source_uri, "clean", "clean/too_short",
                          f"{chars} characters of text after extraction (< {settings.min_chars})")
    kept, removed = apply_rules(paragraphs, rules, doc.source or site_name, url)
    body = "\n\n".join(kept)
    return Article(
        article_id=ids.article_id(url, body or "\n".join(paragraphs)), url=url, source_uri=doc.source_uri,
        source=doc.source or site_name, title=normalize_text(title) if title else None, text=body,
        removed=tuple(removed), language="und", language_prob=None, published_at=published_at,
        published_basis=basis if published_at else (basis if basis == "invalid" else None),
        ingested_at=ingested_at, content_hash=ids.content_hash(body or "\n".join(paragraphs)), authors=authors,
        site_name=site_name, encoding=doc.encoding, fetch_status=fetch_status,
        simhash=ids.text_simhash(body),  # here, in the helpers, where the cores are
        url_source=url_source, fetch_error=doc.fetch_error,
    )


def paragraph_hashes(article: Article, min_chars: int) -> tuple[str, frozenset[str]] | None:
    """(source, hashes of its paragraphs) an article contributes to the learned-boilerplate count;
    None for an article of no known source or without such a paragraph."""
    key = source_key(article.source, article.url)
    if key is None:
        return None
    hashes = frozenset(ids.stable_hash(p.casefold()) for p in article.text.split("\n\n") if len(p) >= min_chars)
    return (key, hashes) if hashes else None


def remove_learned(article: Article, recurring: set[tuple[str, str]] | frozenset[tuple[str, str]]) -> Article:
    key = source_key(article.source, article.url)
    if key is None or not recurring:
        return article
    kept, removed = [], list(article.removed)
    for paragraph in article.text.split("\n\n"):
        if (key, ids.stable_hash(paragraph.casefold())) in recurring:
            removed.append(Removed(paragraph, LEARNED_RULE))
        else:
            kept.append(paragraph)
    if len(removed) == len(article.removed):
        return article
    text = "\n\n".join(kept)
    return dataclasses.replace(article, text=text, removed=tuple(removed), simhash=ids.text_simhash(text))


@dataclasses.dataclass(frozen=True)
class CleanTask:
    """What a cleaning helper process runs per document: ``clean_document`` with the rules compiled
    once there."""

    settings: CleanSettings
    ingested_at: dt.datetime

    def __call__(self) -> Callable[[RawDocument], Article | Reject]:
        skip_unused_metadata()  # imports trafilatura here, at the helper's set-up: its first page would pay ~0.1 s
        rules = compile_rules(self.settings)
        return functools.partial(clean_document, rules=rules, settings=self.settings, ingested_at=self.ingested_at)
