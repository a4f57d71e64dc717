"""A/B: ``eventwire run`` from two checkouts on the same input, alternating, medians compared.

Wall times on a shared or virtual machine drift by several percent within minutes, so one run
of each side tells little. This alternates the two sides (A, B, A, B, ...) and prints each run
and the medians of wall time and of the process tree's CPU time (user + system).

    git worktree add /tmp/eventwire-a <commit>        # the other side, e.g. the commit before a change
    python bench/ab.py /tmp/eventwire-a . INPUT [--runs 5] [-- extra eventwire run options]

INPUT is anything ``eventwire run`` reads, e.g. a folder that ``bench/throughput.py --workdir``
left (``input-1x``). Each run writes to a fresh temporary output. Both sides run with this
Python, from their own folder (``python -m pipeline.cli``).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(checkout: Path, inputs: str, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of one run into a fresh output."""
    output = Path(tempfile.mkdtemp(prefix="eventwire-ab-"))
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "pipeline.cli", "run", inputs, "--output", str(output / "out"), *extra],
                       cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    finally:
        shutil.rmtree(output, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="checkout A (e.g. a git worktree of the commit before)")
    parser.add_argument("b", type=Path, help="checkout B")
    parser.add_argument("inputs", help="what eventwire run reads")
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument("extra", nargs="*", help="options for eventwire run (after --)")
    args = parser.parse_args(argv)
    sides = {"A": args.a.resolve(), "B": args.b.resolve()}
    results: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
    for index in range(args.runs):
        for name, checkout in sides.items():
            wall, cpu = run_once(checkout, args.inputs, args.extra)
            results[name].append((wall, cpu))
            print(f"run {index + 1} {name}: wall {wall:6.2f} s  cpu {cpu:6.2f} s", flush=True)
    for name, checkout in sides.items():
        walls, cpus = [w for w, _ in results[name]], [c for _, c in results[name]]
        print(f"{name} {checkout}: median wall {statistics.median(walls):.2f} s (min {min(walls):.2f}), "
              f"median cpu {statistics.median(cpus):.2f} s (min {min(cpus):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
