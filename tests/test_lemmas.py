"""The lemma cache (tries): the same lemmas as simplemma's own loader, and a bad cache costs only time."""

from __future__ import annotations

import os
from pathlib import Path

import simplemma

from transforms.events import lemmas


def make_lemmatizer(folder: Path):  # type: ignore[no-untyped-def]
    """As in a new process: the per-process lemmatizer is built again."""
    lemmas.make_lemmatizer.cache_clear()
    return lemmas.make_lemmatizer(folder)

WORDS = {
    "de": ["verhandelte", "Sanktionen", "drohten", "Außenminister", "Gesprächen", "unterzeichneten",
           "Waffenstillstandsabkommen", "kritisierte", "Ölpreis", "vereinbart"],
    "en": ["negotiated", "sanctions", "threatened", "ministers", "talks", "signed", "ceasefire", "criticised",
           "meeting", "was"],
}


def _lemmas(lemmatize) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    return {(word, lang): lemmatize(word, lang) for lang, words in WORDS.items() for word in words}


def test_cached_dictionaries_give_simplemmas_lemmas_and_are_written_once(tmp_path: Path) -> None:
    expected = {(word, lang): simplemma.lemmatize(word, lang=lang) for lang, words in WORDS.items() for word in words}
    assert _lemmas(make_lemmatizer(tmp_path)) == expected  # first: decodes and writes the cache
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2 and all(name.startswith("simplemma-") and name.endswith(".dic") for name in files)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert _lemmas(make_lemmatizer(tmp_path)) == expected  # then: reads it, rewrites nothing
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamps


def test_a_truncated_cache_is_replaced_and_lemmas_stay_right(tmp_path: Path) -> None:
    make_lemmatizer(tmp_path)("Gesprächen", "de")
    cached = next(tmp_path.iterdir())
    cached.write_bytes(cached.read_bytes()[:1000])  # a crash mid-copy, a full disk
    assert make_lemmatizer(tmp_path)("Gesprächen", "de") == simplemma.lemmatize("Gesprächen", lang="de")
    assert cached.stat().st_size > 1000  # rebuilt


def test_an_unwritable_cache_folder_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")  # the cache "folder" is a file: nothing can be written under it
    assert make_lemmatizer(blocked / "cache")("threatened", "en") == simplemma.lemmatize("threatened", lang="en")


def test_the_cache_is_named_by_the_dictionary_content_not_its_file_time(tmp_path: Path) -> None:
    """A reinstall or a new venv (same bytes, new file time) reuses the cache; other bytes do not."""
    source = tmp_path / "de.plzma"
    source.write_bytes(b"front-coded dictionary bytes")
    first = lemmas._cache_file(tmp_path / "cache", source, "de")
    os.utime(source, ns=(1_000_000_000, 1_000_000_000))
    assert lemmas._cache_file(tmp_path / "cache", source, "de") == first
    source.write_bytes(b"front-coded dictionary bytes, revised")
    assert lemmas._cache_file(tmp_path / "cache", source, "de") != first
    assert lemmas._cache_file(tmp_path / "cache", source, "en") != lemmas._cache_file(tmp_path / "cache", source, "de")


def test_every_word_of_a_text_gets_simplemmas_own_lemma(tmp_path: Path) -> None:
    """Not only the listed words: every word of real sentences, inflected, compounded, capitalised."""
    text = (
        "Die Außenministerin verhandelte gestern in Baku mit ihren Amtskollegen über die umstrittenen "
        "Grenzziehungen; nach zähen Gesprächen unterzeichneten beide Regierungen ein Rahmenabkommen. "
        "The delegations were negotiating until dawn, and the ministers' aides said the ceasefire talks "
        "had stalled before the envoys' arrival was announced."
    )
    words = [w.strip(".,;:'") for w in text.split()]
    lemmatize = make_lemmatizer(tmp_path)
    for lang in ("de", "en"):
        assert [lemmatize(w, lang) for w in words] == [simplemma.lemmatize(w, lang=lang) for w in words]

