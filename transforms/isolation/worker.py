"""A per-element time (and memory) limit: run a function in a persistent helper process.

Beam runs DoFns in worker threads, where ``signal.alarm`` cannot be used, and a regex or a
parser stuck in C code cannot be interrupted from another thread at all. So the guarded work
runs in a child process, started on first use and kept for the next elements; an element
that exceeds its deadline gets the child killed (SIGKILL) and the next element a fresh one.
A child that dies (segfault, MemoryError under its address-space cap) is reported the same
way. The round trip costs a pickle and two pipe writes per element (see bench/guard_overhead.py).

The child is a plain ``python -m transforms.isolation.worker worker ...`` (not ``multiprocessing``), so it
starts the same under pytest, Beam's worker processes and Dataflow, whatever their ``__main__``
is; or, given a template (``start_template``), a fork of ``python -m transforms.isolation.worker template
...``, which has set up already (``transforms/isolation/template.py``). This module imports nothing of
ours but that one and never imports Beam.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import gc
import io
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from transforms.isolation import template as forking

_MEMORY_ERROR_EXIT = 70  # the child's exit status after a MemoryError (its state is not trusted after one)
_STARTUP_SECONDS = 120.0
_BIG_STRING = 1 << 16
_PIPE_BYTES = 1 << 20
# Children are started from this one long-lived thread: PR_SET_PDEATHSIG fires when the thread that
# started a child ends, and Beam retires idle worker threads; this thread lives as long as the process.
_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventwire-guard-spawner")


class GuardStartError(RuntimeError):
    """The helper process could not start: an environment problem, not a bad document."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one element: ``status`` is "ok", "error", "timeout" or "crashed"."""

    status: str
    value: Any = None  # the function's result when "ok"
    detail: str = ""


class _Pickler(pickle.Pickler):
    """Pickles big strings as UTF-8 bytes: plain pickle caches a UTF-8 copy inside the str (double memory)."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is str and len(obj) > _BIG_STRING:
            return _decode, (obj.encode("utf-8", "surrogatepass"),)
        return NotImplemented


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _widen(fd: int) -> None:
    """A 1 MiB pipe (Linux) moves a typical page in one write instead of 16 wake-ups."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _search_path() -> str:
    return os.pathsep.join(os.path.abspath(p) if p else os.getcwd() for p in sys.path)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "helper process stopped answering"
    if code == _MEMORY_ERROR_EXIT:
        return "helper process ran out of memory (MemoryError)"
    if code < 0:
        try:
            return f"helper process killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"helper process killed by signal {-code}"
    return f"helper process exited with status {code}"


def start_process(args: list[str], pass_fds: tuple[int, ...]) -> subprocess.Popen[bytes]:
    """``python -m transforms.isolation.worker ARGS``, started from the spawner thread (see ``_SPAWNER``)."""
    env = {**os.environ, "PYTHONPATH": _search_path()}
    return _SPAWNER.submit(subprocess.Popen, [sys.executable, "-m", "transforms.isolation.worker", *args],
                           stdin=subprocess.DEVNULL, pass_fds=pass_fds, env=env).result()


def start_template(factory: bytes, memory_bytes: int = 0) -> forking.Template | None:
    """A template process for helpers of the pickled ``factory`` (``transforms/isolation/template.py``);
    None where helpers cannot be forked (not Linux)."""
    if not forking.available():
        return None
    return forking.Template(start_process, factory, memory_bytes)


class GuardedWorker:
    """Calls ``factory()(item)`` in a helper process with a wall-clock limit per call.

    ``factory`` must be picklable (a top-level class or function); it runs once per helper
    process, so heavy setup (compiling rules, loading models) happens there, not per element.
    ``memory_bytes`` caps the helper's address space (0: no cap). Not thread-safe: one per DoFn.
    """

    def __init__(self, factory: Callable[[], Callable[[Any], Any]], timeout_seconds: float,
                 memory_bytes: int = 0, template: forking.Template | None = None) -> None:
        """``template``: fork the helper from it (``start_template``) instead of starting one that sets up."""
        self._factory = pickle.dumps(factory, protocol=pickle.HIGHEST_PROTOCOL)
        self.template = template
        self._timeout = timeout_seconds
        self._memory = memory_bytes
        self._proc: subprocess.Popen[bytes] | forking.ForkedProcess | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None
        self.restarts = 0
        self._starting = False  # spawned, "ready" not read yet
        self._submitted_at = 0.0
        self.last_compute_seconds = 0.0  # wall time the last element took inside the helper (overhead = call - this)
        self.last_compute_cpu_seconds = 0.0  # its CPU time there (for measuring the guard's own CPU cost)

    # --- lifecycle ------------------------------------------------------------------------

    def _spawn(self) -> None:
        """Start the helper (forked from the template, else a new process that is handed the factory),
        without waiting for it to be ready: its set-up overlaps with the caller's work."""
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        _widen(to_child_w)
        _widen(from_child_w)
        forked = False
        try:
            if self.template is not None and self.template.alive:
                try:
                    self._proc = self.template.fork(to_child_r, from_child_w)
                    forked = True
                except OSError:  # the template is gone: this helper sets up on its own
                    pass
            if not forked:
                self._proc = start_process(["worker", str(to_child_r), str(from_child_w), str(os.getpid()),
                                            str(self._memory)], (to_child_r, from_child_w))
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._send = Connection(to_child_w, readable=False)
        self._recv = Connection(from_child_r, writable=False)
        if not forked:
            self._send.send_bytes(self._factory)
        self._starting = True

    def start(self) -> None:
        """Start the helper now, without waiting: it sets up while the caller does other work."""
        if self._proc is None:
            self._spawn()

    def _confirm_ready(self) -> None:
        """Wait for the helper's "ready" (or the reason it could not set up: a GuardStartError)."""
        assert self._proc is not None and self._recv is not None
        self._starting = False
        if not self._recv.poll(_STARTUP_SECONDS):
            self.close()
            raise GuardStartError(f"helper process did not start within {_STARTUP_SECONDS:.0f}s")
        try:
            ready = pickle.loads(self._recv.recv_bytes())
        except (EOFError, OSError) as exc:
            code = self._proc.wait(5)
            self.close()
            raise GuardStartError(f"helper process failed to start: {_describe_exit(code)}") from exc
        if ready != "ready":
            self.close()
            raise GuardStartError(f"helper process failed to start: {ready}")

    def close(self) -> None:
        """Kill the helper (if any); the next call starts a new one."""
        for conn in (self._send, self._recv):
            if conn is not None:
                conn.close()
        self._send = self._recv = None
        self._starting = False
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._proc = None

    def _restart_after(self) -> int | None:
        """Reap the helper, return its exit status, and count a restart for the next call."""
        code = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            code = self._proc.wait()
        self.close()
        self.restarts += 1
        return code

    # --- calls ----------------------------------------------------------------------------

    def call(self, item: Any) -> Outcome:
        """Run ``item`` through the helper and wait for its outcome."""
        return self.submit(item) or self.result()

    def submit(self, item: Any) -> Outcome | None:
        """Hand ``item`` to the helper without waiting; its time limit starts now (or, for a helper
        still starting, when it is ready).

        Returns None when the helper took it (``result()`` collects it), or the outcome at once
        when the helper could not even receive it. One element at a time per helper.
        """
        payload = _dumps(item)
        for attempt in (1, 2):
            if self._proc is None:
                self._spawn()
            assert self._send is not None and self._recv is not None
            try:
                self._send.send_bytes(payload)
                break
            except OSError:  # the idle helper died between elements: not this element's fault, retry once
                if self._starting:
                    self._confirm_ready()  # a helper that could not set up says why (GuardStartError)
                code = self._restart_after()
                if attempt == 2:
                    return Outcome("crashed", detail=_describe_exit(code))
        self._submitted_at = time.monotonic()
        return None

    @property
    def deadline(self) -> float:
        """When the submitted element's time is up (``time.monotonic()`` clock)."""
        return self._submitted_at + self._timeout

    @property
    def connection(self) -> Connection | None:
        """What ``multiprocessing.connection.wait`` watches for the submitted element's reply."""
        return self._recv

    def result(self) -> Outcome:
        """The outcome of the submitted element, waiting until its deadline at most."""
        assert self._recv is not None
        if self._starting:  # the element's time starts when the helper is ready for it
            self._confirm_ready()
            self._submitted_at = time.monotonic()
        if not self._recv.poll(max(0.0, self.deadline - time.monotonic())):
            self._restart_after()
            return Outcome("timeout", detail=f"no result after {time.monotonic() - self._submitted_at:.1f}s "
                                             f"(limit {self._timeout:g}s); helper process restarted")
        try:
            status, value, (self.last_compute_seconds, self.last_compute_cpu_seconds) = pickle.loads(
                self._recv.recv_bytes())
        except (EOFError, OSError):
            return Outcome("crashed", detail=_describe_exit(self._restart_after()))
        if status == "ok":
            return Outcome("ok", value)
        return Outcome("error", detail=str(value))

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> GuardedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Echo:
    """A factory whose function returns each element unchanged: measures the bare round trip."""

    def __call__(self) -> Callable[[Any], Any]:
        return _identity


def _identity(item: Any) -> Any:
    return item


# --- the helper process ---------------------------------------------------------------------


def _die_with_parent(parent_pid: int) -> None:
    """Linux: get SIGKILL when the starting thread (the spawner, i.e. the process) ends."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the child still exits at EOF on its input when the parent goes
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def _set_up(inbox: Connection) -> Callable[[Any], Any] | str:
    """The factory's function, or why it could not be made (sent instead of "ready")."""
    try:
        fn = pickle.loads(inbox.recv_bytes())()
    except Exception as exc:  # report why the helper cannot work, then stop
        return f"{type(exc).__name__}: {exc}"
    gc.freeze()  # the models live as long as the helper: full collections need not walk them
    return fn


def _serve(fn: Callable[[Any], Any], inbox: Connection, outbox: Connection) -> None:
    outbox.send_bytes(pickle.dumps("ready"))
    while True:
        try:
            item = pickle.loads(inbox.recv_bytes())
        except EOFError:
            return  # the parent closed the pipe
        try:
            started, cpu = time.perf_counter(), time.process_time()
            value = fn(item)
            reply = _dumps(("ok", value, (time.perf_counter() - started, time.process_time() - cpu)))
        except MemoryError:
            os._exit(_MEMORY_ERROR_EXIT)
        except Exception as exc:  # the isolation boundary: whatever one element raises is that element's error
            reply = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"[:300], (0.0, 0.0)))
        outbox.send_bytes(reply)


def _serve_forked(fn: Callable[[Any], Any], inbox: Connection, outbox: Connection, template_pid: int) -> None:
    _die_with_parent(template_pid)
    _serve(fn, inbox, outbox)


def main(argv: list[str]) -> None:
    """``worker INBOX OUTBOX PARENT MEMORY`` (a helper) or ``template INBOX SOCKET PARENT MEMORY``."""
    mode, first_fd, second_fd, parent_pid, memory = argv[0], *(int(a) for a in argv[1:])
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent decides
    if memory > 0:  # a template's limit is its helpers' too: they inherit it
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    inbox = Connection(first_fd, writable=False)
    made = _set_up(inbox)
    if mode == "template":
        inbox.close()
        import socket

        forking.serve_template(made, socket.socket(fileno=second_fd), _serve_forked)
        return
    outbox = Connection(second_fd, readable=False)
    if isinstance(made, str):
        outbox.send_bytes(pickle.dumps(made))
        return
    _serve(made, inbox, outbox)


if __name__ == "__main__":
    main(sys.argv[1:])
