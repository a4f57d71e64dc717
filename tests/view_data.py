"""Realistic output tables for the viewer tests, written in the writer's Hive layout.

``OUT/<table>/<partition>=<value>/data.parquet`` (articles also ``language=xx/``), rows
converted with the project's own ``transforms.output.schema.to_arrow`` so they carry the real schema.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from transforms.output.schema import to_arrow

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
UTC = dt.timezone.utc


def person(name: str, key: str, country: str | None, role: str | None, code: str | None = None) -> dict[str, Any]:
    return {"name": name, "key": key, "country": country, "role": role, "actor_code": code}


def event(event_id: str, day: dt.date | None, kind: str, mode: str | None, cameo: str, quad: int,
          participants: list[dict[str, Any]], sentence: str, url: str | None, article_ids: list[str],
          mentions: int = 1, sources: int = 1) -> dict[str, Any]:
    return {
        "event_id": event_id, "event_date": day, "event_type": kind, "event_mode": mode, "cameo_code": cameo,
        "quad_class": quad, "goldstein": 1.0 if quad <= 2 else -5.0, "participants": participants,
        "num_mentions": mentions, "num_articles": len(article_ids), "num_sources": sources,
        "location_country": None, "location_name": None, "example_sentence": sentence, "example_url": url,
        "article_ids": article_ids,
    }


def article(article_id: str, url: str | None, title: str, language: str, published: dt.datetime | None,
            source: str | None) -> dict[str, Any]:
    ingested = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    return {
        "article_id": article_id, "url": url, "source_uri": f"seeds/{article_id}.txt", "source": source,
        "title": title, "text": "…", "removed": [], "language": language, "language_prob": 0.99,
        "published_at": published, "published_basis": "metadata" if published else None, "ingested_at": ingested,
        "content_hash": "h" + article_id, "authors": [], "site_name": None, "encoding": "utf-8",
        "fetch_status": None, "near_duplicate_of": None,
    }


def mention(event_row: dict[str, Any], article_row: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "mention_id": f"{event_row['event_id']}-m{n}", "event_id": event_row["event_id"],
        "article_id": article_row["article_id"], "url": article_row["url"], "source": article_row["source"],
        "language": article_row["language"], "sentence": event_row["example_sentence"], "trigger": "x",
        "event_type": event_row["event_type"], "event_mode": event_row["event_mode"],
        "cameo_code": event_row["cameo_code"], "quad_class": event_row["quad_class"],
        "goldstein": event_row["goldstein"], "participants": event_row["participants"],
        "event_date": event_row["event_date"], "date_basis": "explicit", "date_text": None,
        "location_country": None, "location_name": None,
    }


def reject(uri: str, stage: str, reason: str) -> dict[str, Any]:
    return {"source_uri": uri, "stage": stage, "reason": reason, "detail": "…",
            "rejected_at": dt.datetime(2024, 1, 2, tzinfo=UTC)}


def _part(value: dt.date | None) -> str:
    return HIVE_NULL if value is None else value.isoformat()


def write_output(root: Path, events: list, mentions: list, articles: list, rejects: list) -> Path:
    """Write the four tables; partition columns are dropped from the files, as the writer does."""
    layouts = {
        "events": (events, lambda r: f"event_date={_part(r['event_date'])}"),
        "mentions": (mentions, lambda r: f"event_date={_part(r['event_date'])}"),
        "articles": (articles, lambda r: f"date={_part((r['published_at'] or r['ingested_at']).date())}"
                                          f"/language={r['language']}"),
        "rejects": (rejects, lambda r: f"date={r['rejected_at'].date().isoformat()}"),
    }
    for table, (rows, folder_of) in layouts.items():
        grouped: dict[str, list] = defaultdict(list)
        for row in rows:
            grouped[folder_of(row)].append(row)
        for folder, part_rows in grouped.items():
            target = root / table / folder
            target.mkdir(parents=True, exist_ok=True)
            pq.write_table(to_arrow(part_rows, table), target / "data.parquet")
    return root


RUS_FM = person("Sergei Lawrow", "RUS:foreign_minister", "RUS", "foreign_minister", "RUSGOV")
AZE_FM = person("Dscheichun Bairamow", "AZE:foreign_minister", "AZE", "foreign_minister", "AZEGOV")
AZE_FM2 = person("Elmar Mammadyarov", "AZE:foreign_minister", "AZE", "foreign_minister", "AZEGOV")
AFG_FM = person("Mohammad Hanif Atmar", "AFG:foreign_minister", "AFG", "foreign_minister", "AFGGOV")
RUS_DHG = person("Alexei Owertschuk", "RUS:deputy_head_of_government", "RUS", "deputy_head_of_government", "RUSGOV")
AZE_DHG = person("Schahin Mustafajew", "AZE:deputy_head_of_government", "AZE", "deputy_head_of_government", "AZEGOV")


def seed_like(root: Path) -> Path:
    """The three seed events (two with unknown dates), their articles and one reject."""
    a0 = article("a000", None, "Lawrow telefoniert mit Bairamow", "de", None, "RT DE")
    a3 = article("a003", "https://azertag.az/de/xeber/1", "Mammadyarov und Atmar telefonieren", "de",
                 dt.datetime(2020, 5, 31, 9, 0, tzinfo=UTC), "AZERTAC")
    phone = event("e-phone", None, "CONSULT", "phone", "041", 1, [RUS_FM, AZE_FM],
                  "Am Samstag telefonierte Sergei Lawrow mit Dscheichun Bairamow.", None, ["a000"])
    meeting = event("e-meeting", None, "CONSULT", "meeting", "043", 1, [RUS_DHG, AZE_DHG],
                    "Am Freitag tagte in Astrachan die Regierungskommission.", None, ["a000"])
    call = event("e-call", dt.date(2020, 5, 31), "CONSULT", "phone", "041", 1, [AZE_FM2, AFG_FM],
                 "Bei einem Telefonat haben Elmar Mammadyarov und Mohammad Hanif Atmar die Beziehungen betont.",
                 a3["url"], ["a003"])
    mentions = [mention(phone, a0, 1), mention(meeting, a0, 1), mention(call, a3, 1)]
    rejects = [reject("seeds/broken.html.gz", "read", "read/truncated_gzip")]
    return write_output(root, [phone, meeting, call], mentions, [a0, a3], rejects)


COUNTRIES = ("USA", "RUS", "CHN", "DEU", "FRA", "UKR", "AZE", "ARM", "TUR", "IRN", "ISR", "EU", "UN", "NATO",
             "GBR", "JPN", "IND", "PAK", "AFG", "SYR", "EGY", "BRA", "MEX", "CAN", "POL", "ITA", "ESP", "KOR")
KINDS = (("CONSULT", "041", 1), ("AGREE", "030", 1), ("SUPPORT", "057", 1), ("AID", "070", 2),
         ("COOPERATE", "061", 2), ("ACCUSE", "112", 3), ("THREATEN", "138", 3), ("PROTEST", "141", 4),
         ("SANCTION", "163", 4), ("ASSAULT", "190", 4))


def many(root: Path, count: int = 3000, seed: int = 7) -> Path:
    """``count`` random events over ~9 months among 28 actors, one article per event, some undated."""
    rng = random.Random(seed)
    events, mentions, articles = [], [], []
    start = dt.date(2023, 1, 1)
    for i in range(count):
        day = None if i % 50 == 0 else start + dt.timedelta(days=rng.randrange(270))
        a, b = rng.sample(COUNTRIES, 2)
        kind, cameo, quad = rng.choice(KINDS)
        art = article(f"art{i}", f"https://news.example/{i}", f"Title <{i}>", rng.choice(["de", "en", "en"]),
                      dt.datetime.combine(day or start, dt.time(12), tzinfo=UTC), f"outlet{i % 40}")
        row = event(f"ev{i:05d}", day, kind, None, cameo, quad,
                    [person(f"Minister {a}", f"{a}:minister", a, "minister"),
                     person(f"Minister {b}", f"{b}:minister", b, "minister")],
                    f"Sentence number {i} about {a} and {b}.", art["url"], [art["article_id"]],
                    mentions=rng.randint(1, 9), sources=1)
        events.append(row)
        articles.append(art)
        mentions.append(mention(row, art, 1))
    rejects = [reject(f"in/{i}.html", "clean", "clean/empty_text") for i in range(30)]
    rejects += [reject(f"in/{i}.warc.gz", "read", "read/truncated_warc") for i in range(4)]
    return write_output(root, events, mentions, articles, rejects)
