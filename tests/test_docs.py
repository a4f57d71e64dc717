"""The README documents every column the code writes, in the code's order, and nothing else."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO
from transforms.output.schema import TABLES


def documented_columns(table: str) -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"### {table}\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_readme_lists_every_column_of_every_table(table: str) -> None:
    assert documented_columns(table) == TABLES[table].schema.names


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = 'pip install -e ".[test]" && python -m pytest'
    assert command in readme
    assert command in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_lists_every_reject_reason_the_code_can_emit() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    stages = "read|parse|fetch|feed|clean|language|extract|dedup|write"
    emitted = set()
    for path in list((REPO / "transforms").glob("*.py")) + list((REPO / "pipeline").glob("*.py")):
        emitted |= set(re.findall(rf'"((?:{stages})/[a-z_0-9]+)"', path.read_text(encoding="utf-8")))
    emitted.discard("fetch/what")  # a comment's placeholder, not a reason
    missing = sorted(r for r in emitted if f"`{r}`" not in readme)
    assert not missing, f"reject reasons missing from the README: {missing}"
    assert "`fetch/http_<status>`" in readme  # the one reason built from a value


def test_the_viewers_read_only_columns_the_writer_writes() -> None:
    from pipeline.view.tables import VIEW_COLUMNS

    for table, columns in VIEW_COLUMNS.items():
        assert set(columns) <= set(TABLES[table].schema.names), table


def test_packaged_yaml_and_dataclass_defaults_agree_on_every_scalar() -> None:
    """Defaults live in two places (dataclass and config/pipeline.yaml); a drift would surprise users."""
    import dataclasses

    from transforms import settings as s

    loaded = s.load_settings()
    for section in ("read", "clean", "language", "fetch", "feeds"):
        default, value = getattr(s.Settings(), section), getattr(loaded, section)
        for field in dataclasses.fields(default):
            d, v = getattr(default, field.name), getattr(value, field.name)
            if isinstance(d, (int, float, str, bool)):
                assert d == v, f"{section}.{field.name}: dataclass {d!r} != pipeline.yaml {v!r}"
