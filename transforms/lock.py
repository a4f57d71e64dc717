"""One writer at a time per output root: an exclusive lock object next to the tables.

Locally the lock is created with its content in one step (a hard link to a private file: fails if the
lock exists); on GCS with a create-if-absent precondition
(``if_generation_match=0``). It records who holds it; a lock whose process is gone (same
host) or that is older than ``stale_after`` is stale and is taken over, with a warning.

Taking over and releasing remove the lock only if it still is the one read (or created): locally it
is moved aside atomically and put back if it was not; on GCS the delete carries the generation read
(or created) as a precondition (``if_generation_match``), so GCS itself refuses to delete a lock that
another run has created meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
import tempfile
import time
from dataclasses import dataclass

from transforms.tables import is_local, join

log = logging.getLogger(__name__)
LOCK_NAME = "_lock.json"


class OutputLocked(RuntimeError):
    """Another run holds the output; the message says which and since when."""


@dataclass(frozen=True)
class LockInfo:
    run_id: str
    host: str
    pid: int
    acquired_at: str

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode()

    @staticmethod
    def from_json(data: bytes) -> LockInfo | None:
        try:
            raw = json.loads(data)
            return LockInfo(str(raw["run_id"]), str(raw["host"]), int(raw["pid"]), str(raw["acquired_at"]))
        except (ValueError, KeyError, TypeError):
            return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(info: LockInfo | None, stale_after: dt.timedelta, now: dt.datetime | None = None) -> bool:
    if info is None:
        return True  # unreadable: a writer died while creating it
    if info.host == socket.gethostname() and not _pid_alive(info.pid):
        return True
    try:
        acquired = dt.datetime.fromisoformat(info.acquired_at)
    except ValueError:
        return True
    return (now or dt.datetime.now(dt.timezone.utc)) - acquired > stale_after


@dataclass(frozen=True)
class Snapshot:
    """A lock as read: its bytes and, on GCS, the object generation they belong to."""

    data: bytes
    generation: int | None = None


class _LocalBackend:
    def __init__(self, path: str) -> None:
        self.path = path
        self._created: bytes | None = None  # what our create wrote: release removes only that

    def create(self, data: bytes) -> bool:
        """Create the lock with its content in one step: the content goes to a private file that is
        then hard-linked to the lock's name (fails if it exists). A lock created empty and written
        after would be read, in between, as unreadable, so stale, and taken over by a second run."""
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".lock-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)
            try:
                os.link(temporary, self.path)
            except FileExistsError:
                return False
            except OSError:  # a filesystem without hard links: exclusive create, then write
                if not self._create_in_place(data):
                    return False
            self._created = data
            return True
        finally:
            os.remove(temporary)

    def _create_in_place(self, data: bytes) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True

    def read(self) -> Snapshot | None:
        try:
            with open(self.path, "rb") as handle:
                return Snapshot(handle.read())
        except FileNotFoundError:
            return None

    def release(self) -> None:
        """Remove the lock if it still is the one our create wrote."""
        seen = self.read()
        if self._created is not None and seen is not None and seen.data == self._created:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path)
        self._created = None

    def take_over(self, stale: Snapshot) -> None:
        """Remove the lock only if it still is the stale one that was read. It is moved aside first
        (atomic); if another run took over in between and holds a fresh lock, that lock goes back."""
        aside = f"{self.path}.{os.getpid()}-{time.monotonic_ns()}.stale"
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return  # another run removed it already
        try:
            with open(aside, "rb") as handle:
                moved = handle.read()
            if moved != stale.data:
                with contextlib.suppress(FileExistsError):
                    os.link(aside, self.path)
        finally:
            os.remove(aside)


class _GcsBackend:
    """The lock as a GCS object; every removal is conditional on the generation read or created."""

    def __init__(self, path: str) -> None:
        from google.cloud import storage  # only needed for gs:// outputs

        bucket, _, self._name = path.removeprefix("gs://").partition("/")
        self._bucket = storage.Client().bucket(bucket)
        self._created: int | None = None  # the generation our create wrote: release removes only that

    def create(self, data: bytes) -> bool:
        from google.api_core.exceptions import PreconditionFailed

        blob = self._bucket.blob(self._name)
        try:
            blob.upload_from_string(data, if_generation_match=0)
        except PreconditionFailed:
            # the client retries a create whose answer was lost; the retry then finds our own lock
            seen = self.read()
            if seen is None or seen.data != data:
                return False
            self._created = seen.generation
            return True
        self._created = blob.generation  # set from the upload's answer
        return True

    def read(self) -> Snapshot | None:
        from google.api_core.exceptions import NotFound, PreconditionFailed

        while True:
            blob = self._bucket.get_blob(self._name)
            if blob is None:
                return None
            generation = blob.generation  # before the download, which resets it from a response header
            try:  # the bytes of exactly the generation seen
                return Snapshot(blob.download_as_bytes(if_generation_match=generation), generation)
            except (NotFound, PreconditionFailed):
                continue  # replaced or removed between the two requests: read again

    def release(self) -> None:
        if self._created is not None:
            self._delete(self._created)
        self._created = None

    def take_over(self, stale: Snapshot) -> None:
        """Remove the lock only if it still is the stale generation that was read: GCS refuses the
        delete if another run has replaced it meanwhile (that run's lock stays)."""
        if stale.generation is not None:
            self._delete(stale.generation)

    def _delete(self, generation: int) -> None:
        from google.api_core.exceptions import NotFound, PreconditionFailed

        with contextlib.suppress(NotFound, PreconditionFailed):  # gone or replaced: not ours to remove
            self._bucket.blob(self._name).delete(if_generation_match=generation)


class OutputLock:
    """``with OutputLock(output, run_id):`` holds the output for one run."""

    def __init__(self, output: str, run_id: str, wait_seconds: float = 0.0,
                 stale_after: dt.timedelta = dt.timedelta(hours=12), poll_seconds: float = 1.0) -> None:
        path = join(output, LOCK_NAME)
        self._backend = _LocalBackend(path) if is_local(path) else _GcsBackend(path)
        self._path = path
        self._info = LockInfo(run_id, socket.gethostname(), os.getpid(),
                              dt.datetime.now(dt.timezone.utc).isoformat())
        self._wait = wait_seconds
        self._stale_after = stale_after
        self._poll = poll_seconds

    def acquire(self) -> None:
        deadline = time.monotonic() + self._wait
        while True:
            if self._backend.create(self._info.to_json()):
                return
            seen = self._backend.read()
            holder = LockInfo.from_json(seen.data) if seen is not None else None
            if seen is not None and is_stale(holder, self._stale_after):
                log.warning("taking over a stale lock %s (%s)", self._path, holder)
                self._backend.take_over(seen)  # not a fresh lock another waiter created meanwhile
                continue
            if time.monotonic() >= deadline:
                who = f"run {holder.run_id} on {holder.host} (pid {holder.pid}) since {holder.acquired_at}" if holder else "another run"
                raise OutputLocked(f"{self._path} is held by {who}; wait for it (--wait-for-lock SECONDS) or, "
                                   f"if that run is dead, delete the lock file")
            time.sleep(self._poll)

    def release(self) -> None:
        self._backend.release()  # only the lock we created: not one that took ours over

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
