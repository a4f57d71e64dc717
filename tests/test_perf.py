"""Performance plumbing: big JSON Lines files read by several workers, and the benchmark's smoke run."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import time
from pathlib import Path

import pytest

from transforms.read import formats as r
from transforms.read.stage import JSONL_MAX_SHARDS, JSONL_SPLIT_BYTES, _work_items
from transforms.records import RawDocument, Reject
from transforms.settings import ReadSettings

SETTINGS = ReadSettings(max_document_bytes=2_000, max_decompressed_bytes=1_000_000)
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _read(path: Path, shard: int, shards: int) -> list[RawDocument | Reject]:
    keep = None if shards == 1 else (lambda index: index % shards == shard)
    return list(r.read_file(str(path), path.stat().st_size, SETTINGS, lambda p: open(p, "rb"), lambda p: None,
                            keep=keep))


def _key(item: RawDocument | Reject) -> tuple[str, str, str]:
    if isinstance(item, Reject):
        return ("reject", item.source_uri, item.reason)
    return ("doc", item.source_uri, item.body)


def _jsonl_lines() -> list[bytes]:
    lines = [json.dumps({"url": f"https://example.org/{i}", "text": f"Artikel {i} " * 5}).encode() for i in range(9)]
    lines.insert(3, b"")  # a blank line is no record
    lines.insert(5, b"{not json")  # a bad record: one reject
    lines.insert(7, json.dumps({"text": "x" * 5_000}).encode())  # a giant line: one reject
    return lines


@pytest.mark.parametrize("shards", [2, 3, 5])
def test_shards_of_a_jsonl_file_together_read_every_record_exactly_once(tmp_path: Path, shards: int) -> None:
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(_jsonl_lines()) + b"\n"))
    whole = [_key(item) for item in _read(path, 0, 1)]
    parts = [_key(item) for shard in range(shards) for item in _read(path, shard, shards)]
    assert len(whole) == 11 and sum(k[0] == "reject" for k in whole) == 2
    assert sorted(parts) == sorted(whole)


def test_a_file_level_reject_comes_from_one_shard_only(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(b"\n".join(_jsonl_lines()) + b"\n")
    path.write_bytes(data[: len(data) // 2])  # truncated: records up to the cut, then read/truncated_gzip
    whole = [_key(item) for item in _read(path, 0, 1)]
    parts = [_key(item) for shard in range(3) for item in _read(path, shard, 3)]
    assert ("reject", str(path), "read/truncated_gzip") in whole
    assert sorted(parts) == sorted(whole)


def test_only_big_jsonl_files_are_split_and_never_into_more_than_the_cap() -> None:
    assert _work_items(("a/small.jsonl", 1000), split=True) == [("a/small.jsonl", 1000, 0, None, 0, 1)]
    assert len(_work_items(("a/b.jsonl.gz", JSONL_SPLIT_BYTES + 1), split=True)) == 2
    assert len(_work_items(("a/b.jsonl", 100 * JSONL_SPLIT_BYTES), split=True)) == JSONL_MAX_SHARDS
    assert len(_work_items(("a/b.jsonl", 100 * JSONL_SPLIT_BYTES), split=False)) == 1  # --max-records
    assert len(_work_items(("a/page.html", 100 * JSONL_SPLIT_BYTES), split=True)) == 1


@pytest.mark.skipif(not (CORPUS / "fundus").is_dir(), reason="../shared/corpus is not beside the repository")
def test_benchmark_input_marks_every_copy_inside_the_extracted_body(tmp_path: Path) -> None:
    from bench import throughput
    from transforms.clean.html import extract_html
    from transforms.ids import content_hash

    args = throughput.build_parser().parse_args(["--pages", "2", "--copies", "1", "--scales", "1,4", "--add", "0"])
    assert (args.pages, args.copies, args.scales, args.add) == (2, 1, "1,4", 0)
    pages = throughput.load_pages(CORPUS, 2)
    assert write_count(throughput, tmp_path, pages) == 4
    records = [json.loads(line) for shard in sorted(tmp_path.glob("*.jsonl.gz"))
               for line in gzip.decompress(shard.read_bytes()).decode("utf-8").splitlines()]
    assert len({rec["url"] for rec in records}) == 4
    texts = [extract_html(rec["html"], rec["url"]).text for rec in records]
    assert len({content_hash(t) for t in texts}) == 4  # nothing deduplicates
    assert all(throughput._marker(i % 2, i // 2, pages[i % 2].language) in t for i, t in enumerate(texts))
    assert len({hashlib.sha256(rec["html"].encode()).hexdigest() for rec in records}) == 4


def write_count(throughput, folder: Path, pages) -> int:  # type: ignore[no-untyped-def]
    return throughput.write_input(folder, pages, range(2))


def test_benchmark_splits_each_measurement_into_a_fixed_cost_and_a_cost_per_page() -> None:
    from bench import throughput

    pages = [500, 1000, 2000]
    loop = [(n, 1.0 + 0.040 * n) for n in pages]  # 1 s of start-up, 40 ms a page on one core
    pipeline = [(n, 3.0 + 0.020 * n) for n in pages]  # 3 s fixed, 20 ms a page on two cores
    line = throughput.cost_split(loop, pipeline)
    assert "pipeline 3.0 s + 20.0 ms per page" in line and "loop 1.0 s + 40.0 ms per page" in line
    assert line.endswith("R for each page past the first scale 2.00")


def test_repeated_measurements_report_the_median_run_whole() -> None:
    from bench import throughput

    runs = [throughput.Timed(seconds, cpu, rss, pss, "", 0.5) for seconds, cpu, rss, pss in
            [(13.0, 22.0, 900, 700), (11.0, 20.5, 950, 720), (12.0, 21.0, 910, 690), (19.0, 23.0, 990, 800)]]
    middle = throughput.median_run(runs)
    assert (middle.seconds, middle.cpu_seconds, middle.peak_rss, middle.peak_pss) == (12.0, 21.0, 910, 690)  # one run
    assert throughput.median_run(runs[:3]).seconds == 12.0 and throughput.median_run(runs[:1]) is runs[0]


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")
def test_benchmark_memory_counts_the_whole_tree_and_shared_pages_once_in_pss() -> None:
    import subprocess
    import sys

    from bench import throughput

    # a parent that fills 64 MiB and forks: the child shares those pages until it writes to them
    script = "import os, time; data = b'x' * (64 << 20); os.fork(); time.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 10
        while len(pids := throughput._tree_pids(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(pids) == 2 and pids[0] == proc.pid
        rss, pss = throughput._tree_rss(pids), throughput._tree_pss(pids)
        assert rss >= 2 * (64 << 20)  # each process counts the shared 64 MiB
        assert (64 << 20) <= pss < rss - (48 << 20)  # PSS counts them about once
    finally:
        for pid in throughput._tree_pids(proc.pid)[1:]:
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()


@pytest.mark.skipif(not (CORPUS / "fundus").is_dir(), reason="../shared/corpus is not beside the repository")
def test_one_site_benchmark_input_carries_a_recurring_paragraph_that_survives_extraction(tmp_path: Path) -> None:
    from bench import throughput
    from transforms.clean.html import extract_html

    pages = [p for p in throughput.load_pages(CORPUS, 6) if not p.inline][:3]
    throughput.write_input(tmp_path, pages, range(1), one_site=True)
    records = [json.loads(line) for shard in sorted(tmp_path.glob("*.jsonl.gz"))
               for line in gzip.decompress(shard.read_bytes()).decode("utf-8").splitlines()]
    assert len({rec["source"] for rec in records}) == 1  # one site: its recurring paragraph is learned boilerplate
    for page, rec in zip(pages, records, strict=True):
        paragraphs = extract_html(rec["html"], rec["url"]).text.split("\n")
        assert throughput.RECURRING[page.language] in paragraphs  # a paragraph of its own, kept by trafilatura
