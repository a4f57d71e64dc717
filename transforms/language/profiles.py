"""langdetect's language profiles as one matrix, loaded from a local cache.

langdetect reads its 55 JSON profiles into a dict of 87,598 n-grams, each a list of 55
probabilities: ~0.27 s of CPU and ~60 MB in every process that detects languages (each
cleaning helper, at its start, when both cores are busy). The probabilities are the same every
time, so the first process computes them with langdetect's own loader and caches them sparse
(96% are zero, ~3 MB); the others load them as a dense float64 matrix in a few hundredths of a
second. The same numbers in the same language order give the same answers
(tests/test_language.py compares with langdetect itself).

Cache folder and rules: ``transforms/cachefiles.py``. The file is named by the profiles' bytes
in the order langdetect reads them (``os.listdir``): that order numbers the languages, and with
it the order of a sum, so a profile folder listed in another order gets its own cache. Beam-free.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Any

import numpy as np

from transforms.cachefiles import cache_dir, content_digest, read_pickle, write_pickle

_FORMAT = 1


@dataclasses.dataclass(frozen=True, eq=False)
class Profiles:
    """P(n-gram | language) for every n-gram langdetect knows: ``matrix[rows[ngram]]`` lists it
    per language, in the order of ``languages`` (langdetect's ``langlist``)."""

    languages: tuple[str, ...]
    rows: dict[str, int]
    matrix: Any  # numpy float64, (n-grams, languages)


def _profile_files() -> list[Path]:
    from langdetect.detector_factory import PROFILES_DIRECTORY

    folder = Path(PROFILES_DIRECTORY)
    return [folder / name for name in os.listdir(folder) if not name.startswith(".") and (folder / name).is_file()]


def _from_langdetect() -> Profiles:
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    words = list(factory.word_lang_prob_map)
    matrix = np.array([factory.word_lang_prob_map[w] for w in words], dtype=np.float64)
    return Profiles(tuple(factory.langlist), {w: i for i, w in enumerate(words)}, matrix)


def _sparse(profiles: Profiles) -> dict[str, Any]:
    rows, columns = np.nonzero(profiles.matrix)
    return {"format": _FORMAT, "languages": profiles.languages, "words": list(profiles.rows),
            "rows": rows.astype(np.int32), "columns": columns.astype(np.int16),
            "values": profiles.matrix[rows, columns]}


def _dense(cached: Any) -> Profiles | None:
    """The cached profiles, or None for anything that is not a whole cache of this format (it is
    then rebuilt: a bad cache costs the slow load, never the run)."""
    if not isinstance(cached, dict) or cached.get("format") != _FORMAT:
        return None
    try:
        words, languages = list(cached["words"]), tuple(cached["languages"])
        matrix = np.zeros((len(words), len(languages)), dtype=np.float64)
        matrix[cached["rows"], cached["columns"]] = cached["values"]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return Profiles(languages, {w: i for i, w in enumerate(words)}, matrix)


@functools.cache
def load_profiles(folder: Path | None = None) -> Profiles:
    """The profiles, from the cache when it holds them (one copy per process and folder)."""
    files = _profile_files()
    path = (folder or cache_dir()) / f"langdetect-{content_digest(files)}.pickle"
    profiles = _dense(read_pickle(path, "language profile"))
    if profiles is None:
        profiles = _from_langdetect()
        write_pickle(path, _sparse(profiles), "language profile")
    return profiles
