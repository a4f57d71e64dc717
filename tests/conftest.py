"""Shared test helpers: the repository root, the corpus beside it, CLI runs, table reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not beside the repository ({CORPUS})")
    return CORPUS


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``eventwire ARGS`` as a user runs it (a real subprocess and the real Beam runner)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def read_table(output: Path | str, table: str) -> list[dict]:
    """A table read back with pyarrow's Hive partitioning, as rows."""
    root = Path(output) / table
    if not root.exists():
        return []
    keys = {"articles": [("date", pa.date32()), ("language", pa.string())], "rejects": [("date", pa.date32())]}
    partitioning = ds.partitioning(pa.schema(keys.get(table, [("event_date", pa.date32())])), flavor="hive")
    dataset = ds.dataset(str(root), format="parquet", partitioning=partitioning)
    return dataset.to_table().to_pylist()


FAST_BEAM = ["--direct_num_workers=1", "--direct_running_mode=in_memory"]

# gs:// tests: gcp-storage-emulator on 127.0.0.1 (see tests/gcs_emulator.py), and behind a proxy that
# enforces GCS's generation preconditions (strict_gcs, see tests/gcs_preconditions.py)
from tests.gcs_emulator import gcs_emulator, gcs_prefix  # noqa: E402, F401
from tests.gcs_preconditions import gcs_precondition_proxy, strict_gcs  # noqa: E402, F401
