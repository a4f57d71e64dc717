"""urllib3 connections for the guarded fetcher: every socket is opened by
``netguard.open_checked_socket`` (the resolved and the connected address are checked), and a
per-fetch wall-clock deadline shuts the fetch's sockets down, so a server trickling a byte a
second cannot hold a worker past ``deadline_seconds``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from transforms.net.addresses import BlockedAddressError, open_checked_socket

_WATCH = threading.local()


class DeadlineWatch:
    """Shuts down every socket of the current fetch when its wall-clock deadline passes."""

    def __init__(self, deadline: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


@contextlib.contextmanager
def deadline_watch(deadline: float) -> Iterator[DeadlineWatch]:
    """The watch of one fetch: connections opened in this thread meanwhile register with it."""
    watch = DeadlineWatch(deadline)
    _WATCH.current = watch
    try:
        yield watch
    finally:
        _WATCH.current = None
        watch.cancel()


class _GuardedConnectionMixin:
    allow_private_networks = False

    def _new_conn(self) -> socket.socket:
        try:
            return open_checked_socket(
                self._dns_host,  # type: ignore[attr-defined]
                self.port,  # type: ignore[attr-defined]
                self.timeout if isinstance(self.timeout, (int, float)) else None,  # type: ignore[attr-defined]
                self.allow_private_networks,
                self.socket_options,  # type: ignore[attr-defined]
            )
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[attr-defined,arg-type]
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"connect to {self.host} timed out") from exc  # type: ignore[attr-defined]
        except BlockedAddressError:
            raise
        except OSError as exc:
            raise NewConnectionError(self, f"failed to connect: {exc}") from exc  # type: ignore[arg-type]

    def getresponse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        watch = getattr(_WATCH, "current", None)
        if watch is not None and self.sock is not None:  # type: ignore[attr-defined]
            watch.register(self.sock)  # type: ignore[attr-defined]
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


def guarded_pool_manager(allow_private: bool) -> urllib3.PoolManager:
    class Conn(_GuardedConnectionMixin, HTTPConnection):
        allow_private_networks = allow_private

    class SecureConn(_GuardedConnectionMixin, HTTPSConnection):
        allow_private_networks = allow_private

    class Pool(HTTPConnectionPool):
        ConnectionCls = Conn

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = SecureConn

    # maxsize=1, block=True: at most one connection per host in this process.
    manager = urllib3.PoolManager(num_pools=64, maxsize=1, block=True, retries=False)
    manager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}  # type: ignore[assignment]
    return manager
