"""Throughput and memory of ``eventwire run`` against the floor of its stack, measured.

One command, from the repository root (the corpus is read from ``../shared/corpus``):

    python bench/throughput.py

Input: the real HTML pages of the corpus (fundus + trafilatura-eval), copied N times. Each copy
gets a distinct paragraph inside the article body (checked: it survives extraction, so the
content hashes differ), its own URL (``?copy=K``) and its own source name (so the learned
boilerplate pass, which counts paragraphs per source, does not take the copies' shared text
for boilerplate), and a publication date spread over 60 days. The pages are written as
gzipped JSON Lines shards of ``{"url", "html", "published_at", "source"}`` -- the shape of
a crawl export, the common batch input -- 100 records per shard.

First a warm-up run on 20 pages pays what a run pays once per machine (the lemma cache), so
that every measured run is a later run. Then, for each scale (1x, 2x and 4x by default) it times,
on the same documents:
  1. a single-process loop of only trafilatura (with metadata) + seeded langdetect on the
     full text per page: the floor of the stack on one core;
  2. ``eventwire run`` with its default local options (a subprocess, as a user runs it);
and prints both, R = loop / pipeline, articles/s and the peak RSS of each process tree; then
how time and memory grow from the first scale to the last, and whether time grows linearly
(a fixed start-up cost plus a constant cost per page: the middle scale's time within 10% of the
straight line through the first and the last).
Then the incremental case: 50 new articles into an output that already holds the 4x run
(~2,000 articles), against the same 50 into an empty output.

Memory is the peak of the summed RSS of the whole process tree (the helper processes, and
whatever worker processes a runner starts), sampled from /proc every 50 ms; a page that several
processes share (the cleaning helpers are forked from one template) counts in each. So the peak
PSS is shown too (shared pages split among their processes: what the machine holds), sampled
every second because reading it walks the page tables (~10 ms of CPU for the tree: the sampler
shares the cores with the pipeline it measures).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gzip
import itertools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
SHARD_RECORDS = 100
WARMUP_PAGES_PER_LANGUAGE = 10  # both languages' lemma dictionaries get cached
DATE_SPREAD_DAYS = 60
FIRST_DATE = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
_SNIPPET = re.compile(r"[A-Za-zÄÖÜäöüß ,]{30,}")
# --one-site: in a crawl of one outlet a paragraph recurs on most pages (a series note, a promo
# line no rule knows); the learned-boilerplate pass removes it and those articles are analysed again
RECURRING = {
    "de": "Dieser Beitrag erscheint in unserer Reihe über internationale Politik und die Diplomatie der Gegenwart.",
    "en": "This article is part of our series on international politics and the diplomacy of our time.",
}
MARKER = {
    "de": "Anmerkung zu Kopie {copy} von Seite {page}: dieser Absatz macht die Kopie zu einem eigenen Artikel.",
    "en": "Note on copy {copy} of page {page}: this paragraph makes the copy an article of its own.",
}

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@dataclasses.dataclass(frozen=True)
class Page:
    index: int
    path: str
    url: str
    language: str
    html: str
    insert_at: int  # where the distinct paragraph goes
    inline: bool  # True: inside an existing text node (no <p> found that trafilatura keeps)


# --- the documents -----------------------------------------------------------------------------


def _corpus_pages(corpus: Path) -> Iterator[tuple[str, str, str]]:
    """(path, url, language) of every HTML page of fundus and trafilatura-eval."""
    with open(corpus / "fundus" / "MANIFEST.tsv", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        for line in handle:
            row = dict(zip(header, line.rstrip("\n").split("\t"), strict=True))
            yield str(corpus / "fundus" / row["file"]), row["url"], row["language"]
    evaldata = json.loads((corpus / "trafilatura-eval" / "evaldata.subset.json").read_text(encoding="utf-8"))
    for url, item in sorted(evaldata.items()):
        yield str(corpus / "trafilatura-eval" / item["file"]), url, item["language"]


def _decode(path: str) -> str:
    from transforms.read.decoding import declared_charset, decode_bytes

    data = gzip.decompress(Path(path).read_bytes())
    return decode_bytes(data, declared_charset(data))[0]


def _marker(page_index: int, copy: int, language: str) -> str:
    return MARKER.get(language, MARKER["en"]).format(copy=copy, page=page_index)


def _insert(page: Page, copy: int, one_site: bool = False) -> str:
    marker = _marker(page.index, copy, page.language)
    piece = f" {marker}" if page.inline else f"<p>{marker}</p>"
    if one_site and not page.inline:  # a paragraph of its own that every page of the site carries
        piece += f"<p>{RECURRING.get(page.language, RECURRING['en'])}</p>"
    return page.html[: page.insert_at] + piece + page.html[page.insert_at :]


def _place_marker(index: int, html: str, url: str, language: str) -> tuple[int, bool] | None:
    """Where a distinct paragraph lands inside the extracted body: after a kept paragraph's </p>."""
    from transforms.clean.html import extract_html

    text = extract_html(html, url).text
    candidates = []
    for paragraph in sorted(text.split("\n"), key=len, reverse=True)[:8]:
        for match in _SNIPPET.finditer(paragraph):
            snippet = match.group(0).strip()[:40]
            at = html.find(snippet)
            if at >= 0:
                candidates.append(at + len(snippet))
                break
    probe = _marker(index, 0, language)
    for end in candidates:
        close = html.find("</p>", end)
        for at, inline in ((close + 4, False), (end, True)):
            if at < 4 and not inline:
                continue
            trial = Page(index, "", url, language, html, at, inline)
            if probe in extract_html(_insert(trial, 0), url).text:
                return at, inline
    return None


def load_pages(corpus: Path, limit: int | None) -> list[Page]:
    pages, skipped = [], 0
    for path, url, language in _corpus_pages(corpus):
        if limit is not None and len(pages) >= limit:
            break
        html = _decode(path)
        placed = _place_marker(len(pages), html, url, language)
        if placed is None:
            skipped += 1  # trafilatura keeps no text of this page: it could not be told apart from its copies
            continue
        pages.append(Page(len(pages), path, url, language, html, placed[0], placed[1]))
    print(f"pages: {len(pages)} real HTML pages ({skipped} skipped: no body text to mark)", flush=True)
    return pages


def _copy_url(url: str, copy: int) -> str:
    base, _, _ = url.partition("#")
    return f"{base}{'&' if '?' in base else '?'}copy={copy}"


def record(page: Page, copy: int, one_site: bool = False) -> dict[str, str]:
    host = re.sub(r"^https?://(www\.)?", "", page.url).split("/")[0]
    published = FIRST_DATE + dt.timedelta(days=(page.index * 7 + copy * 3) % DATE_SPREAD_DAYS)
    return {"url": _copy_url(page.url, copy), "html": _insert(page, copy, one_site),
            "published_at": published.isoformat(),
            "source": f"bench site (copy {copy})" if one_site else f"{host} (bench copy {copy})"}


def write_input(folder: Path, pages: list[Page], copies: range, one_site: bool = False) -> int:
    """The pages x copies as gzipped JSON Lines shards; returns the number of records. ``one_site``:
    each copy is one site whose pages all carry one recurring paragraph (learned boilerplate)."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [(page, copy) for copy in copies for page in pages]
    for shard, first in enumerate(range(0, len(records), SHARD_RECORDS)):
        with gzip.open(folder / f"pages-{shard:04d}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as handle:
            for page, copy in records[first : first + SHARD_RECORDS]:
                handle.write(json.dumps(record(page, copy, one_site), ensure_ascii=False) + "\n")
    count = len(records)
    return count


# --- measuring ---------------------------------------------------------------------------------


def _children(pid: int) -> list[int] | None:
    """The children of ``pid`` from /proc/PID/task/*/children; None where the kernel does not offer it."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(child) for child in handle.read().split()]
    except FileNotFoundError:  # it ended meanwhile, or the kernel has no children files
        return None if os.path.exists(f"/proc/{pid}") else found
    except (OSError, ValueError):
        return found
    return found


def _tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants: from the children files (a few reads per sample, so the
    sampler takes little of the cores it measures), else from a scan of every /proc entry."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        children = _children(pid)
        if children is None:
            return _tree_pids_by_scan(root)
        pids.append(pid)
        todo += children
    return pids


def _tree_pids_by_scan(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += children.get(pid, [])
    return pids


def _tree_rss(pids: list[int]) -> int:
    """Summed RSS (bytes) of the processes: a page that several share counts in each."""
    total, page = 0, os.sysconf("SC_PAGE_SIZE")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
    return total


def _tree_pss(pids: list[int]) -> int:
    """Summed PSS (bytes): a shared page counts once, split among its processes (what the machine holds)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:")) * 1024
        except (OSError, ValueError, IndexError, StopIteration):
            continue
    return total


@dataclasses.dataclass
class Timed:
    seconds: float
    cpu_seconds: float  # user + system of the whole tree: robust when other work shares the machine
    peak_rss: int
    peak_pss: int  # sampled every second only: reading it walks every page table of the tree
    stdout: str
    load: float  # 1-minute load average when it started


def run_measured(argv: list[str], log_path: Path) -> Timed:
    """Run a command from the repo root; wall time and the peak RSS of its process tree."""
    env = {**os.environ, "EVENTWIRE_LOG_LEVEL": os.environ.get("EVENTWIRE_LOG_LEVEL", "WARNING")}
    peak = peak_pss = 0
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log_path, "w", encoding="utf-8") as log:
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        out: list[str] = []
        reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        for sample in itertools.count():
            if proc.poll() is not None:
                break
            pids = _tree_pids(proc.pid)
            peak = max(peak, _tree_rss(pids))
            if sample % 20 == 0:
                peak_pss = max(peak_pss, _tree_pss(pids))
            time.sleep(0.05)
        seconds = time.monotonic() - start
        reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed with {proc.returncode}; see {log_path}")
    return Timed(seconds, cpu, peak, peak_pss, "".join(out), load)


def floor_loop(folder: Path) -> None:
    """The floor: one process, per page trafilatura (with metadata) + seeded langdetect on the full text."""
    from langdetect import DetectorFactory, detect_langs

    from transforms.clean.html import extract_html

    DetectorFactory.seed = 0
    detect_langs("warm up: the language profiles load on the first call")
    pages, extract_s, detect_s = 0, 0.0, 0.0
    start = time.monotonic()
    for shard in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as handle:
            for line in handle:
                item = json.loads(line)
                t0 = time.perf_counter()
                extracted = extract_html(item["html"], item["url"])
                t1 = time.perf_counter()
                if extracted.text.strip():
                    detect_langs(extracted.text)
                detect_s += time.perf_counter() - t1
                extract_s += t1 - t0
                pages += 1
    print(json.dumps({"pages": pages, "seconds": time.monotonic() - start,
                      "extract_ms": 1000 * extract_s / max(pages, 1), "detect_ms": 1000 * detect_s / max(pages, 1)}))


def median_run(runs: list[Timed]) -> Timed:
    """The run of median wall time (the lower of the two middle ones for an even count), whole:
    its CPU time and peak RSS come from the same run."""
    return sorted(runs, key=lambda t: t.seconds)[(len(runs) - 1) // 2]


def _articles_written(stdout: str) -> int:
    match = re.search(r"articles written\s+(\d+)", stdout)
    return int(match.group(1)) if match else -1


def _gib(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


def run_pipeline(inputs: Path, output: Path, logs: Path, name: str, extra: list[str]) -> tuple[Timed, int]:
    timed = run_measured([sys.executable, "-m", "pipeline.cli", "run", str(inputs), "--output", str(output), *extra],
                         logs / f"{name}.log")
    return timed, _articles_written(timed.stdout)


def linearity(points: list[tuple[int, float]]) -> str:
    """Whether time grows linearly (a fixed start-up cost plus a constant cost per page): how far
    each middle scale's time lies off the straight line through the first and the last scale, and
    the cost of each added page between consecutive scales (steady for linear growth, rising from
    step to step for faster growth; noisier, since each step is a difference of two runs)."""
    (n_first, t_first), (n_last, t_last) = points[0], points[-1]
    slope = (t_last - t_first) / (n_last - n_first)
    off = [(t - (t_first + slope * (n - n_first))) / t for n, t in points[1:-1]]
    steps = [1000 * (t2 - t1) / (n2 - n1) for (n1, t1), (n2, t2) in itertools.pairwise(points)]
    worst = max(abs(o) for o in off)
    return (f"linearity: off the line through the first and last scale by {', '.join(f'{o:+.1%}' for o in off)} "
            f"(linear within 10%: {'yes' if worst <= 0.10 else 'no'}); ms per added page between consecutive "
            f"scales {', '.join(f'{m:.1f}' for m in steps)}")


def cost_split(loop: list[tuple[int, float]], pipeline: list[tuple[int, float]]) -> str:
    """Each measurement as a fixed cost plus a cost per page (the line through the first and the
    last scale), and R for the pages past the first scale: what the pipeline adds per page against
    what it pays once per run."""
    def line(points: list[tuple[int, float]]) -> tuple[float, float]:
        (n1, t1), (n2, t2) = points[0], points[-1]
        per_page = (t2 - t1) / (n2 - n1)
        return t1 - n1 * per_page, per_page

    (loop_fixed, loop_page), (run_fixed, run_page) = line(loop), line(pipeline)
    return (f"cost split (line through the first and last scale): pipeline {run_fixed:.1f} s + "
            f"{1000 * run_page:.1f} ms per page, loop {loop_fixed:.1f} s + {1000 * loop_page:.1f} ms per page; "
            f"R for each page past the first scale {loop_page / run_page:.2f}")


# --- main --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the shared corpus folder")
    parser.add_argument("--copies", type=int, default=2, help="copies of every page at 1x (default 2: ~500 pages)")
    parser.add_argument("--scales", default="1,2,4",
                        help="comma-separated multiples of the 1x input (default 1,2,4; three or more give the linearity line)")
    parser.add_argument("--pages", type=int, default=None, help="use only the first N corpus pages (smoke runs)")
    parser.add_argument("--add", type=int, default=50, help="articles added in the incremental case (0: skip it)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep inputs, outputs and logs here")
    parser.add_argument("--pipeline-args", default="", help="extra arguments for eventwire run (e.g. Beam options)")
    parser.add_argument("--one-site", action="store_true",
                        help="each copy is one site whose pages all carry one recurring paragraph: most articles "
                             "lose it as learned boilerplate and are analysed again, as in a crawl of one outlet")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure each scale N times, loop and pipeline alternating, and report the median run "
                             "of each (this machine's speed drifts: a single 1x run varied R by +-0.1)")
    parser.add_argument("--floor-loop", type=Path, default=None, help=argparse.SUPPRESS)  # internal: the loop
    return parser


def packages_beam_imports() -> list[str]:
    """Packages that are no dependency of eventwire's but that Beam imports whenever they are
    installed (pandas for its DataFrame type hints, boto3 for its S3 filesystem): a run in an
    environment that has them (a development venv with the test extra, another project's tools)
    starts slower than a run as the README installs it."""
    import importlib.util

    return [name for name in ("pandas", "boto3") if importlib.util.find_spec(name) is not None]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.floor_loop:
        floor_loop(args.floor_loop)
        return 0
    if not (args.corpus / "fundus").is_dir():
        print(f"corpus not found at {args.corpus} (use --corpus)", file=sys.stderr)
        return 2
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    extra = args.pipeline_args.split()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="eventwire-bench-"))
    if work.exists() and args.workdir:
        shutil.rmtree(work)
    logs = work / "logs"
    logs.mkdir(parents=True)
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    print(f"machine: {cores} cores ({usable} usable), Python {sys.version.split()[0]}; work folder {work}", flush=True)
    if beside := packages_beam_imports():
        print(f"note: {', '.join(beside)} installed beside eventwire: Beam imports them at start (~0.1-0.3 s each "
              "per run); `pip install .` in a fresh venv, as the README installs, has none of them", flush=True)
    pages = load_pages(args.corpus, args.pages)
    # What a run pays once per machine (simplemma's dictionaries built into the lemma tries,
    # transforms/events/lemmas.py) is paid here, so that every measured run is a later run, as most are
    warmup_pages = []
    for language in ("de", "en"):
        warmup_pages += [page for page in pages if page.language == language][:WARMUP_PAGES_PER_LANGUAGE]
    write_input(work / "input-warmup", warmup_pages, range(1))
    warm, _ = run_pipeline(work / "input-warmup", work / "output-warmup", logs, "warmup", extra)
    print(f"warm-up run ({len(warmup_pages)} pages, pays one-time per-machine costs such as the "
          f"lemma cache): {warm.seconds:.1f} s", flush=True)

    rows = []
    for scale in scales:
        copies = range(scale * args.copies)
        inputs = work / f"input-{scale}x"
        count = write_input(inputs, pages, copies, args.one_site)
        loops, pipes = [], []
        for attempt in range(max(1, args.repeat)):
            suffix = f"-{attempt + 1}" if attempt else ""  # the first run's output serves the incremental case
            loops.append(run_measured([sys.executable, str(Path(__file__).resolve()), "--floor-loop", str(inputs)],
                                      logs / f"loop-{scale}x{suffix}.log"))
            pipe, written = run_pipeline(inputs, work / f"output-{scale}x{suffix}", logs, f"run-{scale}x{suffix}", extra)
            pipes.append(pipe)
            if attempt:
                shutil.rmtree(work / f"output-{scale}x{suffix}", ignore_errors=True)
        if len(pipes) > 1:
            ratios = sorted(lo.seconds / pi.seconds for lo, pi in zip(loops, pipes, strict=True))
            print(f"{scale}x, {len(pipes)} runs each: loop {', '.join(f'{t.seconds:.1f}' for t in loops)} s; "
                  f"pipeline {', '.join(f'{t.seconds:.1f}' for t in pipes)} s; R of each pair "
                  f"{', '.join(f'{r:.2f}' for r in ratios)}", flush=True)
        loop, pipe = median_run(loops), median_run(pipes)
        detail = json.loads(loop.stdout.strip().splitlines()[-1])
        rows.append((scale, count, loop, detail, pipe, written))
        print(f"{scale}x: {count} pages; loop {loop.seconds:.1f} s (cpu {loop.cpu_seconds:.1f} s; "
              f"{detail['extract_ms']:.1f} ms trafilatura + {detail['detect_ms']:.1f} ms langdetect per page), "
              f"peak RSS {_gib(loop.peak_rss)}; pipeline {pipe.seconds:.1f} s (cpu {pipe.cpu_seconds:.1f} s), "
              f"{written} articles, peak RSS {_gib(pipe.peak_rss)} (PSS {_gib(pipe.peak_pss)}); "
              f"R = {loop.seconds / pipe.seconds:.2f} "
              f"(load average at start: loop {loop.load:.1f}, pipeline {pipe.load:.1f})", flush=True)

    print()
    print(f"== eventwire throughput: {cores} cores; pipeline args: {' '.join(extra) or 'defaults'}"
          f"{'; input: one site per copy, with a recurring paragraph' if args.one_site else ''} ==")
    print(f"{'scale':>5} {'pages':>6} {'loop s':>7} {'loop cpu':>8} {'loop RSS':>9} {'run s':>7} {'run cpu':>8} "
          f"{'articles':>8} {'art/s':>6} {'run RSS':>9} {'run PSS':>9} {'R':>5} {'load':>5}")
    for scale, count, loop, _, pipe, written in rows:
        print(f"{scale:>4}x {count:>6} {loop.seconds:>7.1f} {loop.cpu_seconds:>8.1f} {_gib(loop.peak_rss):>9} "
              f"{pipe.seconds:>7.1f} {pipe.cpu_seconds:>8.1f} {written:>8} {written / pipe.seconds:>6.1f} "
              f"{_gib(pipe.peak_rss):>9} {_gib(pipe.peak_pss):>9} {loop.seconds / pipe.seconds:>5.2f} "
              f"{max(loop.load, pipe.load):>5.1f}")
    if args.repeat > 1:
        print(f"each row: the median of {args.repeat} runs of the loop and of the pipeline (wall time), each whole")
    print("R = loop wall time / pipeline wall time. cpu = user+system seconds of the process tree; a load average")
    print(f"above {cores} at start means other work shared the cores and wall times (and R) are pessimistic.")
    if len(rows) >= 2:
        (s1, n1, _, _, p1, _), (sk, nk, _, _, pk, _) = rows[0], rows[-1]
        print(f"growth {s1}x -> {sk}x: input x{nk / n1:.2f}, time x{pk.seconds / p1.seconds:.2f} "
              f"({(pk.seconds / p1.seconds) / (nk / n1):.2f} of linear; cpu x{pk.cpu_seconds / p1.cpu_seconds:.2f}), "
              f"peak RSS x{pk.peak_rss / p1.peak_rss:.2f} ({_gib(pk.peak_rss)} at {sk}x; "
              f"PSS x{pk.peak_pss / p1.peak_pss:.2f}, {_gib(pk.peak_pss)})")
        print(cost_split([(count, loop.seconds) for _, count, loop, _, _, _ in rows],
                         [(count, pipe.seconds) for _, count, _, _, pipe, _ in rows]))
    if len(rows) >= 3:
        print(linearity([(count, pipe.seconds) for _, count, _, _, pipe, _ in rows]))

    if args.add and rows:
        scale = rows[-1][0]
        base_output = work / f"output-{scale}x"
        new = work / "input-add"
        add_pages = pages[: args.add]
        write_input(new, add_pages, range(scale * args.copies, scale * args.copies + 1), args.one_site)
        empty, empty_written = run_pipeline(new, work / "output-add-empty", logs, "add-empty", extra)
        into, into_written = run_pipeline(new, base_output, logs, "add-existing", extra)
        print(f"incremental: {len(add_pages)} new articles into an empty output {empty.seconds:.1f} s "
              f"(cpu {empty.cpu_seconds:.1f} s, {empty_written} written); into the {scale}x output "
              f"({rows[-1][5]} articles) {into.seconds:.1f} s (cpu {into.cpu_seconds:.1f} s, {into_written} written); "
              f"ratio {into.seconds / empty.seconds:.2f} (cpu {into.cpu_seconds / empty.cpu_seconds:.2f})")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
