"""End to end: a folder mixing every hostile class, through the real CLI and Beam runner.

Exit status 0; every input record ends as an article or a reject (or a counted duplicate);
every reject carries stage, reason and detail; the printed summary counts rejects by reason;
every written file stays under the output root, in ISO-date / language-code partitions only.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import FAST_BEAM, read_table, run_cli
from tests.hostile_files import uri_matches, write_config, write_hostile_folder

_PARTITION = re.compile(r"^(date=\d{4}-\d{2}-\d{2}|event_date=(\d{4}-\d{2}-\d{2}|__HIVE_DEFAULT_PARTITION__)"
                        r"|language=([a-z]{2,3}|__HIVE_DEFAULT_PARTITION__))$")


def test_hostile_folder_runs_to_the_end_and_accounts_for_every_record(tmp_path: Path) -> None:
    inputs, output = tmp_path / "in", tmp_path / "out"
    expected = write_hostile_folder(inputs)
    config = write_config(tmp_path / "config")
    result = run_cli("run", str(inputs), "--output", str(output), "--config", str(config), *FAST_BEAM, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]

    articles, rejects = read_table(output, "articles"), read_table(output, "rejects")
    outcomes: dict[str, list[str]] = {}
    for row in articles:
        outcomes.setdefault(row["source_uri"], []).append("article")
    for row in rejects:
        assert row["stage"] and row["reason"].startswith(row["stage"] + "/") and row["detail"], row
        outcomes.setdefault(row["source_uri"], []).append(row["reason"])

    # nothing lost, nothing invented: each record once, and nothing that was not an input
    assert all(len(v) == 1 for v in outcomes.values()), {k: v for k, v in outcomes.items() if len(v) > 1}
    unexpected = [uri for uri in outcomes if not any(uri_matches(e, uri) for e in expected)]
    assert not unexpected
    wrong = {}
    for uri, want in expected.items():
        got = outcomes.get(uri, ["<missing>"])[0]
        # lxml may drop what is nested too deep: then the page is too short, but never a crash
        if got != want and not (want == "nested" and got in ("article", "clean/too_short")):
            wrong[uri.split("/")[-1]] = (want, got)
    assert not wrong

    # no partial data passes as complete: records read before a gzip cut are whole lines, the file is a reject
    by_uri = {row["source_uri"]: row for row in articles}
    cut = next(uri for uri, want in expected.items() if uri.endswith("cut_lines.jsonl.gz"))
    before_cut = [u for u in by_uri if u.startswith(cut + "#")]
    assert before_cut and all(by_uri[u]["text"].endswith(".") for u in before_cut)

    # the text survives the encodings, and the encoding used is recorded
    for name in ("cp1252_undeclared.html", "wrong_declaration.html", "latin1_declared_utf8_bytes.html",
                 "mostly_utf8.txt"):
        row = next(r for u, r in by_uri.items() if u.endswith("/" + name))
        assert "äußerten" in row["text"] and "\ufffd" not in row["text"], name
    assert next(r for u, r in by_uri.items() if u.endswith("mostly_utf8.txt"))["text"].endswith("Straße und Grüße.")
    boilerplate = next(r for u, r in by_uri.items() if u.endswith("boilerplate_only.txt"))
    assert boilerplate["text"] == "" and len(boilerplate["removed"]) == 4
    mention_articles = {a for f in (output / "mentions").rglob("*.parquet")  # only the null date partition here
                        for a in pq.read_table(f, columns=["article_id"]).column("article_id").to_pylist()}
    assert mention_articles and boilerplate["article_id"] not in mention_articles

    # the summary counts rejects by reason, as the table does
    counts = Counter(row["reason"] for row in rejects)
    for reason, count in counts.items():
        assert re.search(rf"^\s+{re.escape(reason)}\s+{count}$", result.stdout, re.M), (reason, result.stdout)
    assert re.search(rf"articles written\s+{len(articles)}\b", result.stdout)
    assert re.search(rf"input records\s+{len(articles) + len(rejects)}\b", result.stdout)

    # partitions: ISO dates and language codes only, every file under the output root
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert path.is_relative_to(inputs) or path.is_relative_to(output) or path.is_relative_to(tmp_path / "config")
    for table in ("articles", "mentions", "events", "rejects"):
        for path in (output / table).rglob("*.parquet"):
            assert all(_PARTITION.match(part) for part in path.relative_to(output / table).parts[:-1]), path
