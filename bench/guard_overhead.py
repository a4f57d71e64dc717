"""What the per-document guard (transforms/isolation/worker.py) costs: cleaning real pages in-process vs through
the helper process, and the bare round trip (pickle + pipe, both ways) per page.

    python bench/guard_overhead.py [--pages 194] [--repeat 3]

Pages: the fundus HTML of the shared corpus (../shared/corpus/fundus), else tests/fixtures/clean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transforms.clean.document import CleanTask, clean_document  # noqa: E402
from transforms.clean.rules import compile_rules  # noqa: E402
from transforms.clean.stage import guarded_clean  # noqa: E402
from transforms.isolation.worker import Echo, GuardedWorker  # noqa: E402
from transforms.read.decoding import declared_charset, decode_bytes  # noqa: E402
from transforms.records import RawDocument  # noqa: E402
from transforms.settings import load_settings  # noqa: E402


def pages(limit: int) -> list[RawDocument]:
    corpus = REPO.parent / "shared" / "corpus" / "fundus"
    files = sorted(corpus.glob("*/*.html.gz")) or sorted((REPO / "tests" / "fixtures" / "clean").glob("*.html.gz"))
    docs = []
    for path in files[:limit]:
        data = gzip.decompress(path.read_bytes())
        html, encoding = decode_bytes(data, declared_charset(data))
        docs.append(RawDocument(str(path), "html", html, encoding=encoding, input_bytes=len(data)))
    return docs


def timed(fn, docs) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for doc in docs:
        fn(doc)
    return (time.perf_counter() - started) / len(docs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=194)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = load_settings().clean
    now = dt.datetime.now(dt.timezone.utc)
    docs = pages(args.pages)
    rules = compile_rules(settings)
    size = statistics.mean(len(d.body) for d in docs)
    print(f"{len(docs)} pages, mean {size / 1024:.0f} KiB of HTML each")
    with GuardedWorker(Echo(), 20) as echo, GuardedWorker(CleanTask(settings, now), 20) as guard:
        echo.call(docs[0])
        guarded_clean(docs[0], guard)  # start both helpers before timing
        round_trip, direct, isolated, wall_overhead, parent_cpu = [], [], [], [], []
        helper_cpu_outside = 0.0
        for _ in range(args.repeat):
            round_trip.append(timed(echo.call, docs))
            helper_before = helper_cpu(guard.pid)
            inside = 0.0
            for doc in docs:  # interleaved per page, so machine noise hits both alike
                started = time.perf_counter()
                clean_document(doc, rules, settings, now)
                direct.append(time.perf_counter() - started)
                started, cpu = time.perf_counter(), time.thread_time()
                guarded_clean(doc, guard)
                parent_cpu.append(time.thread_time() - cpu)
                isolated.append(time.perf_counter() - started)
                wall_overhead.append(isolated[-1] - guard.last_compute_seconds)
                inside += guard.last_compute_cpu_seconds
            helper_cpu_outside += helper_cpu(guard.pid) - helper_before - inside
    ms, n = 1000, len(parent_cpu)
    print(f"bare round trip, whole page both ways:   {min(round_trip):.3f} ms/page (wall)")
    print(f"clean in-process:                        {statistics.mean(direct) * ms:.2f} ms/page (wall, mean)")
    print(f"clean through the guard:                 {statistics.mean(isolated) * ms:.2f} ms/page (wall, mean)")
    print(f"guard CPU cost: caller {statistics.mean(parent_cpu) * ms:.3f} + helper outside cleaning "
          f"{helper_cpu_outside / n * ms:.3f} = {(sum(parent_cpu) + helper_cpu_outside) / n * ms:.3f} ms/page")
    print(f"guard wall overhead (call - time in helper): {statistics.median(wall_overhead) * ms:.3f} ms/page median, "
          f"{statistics.mean(wall_overhead) * ms:.3f} mean (includes waiting to be scheduled on a busy machine)")


def helper_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
