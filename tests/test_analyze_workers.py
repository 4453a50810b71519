"""A killed ``govwatch analyze`` leaves no worker behind: the real command, tagging
enough posts to start its process pool, is killed with SIGKILL while its workers
tag; within seconds none of them is alive (none holds the store open), and the
store opens again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[1]
POSTS = 60_000  # above the pool's threshold (govwatch.analysis.sentiment.POOL_MIN_TEXTS)


def govwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "govwatch", *args]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    from govwatch.analysis.sentiment import POOL_MIN_TEXTS

    assert POSTS >= POOL_MIN_TEXTS
    folder = tmp_path_factory.mktemp("kill-analyze")
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "synth.py"), "--posts",
                    str(POSTS), "--accounts", "20", "--out", str(folder)], check=True,
                   capture_output=True)
    db = folder / "store.duckdb"
    subprocess.run(govwatch("ingest", str(folder / "posts.csv"), "--accounts",
                            str(folder / "accounts.csv"), "--db", str(db), "-q"),
                   check=True, capture_output=True, cwd=folder)
    return db


def _alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.add(pid)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.skipif(os.name != "posix", reason="kills with SIGKILL")
def test_killed_analyze_leaves_no_worker(store):
    proc = subprocess.Popen(govwatch("analyze", "--db", str(store), "-q"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=store.parent)
    parent = psutil.Process(proc.pid)
    workers: set[int] = set()
    deadline = time.monotonic() + 300
    try:
        # wait until the pool's workers have been tagging for a moment
        first = None
        while time.monotonic() < deadline and proc.poll() is None:
            kids = {c.pid for c in parent.children(recursive=True)}
            workers |= kids
            if kids and first is None:
                first = time.monotonic()
            if first is not None and time.monotonic() - first > 1.0:
                break
            time.sleep(0.05)
        assert workers and proc.poll() is None, "analyze ended before its pool started"
        workers |= {c.pid for c in parent.children(recursive=True)}
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while _alive(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _alive(workers)
    finally:
        for pid in _alive(workers):  # never leave them behind, whatever the outcome
            os.kill(pid, signal.SIGKILL)
    assert not left, f"workers still alive after the parent was killed: {sorted(left)}"
    import duckdb

    with duckdb.connect(str(store)) as con:  # nobody holds the store
        assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == POSTS
