"""Lemmas (simplemma), with its dictionaries kept as MARISA tries in a local cache.

simplemma ships each language's dictionary front-coded and lzma-compressed; decoded into a dict
it costs ~0.9 s of CPU (German) and ~150 MB in every process that lemmatizes (each analysis
helper). simplemma's own trie backend (``TrieWrapDict`` over a ``marisa_trie.BytesTrie``, the
``marisa-trie`` extra of simplemma) gives the same lemmas from a file that loads in milliseconds
and holds ~8 MB. The first process that needs a language builds its trie from simplemma's
public dictionary and writes it atomically; the others load it. Same dictionary, same lemmas
(``tests/test_lemmas.py``); ``python bench/helper_start.py`` measures the loading.

The cache folder and its rules are those of ``transforms/cachefiles.py``; a file's name holds
simplemma's and marisa-trie's versions and a hash of the dictionary's source, so an upgrade never
reads a stale file. Without marisa-trie, or when no trie can be read or written, simplemma's
default dict backend is used: slower to start, same lemmas. Beam-free.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path

from transforms.cachefiles import cache_dir, content_digest

log = logging.getLogger(__name__)

Lemmatize = Callable[[str, str], str]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def _cache_file(folder: Path, source: Path, lang: str) -> Path:
    """Named by the source's content (hashing the German one takes ~2 ms), not its file time: every
    venv and reinstall of the same simplemma shares one cache file instead of adding one."""
    versions = f"simplemma-{_version('simplemma')}-marisa-{_version('marisa-trie')}"
    return folder / f"{versions}-{lang}-{content_digest([source])}.dic"


class TrieDictionaries:
    """simplemma's ``DictionaryFactory`` protocol (``get_dictionary(lang)``) over cached tries."""

    def __init__(self, folder: Path) -> None:
        from simplemma.strategies.dictionaries.dictionary_factory import DATA_FOLDER, DefaultDictionaryFactory

        self._folder, self._data, self._decoder = folder, Path(DATA_FOLDER), DefaultDictionaryFactory
        self._loaded: dict[str, Mapping[str, str]] = {}

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        if lang not in self._loaded:
            trie = self._trie(lang)
            self._loaded[lang] = trie if trie is not None else self._decoder().get_dictionary(lang)
        return self._loaded[lang]

    def _trie(self, lang: str) -> Mapping[str, str] | None:
        from marisa_trie import HUGE_CACHE, BytesTrie
        from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieWrapDict

        source = self._data / f"{lang}.plzma"
        if not source.is_file():
            return None  # not a language simplemma ships: its own factory raises the usual error
        path = _cache_file(self._folder, source, lang)
        try:
            return TrieWrapDict(BytesTrie().load(str(path)))
        except FileNotFoundError:
            pass
        except Exception as exc:  # marisa raises its own errors on a truncated or foreign file
            log.warning("lemma cache %s unreadable (%s); building it again", path, exc)
        decoded = self._decoder().get_dictionary(lang)  # a factory of its own: the dict is dropped after
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".lemma-", suffix=".tmp")
        except OSError as exc:  # building a trie (~2.5 s) only pays off when the next process can load it
            log.info("lemma cache not written to %s (%s)", path.parent, exc)
            return decoded
        os.close(handle)
        trie = BytesTrie(((key, decoded[key].encode()) for key in decoded), cache_size=HUGE_CACHE)
        try:
            trie.save(temp)
            os.replace(temp, path)  # processes starting together never read half a file
        except (OSError, RuntimeError) as exc:  # marisa reports a failed write (a full disk) as RuntimeError
            log.info("lemma cache not written to %s (%s)", path.parent, exc)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        return TrieWrapDict(trie)


@functools.cache
def make_lemmatizer(folder: Path | None = None) -> Lemmatize:
    """``lemmatize(word, lang)``: simplemma's default strategy over cached tries. One per process
    and folder (as simplemma's own default): every model shares its dictionaries."""
    import simplemma  # here, not at import: the launcher compiles no model and never lemmatizes
    from simplemma.strategies import DefaultStrategy

    try:  # what this module uses of simplemma 2 and marisa-trie; an older simplemma: its own loader
        import marisa_trie  # noqa: F401
        from simplemma.strategies.dictionaries import dictionary_factory, trie_dictionary_factory  # noqa: F401
    except ImportError:
        return simplemma.lemmatize
    factory = TrieDictionaries(folder or cache_dir())
    return simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=factory)).lemmatize
