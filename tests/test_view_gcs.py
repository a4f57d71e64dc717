"""``show`` and ``report`` on a ``gs://`` output, against a local GCS emulator (no network)."""

from __future__ import annotations

import io
import socket

import pytest

from pipeline.view import report, show
from tests import view_data as vd

emulator = pytest.importorskip("gcp_storage_emulator.server", reason="gcp-storage-emulator is not installed")
BUCKET = "eventwire-view"


@pytest.fixture()
def gcs(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = emulator.create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    from apache_beam.internal.gcp import auth
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    # No credentials here: skip Beam's ~20 s of retries looking for them, connect anonymously.
    monkeypatch.setattr(auth._Credentials, "_credentials_init", True)
    monkeypatch.setattr(auth._Credentials, "_credentials", None)
    try:
        yield storage.Client(project="test", credentials=AnonymousCredentials()).bucket(BUCKET)
    finally:
        server.stop()


@pytest.mark.timeout(120)
def test_show_and_report_read_a_gs_output(tmp_path, gcs):
    local = vd.seed_like(tmp_path / "out")
    for path in local.rglob("*.parquet"):
        gcs.blob(f"runs/out/{path.relative_to(local).as_posix()}").upload_from_filename(str(path))
    gcs.blob("runs/out/events/_staging/event_date=2020-01-01/data.parquet").upload_from_string(b"half-written")
    root = f"gs://{BUCKET}/runs/out"

    out = io.StringIO()
    assert show.main([root], stream=out) == 0
    text = out.getvalue()
    assert sum(line.startswith("date unknown") for line in text.splitlines()) == 2 and "2020-05-31" in text and "Mammadyarov" in text

    assert report.main([root, "--html", f"gs://{BUCKET}/runs/report.html"]) == 0
    html = gcs.blob("runs/report.html").download_as_text()
    assert "3 events, 2020-05-31 (+2 date unknown)" in html.replace("<b>", "").replace("</b>", "")
    assert "Schahin Mustafajew" in html

    assert show.main([f"gs://{BUCKET}/runs/missing"], stream=io.StringIO()) == 2
