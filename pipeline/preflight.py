"""Operator mistakes found before a run starts: one line each, exit status 2, never a traceback.

A local ``--output`` must be a folder this process can write: a path naming a file, or a folder on
a read-only filesystem, would otherwise surface deep inside the lock (``FileExistsError``) or the
first write (``OSError: [Errno 30]``). gs:// outputs are checked by the lock itself (its create is
the first write), so here they pass.
"""

from __future__ import annotations

import os
import tempfile


class OutputUnusable(ValueError):
    """The output root cannot be used; the message says why."""


def check_output(output: str) -> None:
    """Create a local output folder if needed and prove it writable; raise OutputUnusable if not."""
    if "://" in output:
        return
    if os.path.exists(output) and not os.path.isdir(output):
        raise OutputUnusable(f"--output {output} is a file, not a folder: name a folder (it is created if missing)")
    try:
        os.makedirs(output, exist_ok=True)
    except OSError as exc:
        raise OutputUnusable(f"--output {output}: cannot create the folder ({exc.strerror})") from None
    try:  # what the lock and the writer do first: create a file in it
        handle, probe = tempfile.mkstemp(dir=output, prefix=".eventwire-write-check-")
        os.close(handle)
        os.remove(probe)
    except OSError as exc:
        raise OutputUnusable(f"--output {output}: cannot write there ({exc.strerror})") from None


def check_report_target(path: str) -> None:
    """``report --html FILE``: a local file's folder must exist (it is not created: a typo in the
    path would otherwise scatter folders), and FILE must not be a folder."""
    if "://" in path:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputUnusable(f"--html {path}: the folder {os.path.dirname(path) or '.'} does not exist")
    if os.path.isdir(path):
        raise OutputUnusable(f"--html {path} is a folder: name the HTML file to write")
