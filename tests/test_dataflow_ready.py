"""Dataflow readiness: what --setup_file ships, and that the job's functions and config pickle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
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
    assert "transforms/warc.py" in names and "pipeline/batch.py" in names
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
