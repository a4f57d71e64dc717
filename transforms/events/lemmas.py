"""Lemmas (simplemma), with its dictionaries loaded from a local cache.

simplemma ships each language's dictionary front-coded and lzma-compressed; decoding the
German one takes about 1 s of CPU, in every process that lemmatizes (each cleaning helper).
The decoded dictionary is the same every time, so the first process that needs it writes it
as a pickle to a cache folder and the others load that in about a third of the time. Same dictionary, same
lemmas: only the loading differs. ``python bench/helper_start.py`` measures it.

The cache folder and its rules are those of ``transforms/cachefiles.py``; the file name holds
simplemma's version and a hash of the source file's content, so an upgrade never reads a stale
cache. Beam-free.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

from transforms.cachefiles import cache_dir, content_digest, read_pickle, write_pickle

Lemmatize = Callable[[str, str], str]


def _cache_file(folder: Path, source: Path, lang: str) -> Path:
    """Named by the source's content (hashing the German one takes ~2 ms), not its file time: every
    venv and reinstall of the same simplemma shares one cache file instead of adding one (~25 MB)."""
    import simplemma

    version = getattr(simplemma, "__version__", "unknown")
    return folder / f"simplemma-{version}-{lang}-{content_digest([source])}.pickle"


@functools.cache
def make_lemmatizer(folder: Path | None = None) -> Lemmatize:
    """``lemmatize(word, lang)``: simplemma's default strategy over cached dictionaries. One per
    process and folder (as simplemma's own default): every model shares its dictionaries.

    Falls back to simplemma's own loader if its dictionary internals are not what this module
    knows (a future simplemma): slower to start, same lemmas.
    """
    import simplemma  # here, not at import: the launcher compiles no model and never lemmatizes

    try:
        from simplemma.strategies import DefaultStrategy
        from simplemma.strategies.dictionaries.dictionary_factory import (
            DATA_FOLDER,
            SUPPORTED_LANGUAGES,
            CachingDictionaryFactory,
            MappingStrToByteString,
            _load_dictionary_from_disk,
        )
    except ImportError:
        return simplemma.lemmatize

    folder = folder or cache_dir()

    class CachedDictionaryFactory(CachingDictionaryFactory):
        def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
            if lang not in SUPPORTED_LANGUAGES:
                raise ValueError(f"Unsupported language: {lang}")
            path = _cache_file(folder, DATA_FOLDER / f"{lang}.plzma", lang)
            data = read_pickle(path, "lemma")
            if not isinstance(data, dict):
                data = _load_dictionary_from_disk(lang)
                write_pickle(path, data, "lemma")
            return MappingStrToByteString(data)

    lemmatizer = simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=CachedDictionaryFactory()))
    return lemmatizer.lemmatize
