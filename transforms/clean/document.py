"""One document to a cleaned article, without Beam: HTML to main text (``html.py``), then text-level
boilerplate removal (``rules.py``).

The pure half of the clean stage (``transforms/clean/stage.py`` is the Beam half). It imports no
Beam, so the helper process that runs ``CleanTask`` starts in a fraction of a second instead of
importing Beam (1.3 s CPU and ~100 MB per helper).

Order: extract (HTML only) -> split paragraphs -> rejoin paragraphs broken mid-sentence ->
publisher rules -> generic rules -> (later, across the run: ``learned.py``) learned recurring
paragraphs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable

from transforms import ids
from transforms.clean.html import extract_html, page_url, skip_unused_metadata
from transforms.clean.jsonld import without_oversized_jsonld
from transforms.clean.rules import (
    SHORT_FALLBACKS,
    CompiledRules,
    apply_rules,
    compile_rules,
    has_sentence,
    rejoin_broken,
)
from transforms.records import Article, RawDocument, Reject
from transforms.settings import CleanSettings
from transforms.text import normalize_text, split_paragraphs

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


@dataclasses.dataclass(frozen=True)
class CleanTask:
    """What a cleaning helper process runs per document: ``clean_document`` with the rules compiled
    once there."""

    settings: CleanSettings
    ingested_at: dt.datetime

    def __call__(self) -> Callable[[RawDocument], Article | Reject]:
        skip_unused_metadata()  # imports trafilatura here, at the helper's set-up: its first page would pay ~0.1 s
        import numpy  # noqa: F401  # ids.simhash's, likewise (~0.15 s): set up once in the template, not per fork
        rules = compile_rules(self.settings)
        return functools.partial(clean_document, rules=rules, settings=self.settings, ingested_at=self.ingested_at)
