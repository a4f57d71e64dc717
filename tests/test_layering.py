"""Import contracts: imports only go down (transforms never import pipeline), and every module that
does not import Beam itself never pulls it in through another module (the cleaning helpers and the
viewers run the Beam-free ones without paying Beam's import)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (REPO / package).rglob("*.py") if p.name != "__init__.py")


def test_transforms_never_import_the_pipeline_package() -> None:
    upward = {p.relative_to(REPO).as_posix(): sorted(n for n in _imports(p) if n == "pipeline" or n.startswith("pipeline."))
              for p in _modules("transforms")}
    assert {k: v for k, v in upward.items() if v} == {}


def _beam_users() -> set[str]:
    """Modules of transforms/ that import Beam, or (transitively) one that does."""
    imports = {".".join(p.relative_to(REPO).with_suffix("").parts): _imports(p) for p in _modules("transforms")}
    users = {name for name, names in imports.items() if any(n.startswith("apache_beam") for n in names)}
    while True:
        more = {name for name, names in imports.items() if name not in users and names & users}
        if not more:
            return users
        users |= more


def test_beam_free_modules_stay_beam_free() -> None:
    users = _beam_users()
    names = sorted(".".join(p.relative_to(REPO).with_suffix("").parts) for p in _modules("transforms"))
    names = [n for n in names if n not in users]
    # what the cleaning helpers run: cleaning, language, events; never Beam
    for module in ("transforms.events.extract", "transforms.events.linking", "transforms.events.senses", "transforms.isolation.worker",
                   "transforms.clean.document", "transforms.language.detect"):
        assert module in names, f"{module} imports Beam"
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'apache_beam' in sys.modules:\n"
        "        print(name); sys.exit(1)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{result.stdout.strip()} pulls in apache_beam\n{result.stderr[-2000:]}"
