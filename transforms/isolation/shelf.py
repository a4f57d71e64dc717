"""Helper templates kept between the pools of one run.

A local run builds one pipeline per wave (``pipeline/waves.py``), and every pipeline's cleaning and
analysis pools would start a template of their own (``transforms/isolation/template.py``): ~0.4 s of
CPU each, and a wave's first page waits for it. Inside ``keeping()`` (the launcher of a local run
opens it), a pool takes a template of its task from the shelf when there is one and puts it back
when it closes, so the next wave's helpers fork at once: two templates per run, not two per wave.
Outside ``keeping()`` nothing changes: each pool starts and stops its own (a Dataflow or portable
worker, the tests of the pool). Nothing is started ahead of a pool: a template started before the
graph was built gained nothing measurable (docs/benchmark.md, twelfth session).

A task is known by its pickled bytes and its memory cap, so a pool never gets the template of
another configuration. Beam-free, like the rest of the isolation layer.
"""

from __future__ import annotations

import contextlib
import pickle
import threading
from collections.abc import Callable, Iterator
from typing import Any

from transforms.isolation import template as forking

TemplateKey = tuple[bytes, int]  # (the pickled factory, the helpers' memory cap in bytes)

_lock = threading.Lock()
_shelf: dict[TemplateKey, forking.Template] | None = None  # None: not keeping (templates die with their pool)


def template_key(factory: Callable[[], Callable[[Any], Any]], memory_bytes: int) -> TemplateKey:
    return pickle.dumps(factory, protocol=pickle.HIGHEST_PROTOCOL), memory_bytes


@contextlib.contextmanager
def keeping() -> Iterator[None]:
    """Keep templates between pools until the block ends; then every kept template is stopped.
    Nested blocks share the outermost one's shelf."""
    global _shelf
    with _lock:
        outermost = _shelf is None
        if outermost:
            _shelf = {}
    try:
        yield
    finally:
        if outermost:
            with _lock:
                kept, _shelf = _shelf or {}, None
            for template in kept.values():
                template.close()


def take(key: TemplateKey) -> forking.Template | None:
    """The kept template of ``key``, now the caller's; None when there is none alive."""
    with _lock:
        template = _shelf.pop(key, None) if _shelf is not None else None
    if template is not None and not template.running():
        template.close()
        return None
    return template


def put_back(key: TemplateKey, template: forking.Template) -> bool:
    """Keep ``template`` for the next pool of ``key``; False (the caller stops it) when not keeping,
    when it has stopped, or when another of the same task is already kept."""
    with _lock:
        if _shelf is None or key in _shelf or not template.running():
            return False
        _shelf[key] = template
    return True
