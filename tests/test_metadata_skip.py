"""The cleaning helpers skip trafilatura's categories, tags and licence; what eventwire keeps is the same."""

from __future__ import annotations

import gzip

import pytest
import trafilatura
from trafilatura import metadata

from tests.conftest import FIXTURES
from transforms.clean.html import REPLACED_METADATA, extract_html, skip_unused_metadata

PAGES = sorted((FIXTURES / "clean").glob("*.html.gz")) + sorted((FIXTURES / "feeds" / "pages").glob("*.html"))


def _html(path) -> str:  # type: ignore[no-untyped-def]
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace")


@pytest.fixture
def restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura's own functions for the test (a test that cleaned inline may have replaced them
    in this process), and whatever was there after it."""
    for name in ("extract_catstags", "extract_license"):
        monkeypatch.setattr(metadata, name, REPLACED_METADATA.get(name, getattr(metadata, name)))


def test_without_categories_tags_and_licence_every_kept_field_is_the_same(restored: None) -> None:
    pages = [_html(path) for path in PAGES]
    assert len(pages) >= 6
    full = [trafilatura.bare_extraction(html, with_metadata=True) for html in pages]
    assert any(doc.categories or doc.tags for doc in full)  # the pages have some: the skip has work to skip
    before = [extract_html(html, None) for html in pages]
    assert skip_unused_metadata()
    after = [extract_html(html, None) for html in pages]
    assert after == before and all(a.text for a in after)
    skipped = [trafilatura.bare_extraction(html, with_metadata=True) for html in pages]

    def labels(docs: list) -> int:  # type: ignore[type-arg]
        return sum(len(doc.categories or []) + len(doc.tags or []) for doc in docs)

    # what the page's <meta> and JSON-LD declare is still read; what only the XPath search found is not
    assert labels(skipped) < labels(full) and not any(doc.license for doc in skipped)


def test_the_cleaning_helper_skips_them_and_the_launcher_does_not(restored: None) -> None:
    import datetime as dt

    from transforms.clean.document import CleanTask
    from transforms.isolation.worker import GuardedWorker
    from transforms.settings import load_settings

    original = metadata.extract_catstags
    worker = GuardedWorker(_Probe(CleanTask(load_settings().clean, dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))), 30)
    try:
        assert worker.call("probe").value is True  # in the helper: replaced at set-up
    finally:
        worker.close()
    assert metadata.extract_catstags is original  # this process was not touched


class _Probe:
    """A factory that sets up as CleanTask does, then reports whether trafilatura's function was replaced."""

    def __init__(self, task: object) -> None:
        self.task = task

    def __call__(self):  # type: ignore[no-untyped-def]
        self.task()  # type: ignore[operator]
        from trafilatura import metadata as helper_metadata

        from transforms.clean.html import _no_categories_or_tags

        return lambda _item: helper_metadata.extract_catstags is _no_categories_or_tags
