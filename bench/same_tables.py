"""Whether two outputs hold the same tables, but for the times of their runs.

A refactoring that must not change behaviour (docs/architecture.md) is checked by running two
checkouts on one input and comparing what they wrote:

    git worktree add /tmp/eventwire-a <commit>
    (cd /tmp/eventwire-a && python -m pipeline.cli run INPUT --output /tmp/out-a)
    python -m pipeline.cli run INPUT --output /tmp/out-b
    python bench/same_tables.py /tmp/out-a /tmp/out-b

Every row of the four tables is compared (read with pyarrow's Hive dataset reader), without
``ingested_at`` and ``rejected_at``; for a table that differs, the first differing rows are shown.
Exit status 0 when all four are the same, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

VOLATILE = frozenset({"ingested_at", "rejected_at"})
PARTITION_KEYS = {"articles": ("date", "language"), "mentions": ("event_date",), "events": ("event_date",),
                  "rejects": ("date",)}
KEYS = {"articles": "article_id", "mentions": "mention_id", "events": "event_id", "rejects": "source_uri"}


def rows(root: str, table: str) -> list[dict[str, Any]]:
    if not os.path.isdir(f"{root}/{table}"):  # a table never written (a run without rejects): no rows
        return []
    # partition values read as strings: a table whose only partition is the null date has no type to infer
    keys = pa.schema([(key, pa.string()) for key in PARTITION_KEYS[table]])
    data = ds.dataset(f"{root}/{table}", format="parquet", partitioning=ds.partitioning(keys, flavor="hive")).to_table()
    kept = data.select([c for c in data.column_names if c not in VOLATILE]).to_pylist()
    return sorted(kept, key=lambda r: (str(r.get(KEYS[table])), str(r.get("reason")), str(r.get("detail"))))


def compare(a: str, b: str, table: str) -> bool:
    left, right = rows(a, table), rows(b, table)
    same = left == right
    print(f"{table}: {len(left)} and {len(right)} rows, {'the same' if same else 'DIFFERENT'}")
    if not same:
        by_key_a = {r[KEYS[table]]: r for r in left}
        by_key_b = {r[KEYS[table]]: r for r in right}
        print(f"  only in the first: {len(by_key_a.keys() - by_key_b.keys())}, "
              f"only in the second: {len(by_key_b.keys() - by_key_a.keys())}")
        for key in sorted(k for k in by_key_a.keys() & by_key_b.keys() if by_key_a[k] != by_key_b[k])[:3]:
            changed = {c: (by_key_a[key][c], by_key_b[key].get(c)) for c in by_key_a[key]
                       if by_key_a[key][c] != by_key_b[key].get(c)}
            print(f"  {key}: {changed}")
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", help="an output root")
    parser.add_argument("second", help="another output root")
    args = parser.parse_args(argv)
    results = [compare(args.first, args.second, table) for table in KEYS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
