"""The store refuses what would harm it or someone else's file: a missing store is not
created by analyze, a foreign DuckDB file gets no govwatch tables unless asked, and
running out of memory ends in one line naming the store, with the store as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "small"
TWEETS = Path(__file__).parent / "fixtures" / "twitter" / "handwritten_v1.jsonl"


def _govwatch(*args, env=None):
    return subprocess.run([sys.executable, "-m", "govwatch", *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_analyze_does_not_create_a_missing_store(tmp_path):
    db = tmp_path / "missing.duckdb"
    out = _govwatch("analyze", "--db", db, "-q")
    assert out.returncode == 1
    assert out.stderr.strip() == (f"Error: no store at {db}: run 'govwatch ingest' (or "
                                  "'govwatch demo') first")
    assert not db.exists()


def test_a_foreign_duckdb_file_gets_no_govwatch_tables_unless_asked(tmp_path):
    db = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE budget (year INTEGER, amount DOUBLE)")
    con.execute("INSERT INTO budget VALUES (2026, 1.5)")
    con.close()
    out = _govwatch("ingest", TWEETS, "--db", db, "-q")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        f"Error: {db} is a DuckDB file but not a govwatch store (it holds 1 other table(s): "
        "budget); name another --db, or pass --add-to-db to add govwatch's tables to it"]
    for cmd in (["analyze"], ["ingest", TWEETS]):
        assert _govwatch(*cmd, "--db", db, "-q").returncode == 1
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT table_name FROM information_schema.tables").fetchall() == [
        ("budget",)]
    con.close()
    out = _govwatch("ingest", TWEETS, "--db", db, "-q", "--add-to-db")
    assert out.returncode == 0, out.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 5
    assert con.execute("SELECT * FROM budget").fetchall() == [(2026, 1.5)]
    con.close()


def test_running_out_of_memory_is_one_line_naming_the_store(tmp_path):
    db = tmp_path / "s.duckdb"
    assert _govwatch("ingest", TWEETS, "--db", db, "-q").returncode == 0
    out = _govwatch("ingest", SAMPLE / "posts.csv", "--db", db, "-q",
                    env={"GOVWATCH_MEMORY_LIMIT": "1MB"})
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"Error: {db}: DuckDB ran out of memory under its limit (1MB): raise "
        "GOVWATCH_MEMORY_LIMIT"), lines
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 5  # as it was
    con.close()
