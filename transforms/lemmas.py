"""Lemmas (simplemma), with its dictionaries loaded from a local cache.

simplemma ships each language's dictionary front-coded and lzma-compressed; decoding the
German one takes about 1 s of CPU, in every process that lemmatizes (each cleaning helper).
The decoded dictionary is the same every time, so the first process that needs it writes it
as a pickle to a cache folder and the others load that in about a third of the time. Same dictionary, same
lemmas: only the loading differs. ``python bench/helper_start.py`` measures it.

The cache folder is ``$EVENTWIRE_CACHE_DIR``, else ``$XDG_CACHE_HOME/eventwire``, else
``~/.cache/eventwire``. A cache that cannot be written (read-only home) or read (truncated
file) only costs the slow load; the file name holds simplemma's version and a hash of the
source file's content, so an upgrade never reads a stale cache. Beam-free.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import simplemma

log = logging.getLogger(__name__)

Lemmatize = Callable[[str, str], str]


def cache_dir() -> Path:
    if configured := os.environ.get("EVENTWIRE_CACHE_DIR"):
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "eventwire"


def _cache_file(folder: Path, source: Path, lang: str) -> Path:
    """Named by the source's content (hashing the German one takes ~2 ms), not its file time: every
    venv and reinstall of the same simplemma shares one cache file instead of adding one (~25 MB)."""
    digest = hashlib.blake2b(source.read_bytes(), digest_size=12).hexdigest()
    version = getattr(simplemma, "__version__", "unknown")
    return folder / f"simplemma-{version}-{lang}-{digest}.pickle"


def _read_cache(path: Path) -> dict[bytes, bytes] | None:
    try:
        with open(path, "rb") as handle:
            data = pickle.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError) as exc:
        log.warning("lemma cache %s unreadable (%s); loading the dictionary from simplemma", path, exc)
        return None
    return data if isinstance(data, dict) else None


def _write_cache(path: Path, data: dict[bytes, bytes]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".lemmas-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, path)  # atomic: helpers starting together never read half a file
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError as exc:
        log.info("lemma cache not written to %s (%s)", path.parent, exc)


@functools.cache
def make_lemmatizer(folder: Path | None = None) -> Lemmatize:
    """``lemmatize(word, lang)``: simplemma's default strategy over cached dictionaries. One per
    process and folder (as simplemma's own default): every model shares its dictionaries.

    Falls back to simplemma's own loader if its dictionary internals are not what this module
    knows (a future simplemma): slower to start, same lemmas.
    """
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
            data = _read_cache(path)
            if data is None:
                data = _load_dictionary_from_disk(lang)
                _write_cache(path, data)
            return MappingStrToByteString(data)

    lemmatizer = simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=CachedDictionaryFactory()))
    return lemmatizer.lemmatize
