"""The feed monitor's memory: per feed URL the ETag, Last-Modified and the entry ids seen.

Stored as one small JSON document, ``OUT/_state/feeds.json``, through Beam's FileSystems
(local or gs://). It is written only after the run's outputs are committed, and atomically:
a temporary object beside it, then a rename (``os.rename`` on local disk; on GCS a rename
is copy + delete, and the copy replaces the object in one step). A run that dies before
the commit leaves the previous state, so the next run fetches the same entries again and
the idempotent writer absorbs the repeat.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from apache_beam.io.filesystems import FileSystems

from transforms.feeds.poll import FeedState

STATE_FORMAT = "eventwire-feed-state/1"


def state_path(output_root: str) -> str:
    return FileSystems.join(output_root.rstrip("/"), "_state", "feeds.json")


def states_to_json(states: Mapping[str, FeedState]) -> bytes:
    feeds = {
        url: {"etag": s.etag, "last_modified": s.last_modified, "checked_at": s.checked_at, "seen": list(s.seen)}
        for url, s in sorted(states.items())
    }
    return json.dumps({"format": STATE_FORMAT, "feeds": feeds}, indent=1, ensure_ascii=False).encode("utf-8")


def states_from_json(data: bytes, where: str) -> dict[str, FeedState]:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: feed state is not valid JSON ({exc}); move it away to start afresh") from exc
    if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
        raise ValueError(f"{where}: not an eventwire feed state (format {STATE_FORMAT!r} expected)")
    states = {}
    for url, item in (doc.get("feeds") or {}).items():
        states[url] = FeedState(etag=item.get("etag"), last_modified=item.get("last_modified"),
                                seen=tuple(str(s) for s in item.get("seen") or ()),
                                checked_at=item.get("checked_at"))
    return states


def read_states(output_root: str) -> dict[str, FeedState]:
    path = state_path(output_root)
    if not FileSystems.exists(path):
        return {}
    with FileSystems.open(path, compression_type="uncompressed") as handle:
        return states_from_json(handle.read(), path)


def write_states(output_root: str, states: Mapping[str, FeedState]) -> str:
    """Replace the state document atomically; returns its path."""
    path = state_path(output_root)
    directory = path.rsplit("/", 1)[0]
    if not FileSystems.exists(directory):
        FileSystems.mkdirs(directory)
    temporary = f"{path}.tmp-{uuid.uuid4().hex}"
    with FileSystems.create(temporary, mime_type="application/json", compression_type="uncompressed") as handle:
        handle.write(states_to_json(states))
    try:
        FileSystems.rename([temporary], [path])
    except Exception:
        FileSystems.delete([temporary])
        raise
    return path
