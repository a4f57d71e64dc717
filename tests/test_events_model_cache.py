"""The event model's per-machine cache: the model the YAML gives, never a stale one, never a bad one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from transforms.events.model import load_event_model
from transforms.settings import load_settings, packaged_config_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("EVENTWIRE_CACHE_DIR", str(folder))
    return folder


def test_the_cached_model_is_the_model_the_yaml_gives_and_is_written_once(cache: Path) -> None:
    settings = load_settings()
    parsed = load_event_model(settings)  # parses the YAML, writes the cache
    [written] = list(cache.iterdir())
    assert written.name.startswith("event-model-")
    stamp = written.stat().st_mtime_ns
    cached = load_event_model(settings)
    assert cached == parsed and cached.fingerprint == parsed.fingerprint
    assert written.stat().st_mtime_ns == stamp and list(cache.iterdir()) == [written]


def test_an_edited_gazetteer_is_read_not_an_older_cache(cache: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(packaged_config_dir(), config)
    settings = load_settings(config / "pipeline.yaml")
    before = load_event_model(settings)
    gazetteer = config / "gazetteer" / "organizations.yaml"
    gazetteer.write_text(gazetteer.read_text(encoding="utf-8").replace(
        "  NATO: {names: [NATO,", "  NATO: {names: [Nordatlantische Allianz, NATO,"), encoding="utf-8")
    after = load_event_model(settings)
    assert after != before and after.fingerprint != before.fingerprint
    assert ("Nordatlantische Allianz", "NATO:igo") in {(phrase, label.key) for phrase, label in after.gazetteer.phrases}
    assert len(list(cache.iterdir())) == 2


def test_an_unreadable_cache_is_rebuilt(cache: Path) -> None:
    settings = load_settings()
    parsed = load_event_model(settings)
    [written] = list(cache.iterdir())
    written.write_bytes(b"not a pickle")
    assert load_event_model(settings) == parsed
    assert load_event_model(settings).fingerprint == parsed.fingerprint  # from the rewritten cache
    assert written.read_bytes() != b"not a pickle"
