"""The batch job end to end with gs:// input and output (gcp-storage-emulator), and multi-process."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from tests.conftest import REPO, run_cli

WARC = REPO.parent / "shared" / "corpus" / "warc"
INPUTS = [*sorted((REPO / "seeds").glob("*.txt")), WARC / "assembled" / "fundus-news-sample.warc.gz",
          WARC / "wikipedia-main-page-2012-01-19.warc.gz"]
IN_MEMORY = ["--runner=FnApiRunner", "--direct_num_workers=1", "--direct_running_mode=in_memory"]


@pytest.fixture
def gcs_input(gcs_prefix: str) -> str:
    if not WARC.is_dir():
        pytest.skip(f"corpus not found at {WARC}")
    for path in INPUTS:
        with FileSystems.create(f"{gcs_prefix}/in/{path.name}", compression_type=CompressionTypes.UNCOMPRESSED) as out:
            out.write(path.read_bytes())
    return f"{gcs_prefix}/in"


def objects(prefix: str) -> list[str]:
    return sorted(m.path for m in FileSystems.match([f"{prefix}/**"])[0].metadata_list)


def read_gcs_table(output: str, table: str) -> list[dict]:
    rows = []
    for path in objects(f"{output}/{table}"):
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            rows += pq.read_table(io.BytesIO(handle.read())).to_pylist()
    return rows


def test_batch_run_with_gs_input_and_output(gcs_input: str, gcs_prefix: str):
    from pipeline.batch import run

    output = f"{gcs_prefix}/out"
    summary = run([f"{gcs_input}/", "--output", output, *IN_MEMORY])
    articles = read_gcs_table(output, "articles")
    warc_rows = [a for a in articles if "#O" in a["source_uri"]]
    assert len(warc_rows) == 23 - 1 + 1  # the news WARC (one Taz re-crawl is a URL duplicate) + the Wikipedia page
    assert {a["url"] for a in warc_rows} >= {"http://en.wikipedia.org/wiki/Main_Page", "https://orf.at/stories/3376705/"}
    assert len(articles) == summary.get("articles") == len({a["article_id"] for a in articles})
    written = objects(output)
    assert not [p for p in written if "/_staging/" in p or p.endswith("_lock.json")]  # nothing temporary left
    assert all(p.endswith("/data.parquet") for p in written if "/articles/" in p)
    # idempotent: the same input again adds nothing and rewrites nothing
    run([f"{gcs_input}/*", "--output", output, *IN_MEMORY])
    assert len(read_gcs_table(output, "articles")) == len(articles)


def test_multi_processing_run_with_gs_input_and_output(gcs_input: str, gcs_prefix: str):
    """Two worker processes, as Dataflow runs them: every DoFn and its config is pickled across."""
    output = f"{gcs_prefix}/out-mp"
    result = run_cli("run", f"{gcs_input}/*", "--output", output, "--runner=FnApiRunner",
                     "--direct_num_workers=2", "--direct_running_mode=multi_processing", timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    articles = read_gcs_table(output, "articles")
    assert len([a for a in articles if "#O" in a["source_uri"]]) == 23
    assert not [p for p in objects(output) if "/_staging/" in p]


def test_max_records_samples_a_huge_input(gcs_input: str, gcs_prefix: str):
    from pipeline.batch import run

    output = f"{gcs_prefix}/out-sample"
    run([f"{gcs_input}/*.warc.gz", "--output", output, "--max-records", "2", *IN_MEMORY])
    sources = [a["source_uri"] for a in read_gcs_table(output, "articles")]
    news = [s for s in sources if "fundus-news-sample" in s]
    assert len(news) == 2 and len(sources) == 3  # 2 of the news WARC, the only HTML page of the Wikipedia WARC


def test_source_uri_points_at_the_record(gcs_input: str):
    """A row's #O<offset> is where the record's gzip member starts: reading from there gives that record."""
    from transforms.read.warc import iter_warc
    from transforms.settings import ReadSettings

    path = f"{gcs_input}/fundus-news-sample.warc.gz"
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        docs = list(iter_warc(handle, path, ReadSettings(), lambda _k: None))
    target = docs[7]
    offset = int(target.source_uri.rsplit("#O", 1)[1])
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.seek(offset)
        first = next(iter_warc(handle, path, ReadSettings(), lambda _k: None, base_offset=offset))
    assert first == target


