"""One writer at a time per output root: an exclusive lock object next to the tables.

Locally the lock is created with its content in one step (a hard link to a private file: fails if the
lock exists); on GCS with a create-if-absent precondition
(``if_generation_match=0``). It records who holds it: run, host, pid, and what identifies the
process beyond its pid (the kernel's boot id and the process's start time), because pids are reused:
after a reboot, and in containers, where every run may be pid 1. A lock is stale, and is taken over
with a warning, when on this host its boot id is not the current one, its pid is gone or now belongs
to a process started at another time, or its pid is this very process (which holds no such lock:
a run killed as pid 1 of one container, seen by pid 1 of the next), or when it was last refreshed more
than ``stale_after`` ago. A run longer than that keeps its lock fresh: a heartbeat thread rewrites it
(its ``heartbeat_at``) every quarter of ``stale_after``, only while it still is the lock it created.

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
import threading
import time
from dataclasses import dataclass, replace

from transforms.output.tables import is_local, join

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
    boot_id: str | None = None  # the kernel's boot id (Linux): a lock from before a reboot is stale
    started: int | None = None  # the process's start time (clock ticks since boot): a reused pid differs
    heartbeat_at: str | None = None  # last refresh by the holder's heartbeat (long runs)

    def to_json(self) -> bytes:
        return json.dumps({k: v for k, v in self.__dict__.items() if v is not None}, sort_keys=True).encode()

    @staticmethod
    def from_json(data: bytes) -> LockInfo | None:
        try:
            raw = json.loads(data)
            started = raw.get("started")
            return LockInfo(str(raw["run_id"]), str(raw["host"]), int(raw["pid"]), str(raw["acquired_at"]),
                            None if raw.get("boot_id") is None else str(raw["boot_id"]),
                            None if started is None else int(started),
                            None if raw.get("heartbeat_at") is None else str(raw["heartbeat_at"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def boot_id() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot (field 22 of /proc/PID/stat), or
    None when it cannot be read (no such process, no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    try:  # the command name (field 2) may hold spaces and parentheses: count from its closing one
        return int(stat[stat.rindex(b")") + 2:].split()[19])
    except (ValueError, IndexError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_held_here: set[tuple[str, str]] = set()  # (lock path, run id) this process holds now


def stale_reason(info: LockInfo | None, stale_after: dt.timedelta, now: dt.datetime | None = None,
                 path: str | None = None) -> str | None:
    """Why a lock as read is stale (it may be taken over), or None while its holder may be alive."""
    if info is None:
        return "unreadable (a writer died while creating it)"
    if info.host == socket.gethostname():
        current_boot = boot_id()
        if info.boot_id and current_boot and info.boot_id != current_boot:
            return "created before this machine's last reboot"
        if info.pid == os.getpid() and (path, info.run_id) not in _held_here:
            return "its pid is this process, which holds no lock there (a pid reused, as in a container)"
        if not _pid_alive(info.pid):
            return "its process is gone"
        if info.started is not None and process_start(info.pid) not in (None, info.started):
            return "its pid now belongs to another process (started at another time)"
    try:
        refreshed = max(dt.datetime.fromisoformat(t) for t in (info.acquired_at, info.heartbeat_at) if t)
    except (ValueError, TypeError):
        return "unreadable time"
    if (now or dt.datetime.now(dt.timezone.utc)) - refreshed > stale_after:
        return f"not refreshed since {refreshed.isoformat()} (over {stale_after})"
    return None


def is_stale(info: LockInfo | None, stale_after: dt.timedelta, now: dt.datetime | None = None,
             path: str | None = None) -> bool:
    return stale_reason(info, stale_after, now, path) is not None


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

    def refresh(self, data: bytes) -> bool:
        """Replace the lock's content (heartbeat) only if it still is what our create (or last
        refresh) wrote; the new content lands in one step (a rename). False: it is no longer ours."""
        seen = self.read()
        if self._created is None or seen is None or seen.data != self._created:
            return False
        temporary = f"{self.path}.{os.getpid()}-{time.monotonic_ns()}.beat"
        with open(temporary, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, self.path)
        self._created = data
        return True

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

    def refresh(self, data: bytes) -> bool:
        """Replace the lock (heartbeat) only if it still is the generation we wrote."""
        from google.api_core.exceptions import NotFound, PreconditionFailed

        if self._created is None:
            return False
        blob = self._bucket.blob(self._name)
        try:
            blob.upload_from_string(data, if_generation_match=self._created)
        except (NotFound, PreconditionFailed):
            return False
        self._created = blob.generation
        return True

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
                 stale_after: dt.timedelta = dt.timedelta(hours=12), poll_seconds: float = 1.0,
                 heartbeat_seconds: float | None = None) -> None:
        path = join(output, LOCK_NAME)
        self._backend = _LocalBackend(path) if is_local(path) else _GcsBackend(path)
        self._path = path
        self._info = LockInfo(run_id, socket.gethostname(), os.getpid(),
                              dt.datetime.now(dt.timezone.utc).isoformat(), boot_id(), process_start(os.getpid()))
        self._wait = wait_seconds
        self._stale_after = stale_after
        self._poll = poll_seconds
        # a quarter of the horizon: three beats may be missed (a stalled disk, a slow bucket) before it is stale
        self._beat = stale_after.total_seconds() / 4 if heartbeat_seconds is None else heartbeat_seconds
        self._stop = threading.Event()
        self._heart: threading.Thread | None = None

    def acquire(self) -> None:
        deadline = time.monotonic() + self._wait
        while True:
            if self._backend.create(self._info.to_json()):
                _held_here.add((self._path, self._info.run_id))
                self._start_heartbeat()
                return
            seen = self._backend.read()
            holder = LockInfo.from_json(seen.data) if seen is not None else None
            reason = stale_reason(holder, self._stale_after, path=self._path) if seen is not None else None
            if reason is not None:
                log.warning("taking over a stale lock %s (%s): %s", self._path, holder, reason)
                self._backend.take_over(seen)  # not a fresh lock another waiter created meanwhile
                continue
            if time.monotonic() >= deadline:
                who = f"run {holder.run_id} on {holder.host} (pid {holder.pid}) since {holder.acquired_at}" if holder else "another run"
                raise OutputLocked(f"{self._path} is held by {who}; wait for it (--wait-for-lock SECONDS) or, "
                                   f"if that run is dead, delete the lock file")
            time.sleep(self._poll)

    def _start_heartbeat(self) -> None:
        if self._beat <= 0:
            return
        self._stop.clear()
        self._heart = threading.Thread(target=self._heartbeat, name="eventwire-lock-heartbeat", daemon=True)
        self._heart.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self._beat):
            beat = replace(self._info, heartbeat_at=dt.datetime.now(dt.timezone.utc).isoformat())
            try:
                if not self._backend.refresh(beat.to_json()):
                    log.warning("the lock %s is no longer this run's: heartbeat stopped", self._path)
                    return
            except Exception as exc:
                log.warning("lock heartbeat failed (%s); retrying", exc)

    def release(self) -> None:
        self._stop.set()
        if self._heart is not None:
            self._heart.join()
            self._heart = None
        _held_here.discard((self._path, self._info.run_id))
        self._backend.release()  # only the lock we created: not one that took ours over

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
