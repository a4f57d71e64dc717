"""End to end: the real pipeline over the seeds and a few corpus articles, then ``report`` and ``show``.

One pipeline run (module fixture) serves every test here. The expected numbers come from
reading the written tables independently with DuckDB, not from our own reader.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "fundus"
SAMPLE = ("be/PoliticoEu_2025_10_23.html.gz", "at/DerStandard_2024_05_03.html.gz", "ca/CBCNews_2024_08_08.html.gz")

pytestmark = pytest.mark.slow


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVENTWIRE_LOG_LEVEL": "WARNING", "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    inputs = tmp_path_factory.mktemp("input")
    for seed in (ROOT / "seeds").iterdir():
        shutil.copy(seed, inputs / seed.name)
    if CORPUS.is_dir():  # CI has ../shared beside the clone; elsewhere the seeds alone still test the viewer
        for name in SAMPLE:
            shutil.copy(CORPUS / name, inputs / name.replace("/", "_"))
    out = tmp_path_factory.mktemp("out")
    done = cli("run", str(inputs), "--output", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def duck(sql: str) -> list[tuple]:
    import duckdb

    return duckdb.sql(sql).fetchall()


class Text(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.feed(html)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.parts).split())


@pytest.mark.timeout(400)
def test_report_of_a_real_run(output, tmp_path):
    page = tmp_path / "report.html"
    done = cli("report", str(output), "--html", str(page))
    assert done.returncode == 0, done.stderr[-3000:]
    html = page.read_text(encoding="utf-8")
    text = Text(html).plain

    events_glob = f"{output}/events/*/*.parquet"
    (events, undated), = duck(f"select count(*), count(*) filter (where event_date is null) "
                              f"from read_parquet('{events_glob}', hive_partitioning=true)")
    (articles,), = duck(f"select count(*) from read_parquet('{output}/articles/*/*/*.parquet')")
    assert events >= 3 and articles >= 2
    assert f"{events} events" in text and f"{articles} articles" in text
    assert f"(+{undated} date unknown)" in text if undated else "date unknown" not in text
    assert html.count("<tr><td class='num'>") == min(events, 50)  # the top events table
    assert "<svg class='chart' id='timeline'" in html and "<svg class='chart' id='network'" in html
    assert "<script" not in html

    # The seed events (DESIGN.md, acceptance): AZE-AFG phone call on 2020-05-31, two undated RUS-AZE events.
    rows = [r for r in text.split("CAMEO") if "AZE:foreign_minister" in r]
    assert "2020-05-31" in text and "AFG:foreign_minister" in text and "RUS:foreign_minister" in text
    assert "RUS:deputy_head_of_government" in text and "AZE:deputy_head_of_government" in text
    assert rows and undated >= 2


@pytest.mark.timeout(400)
def test_show_of_a_real_run(output):
    done = cli("show", str(output), "--limit", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    (events,), = duck(f"select count(*) from read_parquet('{output}/events/*/*.parquet')")
    assert "\033[" not in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 100
    assert f"{events} events" in done.stdout or (events == 1 and "1 event" in done.stdout)
    seeds = cli("show", str(output), "--country", "AFG")
    assert "2020-05-31" in seeds.stdout and "CONSULT/phone" in seeds.stdout
