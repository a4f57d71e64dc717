"""The feed state on gs://, against a real local GCS emulator (gcp-storage-emulator)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from apache_beam.io.filesystems import FileSystems

from transforms.feeds.poll import FeedState
from transforms.feeds.state import read_states, write_states

emulator = pytest.importorskip("gcp_storage_emulator.server", reason="gcp-storage-emulator is not installed")


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    # No credentials here: tell Beam so at once (it otherwise retries google.auth for ~20 s), connect anonymously.
    from apache_beam.internal.gcp import auth

    monkeypatch.setattr(auth._Credentials, "_credentials_init", True)
    monkeypatch.setattr(auth._Credentials, "_credentials", None)
    server = emulator.create_server("127.0.0.1", port, in_memory=True, default_bucket="feeds-test")
    server.start()
    yield "gs://feeds-test"
    server.stop()


def test_state_round_trips_on_gcs_and_leaves_no_temporary_object(bucket: str) -> None:
    out = f"{bucket}/out"
    assert read_states(out) == {}
    states = {"https://example.org/rss": FeedState('"abc"', "Mon, 01 Jan 2024 00:00:00 GMT", ("g1", "g2"),
                                                   "2024-01-01T00:00:00+00:00")}
    write_states(out, states)
    newer = {"https://example.org/rss": FeedState('"def"', None, ("g1", "g2", "g3"), "2024-01-02T00:00:00+00:00")}
    write_states(out, newer)
    assert read_states(out) == newer
    objects = [m.path for m in FileSystems.match([f"{out}/**"])[0].metadata_list]
    assert objects == [f"{out}/_state/feeds.json"]
