"""pipeline/memory.py: what a wave freed goes back to the system between waves (issue #25 point 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline import memory

REPO = Path(__file__).resolve().parent.parent


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def arrow_pool():
    before = pa.default_memory_pool()
    yield
    pa.set_memory_pool(before)


@pytest.mark.skipif(memory._glibc("malloc_trim") is None, reason="glibc's malloc_trim only")
def test_release_freed_returns_the_freed_heap_to_the_system() -> None:
    # 4,000-byte objects: above pymalloc's 512 bytes and below glibc's mmap threshold, so they live
    # in malloc's heap; the one allocated last pins the heap's top, so free() alone returns nothing
    blocks = [bytes(4000) for _ in range(50_000)]
    pin = bytes(4000)
    del blocks
    before = _rss_mib()
    assert memory.release_freed() is True
    after = _rss_mib()
    assert before - after > 100, (before, after)  # ~190 MiB were freed but still resident
    assert len(pin) == 4000


@pytest.mark.parametrize("pool", ["mimalloc", "system"])
def test_release_freed_keeps_what_is_live(arrow_pool, pool) -> None:
    pa.set_memory_pool(getattr(pa, f"{pool}_memory_pool")())
    kept = pa.array([f"row {n}" for n in range(10_000)])
    for _ in range(3):
        gone = pa.array([f"gone {n}" for n in range(100_000)])
        del gone
        memory.release_freed()
    assert kept.to_pylist()[-2:] == ["row 9998", "row 9999"]
    assert pa.total_allocated_bytes() >= kept.nbytes


def _python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (allocator choices are made once per process)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("ARROW_DEFAULT_MEMORY_POOL", "MALLOC_MMAP_THRESHOLD_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**environ, **env}, capture_output=True,
                          text=True, timeout=60, check=True)
    return done.stdout.strip()


CHOSEN_POOL = """
import os
from pipeline import memory
chosen = memory.choose_allocators()
import pyarrow as pa
print(chosen, pa.default_memory_pool().backend_name, os.environ["ARROW_DEFAULT_MEMORY_POOL"])
"""


def test_choose_allocators_before_pyarrow_makes_arrow_use_the_system_allocator() -> None:
    assert _python(CHOSEN_POOL) == "system system system"


def test_choose_allocators_keeps_a_pool_chosen_in_the_environment() -> None:
    assert _python(CHOSEN_POOL, ARROW_DEFAULT_MEMORY_POOL="mimalloc") == "mimalloc mimalloc mimalloc"


def test_choose_allocators_after_pyarrow_sets_pyarrows_pool() -> None:
    code = "import pyarrow as pa\nfrom pipeline import memory\nmemory.choose_allocators()\n" \
           "print(pa.default_memory_pool().backend_name)"
    assert _python(code) == "system"


BIG_BLOCKS = """
import ctypes, sys
from pipeline import memory
if sys.argv[-1] == "choose":
    assert memory.fix_mmap_threshold()
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                "fsmblks", "uordblks", "fordblks", "keepcost")]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
big = bytes(16 << 20)  # mmapped; freeing it raises glibc's threshold to 16 MiB unless it is fixed
del big
blocks = [bytes(512 << 10) for _ in range(40)]  # 20 MiB in blocks of 512 KiB
print(mallinfo2().hblkhd >> 20)
"""


@pytest.mark.skipif(memory._glibc("mallinfo2") is None, reason="glibc 2.33+ only")
def test_fix_mmap_threshold_keeps_big_blocks_out_of_the_heap() -> None:
    # the blocks a wave frees (Arrow's buffers) are returned to the system, not left in the heap
    mapped = int(_python(BIG_BLOCKS.replace("sys.argv[-1]", "'choose'")))
    unfixed = int(_python(BIG_BLOCKS.replace("sys.argv[-1]", "'default'")))
    assert mapped >= 20 and unfixed < 5, (mapped, unfixed)


AFTER_A_RUN = """
import ctypes, sys
from pipeline import batch
summary = batch.run([sys.argv[1], "--output", sys.argv[2], "--config", sys.argv[3],
                     "--direct_num_workers=1", "--direct_running_mode=in_memory"])
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                "fsmblks", "uordblks", "fordblks", "keepcost")]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
big = bytes(16 << 20)  # freeing it raises glibc's threshold to 16 MiB unless it is fixed
del big
mapped = mallinfo2().hblkhd
blocks = [bytes(512 << 10) for _ in range(40)]  # 20 MiB: mapped one by one, or in the heap
print(summary.counters.get("articles"), (mallinfo2().hblkhd - mapped) >> 20)
"""


@pytest.mark.skipif(memory._glibc("mallinfo2") is None, reason="glibc 2.33+ only")
def test_a_run_fixes_the_mmap_threshold_only_when_several_waves_follow(tmp_path: Path) -> None:
    from tests.test_waves import BODY, _config

    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(4):
        (inputs / f"a{i}.txt").write_text(f"Titel {i}\n\nMeldung {i}. {BODY}\n", encoding="utf-8")
    printed = {}
    for waves, wave_files in (("one", 10), ("two", 2)):
        config = _config(tmp_path / f"config-{waves}", wave_files=wave_files)
        printed[waves] = subprocess.run(
            [sys.executable, "-c", AFTER_A_RUN, str(inputs), str(tmp_path / f"out-{waves}"), str(config)],
            capture_output=True, text=True, timeout=300, cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)}).stdout.split()
    assert printed["one"][0] == printed["two"][0] == "4", printed
    assert int(printed["two"][1]) >= 20 and int(printed["one"][1]) < 5, printed  # mapped only with several waves
