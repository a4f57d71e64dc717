"""The guarded HTTP client: polite, bounded fetches that cannot reach the local network.

``GuardedFetcher.fetch(url)`` returns a ``FetchResult`` (2xx or 304) or a ``FetchError``
with a stable reason id (``fetch/timeout``, ``fetch/blocked_address``, ``fetch/http_404``,
...); it never raises for anything the remote side does. What it guarantees:

- only http and https; every connection (each redirect hop, each retry) goes through
  ``netguard.open_checked_socket``, which checks the resolved and the connected address;
- redirects followed here, never by urllib3, at most ``max_redirects`` hops;
- a connect timeout, a read timeout, and a wall-clock deadline enforced by a watchdog
  that shuts the socket down (a server trickling a byte a second cannot hold a worker);
- a streamed size cap on the wire and after gzip/deflate decompression;
- retries with exponential backoff and jitter on connect errors, 429 and 5xx, honouring
  ``Retry-After``; a Retry-After longer than ``max_retry_after_seconds`` defers the host
  for the rest of the run (``fetch/host_deferred``);
- per host one request at a time and ``min_host_delay_seconds`` between two requests;
- a host that failed (no DNS answer, connection refused or timed out after the retries, a
  refused address, or 5xx on two fetches in a row) is not tried again by this fetcher: its
  later URLs fail at once with the same reason and a detail that begins "not tried".
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)

from transforms.net.addresses import BlockedAddressError
from transforms.net.connections import DeadlineWatch, deadline_watch, guarded_pool_manager
from transforms.settings import FetchSettings
from transforms.version import VERSION

PROJECT_URL = "https://github.com/eventwire/eventwire"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


def default_user_agent() -> str:
    return f"eventwire/{VERSION} (+{PROJECT_URL})"


@dataclass(frozen=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 2xx, or 304 (not modified: empty body)
    headers: Mapping[str, str]  # lower-case names
    body: bytes  # decompressed
    charset: str | None  # from Content-Type
    content_type: str | None  # media type only, lower-case
    elapsed: float
    redirects: int = 0


@dataclass(frozen=True)
class FetchError:
    url: str
    reason: str  # "fetch/what"
    detail: str
    status: int | None = None
    elapsed: float = 0.0


class _Failure(Exception):
    """Internal: one attempt failed; ``retry_after`` set when the attempt may be retried."""

    def __init__(self, reason: str, detail: str, status: int | None = None, retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.status = reason, detail, status
        self.retryable, self.retry_after = retryable, retry_after


# What makes a host not worth another request in the same run: it has no address, refuses or never
# answers connections (each already retried), or its address is refused by policy.
HOST_FAILURES = frozenset({"fetch/dns_error", "fetch/connect_error", "fetch/blocked_address"})
NOT_TRIED = "not tried"  # how the detail of a fetch skipped for its failed host begins
SERVER_ERRORS_BEFORE_HOST_FAILS = 2  # fetches in a row ending in 5xx after their retries: the host is down


# --- helpers ----------------------------------------------------------------------------


def host_port(url: str) -> str:
    """``host:port`` of a URL (the default port of its scheme when none): what one server is."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url[:200]
    host = (parts.hostname or "").lower()
    return f"{host}:{port or (443 if parts.scheme.lower() == 'https' else 80)}"


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _content_type(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    raw = headers.get("content-type")
    if not raw:
        return None, None
    media, _, params = raw.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return media.strip().lower() or None, charset


class _Decoder:
    """gzip/deflate with an output cap (a gzip bomb stops at the cap, not in memory)."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap, self.size = cap, 0
        if encoding in ("gzip", "x-gzip"):
            self._zlib: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()  # zlib-wrapped, as RFC 9110 says
        elif encoding in ("", "identity"):
            self._zlib = None
        else:
            raise _Failure("fetch/unsupported_encoding", f"content-encoding {encoding!r}")

    def feed(self, data: bytes) -> bytes:
        if self._zlib is None:
            out = data
        else:
            try:
                out = self._zlib.decompress(data, self.cap - self.size + 1)
                if self._zlib.unconsumed_tail:
                    raise _Failure("fetch/too_large", f"more than {self.cap} bytes after decompression")
            except zlib.error as exc:
                raise _Failure("fetch/bad_encoding", f"corrupt compressed body: {exc}") from exc
        self.size += len(out)
        if self.size > self.cap:
            raise _Failure("fetch/too_large", f"more than {self.cap} bytes after decompression")
        return out

    def finish(self) -> None:
        if self._zlib is not None and not self._zlib.eof:
            raise _Failure("fetch/truncated", "compressed body ends early")


# --- the client -------------------------------------------------------------------------


class GuardedFetcher:
    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.user_agent = settings.user_agent or default_user_agent()
        self._manager = guarded_pool_manager(settings.allow_private_networks)
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._host_last: dict[str, float] = {}
        self.deferred_hosts: dict[str, float] = {}  # host -> seconds the server asked us to wait
        # host:port -> why it is not tried again in this run (DNS, connect, blocked, repeated 5xx): the
        # next page of a dead host would cost its retries and the per-host delay for the same answer
        self.failed_hosts: dict[str, tuple[str, str]] = {}  # -> (reason, detail) of the failure
        self.skipped = 0  # fetches not tried because their host had failed
        self._server_errors: dict[str, int] = {}  # host:port -> fetches in a row that ended in 5xx
        self.requests = 0  # HTTP requests sent (tests and run summaries count them)

    def close(self) -> None:
        self._manager.clear()

    def forget_failed_hosts(self) -> None:
        """Try every host again: a long-lived fetcher (the streaming job's) starts each batch of pages
        without the failures of the last one."""
        self.failed_hosts.clear()
        self._server_errors.clear()

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None,
              max_bytes: int | None = None) -> FetchResult | FetchError:
        start = time.monotonic()
        with deadline_watch(start + self.settings.deadline_seconds) as watch:
            try:
                return self._follow(url, etag, last_modified, max_bytes or self.settings.max_bytes, start, watch)
            except _Failure as failure:
                return FetchError(url, failure.reason, failure.detail, failure.status, time.monotonic() - start)

    def _follow(self, url: str, etag: str | None, last_modified: str | None, max_bytes: int,
                start: float, watch: DeadlineWatch) -> FetchResult:
        current, hops = url, 0
        while True:
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise _Failure("fetch/unsupported_scheme", f"not an http(s) URL: {current[:200]}")
            headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}
            if hops == 0:  # validators belong to the URL they came from
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
            status, response_headers, body = self._with_retries(current, headers, max_bytes, start, watch)
            if status in _REDIRECTS:
                location = response_headers.get("location")
                if not location:
                    raise _Failure("fetch/bad_redirect", f"HTTP {status} without Location", status)
                hops += 1
                if hops > self.settings.max_redirects:
                    raise _Failure("fetch/too_many_redirects", f"more than {self.settings.max_redirects} redirects")
                current = urljoin(current, location.strip())
                continue
            media, charset = _content_type(response_headers)
            return FetchResult(url, current, status, response_headers, body, charset, media,
                               time.monotonic() - start, hops)

    def _with_retries(self, url: str, headers: dict[str, str], max_bytes: int, start: float,
                      watch: DeadlineWatch) -> tuple[int, dict[str, str], bytes]:
        key = host_port(url)
        if key in self.failed_hosts:  # the same reason as the failure it repeats; the detail says so
            reason, detail = self.failed_hosts[key]
            self.skipped += 1
            raise _Failure(reason, f"{NOT_TRIED}: {key} failed earlier in this run ({detail})")
        try:
            result = self._retrying(url, headers, max_bytes, start, watch)
        except _Failure as failure:
            self._note_host_failure(key, failure)
            raise
        self._server_errors.pop(key, None)
        return result

    def _note_host_failure(self, key: str, failure: _Failure) -> None:
        if failure.reason in HOST_FAILURES:
            self.failed_hosts[key] = (failure.reason, failure.detail[:300])
        elif failure.status is not None and 500 <= failure.status <= 599:
            self._server_errors[key] = self._server_errors.get(key, 0) + 1
            if self._server_errors[key] >= SERVER_ERRORS_BEFORE_HOST_FAILS:
                self.failed_hosts[key] = (failure.reason, f"HTTP {failure.status} on {self._server_errors[key]} "
                                          "fetches in a row, each retried")

    def _retrying(self, url: str, headers: dict[str, str], max_bytes: int, start: float,
                  watch: DeadlineWatch) -> tuple[int, dict[str, str], bytes]:
        host = (urlsplit(url).hostname or "").lower()
        deadline = start + self.settings.deadline_seconds
        attempt = 0
        while True:
            if host in self.deferred_hosts:
                raise _Failure("fetch/host_deferred",
                               f"{host} asked to wait {self.deferred_hosts[host]:.0f}s; deferred to the next run")
            try:
                return self._attempt(url, host, headers, max_bytes, deadline, watch)
            except _Failure as failure:
                if not failure.retryable:
                    raise
                if failure.retry_after is not None and failure.retry_after > self.settings.max_retry_after_seconds:
                    self.deferred_hosts[host] = failure.retry_after
                    raise _Failure(failure.reason, f"{failure.detail}; Retry-After {failure.retry_after:.0f}s: "
                                   "host deferred to the next run", failure.status) from None
                if attempt >= self.settings.retries:
                    raise
                wait = failure.retry_after
                if wait is None:
                    step = min(self.settings.backoff_max_seconds, self.settings.backoff_seconds * 2**attempt)
                    wait = step / 2 + random.uniform(0, step / 2)  # jitter: retries of many workers spread out
                if time.monotonic() + wait >= deadline:
                    raise _Failure(failure.reason, f"{failure.detail}; no time left to retry", failure.status) from None
                time.sleep(wait)
                attempt += 1

    def _host_lock(self, host: str) -> threading.Lock:
        with self._lock:
            return self._host_locks.setdefault(host, threading.Lock())

    def _attempt(self, url: str, host: str, headers: dict[str, str], max_bytes: int, deadline: float,
                 watch: DeadlineWatch) -> tuple[int, dict[str, str], bytes]:
        with self._host_lock(host):
            pause = self._host_last.get(host, -1e9) + self.settings.min_host_delay_seconds - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                return self._request(url, headers, max_bytes, deadline, watch)
            finally:
                self._host_last[host] = time.monotonic()

    def _request(self, url: str, headers: dict[str, str], max_bytes: int, deadline: float,
                 watch: DeadlineWatch) -> tuple[int, dict[str, str], bytes]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Failure("fetch/deadline", f"deadline of {self.settings.deadline_seconds}s passed")
        timeout = urllib3.Timeout(connect=min(self.settings.connect_timeout, remaining),
                                  read=min(self.settings.read_timeout, remaining))
        self.requests += 1
        try:
            response = self._manager.urlopen("GET", url, headers=headers, redirect=False, retries=False,
                                             preload_content=False, decode_content=False, timeout=timeout,
                                             pool_timeout=remaining)  # never wait forever for the host's connection
        except BlockedAddressError as exc:
            hint = ("; --allow-private-networks allows loopback, private, link-local, CGNAT and unique-local "
                    "addresses (an intranet feed)") if exc.opt_in_allows and not self.settings.allow_private_networks else ""
            raise _Failure("fetch/blocked_address", f"{exc}{hint}") from None
        except NameResolutionError as exc:
            raise _Failure("fetch/dns_error", str(exc)) from None
        except (ConnectTimeoutError, NewConnectionError) as exc:
            raise _Failure("fetch/connect_error", str(exc), retryable=True) from None
        except (HTTPError, OSError) as exc:
            if watch.expired:
                raise _Failure("fetch/deadline", f"deadline of {self.settings.deadline_seconds}s passed") from None
            if isinstance(exc, ReadTimeoutError):
                raise _Failure("fetch/timeout", f"no response within {timeout.read_timeout}s") from None
            raise _Failure("fetch/connection_error", f"{type(exc).__name__}: {exc}") from None
        try:
            status = response.status
            response_headers = {k.lower(): v for k, v in response.headers.items()}
            if status == 429 or 500 <= status <= 599:
                raise _Failure(f"fetch/http_{status}", f"HTTP {status}", status, retryable=True,
                               retry_after=parse_retry_after(response_headers.get("retry-after")))
            if status in _REDIRECTS or status == 304:
                return status, response_headers, b""
            if not 200 <= status <= 299:
                raise _Failure(f"fetch/http_{status}", f"HTTP {status}", status)
            body = self._read_body(response, response_headers, max_bytes, watch)
            return status, response_headers, body
        finally:
            response.close()  # an unread body is never drained (it may be endless)
            response.release_conn()

    def _read_body(self, response: urllib3.BaseHTTPResponse, headers: Mapping[str, str], max_bytes: int,
                   watch: DeadlineWatch) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _Failure("fetch/too_large", f"Content-Length {declared} over the cap of {max_bytes} bytes")
        decoder = _Decoder(headers.get("content-encoding", "").strip().lower(), self.settings.max_decoded_bytes)
        chunks: list[bytes] = []
        wire = 0
        try:
            while True:
                data = response.read1(_CHUNK, decode_content=False)
                if not data:
                    break
                wire += len(data)
                if wire > max_bytes:
                    raise _Failure("fetch/too_large", f"more than {max_bytes} bytes on the wire")
                chunks.append(decoder.feed(data))
        except (HTTPError, OSError) as exc:
            if watch.expired:
                raise _Failure("fetch/deadline", f"deadline of {self.settings.deadline_seconds}s passed") from None
            if isinstance(exc, ReadTimeoutError):
                raise _Failure("fetch/timeout", "read timed out") from None
            raise _Failure("fetch/truncated", f"{type(exc).__name__}: {exc}") from None
        if watch.expired:  # the watchdog may end a read as a clean-looking EOF
            raise _Failure("fetch/deadline", f"deadline of {self.settings.deadline_seconds}s passed")
        decoder.finish()
        return b"".join(chunks)
