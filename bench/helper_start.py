"""What an analysis helper costs before its real work: start, imports, models, first article.

Every run starts one analysis helper process per core (transforms/isolation/worker.py, running
``AnalyzeTask``: language, then events); it loads the heavy models (language profiles, lemma
dictionaries, the event model), so whatever it spends before its steady state is a fixed cost of
every run. This cleans two real pages in this process, starts a helper as the pipeline does,
hands it the first article, and prints the wall and CPU time until it comes back, then the same
for the second (the steady state). The two pages are German and English, so both languages'
models load. It does so with an empty lemma cache
(as on a fresh machine) and again with the cache the first round wrote (every later run).

Then a pool of two helpers, as a local run on two cores has, with each helper setting itself up
and with both forked from one template (transforms/isolation/template.py): the wall time until both have
answered a first page, the helpers' CPU for all the pages (set-up included), and their memory
after the pages, as summed RSS (what bench/throughput.py sums) and as PSS (pages shared between
processes counted once: what the machine really holds).

    python bench/helper_start.py [--corpus ../shared/corpus] [--rounds 3] [--pool-pages 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from transforms.clean.document import clean_document  # noqa: E402
from transforms.clean.rules import compile_rules  # noqa: E402
from transforms.events.extract import AnalyzeTask  # noqa: E402
from transforms.events.model import load_event_model  # noqa: E402
from transforms.isolation.pool import GuardedPool  # noqa: E402
from transforms.isolation.worker import GuardedWorker  # noqa: E402
from transforms.read.decoding import declared_charset, decode_bytes  # noqa: E402
from transforms.records import Article, RawDocument  # noqa: E402
from transforms.settings import load_settings  # noqa: E402


def _manifest(corpus: Path) -> list[dict[str, str]]:
    with open(corpus / "fundus" / "MANIFEST.tsv", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"), strict=True)) for line in handle]


def _page(corpus: Path, row: dict[str, str]) -> RawDocument:
    data = gzip.decompress((corpus / "fundus" / row["file"]).read_bytes())
    return RawDocument(source_uri=row["file"], kind="html", url=row["url"],
                       body=decode_bytes(data, declared_charset(data))[0])


def _pages(corpus: Path) -> list[RawDocument]:
    """The first German and the first English page of the fundus corpus (both dictionaries load)."""
    rows = _manifest(corpus)
    return [_page(corpus, next(r for r in rows if r["language"] == language)) for language in ("de", "en")]


def _articles(docs: list[RawDocument]) -> list[Article]:
    """The pages cleaned here, as the cleaning helpers hand them on (the analysis helper's input)."""
    settings = load_settings().clean
    rules, now = compile_rules(settings), dt.datetime.now(dt.timezone.utc)
    articles = [clean_document(doc, rules, settings, now) for doc in docs]
    return [a for a in articles if isinstance(a, Article)]


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def one_round(task: AnalyzeTask, pages: list[Article]) -> tuple[float, float, float]:
    """(wall to the first page's result, helper CPU by then, wall of the second page)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    worker = GuardedWorker(task, timeout_seconds=120)
    try:
        first = worker.call(pages[0])
        first_wall = time.perf_counter() - started
        second_started = time.perf_counter()
        second = worker.call(pages[1])
        second_wall = time.perf_counter() - second_started
    finally:
        worker.close()  # reaped: its CPU now counts in os.times()
    if first.status != "ok" or second.status != "ok":
        raise SystemExit(f"helper failed: {first} {second}")
    return first_wall, _children_cpu() - cpu_before, second_wall


def _memory_mib(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of one process in MiB: PSS splits each shared page among the processes sharing it."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
        for line in handle:
            key, *rest = line.split()
            if key in ("Rss:", "Pss:"):
                values[key] = int(rest[0]) / 1024
    return values["Rss:"], values["Pss:"]


def pool_round(task: AnalyzeTask, pages: list[Article], fork: bool) -> tuple[float, float, float, float]:
    """A pool of two helpers, as a local run has: (wall until both answered their first page, helper
    CPU for all ``pages`` set-up included, summed RSS and summed PSS of the helpers and the template
    after them)."""
    cpu_before, started = _children_cpu(), time.perf_counter()
    pool = GuardedPool(task, size=2, timeout_seconds=120, fork=fork)
    try:
        for token, page in enumerate(pages[:2]):
            pool.submit(page, token)
        first = pool.drain()
        ready = time.perf_counter() - started
        for token, page in enumerate(pages[2:], start=2):
            if not pool.has_capacity():
                first.append(pool.next_outcome())
            pool.submit(page, token)
        first += pool.drain()
        pids = [w.pid for w in pool._workers] + ([pool._template._proc.pid] if pool._template else [])
        memory = [_memory_mib(pid) for pid in pids if pid is not None]
    finally:
        pool.close()  # every helper reaped (by us or by the template we reap): its CPU counts in os.times()
    if any(outcome.status != "ok" for _, outcome in first):
        raise SystemExit(f"helper failed: {[o for _, o in first if o.status != 'ok'][:1]}")
    return ready, _children_cpu() - cpu_before, sum(m[0] for m in memory), sum(m[1] for m in memory)


def dictionary_load(cache: Path) -> None:
    """The German dictionary alone: simplemma decoding it, against loading the cached copy."""
    from simplemma.strategies.dictionaries.dictionary_factory import _load_dictionary_from_disk

    from transforms.events import lemmas

    started = time.process_time()
    _load_dictionary_from_disk("de")
    decoded = time.process_time() - started
    lemmas.make_lemmatizer.cache_clear()
    lemmatize = lemmas.make_lemmatizer(cache)
    started = time.process_time()
    lemmatize("Gesprächen", "de")  # loads the dictionary from the cache the helpers wrote
    cached = time.process_time() - started
    print(f"German lemma dictionary, CPU s: decoded by simplemma {decoded:.2f}, from the cache {cached:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--rounds", type=int, default=3, help="helpers started per cache state (median shown)")
    parser.add_argument("--pool-pages", type=int, default=40, help="pages through the pool of two (memory after them)")
    args = parser.parse_args()
    settings = load_settings()
    task = AnalyzeTask(settings.language, load_event_model(settings))
    pages = _articles(_pages(args.corpus))
    print(f"analysis helper start ({os.cpu_count()} cores), median of {args.rounds}:")
    print(f"{'lemma cache':<12} {'first page s':>13} {'helper cpu s':>13} {'next page s':>12}")
    warm = tempfile.mkdtemp(prefix="eventwire-cache-warm-")
    try:
        os.environ["EVENTWIRE_CACHE_DIR"] = warm  # the helpers inherit it
        one_round(task, pages)  # fills the warm cache
        for state in ("empty", "warm"):
            rounds = []
            for _ in range(args.rounds):
                with tempfile.TemporaryDirectory(prefix="eventwire-cache-") as empty:
                    os.environ["EVENTWIRE_CACHE_DIR"] = empty if state == "empty" else warm
                    rounds.append(one_round(task, pages))
            first, cpu, second = (statistics.median(r[i] for r in rounds) for i in range(3))
            print(f"{state:<12} {first:>13.2f} {cpu:>13.2f} {second:>12.3f}")
        dictionary_load(Path(warm))
        os.environ["EVENTWIRE_CACHE_DIR"] = warm
        pool_pages = pages + _articles([_page(args.corpus, row) for row in _manifest(args.corpus)[2:args.pool_pages]])
        print(f"pool of 2 helpers (a local run's), {len(pool_pages)} pages, warm cache, median of {args.rounds}:")
        print(f"{'helpers':<22} {'both ready s':>12} {'helper cpu s':>13} {'summed RSS MiB':>15} {'PSS MiB':>8}")
        for fork in (False, True):
            rounds = [pool_round(task, pool_pages, fork) for _ in range(args.rounds)]
            ready, cpu, rss, pss = (statistics.median(r[i] for r in rounds) for i in range(4))
            label = "forked from a template" if fork else "each sets up"
            print(f"{label:<22} {ready:>12.2f} {cpu:>13.2f} {rss:>15.0f} {pss:>8.0f}")
    finally:
        shutil.rmtree(warm, ignore_errors=True)

if __name__ == "__main__":
    main()
