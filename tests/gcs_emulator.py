"""A real GCS API for tests: ``gcp-storage-emulator`` on 127.0.0.1, started and stopped here.

Beam's GCS filesystem asks ``google.auth.default()`` for credentials and, when there are
none, retries with backoff for about 36 s before going anonymous, in every process that
touches GCS (each multi-processing worker too). We hand it application default credentials
that are already valid: an ``authorized_user`` file with a token that expires in 2999, so
google-auth never refreshes (no network) and the emulator ignores the bearer token. Only
environment variables are used, so worker subprocesses inherit the same set-up.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUCKET = "eventwire-test"


@dataclass(frozen=True)
class GcsEmulator:
    host: str  # the value of STORAGE_EMULATOR_HOST
    bucket: str

    def url(self, *parts: str) -> str:
        return "gs://" + "/".join((self.bucket, *parts))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(host: str, process: subprocess.Popen, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gcp-storage-emulator exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{host}/storage/v1/b/{BUCKET}", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError("gcp-storage-emulator did not come up")


def emulator_environment(host: str, credentials_file: Path) -> dict[str, str]:
    credentials_file.write_text(json.dumps({
        "type": "authorized_user",
        "client_id": "emulator",
        "client_secret": "emulator",
        "refresh_token": "emulator",
        "token": "emulator-token",
        "expiry": "2999-01-01T00:00:00Z",
    }))
    return {
        "STORAGE_EMULATOR_HOST": host,
        "GOOGLE_APPLICATION_CREDENTIALS": str(credentials_file),
        "GOOGLE_CLOUD_PROJECT": "eventwire-test",
        "NO_GCE_CHECK": "true",  # never probe the GCE metadata server
    }


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsEmulator]:
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port),
         "--in-memory", "--default-bucket", BUCKET, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved = dict(os.environ)
    try:
        _wait_until_up(host, process)
        os.environ.update(emulator_environment(host, tmp_path_factory.mktemp("gcs") / "adc.json"))
        yield GcsEmulator(host=host, bucket=BUCKET)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def gcs_prefix(gcs_emulator: GcsEmulator, request: pytest.FixtureRequest) -> str:
    """A fresh ``gs://bucket/<test>-<random>`` folder for one test (the emulator is shared)."""
    return gcs_emulator.url(f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}")
