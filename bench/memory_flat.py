"""Memory of one ``eventwire run`` against the size of its input: many small files, one big JSON Lines.

Issue #25: the run's memory grew with the number of files and records (launcher RSS 240 / 733 /
1,247 MiB for 1k / 20k / 60k small files; ~1.9 KB per record of a 1 GB JSONL). This benchmark
builds its inputs in a temporary folder from the corpus pages and runs ``eventwire run`` on each
size, printing wall time, CPU and the peak memory of the whole process tree (PSS, sampled every
second: each shared page split among the processes that share it; and summed RSS, every 50 ms).

    python bench/memory_flat.py                          # 10k and 100k small files, 0.25 and 1 GB JSONL
    python bench/memory_flat.py --files 2000,8000 --jsonl-mb 64,256   # a quicker look

Inputs:
- small files: ``.txt`` articles of 1-3 KB, each a corpus page's extracted text cut to a few
  paragraphs plus a sentence of its own (nothing deduplicates), 1,000 per folder;
- JSON Lines: one plain ``.jsonl`` of corpus pages as HTML records (``url``, ``html``, ``source``,
  ``published_at``), each page with a paragraph of its own (``bench/throughput.py``'s copies),
  until the file has the size asked for.

The machine is shared: read CPU seconds beside the wall times, and run it when it is quiet.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from throughput import _gib, load_pages, record, run_measured  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
FILES_PER_FOLDER = 1000


def _texts(pages: list) -> list[tuple[str, str, str]]:
    """(title, paragraphs, language) of each page, from the same extraction the pipeline runs."""
    from transforms.clean.html import extract_html

    texts = []
    for page in pages:
        extracted = extract_html(page.html, page.url)
        paragraphs = [p for p in extracted.text.split("\n") if len(p) > 80][:6]
        if paragraphs:
            texts.append((extracted.title or f"Seite {page.index}", "\n\n".join(paragraphs)[:2500], page.language))
    return texts


def write_small_files(folder: Path, texts: list[tuple[str, str, str]], count: int) -> None:
    for number in range(count):
        title, body, language = texts[number % len(texts)]
        sub = folder / f"part-{number // FILES_PER_FOLDER:04d}"
        if number % FILES_PER_FOLDER == 0:
            sub.mkdir(parents=True, exist_ok=True)
        own = (f"Die Meldung Nummer {number} kam am Morgen." if language == "de"
               else f"Report number {number} came in the morning.")
        (sub / f"a{number:06d}.txt").write_text(f"{title}\n\n{body}\n\n{own}\n", encoding="utf-8")


def write_jsonl(path: Path, pages: list, megabytes: int) -> int:
    limit, size, count, copy = megabytes << 20, 0, 0, 0
    with path.open("w", encoding="utf-8") as out:
        while size < limit:
            for page in pages:
                line = json.dumps(record(page, copy), ensure_ascii=False) + "\n"
                out.write(line)
                size += len(line.encode("utf-8"))
                count += 1
                if size >= limit:
                    break
            copy += 1
    return count


def measure(name: str, inputs: Path, work: Path, extra: list[str]) -> str:
    output = work / f"out-{name}"
    shutil.rmtree(output, ignore_errors=True)
    argv = [sys.executable, "-m", "pipeline.cli", "run", str(inputs), "--output", str(output), *extra]
    timed = run_measured(argv, work / f"{name}.log")
    written = next((line.split()[2] for line in timed.stdout.splitlines() if "articles written" in line), "?")
    records = next((line.split()[2] for line in timed.stdout.splitlines() if "input records" in line), "?")
    shutil.rmtree(output, ignore_errors=True)
    return (f"| {name} | {records} | {written} | {timed.seconds:.0f} | {timed.cpu_seconds:.0f} | "
            f"{_gib(timed.peak_pss)} | {_gib(timed.peak_rss)} | {timed.load:.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="10000,100000", help="small-file counts, comma-separated ('' skips)")
    parser.add_argument("--jsonl-mb", default="256,1024", help="JSON Lines sizes in MiB, comma-separated ('' or 0 skips)")
    parser.add_argument("--pages", type=int, default=None, help="first N corpus pages only")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--workdir", type=Path, default=None, help="keep inputs and logs here")
    parser.add_argument("--pipeline-args", default="", help="extra options for eventwire run")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="eventwire-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    extra = args.pipeline_args.split()
    try:
        pages = load_pages(args.corpus, args.pages)
        rows = ["| input | input records | articles | wall s | CPU s | peak PSS | peak RSS (sum) | load |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for count in [int(c) for c in args.files.split(",") if c]:
            folder = work / f"files-{count}"
            started = time.monotonic()
            write_small_files(folder, _texts(pages), count)
            print(f"{count} small files written in {time.monotonic() - started:.0f} s", flush=True)
            rows.append(measure(f"{count} small files", folder, work, extra))
            print(rows[-1], flush=True)
            shutil.rmtree(folder)
        for megabytes in [int(m) for m in args.jsonl_mb.split(",") if m and int(m) > 0]:
            path = work / f"pages-{megabytes}mb.jsonl"
            count = write_jsonl(path, pages, megabytes)
            print(f"{path.name}: {count} records, {path.stat().st_size / (1 << 20):.0f} MiB", flush=True)
            rows.append(measure(f"{megabytes} MiB JSONL", path, work, extra))
            print(rows[-1], flush=True)
            path.unlink()
        print("\n".join(rows))
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
