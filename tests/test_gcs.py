"""gs:// through Beam's filesystems against a real GCS API (gcp-storage-emulator on 127.0.0.1)."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms.read.warc import iter_warc
from transforms.records import RawDocument, Reject
from transforms.settings import ReadSettings

NEWS_WARC = Path(__file__).resolve().parents[1].parent / "shared/corpus/warc/assembled/fundus-news-sample.warc.gz"
needs_corpus = pytest.mark.skipif(not NEWS_WARC.is_file(), reason=f"corpus not found at {NEWS_WARC}")


def upload(url: str, data: bytes) -> None:
    with FileSystems.create(url, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.write(data)


def test_filesystems_create_match_open_rename_delete(gcs_prefix):
    upload(f"{gcs_prefix}/staging/part.bin", b"x" * 300_000)
    (match,) = FileSystems.match([f"{gcs_prefix}/staging/*.bin"])
    assert [(m.path, m.size_in_bytes) for m in match.metadata_list] == [(f"{gcs_prefix}/staging/part.bin", 300_000)]
    FileSystems.rename([f"{gcs_prefix}/staging/part.bin"], [f"{gcs_prefix}/table/part.bin"])
    assert not FileSystems.exists(f"{gcs_prefix}/staging/part.bin")
    with FileSystems.open(f"{gcs_prefix}/table/part.bin", compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.seek(299_990)
        assert handle.read() == b"x" * 10
    FileSystems.delete([f"{gcs_prefix}/table/part.bin"])
    assert FileSystems.match([f"{gcs_prefix}/**"])[0].metadata_list == []


@needs_corpus
def test_warc_read_from_gcs_equals_local_read(gcs_prefix):
    data = NEWS_WARC.read_bytes()
    url = f"{gcs_prefix}/crawl/news.warc.gz"
    upload(url, data)
    skipped_gcs: collections.Counter[str] = collections.Counter()
    with FileSystems.open(url, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        from_gcs = list(iter_warc(handle, url, ReadSettings(), lambda k: skipped_gcs.update([k])))
    with open(NEWS_WARC, "rb") as handle:
        local = list(iter_warc(handle, url, ReadSettings(), lambda _k: None))
    assert len(from_gcs) == 23 and all(isinstance(i, RawDocument) for i in from_gcs)
    assert from_gcs == local
    assert skipped_gcs == {"warcinfo": 1}


@needs_corpus
def test_truncated_warc_on_gcs_is_a_reject(gcs_prefix):
    data = NEWS_WARC.read_bytes()
    url = f"{gcs_prefix}/crawl/cut.warc.gz"
    upload(url, data[: len(data) // 3])
    with FileSystems.open(url, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        items = list(iter_warc(handle, url, ReadSettings(), lambda _k: None))
    assert [i.reason for i in items if isinstance(i, Reject)] == ["read/truncated_gzip"]
    assert isinstance(items[-1], Reject)


def test_fresh_process_skips_the_credential_probe(gcs_prefix):
    """Worker processes inherit only the environment: GCS must answer at once there too."""
    upload(f"{gcs_prefix}/probe.txt", b"hello")
    code = (
        "from apache_beam.io.filesystems import FileSystems;"
        f"print(len(FileSystems.match(['{gcs_prefix}/*.txt'])[0].metadata_list))"
    )
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ), check=True)
    assert result.stdout.strip() == "1"
    assert time.monotonic() - started < 15, "google.auth probing (about 36 s) was not avoided"
    assert "Retry with exponential backoff" not in result.stderr


def test_removing_staging_that_was_never_written_is_a_no_op(gcs_prefix):
    """A run that stages nothing (every input already in the output) writes no journal and no staging."""
    from transforms.output.commit import remove_staging_root

    upload(f"{gcs_prefix}/out/articles/date=2024-01-01/language=de/data.parquet", b"x")
    remove_staging_root(f"{gcs_prefix}/out")
    assert [m.path for m in FileSystems.match([f"{gcs_prefix}/**"])[0].metadata_list] == [
        f"{gcs_prefix}/out/articles/date=2024-01-01/language=de/data.parquet"]
