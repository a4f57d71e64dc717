"""A local run in waves (issue #25): the launcher streams the listing and runs one pipeline and one
commit per wave of files (and per range of records of a big JSON Lines file), so memory is a
wave's. The tables and the accounting are those of one run. Real files, real CLI runs."""

from __future__ import annotations

import gzip
import itertools
import json
import re
import shutil
from pathlib import Path

import yaml

from pipeline import waves
from tests.conftest import FAST_BEAM, read_table, run_cli
from transforms.records import Reject
from transforms.settings import ReadSettings, packaged_config_dir

BODY = ("Der Außenminister traf am Montag in Berlin seinen Amtskollegen zu Gesprächen über die Lage in der "
        "Region. Beide Seiten vereinbarten, die Zusammenarbeit im kommenden Jahr fortzusetzen. ") * 3


def _record(i: int) -> str:
    return json.dumps({"url": f"https://example.org/{i}", "title": f"Bericht {i}", "text": f"Bericht {i}. {BODY}",
                       "published_at": "2024-05-31T10:00:00Z"}) + "\n"


def _config(folder: Path, **read: int) -> Path:
    shutil.copytree(packaged_config_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = yaml.safe_load((folder / "pipeline.yaml").read_text(encoding="utf-8"))
    data["read"].update(read)
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder / "pipeline.yaml"


def test_waves_cut_the_listing_and_split_big_json_lines_files(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"a{i}.txt").write_text(f"Titel {i}\n\n{BODY}\n", encoding="utf-8")
    big = tmp_path / "big.jsonl.gz"
    big.write_bytes(gzip.compress("".join(_record(i) for i in range(40)).encode(), compresslevel=0))
    settings = ReadSettings(wave_files=2, wave_bytes=big.stat().st_size // 4)
    planned = list(waves.plan(waves.listing([str(tmp_path)], None), settings))
    assert all(0 < len(w) <= 2 for w in planned)
    assert all(w.bytes <= settings.wave_bytes or len(w) == 1 for w in planned)
    ranges = [item[6:] for w in planned for item in w.items if item[0] == str(big)]
    assert sum(len(w) for w in planned) == 5 + len(ranges) and 4 <= len(ranges) <= 6
    assert ranges[0][0] == 0 and ranges[-1][1] is None
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # contiguous, no gap or overlap
    assert [len(w) for w in waves.plan(iter([]), settings)] == [0]  # a run of nothing is one empty wave
    rejects = [Reject(f"x{i}", "read", "read/io_error", "gone") for i in range(3)]
    assert [len(w.rejects) for w in waves.plan(iter(rejects), settings)] == [2, 1]


def test_a_run_in_waves_writes_what_one_run_writes(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(5):
        (inputs / f"a{i}.txt").write_text(f"Titel {i}\n\nMeldung {i}. {BODY}\n", encoding="utf-8")
    (inputs / "copy.txt").write_text(f"Titel 0\n\nMeldung 0. {BODY}\n", encoding="utf-8")  # same text as a0.txt
    (inputs / "big.jsonl").write_text("".join(_record(i) for i in range(12)) + "{broken\n", encoding="utf-8")
    (inputs / "dangling.txt").symlink_to(inputs / "gone.txt")
    config = _config(tmp_path / "config", wave_files=3, wave_bytes=(inputs / "big.jsonl").stat().st_size // 4)
    output = tmp_path / "out"
    result = run_cli("run", str(inputs), "--output", str(output), "--config", str(config), *FAST_BEAM, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(re.findall(r"wave \d+, ", result.stderr)) >= 4
    articles = read_table(output, "articles")
    uris = sorted(a["source_uri"].rsplit("/", 1)[1] for a in articles)
    assert uris == sorted([f"a{i}.txt" for i in range(5)] + [f"big.jsonl#L{i}" for i in range(1, 13)])
    rejects = {r["source_uri"].rsplit("/", 1)[1]: r["reason"] for r in read_table(output, "rejects")}
    assert rejects == {"big.jsonl#L13": "read/invalid_json", "dangling.txt": "read/io_error"}
    # copy.txt: a duplicate within its wave, or "already in output" if a0.txt came in an earlier one
    assert re.search(r"input records +20 ", result.stdout), result.stdout
    [manifest] = [json.loads(p.read_text()) for p in (output / "_runs").glob("*.json")]
    assert manifest["complete"] is True and manifest["waves"] >= 4 and manifest["records"] == 20
    assert manifest["new"]["articles"] == 17
    assert sum(p["rows"] for p in manifest["written"]["articles"]) == 17
    assert not (output / "_staging").exists()
    again = run_cli("run", str(inputs), "--output", str(output), "--config", str(config), *FAST_BEAM, timeout=300)
    assert again.returncode == 0 and re.search(r"already in output +18", again.stdout), again.stdout


def test_a_run_in_waves_reports_each_events_partition_once(tmp_path: Path) -> None:
    # every wave rewrites the one undated events partition: counted once, with its final rows
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(6):
        (inputs / f"a{i}.txt").write_text(
            f"Bericht {i}\n\nDer russische Außenminister telefonierte am Montag mit dem türkischen Außenminister, "
            f"Meldung {i}. {BODY}\n", encoding="utf-8")
    config = _config(tmp_path / "config", wave_files=2)
    output = tmp_path / "out"
    result = run_cli("run", str(inputs), "--output", str(output), "--config", str(config), *FAST_BEAM, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(re.findall(r"wave \d+, ", result.stderr)) == 3
    events = read_table(output, "events")
    partitions = {str(e["event_date"]) for e in events}
    assert events and re.search(rf"events \(touched\) +{len(events)} +in {len(partitions)} event-date", result.stdout), (
        len(events), result.stdout)
