"""Event dates from news text: explicit, relative to the publication date, datelines, ticker headings.

Every result says how it was found (``basis``) and keeps the words (``text``). Nothing is
invented: a relative date without an anchor, or a day and month without a year source, stays
``None`` with its words kept (a later step may take the year from office-holder tenures).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    "januar": 1, "jänner": 1, "jan": 1, "january": 1, "februar": 2, "feber": 2, "feb": 2, "february": 2,
    "märz": 3, "mär": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "june": 6,
    "jun": 6, "juli": 7, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11, "dezember": 12,
    "december": 12, "dez": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "montag": 0, "monday": 0, "dienstag": 1, "tuesday": 1, "mittwoch": 2, "wednesday": 2, "donnerstag": 3,
    "thursday": 3, "freitag": 4, "friday": 4, "samstag": 5, "sonnabend": 5, "saturday": 5, "sonntag": 6,
    "sunday": 6,
}  # fmt: skip
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d\d"

_DIGIT = re.compile(r"\d")
_ISO = re.compile(rf"\b({_YEAR})-(\d\d)-(\d\d)\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})\.?\s*(?:de\s+)?({_MONTH})\.?(?:,?\s+({_YEAR}))?\b", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+({_YEAR}))?", re.I)
_NUMERIC = re.compile(rf"\b(\d{{1,2}})\.(\d{{1,2}})\.({_YEAR})\b")
_NIGHT = re.compile(rf"\b(?:in\s+der\s+)?nacht\s+(?:zum|auf\s+den)\s+({_WEEKDAY})\b", re.I)
_LAST_WEEKDAY = re.compile(rf"\b(?:last|vergangenen|letzten|vorigen|am\s+vergangenen|am\s+letzten)\s+({_WEEKDAY})\b", re.I)
_WEEKDAY_RE = re.compile(rf"\b(?:(?:am|on|this|diesen|seit)\s+)?({_WEEKDAY})(?:abend|morgen|nachmittag|vormittag|nacht)?\b", re.I)
_RELATIVE_DAYS = re.compile(
    r"\b(vorgestern|gestern|heute|yesterday|today|tonight|the day before yesterday|"
    r"earlier today|am heutigen \w+|am gestrigen \w+)\b",
    re.I,
)
# Every match of _NIGHT, _LAST_WEEKDAY, _RELATIVE_DAYS and _WEEKDAY_RE contains one of these words
# (matched case-insensitively): a sentence without one is spared the four patterns.
_RELATIVE_WORDS = (*WEEKDAYS, "gestern", "gestrig", "heute", "heutig", "yesterday", "today", "tonight")
# re.I equates an ASCII letter with exactly the characters whose str.lower() is that letter, and
# with these three (İ, dotless ı ~ i; long ſ ~ s), checked over all code points in tests/test_events_units.py.
FOLDS_TO_ASCII = ("İ", "ı", "ſ")


_RELATIVE_WORD = re.compile("|".join(map(re.escape, _RELATIVE_WORDS)))  # one C-level scan, not one per word


def _may_be_relative(sentence: str) -> bool:
    if any(c in sentence for c in FOLDS_TO_ASCII):
        return True  # the patterns decide
    return _RELATIVE_WORD.search(sentence.lower()) is not None  # one character for one (only İ lowers to two)

def may_name_a_day(sentence: str) -> bool:
    """Cheap: can ``sentence_date`` find a day here (a digit, or a word of a relative day)?"""
    return bool(_DIGIT.search(sentence)) or _may_be_relative(sentence)


_RELATIVE_OFFSET = {"vorgestern": -2, "the day before yesterday": -2, "gestern": -1, "yesterday": -1}
_DATELINE = re.compile(
    rf"^\s*([A-ZÄÖÜ][\w.' -]{{1,30}}?)\s*(?:\([^)]{{1,30}}\))?\s*,\s*"
    rf"(?:(\d{{1,2}})\.?\s*({_MONTH})|({_MONTH})\.?\s+(\d{{1,2}}))\.?(?:,?\s*({_YEAR}))?",
    re.I,
)
_SHORT_WEEKDAY = r"(?:Mo|Di|Mi|Do|Fr|Sa|So|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.?"
# "Dienstag, 4. 3.", "Mi 17.7.", "Sa, 1.6.2024": a numeric day and month, alone on its line
_NUMERIC_HEADING = re.compile(
    rf"^\s*(?:(?:{_WEEKDAY}|{_SHORT_WEEKDAY}),?\s*)?(\d{{1,2}})\.\s?(\d{{1,2}})\.(?:\s?({_YEAR}))?\s*$", re.I)
_TICKER_HEADING = re.compile(rf"^\s*(?:(?:{_WEEKDAY}),?\s*)?(\d{{1,2}})\.\s*({_MONTH})(?:\s+({_YEAR}))?\b", re.I)


@dataclass(frozen=True)
class DateGuess:
    date: dt.date | None
    basis: str  # explicit, explicit+publication_year, relative, dateline, publication, ... (see docs/events.md)
    text: str | None
    month_day: tuple[int, int] | None = None  # a day and month still waiting for a year


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def year_for(month: int, day: int, anchor: dt.date) -> int | None:
    """The year of a day-month mentioned in a report written on ``anchor`` (news look back, not ahead)."""
    candidate = _safe_date(anchor.year, month, day)
    if candidate is None:
        return None
    # a report tells what happened: a day after the publication day is last year's ("7. Oktober" in an
    # August article); one day of slack for time zones
    return anchor.year - 1 if (candidate - anchor).days > 1 else anchor.year


def _explicit(sentence: str, anchor: dt.date | None) -> DateGuess | None:
    if not _DIGIT.search(sentence):
        return None  # each of the patterns below needs a digit
    if m := _ISO.search(sentence):
        date = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if date:
            return DateGuess(date, "explicit", m.group(0))
    if m := _NUMERIC.search(sentence):
        date = _safe_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if date:
            return DateGuess(date, "explicit", m.group(0))
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        m = next((m for m in pattern.finditer(sentence) if not _deadline(sentence, m.start())), None)
        if not m:
            continue
        day, month = int(m.group(day_group)), MONTHS[m.group(month_group).lower()]
        if not 1 <= day <= 31:
            continue
        if m.group(3):
            date = _safe_date(int(m.group(3)), month, day)
            if date:
                return DateGuess(date, "explicit", m.group(0).strip())
            continue
        if anchor is not None and (year := year_for(month, day, anchor)) is not None:
            date = _safe_date(year, month, day)
            return DateGuess(date, "explicit+publication_year", m.group(0).strip())
        return DateGuess(None, "explicit_no_year", m.group(0).strip(), (month, day))
    return None


# "taking effect July 1", "until 31 May", "ahead of the Oct. 27 election", "bis zum 1. Juli": a date
# the act looks forward to, not the day it happened.
_DEADLINE_WORDS = frozenset({
    "effect", "effective", "until", "till", "by", "from", "starting", "beginning", "deadline", "ahead", "before",
    "bis", "ab", "spätestens", "vor", "frist", "of",
})  # fmt: skip


def _deadline(sentence: str, at: int) -> bool:
    words = re.findall(r"[\w.]+", sentence[max(0, at - 30) : at].lower())[-2:]
    if words[-1:] == ["of"]:
        return words[-2:-1] == ["ahead"]  # "ahead of the Oct. 27 election"; "the 3rd of May" stays
    return bool(set(words[-1:]) & _DEADLINE_WORDS) or words[-2:] in (["bis", "zum"], ["ab", "dem"], ["ahead", "of"])


# "the July 2021 riots", "in 2022", "im März", "since 2014": a month or a year only. GUIDE.md: such an
# act has no date (null, with the words kept), and a past one is background, never the publication day.
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?\s+({_YEAR})\b", re.I)
_YEAR_ONLY = re.compile(rf"\b(?:in|im|im\s+Jahr[e]?|since|seit|the|of|from|von|after|nach|during|until|bis)\s+({_YEAR})\b", re.I)
_YEAR_RE = re.compile(_YEAR)
_MONTH_STEM = re.compile("jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec")
_MONTH_ONLY = re.compile(rf"\b(?:in|im|since|seit|early|late|mid|last|Anfang|Ende|Mitte|letzten)\s+({_MONTH})\b(?!\s*\d)", re.I)


def vague_date(sentence: str, published: dt.date | None) -> DateGuess | None:
    """A month or a year only, before the publication month: no date (``month_or_year``), the words kept."""
    if published is None:
        return None
    has_year = _YEAR_RE.search(sentence) is not None  # the patterns with a year need one: most sentences have none
    if not has_year and not _MONTH_STEM.search(sentence.lower()):
        return None  # each pattern needs a year or a month name
    if has_year and (m := _MONTH_YEAR.search(sentence)):
        month, year = MONTHS[m.group(1).lower()], int(m.group(2))
        if (year, month) < (published.year, published.month):
            return DateGuess(None, "month_or_year", m.group(0))
    if has_year and (m := _YEAR_ONLY.search(sentence)) and int(m.group(1)) < published.year:
        return DateGuess(None, "month_or_year", m.group(0))
    if (m := _MONTH_ONLY.search(sentence)) and m.group(1)[:1].isupper() and MONTHS[m.group(1).lower()] < published.month:
        return DateGuess(None, "month_or_year", m.group(0))
    return None


def _weekday_before(anchor: dt.date, weekday: int, strictly: bool) -> dt.date:
    delta = (anchor.weekday() - weekday) % 7
    if delta == 0 and strictly:
        delta = 7
    return anchor - dt.timedelta(days=delta)


def _weekday(name: str) -> int:
    """0-6 for a weekday name the patterns matched, including the spellings re.I lets through
    ("FRİDAY", "ſunday": İ, ı and ſ match i and s there but lower to other characters)."""
    key = name.lower().replace("i\u0307", "i").replace("ı", "i").replace("ſ", "s")
    return WEEKDAYS[key]


def _relative(sentence: str, anchor: dt.date | None, anchor_name: str) -> DateGuess | None:
    if not _may_be_relative(sentence):
        return None  # none of the patterns below can match
    found: tuple[str, dt.date | None] | None = None
    if m := _NIGHT.search(sentence):  # "in der Nacht zum Dienstag": dated to the Tuesday
        day = _weekday(m.group(1))
        found = (m.group(0), _weekday_before(anchor, day, False) if anchor else None)
    elif m := _LAST_WEEKDAY.search(sentence):
        day = _weekday(m.group(1))
        found = (m.group(0), _weekday_before(anchor, day, True) if anchor else None)
    elif m := _RELATIVE_DAYS.search(sentence):
        word = m.group(1).lower()
        offset = _RELATIVE_OFFSET.get(word, 0)
        if word.startswith("am gestrigen"):
            offset = -1
        found = (m.group(0), anchor + dt.timedelta(days=offset) if anchor else None)
    elif m := _WEEKDAY_RE.search(sentence):  # "am Samstag" in a past-tense report: the last Saturday
        day = _weekday(m.group(1))
        found = (m.group(0), _weekday_before(anchor, day, False) if anchor else None)
    if found is None:
        return None
    text, date = found
    basis = f"relative_to_{anchor_name}" if date else "relative_unanchored"
    return DateGuess(date, basis, text.strip())


def parse_dateline(first_line: str, published: dt.date | None) -> DateGuess | None:
    """'Baku, 31. Mai, AZERTAC' / 'MOSCOW, May 31 (Reuters)': the report's own date."""
    m = _DATELINE.match(first_line)
    if not m:
        return None
    if m.group(2):
        day, month = int(m.group(2)), MONTHS[m.group(3).lower()]
    else:
        day, month = int(m.group(5)), MONTHS[m.group(4).lower()]
    text = m.group(0).strip()
    if m.group(6):
        date = _safe_date(int(m.group(6)), month, day)
        return DateGuess(date, "dateline", text) if date else None
    if published is not None and (year := year_for(month, day, published)) is not None:
        return DateGuess(_safe_date(year, month, day), "dateline+publication_year", text)
    return DateGuess(None, "dateline_no_year", text, (month, day))


def parse_ticker_heading(line: str, published: dt.date | None) -> DateGuess | None:
    """A live-ticker heading such as 'Montag, 12. Mai', 'Dienstag, 4. 3.' or 'Mi 17.7.' dates the entries below it."""
    if len(line) > 60:
        return None
    if m := _TICKER_HEADING.match(line):
        day, month = int(m.group(1)), MONTHS[m.group(2).lower()]
    elif m := _NUMERIC_HEADING.match(line):
        day, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            return None
    else:
        return None
    if m.group(3):
        date = _safe_date(int(m.group(3)), month, day)
    elif published is not None and (year := year_for(month, day, published)) is not None:
        date = _safe_date(year, month, day)
    else:
        return DateGuess(None, "ticker_heading_no_year", m.group(0), (month, day))
    return DateGuess(date, "ticker_heading", m.group(0)) if date else None


def sentence_date(
    sentence: str, published: dt.date | None, context: DateGuess | None
) -> DateGuess:
    """The date a sentence gives its events.

    Order: an explicit date in the sentence; a relative one (against the dateline or ticker date
    when there is one, else the publication date); the dateline / ticker heading; the
    publication date; else nothing (``date`` None, basis "none").
    """
    anchor, anchor_name = published, "publication"
    if context is not None and context.date is not None:
        anchor, anchor_name = context.date, context.basis.split("+")[0]
    if guess := _explicit(sentence, anchor):
        return guess
    if guess := _relative(sentence, anchor, anchor_name):
        return guess
    if guess := vague_date(sentence, published):
        return guess
    if context is not None:
        return context
    if published is not None:
        return DateGuess(published, "publication", None)
    return DateGuess(None, "none", None)


def year_from_tenures(month: int, day: int, tenures: list[tuple[dt.date | None, dt.date | None]],
                      latest: dt.date) -> int | None:
    """The single year in which day-month falls inside every tenure and not after ``latest``
    (the article's publication or ingestion date: open tenures end there), else None."""
    if not tenures:
        return None
    starts = [s for s, _ in tenures if s]
    if not starts:
        return None
    first, last = max(starts).year, min((e or latest) for _, e in tenures).year
    years = []
    for year in range(first, last + 1):
        date = _safe_date(year, month, day)
        if date and date <= latest and all((s is None or s <= date) and (e is None or date <= e) for s, e in tenures):
            years.append(year)
    return years[0] if len(years) == 1 else None
