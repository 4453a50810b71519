"""The hand-writable CSV formats: validation, rejects, idempotence, merging."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

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


# -- the vectorised path and the row-checking path ------------------------------------------

CLEAN = (
    "platform,post_id,author,created_at,text,in_reply_to_post_id,in_reply_to_author,"
    "conversation_id,lang,url,like_count,share_count,reply_count,kind,extra\n"
    + "X , 1,@MinRail,2026-01-01T10:00:00Z,  Welcome\u3000aboard @asha @b_2@c ,,,1,EN,"
      "https://x.com/MinRail/status/1,5,0,007,,ignored\n"
    + 'x,2,asha,2026-01-01 11:00:00.5+05:30,"@MinRail the train\nis late, x@y ""again""!",'
      "1,@MinRail,1,hi,,,,,REPLY,\n"
    + "mastodon,3,ravi,2026-01-01T12:00:00-0300,\u00e9@ravi @" + "a" * 60 + ",,,,,,1,2,3,quote,\n"
    + "x,4,ravi,2026-01-02T00:00:00Z,,,,,,,,,,,\n"
    + "x,5,ravi,2026-01-02T00:00:00Z,\U0001f600 @emoji_1 \u0915@not,5,ravi,,kk,,,,,,\n"
)


def _tables(batches):
    import pyarrow as pa
    from govwatch.ingest.staging import POST_SCHEMA, to_arrow

    return pa.concat_tables([to_arrow(b.posts, POST_SCHEMA) for b in batches
                             if b.posts is not None and len(b.posts)])


def test_vectorised_and_row_checking_paths_give_the_same_rows(tmp_path):
    from govwatch.ingest.arrow_csv import iter_record_batches
    from govwatch.ingest.csv_posts import REQUIRED, PostsCSVReader
    from govwatch.ingest.fast_posts import fast_posts, text_columns
    from govwatch.ingest.tabular import iter_chunks, read_header

    path = tmp_path / "clean.csv"
    path.write_text(CLEAN, encoding="utf-8")
    names = read_header(path, {})
    # every batch of this file is clean: the vectorised path takes it
    raws = list(iter_record_batches(path, len(names), rows=2))
    assert raws and all(fast_posts(text_columns(r.batch, names)) is not None for r in raws)
    reader = PostsCSVReader()
    options = ReadOptions(chunk_rows=2)
    fast = _tables(reader.read(path, options))
    slow = _tables(reader._batch(c, options) for c in iter_chunks(path, REQUIRED, {}, 2))
    assert fast.num_rows == 5
    assert fast.equals(slow), (fast.to_pylist(), slow.to_pylist())
    rows = {r["post_id"]: r for r in fast.to_pylist()}
    assert rows["1"]["platform"] == "x" and rows["1"]["author"] == "MinRail"
    assert rows["1"]["mentions"] == ["asha", "b_2"] and rows["1"]["reply_count"] == 7
    assert rows["2"]["kind"] == "reply" and rows["2"]["in_reply_to_author"] == "MinRail"
    assert rows["4"]["text"] == "" and rows["4"]["kind"] == "post"


def test_a_batch_with_one_bad_cell_is_checked_row_by_row(tmp_path):
    from govwatch.ingest.csv_posts import PostsCSVReader

    path = tmp_path / "mixed.csv"
    path.write_text(CLEAN + "x,6,ravi,2026-13-01T00:00:00Z,bad month,,,,,,,,,,\n"
                    "x,7,ravi,2026-01-01T00:00:00Z,\"unterminated\n", encoding="utf-8")
    batches = list(PostsCSVReader().read(path, ReadOptions(chunk_rows=100)))
    assert _tables(batches).num_rows == 5
    rejects = [(r.locator, r.reason) for b in batches for r in b.rejects]
    assert rejects == [
        ("line 8", "created_at '2026-13-01T00:00:00Z' is not an ISO 8601 time"),
        ("line 9", "expected 15 fields as in the header, found 5"),
    ]


def test_mentions_match_the_row_by_row_regex():
    import random

    import pyarrow as pa
    from govwatch.ingest.fast_posts import mentions
    from govwatch.ingest.tabular import MENTION_RE

    texts = ["", "@a @b", "@a@b", "x@y @z", "\u00e9@no \u0915@no _@no @@x @_ok",
             "@" + "h" * 60, "tab\t@t\n@n", "\U0001f600@emoji", "nul\x00@after", "@a,@b;@c",
             "@", "@@", "a@", "\u00b2@no \u0663@no \u2160@no \u3000@yes", "@\u00e9no"]
    want = pd.Series(texts).str.findall(MENTION_RE).tolist()
    assert mentions(pa.array(texts)).to_pylist() == want
    # Random texts over the characters that matter: '@', handle characters, Unicode
    # letters and digits (word characters to Python), other symbols and spaces.
    rng = random.Random(7)
    alphabet = list("@@@@aZ9_ .,;-\n\x00") + ["\u00e9", "\u0915", "\u00b2", "\u0663",
                                               "\U0001f600", "\u3000", "\u200b"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
             for _ in range(5_000)]
    texts += ["x" * 49 + "@" + "y" * rng.randrange(45, 56) for _ in range(20)]
    want = [re.findall(MENTION_RE, t) for t in texts]
    assert mentions(pa.array(texts)).to_pylist() == want


def test_whitespace_stripped_as_python_strips():
    from govwatch.ingest.fast_posts import PY_WHITESPACE

    assert PY_WHITESPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())


def test_duplicate_keys_in_one_file_keep_the_first(tmp_path):
    p = tmp_path / "dupes.csv"
    p.write_text(HEADER + "x,1,a,2026-01-01T00:00:00Z,first,,,\nx,2,a,2026-01-01T00:00:00Z,b,,,\n"
                 "x,1,a,2026-01-01T00:00:00Z,second,,,3\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [p], options=ReadOptions(chunk_rows=1)).files[0]
        assert (f.posts_added, f.posts_merged) == (2, 0)  # nothing was stored before
        assert store.conn.execute("SELECT post_id, text FROM posts ORDER BY 1").fetchall() == [
            ("1", "first"), ("2", "b")]


def test_staging_folders_of_killed_imports_are_removed(tmp_path, broken_csv):
    db = tmp_path / "s.duckdb"
    left = tmp_path / "s.duckdb.staging-99999"
    left.mkdir()
    (left / "posts.parquet").write_bytes(b"half-written")
    with Store(db) as store:
        assert import_paths(store, [broken_csv]).files[0].posts_added == 3
    assert [p.name for p in tmp_path.iterdir() if ".staging-" in p.name] == []


def test_a_record_longer_than_a_parse_block_is_read_on_by_the_csv_module(tmp_path):
    from govwatch.ingest.arrow_csv import BLOCK_BYTES
    from govwatch.ingest.csv_posts import PostsCSVReader
    from govwatch.ingest.tabular import oversized_reason

    rows = ["platform,post_id,author,created_at,text"]
    rows += [f"x,{i},a,2026-01-01T00:00:00Z,hello {i}" for i in range(1, 5)]
    rows.append('x,5,a,2026-01-01T00:00:00Z,"' + "y" * (3 * BLOCK_BYTES) + '\nmore"')
    rows += [f"x,{i},a,2026-01-01T00:00:00Z,hi @u{i}" for i in range(6, 9)]
    rows.append("x,9,a,bad,oops")
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    batches = list(PostsCSVReader().read(path, ReadOptions()))
    assert _tables(batches).column("post_id").to_pylist() == ["1", "2", "3", "4", "6", "7", "8"]
    assert sum(b.rows_read for b in batches) == 9
    assert [(r.locator, r.reason) for b in batches for r in b.rejects] == [
        ("line 6", oversized_reason(6, 7)),  # 3 MiB: skipped without being held
        ("line 11", "created_at 'bad' is not an ISO 8601 time"),
    ]


def test_rejects_in_many_batches_keep_their_physical_lines(tmp_path):
    """Rows of the wrong width spread over many batches, after cells holding line breaks:
    each reject names the physical line its record starts on, whichever thread converted
    its batch, and every valid row is kept."""
    from govwatch.ingest.csv_posts import PostsCSVReader

    lines, want, line_no, good = [HEADER.rstrip("\n")], [], 1, 0
    for i in range(300):
        line_no += 1
        if i % 7 == 3:  # too few fields
            lines.append(f"x,bad{i},a,2026-01-01T00:00:00Z,short")
            want.append(f"line {line_no}")
        elif i % 5 == 0:  # a quoted cell over two physical lines
            lines.append(f'x,{i},a,2026-01-01T00:00:00Z,"two\nlines",,,')
            line_no += 1
            good += 1
        else:
            lines.append(f"x,{i},a,2026-01-01T00:00:00Z,text {i},,,")
            good += 1
    path = tmp_path / "spread.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batches = list(PostsCSVReader().read(path, ReadOptions(chunk_rows=9)))
    assert [r.locator for b in batches for r in b.rejects] == want
    assert _tables(batches).num_rows == good


@pytest.fixture
def hash_beside(monkeypatch):
    """Every file hashed by a thread while it is read (as a large file is on two CPUs)."""
    from govwatch.ingest import pipeline

    monkeypatch.setattr(pipeline, "HASH_BESIDE_BYTES", 0)
    monkeypatch.setattr(pipeline, "usable_cpus", lambda: 2)


def test_hashing_while_reading_stores_the_same_and_skips_a_re_import(tmp_path, broken_csv,
                                                                      hash_beside, monkeypatch):
    from govwatch.ingest.pipeline import sha256_file

    with Store(tmp_path / "beside.duckdb") as store:
        first = import_paths(store, [broken_csv]).files[0]
        again = import_paths(store, [broken_csv]).files[0]
        beside = snapshot(store), store.conn.execute(
            "SELECT sha256, rows_read, posts_added, rejected, status FROM imports").fetchall()
        rejects = store.conn.execute("SELECT locator, reason FROM rejects ORDER BY 1").fetchall()
    assert first.posts_added == 3 and first.rejected == 5
    assert again.skipped_as == first.import_id and again.posts_added == 0
    assert beside[1] == [(sha256_file(broken_csv), 8, 3, 5, "complete")]
    # The same rows, rejects and import record as hashing first.
    monkeypatch.undo()
    with Store(tmp_path / "first.duckdb") as store:
        import_paths(store, [broken_csv])
        assert snapshot(store) == beside[0]
        assert store.conn.execute(
            "SELECT sha256, rows_read, posts_added, rejected, status FROM imports"
        ).fetchall() == beside[1]
        assert store.conn.execute(
            "SELECT locator, reason FROM rejects ORDER BY 1").fetchall() == rejects


def test_hashing_while_reading_a_strict_re_import_is_skipped(tmp_path, broken_csv, hash_beside):
    """A file imported before whole (its rejects stored) is not read again with --strict,
    even when the read stops at a reject before the hash is known."""
    with Store(tmp_path / "s.duckdb") as store:
        first = import_paths(store, [broken_csv]).files[0]
        again = import_paths(store, [broken_csv], options=ReadOptions(strict=True)).files[0]
        assert again.skipped_as == first.import_id and again.failed is None
        assert store.conn.execute("SELECT count(*) FROM imports").fetchone()[0] == 1


def test_hashing_while_reading_a_failed_file_keeps_its_digest(tmp_path, hash_beside):
    from govwatch.ingest.pipeline import sha256_file

    p = tmp_path / "strict.csv"
    p.write_text(BROKEN, encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        failed = import_paths(store, [p], fmt="csv", options=ReadOptions(strict=True)).files[0]
        assert failed.failed
        assert store.conn.execute("SELECT sha256, status FROM imports").fetchall() == [
            (sha256_file(p), "failed")]
