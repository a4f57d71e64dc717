"""Text normalization and the one paragraph splitter, shared by cleaning and event extraction.

A paragraph is a non-empty line: news text uses single and double newlines alike. Cleaning
writes an article's paragraphs joined by blank lines; extraction splits them again the same way.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs are non-empty lines: news text uses single and double newlines alike."""
    return [line for line in normalize_text(text).split("\n") if line]
