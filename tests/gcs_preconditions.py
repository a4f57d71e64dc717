"""GCS preconditions for tests: a proxy on 127.0.0.1 in front of ``gcp-storage-emulator``.

The emulator ignores ``ifGenerationMatch`` (a create-if-absent overwrites, a conditional delete
deletes) and the ``generation`` of a download or delete. Real GCS honours both; the proxy enforces
them the way GCS documents: a failed ``ifGenerationMatch`` answers 412 (0 = the object must not
exist, N = its live generation must be N), a ``generation`` that is not the live one answers 404
(a bucket without versioning keeps no other); a download says its generation (``X-Goog-Generation``),
as GCS's do. It asks the emulator for the object's metadata first,
then forwards; requests are handled one at a time, so check and forward are one atomic step.

``before_next(method, action)`` runs ``action`` once, just before the next such request is checked:
it lets a test put another client's request exactly inside a window of the code under test.
"""

from __future__ import annotations

import email.parser
import email.policy
import http.client
import json
import os
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.gcs_emulator import GcsEmulator

# the object a request names: JSON API, upload and download paths (object names are URL-quoted)
_OBJECT_PREFIXES = ("/storage/v1/b/", "/download/storage/v1/b/", "/upload/storage/v1/b/")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class PreconditionProxy:
    emulator: str  # http://127.0.0.1:PORT of the emulator
    host: str = ""  # http://127.0.0.1:PORT of the proxy: the value for STORAGE_EMULATOR_HOST
    refused: list[str] = field(default_factory=list)  # "METHOD name" of every request answered 412
    _serial: threading.Lock = field(default_factory=threading.Lock)
    _pending: dict[str, Callable[[], None]] = field(default_factory=dict)

    def before_next(self, method: str, action: Callable[[], None]) -> None:
        self._pending[method] = action

    def take_pending(self, method: str) -> Callable[[], None] | None:
        return self._pending.pop(method, None)

    def live_generation(self, bucket: str, name: str) -> int | None:
        """The object's generation as the emulator has it; None when it does not exist."""
        status, _, body = self.forward("GET", f"/storage/v1/b/{bucket}/o/{urllib.parse.quote(name, safe='')}", {}, b"")
        return int(json.loads(body)["generation"]) if status == 200 else None

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        target = urllib.parse.urlsplit(self.emulator)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _object_of(method: str, url: urllib.parse.SplitResult, query: dict[str, str], headers: dict[str, str],
               body: bytes) -> tuple[str, str] | None:
    """(bucket, object name) a request reads, writes or deletes; None for anything else."""
    for prefix in _OBJECT_PREFIXES:
        if url.path.startswith(prefix):
            bucket, _, rest = url.path[len(prefix):].partition("/")
            if rest.startswith("o/"):  # .../b/BUCKET/o/NAME
                return bucket, urllib.parse.unquote(rest[2:])
            if rest == "o" and method in ("POST", "PUT"):  # an upload: the name is in the query or the body
                if "name" in query:
                    return bucket, query["name"]
                return bucket, _uploaded_name(headers.get("content-type", ""), body)
    return None


def _uploaded_name(content_type: str, body: bytes) -> str:
    """The name in the metadata of a multipart upload (first part, JSON) or a resumable upload (JSON)."""
    if content_type.startswith("multipart/"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        metadata = next(message.iter_parts()).get_content()
        return json.loads(metadata)["name"]
    return json.loads(body or b"{}")["name"]


def _gcs_error(code: int, reason: str, message: str) -> bytes:
    """An error body shaped as GCS's JSON API answers it (google-api-core reads ``error.message``)."""
    return json.dumps({"error": {"code": code, "message": message,
                                 "errors": [{"domain": "global", "reason": reason, "message": message}]}}).encode()


def _refusal(proxy: PreconditionProxy, method: str, query: dict[str, str], target: tuple[str, str]) -> tuple[int, bytes] | None:
    """412 or 404 when the request's conditions do not hold for the live object; None to forward it."""
    wanted = query.get("ifGenerationMatch")
    pinned = query.get("generation")
    if wanted is None and pinned is None:
        return None
    live = proxy.live_generation(*target)
    if pinned is not None and method in ("GET", "DELETE") and live is not None and live != int(pinned):
        return 404, _gcs_error(404, "notFound", f"No such object: {target[0]}/{target[1]}")
    if wanted is None:
        return None
    if live is None and method in ("GET", "DELETE"):
        return None  # the emulator answers 404, as GCS does
    if (live or 0) != int(wanted):
        proxy.refused.append(f"{method} {target[1]}")
        return 412, _gcs_error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.")
    return None


def _handler(proxy: PreconditionProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body:
                headers["Content-Length"] = str(len(body))
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            action = proxy.take_pending(self.command)
            if action is not None:
                action()  # another client's requests, before this one is checked (not under the lock)
            with proxy._serial:
                target = _object_of(self.command, url, query, {k.lower(): v for k, v in headers.items()}, body)
                refusal = _refusal(proxy, self.command, query, target) if target else None
                if refusal is not None:
                    status, answer, response_headers = refusal[0], refusal[1], [("Content-Type", "application/json")]
                else:
                    status, response_headers, answer = proxy.forward(self.command, self.path, headers, body)
                    if target and status == 200 and query.get("alt") == "media":  # GCS names what it sent
                        response_headers.append(("X-Goog-Generation", str(proxy.live_generation(*target))))
            # the emulator names itself in mediaLink / selfLink: clients must come back here
            answer = answer.replace(proxy.emulator.encode(), proxy.host.encode())
            self.send_response(status)
            for key, value in response_headers:
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, *args: object) -> None:  # quiet
            pass

    return Handler


@pytest.fixture(scope="module")
def gcs_precondition_proxy(gcs_emulator: GcsEmulator) -> Iterator[PreconditionProxy]:
    proxy = PreconditionProxy(emulator=gcs_emulator.host)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.host = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def strict_gcs(gcs_precondition_proxy: PreconditionProxy) -> Iterator[PreconditionProxy]:
    """GCS clients created in this test talk to the proxy (STORAGE_EMULATOR_HOST), restored after."""
    saved = os.environ["STORAGE_EMULATOR_HOST"]
    os.environ["STORAGE_EMULATOR_HOST"] = gcs_precondition_proxy.host
    gcs_precondition_proxy.refused.clear()
    try:
        yield gcs_precondition_proxy
    finally:
        os.environ["STORAGE_EMULATOR_HOST"] = saved
        gcs_precondition_proxy._pending.clear()
