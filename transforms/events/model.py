"""The event model: validated lexicons and gazetteers from the configuration (``load_event_model``),
how it travels to workers (pickled as one blob), and its matchers, compiled once per process.

Beam-free, like ``transforms/events/extract.py``, which extracts mentions with it.
"""

from __future__ import annotations

import hashlib
import pickle
import unicodedata
import zlib
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import metadata
from pathlib import Path

from transforms.cachefiles import cache_dir, content_digest, read_pickle, write_pickle
from transforms.events.gate import Lemmatizer, SentenceGate
from transforms.events.gazetteer import CompiledGazetteer, GazetteerSpec, load_gazetteer
from transforms.events.lemmas import make_lemmatizer
from transforms.events.lexicon import CompiledLexicon, TriggerSpec, load_lexicon
from transforms.settings import ConfigError, Settings, packaged_config_dir, resolve_config_path


@dataclass(frozen=True)
class EventModel:
    """Validated lexicons and gazetteers; frozen, picklable. Matchers are compiled per worker."""

    languages: tuple[str, ...]
    lexicons: tuple[tuple[str, tuple[TriggerSpec, ...]], ...]
    gazetteer: GazetteerSpec
    fingerprint: str = field(default="", compare=False)

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        # Beam pickles every DoFn that carries the model (and bz2-compresses it) at graph build and
        # again for every bundle processor: as one zlib blob, restored once per process by
        # fingerprint, that costs a few ms instead of ~70 ms each time.
        if not self.fingerprint:
            return super().__reduce_ex__(protocol)  # type: ignore[arg-type]
        _RESTORED.setdefault(self.fingerprint, self)  # unpickled in this process: this very object
        return _restore_model, (self.fingerprint, self._packed)

    @cached_property
    def _packed(self) -> bytes:
        return zlib.compress(pickle.dumps((self.languages, self.lexicons, self.gazetteer), pickle.HIGHEST_PROTOCOL), 6)


_RESTORED: dict[str, EventModel] = {}


def _restore_model(fingerprint: str, packed: bytes) -> EventModel:
    model = _RESTORED.get(fingerprint)
    if model is None:
        model = EventModel(*pickle.loads(zlib.decompress(packed)), fingerprint=fingerprint)
        _RESTORED[fingerprint] = model
    return model


def load_event_model(settings: Settings) -> EventModel:
    """The validated model of ``settings``' lexicons and gazetteers. Parsing their YAML takes ~0.1 s
    at every run's start; the result is cached per machine (``transforms/cachefiles.py``) under
    a name made from everything it depends on: those files, this package's code, pycountry's
    version and Python's Unicode tables."""

    def path(relative: str) -> Path:
        if settings.config_dir:
            return resolve_config_path(settings, relative)
        return packaged_config_dir() / relative

    events = settings.events
    lexicon_paths = [(lang, path(p)) for lang, p in sorted(events.lexicons.items())]
    gazetteer_paths = [path(p) for p in events.gazetteers]
    for named in [p for _, p in lexicon_paths] + gazetteer_paths:
        if not named.is_file():  # a usage mistake: one line (exit 2), not a traceback from the digest below
            raise ConfigError(f"{named}: no such file (named in events.lexicons or events.gazetteers of the "
                              f"configuration; relative paths are read from the configuration's folder)")
    cache = _cache_file(events.languages, [p for _, p in lexicon_paths] + gazetteer_paths)
    cached = read_pickle(cache, "event model") if cache else None
    if isinstance(cached, tuple) and len(cached) == 4 and isinstance(cached[3], str):
        return EventModel(*cached[:3], fingerprint=cached[3])
    lexicons = tuple((lang, load_lexicon(p)) for lang, p in lexicon_paths)
    model = EventModel(tuple(events.languages), lexicons, load_gazetteer(gazetteer_paths))
    digest = hashlib.sha256(pickle.dumps((model.languages, model.lexicons, model.gazetteer))).hexdigest()[:16]
    if cache:
        write_pickle(cache, (model.languages, model.lexicons, model.gazetteer, digest), "event model")
    return replace(model, fingerprint=digest)


def _cache_file(languages: tuple[str, ...], sources: list[Path]) -> Path | None:
    """None when a source cannot be read: then loading reports it as it always did."""
    code = sorted(Path(__file__).parent.glob("*.py"))  # the parsers and whatever they import of ours
    try:
        digest = content_digest([*sources, *code])
    except OSError:
        return None
    versions = f"{'-'.join(languages)}|{metadata.version('pycountry')}|{unicodedata.unidata_version}"
    tag = hashlib.blake2b(f"{digest}|{versions}".encode(), digest_size=12).hexdigest()
    return cache_dir() / f"event-model-{tag}.pickle"


@dataclass
class CompiledModel:
    """The matchers of one model in this process."""

    lexicons: dict[str, CompiledLexicon]
    gazetteer: CompiledGazetteer
    lemmatizers: dict[str, Lemmatizer] = field(init=False)
    gates: dict[str, SentenceGate] = field(init=False)

    def __post_init__(self) -> None:
        lemmatize = make_lemmatizer()  # simplemma's dictionaries from the local cache (transforms/events/lemmas.py)
        self.lemmatizers = {lang: Lemmatizer(lang, lemmatize) for lang in self.lexicons}
        self.gates = {lang: SentenceGate(lexicon, self.gazetteer.anchors, self.lemmatizers[lang])
                      for lang, lexicon in self.lexicons.items()}

    def load_lemmas(self) -> None:
        """Load each language's lemma dictionary now instead of inside the first article of that
        language (~0.3 s for German): a helper does it at set-up, while it waits for its first page."""
        for lang, lemmatizer in self.lemmatizers.items():
            lemmatizer.lemmatize("x", lang)  # any word: simplemma loads a dictionary on first lookup


_COMPILED: dict[str, CompiledModel] = {}


def compile_model(model: EventModel) -> CompiledModel:
    """The per-process matchers for a model (built on first use, then reused)."""
    compiled = _COMPILED.get(model.fingerprint)
    if compiled is None:
        compiled = CompiledModel({lang: CompiledLexicon(s) for lang, s in model.lexicons}, CompiledGazetteer(model.gazetteer))
        _COMPILED[model.fingerprint] = compiled
    return compiled
