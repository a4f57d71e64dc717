"""Help and usage errors as an operator reads them: plain text, every option, one line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FAST_BEAM, REPO, run_cli


@pytest.mark.parametrize("command", ["feeds", "watch"])
def test_feeds_and_watch_help_is_plain_and_complete(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "``" not in text  # no RST markup from a docstring
    for option in ("--output OUTPUT", "--config CONFIG", "--wait-for-lock", "--allow-private-networks"):
        assert option in text, option
    assert "--reprocess" not in text and "--max-records" not in text  # run's options, not these commands'
    if command == "watch":
        assert "--interval SECONDS" in text and "(default 300)" in text
    else:
        assert "3 when none could be" in text  # the exit status a scheduler alerts on


def test_a_bad_option_value_names_the_command_in_one_line() -> None:
    result = run_cli("run", str(REPO / "seeds"), "--max-records", "abc", *FAST_BEAM)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["eventwire run: error: argument --max-records: invalid int value: 'abc' (see eventwire run --help)"]


@pytest.fixture(scope="module")
def seeds_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("help") / "out"
    result = run_cli("run", str(REPO / "seeds"), "--output", str(out), *FAST_BEAM)
    assert result.returncode == 0, result.stderr
    return out


def test_show_bad_date_says_what_a_date_looks_like(seeds_output: Path) -> None:
    result = run_cli("show", str(seeds_output), "--since", "2024-13-01")
    assert result.returncode == 2
    assert "argument --since: '2024-13-01' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY" in result.stderr
    assert "parse_day" not in result.stderr


def test_show_country_name_suggests_its_code(seeds_output: Path) -> None:
    result = run_cli("show", str(seeds_output), "--country", "russia")
    assert result.returncode == 2
    assert result.stderr.strip() == ("eventwire show: --country takes an ISO 3166 alpha-3 or IGO code, not 'russia': "
                                     "did you mean --country RUS (Russian Federation)?")
    assert "RUS:" in run_cli("show", str(seeds_output), "--country", "RUS").stdout  # and the code works
    unknown = run_cli("show", str(seeds_output), "--country", "NATO")  # an IGO code is never "corrected"
    assert unknown.returncode == 0 and "no events match the filters" in unknown.stdout
