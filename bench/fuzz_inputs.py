"""Mutation fuzzing of the pure reading and cleaning functions on real corpus inputs.

    python bench/fuzz_inputs.py --seed 1 --iterations 500 --corpus ../shared/corpus [--no-clean]

Each case takes one real input (an HTML page, a text file or JSON Lines built from a fundus
article, a WARC, a feed), applies a few seeded mutations (truncation, byte flips, NUL and invalid
UTF-8, BOMs, CRLF, huge attributes, deep nesting, gzip of a cut or concatenated stream, JSON fields
of the wrong type, lying WARC lengths, missing headers, non-HTTP payloads) and runs it through
``read_file`` (not ``guarded_read``: its safety net would hide the bug), ``clean_document``,
``analyze_article``/``extract_mentions``, ``to_arrow``, or ``parse_feed`` -> ``entry_document``.

A finding is: an uncaught exception, a ``read/unexpected_error``, a case over 5 s, a record that
ends as neither a document nor a reject (or as two), a row Arrow cannot hold, or a date set where
the input gave none. Each finding prints ``--seed S --case N`` to reproduce it alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import random
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.clean.document import clean_document
from transforms.clean.rules import compile_rules
from transforms.events.extract import analyze_article, extract_mentions
from transforms.events.model import load_event_model
from transforms.feeds.poll import FeedError, PendingEntry, entry_document, parse_feed
from transforms.language.detect import LanguageDetector
from transforms.output.schema import to_arrow, to_row
from transforms.read import formats as r
from transforms.records import Article, RawDocument, Reject
from transforms.settings import load_settings

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
SLOW_SECONDS = 5.0
HARD_SECONDS = 60


class Finding(Exception):
    """A broken contract (not a crash of the code under test)."""


class Hang(BaseException):
    pass


# --- seeds from the corpus -----------------------------------------------------------------------


def load_seeds(corpus: Path, rng: random.Random, per_kind: int = 12) -> dict[str, list[bytes]]:
    fundus = sorted((corpus / "fundus").rglob("*.expected.json"))
    rng.shuffle(fundus)
    html, txt, jsonl = [], [], []
    for expected in fundus[:per_kind]:
        meta = json.loads(expected.read_text(encoding="utf-8"))
        page = gzip.decompress(expected.with_name(expected.name.replace(".expected.json", ".html.gz")).read_bytes())
        html.append(page)
        txt.append(f"{meta['title']}\n\n{meta['body']}".encode())
        record = {"url": meta.get("url"), "title": meta.get("title"), "text": meta["body"],
                  "published_at": meta.get("publishing_date"), "source": meta.get("publisher")}
        jsonl.append(json.dumps(record, ensure_ascii=rng.random() < 0.5).encode() + b"\n"
                     + json.dumps({"url": meta.get("url"), "html": page.decode("utf-8", "replace")[:20000]}).encode()
                     + b"\n")
    evals = sorted((corpus / "trafilatura-eval").rglob("*.html.gz"))
    html += [gzip.decompress(p.read_bytes()) for p in rng.sample(evals, min(per_kind, len(evals)))]
    warcs = [p.read_bytes() for p in sorted((corpus / "warc").rglob("*.warc.gz"))]
    warcs += [gzip.decompress(w) for w in warcs]  # plain .warc too
    feeds = [p.read_bytes() for p in sorted((corpus / "feeds").rglob("*")) if p.suffix in (".rss", ".atom", ".rdf")]
    return {"html": html, "txt": txt, "jsonl": jsonl, "warc": warcs, "feed": feeds}


# --- byte mutations -------------------------------------------------------------------------------

JUNK = [b"\x00", b"\x00" * 64, b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
        b"\r", b"\r\n", b"\x1f\x8b", b"\x1f\x8b\x08\x00", b"\x80\x81\x82", b"\xf4\x90\x80\x80", b"<", b"&#0;",
        b"&#xD800;", b"]]>", b"<![CDATA[", b"<!--", b"\\ud800", b'"', b"\n", b"WARC/1.0\r\n", b"%PDF-"]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(0, max(1, len(data)))]


def flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def insert_junk(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(JUNK) * rng.choice((1, 1, 3, 100)) + data[at:]


def prefix_bom(data: bytes, rng: random.Random) -> bytes:
    return rng.choice([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"]) + data


def line_endings(data: bytes, rng: random.Random) -> bytes:
    return rng.choice([data.replace(b"\r\n", b"\n"), data.replace(b"\n", b"\r\n"), data.replace(b"\n", b"\r")])


def reencode(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "koi8-r"]), "replace")


def huge_attribute(data: bytes, rng: random.Random) -> bytes:
    at = data.find(b"<p") if b"<p" in data else rng.randrange(len(data) + 1)
    value = rng.choice([b"x", b"\"", b"&amp;", b"\xc3\xa4"]) * rng.choice([10_000, 500_000])
    return data[:at] + b'<div class="' + value + b'">' + data[at:]


def deep_nesting(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([300, 5000, 50_000])
    tag = rng.choice([b"div", b"b", b"table", b"p", b"span"])
    at = data.find(b"<body") if b"<body" in data else 0
    return data[:at] + (b"<" + tag + b">") * depth + data[at:] + (b"</" + tag + b">") * rng.choice([0, depth])


def gzip_layer(data: bytes, rng: random.Random) -> bytes:
    whole = gzip.compress(data)
    choice = rng.randrange(5)
    if choice == 0:
        return whole
    if choice == 1:
        return whole[: rng.randrange(1, len(whole))]  # cut
    if choice == 2:
        return whole + gzip.compress(truncate(data, rng))  # concatenated members
    if choice == 3:
        return gzip.compress(truncate(data, rng)) + b"\x00" * rng.randrange(1, 100)  # padded
    return whole + rng.choice(JUNK)  # trailing garbage


BYTE_MUTATORS: list[Callable[[bytes, random.Random], bytes]] = [
    truncate, flip, insert_junk, prefix_bom, line_endings, reencode, huge_attribute, deep_nesting]


# --- structural mutations -------------------------------------------------------------------------

WRONG_VALUES: list[Any] = [None, 42, -1, 2**70, 1.5, 1e308, True, [], ["a"], {}, {"x": {"y": [1]}}, "",
                           " ", "\ud800", "\udfff\ud800", "\x00", "0001-01-01", "2024-02-30", "9999-12-31T23:59:59",
                           "nan", "\u202e", "a" * 100_000, [[[[[]]]]]]
FIELDS = ["url", "title", "text", "html", "published_at", "source", "language"]


def mutate_json_line(line: bytes, rng: random.Random) -> bytes:
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    for _ in range(rng.randint(1, 3)):
        record[rng.choice(FIELDS)] = rng.choice(WRONG_VALUES)
    raw = json.dumps(record, ensure_ascii=rng.random() < 0.7, allow_nan=True).encode("utf-8", "surrogatepass")
    if rng.random() < 0.2:
        raw = rng.choice([b"[", b"", b"\xef\xbb\xbf", b" "]) + raw
    return raw


def mutate_jsonl(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    k = rng.randrange(len(lines))
    lines[k] = mutate_json_line(lines[k], rng)
    if rng.random() < 0.3:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice([b"", b"   ", b"\r", b"null", b"[]", b'"x"', b"{}"]))
    return b"\n".join(lines)


def mutate_warc(data: bytes, rng: random.Random) -> bytes:
    """Lies in one record of a plain WARC: Content-Length, headers, payload."""
    starts = [i for i in range(len(data)) if data.startswith(b"WARC/1.", i)][:400] if len(data) < 3_000_000 else [0]
    at = rng.choice(starts) if starts else 0
    end = data.find(b"\r\n\r\n", at)
    if end < 0:
        return truncate(data, rng)
    head, rest = data[at:end], data[end:]
    choice = rng.randrange(7)
    if choice == 0:  # Content-Length off by some bytes, negative or not a number
        lines = head.split(b"\r\n")
        value = rng.choice([b"-5", b"abc", b"", b"99999999999999999999", b"0", b"1e3", b" 12 "])
        for i, line in enumerate(lines):
            if line.lower().startswith(b"content-length:"):
                if rng.random() < 0.5:
                    number = int(line.split(b":", 1)[1].strip() or 0)
                    value = str(max(0, number + rng.choice([-100, -1, 1, 7, 4096]))).encode()
                lines[i] = b"Content-Length: " + value
        head = b"\r\n".join(lines)
    elif choice == 1:  # a header removed
        lines = head.split(b"\r\n")
        if len(lines) > 1:
            del lines[rng.randrange(1, len(lines))]
        head = b"\r\n".join(lines)
    elif choice == 2:  # the HTTP head of the payload replaced by something else
        rest = rest[:4] + rng.choice([b"garbage\r\n\r\n", b"HTTP/1.1 200\r\n\r\n", b"\x00\x01",
                                      b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
                                      b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]) + rest[4:]
    elif choice == 3:
        head = head.replace(b"WARC-Type: response", rng.choice([b"WARC-Type: resource", b"WARC-Type:", b"WARC-Type: response\r\nWARC-Type: request"]))
    elif choice == 4:
        head = head.replace(b"WARC/1.0", rng.choice([b"WARC/1.1", b"WARC/0.9", b"ARC", b"WARC/1.0 "]), 1)
    elif choice == 5:
        head += rng.choice([b"\r\nWARC-Date: 99999", b"\r\nWARC-Target-URI: \xff\xfe", b"\r\nContent-Type: text/html; charset=\xff"])
    else:
        return flip(data, rng)
    return data[:at] + head + rest


# --- running one case -----------------------------------------------------------------------------


class Context:
    def __init__(self) -> None:
        self.settings = load_settings()
        self.rules = compile_rules(self.settings.clean)
        self.detector = LanguageDetector(self.settings.language)
        self.model = load_event_model(self.settings)
        self.tmp = Path(tempfile.mkdtemp(prefix="fuzz-"))


def check_arrow(item: Article | Reject) -> None:
    table = "articles" if isinstance(item, Article) else "rejects"
    to_arrow([to_row(item, table)], table)


def run_document(ctx: Context, doc: RawDocument, clean: bool, outcomes: Counter) -> None:
    if not clean:
        return
    result = clean_document(doc, ctx.rules, ctx.settings.clean, NOW)
    if isinstance(result, Reject):
        outcomes[f"clean:{result.reason}"] += 1
        check_arrow(result)
        return
    analyzed = analyze_article(result, ctx.detector, ctx.model)
    mentions = extract_mentions(analyzed.article, ctx.model)  # directly: analyze_article hides a raise
    outcomes["clean:article"] += 1
    outcomes["mentions"] += len(mentions)
    check_arrow(analyzed.article)
    if mentions:
        to_arrow([to_row(m, "mentions") for m in mentions], "mentions")


def expected_records(kind: str, data: bytes) -> int | None:
    """How many records the input holds, when it is knowable from outside (text, HTML: one)."""
    return 1 if kind in ("txt", "html") else None


def opener(path: str) -> io.BufferedReader:
    return Path(path).open("rb")


def run_file(ctx: Context, kind: str, data: bytes, name: str, clean: bool, outcomes: Counter) -> None:
    path = ctx.tmp / name
    path.write_bytes(data)
    items = list(r.read_file(str(path), len(data), ctx.settings.read, opener, lambda p: None))
    seen: Counter = Counter()
    for item in items:
        if isinstance(item, Reject):
            outcomes[f"read:{item.reason}"] += 1
            if item.reason == "read/unexpected_error":
                raise Finding(f"unexpected error: {item.detail}")
            if not item.reason.startswith(item.stage + "/") or not item.detail:
                raise Finding(f"reject without stage/reason/detail: {item}")
            check_arrow(item)
        elif isinstance(item, RawDocument):
            outcomes["read:document"] += 1
            if kind == "jsonl" and item.published_at is not None and not mentions_date(data):
                raise Finding(f"invented date {item.published_at} for {item.source_uri}")
            run_document(ctx, item, clean, outcomes)
        else:
            raise Finding(f"read_file yielded {type(item).__name__}")
        seen[item.source_uri] += 1
    twice = [u for u, n in seen.items() if n > 1 and not u.endswith(".meta.json")]
    if twice:
        raise Finding(f"records with two outcomes: {twice[:3]}")
    if expected_records(kind, data) == 1 and str(path) not in seen:
        raise Finding(f"a {kind} file ended as nothing: {[(getattr(i, 'reason', 'doc'), i.source_uri) for i in items]}")
    if kind == "jsonl":
        check_jsonl_accounting(path, data, items)


def mentions_date(data: bytes) -> bool:
    """Whether the input may name a publication date (gzip and other encodings: assume it does)."""
    if data[:2] == b"\x1f\x8b" or b"\x00" in data:
        return True
    return b"published_at" in data or "published_at".encode("cp1252") in data


def check_jsonl_accounting(path: Path, data: bytes, items: list[Any]) -> None:
    """Every non-blank line of a plain (not gzipped) JSON Lines file has exactly one outcome."""
    if data[:2] == b"\x1f\x8b" or any(isinstance(i, Reject) and i.source_uri == str(path) for i in items):
        return  # gzip or a file-level reject: the line count is not knowable from outside
    uris = {i.source_uri for i in items}
    for number, line in enumerate(data.split(b"\n"), start=1):
        blank = not line.strip() or (number == 1 and not line.replace(b"\xef\xbb\xbf", b"").strip())
        if not blank and f"{path}#L{number}" not in uris:
            raise Finding(f"line {number} ended as nothing: {line[:80]!r}")


def run_feed(ctx: Context, data: bytes, clean: bool, outcomes: Counter) -> None:
    try:
        _title, entries = parse_feed(data, "https://example.org/feed", {}, ctx.settings.feeds)
    except FeedError as exc:
        outcomes[f"feed:{exc.reason}"] += 1
        return
    outcomes["feed:parsed"] += 1
    for entry in entries[:5]:
        out = entry_document(PendingEntry(entry, "fuzz", None, NOW), None)
        if isinstance(out, Reject):
            outcomes[f"feed:{out.reason}"] += 1
            check_arrow(out)
        else:
            outcomes["feed:document"] += 1
            run_document(ctx, out, clean, outcomes)


def make_case(seeds: dict[str, list[bytes]], rng: random.Random) -> tuple[str, bytes, str]:
    kind = rng.choice(["html", "html", "txt", "jsonl", "jsonl", "jsonl", "warc", "feed", "feed"])
    data = rng.choice(seeds[kind])
    steps = rng.randint(1, 3)
    for _ in range(steps):
        if kind == "jsonl" and rng.random() < 0.6:
            data = mutate_jsonl(data, rng)
        elif kind == "warc" and data[:2] != b"\x1f\x8b" and rng.random() < 0.7:
            data = mutate_warc(data, rng)
        else:
            data = rng.choice(BYTE_MUTATORS)(data, rng)
    if kind not in ("feed",) and rng.random() < 0.25:
        data = gzip_layer(data, rng)
    suffix = {"html": ".html", "txt": ".txt", "jsonl": ".jsonl", "warc": ".warc", "feed": ".rss"}[kind]
    if rng.random() < 0.3 and kind != "feed":
        suffix += ".gz"
    return kind, data, suffix


def _alarm(_signum: int, _frame: Any) -> None:
    raise Hang()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    parser.add_argument("--case", type=int, help="run only this case (to reproduce a finding)")
    parser.add_argument("--no-clean", action="store_true", help="read only (fast): no trafilatura, no events")
    parser.add_argument("--save", help="folder to write each case's input to (for an end-to-end run)")
    args = parser.parse_args(argv)

    seeds = load_seeds(Path(args.corpus), random.Random(args.seed))
    ctx = Context()
    outcomes: Counter = Counter()
    findings: list[str] = []
    slowest = (0.0, -1)
    signal.signal(signal.SIGALRM, _alarm)
    started = time.monotonic()
    for case in range(args.iterations):
        rng = random.Random(f"{args.seed}:{case}")
        kind, data, suffix = make_case(seeds, rng)
        if args.case is not None and case != args.case:
            continue
        if args.save:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            (Path(args.save) / f"case{case:05d}{suffix}").write_bytes(data)
        t0 = time.monotonic()
        signal.alarm(HARD_SECONDS)
        try:
            if kind == "feed":
                run_feed(ctx, data, not args.no_clean, outcomes)
            else:
                run_file(ctx, kind, data, f"case{case:05d}{suffix}", not args.no_clean, outcomes)
        except Hang:
            findings.append(f"case {case} ({kind}{suffix}, {len(data)} B): hang over {HARD_SECONDS}s")
        except Finding as exc:
            findings.append(f"case {case} ({kind}{suffix}, {len(data)} B): {exc}"[:500])
        except Exception as exc:  # every uncaught exception is a finding
            tb = traceback.format_exception(exc)
            findings.append(f"case {case} ({kind}{suffix}, {len(data)} B): uncaught {type(exc).__name__}: {exc}"[:300]
                            + "\n      " + "      ".join(tb[-3:]))
        finally:
            signal.alarm(0)
        elapsed = time.monotonic() - t0
        slowest = max(slowest, (elapsed, case))
        if elapsed > SLOW_SECONDS:
            findings.append(f"case {case} ({kind}{suffix}, {len(data)} B): took {elapsed:.1f}s (> {SLOW_SECONDS}s)")
        outcomes[f"case:{kind}"] += 1
        for path in ctx.tmp.iterdir():
            path.unlink()

    print(f"seed {args.seed}, {args.iterations} cases in {time.monotonic() - started:.0f}s "
          f"(slowest: case {slowest[1]}, {slowest[0]:.2f}s)")
    for key, count in sorted(outcomes.items()):
        print(f"  {key:45s} {count}")
    print(f"findings: {len(findings)}")
    for finding in findings:
        print(f"  {finding}\n    reproduce: python bench/fuzz_inputs.py --seed {args.seed} "
              f"--iterations {args.iterations} --case {finding.split()[1]}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
