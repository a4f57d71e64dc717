"""Damaged outputs (issue #25): a corrupt, empty or foreign Parquet file, or a partition folder that
is no valid key, stops a run with exit status 2 and one line naming it; ``--repair`` moves it to
``OUT/_quarantine/<run_id>/`` (never deleting it) and rebuilds the events from their mentions.
Real Parquet files planted in a real output, real CLI runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import FAST_BEAM, REPO, read_table, run_cli
from transforms.output import check as outputcheck
from transforms.output import tables
from transforms.output.check import DamagedOutput


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("seeded") / "out"
    result = run_cli("run", str(REPO / "seeds"), "--output", str(output), *FAST_BEAM, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    return output


@pytest.fixture
def output(seeded: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "out"
    shutil.copytree(seeded, copy)
    return copy


def _first(output: Path, table: str) -> Path:
    return sorted((output / table).rglob("data.parquet"))[0]


def _run(output: Path, *extra: str):
    return run_cli("run", str(REPO / "seeds"), "--output", str(output), *extra, *FAST_BEAM, timeout=240)


def _refused(result, path: Path) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "--repair" in lines[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr


def test_a_corrupt_articles_file_stops_the_run_naming_it_and_repair_quarantines_it(output: Path) -> None:
    damaged = _first(output, "articles")
    damaged.write_bytes(damaged.read_bytes()[:-50])  # cut short: no footer
    before = {p: p.read_bytes() for p in output.rglob("*.parquet")}
    _refused(_run(output), damaged)
    assert {p: p.read_bytes() for p in output.rglob("*.parquet")} == before  # nothing written
    result = _run(output, "--repair")
    assert result.returncode == 0, result.stderr[-2000:]
    [moved] = list((output / "_quarantine").rglob("*.parquet"))
    assert moved.read_bytes() == before[damaged]  # moved aside, not deleted
    assert len(read_table(output, "articles")) == 2  # the seeds, read again, rebuild the lost rows
    manifest = json.loads(sorted((output / "_runs").iterdir())[-1].read_text())
    assert manifest["quarantined"] == [{"from": str(damaged), "to": str(moved)}]


def test_an_empty_data_file_is_named(output: Path) -> None:
    damaged = _first(output, "mentions")
    damaged.write_bytes(b"")
    _refused(_run(output), damaged)
    assert "empty file" in outputcheck.find_problems(str(output))[0].what


def test_a_foreign_schema_file_is_refused_not_merged_nor_deleted(output: Path) -> None:
    """The issue's case: a valid Parquet file of the rejects table planted in an articles partition
    was merged into a bogus row (all null, a duplicate article_id), then deleted by the commit."""
    folder = _first(output, "articles").parent
    planted = folder / "part-0001.parquet"
    shutil.copy(_first(output, "mentions"), planted)
    _refused(_run(output), planted)
    assert planted.exists()
    with pytest.raises(DamagedOutput, match="unexpected columns"):  # named when read, too (gs://)
        tables.read_rows(str(planted), table="articles")
    result = _run(output, "--repair")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not planted.exists() and len(list((output / "_quarantine").rglob("part-0001.parquet"))) == 1
    articles = read_table(output, "articles")
    assert len(articles) == 2 and all(a["article_id"] for a in articles)


def test_a_file_eventwire_did_not_write_is_refused_even_with_the_right_columns(output: Path) -> None:
    good = _first(output, "articles")
    planted = good.parent / "from-spark.parquet"
    table = pq.read_table(good)
    pq.write_table(table.replace_schema_metadata(None), planted)  # same rows and columns, another writer
    problems = outputcheck.find_problems(str(output))
    assert [(p.path, p.what.split(" (")[0]) for p in problems] == [(str(planted), "not written by eventwire")]


@pytest.mark.parametrize("folder", ["articles/date=2024-02-30/language=de", "articles/date=2024-05-31/language=EN!",
                                    "events/event_date=yesterday", "rejects/date=__HIVE_DEFAULT_PARTITION__"])
def test_invalid_partition_keys_are_refused_and_repair_moves_them(output: Path, folder: str) -> None:
    table = folder.split("/")[0]
    bad = output / folder
    source = _first(output, table) if (output / table).exists() else _first(output, "articles")
    bad.mkdir(parents=True)
    shutil.copy(source, bad / "data.parquet")
    problems = outputcheck.find_problems(str(output))
    assert problems and all(str(bad).startswith(p.path) for p in problems)
    assert "partition" in problems[0].what
    with pytest.raises(DamagedOutput, match="--repair"):
        outputcheck.check_or_repair(str(output), "r1", repair=False)
    moved = outputcheck.check_or_repair(str(output), "r1", repair=True)
    assert moved and not bad.exists() and (output / "_quarantine" / "r1" / moved[0][1].split("/r1/")[1]).exists()
    assert outputcheck.find_problems(str(output)) == []


def test_repair_rebuilds_a_damaged_events_partition_from_its_mentions(output: Path) -> None:
    events_before = sorted((e["event_id"], e["num_mentions"]) for e in read_table(output, "events"))
    damaged = _first(output, "events")
    damaged.write_bytes(b"PAR1 not really")
    moved = outputcheck.check_or_repair(str(output), "r2", repair=True)
    assert [m[0] for m in moved] == [str(damaged)]
    assert damaged.exists()  # rebuilt in place
    assert sorted((e["event_id"], e["num_mentions"]) for e in read_table(output, "events")) == events_before
    assert not [p for p in (output / "_staging").rglob("*") if p.is_file()]  # no staged file, no journal left


def test_a_healthy_output_has_no_problems(output: Path) -> None:
    assert outputcheck.find_problems(str(output)) == []
    assert outputcheck.partition_problem("articles", "date=2024-05-31/language=__HIVE_DEFAULT_PARTITION__") is None
    assert outputcheck.partition_problem("events", "event_date=__HIVE_DEFAULT_PARTITION__") is None
    assert outputcheck.schema_problem(pa.schema([("x", pa.int32())]), "events") is not None


def test_on_gcs_bad_partition_folders_are_found_up_front_and_damaged_files_named_when_read(
        output: Path, gcs_prefix: str) -> None:
    from apache_beam.io.filesystems import FileSystems

    def put(relative: str, data: bytes) -> str:
        url = f"{gcs_prefix}/{relative}"
        with FileSystems.create(url) as handle:
            handle.write(data)
        return url

    good = _first(output, "articles").read_bytes()
    put("articles/date=2024-05-31/language=de/data.parquet", good)
    bad = put("articles/date=2024-02-30/language=de/data.parquet", good)
    cut = put("rejects/date=2024-06-01/data.parquet", good[:-40])
    problems = outputcheck.find_problems(gcs_prefix)
    assert [(p.path, p.what) for p in problems] == [(bad.rsplit("/", 1)[0], "invalid partition key 'date=2024-02-30'")]
    with pytest.raises(DamagedOutput, match=r"rejects/date=2024-06-01/data\.parquet: not a readable Parquet file"):
        tables.read_rows(cut, table="rejects")
    moved = outputcheck.check_or_repair(gcs_prefix, "r3", repair=True)
    assert moved == [(bad.rsplit("/", 1)[0], f"{gcs_prefix}/_quarantine/r3/articles/date=2024-02-30/language=de")]
    assert FileSystems.exists(f"{gcs_prefix}/_quarantine/r3/articles/date=2024-02-30/language=de/data.parquet")
    assert not FileSystems.exists(bad) and outputcheck.find_problems(gcs_prefix) == []
