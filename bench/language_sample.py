"""How many characters does langdetect need? Agreement and cost of a text prefix, measured.

    python bench/language_sample.py [--corpus ../shared/corpus] [--sizes 3000,2000,1500,1000,600]

For every HTML page of the corpus (fundus + trafilatura-eval, as in bench/throughput.py) it
extracts the text as the pipeline does (trafilatura, title + text), then detects the language
with eventwire's seeded detector on the full text and on each prefix size, and prints per size:
the CPU time per page, how many answers differ from the full text, and how many differ from the
language the corpus manifest gives the page. ``language.sample_chars`` in config/pipeline.yaml
is chosen from this table.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.throughput import DEFAULT_CORPUS, _corpus_pages, _decode  # noqa: E402
from transforms.clean.html import extract_html  # noqa: E402
from transforms.language.detect import LanguageDetector  # noqa: E402
from transforms.settings import load_settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", default="3000,2000,1500,1000,600", help="comma-separated prefix sizes")
    args = parser.parse_args(argv)
    texts, labels = [], []
    for path, url, language in _corpus_pages(args.corpus):
        extract = extract_html(_decode(path), url)
        texts.append(f"{extract.title or ''}\n{extract.text}".strip())
        labels.append(language)
    settings = load_settings().language
    print(f"{len(texts)} pages; configured sample_chars = {settings.sample_chars}")
    print(f"{'chars':>10} {'ms/page':>8} {'!= full':>8} {'!= manifest':>12}")
    full: list[str] = []
    for size in [10**9] + [int(s) for s in args.sizes.split(",")]:
        detector = LanguageDetector(dataclasses.replace(settings, sample_chars=size))
        started = time.process_time()
        answers = [detector.detect(text)[0] for text in texts]
        per_page = (time.process_time() - started) / len(texts) * 1000
        full = full or answers
        differ = sum(a != b for a, b in zip(answers, full, strict=True))
        wrong = sum(a != b for a, b in zip(answers, labels, strict=True))
        print(f"{'full' if size == 10**9 else size:>10} {per_page:8.2f} {differ:8d} {wrong:12d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
