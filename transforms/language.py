"""Language: langdetect, seeded so every run gives the same answer, on the cleaned text.

Text with too few letters is "und": langdetect answers confidently on anything
(it calls "ok" Slovak with p=0.99999), so shortness is decided before asking it.
Beam-free (the cleaning helpers run it); the Beam stage is transforms/analyze.py.
"""

from __future__ import annotations

import dataclasses

from transforms.records import Article
from transforms.settings import LanguageSettings

UNDETERMINED = "und"


def count_letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


class LanguageDetector:
    """A langdetect factory of our own (not the module global), profiles loaded once."""

    def __init__(self, settings: LanguageSettings) -> None:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

        self._settings = settings
        self._factory = DetectorFactory()
        self._factory.load_profile(PROFILES_DIRECTORY)
        self._factory.set_seed(settings.seed)

    def detect(self, text: str) -> tuple[str, float | None]:
        """(ISO 639-1 code, probability), or ("und", None) when the text is too short to tell."""
        from langdetect.lang_detect_exception import LangDetectException

        sample = text[: self._settings.sample_chars]
        if count_letters(sample) < self._settings.min_letters:
            return UNDETERMINED, None
        detector = self._factory.create()
        detector.append(sample)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return UNDETERMINED, None
        return best.lang.split("-")[0], round(float(best.prob), 4)


def with_language(article: Article, detector: LanguageDetector) -> Article:
    # Title and text together: a short text with a real title still tells.
    language, prob = detector.detect(f"{article.title or ''}\n{article.text}".strip())
    return dataclasses.replace(article, language=language, language_prob=prob)
