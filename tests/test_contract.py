"""The output contract end to end, on real corpus articles: idempotent, incremental, crash-safe, one writer.

Each test runs ``eventwire run`` as a user does (a subprocess, the real Beam runner) over a JSON Lines
file built from fundus pages of the shared corpus, and compares whole tables.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tests.conftest import FAST_BEAM, REPO, run_cli
from tests.records_factory import mention
from transforms.output.lock import OutputLock
from transforms.records import Article, Mention

TABLES = ("articles", "mentions", "events", "rejects")
# ingested_at is the clock of the run that first saw an article: it differs between two clean runs by design
RUN_CLOCK = {"ingested_at", "rejected_at"}  # each run stamps its own clock on what it sees first

LAWROW = ("Der russische Außenminister Sergei Lawrow hat am Samstag mit seinem aserbaidschanischen Amtskollegen "
          "Dscheichun Bairamow telefoniert. {extra} Die Minister sprachen nach Angaben des Außenministeriums in Moskau "
          "über die Lage im Südkaukasus, über Verkehrswege und über die Vorbereitung weiterer Treffen der Regierungen "
          "beider Länder in den kommenden Wochen.")


def fundus_records(corpus: Path, count: int, skip: int = 0) -> list[dict]:
    """Real pages with their expected url and date, as the JSONL reader takes them."""
    pages = sorted((corpus / "fundus" / "de").glob("*.html.gz"))[skip : skip + count]
    records = []
    for page in pages:
        expected = json.loads(page.with_name(page.name.replace(".html.gz", ".expected.json")).read_text())
        records.append({"url": expected["url"], "html": gzip.decompress(page.read_bytes()).decode("utf-8", "replace"),
                        "published_at": expected.get("publishing_date"), "source": expected.get("publisher")})
    return records


def near_copy(corpus: Path, index: int, url: str) -> tuple[dict, dict]:
    """A real article body as text, and a copy of it under another URL with one word changed."""
    page = sorted((corpus / "fundus" / "de").glob("*.expected.json"))[index]
    expected = json.loads(page.read_text())
    body = expected["body"]
    original = {"url": expected["url"] + "?text", "text": body, "title": expected["title"],
                "published_at": expected.get("publishing_date"), "source": "Textausgabe"}
    words = body.split(" ")
    words[len(words) // 2] = "Zwischenruf"
    return original, dict(original, url=url, text=" ".join(words))


def lawrow(n: int, source: str) -> dict:
    return {"url": f"https://news.example/{n}", "text": LAWROW.format(extra=f"Meldung {n} von {source}."),
            "title": f"Lawrow und Bairamow ({n})", "published_at": "2024-06-03T10:00:00Z", "source": source}


def with_footer(n: int, published_at: str) -> dict:
    """Articles of one outlet sharing a footer: learned boilerplate, counted across the whole run."""
    footer = "Die Redaktion berichtet laufend über die Beziehungen zwischen Moskau und Baku im Südkaukasus."
    record = lawrow(n, "TASS")
    return dict(record, text=f"{record['text']}\n\n{footer}", published_at=published_at)


def write_jsonl(path: Path, records: list[dict], bad_lines: tuple[str, ...] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records) + "".join(
        line + "\n" for line in bad_lines))
    return path


@pytest.fixture(scope="module")
def inputs(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """first.jsonl and second.jsonl overlap; both hold URL copies and content copies; union = both."""
    root = tmp_path_factory.mktemp("inputs")
    pages = fundus_records(corpus, 14)
    original, near = near_copy(corpus, 20, "https://copy.example/near")
    content_copy = dict(pages[1], url="https://mirror.example/copy-of-1")
    first = [*pages[:9], pages[0], content_copy, original, lawrow(1, "TASS"), lawrow(2, "Interfax")]
    # the footer articles: the first is in the first articles partition committed, the others later
    footers = [with_footer(10, "2001-01-01T08:00:00Z"), with_footer(11, "2024-06-04T08:00:00Z"),
               with_footer(12, "2024-06-05T08:00:00Z")]
    second = [*pages[6:], near, lawrow(2, "Interfax"), lawrow(3, "AZERTAC"), *footers]
    bad = ('{"url": "https://bad.example/1", "title": "kein Text"}', "{not json")
    return {
        "first": write_jsonl(root / "first.jsonl", first, bad),
        "second": write_jsonl(root / "second.jsonl", second),
        "union": write_jsonl(root / "union.jsonl", first + second, bad),
    }


def run(inputs: list[Path], out: Path, *extra: str, env: dict[str, str] | None = None,
        beam: list[str] = FAST_BEAM) -> subprocess.CompletedProcess[str]:
    return run_cli("run", *map(str, inputs), "--output", str(out), *beam, *extra, env=env, timeout=180)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def digest(root: Path, tables: tuple[str, ...] = TABLES) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for t in tables for p in sorted((root / t).rglob("*.parquet"))}


PARTITIONS = {"articles": [("date", pa.date32()), ("language", pa.string())], "mentions": [("event_date", pa.date32())],
              "events": [("event_date", pa.date32())], "rejects": [("date", pa.date32())]}


def read_table(root: Path, table: str) -> list[dict]:
    """A table as a warehouse reads it: Hive partitions, typed partition columns (null = the Hive default)."""
    if not (root / table).exists():
        return []
    partitioning = ds.partitioning(pa.schema(PARTITIONS[table]), flavor="hive")
    return ds.dataset(str(root / table), format="parquet", partitioning=partitioning).to_table().to_pylist()


def contents(root: Path, ignore: set[str] = RUN_CLOCK) -> dict[str, list[str]]:
    """Every table as sorted JSON rows (partition columns included), minus the run-clock columns."""
    return {t: sorted(json.dumps({k: v for k, v in r.items() if k not in ignore}, sort_keys=True, default=str)
                      for r in read_table(root, t)) for t in TABLES}


def manifests(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "_runs").glob("*.json"))]


@pytest.fixture(scope="module")
def clean(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Reference outputs: "first" alone, then "second" added (incremental), in single-worker runs."""
    base = tmp_path_factory.mktemp("clean")
    ok(run([inputs["first"]], base / "first"))
    shutil.copytree(base / "first", base / "both")
    ok(run([inputs["second"]], base / "both"))
    return {"first": base / "first", "both": base / "both"}


def test_rerun_changes_no_byte_and_parallelism_changes_no_row(inputs: dict[str, Path], clean: dict[str, Path],
                                                               tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(clean["first"], out)
    before = digest(out)
    ok(run([inputs["first"]], out))
    assert digest(out) == before  # the same input again: not one byte changes
    assert manifests(out)[-1]["new"] == {"articles": 0, "mentions": 0}

    parallel = tmp_path / "parallel"
    ok(run([inputs["first"]], parallel, beam=["--direct_num_workers=2", "--direct_running_mode=multi_processing"]))
    # Mentions and events are byte-identical; articles and rejects differ only in ingested_at and
    # rejected_at, the clock of the run that first saw them (two outputs, two runs).
    assert digest(parallel, ("mentions", "events")) == digest(out, ("mentions", "events"))
    assert contents(parallel) == contents(out)
    assert digest(parallel).keys() == digest(out).keys()  # same partitions, one data.parquet each


def test_copies_overlap_and_near_duplicates(inputs: dict[str, Path], clean: dict[str, Path], tmp_path: Path) -> None:
    first, both = read_table(clean["first"], "articles"), read_table(clean["both"], "articles")
    for table in (first, both):
        assert len({r["url"] for r in table}) == len(table)  # one row per URL
        assert len({r["content_hash"] for r in table}) == len(table)  # one row per normalized content
    copies = {json.loads(line)["url"] for line in inputs["first"].read_text().splitlines()[1:2]} | {
        "https://mirror.example/copy-of-1"}
    assert len(copies & {r["url"] for r in first}) == 1  # same content under two URLs: one article
    reasons = Counter(r["reason"] for r in read_table(clean["first"], "rejects"))
    assert reasons["dedup/duplicate_url"] == 1 and reasons["dedup/duplicate_content"] == 1

    # the near copy came in the second run; the pair is flagged the same way as in one run over the union
    union = tmp_path / "union"
    ok(run([inputs["union"]], union))
    flags = {r["url"]: r["near_duplicate_of"] for r in both if r["near_duplicate_of"]}
    by_url = {r["url"]: r["article_id"] for r in both}
    pair = {by_url["https://copy.example/near"], by_url[next(u for u in by_url if u.endswith("?text"))]}
    assert len(flags) == 1 and set(flags.values()) <= pair and by_url[next(iter(flags))] == max(pair)
    where = RUN_CLOCK | {"source_uri"}  # the same articles, read from another file
    assert contents(union, where)["articles"] == contents(clean["both"], where)["articles"]
    # events are recomputed from all mentions: Interfax's report sent twice counts once, TASS + Interfax + AZERTAC
    assert contents(union)["events"] == contents(clean["both"])["events"]
    assert contents(union)["mentions"] == contents(clean["both"])["mentions"]
    mentions = read_table(union, "mentions")
    events = read_table(union, "events")
    assert len({m["mention_id"] for m in mentions}) == len(mentions) > 0
    for event in events:
        own = [m for m in mentions if m["event_id"] == event["event_id"]]
        assert event["num_mentions"] == len(own) and event["num_articles"] == len({m["article_id"] for m in own})


def article_ids(path: Path) -> list[str]:
    return sorted(pq.read_table(path, columns=["article_id"]).column(0).to_pylist()) if path.exists() else []


@pytest.mark.parametrize("point", ["stage:partition", "commit:0", "commit:first-articles", "commit:end"])
def test_sigkill_at_any_point_then_rerun_equals_a_clean_run(point: str, inputs: dict[str, Path],
                                                            clean: dict[str, Path], tmp_path: Path) -> None:
    """Killed while staging, at the commit point, amid the articles replaces (the last table), after all replaces."""
    out = tmp_path / "out"
    shutil.copytree(clean["first"], out)
    old, new = digest(clean["first"]), digest(clean["both"])
    if point == "commit:first-articles":  # rejects, mentions and events land before articles
        written = manifests(clean["both"])[-1]["written"]
        point = f"commit:{sum(len(written.get(t, [])) for t in ('rejects', 'mentions', 'events')) + 1}"
        assert len(written["articles"]) > 1
    killed = run([inputs["second"]], out, env={"EVENTWIRE_FAULT": point})
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert (out / "_lock.json").exists()  # the killed run's lock is left behind
    for table in TABLES:  # every table reads (a torn file would raise here) ...
        read_table(out, table)
    # ... and each partition file is the old or the new one, never a mix
    for name, sha in digest(out, ("mentions", "events", "rejects")).items():
        assert sha in (old.get(name), new.get(name)), name
    for path in (out / "articles").rglob("*.parquet"):  # articles carry the run clock: compare their rows
        relative = path.relative_to(out)
        assert article_ids(path) in (article_ids(clean["first"] / relative), article_ids(clean["both"] / relative))
    ok(run([inputs["second"]], out))  # takes over the stale lock, rolls forward or starts over
    assert not (out / "_staging").exists() and not (out / "_lock.json").exists()
    assert contents(out) == contents(clean["both"])
    assert digest(out, ("mentions", "events", "rejects")) == digest(clean["both"], ("mentions", "events", "rejects"))


def test_second_writer_fails_clearly_or_waits(inputs: dict[str, Path], clean: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputLock(str(out), "holder"):
        refused = run([inputs["first"]], out)
        assert refused.returncode == 2 and "is held by run holder" in refused.stderr and "--wait-for-lock" in refused.stderr
        assert not (out / "articles").exists()
        waiting = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(inputs["first"]), "--output",
                                    str(out), "--wait-for-lock", "120", *FAST_BEAM], cwd=REPO, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
        time.sleep(4)
        assert waiting.poll() is None  # still waiting for the lock
    _, stderr = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, stderr[-2000:]
    assert contents(out) == contents(clean["first"])


def test_two_concurrent_runs_end_as_one_clean_run(inputs: dict[str, Path], clean: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pipeline.cli", "run", str(inputs["first"]), "--output", str(out), *FAST_BEAM]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [subprocess.Popen([*command, *extra], cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            for extra in (["--wait-for-lock", "120"], ["--wait-for-lock", "120"])]
    for process in runs:
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr[-2000:]
    assert contents(out) == contents(clean["first"])
    assert sorted(m["new"]["articles"] for m in manifests(out))[0] == 0  # the later one found everything present


def test_a_reader_polling_during_a_run_never_fails_nor_sees_duplicates(inputs: dict[str, Path], clean: dict[str, Path],
                                                                       tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(clean["first"], out)
    seen: list[tuple[int, int, int, int]] = []
    errors: list[str] = []
    stop = threading.Event()

    def poll() -> None:
        connection = duckdb.connect()
        while not stop.is_set():
            try:
                events = connection.execute(f"select count(*), count(distinct event_id) from read_parquet("
                                        f"'{out}/events/**/*.parquet', hive_partitioning=true)").fetchone()
                articles = connection.execute(f"select count(*), count(distinct article_id) from read_parquet("
                                          f"'{out}/articles/**/*.parquet', hive_partitioning=true)").fetchone()
                seen.append((*events, *articles))
            except duckdb.Error as exc:
                errors.append(str(exc))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        ok(run([inputs["second"]], out))
    finally:
        stop.set()
        reader.join()
    assert not errors, errors[:3]
    assert len(seen) > 10
    assert all(total == distinct for total, distinct, _, _ in seen)
    assert all(total == distinct for _, _, total, distinct in seen)
    assert {s[0] for s in seen} >= {len(read_table(clean["first"], "events")), len(read_table(clean["both"], "events"))}


def test_manifest_lists_what_was_read_written_and_rejected(inputs: dict[str, Path], clean: dict[str, Path]) -> None:
    [manifest] = manifests(clean["first"])
    lines = inputs["first"].read_text().splitlines()
    assert manifest["command"] == "run"
    assert manifest["inputs"] == [str(inputs["first"])] and manifest["read"]["documents"] == len(lines) - 2
    assert manifest["rejected"] == {"read/invalid_json": 1, "read/missing_text": 1}
    assert manifest["duplicates"] == {"dedup/duplicate_content": 1, "dedup/duplicate_url": 1}
    for table in TABLES:
        files = {str(p.parent.relative_to(clean["first"] / table)): pq.read_metadata(p).num_rows
                 for p in (clean["first"] / table).rglob("*.parquet")}
        assert {w["partition"]: w["rows"] for w in manifest["written"].get(table, [])} == files, table
    assert manifest["new"]["articles"] == len(read_table(clean["first"], "articles"))
    [_, second] = manifests(clean["both"])
    footer_urls = {f"https://news.example/{n}" for n in (10, 11, 12)}
    footers = [r for r in read_table(clean["both"], "articles") if r["url"] in footer_urls]
    assert len(footers) == 3 and all(r["removed"][-1]["rule"] == "learned:recurring" for r in footers)
    assert second["read"]["already_present"] >= 3  # the overlap was recognised, not re-extracted
    assert "rejects" not in second["written"]  # nothing rejected in the second input


# --- reprocess ------------------------------------------------------------------------------


def _dated_mentions(article: Article) -> list[Mention]:
    """A stand-in extractor whose event date follows the publication date (as a relative date would)."""
    return [mention(article, 0, date=article.published_at.date())]


def test_reprocess_moves_mentions_and_articles_and_keeps_first_ingestion(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.batch
    import transforms.events.extract
    from pipeline.batch import run as run_batch
    from transforms.settings import load_settings

    # The stand-in extractor must run in this process: clean (and analyse) in-process, not in helpers.
    monkeypatch.setattr(pipeline.batch, "load_settings", lambda path: dataclasses.replace(
        load_settings(path), clean=dataclasses.replace(load_settings(path).clean, parse_isolation=False)))
    monkeypatch.setattr(transforms.events.extract, "extract_mentions", lambda article, model: _dated_mentions(article))
    out, source = tmp_path / "out", tmp_path / "in.jsonl"
    records = [lawrow(1, "TASS"), lawrow(2, "Interfax")]
    write_jsonl(source, records)
    argv = [str(source), "--output", str(out), *FAST_BEAM]
    run_batch(argv)
    [event] = read_table(out, "events")
    assert (str(event["event_date"]), event["num_articles"]) == ("2024-06-03", 2)
    first_ingestion = {r["url"]: r["ingested_at"] for r in read_table(out, "articles")}

    records[0] = dict(records[0], published_at="2024-06-10T09:00:00Z")  # e.g. a corrected date upstream
    write_jsonl(source, records)
    assert run_batch(argv).get("articles") == 0  # without --reprocess: already present, nothing changes
    assert [e["num_articles"] for e in read_table(out, "events")] == [2]
    time.sleep(1.1)  # a later run clock
    write_jsonl(source, records[:1])  # only the corrected article: its old partitions get no new rows
    summary = run_batch([*argv, "--reprocess"])
    assert summary.get("reprocessed") == 1
    events = {str(e["event_date"]): e["num_articles"] for e in read_table(out, "events")}
    assert events == {"2024-06-03": 1, "2024-06-10": 1}  # the old mention is gone from its old partition
    mentions = {(m["url"], str(m["event_date"])) for m in read_table(out, "mentions")}
    assert mentions == {("https://news.example/1", "2024-06-10"), ("https://news.example/2", "2024-06-03")}
    articles = read_table(out, "articles")
    assert sorted((r["url"], str(r["date"])) for r in articles) == [
        ("https://news.example/1", "2024-06-10"), ("https://news.example/2", "2024-06-03")]
    assert {r["url"]: r["ingested_at"] for r in articles} == first_ingestion


def test_categorical_columns_are_dictionary_encoded_and_free_text_is_not(clean: dict[str, Path]) -> None:
    """Each table's few-valued columns carry a dictionary (small, fast to filter); free text does
    not (a dictionary of unique sentences only costs write time). Every file is still plain Parquet."""
    from transforms.output.schema import TABLES as SPECS

    seen: dict[str, set[str]] = {"dictionary": set(), "plain": set()}
    for table in ("articles", "mentions", "events", "rejects"):
        for path in sorted((clean["both"] / table).rglob("*.parquet")):
            metadata = pq.ParquetFile(path).metadata
            for group in range(metadata.num_row_groups):
                for index in range(metadata.num_columns):
                    column = metadata.row_group(group).column(index)
                    name = column.path_in_schema
                    if "." in name:
                        continue  # nested fields (participants, removed) follow their own defaults
                    kind = "dictionary" if column.has_dictionary_page else "plain"
                    assert (kind == "dictionary") == (name in SPECS[table].dictionary), (table, name, kind)
                    seen[kind].add(f"{table}.{name}")
    assert {"mentions.event_type", "rejects.reason", "articles.source"} <= seen["dictionary"]
    assert {"mentions.sentence", "articles.text", "articles.title"} <= seen["plain"]
