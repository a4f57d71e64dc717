"""Headless Chromium for the report's browser test (and the README screenshot).

``python -m tests.browser report.html docs/report.png`` re-takes the screenshot.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")

# Appended to a copy of the report (the report itself runs no script): measures every chart
# once laid out and writes the numbers into the DOM, where --dump-dom shows them.
MEASURE = """<script>
const charts = [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect(), inner = svg.getBBox();
  const shapes = [...svg.querySelectorAll('rect.bar, line.edge, circle.node')];
  return {id: svg.id, width: box.width, height: box.height, bboxWidth: inner.width, bboxHeight: inner.height,
          shapes: shapes.length, visibleShapes: shapes.filter(s => { const b = s.getBBox();
            return b.width > 0 || b.height > 0; }).length};
});
const out = document.createElement('pre');
out.id = 'measured';
out.textContent = JSON.stringify(charts);
document.body.appendChild(out);
</script>"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(binary: str, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="eventwire-chromium-") as profile:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                              timeout=timeout, check=False)


def measure_charts(binary: str, report: Path) -> list[dict[str, Any]]:
    """Open a measuring copy of the report and return the charts' laid-out sizes."""
    harness = report.with_name(report.stem + ".measure.html")
    html = report.read_text(encoding="utf-8")
    harness.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    done = _run(binary, ["--dump-dom", harness.resolve().as_uri()])
    start, end = done.stdout.find("<pre id=\"measured\">"), done.stdout.find("</pre>")
    if start < 0:
        raise AssertionError(f"chromium rendered no measurements: rc={done.returncode} {done.stderr[-2000:]}")
    import html as html_module

    return json.loads(html_module.unescape(done.stdout[start + len("<pre id=\"measured\">"):end]))


def screenshot(binary: str, report: Path, png: Path, width: int = 1200, height: int = 1300) -> tuple[int, int]:
    """Save a PNG of the report; returns its (width, height) as read from the PNG header."""
    done = _run(binary, [f"--screenshot={png.resolve()}", f"--window-size={width},{height}", report.resolve().as_uri()])
    if not png.exists():
        raise AssertionError(f"chromium wrote no screenshot: rc={done.returncode} {done.stderr[-2000:]}")
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])


if __name__ == "__main__":
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no chromium on PATH")
    target = Path(sys.argv[1]), Path(sys.argv[2])
    print(screenshot(chromium, *target, 1100, 1400))
    try:  # optional: a palette PNG is a third of the size for the README
        from PIL import Image
    except ImportError:
        sys.exit(0)
    Image.open(target[1]).convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(target[1], optimize=True)
