"""WARC read throughput and truncation behaviour: warcio vs fastwarc vs eventwire's reader.

    python bench/warc_read.py [--corpus ../shared/corpus/warc] [--repeat 20]

For each corpus WARC (and one larger file made by concatenating the assembled news WARC
``--repeat`` times; gzip members concatenate into a valid .warc.gz) it reports records/s
and MB/s (compressed bytes) for:

- ``warcio``: warcio's ArchiveIterator, reading every record's decoded content stream;
- ``fastwarc``: fastwarc's ArchiveIterator (auto_decode="all"), reading every payload;
- ``eventwire``: ``transforms.read.warc.iter_warc`` (warcio's record parser over our own
  zlib member reader) producing decoded ``RawDocument`` s, i.e. the real read stage.

Then it cuts the news WARC (mid-member at 50 % and inside the last member's gzip trailer)
and reports whether each reader notices. fastwarc is only a benchmark/test dependency.
"""

from __future__ import annotations

import argparse
import collections
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastwarc.warc import ArchiveIterator as FastIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from transforms.read.warc import iter_warc
from transforms.records import Reject
from transforms.settings import ReadSettings


def _stream(data: bytes | io.RawIOBase) -> io.RawIOBase | io.BytesIO:
    return data if isinstance(data, io.RawIOBase) else io.BytesIO(data)


def read_warcio(data: bytes) -> int:
    count = 0
    for record in WarcioIterator(_stream(data)):
        record.content_stream().read()
        count += 1
    return count


def read_fastwarc(data: bytes) -> int:
    count = 0
    for record in FastIterator(_stream(data), auto_decode="all"):
        record.reader.read()
        count += 1
    return count


def read_eventwire(data: bytes) -> int:
    skipped: collections.Counter[str] = collections.Counter()
    items = list(iter_warc(_stream(data), "bench.warc.gz", ReadSettings(), lambda k: skipped.update([k])))
    return len(items) + sum(skipped.values())


def rejects_eventwire(data: bytes) -> list[str]:
    return [i.reason for i in iter_warc(_stream(data), "cut.warc.gz", ReadSettings(), lambda _k: None)
            if isinstance(i, Reject)]


READERS = {"warcio": read_warcio, "fastwarc": read_fastwarc, "eventwire": read_eventwire}


def measure(reader, data: bytes, min_seconds: float = 1.0) -> tuple[int, float]:
    records, runs, start = 0, 0, time.perf_counter()
    while True:
        records = reader(data)
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return records, elapsed / runs


def truncation_report(reader_name: str, data: bytes) -> str:
    reader = READERS[reader_name]
    try:
        if reader_name == "eventwire":
            reasons = rejects_eventwire(data)
            return f"reject {sorted(set(reasons))}" if reasons else "NOT DETECTED"
        records = reader(data)
        return f"no error, {records} records returned"
    except BaseException as exc:  # fastwarc's Rust panics are BaseException
        return f"raises {type(exc).__name__}: {str(exc)[:60]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus" / "warc"))
    parser.add_argument("--repeat", type=int, default=20, help="copies of the news WARC in the large file")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    news = (corpus / "assembled" / "fundus-news-sample.warc.gz").read_bytes()
    files = {path.name: path.read_bytes() for path in sorted(corpus.glob("*.warc.gz"))}
    files["fundus-news-sample.warc.gz"] = news
    files[f"news x{args.repeat} (concatenated)"] = news * args.repeat

    print(f"{'file':<42} {'MB':>6} {'reader':<10} {'records':>7} {'records/s':>10} {'MB/s':>7}")
    for name, data in files.items():
        for reader_name, reader in READERS.items():
            records, seconds = measure(reader, data)
            mb = len(data) / 1e6
            print(f"{name:<42} {mb:6.2f} {reader_name:<10} {records:7d} {records / seconds:10.0f} {mb / seconds:7.1f}")

    print("\ntruncated .warc.gz (news sample):")
    cuts = {"cut mid-member at 50%": news[: len(news) // 2], "cut in the last gzip trailer": news[:-3]}
    for cut_name, data in cuts.items():
        for reader_name in READERS:
            print(f"  {cut_name:<30} {reader_name:<10} {truncation_report(reader_name, data)}")
    print("\nnon-seekable stream (what a streaming decompressor hands on):")
    for reader_name in READERS:
        try:
            outcome = f"ok, {READERS[reader_name](_Unseekable(news))} records"
        except BaseException as exc:  # fastwarc's Rust panics are BaseException, not Exception
            outcome = f"raises {type(exc).__module__}.{type(exc).__name__}: {str(exc)[:70]}"
        print(f"  {reader_name:<10} {outcome}")
    return 0


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)


if __name__ == "__main__":
    sys.exit(main())
