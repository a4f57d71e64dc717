"""How many threads stage partitions: by where the output is and how many cores there are."""

from __future__ import annotations

from transforms.output.write import STAGE_THREADS, stage_threads


def test_local_outputs_stage_on_at_most_one_thread_per_core() -> None:
    assert stage_threads("/data/out", cores=2) == 2
    assert stage_threads("/data/out", cores=1) == 1
    assert stage_threads("relative/out", cores=64) == STAGE_THREADS


def test_object_storage_outputs_keep_more_threads_waiting_on_the_network() -> None:
    assert stage_threads("gs://bucket/out", cores=1) == STAGE_THREADS
    assert stage_threads("gs://bucket/out", cores=2) == STAGE_THREADS > 2
