"""Language: langdetect, seeded so every run gives the same answer, on the cleaned text.

Text with too few letters is "und": langdetect answers confidently on anything
(it calls "ok" Slovak with p=0.99999), so shortness is decided before asking it.
Beam-free (the cleaning helpers run it); the Beam stage is transforms/events/stage.py.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
from typing import Any

from transforms.records import Article
from transforms.settings import LanguageSettings

UNDETERMINED = "und"
_SPACES = re.compile(" {2,}")


def count_letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


class LanguageDetector:
    """langdetect with a factory of our own (not the module global): its profiles loaded once per
    process, from the per-machine cache (``transforms/language/profiles.py``)."""

    def __init__(self, settings: LanguageSettings) -> None:
        from transforms.language.profiles import load_profiles

        self._settings = settings
        profiles = load_profiles()
        # what langdetect's Detector reads of its factory; the probabilities come as a matrix
        self._factory = types.SimpleNamespace(word_lang_prob_map=profiles.rows, langlist=list(profiles.languages),
                                              seed=settings.seed, matrix=profiles.matrix)
        self._detector_class = _exact_fast_detector()

    def detect(self, text: str) -> tuple[str, float | None]:
        """(ISO 639-1 code, probability), or ("und", None) when the text is too short to tell."""
        from langdetect.lang_detect_exception import LangDetectException

        sample = text[: self._settings.sample_chars]
        if count_letters(sample) < self._settings.min_letters:
            return UNDETERMINED, None
        detector = self._detector_class(self._factory)
        detector.append(sample)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return UNDETERMINED, None
        return best.lang.split("-")[0], round(float(best.prob), 4)


@functools.cache
def _exact_fast_detector() -> type[Any]:
    """langdetect's ``Detector`` with its inner loops rewritten: the same floating-point
    operations in the same order and the same random draws, so the same languages and
    probabilities (tests/test_language.py compares it with the original on the corpus), in
    about 40% less time. langdetect spends most of a detection multiplying 55 probabilities
    per sampled n-gram in a Python loop; here numpy does it (element-wise, the same IEEE
    operations; sums stay sequential, as numpy's pairwise sum would round differently)."""
    import numpy as np
    from langdetect.detector import Detector
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException
    from langdetect.utils.ngram import NGram

    normalized = functools.cache(NGram.normalize)  # a pure function of one character

    class ExactFastDetector(Detector):  # type: ignore[misc]
        def __init__(self, factory: Any) -> None:
            super().__init__(factory)  # its word_lang_prob_map: n-gram -> row of the matrix
            self._matrix = factory.matrix

        def _vector(self, word: str) -> Any:
            return self._matrix[self.word_lang_prob_map[word]]

        def _detect_block(self) -> None:
            self.cleaning_text()
            ngrams = self._extract_ngrams()
            if not ngrams:
                raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
            langprob = [0.0] * len(self.langlist)
            self.random.seed(self.seed)
            for _ in range(self.n_trial):
                prob = np.array(self._init_probability())
                alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
                weight = alpha / self.BASE_FREQ
                i = 0
                while True:
                    prob *= weight + self._vector(self.random.choice(ngrams))  # _update_lang_prob
                    if i % 5 == 0:  # _normalize_prob: a sequential sum, then the running maximum from 0.0
                        prob /= sum(prob.tolist())
                        if max(0.0, *prob.tolist()) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                            break
                    i += 1
                for j, p in enumerate(prob.tolist()):
                    langprob[j] += p / self.n_trial
            self.langprob = langprob

        def _extract_ngrams(self) -> list[str]:
            # NGram.add_char and the 1- to 3-gram lookups of Detector._extract_ngrams, over the text
            # as NGram sees it: normalized, one space before it and runs of spaces as one (NGram
            # restarts at a space). At each character: its 1-gram (not a space), the 2-gram ending
            # there, and the 3-gram unless it would span a space; none inside an upper-case run.
            known, result = self.word_lang_prob_map, []
            append = result.append
            text = _SPACES.sub(" ", " " + self.text.translate({ord(c): normalized(c) for c in set(self.text)}))
            for before, last, ch in zip(" " + text, text, text[1:], strict=False):  # from the 2nd character on
                if ch.isupper() and last.isupper():
                    continue
                if ch != " " and ch in known:
                    append(ch)
                pair = last + ch
                if pair in known:
                    append(pair)
                if last != " " and (triple := before + pair) in known:
                    append(triple)
            return result

    return ExactFastDetector


def with_language(article: Article, detector: LanguageDetector) -> Article:
    # Title and text together: a short text with a real title still tells.
    language, prob = detector.detect(f"{article.title or ''}\n{article.text}".strip())
    return dataclasses.replace(article, language=language, language_prob=prob)
