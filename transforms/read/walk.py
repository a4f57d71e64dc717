"""The local input walk: every regular file under a folder or matching a glob, streamed.

Beam's local listing (``os.walk`` plus ``getsize``) silently drops what it cannot stat (a
dangling or looping symlink), never descends into a linked folder, and lists a FIFO, socket or
device as a file: opening a FIFO then blocks the run forever. This walk follows folder links
(each real folder once: a link loop ends there), yields regular files only, and turns everything
else into a ``Reject`` counted as an input record (``read/not_a_file``, ``read/io_error`` with the
cause). The run's own output root is never walked: its lock, Parquet files and manifests are
not inputs. Paths are yielded one by one (no listing is held), in a stable order per folder.

Globs keep Beam's syntax (``*`` within a path segment, ``**`` across segments: the same
``FileSystem.translate_pattern``): the folder before the first wildcard is walked and every path
is matched against the pattern. Pure functions over the local filesystem; no Beam pipeline code.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from apache_beam.io.filesystem import FileSystem

from transforms.records import Reject


@dataclass(frozen=True)
class Found:
    """A regular file to read."""

    path: str
    size: int


_WILDCARD = re.compile(r"[*?\[]")


def _cause(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "dangling symlink or file removed while listing"
    return f"{type(exc).__name__}: {exc.strerror or exc}"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def classify(path: str) -> Found | Reject | None:
    """One path (links followed): a Found regular file, a Reject, or None for a folder."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return Reject(path, "read", "read/io_error", _cause(exc)[:300])
    if stat.S_ISDIR(info.st_mode):
        return None
    if not stat.S_ISREG(info.st_mode):
        return Reject(path, "read", "read/not_a_file", f"{_kind(info.st_mode)}: only regular files are read")
    return Found(path, info.st_size)


def _real(path: str) -> str:
    return os.path.realpath(path)


def walk(root: str, exclude: tuple[str, ...] = ()) -> Iterator[Found | Reject]:
    """Every file under folder ``root``, symlinks followed, each real folder once.

    ``exclude``: real paths of folders never entered (the run's output root)."""
    excluded = {_real(e) for e in exclude}
    seen: set[tuple[int, int]] = set()
    stack = [root.rstrip("/") or "/"]
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
        except OSError as exc:
            yield Reject(folder, "read", "read/io_error", _cause(exc)[:300])
            continue
        if (info.st_dev, info.st_ino) in seen or _real(folder) in excluded:
            continue  # a folder reached again through a link (a loop ends here), or the output
        seen.add((info.st_dev, info.st_ino))
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            yield Reject(folder, "read", "read/io_error", f"cannot list the folder: {_cause(exc)}"[:300])
            continue
        subfolders = []
        for name in names:
            path = f"{folder}/{name}" if folder != "/" else f"/{name}"
            found = classify(path)
            if found is None:
                subfolders.append(path)
            else:
                yield found
        stack.extend(reversed(subfolders))  # depth first, in name order


def match(pattern: str, exclude: tuple[str, ...] = ()) -> Iterator[Found | Reject]:
    """Files matching a local glob with Beam's syntax, or the one file a plain path names."""
    wildcard = _WILDCARD.search(pattern)
    if wildcard is None:
        found = classify(pattern)
        if found is None:  # a folder named without a glob: all of it
            yield from walk(pattern, exclude)
        else:
            yield found
        return
    prefix = pattern[: wildcard.start()]
    base = prefix.rsplit("/", 1)[0] if "/" in prefix else "."
    regex = re.compile(FileSystem.translate_pattern(pattern if "/" in prefix else f"./{pattern}"))
    for item in walk(base or "/", exclude):
        path = item.path if isinstance(item, Found) else item.source_uri
        if regex.match(path):
            yield item if "/" in prefix else _strip_dot(item)


def _strip_dot(item: Found | Reject) -> Found | Reject:
    if isinstance(item, Found):
        return Found(item.path.removeprefix("./"), item.size)
    return Reject(item.source_uri.removeprefix("./"), item.stage, item.reason, item.detail)


def open_regular(path: str) -> BinaryIO:
    """Open a local file for reading only if it is a regular file. The open does not block (a
    FIFO swapped in after the walk would block it forever); what is not regular raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{_kind(mode)}: only regular files are read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
