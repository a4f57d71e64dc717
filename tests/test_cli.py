"""CLI behaviour that does not need a pipeline run: usage, errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline.cli import main
from tests.conftest import REPO, run_cli


def test_help_lists_every_command(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("run", "feeds", "watch", "show", "report"):
        assert f"  {command}" in out


def test_unknown_command_is_a_usage_error(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_no_arguments_outside_the_repository_explains_itself(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2 and "No seeds/ folder here" in result.stderr


def test_input_that_matches_nothing_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("run", str(tmp_path / "missing"), "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("clean:\n  min_chars: 10\n  mystery: 1\n")
    (tmp_path / "a.txt").write_text("T\n\nText.\n")
    result = run_cli("run", str(tmp_path / "a.txt"), "--output", str(tmp_path / "out"), "--config", str(config))
    assert result.returncode == 2 and "mystery" in result.stderr


def test_a_config_naming_a_missing_lexicon_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Relative lexicon and gazetteer paths are read from the configuration's folder: a config copied
    elsewhere without them is a usage mistake, said in one line that names the file."""
    config = tmp_path / "pipeline.yaml"
    config.write_text("events:\n  lexicons:\n    de: lexicon/de.yaml\n")
    (tmp_path / "a.txt").write_text("T\n\nText.\n")
    result = run_cli("run", str(tmp_path / "a.txt"), "--output", str(tmp_path / "out"), "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "lexicon" / "de.yaml") in lines[0] and "no such file" in lines[0]


def test_main_in_a_long_lived_process_leaves_the_collector_alone(tmp_path: Path) -> None:
    """The eventwire command freezes the heap (Beam's modules, and everything at exit); a caller
    that runs ``main`` in a long-lived process (tests, an Airflow worker) must keep collecting
    its garbage: nothing is frozen, and a cycle that dies after the call is collected."""
    probe = (
        "import gc, sys, weakref\n"
        "from pipeline import cli\n"
        "class Node: pass\n"
        "node = Node(); node.self = node; alive = weakref.ref(node)\n"
        "cli.main(['show', sys.argv[1]])\n"
        "frozen = gc.get_freeze_count()\n"
        "del node; gc.collect()\n"
        "print(frozen, alive() is None)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "no-output")], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.split() == ["0", "True"], done.stderr
