"""Dataflow readiness: what --setup_file ships, and that the job's functions and config pickle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ("setup.py", "README.md", "pipeline", "transforms", "config")


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The source distribution Beam builds from ``--setup_file ./setup.py`` (built from a copy)."""
    work = tmp_path_factory.mktemp("sdist")
    for name in SHIPPED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, work / name)
    subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", "dist"], cwd=work, check=True,
                   capture_output=True, timeout=120)
    (archive,) = (work / "dist").glob("eventwire-*.tar.gz")
    return archive


def test_sdist_carries_the_config_and_no_test_data(sdist: Path):
    with tarfile.open(sdist) as archive:
        names = [n.split("/", 1)[1] for n in archive.getnames() if "/" in n]
    assert "config/pipeline.yaml" in names
    assert "transforms/read/warc.py" in names and "pipeline/batch.py" in names
    assert not [n for n in names if n.startswith(("tests/", "corpus/", "seeds/", "output/"))]


def test_shipped_package_loads_its_config_without_the_repository(sdist: Path, tmp_path: Path):
    """What a worker has: the sdist's files, no repository, no launcher disk. Settings come from package data."""
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    (site,) = tmp_path.glob("eventwire-*")
    code = ("import transforms.settings as s; c = s.load_settings();"
            "print(s.__file__); print(c.config_dir); print(c.read.max_document_bytes)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    module_file, config_dir, max_bytes = result.stdout.split()
    assert module_file.startswith(str(site)) and config_dir.startswith(str(site))
    assert int(max_bytes) > 0


# What a checkout holds that no build reads (a clean clone has none of it but .git).
NOT_SOURCE = shutil.ignore_patterns(".git", "*.egg-info", "build", "dist", "output", "__pycache__", ".pytest_cache",
                                    ".ruff_cache", "results")


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel built from the whole repository, tests/ included, as a user or Beam's
    stager builds them (``python -m build``; offline: no isolated environment to download into).

    The ``sdist`` fixture above copies only the shipped files, so it cannot see what setuptools
    adds on its own (``tests/test*.py`` in the sdist with current setuptools, 84 here)."""
    work = tmp_path_factory.mktemp("artefacts")
    tree = work / "eventwire"
    shutil.copytree(REPO, tree, ignore=NOT_SOURCE)
    try:
        import build  # noqa: F401
    except ImportError:
        command = [[sys.executable, "setup.py", "-q", "sdist", "-d", str(work / "dist")],
                   [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), "."]]
    else:
        command = [[sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(work / "dist"), "."]]
    for step in command:
        result = subprocess.run(step, cwd=tree, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (sdist,) = (work / "dist").glob("eventwire-*.tar.gz")
    (wheel,) = (work / "dist").glob("eventwire-*.whl")
    return sdist, wheel


def test_the_built_sdist_and_wheel_hold_no_tests(artefacts: tuple[Path, Path]):
    sdist, wheel = artefacts
    with tarfile.open(sdist) as archive:
        in_sdist = [n.split("/", 1)[1] for n in archive.getnames() if "/" in n]
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = archive.namelist()
    for names in (in_sdist, in_wheel):
        assert "config/pipeline.yaml" in names and "pipeline/batch.py" in names and "transforms/read/warc.py" in names
        assert not [n for n in names if n.startswith(("tests/", "bench/", "seeds/", "corpus/", "output/", "docs/"))]
        assert not [n for n in names if n.rsplit("/", 1)[-1].startswith("test_") or n.endswith(".pyc")]


def test_duckdb_is_for_the_tests_not_for_the_workers(artefacts: tuple[Path, Path]):
    """Workers install install_requires: nothing of the job imports duckdb (the viewers read with pyarrow)."""
    _, wheel = artefacts
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [line.split(":", 1)[1].strip() for line in archive.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist:")]
        sources = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".py")]
    duckdb = [r for r in requires if r.lower().startswith("duckdb")]
    assert duckdb and all('extra == "test"' in r for r in duckdb)
    assert not [s for s in sources if "import duckdb" in s or "from duckdb" in s]
