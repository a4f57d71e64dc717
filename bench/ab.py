"""A/B: ``eventwire run`` from two checkouts on the same input, alternating, medians compared.

Wall times on a shared or virtual machine drift by several percent within minutes, so one run
of each side tells little. This alternates the two sides (A, B, A, B, ...) and prints each run
and the medians of wall time and of the process tree's CPU time (user + system).

    git worktree add /tmp/eventwire-a <commit>        # the other side, e.g. the commit before a change
    python bench/ab.py /tmp/eventwire-a . INPUT [--runs 5] [-- extra eventwire run options]

INPUT is anything ``eventwire run`` reads, e.g. a folder that ``bench/throughput.py --workdir``
left (``input-1x``). Each run writes to a fresh temporary output. Both sides run with this
Python, from their own folder (``python -m pipeline.cli``).

On a machine that other work shares now and then, ``--idle`` starts each run only once the cores
have been idle for 2 s, and repeats a run during which other processes took more than 0.6 s of
CPU (the machine's busy time from /proc/stat, less the run's own): medians of clean runs only.
Every run prints that foreign CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FOREIGN_CPU_LIMIT = 0.6  # seconds of other processes' CPU during a run that --idle accepts


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (Linux /proc/stat; 0.0 elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def wait_until_idle(window: float = 2.0, share: float = 0.15, give_up: float = 600.0) -> None:
    """Return once the cores were busy less than ``share`` of one core over ``window`` seconds."""
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        before = machine_busy_seconds()
        time.sleep(window)
        if machine_busy_seconds() - before < share * window:
            return


def run_once(checkout: Path, inputs: str, extra: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the process tree, CPU seconds of other processes meanwhile) of one
    run into a fresh output."""
    output = Path(tempfile.mkdtemp(prefix="eventwire-ab-"))
    try:
        before, busy = resource.getrusage(resource.RUSAGE_CHILDREN), machine_busy_seconds()
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "pipeline.cli", "run", inputs, "--output", str(output / "out"), *extra],
                       cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, machine_busy_seconds() - busy - cpu
    finally:
        shutil.rmtree(output, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="checkout A (e.g. a git worktree of the commit before)")
    parser.add_argument("b", type=Path, help="checkout B")
    parser.add_argument("inputs", help="what eventwire run reads")
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument("--idle", action="store_true",
                        help="start each run on idle cores; repeat a run that other processes shared")
    parser.add_argument("--max-tries", type=int, default=30, help="with --idle: runs at most, both sides")
    parser.add_argument("extra", nargs="*", help="options for eventwire run (after --)")
    args = parser.parse_args(argv)
    sides = {"A": args.a.resolve(), "B": args.b.resolve()}
    results: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
    tries = 0
    while min(len(r) for r in results.values()) < args.runs and tries < max(args.max_tries, 2 * args.runs):
        for name, checkout in sides.items():
            if len(results[name]) >= args.runs:
                continue
            tries += 1
            if args.idle:
                wait_until_idle()
            wall, cpu, foreign = run_once(checkout, args.inputs, args.extra)
            shared = args.idle and foreign > FOREIGN_CPU_LIMIT
            if not shared:
                results[name].append((wall, cpu))
            print(f"run {tries} {name}: wall {wall:6.2f} s  cpu {cpu:6.2f} s  other processes {foreign:5.2f} s"
                  + ("  (shared: repeated)" if shared else ""), flush=True)
    for name, checkout in sides.items():
        if not results[name]:
            print(f"{name} {checkout}: no clean run")
            continue
        walls, cpus = [w for w, _ in results[name]], [c for _, c in results[name]]
        print(f"{name} {checkout}: median wall {statistics.median(walls):.2f} s (min {min(walls):.2f}), "
              f"median cpu {statistics.median(cpus):.2f} s (min {min(cpus):.2f}), {len(walls)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
