"""Small builders of valid records for tests (real dataclasses, no mocks)."""

from __future__ import annotations

import datetime as dt

from transforms import ids
from transforms.records import Article, Mention, Participant, Reject

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc)
LAVROV = Participant("Lawrow", "RUS:foreign_minister", "RUS", "foreign_minister", "RUSGOV")
BAYRAMOV = Participant("Bairamow", "AZE:foreign_minister", "AZE", "foreign_minister", "AZEGOV")


def article(n: int, *, url: str | None = "auto", text: str | None = None, published: dt.datetime | None = NOW,
            language: str = "de", source: str | None = "Beispiel") -> Article:
    url = f"https://example.org/{n}" if url == "auto" else url
    text = text or f"Artikel {n}: Der Außenminister sprach mit seinem Amtskollegen. " * 5
    return Article(article_id=ids.article_id(url, text), url=url, source_uri=f"in/{n}.txt", source=source,
                   title=f"Titel {n}", text=text, removed=(), language=language, language_prob=0.99,
                   published_at=published, published_basis="metadata" if published else None, ingested_at=NOW,
                   content_hash=ids.content_hash(text))


def mention(a: Article, index: int = 0, *, date: dt.date | None = dt.date(2024, 5, 31), event_type: str = "CONSULT",
            participants: tuple[Participant, ...] = (BAYRAMOV, LAVROV)) -> Mention:
    event_id = ids.event_id(date, event_type, [p.key for p in participants], a.article_id)
    return Mention(mention_id=ids.mention_id(a.article_id, index, event_id), event_id=event_id, article_id=a.article_id,
                   url=a.url, source=a.source, language=a.language, sentence=f"Satz {index}", trigger="telefonierte",
                   event_type=event_type, event_mode="phone", cameo_code="041", quad_class=1, goldstein=1.0,
                   participants=participants, event_date=date, date_basis="explicit", date_text="31. Mai")


def reject(n: int, reason: str = "read/empty") -> Reject:
    return Reject(f"in/bad{n}.txt", reason.split("/")[0], reason, "test", rejected_at=NOW)
