"""``eventwire show``: the terminal table, read back from real Parquet in the Hive layout."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from pipeline.view import show
from tests import view_data as vd

ROOT = Path(__file__).resolve().parents[1]


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_show(argv: list[str], stream: io.StringIO | None = None) -> tuple[int, str]:
    out = stream or io.StringIO()
    code = show.main(argv, stream=out)
    return code, out.getvalue()


def test_seed_events_newest_first_with_unknown_dates(tmp_path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    vd.seed_like(tmp_path)
    code, text = run_show([str(tmp_path)])
    assert code == 0
    lines = text.splitlines()
    assert "\033[" not in text  # piped: plain text
    assert max(len(line) for line in lines) <= 80
    dated = next(i for i, line in enumerate(lines) if line.startswith("2020-05-31"))
    undated = [i for i, line in enumerate(lines) if line.startswith("date unknown")]
    assert len(undated) == 2 and dated < min(undated)
    assert "CONSULT/phone" in lines[dated] and "AZE:foreign_minister" in lines[dated]
    assert "AFG:foreign_minister" in text and "Sergei" in text and "CONSULT/meeting" in text
    assert "“Am Freitag tagte in Astrachan die Regierungskommission.”" in text
    assert "1/1/1" in lines[dated]
    assert text.split("─")[-1].strip().startswith("3 events ·")  # the totals line closes the table
    assert "2 date unknown" in text and "3 countries/IGOs: AFG AZE RUS" in text.replace("\n", " ")


def test_filters_and_limit(tmp_path):
    vd.seed_like(tmp_path)
    code, text = run_show([str(tmp_path), "--country", "afg"])
    assert code == 0 and "Mammadyarov" in text and "Lawrow" not in text
    assert "1 event (filtered from 3)" in text
    _, text = run_show([str(tmp_path), "--since", "2020-06-01"])
    assert "no events match the filters (3 events in" in text
    _, text = run_show([str(tmp_path), "--limit", "1"])
    assert "1 of 3 events shown" in text and text.count("CONSULT/") == 1


def test_terminal_gets_colour_and_its_width(tmp_path, monkeypatch):
    vd.seed_like(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "120")  # shutil.get_terminal_size honours it
    _, text = run_show([str(tmp_path)], FakeTty())
    assert "\033[1m" in text and "\033[32m" in text  # bold header, green cooperation
    plain = [line.replace("\033[1m", "").replace("\033[32m", "").replace("\033[2m", "").replace("\033[0m", "")
             for line in text.splitlines()]
    assert max(len(line) for line in plain) <= 120
    assert any(len(line) > 80 for line in plain)  # the wider terminal is used
    monkeypatch.setenv("NO_COLOR", "1")
    _, text = run_show([str(tmp_path)], FakeTty())
    assert "\033[" not in text


def test_thousands_of_events_stay_readable(tmp_path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    vd.many(tmp_path, count=2000)
    code, text = run_show([str(tmp_path)])
    lines = text.splitlines()
    assert code == 0 and max(len(line) for line in lines) <= 80
    assert "50 of 2000 events shown" in text.replace("\n", " ")
    assert len(lines) < 250


def test_empty_and_missing_outputs(tmp_path, capsys):
    (tmp_path / "events").mkdir()
    code, text = run_show([str(tmp_path)])
    assert code == 0 and text.strip() == f"no events yet in {tmp_path}"
    code, text = run_show([str(tmp_path / "nope")])
    assert code == 2 and text == ""
    assert "no output at" in capsys.readouterr().err


def test_cli_show_is_fast_and_does_not_import_beam(tmp_path):
    vd.seed_like(tmp_path)
    probe = ("import sys; from pipeline import cli; code = cli.main(['show', sys.argv[1]]); "
             "assert 'apache_beam' not in sys.modules, 'show imported Beam'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Mammadyarov" in done.stdout and "\033[" not in done.stdout
