"""What the cleaning helpers save by skipping trafilatura's categories, tags and licence, and proof
that nothing they keep changes (``transforms.clean.document.skip_unused_metadata``).

    python bench/metadata_skip.py [--corpus ../shared/corpus] [--repeats 3]

Every HTML page of the corpus (fundus + trafilatura-eval, as listed by bench/throughput.py) goes
through ``extract_html`` (trafilatura with metadata, as the helpers call it) with trafilatura's
own metadata functions and with the two replaced, alternating, ``--repeats`` passes each; the
median CPU time per page of each side is printed. Then every page's result (text, title,
authors, date, site name) is compared between the two sides: the script exits 1 if one differs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.throughput import DEFAULT_CORPUS, _corpus_pages, _decode  # noqa: E402
from transforms.clean.html import HtmlExtract, extract_html, skip_unused_metadata  # noqa: E402


def one_pass(pages: list[tuple[str, str | None]]) -> tuple[float, list[HtmlExtract]]:
    started = time.process_time()
    results = [extract_html(html, url) for html, url in pages]
    return (time.process_time() - started) / len(pages), results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeats", type=int, default=3, help="passes per side, alternating; medians shown")
    args = parser.parse_args(argv)
    from trafilatura import metadata

    pages = [(_decode(data), url) for data, url, _ in _corpus_pages(args.corpus)]
    original = (metadata.extract_catstags, metadata.extract_license)
    if not skip_unused_metadata():
        print("this trafilatura has no extract_catstags / extract_license: nothing is skipped")
        return 0
    skipped = (metadata.extract_catstags, metadata.extract_license)
    sides: dict[str, list[float]] = {"full": [], "skipped": []}
    results: dict[str, list[HtmlExtract]] = {}
    one_pass(pages[:20])  # lazy imports and caches, untimed
    for _ in range(args.repeats):
        for side, functions in (("full", original), ("skipped", skipped)):
            metadata.extract_catstags, metadata.extract_license = functions
            seconds, results[side] = one_pass(pages)
            sides[side].append(seconds)
    full, skip = (statistics.median(sides[s]) * 1000 for s in ("full", "skipped"))
    differing = [i for i, (a, b) in enumerate(zip(results["full"], results["skipped"], strict=True)) if a != b]
    print(f"{len(pages)} pages, {args.repeats} alternating passes each, median CPU per page:")
    print(f"  trafilatura with all its metadata   {full:6.2f} ms")
    print(f"  without categories, tags, licence   {skip:6.2f} ms   ({full - skip:+.2f} ms saved, {100 * (full - skip) / full:.1f}%)")
    print(f"identical results (text, title, authors, date, site name): {len(pages) - len(differing)} of {len(pages)}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
