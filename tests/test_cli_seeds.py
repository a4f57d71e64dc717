"""End to end: `eventwire run seeds/` as a user runs it, read back with DuckDB, against DESIGN.md's seed acceptance."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FAST_BEAM, REPO, read_table, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeds_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The no-argument command, from a copy of the repository root's seeds (default runner: 2 processes)."""
    work = tmp_path_factory.mktemp("seeds-run")
    shutil.copytree(REPO / "seeds", work / "seeds")
    result = run_cli(cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    return work / "output", result.stdout


def event_signature(row: dict) -> tuple:
    return (row["event_type"], row["event_mode"], tuple(sorted(p["key"] for p in row["participants"])), row["event_date"])


def test_summary_is_printed(seeds_output: tuple[Path, str]) -> None:
    _, stdout = seeds_output
    assert "documents read           2" in stdout
    assert "articles written         2" in stdout
    assert "rejects                  0" in stdout


def test_the_three_seed_events(seeds_output: tuple[Path, str]) -> None:
    out, _ = seeds_output
    events = {event_signature(e): e for e in read_table(out, "events")}
    lavrov_call = ("CONSULT", "phone", ("AZE:foreign_minister", "RUS:foreign_minister"), None)
    astrakhan = ("CONSULT", "meeting", ("AZE:deputy_head_of_government", "RUS:deputy_head_of_government"), None)
    azertac_call = ("CONSULT", "phone", ("AFG:foreign_minister", "AZE:foreign_minister"), dt.date(2020, 5, 31))
    assert set(events) == {lavrov_call, astrakhan, azertac_call}
    assert events[lavrov_call]["cameo_code"] == "041" and events[lavrov_call]["quad_class"] == 1
    assert events[astrakhan]["location_country"] == "RUS"


def test_mentions_keep_date_words_and_never_invent_a_date(seeds_output: tuple[Path, str]) -> None:
    out, _ = seeds_output
    mentions = read_table(out, "mentions")
    by_keys = {}
    for m in mentions:
        by_keys.setdefault(tuple(sorted(p["key"] for p in m["participants"])), []).append(m)
    rt_call = by_keys[("AZE:foreign_minister", "RUS:foreign_minister")]
    assert all(m["event_date"] is None for m in rt_call)  # no publication date in the file
    assert any("Samstag" in (m["date_text"] or "") for m in rt_call)
    meeting = by_keys[("AZE:deputy_head_of_government", "RUS:deputy_head_of_government")]
    assert any("Freitag" in (m["date_text"] or "") for m in meeting)
    azertac = by_keys[("AFG:foreign_minister", "AZE:foreign_minister")]
    assert {m["event_date"] for m in azertac} == {dt.date(2020, 5, 31)}
    assert all(m["date_text"] for m in azertac)


def test_boilerplate_is_removed_and_never_becomes_an_event(seeds_output: tuple[Path, str]) -> None:
    out, _ = seeds_output
    articles = read_table(out, "articles")
    rt = next(a for a in articles if "Lawrow" in a["text"])
    assert "Mehr zum Thema" not in rt["text"] and "Sperrung von RT" not in rt["text"]
    assert any(r["text"].startswith("Mehr zum Thema") for r in rt["removed"])
    assert all("Odessa" not in m["sentence"] and "Charkow" not in m["sentence"] for m in read_table(out, "mentions"))
    azertac = next(a for a in articles if "Mammadyarov" in a["text"])
    assert azertac["source"] == "AZERTAC" and azertac["language"] == "de"


def test_duckdb_reads_event_date_as_date(seeds_output: tuple[Path, str]) -> None:
    out, _ = seeds_output
    pattern = str(out / "events" / "**" / "*.parquet")
    [(kind,)] = duckdb.sql(
        f"SELECT DISTINCT typeof(event_date) FROM read_parquet('{pattern}', hive_partitioning=true) "
        "WHERE event_date IS NOT NULL").fetchall()
    assert kind == "DATE"
    [(count,)] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{pattern}', hive_partitioning=true)").fetchall()
    assert count == 3


def test_running_again_changes_nothing(seeds_output: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = seeds_output
    copy = tmp_path / "output"
    shutil.copytree(out, copy)
    before = {t: len(read_table(copy, t)) for t in ("articles", "mentions", "events", "rejects")}
    files = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*.parquet")}
    result = run_cli("run", str(REPO / "seeds"), "--output", str(copy), *FAST_BEAM)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "already in output        2" in result.stdout
    assert {t: len(read_table(copy, t)) for t in before} == before
    assert {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*.parquet")} == files
    assert len(list((copy / "_runs").glob("*.json"))) == 2  # one manifest per run


def test_a_file_named_by_overlapping_inputs_is_read_once(tmp_path: Path) -> None:
    seeds = sorted(str(p) for p in (REPO / "seeds").glob("*.txt"))
    result = run_cli("run", str(REPO / "seeds"), seeds[0], str(REPO / "seeds" / "*.txt"),
                     "--output", str(tmp_path / "output"), *FAST_BEAM)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "documents read           2" in result.stdout  # not 4 (or 6) documents, 2 (or 4) of them duplicates
    assert "duplicates               0" in result.stdout
    assert len(read_table(tmp_path / "output", "articles")) == 2
