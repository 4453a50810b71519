"""An export, a published site or a report that cannot be written: one line naming the
file and the cause, exit status 1, no traceback, no half-written file, an earlier file of
that name and the store as they were. A full disk is simulated for real with a file-size
limit on the process (RLIMIT_FSIZE): the writes fail as on a full disk, with EFBIG."""

from __future__ import annotations

import hashlib
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_export import store_path  # noqa: F401  (the analysed store fixture)

# ruff: noqa: F811  (store_path is the fixture imported above)

CASES = [("responses", "csv", "r.csv"), ("responses", "parquet", "r.parquet"),
         ("accounts", "dta", "a.dta"), ("posts", "parquet", "posts_dataset")]


def _govwatch(*args: str, fsize: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:  # in the child: writes past `fsize` bytes fail (EFBIG)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "govwatch", *args], capture_output=True,
                          text=True, preexec_fn=limit if fsize else None)


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_error(out: subprocess.CompletedProcess, path: Path, cause: str) -> None:
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "Traceback" not in text, text
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: cannot write it: "), text
    assert cause in lines[0], text


@pytest.mark.parametrize("what, fmt, name", CASES)
def test_an_export_that_fills_the_disk_leaves_the_earlier_export_whole(
        tmp_path, store_path, what, fmt, name):
    store_before = hashlib.sha256(store_path.read_bytes()).hexdigest()
    folder = tmp_path / "out"
    out = folder / name
    args = ["export", "--what", what, "--format", fmt, "--out", str(out), "--db",
            str(store_path), "--include-text", "-q"]
    if "." in name:  # a dataset folder is never written over: nothing earlier there
        first = _govwatch(*args)
        assert first.returncode == 0, first.stderr
    earlier = _tree(folder) if folder.exists() else {}
    full = _govwatch(*args, fsize=200)
    _one_line_error(full, out, "size limit")
    assert (_tree(folder) if folder.exists() else {}) == earlier  # no partial file
    assert hashlib.sha256(store_path.read_bytes()).hexdigest() == store_before


@pytest.mark.parametrize("what, fmt, name", CASES)
def test_an_export_to_an_unwritable_path_fails_in_one_line(tmp_path, store_path, what, fmt,
                                                          name):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    out = blocker / name
    result = _govwatch("export", "--what", what, "--format", fmt, "--out", str(out), "--db",
                       str(store_path), "-q")
    _one_line_error(result, out, "is a file, not a folder")
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_an_export_to_a_device_is_refused(tmp_path, store_path):
    result = _govwatch("export", "--what", "responses", "--format", "csv", "--out",
                       "/dev/full", "--db", str(store_path), "-q")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "/dev/full: it is not a regular file" in result.stderr


def test_publish_and_report_that_cannot_be_written_fail_in_one_line(tmp_path,
                                                                     store_path):
    site = tmp_path / "site"
    first = _govwatch("publish", "--out", str(site), "--db", str(store_path), "-q")
    assert first.returncode == 0, first.stderr
    earlier = _tree(site)
    full = _govwatch("publish", "--out", str(site), "--db", str(store_path), "-q", fsize=2000)
    _one_line_error(full, site, "size limit")
    assert _tree(site) == earlier  # the earlier site whole, nothing beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    report = _govwatch("report", "--account", "x:city_hall", "--out", str(blocker / "r.html"),
                       "--db", str(store_path), "-q")
    _one_line_error(report, blocker / "r.html", "is a file, not a folder")
