"""A real HTTP server on 127.0.0.1 for the feed and fetch tests: corpus feeds rewritten to
local article pages, plus hostile endpoints (trickle, endless body, gzip bomb, redirect
loops, redirects to guarded addresses, 500-then-200, 429 with Retry-After, 304)."""

from __future__ import annotations

import collections
import gzip
import hashlib
import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import feedparser

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
PAGES = sorted(p.name for p in (FIXTURES / "pages").glob("*.html"))
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


def localize_feed(data: bytes, base: str, prefix: str) -> tuple[bytes, list[str]]:
    """The feed with every entry link pointing at a distinct local article URL; returns the new links."""
    parsed = feedparser.parse(io.BytesIO(data))
    links = []
    for i, entry in enumerate(parsed.entries):
        local = f"{base}/articles/{PAGES[i % len(PAGES)]}?feed={prefix}&entry={i}"
        original = entry["link"]
        assert original.encode() in data or escape(original).encode() in data, original
        data = data.replace(escape(original).encode(), escape(local).encode())
        data = data.replace(original.encode(), escape(local).encode())
        links.append(local)
    return data, links


class Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        srv = self.server
        with srv.lock:
            srv.hits[path] += 1
            srv.requests.append((self.path, dict(self.headers.items())))
            count = srv.hits[path]
        if path.startswith("/feeds/"):
            body = srv.feeds.get(path)
            if body is None:
                return self._send(404)
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, headers={"ETag": etag})
            return self._send(200, body, {"Content-Type": "application/xml", "ETag": etag,
                                          "Last-Modified": "Mon, 01 Feb 2016 17:00:00 GMT"})
        if path.startswith("/articles/"):
            page = FIXTURES / "pages" / path.rsplit("/", 1)[1]
            if not page.is_file():
                return self._send(404)
            return self._send(200, page.read_bytes(), {"Content-Type": "text/html; charset=utf-8"})
        if path == "/slow":  # 1 byte every 0.2 s, far less than the declared length
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return None
        if path == "/slow-headers":  # the status line itself trickles
            try:
                for byte in b"HTTP/1.0 200 OK\r\nX-Padding: " + b"a" * 1000:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            return None
        if path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"<p>" + b"x" * 65536 + b"</p>")
            except OSError:
                pass
            return None
        if path == "/gzipbomb":
            return self._send(200, BOMB, {"Content-Type": "text/html", "Content-Encoding": "gzip"})
        if path == "/gzipped":
            page = (FIXTURES / "pages" / PAGES[0]).read_bytes()
            return self._send(200, gzip.compress(page), {"Content-Type": "text/html; charset=utf-8",
                                                          "Content-Encoding": "gzip"})
        if path == "/loop":
            return self._send(302, headers={"Location": "/loop"})
        if path == "/redirect":
            return self._send(302, headers={"Location": query["to"][0]})
        if path == "/chain":  # /chain?n=3 -> 3 redirects, then a page
            n = int(query["n"][0])
            target = f"/chain?n={n - 1}" if n > 0 else f"/articles/{PAGES[0]}"
            return self._send(302, headers={"Location": target})
        if path == "/flaky":
            if count == 1:
                return self._send(500, b"oops")
            return self._send(200, b"<html><body><p>recovered</p></body></html>", {"Content-Type": "text/html"})
        if path == "/busy":
            if count == 1:
                return self._send(429, headers={"Retry-After": "1"})
            return self._send(200, b"<html><body><p>served</p></body></html>", {"Content-Type": "text/html"})
        if path == "/busy-long":
            return self._send(429, headers={"Retry-After": "3600"})
        if path == "/error":
            return self._send(503)
        return self._send(404)


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), Handler)
        self.lock = threading.Lock()
        self.hits: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.feeds: dict[str, bytes] = {}
        self.base = f"http://{host}:{self.server_address[1]}"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def page_hits(self) -> int:
        with self.lock:
            return sum(n for p, n in self.hits.items() if p.startswith("/articles/"))


class CountingListener:
    """A TCP listener that only counts the connections it accepts (the guarded target)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()
