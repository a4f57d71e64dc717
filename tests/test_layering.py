"""Import contracts (docs/architecture.md): imports only go down (transforms never import pipeline; a
stage package imports only packages of a lower layer), nothing Beam-free pulls Beam in through
another module, and what the helper processes run never imports Beam (the helpers and the viewers
run the Beam-free modules without paying Beam's import)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (REPO / package).rglob("*.py") if p.name != "__init__.py")


# The stage packages of transforms/, bottom up: a package imports the ground modules (records,
# settings, ids, text, ...) and packages of lower layers only, never a sibling of its own layer.
LAYERS: list[set[str]] = [
    {"isolation", "net", "read", "language", "dedup"},
    {"feeds", "clean", "events"},
    {"output"},
]
# What the helper processes run (transforms/isolation/worker.py and the tasks it is given): no Beam.
HELPER_SIDE = (
    "transforms.isolation.worker", "transforms.isolation.pool", "transforms.isolation.template",
    "transforms.clean.document", "transforms.language.detect", "transforms.events.extract",
    "transforms.events.linking", "transforms.events.senses",
)


def _package(module: str) -> str | None:
    """The stage package of ``transforms.<package>.<module>``; None for a ground module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and (REPO / "transforms" / parts[1]).is_dir() else None


def _imported_modules(path: Path) -> set[str]:
    """Dotted names a file imports, with ``from transforms import x`` as ``transforms.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    return names


def test_every_stage_package_has_a_layer() -> None:
    packages = {p.name for p in (REPO / "transforms").iterdir() if (p / "__init__.py").exists()}
    assert packages == set().union(*LAYERS)


def test_stage_packages_import_only_lower_layers() -> None:
    layer_of = {name: n for n, names in enumerate(LAYERS) for name in names}
    wrong = []
    for path in _modules("transforms"):
        own = _package(".".join(path.relative_to(REPO).with_suffix("").parts))
        for name in _imported_modules(path):
            other = _package(name) if name.startswith("transforms.") else None
            if own is None and other is not None:
                wrong.append(f"{path.relative_to(REPO)} (ground) imports {name}")
            elif own is not None and other is not None and other != own and layer_of[other] >= layer_of[own]:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert wrong == []


def test_viewers_import_no_run_side_module() -> None:
    """pipeline/view/ reads a finished output: the schemas and the layout, never the graph, the runners
    or a stage."""
    wrong = [f"{p.relative_to(REPO)}: {n}" for p in sorted((REPO / "pipeline" / "view").glob("*.py"))
             for n in _imported_modules(p)
             if (n.startswith("pipeline.") and not n.startswith("pipeline.view") and n != "pipeline.preflight"
                 and not n.startswith("pipeline.preflight."))
             or (n.startswith("transforms.") and not n.startswith(("transforms.output.schema", "transforms.output.layout")))]
    assert wrong == []


def test_transforms_never_import_the_pipeline_package() -> None:
    upward = {p.relative_to(REPO).as_posix(): sorted(n for n in _imported_modules(p) if n == "pipeline" or n.startswith("pipeline."))
              for p in _modules("transforms")}
    assert {k: v for k, v in upward.items() if v} == {}


def _beam_users() -> set[str]:
    """Modules of transforms/ that import Beam, or (transitively) one that does."""
    imports = {".".join(p.relative_to(REPO).with_suffix("").parts): _imported_modules(p) for p in _modules("transforms")}
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
