"""Score the events of whole articles: the real pipeline over the hand-labelled dev set.

    python bench/eval_articles.py --corpus ../shared/corpus [--show errors|all] [--lang de|en]

Reads ``events-dev/dev.jsonl`` (see its GUIDE.md), writes the 46 articles as one JSON Lines
input (fundus pages as title + body, trafilatura-eval pages as their HTML, each with the label's
URL and publication date), runs ``eventwire run`` on it in a child process, and scores the
mentions table as GUIDE.md says: a prediction is (article, PLOVER type, set of actor codes,
date); it matches a label of the same article with the same type, set and date, a null label
matching a publication-basis (or undated) prediction. Core recall = matched core labels / core
labels; precision = predictions matching any label (core or hard) / predictions. Both with and
without the date, per language, at several confidence thresholds, with the errors by class.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.dataset as ds

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
# Named armed groups and NGOs: GUIDE.md codes them by name, the pipeline by a key of their home
# country and folded name (PSE:hamas). The label code is the key's name part, upper-cased.
NAMED_ROLES = frozenset({"armed_group", "ngo"})


@dataclass(frozen=True)
class Prediction:
    url: str
    event_type: str
    actors: frozenset[str]
    date: dt.date | None
    fallback: bool  # dated by the publication fallback (or not at all): matches a null label too
    confidence: float
    sentence: str
    trigger: str
    source: tuple[str, ...] = ()
    target: tuple[str, ...] = ()


@dataclass(frozen=True)
class Label:
    url: str
    language: str
    event_type: str
    actors: frozenset[str]
    date: dt.date | None
    tier: str
    evidence: str
    initiator: str | None = None  # GUIDE.md lists the initiator first


@dataclass
class Tally:
    core: int = 0
    core_found: int = 0
    predicted: int = 0
    correct: int = 0
    core_found_nodate: int = 0
    correct_nodate: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def load_labels(corpus: Path) -> tuple[list[dict], list[Label]]:
    articles, labels = [], []
    for line in (corpus / "events-dev" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        articles.append(item)
        for event in item["events"]:
            date = dt.date.fromisoformat(event["date"]) if event.get("date") else None
            labels.append(Label(item["url"], item["language"], event["type"], frozenset(event["actors"]),
                                date, event["tier"], event.get("evidence") or "",
                                event["actors"][0] if event["actors"] else None))
    return articles, labels


def input_record(item: dict, shared: Path) -> dict:
    path = shared / item["file"]
    published = f"{item['published']}T12:00:00+00:00"
    record = {"url": item["url"], "published_at": published}
    if path.name.endswith(".expected.json"):
        page = json.loads(path.read_text(encoding="utf-8"))
        record.update(title=page.get("title"), text=page.get("body") or "", source=page.get("publisher"))
    else:
        record["html"] = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
    return record


def run_pipeline(articles: list[dict], shared: Path, work: Path) -> tuple[Path, float]:
    inputs = work / "in"
    inputs.mkdir()
    with (inputs / "dev.jsonl").open("w", encoding="utf-8") as out:
        for item in articles:
            out.write(json.dumps(input_record(item, shared), ensure_ascii=False) + "\n")
    output = work / "out"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(inputs), "--output", str(output)],
                          cwd=ROOT, capture_output=True, text=True, env=_quiet_env())
    if proc.returncode != 0:
        sys.exit(f"eventwire run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return output, time.perf_counter() - started


def _quiet_env() -> dict[str, str]:
    import os

    return {**os.environ, "EVENTWIRE_LOG_LEVEL": "WARNING"}


# GUIDE.md codes a few named groups by their short name; the pipeline keys them by folded full name.
LABEL_CODES = {"amnesti international": "AMNESTY", "human rights vatch": "HRW", "tp": "TTP",
               "american civil liberties union": "ACLU"}


def actor_code(participant: dict) -> str | None:
    """The GUIDE.md code of a participant: ISO alpha-3 or IGO code, a named group's short name."""
    if participant.get("role") in NAMED_ROLES and participant.get("key"):
        name = participant["key"].rsplit(":", 1)[-1]
        return LABEL_CODES.get(name, name.upper())
    return participant.get("country")


def load_predictions(output: Path) -> list[Prediction]:
    if not (output / "mentions").exists():
        return []
    table = ds.dataset(output / "mentions", format="parquet", partitioning="hive").to_table()
    predictions = []
    for row in table.to_pylist():
        codes = frozenset(c for p in row["participants"] if (c := actor_code(p)))
        date = row["event_date"]
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        fallback = date is None or row["date_basis"] == "publication"
        code_of = {p.get("key"): actor_code(p) for p in row["participants"]}
        source = tuple(sorted({code_of.get(k) or "" for k in row.get("source_keys") or ()}))
        target = tuple(sorted({code_of.get(k) or "" for k in row.get("target_keys") or ()}))
        predictions.append(Prediction(row["url"], row["event_type"], codes, date, fallback, row.get("confidence") or 0.0,
                                      row["sentence"], row["trigger"], source, target))
    return predictions


def _matches(pred: Prediction, label: Label, with_date: bool) -> bool:
    if pred.url != label.url or pred.event_type != label.event_type or pred.actors != label.actors:
        return False
    return not with_date or _same_date(pred, label)


def _same_date(pred: Prediction, label: Label) -> bool:
    return pred.date == label.date or (label.date is None and pred.fallback)


def error_class(pred: Prediction, labels: list[Label]) -> str:
    """Why a prediction matches no label of its article (the closest label decides)."""
    same = [lb for lb in labels if lb.url == pred.url]
    if any(lb.event_type == pred.event_type and lb.actors == pred.actors for lb in same):
        return "wrong date"
    if any(lb.actors == pred.actors and _same_date(pred, lb) for lb in same):
        return "wrong type"
    if any(lb.event_type == pred.event_type and lb.actors & pred.actors for lb in same):
        kinds = {("extra actor" if lb.actors < pred.actors else "missing actor" if pred.actors < lb.actors
                  else "other actors") for lb in same if lb.event_type == pred.event_type and lb.actors & pred.actors}
        return "actor set: " + sorted(kinds)[0]
    if any(lb.actors & pred.actors for lb in same):
        return "type and actors"
    return "no such event (spurious)"


def miss_class(label: Label, preds: list[Prediction]) -> str:
    same = [p for p in preds if p.url == label.url]
    if any(p.event_type == label.event_type and p.actors == label.actors for p in same):
        return "missed: wrong date"
    if any(p.actors == label.actors for p in same):
        return "missed: wrong type"
    if any(p.event_type == label.event_type and p.actors & label.actors for p in same):
        return "missed: wrong actor set"
    return "missed: not extracted"


def score(preds: list[Prediction], labels: list[Label], threshold: float = 0.0) -> Tally:
    preds = list({(p.url, p.event_type, p.actors, p.date): p for p in preds if p.confidence >= threshold}.values())
    tally = Tally()
    for label in labels:
        if label.tier != "core":
            continue
        tally.core += 1
        if any(_matches(p, label, True) for p in preds):
            tally.core_found += 1
        else:
            tally.errors[miss_class(label, preds)] += 1
        if any(_matches(p, label, False) for p in preds):
            tally.core_found_nodate += 1
    for pred in preds:
        tally.predicted += 1
        if any(_matches(pred, lb, True) for lb in labels):
            tally.correct += 1
        else:
            tally.errors[error_class(pred, labels)] += 1
        if any(_matches(pred, lb, False) for lb in labels):
            tally.correct_nodate += 1
    return tally


def direction(preds: list[Prediction], labels: list[Label]) -> tuple[int, int]:
    """Of the matched predictions of a two-country label, how many name its initiator (listed first)
    as a source and not as a target (symmetric acts, where every party is both, are left out)."""
    scored = right = 0
    for pred in {(p.url, p.event_type, p.actors, p.date): p for p in preds}.values():
        label = next((lb for lb in labels if len(lb.actors) == 2 and _matches(pred, lb, True)), None)
        if label is None or set(pred.source) == set(pred.target):
            continue
        scored += 1
        right += label.initiator in pred.source and label.initiator not in pred.target
    return right, scored


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--show", choices=("none", "errors", "all"), default="none",
                        help="print the predictions (wrong ones, or all) and the missed core labels")
    parser.add_argument("--keep", type=Path, help="keep the pipeline's output in this folder")
    args = parser.parse_args(argv)
    if not (args.corpus / "events-dev" / "dev.jsonl").is_file():
        print(f"eval_articles: no events-dev/dev.jsonl under {args.corpus}", file=sys.stderr)
        return 2
    articles, labels = load_labels(args.corpus)
    with tempfile.TemporaryDirectory(prefix="eval-articles-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        output, seconds = run_pipeline(articles, args.corpus.parent, Path(tempfile.mkdtemp(dir=work)))
        preds = load_predictions(output)
        rejects = Counter()
        if (output / "rejects").exists():
            rejects.update(ds.dataset(output / "rejects", format="parquet", partitioning="hive").to_table()
                           .column("reason").to_pylist())
    known = {a["url"] for a in articles}
    preds = [p for p in preds if p.url in known]
    lang = {a["url"]: a["language"] for a in articles}
    print(f"articles {len(articles)}; labels: core {sum(lb.tier == 'core' for lb in labels)}, "
          f"hard {sum(lb.tier == 'hard' for lb in labels)}; pipeline run {seconds:.1f} s; rejects: "
          + (", ".join(f"{reason} {n}" for reason, n in sorted(rejects.items())) or "none"))
    print(f"\n{'set':<8} {'core':>5} {'pred':>5} {'recall':>7} {'prec':>6} {'recall-nd':>10} {'prec-nd':>8}")
    for name, keep in (("all", lambda u: True), ("de", lambda u: lang[u] == "de"), ("en", lambda u: lang[u] == "en")):
        t = score([p for p in preds if keep(p.url)], [lb for lb in labels if keep(lb.url)])
        print(f"{name:<8} {t.core:>5} {t.predicted:>5} {_ratio(t.core_found, t.core):>7} {_ratio(t.correct, t.predicted):>6} "
              f"{_ratio(t.core_found_nodate, t.core):>10} {_ratio(t.correct_nodate, t.predicted):>8}")
    print("\n(recall: core labels found, type + actor set + date; prec: predictions matching any label;"
          " -nd: without the date)")
    print(f"\n{'confidence >=':<14} {'pred':>5} {'recall':>7} {'prec':>6} {'recall-nd':>10} {'prec-nd':>8}")
    for threshold in THRESHOLDS:
        t = score(preds, labels, threshold)
        print(f"{threshold:<14.1f} {t.predicted:>5} {_ratio(t.core_found, t.core):>7} {_ratio(t.correct, t.predicted):>6} "
              f"{_ratio(t.core_found_nodate, t.core):>10} {_ratio(t.correct_nodate, t.predicted):>8}")
    right, scored = direction(preds, labels)
    print(f"\ndirection: {right} of {scored} matched directed two-country predictions name the label's initiator"
          " as their source")
    print("\nerrors by class (all predictions; a missed core label once, a wrong prediction once):")
    for cls, n in score(preds, labels).errors.most_common():
        print(f"  {n:>4}  {cls}")
    if args.show != "none":
        _show(preds, labels, args.show == "all")
    return 0


def _show(preds: list[Prediction], labels: list[Label], everything: bool) -> None:
    unique = list({(p.url, p.event_type, p.actors, p.date): p for p in preds}.values())
    for url in sorted({p.url for p in unique} | {lb.url for lb in labels if lb.tier == "core"}):
        lines = []
        for p in unique:
            if p.url != url:
                continue
            ok = any(_matches(p, lb, True) for lb in labels)
            if ok and not everything:
                continue
            verdict = "OK " if ok else error_class(p, labels)
            lines.append(f"  {'+' if ok else '-'} {p.event_type} {sorted(p.actors)} {p.date} c={p.confidence:.2f} "
                         f"[{verdict}] src={list(p.source)} tgt={list(p.target)} trig={p.trigger!r}\n      {p.sentence[:220]}")
        for lb in labels:
            if lb.url == url and lb.tier == "core" and not any(_matches(p, lb, True) for p in unique):
                lines.append(f"  MISSED {lb.event_type} {sorted(lb.actors)} {lb.date} [{miss_class(lb, unique)}]\n"
                             f"      {lb.evidence[:220]}")
        if lines:
            print(f"\n{url}")
            print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
