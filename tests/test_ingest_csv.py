"""The hand-writable CSV formats: validation, rejects, idempotence, merging."""

from __future__ import annotations

import pandas as pd
import pytest

from govwatch.store import Store
from ingest.base import ReadOptions
from ingest.pipeline import import_paths

HEADER = "platform,post_id,author,created_at,text,in_reply_to_post_id,in_reply_to_author,like_count\n"

BROKEN = (
    HEADER
    + "x,1,MinRail,2026-01-01T10:00:00Z,Welcome aboard,,,5\n"
    + 'x,2,asha,2026-01-01T11:00:00+05:30,"@MinRail the train\nis late, again!",1,MinRail,\n'
    + "x,3,MinRail,2026-01-01T12:00:00Z,@asha sorry,2,asha,lots\n"
    + "x,4,ravi,2026-01-01 12:00:00,no offset,,,\n"
    + "x,,ravi,2026-01-01T12:00:00Z,no id,,,\n"
    + "x,5,ravi,yesterday,bad time,,,\n"
    + "x,6,ravi,2026-01-01T12:00:00Z,too,many,fields,,,\n"
    + "x,7,ravi,2026-01-02T00:00:00-03:00,ok again,,,0\n"
)


def snapshot(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT * EXCLUDE (import_id) FROM posts ORDER BY post_id").fetchall()


@pytest.fixture
def broken_csv(tmp_path):
    p = tmp_path / "broken.csv"
    p.write_text(BROKEN, encoding="utf-8")
    return p


def test_broken_rows_are_rejected_and_valid_rows_kept(tmp_path, broken_csv):
    with Store(tmp_path / "s.duckdb") as store:
        summary = import_paths(store, [broken_csv])
        f = summary.files[0]
        assert f.format == "csv"
        assert f.posts_added == 3 and f.rows_read == 8
        got = [(r.locator, r.reason) for r in f.rejects]
        # post 2's quoted text spans lines 3-4, so post 3 starts on line 5
        assert got == [
            ("line 5", "like_count 'lots' is not a whole number >= 0"),
            ("line 6", "created_at has no UTC offset; add one (e.g. Z or +05:30) or pass "
                       "--assume-tz ZONE"),
            ("line 7", "post_id is empty"),
            ("line 8", "created_at 'yesterday' is not an ISO 8601 time"),
            ("line 9", "expected 8 fields as in the header, found 10"),
        ]
        stored = store.conn.execute(
            "SELECT locator, reason FROM rejects ORDER BY locator").fetchall()
        assert sorted(got) == stored
        rows = dict(store.conn.execute(
            "SELECT post_id, created_at FROM posts").fetchall())
        assert rows["2"] == pd.Timestamp("2026-01-01T05:30:00Z")
        assert rows["7"] == pd.Timestamp("2026-01-02T03:00:00Z")
        text = store.conn.execute("SELECT text, mentions FROM posts WHERE post_id='2'").fetchone()
        assert text == ("@MinRail the train\nis late, again!", ["MinRail"])


def test_reimport_changes_nothing(tmp_path, broken_csv):
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [broken_csv])
        before = snapshot(store), store.count("rejects")
        again = import_paths(store, [broken_csv]).files[0]
        assert again.skipped_as == 1
        assert (snapshot(store), store.count("rejects")) == before
        # the same rows in another file: they merge, nothing new
        copy = tmp_path / "copy.csv"
        copy.write_bytes(broken_csv.read_bytes() + b"\n")  # other bytes, same rows
        f = import_paths(store, [copy]).files[0]
        assert (f.posts_added, f.posts_merged) == (0, 3)
        assert snapshot(store) == before[0]


def test_assume_tz_converts_naive_times_across_dst(tmp_path):
    p = tmp_path / "naive.csv"
    p.write_text(
        HEADER
        + "x,1,a,2026-03-29 01:30:00,before the switch,,,\n"
        + "x,2,a,2026-03-29 03:30:00,after the switch,,,\n"
        + "x,3,a,2026-03-29 02:30:00,does not exist in Berlin,,,\n",
        encoding="utf-8",
    )
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [p], options=ReadOptions(assume_tz="Europe/Berlin")).files[0]
        times = dict(store.conn.execute("SELECT post_id, created_at FROM posts").fetchall())
        assert times["1"] == pd.Timestamp("2026-03-29T00:30:00Z")  # CET, +01:00
        assert times["2"] == pd.Timestamp("2026-03-29T01:30:00Z")  # CEST, +02:00
        assert [r.locator for r in f.rejects] == ["line 4"]
        assert "does not exist in Europe/Berlin" in f.rejects[0].reason


def test_bom_crlf_quoted_newlines_and_line_numbers(tmp_path):
    p = tmp_path / "crlf.csv"
    body = (
        "\ufeff" + HEADER.replace("\n", "\r\n")
        + 'x,1,a,2026-01-01T00:00:00Z,"two\r\nlines",,,\r\n'
        + "x,2,a,not-a-time,bad,,,\r\n"
    )
    p.write_bytes(body.encode("utf-8"))
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [p]).files[0]
        assert f.posts_added == 1
        assert [r.locator for r in f.rejects] == ["line 4"]  # header 1, row spans 2-3
        assert store.conn.execute("SELECT text FROM posts").fetchone()[0] == "two\r\nlines"


def test_invalid_utf8_rejects_only_that_row(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes(
        HEADER.encode()
        + b"x,1,a,2026-01-01T00:00:00Z,fine,,,\n"
        + b"x,2,a,2026-01-01T00:00:00Z,caf\xe9,,,\n"
        + "x,3,a,2026-01-01T00:00:00Z,कृपया मदद करें,,,\n".encode()
    )
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [p]).files[0]
        assert f.posts_added == 2
        assert [(r.locator, r.reason) for r in f.rejects] == [("line 3", "invalid UTF-8")]


def test_missing_column_and_empty_file_fail_clearly(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("platform,post_id,author,text\nx,1,a,hi\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [bad], fmt="csv").files[0]
        assert f.failed.startswith("missing required column(s): created_at")
        assert f.rejects[0].locator == "line 1"
        g = import_paths(store, [empty]).files[0]
        assert g.failed == "the file is empty"
        assert store.count("posts") == 0
        statuses = store.conn.execute("SELECT status FROM imports ORDER BY import_id").fetchall()
        assert statuses == [("failed",), ("failed",)]


def test_overlapping_exports_merge_and_fill_gaps(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text(HEADER + "x,1,a,2026-01-01T00:00:00Z,one,,,\nx,2,a,2026-01-02T00:00:00Z,two,,,\n",
                 encoding="utf-8")
    b.write_text(HEADER + "x,2,a,2026-01-02T00:00:00Z,two,,,7\nx,3,a,2026-01-03T00:00:00Z,three,,,\n",
                 encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [a])
        f = import_paths(store, [b]).files[0]
        assert (f.posts_added, f.posts_merged) == (1, 1)
        rows = store.conn.execute("SELECT post_id, like_count FROM posts ORDER BY 1").fetchall()
        assert rows == [("1", None), ("2", 7), ("3", None)]


def test_mapping_renames_foreign_headers(tmp_path):
    p = tmp_path / "foreign.csv"
    p.write_text("network,id,user,time,message\nx,9,a,2026-01-01T00:00:00Z,hello\n",
                 encoding="utf-8")
    mapping = {"network": "platform", "id": "post_id", "user": "author", "time": "created_at",
               "message": "text"}
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [p], fmt="csv", options=ReadOptions(mapping=mapping)).files[0]
        assert f.posts_added == 1 and not f.rejects


def test_accounts_csv_validation(tmp_path):
    p = tmp_path / "accounts.csv"
    p.write_text(
        "platform,author,institution,country,level,timezone,office_hours\n"
        "x,@MinRail,Ministry of Railways,xa,National,Asia/Kolkata,Mon-Fri 09:00-17:00\n"
        "x,Bad1,Ministry,XAA,national,Asia/Kolkata,\n"
        "x,Bad2,Ministry,XA,federal,Asia/Kolkata,\n"
        "x,Bad3,Ministry,XA,national,Mars/Olympus,\n"
        "x,Bad4,Ministry,XA,national,UTC,Someday 9-5\n",
        encoding="utf-8",
    )
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [p], kind="accounts").files[0]
        assert f.format == "accounts-csv"
        assert f.accounts_added == 1
        assert [r.locator for r in f.rejects] == ["line 3", "line 4", "line 5", "line 6"]
        assert "ISO 3166" in f.rejects[0].reason
        assert "level must be one of" in f.rejects[1].reason
        assert "IANA zone" in f.rejects[2].reason
        assert f.rejects[3].reason.startswith("office_hours: cannot read")
        row = store.conn.execute(
            "SELECT author, official, country, level FROM accounts").fetchone()
        assert row == ("MinRail", True, "XA", "national")


def test_strict_stores_nothing_of_a_bad_file(tmp_path, broken_csv):
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [broken_csv], options=ReadOptions(strict=True)).files[0]
        assert f.failed and "--strict" in f.failed
        assert store.count("posts") == 0
