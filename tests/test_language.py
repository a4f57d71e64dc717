from __future__ import annotations

import functools

import pytest

from transforms.language.detect import LanguageDetector
from transforms.settings import LanguageSettings

DETECTOR = LanguageDetector(LanguageSettings())


@pytest.mark.parametrize("text", ["ok", "", "12345 !!!", "   ", "Hallo Welt"])
def test_short_or_letterless_text_is_undetermined(text: str) -> None:
    assert DETECTOR.detect(text) == ("und", None)


def test_german_and_english_with_probability() -> None:
    de = DETECTOR.detect("Der russische Außenminister telefonierte am Samstag mit seinem Amtskollegen aus Baku.")
    en = DETECTOR.detect("The Russian foreign minister spoke by phone with his counterpart from Baku on Saturday.")
    assert de[0] == "de" and en[0] == "en" and de[1] > 0.9 and en[1] > 0.9


def test_seeded_detection_is_deterministic_across_detectors() -> None:
    text = "Ein kurzer, etwas zweideutiger Text mit ein paar Wörtern und einem Namen: Paris Berlin Roma."
    again = LanguageDetector(LanguageSettings())
    assert [DETECTOR.detect(text) for _ in range(3)] == [again.detect(text)] * 3


@functools.cache
def _stock_factory():  # type: ignore[no-untyped-def]
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)  # langdetect's own loader, from its JSON files
    factory.set_seed(LanguageSettings().seed)
    return factory


def _probabilities(detector) -> list[tuple[str, float]] | str:  # type: ignore[no-untyped-def]
    from langdetect.lang_detect_exception import LangDetectException

    try:
        return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
    except LangDetectException as exc:
        return str(exc)


def _stock_probabilities(text: str) -> list[tuple[str, float]] | str:
    """What langdetect's own Detector answers, with its own profiles and the same seed."""
    from langdetect.detector import Detector

    detector = Detector(_stock_factory())
    detector.append(text)
    return _probabilities(detector)


def _our_probabilities(text: str) -> list[tuple[str, float]] | str:
    detector = DETECTOR._detector_class(DETECTOR._factory)
    detector.append(text)
    return _probabilities(detector)


SCRIPTS = [
    "これは日本語のテキストです。東京で外相会談が開かれた。",
    "Это русский текст о министре иностранных дел и его визите.",
    "هذا نص عربي عن وزير الخارجية وزيارته",
    "Đây là tiếng Việt có dấu, Bộ trưởng Ngoại giao đã đến Hà Nội.",
    "Ministrul de externe a vizitat Chișinăul și Bucureștiul săptămâna trecută.",
    "ABC DEF GHI ministère des AFFAIRES étrangères",
    "  Leerzeichen   am Anfang,  doppelte\u2019 und der NATO-Gipfel (EU–USA) in WASHINGTON.  ",
    "!!!", "", "a", " A B ",
]


def test_detection_is_langdetects_own_answer_to_the_last_digit(corpus) -> None:
    """The faster detector and its cached profiles change how langdetect's arithmetic runs, not
    its result: the same languages with bit-identical probabilities as langdetect's Detector on
    its own profiles, on every corpus article (German, English) at the sampled length and at full
    length, and on other scripts."""
    import json

    texts = [f"{page.get('title') or ''}\n{page.get('body') or ''}"
             for page in (json.loads(p.read_text(encoding="utf-8"))
                          for p in sorted(corpus.glob("fundus/*/*.expected.json")))]
    assert len(texts) > 150
    samples = [t[:1000] for t in texts] + texts[:40] + SCRIPTS + [s * 20 for s in SCRIPTS]
    differing = [s[:60] for s in samples if _our_probabilities(s) != _stock_probabilities(s)]
    assert differing == []
    assert _our_probabilities(SCRIPTS[0])[0][0] == "ja" and _our_probabilities("") == "No features in text."


def test_profiles_cache_is_langdetects_profiles_and_a_bad_one_is_rebuilt(tmp_path) -> None:
    import numpy as np

    from transforms.language import profiles as langprofiles

    stock = _stock_factory()
    langprofiles.load_profiles.cache_clear()
    try:
        built = langprofiles.load_profiles(tmp_path)  # computed by langdetect, then cached
        (cached_file,) = tmp_path.iterdir()
        langprofiles.load_profiles.cache_clear()
        loaded = langprofiles.load_profiles(tmp_path)  # from the cache
        for profiles in (built, loaded):
            assert list(profiles.languages) == stock.langlist
            assert list(profiles.rows) == list(stock.word_lang_prob_map)
            assert all(profiles.matrix[row].tolist() == stock.word_lang_prob_map[word]
                       for word, row in profiles.rows.items())
        import pickle

        cached = pickle.loads(cached_file.read_bytes())
        cached_file.write_bytes(pickle.dumps({**cached, "words": cached["words"][:10]}))  # rows point past it
        langprofiles.load_profiles.cache_clear()
        assert np.array_equal(langprofiles.load_profiles(tmp_path).matrix, built.matrix)  # rebuilt, not a crash
        cached_file.write_bytes(cached_file.read_bytes()[:5000])  # a crash mid-write, a full disk
        langprofiles.load_profiles.cache_clear()
        again = langprofiles.load_profiles(tmp_path)
        assert np.array_equal(again.matrix, built.matrix) and cached_file.stat().st_size > 5000  # rebuilt
    finally:
        langprofiles.load_profiles.cache_clear()
