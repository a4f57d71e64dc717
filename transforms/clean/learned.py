"""Learned boilerplate: paragraphs that recur across many articles of one source in a run.

Counted after deduplication (copies of one story must not make its paragraphs "recurring") by
``stage.RemoveRecurring``; these are the pure halves: what an article contributes to the count,
and an article without the recurring paragraphs. Beam-free.
"""

from __future__ import annotations

import dataclasses

from transforms import ids
from transforms.clean.rules import source_key
from transforms.records import Article, Removed

LEARNED_RULE = "learned:recurring"


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
