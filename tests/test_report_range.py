"""The report's timeline axis where the events are (outliers named, not drawn), and --since/--until."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipeline.view import aggregate, report
from tests import view_data as vd
from tests.test_view_report import Page, render_file

D = dt.date


def test_axis_range_leaves_out_the_fewest_far_outliers() -> None:
    recent = [D(2024, 1, 1) + dt.timedelta(days=i) for i in range(100)]
    assert aggregate.axis_range([D(1946, 5, 9), *recent]) == (D(2024, 1, 1), D(2024, 4, 9))
    # two groups of outliers (1946, then a 2012 cluster): both go, within 5% of the events
    clustered = [D(1946, 3, 21), D(1972, 8, 20), *[D(2012, 5, 10)] * 3, *recent]
    assert aggregate.axis_range(clustered) == (D(2024, 1, 1), D(2024, 4, 9))
    # evenly spread dates, two dates alone, a gap under a month: the axis keeps every day
    spread = [D(2020, 1, 1) + dt.timedelta(days=30 * i) for i in range(100)]
    assert aggregate.axis_range(spread) == (spread[0], spread[-1])
    assert aggregate.axis_range([D(1946, 5, 9), D(2024, 1, 1)]) == (D(1946, 5, 9), D(2024, 1, 1))
    assert aggregate.axis_range([D(2024, 1, 1), D(2024, 1, 20), D(2024, 1, 21)]) == (D(2024, 1, 1), D(2024, 1, 21))
    # more outliers than 5% of the events: they are a part of the data, not noise
    assert aggregate.axis_range([D(1990, 1, 1)] * 10 + recent) == (D(1990, 1, 1), D(2024, 4, 9))
    assert aggregate.axis_range([]) is None


def _output(root: Path) -> Path:
    """The viewer's realistic tables (3,000 events over 9 months of 2023) plus one event in 1946."""
    vd.many(root, count=300)
    events, mentions, articles = [], [], []
    old = vd.article("old1", "https://news.example/old", "Old story", "en", None, "outlet")
    row = vd.event("ev-old", D(1946, 5, 9), "AGREE", None, "030", 1,
                   [vd.person("A", "FRA:minister", "FRA", "minister"), vd.person("B", "DEU:minister", "DEU", "minister")],
                   "In 1946 the ministers agreed.", old["url"], [old["article_id"]])
    events.append(row)
    articles.append(old)
    mentions.append(vd.mention(row, old, 1))
    vd.write_output(root, events, mentions, articles, [])
    return root


def test_report_clips_the_axis_and_says_what_it_left_out(tmp_path: Path) -> None:
    root = _output(tmp_path / "out")
    page = Page(render_file(tmp_path, root))
    assert "Events per day" not in page.plain and "Events per week" in page.plain  # not 80 years of months
    note = page.plain.split("The axis covers where the events are: ", 1)[1]
    assert re.match(r"1 event before 202[23]-\d\d-\d\d, far", note), note[:80]  # the first week shown
    assert "far from all others, is not drawn" in note
    assert "1946-05-09" in page.plain  # still counted in the header's range


def test_report_since_until(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root = _output(tmp_path / "out")
    page = Page(render_file(tmp_path, root, "--since", "2023-03", "--until", "2023-03-31"))
    printed = capsys.readouterr().out
    view = report.tables.read_view(str(root))
    march = [e for e in view["events"] if e["event_date"] and D(2023, 3, 1) <= e["event_date"] <= D(2023, 3, 31)]
    assert f": {len(march)} of {len(view['events'])} events in the date range" in printed
    assert "Events dated 2023-03-01 to 2023-03-31" in page.plain
    top = page.plain.split("Top events", 1)[1].split("Rejects by reason", 1)[0]
    dates = set(re.findall(r"\b(\d{4}-\d{2}-\d{2})\b", top))
    assert dates and all("2023-03-01" <= d <= "2023-03-31" for d in dates), dates
    assert "date unknown" not in top


def test_report_bad_date_is_a_usage_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with pytest.raises(SystemExit) as stop:
        report.main([str(tmp_path), "--html", str(tmp_path / "r.html"), "--since", "2024-13-01"])
    assert stop.value.code == 2
    assert "'2024-13-01' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY" in capsys.readouterr().err


