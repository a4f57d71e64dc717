"""Score the Clean stage on trafilatura's evaluation pages: must-keep and must-remove snippets.

Usage: python bench/eval_clean.py [--corpus ../shared/corpus] [--verbose]
Prints, per language, the share of `with` snippets kept and `without` snippets removed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.clean.document import clean_document
from transforms.clean.rules import compile_rules
from transforms.read.decoding import declared_charset, decode_bytes
from transforms.records import RawDocument, Reject
from transforms.settings import load_settings


def squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def score_page(url: str, entry: dict, root: Path, settings, rules) -> tuple[int, int, int, int, list[str]]:
    data = gzip.decompress((root / entry["file"]).read_bytes())
    html, _ = decode_bytes(data, declared_charset(data))
    doc = RawDocument(source_uri=entry["file"], kind="html", body=html, url=url)
    result = clean_document(doc, rules, settings.clean, dt.datetime.now(dt.timezone.utc))
    text = "" if isinstance(result, Reject) else squash(f"{result.title or ''} {result.text}")
    misses = []
    kept = sum(squash(s) in text for s in entry["with"])
    misses += [f"lost: {s}" for s in entry["with"] if squash(s) not in text]
    removed = sum(squash(s) not in text for s in entry["without"])
    misses += [f"kept: {s}" for s in entry["without"] if squash(s) in text]
    return kept, len(entry["with"]), removed, len(entry["without"]), misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default="../shared/corpus")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    root = Path(args.corpus) / "trafilatura-eval"
    entries = json.loads((root / "evaldata.subset.json").read_text())
    settings = load_settings()
    rules = compile_rules(settings.clean)
    totals: dict[str, list[int]] = {}
    started = time.perf_counter()
    for url, entry in entries.items():
        kept, with_n, removed, without_n, misses = score_page(url, entry, root, settings, rules)
        bucket = totals.setdefault(entry["language"], [0, 0, 0, 0, 0])
        for i, value in enumerate((kept, with_n, removed, without_n, 1)):
            bucket[i] += value
        if args.verbose and misses:
            print(entry["file"], *misses, sep="\n  ")
    print(f"{'lang':<5}{'pages':>6}{'kept (with)':>14}{'removed (without)':>20}")
    for lang, (kept, with_n, removed, without_n, pages) in sorted(totals.items()):
        print(f"{lang:<5}{pages:>6}{kept / with_n:>14.1%}{removed / without_n:>20.1%}")
    print(f"{len(entries)} pages in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
