"""Paragraphs, sentences, clauses and tokens for event extraction (German and English news).

Rule-based and fast (a few microseconds per sentence): no model download, no parser. The
splitter knows ordinals ("31. Mai"), initials ("U.S.", "Dr.") and common abbreviations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from transforms.text import split_paragraphs

_ABBREVIATIONS = frozenset(
    ["dr", "prof", "mr", "mrs", "ms", "st", "gen", "col", "lt", "sgt", "gov", "sen", "rep", "jr", "sr", "vs", "no", "nr", "ca", "bzw", "usw", "vgl", "z.b", "u.a", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "okt", "nov", "dec", "dez", "inc", "ltd", "co", "corp", "mio", "mrd", "abs", "art"]
)
# A sentence end: a full stop, closing quotes, space, then a capital or a digit. The match starts
# at the full stop, the sentence ends after it (a leading character class instead of the lookbehind
# "(?<=[.!?…])": the engine skips ahead instead of trying every position).
_SENTENCE_END_AT = re.compile(r"[.!?…][\"'»«“”‘’)]*\s+(?=[\"'»«“„‘(]?[A-ZÄÖÜ0-9])")
_CLOSERS = "\"'»«“”’)"  # a paragraph ending in [.!?…:] then any of these is no heading
_FINAL_STOPS = frozenset(".!?…:")
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*\.?|\w+\.?|['’]s\b|[^\w\s]", re.UNICODE)
# Every character but whitespace starts a token (\w: a word or number, else a sign), so the tokens
# are the matches of _TOKEN with the whitespace before each: findall gives both without match objects.
_SPACED_TOKEN = re.compile(rf"(\s*)({_TOKEN.pattern})", re.UNICODE)
_ONE_OR_TWO_DIGITS = re.compile(r"\d{1,2}")
_LAST_WORD_DOT = re.compile(r"(\S+)[.]\W*$")
_ONE_LETTER = re.compile(r"[a-zäöü]")
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]")
# Clause boundaries: the participants of an act are looked for inside the trigger's clause.
_CLAUSE_PUNCT = frozenset({",", ";", ":", "–", "—", "(", ")", "\"", "„", "“", "”", "»", "«"})
# "The International Labor Office (ILO) reiterated ...", "Olaf Scholz (SPD) sagte": a short aside
# in brackets (an acronym, a party) does not end the clause it stands in; a dateline's agency
# ("MOSCOW (Reuters) - ...") still does.
_SHORT_ASIDE = re.compile(r"\(\s*[\w.&/'’-]+(?:\s+[\w.&/'’-]+){0,2}\s*\)(?!\s*[-–—])")


class Token(NamedTuple):  # a NamedTuple: built ~100 times per article, it must be cheap
    text: str  # as written (a trailing abbreviation dot is kept only on abbreviations)
    lower: str
    start: int
    end: int
    clause: int  # index of the clause inside the sentence


@dataclass(frozen=True)
class Sentence:
    index: int  # running number in the article
    paragraph: int
    text: str
    is_heading: bool  # a line without closing punctuation: headline, teaser, dateline, ticker heading


def _protected(text: str, position: int) -> bool:
    """True when the full stop before ``position`` is not a sentence end (abbreviation, ordinal, initial)."""
    before = text[max(0, position - 60) : position].rstrip()  # a window: slicing the whole prefix is quadratic
    match = _LAST_WORD_DOT.search(before)
    if not match:
        return False
    word = match.group(1).lower().lstrip("(\"'„“")
    if word in _ABBREVIATIONS or _ONE_LETTER.fullmatch(word):
        return True
    if _ONE_OR_TWO_DIGITS.fullmatch(word):  # "31. Mai", "am 4. Mai": an ordinal, not a sentence end
        return True
    return bool(_INITIALS.fullmatch(word))  # U.S., U.N.


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    for p_index, paragraph in enumerate(split_paragraphs(text)):
        start = 0
        pieces: list[str] = []
        for match in _SENTENCE_END_AT.finditer(paragraph):
            end = match.start() + 1  # after the full stop
            if _protected(paragraph, end):
                continue
            pieces.append(paragraph[start:end].strip())
            start = match.end()
        pieces.append(paragraph[start:].strip())
        # not re.search(r"[.!?…:][\"'»«“”’)]*$", paragraph), without trying every position:
        heading = paragraph.rstrip(_CLOSERS)[-1:] not in _FINAL_STOPS
        for piece in pieces:
            if piece:
                sentences.append(Sentence(len(sentences), p_index, piece, heading))
    return sentences


def tokenize(sentence: str) -> list[Token]:
    tokens: list[Token] = []
    append, new = tokens.append, tuple.__new__  # tuple.__new__: a NamedTuple without its slow constructor
    clause = 0
    asides = {i for m in _SHORT_ASIDE.finditer(sentence) for i in (m.start(), m.end() - 1)} if "(" in sentence else ()
    end = 0
    for space, raw in _SPACED_TOKEN.findall(sentence):
        start = end + len(space)
        end = start + len(raw)
        if raw[-1] == "." and len(raw) > 1 and not _keeps_dot(raw):
            raw = raw[:-1]
            append(new(Token, (raw, raw.lower(), start, end - 1, clause)))
            append(new(Token, (".", ".", end - 1, end, clause)))
            continue
        if raw in _CLAUSE_PUNCT and start not in asides:
            clause += 1
        append(new(Token, (raw, raw.lower(), start, end, clause)))
    return tokens


def _keeps_dot(raw: str) -> bool:
    word = raw[:-1].lower()
    return word in _ABBREVIATIONS or bool(_ONE_OR_TWO_DIGITS.fullmatch(word)) or len(word) == 1


def is_question(sentence: str) -> bool:
    return sentence.rstrip(" \"'»«“”’)").endswith("?")
