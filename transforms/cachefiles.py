"""Per-machine cache files: what every process would otherwise decode again from a library's data.

The folder is ``$EVENTWIRE_CACHE_DIR``, else ``$XDG_CACHE_HOME/eventwire``, else
``~/.cache/eventwire``. A cache is only ever a shortcut: a file that cannot be written (read-only
home) or read (truncated, another format) costs the slow load and nothing else. Files are named
by the content of what they were made from, so an upgrade never reads a stale one and every venv
with the same library shares one. Beam-free.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    if configured := os.environ.get("EVENTWIRE_CACHE_DIR"):
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "eventwire"


def content_digest(sources: Iterable[Path]) -> str:
    """A short hash of the files' bytes, in the order given (not their file times: a reinstall
    changes those). One file hashes as it did when the lemma cache was named this way alone."""
    digest = hashlib.blake2b(digest_size=12)
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def read_pickle(path: Path, what: str) -> Any:
    """The cached object, or None when there is none or it cannot be read (logged)."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError, ImportError) as exc:
        log.warning("%s cache %s unreadable (%s); loading it the slow way", what, path, exc)
        return None


def write_pickle(path: Path, data: Any, what: str) -> None:
    """Write atomically (processes starting together never read half a file); failures only logged."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{what}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError as exc:
        log.info("%s cache not written to %s (%s)", what, path.parent, exc)
