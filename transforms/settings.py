"""YAML configuration, validated once into frozen typed objects.

``load_settings`` reads ``config/pipeline.yaml`` (or a user's file), checks every key
against the dataclasses below (unknown keys are errors, with the path of the key), and
returns a frozen ``Settings`` that travels inside the DoFns, so workers never read the
launcher's disk. This module imports nothing of ours.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration file that does not match the expected shape."""


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only dict that still pickles (``MappingProxyType`` does not), for config mappings."""

    def _readonly(self, *args: Any, **kwargs: Any) -> typing.NoReturn:
        raise TypeError("configuration is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


# --- generic strict loader -------------------------------------------------------------


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, where)
    if dataclasses.is_dataclass(tp):
        return load_dataclass(tp, value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping) or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
        kt, vt = args or (str, Any)
        return FrozenDict({_convert(kt, k, where): _convert(vt, v, f"{where}.{k}") for k, v in value.items()})
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (str, int, float, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported type {tp!r}")  # a bug in the dataclasses, not the file


def load_dataclass(cls: type[T], data: Any, where: str = "config") -> T:
    """Build ``cls`` from a mapping, rejecting unknown keys and wrong types."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(fields))}")
    kwargs = {name: _convert(hints[name], value, f"{where}.{name}") for name, value in data.items()}
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
    return cls(**kwargs)


# libyaml's safe loader when PyYAML was built with it: the same documents, ~10x faster (the
# lexicons and gazetteers are thousands of lines, parsed on every run's start).
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: str | Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    except OSError as exc:  # a missing or unreadable configuration file is a usage mistake: one line, exit 2
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def packaged_config_dir() -> Path:
    """The ``config/`` folder installed with the package (package data)."""
    return Path(str(resources.files("config")))


# --- the pipeline's settings -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ReadSettings:
    max_file_bytes: int = 64 * 1024 * 1024  # compressed size on disk / in the bucket
    max_decompressed_bytes: int = 256 * 1024 * 1024  # a decompression bomb stops here
    max_document_bytes: int = 8 * 1024 * 1024  # one article (a page, a JSONL line, a WARC payload)
    max_records_per_file: int = 0  # 0: no limit (--max-records sets it to sample a huge input)
    # a local run reads its input in waves, each one pipeline and one commit: its memory is a wave's
    wave_files: int = 2000  # files per wave at most
    wave_bytes: int = 64 * 1024 * 1024  # input bytes per wave at most (a bigger JSON Lines or .warc.gz is split)


@dataclasses.dataclass(frozen=True)
class PublisherRule:
    """Boilerplate rules of one publisher, matched on the article's source or URL host."""

    name: str
    match: tuple[str, ...]  # case-insensitive substrings of source or url host
    signature: tuple[str, ...] = ()  # regexes: the rule also applies when the text matches one
    cut_from: tuple[str, ...] = ()  # regexes: a paragraph matching one and everything after it go
    drop: tuple[str, ...] = ()  # regexes: paragraphs matching one go


@dataclasses.dataclass(frozen=True)
class CleanSettings:
    min_chars: int = 200  # shorter cleaned text is rejected as clean/too_short
    publishers: tuple[PublisherRule, ...] = ()
    generic: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=FrozenDict)  # lang|"*" -> regexes
    learned_min_articles: int = 3  # a paragraph seen in this many articles of one source ...
    learned_min_chars: int = 30  # ... and at least this long is learned boilerplate
    # Extraction and rules run in a helper process per worker so a document that makes a parser or a
    # regex spin can be cut off (parse/timeout) and one that crashes it rejected (parse/crashed).
    parse_timeout_seconds: float = 20.0  # wall-clock limit per document
    parse_memory_mb: int = 2048  # address-space cap of the helper process (0: none)
    parse_isolation: bool = True  # False: run in the worker itself (no time limit; for debugging)
    # Helper processes per Clean DoFn, working at once. 0 = decided at launch: one per core when the
    # local runner executes the graph in-process (the helpers are then the run's parallelism), else 1.
    parse_processes: int = 0
    # A JSON-LD block longer than this (characters) is removed before extraction: trafilatura's
    # fallback parser is quadratic in it (transforms/clean/jsonld.py). 0: no limit.
    max_jsonld_chars: int = 262144


@dataclasses.dataclass(frozen=True)
class LanguageSettings:
    min_letters: int = 40  # fewer letters than this: "und" (langdetect guesses wildly on short text)
    sample_chars: int = 1000  # detect on the first N characters: same answer, a fraction of the cost
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class EventSettings:
    languages: tuple[str, ...] = ("de", "en")
    # lang -> YAML path, relative to the config folder (docs/events.md has the formats)
    lexicons: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: FrozenDict({"de": "lexicon/de.yaml", "en": "lexicon/en.yaml"})
    )
    gazetteers: tuple[str, ...] = (  # YAML paths, relative to the config folder; later files add entries
        "gazetteer/countries.yaml",
        "gazetteer/organizations.yaml",
        "gazetteer/parties.yaml",
        "gazetteer/offices.yaml",
        "gazetteer/holders.yaml",
        "gazetteer/places.yaml",
    )


@dataclasses.dataclass(frozen=True)
class FetchSettings:
    """The guarded HTTP client (feeds and their article pages)."""

    user_agent: str = ""  # "": "eventwire/<version> (+project URL)"
    connect_timeout: float = 5.0  # seconds to open a connection
    read_timeout: float = 15.0  # seconds of silence while reading
    deadline_seconds: float = 30.0  # wall clock for one fetch, all redirects and retries included
    max_bytes: int = 8 * 1024 * 1024  # body bytes on the wire
    max_decoded_bytes: int = 16 * 1024 * 1024  # body bytes after gzip/deflate
    max_redirects: int = 5
    retries: int = 2  # extra attempts on connect errors, 429 and 5xx
    backoff_seconds: float = 0.5  # first retry waits about this long, then doubling, with jitter
    backoff_max_seconds: float = 10.0
    max_retry_after_seconds: float = 30.0  # a longer Retry-After defers the host to the next run
    min_host_delay_seconds: float = 1.0  # between two requests to one host
    allow_private_networks: bool = False  # --allow-private-networks; see transforms/net/addresses.py


@dataclasses.dataclass(frozen=True)
class FeedSettings:
    max_feed_bytes: int = 4 * 1024 * 1024  # a larger feed is rejected (feed/too_large)
    parse_timeout_seconds: float = 20.0  # per feed, for feedparser
    max_seen_per_feed: int = 5000  # entry ids remembered per feed (oldest forgotten first; ids the feed still lists are kept)
    max_entries_per_feed: int = 200  # new entries taken from one feed per run (newest first)


@dataclasses.dataclass(frozen=True)
class Settings:
    read: ReadSettings = ReadSettings()
    clean: CleanSettings = CleanSettings()
    language: LanguageSettings = LanguageSettings()
    events: EventSettings = EventSettings()
    fetch: FetchSettings = FetchSettings()
    feeds: FeedSettings = FeedSettings()
    config_dir: str = ""  # where relative paths in this file resolve; set by load_settings


def load_settings(path: str | Path | None = None) -> Settings:
    """Load and validate the pipeline configuration (the packaged one by default)."""
    path = Path(path) if path else packaged_config_dir() / "pipeline.yaml"
    data = read_yaml(path) or {}
    if "config_dir" in data:
        raise ConfigError(f"{path}: config_dir is set by the loader, not the file")
    data["config_dir"] = str(path.parent.resolve())
    return load_dataclass(Settings, data, str(path))


def resolve_config_path(settings: Settings, relative: str) -> Path:
    """A path named in the config, relative to the config file's folder."""
    candidate = Path(relative)
    return candidate if candidate.is_absolute() else Path(settings.config_dir) / candidate
