"""Ctrl-C: one line saying what was committed, exit status 130, instead of Beam's tracebacks.

Ctrl-C raises KeyboardInterrupt wherever the main thread is; inside a Beam step the runner logs
it and re-raises it wrapped in a RuntimeError, so the command cannot catch it by type. The
handler records the interrupt and silences Beam's logging first; ``pipeline/cli.py`` then turns
whatever the command raises into one line. What the line says comes from the output itself (a
run registers its context): a commit journal means the next run completes the commit; a
manifest means the run had finished. The lock is released on the way out (a context manager),
and the cleaning helpers ignore SIGINT and are stopped by their parent.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

_INTERRUPTED = threading.Event()
_RUNS: list[tuple[str, str]] = []  # (output, run_id) of the run in progress, for the message


def install() -> None:
    """Handle SIGINT in this (main) thread; the default handler stays where Python left none."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _handle)


def _handle(_signum: int, _frame: FrameType | None) -> None:
    if not _INTERRUPTED.is_set():
        _INTERRUPTED.set()
        # Beam logs the KeyboardInterrupt of a step at ERROR with its traceback before re-raising it
        logging.getLogger("apache_beam").setLevel(logging.CRITICAL + 1)
    raise KeyboardInterrupt


def interrupted() -> bool:
    return _INTERRUPTED.is_set()


def register_run(output: str, run_id: str) -> None:
    """The run now writing ``output``: an interrupt reports what it had committed."""
    _RUNS.append((output, run_id))


def outcome(writes: bool = True) -> str:
    """What an interrupted command had done, from what its run left in the output (``writes``:
    False for a command that only reads, such as show or report)."""
    if not _RUNS:
        return "interrupted: nothing committed" if writes else "interrupted"
    from apache_beam.io.filesystems import FileSystems  # here: show and report never import Beam

    output, run_id = _RUNS[-1]
    base = output.rstrip("/")
    try:
        if FileSystems.exists(f"{base}/_runs/{run_id}.json"):
            return f"interrupted after run {run_id} had committed its tables and its manifest"
        if FileSystems.exists(f"{base}/_staging/{run_id}/_commit.json"):
            return (f"interrupted during the commit of run {run_id}: the next run on {output} completes it "
                    "before it starts")
    except Exception:  # any storage error: the one line must still be printed, the state is unknown
        return f"interrupted: run {run_id} may not have committed"
    return "interrupted: nothing committed"
