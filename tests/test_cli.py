"""The command line as a user runs it: real processes, a real store file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import duckdb
import pytest
from builders import ACCOUNT_HEADER, POST_HEADER, account, post, write_csv
from test_ingest_csv import BROKEN


def govwatch(*args, cwd=None, check_code=None):
    proc = subprocess.run(
        [sys.executable, "-m", "govwatch.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=300,
    )
    if check_code is not None:
        assert proc.returncode == check_code, proc.stdout + proc.stderr
    return proc


def test_broken_file_exit_3_and_second_import_changes_nothing(tmp_path):
    p = tmp_path / "broken.csv"
    p.write_text(BROKEN, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    first = govwatch("ingest", p, "--db", db, check_code=3)
    assert "Imported 3 new posts from 1 file" in first.stdout
    assert "rejected 5:" in first.stdout
    assert f"{p}: line 6: created_at has no UTC offset" in first.stderr
    second = govwatch("ingest", p, "--db", db, check_code=0)
    assert "already imported (import 1), nothing changed" in second.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 5
    listed = govwatch("rejects", "--db", db, check_code=0)
    assert "line 9: expected 8 fields" in listed.stdout


def test_usage_errors_exit_2(tmp_path):
    assert govwatch("ingest", "--db", tmp_path / "s.duckdb").returncode == 2
    assert govwatch("analyze", "--observed-until", "yesterday",
                    "--db", tmp_path / "s.duckdb").returncode == 2
    assert govwatch("nonsense").returncode == 2


def test_analyze_without_store_fails_clearly(tmp_path):
    proc = govwatch("analyze", "--db", tmp_path / "empty.duckdb", check_code=1)
    assert "no store at" in proc.stderr and not (tmp_path / "empty.duckdb").exists()
    govwatch("ingest", "--accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER,
                                               [account("MinRail")]),
             "--db", tmp_path / "empty.duckdb", check_code=0)
    proc = govwatch("analyze", "--db", tmp_path / "empty.duckdb", check_code=2)
    assert "no posts" in proc.stderr


def test_formats_lists_readers():
    proc = govwatch("formats", check_code=0)
    assert "csv" in proc.stdout and "accounts-csv" in proc.stdout


def test_scenario_through_ingest_and_analyze(tmp_path):
    posts = write_csv(tmp_path / "posts.csv", POST_HEADER, [
        post("1", "MinRail", "2026-02-01T08:00:00Z", "Timetable for February"),
        post("2", "asha", "2026-02-01T09:00:00Z", "@MinRail coach 4 is dirty", "1", "MinRail"),
        post("3", "MinRail", "2026-02-01T09:20:00Z", "@asha cleaning now", "2", "asha"),
        post("4", "ravi", "2026-02-01T10:00:00+01:00", "@MinRail derailment at km 40"),
        post("5", "MinRail", "2026-02-03T09:00:00Z", "@ravi we are looking", "4", "ravi"),
        post("6", "lata", "2026-02-02T00:00:00Z", "@MinRail bridge cracked"),
        post("7", "obs", "2026-02-11T00:00:00Z", "end of data"),
    ])
    accounts = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, [account("MinRail")])
    db = tmp_path / "s.duckdb"
    govwatch("ingest", "--accounts", accounts, posts, "--db", db, check_code=0)
    run = govwatch("analyze", "--db", db, check_code=0)
    assert "Analysed 3 inbound messages to 1 official accounts (2 answered)" in run.stdout
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute(
        "SELECT message_id, latency_hours, censored, observed_hours FROM responses ORDER BY 1"
    ).fetchall()
    # 10:00+01:00 = 09:00Z on 1 Feb; answered 09:00Z on 3 Feb = 48 h
    assert got == [
        ("2", pytest.approx(1 / 3), False, pytest.approx(231.0)),
        ("4", pytest.approx(48.0), False, pytest.approx(231.0)),
        ("6", None, True, pytest.approx(216.0)),
    ]
    rate = con.execute(
        "SELECT answered_window, observed_window FROM account_metrics WHERE population='all'"
    ).fetchone()
    assert rate == (2, 3)


def _big_csv(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("platform,post_id,author,created_at,text\n")
        for i in range(rows):
            f.write(f"x,{i},user{i % 977},2026-01-01T00:00:00Z,message number {i} @MinRail\n")


def test_kill_9_mid_import_leaves_store_as_it_was(tmp_path):
    db = tmp_path / "s.duckdb"
    small = write_csv(tmp_path / "small.csv", POST_HEADER, [
        post("a", "asha", "2026-01-01T00:00:00Z", "before")])
    govwatch("ingest", small, "--db", db, check_code=0)
    big = tmp_path / "big.csv"
    _big_csv(big, 200_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "govwatch.cli", "ingest", str(big), "--db", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    # Progress lines come once per tenth of the file read; kill after half, while
    # the import's transaction is open with batches written into it.
    for line in proc.stderr:
        if "read 50%" in line:
            break
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM imports WHERE status = 'complete'").fetchone()[0] == 1
    con.close()
    govwatch("ingest", big, "--db", db, "-q", check_code=0)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 200_001


def test_train_then_analyze_with_the_trained_model(tmp_path, repo):
    labels = repo / "tests" / "fixtures" / "gov_replies_handcoded.csv"
    trained = govwatch("train", "--labels", labels, "--out", tmp_path / "model", "--folds", "3",
                       check_code=0)
    assert "needs_response: macro F1" in trained.stdout
    assert (tmp_path / "model" / "report.md").is_file()
    posts = write_csv(tmp_path / "posts.csv", POST_HEADER, [
        post("1", "asha", "2026-02-01T09:00:00Z", "@MinRail the bridge near km 40 has cracked"),
        post("2", "MinRail", "2026-02-01T10:00:00Z", "@asha teams sent", "1", "asha"),
    ])
    accounts = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, [account("MinRail")])
    db = tmp_path / "s.duckdb"
    govwatch("ingest", "--accounts", accounts, posts, "--db", db, check_code=0)
    govwatch("analyze", "--db", db, "--model", tmp_path / "model" / "model.skops", check_code=0)
    con = duckdb.connect(str(db), read_only=True)
    active = con.execute("SELECT value FROM meta WHERE key = 'tagging_model'").fetchone()
    versions = {v for (v,) in con.execute("SELECT DISTINCT model_version FROM tags").fetchall()}
    # the trained model tagged every post: its version opens each post's model_version
    assert active is not None and active[0].startswith("trained-"), active
    assert len(versions) == 1 and next(iter(versions)).startswith(active[0] + ";"), versions
    row = con.execute("SELECT critical, needs_response FROM tags WHERE post_id = '1'").fetchone()
    assert row[0] is not None and row[1] is not None
