"""Text-level boilerplate rules: paragraphs broken mid-sentence rejoined, publisher and generic rules
applied, and whether a short feed summary still holds a sentence worth keeping. Beam-free.

Every removed paragraph is kept with the rule that removed it, so over-removal can be audited.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from transforms import ids
from transforms.records import Removed
from transforms.settings import CleanSettings, PublisherRule

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
