"""One path per article: Read -> Clean -> Dedup -> learned boilerplate -> Analyze (language and
events, once, on the final text) -> Write. The tables hold what analysing the final articles gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.batch import run as run_batch
from tests.conftest import FAST_BEAM, read_table

# An event sentence inside a footer that every article of the outlet carries: learned
# boilerplate, so no mention may come from it, although the helpers saw it at cleaning.
FOOTER = ("Archiv: Der russische Außenminister Sergei Lawrow hat am Freitag mit dem türkischen Außenminister "
          "Hakan Fidan in Ankara verhandelt.")
BODY = ("Der aserbaidschanische Außenminister Dscheichun Bairamow hat am Samstag mit seinem afghanischen Amtskollegen "
        "telefoniert. Meldung {n}. Die Minister sprachen nach Angaben des Ministeriums in Baku über Handel, über "
        "Verkehrswege und über die Vorbereitung weiterer Treffen der Regierungen in den kommenden Wochen.")


def _record(n: int, url: str | None = None) -> dict:
    return {"url": url or f"https://news.example/{n}", "text": f"{BODY.format(n=n)}\n\n{FOOTER}",
            "title": f"Telefonat ({n})", "published_at": "2024-06-03T10:00:00Z", "source": "Beispielagentur"}


def test_learned_boilerplate_and_duplicates_leave_no_mentions_behind(tmp_path: Path) -> None:
    records = [_record(1), _record(2), _record(3), _record(1)]  # the last is a duplicate URL of the first
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = run_batch([str(source), "--output", str(out), *FAST_BEAM])

    articles = read_table(out, "articles")
    assert len(articles) == 3 and {a["language"] for a in articles} == {"de"}
    assert all(a["removed"][-1]["rule"] == "learned:recurring" and "Fidan" not in a["text"] for a in articles)
    mentions = read_table(out, "mentions")
    assert mentions, "the body's call must be found"
    assert not [m for m in mentions if "Fidan" in m["sentence"]]  # the footer's event went with the footer
    assert {m["article_id"] for m in mentions} == {a["article_id"] for a in articles}
    assert len(mentions) == len({m["mention_id"] for m in mentions})  # the duplicate added nothing
    keys = {tuple(sorted(p["key"] for p in m["participants"])) for m in mentions}
    assert ("AFG:foreign_minister", "AZE:foreign_minister") in keys
    assert summary.counters.get("language:de") == 3


def test_each_surviving_article_is_analysed_once_and_duplicates_never(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cleaning helpers get every document; analysis helpers get each article that survived
    deduplication exactly once, after learned boilerplate (no second analysis, no join)."""
    import pickle

    from transforms.isolation.worker import GuardedWorker

    submitted: list[tuple[str, str]] = []
    submit = GuardedWorker.submit

    def counting_submit(self: GuardedWorker, item: object) -> object:
        submitted.append((type(pickle.loads(self._factory)).__name__, getattr(item, "source_uri", "")))
        return submit(self, item)

    monkeypatch.setattr(GuardedWorker, "submit", counting_submit)
    records = [_record(n) for n in range(1, 6)] + [_record(1)]  # the last: a duplicate URL of the first
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run_batch([str(source), "--output", str(out), *FAST_BEAM])

    articles = read_table(out, "articles")
    assert len(articles) == 5 and all(a["removed"][-1]["rule"] == "learned:recurring" for a in articles)
    assert not [m for m in read_table(out, "mentions") if "Fidan" in m["sentence"]]  # the footer went first
    cleaned = [uri for task, uri in submitted if task == "CleanTask"]
    analysed = [uri for task, uri in submitted if task == "AnalyzeTask"]
    assert len(cleaned) == 6  # every document
    assert sorted(analysed) == sorted(a["source_uri"] for a in articles)  # each kept article, once
