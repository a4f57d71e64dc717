"""HTML to main text and metadata (trafilatura, one pass), and the page's own URL from its head. Beam-free."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as html_lib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit


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
