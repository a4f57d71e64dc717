"""Oversized JSON-LD blocks, taken out of a page before trafilatura reads its metadata.

trafilatura reads a page's JSON-LD (``<script type="application/ld+json">``) for its author,
title and publisher. When a block does not parse as JSON after trafilatura's own unescaping
(common on live blogs), it falls back to regular expressions that remove one author match at a
time and search the whole block again: quadratic in the block's size. On a real Mirror live blog
of the corpus (an 841 KB block, 1,716 author matches) that fallback costs 1.2 s of the page's
1.3 s; the same page with its block repeated to 3.8 MB takes 17.5 s, and a somewhat longer
live blog would hit ``parse_timeout_seconds`` and be lost as ``parse/timeout``.

Article pages carry a few KB of JSON-LD (the corpus's largest block after that live blog is
34 KB), so a block longer than ``clean.max_jsonld_chars`` (256 Ki characters by default) is
removed before extraction. The page's OpenGraph and meta tags, and its text, are read as
before; on that Mirror page every extracted field (text, title, authors, date, site name) is
the same with and without the block. Beam-free.
"""

from __future__ import annotations

import re

# The blocks trafilatura and htmldate read: type exactly "application/ld+json" or
# "application/settings+json" (their XPath compares the value as is); tag and attribute names in any case.
_JSONLD_VALUE = re.compile(r"application/(?:ld|settings)\+json")  # one pass over the page for both
_JSONLD_START = re.compile(
    r"""(?i:<script\b[^>]*?\btype\s*=\s*)["']?application/(?:ld|settings)\+json\b[^>]*>""")
_SCRIPT_END = re.compile(r"</script\s*>", re.IGNORECASE)


def without_oversized_jsonld(html: str, max_chars: int) -> str:
    """``html`` without its JSON-LD blocks longer than ``max_chars`` characters (0: no limit).

    A page with no such block comes back as the same object. An unterminated block runs to the
    end of the page, as in the HTML parser."""
    if max_chars <= 0 or len(html) <= max_chars:
        return html
    cuts = []
    for value in _JSONLD_VALUE.finditer(html):  # the type's value first: a plain search, most pages have one or none
        tag_start = html.rfind("<", 0, value.start())
        tag = _JSONLD_START.match(html, tag_start) if tag_start != -1 else None
        if tag is not None and tag.end() > value.start():  # the value is this script tag's type
            end = _SCRIPT_END.search(html, tag.end())
            content_end, block_end = (end.start(), end.end()) if end else (len(html), len(html))
            if content_end - tag.end() > max_chars:
                cuts.append((tag_start, block_end))
    if not cuts:
        return html
    pieces, kept_from = [], 0
    for cut_start, cut_end in sorted(cuts):
        if cut_start >= kept_from:  # a block found twice (its content names the other type) is cut once
            pieces.append(html[kept_from:cut_start])
            kept_from = cut_end
    pieces.append(html[kept_from:])
    return "".join(pieces)
