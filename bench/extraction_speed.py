"""CPU cost of event extraction (``transforms.events.extract.extract_mentions``) per real article, measured.

    python bench/extraction_speed.py [--corpus ../shared/corpus] [--repeats 5] [--dump FILE]

Every HTML page of the corpus (fundus + trafilatura-eval, as listed by bench/throughput.py) is
cleaned once as the cleaning helper does it (``clean_document`` with the configured rules, then
``with_language``); only the extraction is timed, in process CPU time:

- warm-up: one untimed-for-the-score pass, so the simplemma dictionaries (~0.2 s per language and
  process) and lazy imports are loaded; its time is printed separately;
- cold: ``--repeats`` passes, each with freshly compiled matchers (our per-process lemma and
  lexicon caches and simplemma's result cache emptied), as a new helper process sees the articles; the median is the score;
- warm: one more pass keeping the caches of the previous one (a long-running helper's best case).

``--dump FILE`` writes every mention (``repr`` of the Mention record: all fields), one per line,
prefixed by the article's index and URL, in input order: two versions of the extractor produce the
same mentions exactly when their dumps are byte-identical (``cmp``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import simplemma

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.throughput import DEFAULT_CORPUS, _corpus_pages, _decode  # noqa: E402
from transforms.clean.document import clean_document  # noqa: E402
from transforms.clean.rules import compile_rules  # noqa: E402
from transforms.events import extract as events  # noqa: E402
from transforms.events import model as eventmodel  # noqa: E402
from transforms.events.lemmas import make_lemmatizer  # noqa: E402
from transforms.language.detect import LanguageDetector, with_language  # noqa: E402
from transforms.records import Article, Mention, RawDocument  # noqa: E402
from transforms.settings import load_settings  # noqa: E402

INGESTED_AT = dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc)  # fixed: the dump must not depend on the clock


def load_articles(corpus: Path) -> list[Article]:
    """The corpus pages, cleaned and with their language, as the helper hands them to extraction."""
    settings = load_settings()
    rules, detector = compile_rules(settings.clean), LanguageDetector(settings.language)
    articles = []
    for path, url, _language in _corpus_pages(corpus):
        doc = RawDocument(source_uri=path, kind="html", body=_decode(path), url=url)
        result = clean_document(doc, rules, settings.clean, INGESTED_AT)
        if isinstance(result, Article):
            articles.append(with_language(result, detector))
    return articles


def fresh_caches(model: eventmodel.EventModel) -> None:
    """Empty the per-process caches (ours and simplemma's results, not its dictionaries), as in a new helper."""
    eventmodel._COMPILED.clear()
    eventmodel.compile_model(model)
    lemmatize = make_lemmatizer()  # what the events use (transforms/events/lemmas.py); its dictionaries stay loaded
    getattr(lemmatize, "__self__", simplemma.lemmatizer._legacy_lemmatizer_for(False, False))._cached_lemmatize.cache_clear()


def extract_all(articles: list[Article], model: eventmodel.EventModel) -> tuple[float, list[list[Mention]]]:
    started = time.process_time()
    found = [events.extract_mentions(article, model) for article in articles]
    return time.process_time() - started, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeats", type=int, default=5, help="cold passes; the median is reported")
    parser.add_argument("--dump", type=Path, help="write every mention (repr, input order) to this file")
    args = parser.parse_args(argv)
    articles = load_articles(args.corpus)
    model = eventmodel.load_event_model(load_settings())
    chars = sum(len(a.text) for a in articles) / max(1, len(articles))
    print(f"{len(articles)} articles, {chars:,.0f} characters on average "
          f"({', '.join(f'{lang}: {sum(a.language == lang for a in articles)}' for lang in sorted({a.language for a in articles}))})")
    warmup, found = extract_all(articles, model)
    cold = []
    for _ in range(args.repeats):
        fresh_caches(model)
        seconds, again = extract_all(articles, model)
        assert again == found, "extraction is not deterministic across passes"
        cold.append(seconds)
    warm, again = extract_all(articles, model)
    assert again == found, "extraction is not deterministic across passes"
    per = 1000 / len(articles)
    print(f"warm-up pass (simplemma dictionaries, imports): {warmup * per:.2f} ms/article")
    print(f"cold caches ({args.repeats} passes): median {statistics.median(cold) * per:.2f} ms/article "
          f"(min {min(cold) * per:.2f}, max {max(cold) * per:.2f})")
    print(f"warm caches (1 pass): {warm * per:.2f} ms/article")
    print(f"mentions: {sum(len(m) for m in found)}")
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as handle:
            for index, (article, mentions) in enumerate(zip(articles, found, strict=True)):
                for mention in mentions:
                    handle.write(f"{index}\t{article.url}\t{mention!r}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
