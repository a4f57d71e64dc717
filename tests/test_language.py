from __future__ import annotations

import pytest

from transforms.language import LanguageDetector
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
