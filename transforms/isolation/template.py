"""Helpers forked from a warm template: their set-up (imports, models: ~1 s of CPU each) is paid once.

A ``Template`` is one helper process (``python -m transforms.isolation.worker template ...``) that runs the
factory and then only forks: every helper of a pool is a copy of it, ready at once, sharing the
models' memory pages with it until they write to them. A helper killed after a timeout or a
crash is replaced by a fork too, in milliseconds instead of a second of set-up.

The launcher and the template talk over a Unix socket: the launcher sends "fork" with the new
helper's two pipe ends (SCM_RIGHTS), the template answers with the helper's pid, in order, and
reports every helper's exit status (it is their parent; the launcher cannot wait for them).
Linux only (``available()``); elsewhere, and whenever the template is gone, helpers are spawned
one by one as before. Stdlib only, Beam-free, like the guard.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

_FORK = b"F"
# what a forked helper runs: (the factory's function, its inbox, its outbox, the template's pid)
ServeChild = Callable[[Callable[[Any], Any], Connection, Connection, int], None]
_PID_WAIT_SECONDS = 120.0  # the template answers a fork once its own set-up is done


def available() -> bool:
    """Whether helpers can be forked from a template here (Linux: fork, SCM_RIGHTS, SOCK_SEQPACKET)."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


class ForkedProcess:
    """A helper forked by a template: the subset of ``subprocess.Popen`` the guard uses."""

    def __init__(self, template: Template) -> None:
        self._template = template
        self._pid: int | None = None
        self._known = False  # the template has answered (pid, or 0: it could not fork)
        self.returncode: int | None = None

    @property
    def pid(self) -> int | None:
        if not self._known:
            self._template.await_pid(self)
        return self._pid or None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._template.exit_status(self, block_seconds=0.0)
        return self.returncode

    def kill(self) -> None:
        pid = self.pid
        if pid and self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it ended just now
                os.kill(pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status (as ``Popen.returncode``); None when the template went away without it."""
        if self.returncode is None:
            limit = _PID_WAIT_SECONDS if timeout is None else timeout
            self.returncode = self._template.exit_status(self, block_seconds=limit)
            if self.returncode is None and self._template.alive:
                raise subprocess.TimeoutExpired("forked helper", limit)
        return self.returncode


class Template:
    """One warm helper that forks the others (see the module docstring). Thread-safe."""

    def __init__(self, spawn: Callable[[list[str], tuple[int, ...]], subprocess.Popen[bytes]], factory: bytes,
                 memory_bytes: int) -> None:
        """``spawn(args, pass_fds)`` starts ``python -m transforms.isolation.worker ARGS`` (``guard.start_process``)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        factory_r, factory_w = os.pipe()
        args = ["template", str(factory_r), str(theirs.fileno()), str(os.getpid()), str(memory_bytes)]
        try:
            self._proc = spawn(args, (factory_r, theirs.fileno()))
        finally:
            os.close(factory_r)
            theirs.close()
        with Connection(factory_w, readable=False) as pipe:
            pipe.send_bytes(factory)  # the pipe holds it until the template reads it: no waiting here
        self._socket = ours
        self._lock = threading.RLock()
        self._awaiting: list[ForkedProcess] = []  # forks asked for, pid not yet answered (in order)
        self._exits: dict[int, int] = {}  # pid -> exit status, reported by the template
        self.alive = True

    def fork(self, inbox_fd: int, outbox_fd: int) -> ForkedProcess:
        """A new helper that reads its elements from ``inbox_fd`` and writes its replies to ``outbox_fd``
        (the caller closes its copies of both). OSError when the template is gone: the caller then
        spawns the helper itself."""
        with self._lock:
            if not self.alive:
                raise BrokenPipeError("the helper template has stopped")
            try:
                socket.send_fds(self._socket, [_FORK], [inbox_fd, outbox_fd])
            except OSError:
                self._gone()  # it died since its last message: helpers are spawned from now on
                raise
            child = ForkedProcess(self)
            self._awaiting.append(child)
        return child

    def await_pid(self, child: ForkedProcess) -> None:
        deadline = time.monotonic() + _PID_WAIT_SECONDS
        with self._lock:
            while not child._known and self.alive and time.monotonic() < deadline:
                self._read_messages(deadline - time.monotonic())
            child._known = True  # an unanswered fork (template gone) has no process to signal

    def exit_status(self, child: ForkedProcess, block_seconds: float) -> int | None:
        if child.pid is None:
            return 1  # never forked: nothing runs, the guard sees its pipes closed
        deadline = time.monotonic() + block_seconds
        with self._lock:
            self._read_messages(0.0)
            while child._pid not in self._exits and self.alive and time.monotonic() < deadline:
                self._read_messages(deadline - time.monotonic())
            return self._exits.pop(child._pid, None)

    def _read_messages(self, timeout: float) -> None:
        """Read what the template reported (waiting up to ``timeout`` for the first message). Under the lock."""
        if not self.alive:
            return  # closed, or it went away: nothing more will come
        wait = max(0.0, timeout)
        poller = select.poll()  # not select.select: the launcher may hold more than 1024 descriptors
        poller.register(self._socket, select.POLLIN)
        while poller.poll(wait * 1000):
            wait = 0.0
            try:
                message = self._socket.recv(64)
            except OSError:
                message = b""
            if not message:
                self._gone()
                return
            kind, *numbers = message.split()
            if kind == b"P" and self._awaiting:
                child = self._awaiting.pop(0)
                child._pid, child._known = int(numbers[0]), True
            elif kind == b"X":
                self._exits[int(numbers[0])] = int(numbers[1])

    def _gone(self) -> None:
        self.alive = False
        for child in self._awaiting:
            child._known = True
        self._awaiting.clear()

    def running(self) -> bool:
        """Whether the template process still runs (``alive`` learns of its end only from its socket)."""
        return self.alive and self._proc.poll() is None

    def close(self) -> None:
        """Stop the template; helpers it forked and that still run get SIGKILL (their parent died)."""
        with self._lock:
            self._gone()
            self._socket.close()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()


# --- the template process -------------------------------------------------------------------


def serve_template(made: Callable[[Any], Any] | str, control: socket.socket,
                   serve_child: ServeChild) -> None:
    """The template's loop: fork a helper per request until the launcher closes the socket.

    ``made`` is the factory's function, or why the factory failed (each helper asked for then
    gets that reason as its answer, as a spawned helper would send it).
    """
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wake-up fd hears of exits
    try:
        while True:
            ready = select.select([control, wake_r], [], [])[0]
            if wake_r in ready:
                os.read(wake_r, 512)
                _report_exits(control)
            if control in ready:
                message, fds, _, _ = socket.recv_fds(control, 16, 2)
                if not message:
                    return  # the launcher closed the socket: no more helpers
                pid = _fork_helper(made, fds, control, (wake_r, wake_w), serve_child)
                control.send(b"P %d" % pid)
    except OSError:
        return  # the launcher is gone


def _fork_helper(made: Callable[[Any], Any] | str, fds: list[int], control: socket.socket,
                 wake: tuple[int, int], serve_child: ServeChild) -> int:
    inbox, outbox = (Connection(fds[0], writable=False), Connection(fds[1], readable=False))
    if isinstance(made, str):
        outbox.send_bytes(pickle.dumps(made))
        inbox.close()
        outbox.close()
        return 0
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the helper: it never returns into the template's loop
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            control.close()
            for fd in wake:
                os.close(fd)
            serve_child(made, inbox, outbox, parent)
        finally:
            os._exit(0)
    inbox.close()
    outbox.close()
    return pid


def _report_exits(control: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        control.send(b"X %d %d" % (pid, os.waitstatus_to_exitcode(status)))
