"""Peak memory of a run over a big folder of hostile inputs (every class of tests/hostile_files.py,
``--copies`` times, plus the real fundus pages of the shared corpus when present).

    python bench/hostile_memory.py [--copies 20] [--workers 0] [--keep DIR]

The run is ``python -m pipeline.cli run`` under ``/usr/bin/time -v`` (its "Maximum resident set
size" is the largest single process of the tree: launcher, Beam workers or cleaning helpers);
the sum of the whole process tree's RSS is sampled from /proc every 0.2 s as well. Exit status
is the run's; the accounting (articles + rejects + duplicates == input records) is checked.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostile_files import write_config, write_hostile_folder  # noqa: E402


def tree_rss_kib(root_pid: int) -> int:
    """Total RSS of ``root_pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/status"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        pid = int(stat.parent.name)
        ppid = int(re.search(r"^PPid:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
        match = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
        rss[pid] = int(match.group(1)) if match else 0
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=20, help="copies of the hostile set (each ~30 MB on disk)")
    parser.add_argument("--workers", type=int, default=0,
                        help="0 (default): eventwire's local defaults; N: Beam's multi-process mode with N workers")
    parser.add_argument("--keep", help="build and keep the folders here instead of a temporary folder")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="eventwire-hostile-"))
    try:
        inputs, output = work / "in", work / "out"
        expected = write_hostile_folder(inputs, copies=args.copies)
        fundus = REPO.parent / "shared" / "corpus" / "fundus"
        real = sorted(fundus.glob("*/*.html.gz"))
        if real:
            (inputs / "fundus").mkdir()
            for path in real:
                shutil.copy(path, inputs / "fundus" / f"{path.parent.name}_{path.name}")
        config = write_config(work / "config", timeout=5.0)  # real pages on a busy machine can take 2 s
        size = sum(p.stat().st_size for p in inputs.rglob("*") if p.is_file())
        print(f"{len(expected)} hostile records + {len(real)} real pages, {size / 2**20:.0f} MiB on disk, in {inputs}")
        command = ["/usr/bin/time", "-v", sys.executable, "-m", "pipeline.cli", "run", str(inputs), "--output",
                   str(output), "--config", str(config)]
        if args.workers:
            command += [f"--direct_num_workers={args.workers}", "--direct_running_mode=multi_processing"]
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak_tree = [0]

        def sample() -> None:
            while proc.poll() is None:
                peak_tree[0] = max(peak_tree[0], tree_rss_kib(proc.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, stderr = proc.communicate()
        sampler.join()
        elapsed = time.monotonic() - started
        print(stdout)
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
        print(f"exit status {proc.returncode}, {elapsed:.0f} s wall")
        if peak:
            print(f"peak RSS (largest single process, /usr/bin/time -v): {int(peak.group(1)) / 1024:.0f} MiB")
        print(f"peak RSS (whole process tree, sampled):             {peak_tree[0] / 1024:.0f} MiB")
        records = re.search(r"input records\s+(\d+)", stdout)
        if records:  # records read before a gzip cut come on top of the file's own reject
            print(f"input records accounted for in the summary: {records.group(1)} "
                  f"(at least {len(expected) + len(real)} expected)")
        if proc.returncode:
            print(stderr[-3000:])
        return proc.returncode
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
