"""The German golden-sentence suite, scored by bench/eval_events.py, must stay above its bar."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.events_helpers import model

ROOT = Path(__file__).resolve().parent.parent


def _eval_module():
    spec = importlib.util.spec_from_file_location("eval_events", ROOT / "bench" / "eval_events.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_german_golden_sentences():
    score, strict, total = _eval_module().eval_golden(model(), ROOT / "tests" / "fixtures" / "events" / "golden_de.yaml")
    precision, recall = score.totals()
    assert total >= 25
    assert strict / total >= 0.70, f"type + actor set + date right on {strict}/{total}"
    assert precision >= 0.75 and recall >= 0.65, (precision, recall)
