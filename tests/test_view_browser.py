"""The report in a real browser: headless Chromium lays out the charts and takes a screenshot."""

from __future__ import annotations

import pytest

from pipeline.view import report
from tests import browser
from tests import view_data as vd

CHROMIUM = browser.find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; CI's .ci/run does it)")


@pytest.mark.timeout(120)
def test_charts_render_with_size_in_chromium(tmp_path):
    root = vd.many(tmp_path / "out", count=400)
    page = tmp_path / "report.html"
    assert report.main([str(root), "--html", str(page)]) == 0
    charts = {c["id"]: c for c in browser.measure_charts(CHROMIUM, page)}
    assert set(charts) == {"timeline", "network"}
    for chart in charts.values():
        assert chart["width"] > 200 and chart["height"] > 100, chart
        assert chart["bboxWidth"] > 100 and chart["bboxHeight"] > 50, chart
        assert chart["shapes"] > 0 and chart["visibleShapes"] == chart["shapes"], chart
    assert charts["network"]["shapes"] >= 25  # 25 nodes and their edges

    png = tmp_path / "report.png"
    width, height = browser.screenshot(CHROMIUM, page, png)
    assert (width, height) == (1200, 1300)
    assert png.stat().st_size > 20_000  # a blank page compresses to a few kB


@pytest.mark.timeout(120)
def test_empty_report_renders_its_notice(tmp_path):
    (tmp_path / "out" / "events").mkdir(parents=True)
    page = tmp_path / "report.html"
    assert report.main([str(tmp_path / "out"), "--html", str(page)]) == 0
    assert browser.measure_charts(CHROMIUM, page) == []
