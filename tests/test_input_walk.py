"""The local input walk (issue #25): regular files only, links followed with loop detection, what
cannot be read a counted reject, the run's own output never an input. Real FIFOs, sockets and
symlinks on the local filesystem."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from pathlib import Path

from tests.conftest import FAST_BEAM, read_table, run_cli
from transforms.read import walk
from transforms.records import Reject

ARTICLE = ("Der Außenminister traf am Montag in Berlin seinen französischen Amtskollegen zu Gesprächen über "
           "die Lage in der Region. Beide Seiten vereinbarten, die Zusammenarbeit fortzusetzen. ") * 4


def _article(path: Path, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\n{ARTICLE}{title}.\n", encoding="utf-8")


def _outcomes(found: list) -> dict[str, str]:
    return {(i.source_uri if isinstance(i, Reject) else i.path): (i.reason if isinstance(i, Reject) else "file")
            for i in found}


def test_walk_yields_regular_files_and_rejects_fifos_sockets_devices_and_broken_links(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _article(root / "a.txt", "A")
    os.mkfifo(root / "pipe.txt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "sock.txt"))
    os.symlink("/dev/null", root / "device.txt")
    os.symlink(root / "missing.txt", root / "dangling.txt")
    os.symlink("self.txt", root / "self.txt")  # loops on itself
    try:
        got = _outcomes(list(walk.walk(str(root))))
    finally:
        server.close()
    assert got == {f"{root}/a.txt": "file", f"{root}/pipe.txt": "read/not_a_file",
                   f"{root}/sock.txt": "read/not_a_file", f"{root}/device.txt": "read/not_a_file",
                   f"{root}/dangling.txt": "read/io_error", f"{root}/self.txt": "read/io_error"}
    details = {i.source_uri.rsplit("/", 1)[1]: i.detail for i in walk.walk(str(root)) if isinstance(i, Reject)}
    assert "FIFO" in details["pipe.txt"] and "dangling" in details["dangling.txt"] and "loop" in details["self.txt"]


def test_walk_follows_folder_links_once_and_stops_at_loops(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    _article(root / "a.txt", "A")
    _article(elsewhere / "b.txt", "B")
    _article(elsewhere / "sub" / "c.txt", "C")
    os.symlink(elsewhere, root / "linked")
    os.symlink(root, root / "back")  # a loop: root/back/back/... is root again
    os.symlink(elsewhere, root / "again")  # the same folder through a second link: read once
    paths = sorted(i.path for i in walk.walk(str(root)) if not isinstance(i, Reject))
    assert [p.rsplit("/", 1)[1] for p in paths] == ["a.txt", "b.txt", "c.txt"]


def test_walk_excludes_the_output_root_and_globs_keep_beams_syntax(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _article(root / "2024-01" / "a.txt", "A")
    _article(root / "2024-02" / "deep" / "b.txt", "B")
    _article(root / "out" / "articles" / "x.txt", "X")
    got = [i.path for i in walk.walk(str(root), exclude=(str(root / "out"),))]
    assert sorted(p.rsplit("/", 1)[1] for p in got) == ["a.txt", "b.txt"]
    assert [i.path for i in walk.match(f"{root}/2024-*/*.txt")] == [f"{root}/2024-01/a.txt"]  # * stays in a segment
    assert len(list(walk.match(f"{root}/2024-*/**"))) == 2
    assert [i.path for i in walk.match(str(root / "2024-01" / "a.txt"))] == [f"{root}/2024-01/a.txt"]


def test_opening_a_fifo_swapped_in_after_the_walk_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "late.txt")
    done: list[BaseException] = []

    def attempt() -> None:
        try:
            walk.open_regular(str(tmp_path / "late.txt"))
        except OSError as exc:
            done.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive() and done and "FIFO" in str(done[0])


def test_run_accounts_for_fifos_links_and_loops_and_skips_its_own_output(tmp_path: Path) -> None:
    """The issue's cases through the real CLI: no hang on a FIFO, articles behind a folder link,
    broken links as counted rejects, and an output folder inside the input folder is not read."""
    root, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    _article(root / "a.txt", "Alpha")
    _article(elsewhere / "b.txt", "Bravo")
    _article(elsewhere / "c.txt", "Charlie")
    os.symlink(elsewhere, root / "linked")
    os.symlink(root, root / "loop")
    os.mkfifo(root / "pipe.txt")
    os.symlink(root / "gone.txt", root / "dangling.txt")
    os.symlink("self.txt", root / "self.txt")
    output = root / "out"  # inside the input folder
    for _run in (1, 2):
        result = run_cli("run", str(root), "--output", str(output), *FAST_BEAM, timeout=240)
        assert result.returncode == 0, result.stderr[-3000:]
    articles = read_table(output, "articles")
    assert sorted(a["title"] for a in articles) == ["Alpha", "Bravo", "Charlie"]
    rejects = {r["source_uri"].rsplit("/", 1)[1]: r["reason"] for r in read_table(output, "rejects")}
    assert rejects == {"pipe.txt": "read/not_a_file", "dangling.txt": "read/io_error", "self.txt": "read/io_error"}
    summary = result.stdout  # the second run: three already in output, three rejects, nothing from out/
    assert re.search(r"input records +6 ", summary) and re.search(r"already in output +3", summary), summary
    manifest = json.loads(sorted((output / "_runs").iterdir())[-1].read_text())
    assert manifest["records"] == 6 and manifest["rejected"] == {"read/io_error": 2, "read/not_a_file": 1}


def test_a_folder_holding_only_the_output_matches_no_input(tmp_path: Path) -> None:
    output = tmp_path / "out"
    _article(output / "stray.txt", "Stray")
    result = run_cli("run", str(tmp_path), "--output", str(output), *FAST_BEAM, timeout=120)
    assert result.returncode == 2 and "matches no file" in result.stderr


def test_a_fifo_named_directly_is_a_reject_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jsonl")
    output = tmp_path / "out"
    result = run_cli("run", str(tmp_path / "pipe.jsonl"), "--output", str(output), *FAST_BEAM, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert [r["reason"] for r in read_table(output, "rejects")] == ["read/not_a_file"]
