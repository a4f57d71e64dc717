"""The launcher's allocators for a run in waves: memory a wave freed goes back to the system.

A local run reads its input in waves (``pipeline/waves.py``), each one pipeline and one commit in the
launcher. Measured over 10 waves of 2,000 small files (docs/benchmark.md, issue #25 point 6): the
launcher's live Python objects, pymalloc's arenas, glibc's bytes in use (~41 MiB) and Arrow's
allocated bytes do not grow from wave to wave, yet its RSS did, by ~30 MiB a wave: glibc's heap
grew to 200-350 MiB, nearly all of it free but resident. glibc raises its mmap threshold each time
a big block is freed, so after the first waves Arrow's buffers (a partition's columns, up to many
MB) came from the heap, where the next wave's smaller objects land between them and pin the pages;
Arrow's default pool (mimalloc) keeps its own segments besides. ``malloc_trim(0)`` alone gave back only
a part of it.

So a run's launcher (``choose_allocators``, before pyarrow is imported) has Arrow allocate with the
system allocator; in a run of several waves (``fix_mmap_threshold``), glibc serves every block of
128 KiB or more by mmap (returned whole on free: the fixed threshold glibc starts with, no longer
raised), and after each wave ``release_freed`` trims what is free. Measured, the same 10 waves:
glibc's heap 61 -> 92 MiB, the launcher's RSS after a wave 239-279 MiB (before: 322-665), the whole
run's CPU within the machine's spread.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
from typing import Any

M_MMAP_THRESHOLD = -3  # mallopt's parameter (glibc malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value: blocks this big or bigger are mmapped
_LIBC: list[Any] = []


def _glibc(name: str) -> Any:
    """A function of glibc's malloc (``malloc_trim``, ``mallopt``), or None elsewhere (musl, macOS)."""
    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL(None) if sys.platform.startswith("linux") else None)
        except OSError:
            _LIBC.append(None)
    function = getattr(_LIBC[0], name, None) if _LIBC[0] is not None else None
    if function is not None:
        function.restype = ctypes.c_int
    return function


def choose_allocators() -> str:
    """Arrow's default pool the system allocator, for this process. Called before pyarrow is
    imported, it sets ``ARROW_DEFAULT_MEMORY_POOL`` (Arrow's C++ code reads it once); later, it sets
    pyarrow's default pool (what pyarrow's calls use). A pool already chosen in the environment is
    kept. Returns the pool's backend."""
    chosen = os.environ.get("ARROW_DEFAULT_MEMORY_POOL")
    if not chosen:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = chosen = "system"
        if "pyarrow" in sys.modules:
            import pyarrow as pa

            pa.set_memory_pool(pa.system_memory_pool())
    return chosen


def fix_mmap_threshold() -> bool:
    """glibc serves every block of ``MMAP_THRESHOLD`` or more by mmap from now on, in this process (its
    starting value, no longer raised when a big block is freed). Only for a run of several waves
    (from its first, since the waves are planned one ahead): each big block costs a mapping and
    fresh pages, ~8% more CPU on the 1x throughput input run in one wave (docs/benchmark.md,
    twelfth session), where nothing is carried into a next wave. False where glibc's ``mallopt``
    is missing."""
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_freed() -> bool:
    """Collect garbage, then have Arrow's pool and glibc's malloc return their free pages to the
    system. Returns whether glibc's heap was trimmed (False where there is no ``malloc_trim``)."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _glibc("malloc_trim")
    if trim is None:
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
    return True
