"""The posts export under a low DuckDB memory cap: its table of joined columns is built in
steps that each hold one large join (export/queries.py), so a store whose export ran out
of memory when one query built that table in slice order now exports under the same cap,
with the rows it writes under the default cap."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from govwatch.export import export, slices

from govwatch.store import MEMORY_LIMIT_ENV, Store

POSTS = 200_000
# One query building the joined columns in slice order ran out of memory on this store
# at 100 MB (and at 120 MB); in steps the export fits.
CAP = "100MB"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A real store file of POSTS posts in threads of ten, each opened by one of 100
    official accounts and answered by citizens (a third naming an official and a citizen),
    every post tagged; times out of the posts' order, so every slice spans the table."""
    path = tmp_path_factory.mktemp("memory") / "store.duckdb"
    with Store(path) as s:
        con = s.conn
        con.execute("""INSERT INTO accounts (platform, author, official, institution, country)
                       SELECT 'x', 'Office' || i, true, 'Ministry ' || i, 'XA'
                       FROM range(100) t(i)""")
        con.execute(f"""
            INSERT INTO posts (platform, post_id, author, created_at, text, kind,
                               in_reply_to_post_id, in_reply_to_author, conversation_id,
                               mentions)
            SELECT 'x', 'p' || (100000000000000000 + i),
                   CASE WHEN i % 10 = 0 THEN 'Office' || (i % 100)
                        ELSE 'citizen_handle_' || (i % 5003) END,
                   TIMESTAMPTZ '2026-01-02 00:00:00+00' + to_seconds((i * 7919) % {POSTS} * 5),
                   'Text of post ' || i, CASE WHEN i % 10 = 0 THEN 'post' ELSE 'reply' END,
                   CASE WHEN i % 10 <> 0 THEN 'p' || (100000000000000000 + i - i % 10) END,
                   CASE WHEN i % 10 <> 0 THEN 'Office' || ((i - i % 10) % 100) END,
                   'c' || (i - i % 10),
                   CASE WHEN i % 3 = 0 THEN ['office' || ((i + 1) % 100),
                                             'citizen_handle_' || (i % 77)] END
            FROM range({POSTS}) t(i)""")
        con.execute(f"""
            INSERT INTO tags (platform, post_id, lang, sentiment, topic, critical,
                              needs_response)
            SELECT 'x', 'p' || (100000000000000000 + i), 'en', (i % 21 - 10) / 10.0,
                   'roads and transport', i % 5 = 0, i % 2 = 0
            FROM range({POSTS}) t(i)""")
    return path


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_posts_export_fits_a_cap_one_query_did_not(store, tmp_path, monkeypatch, fmt):
    whole = export(store, "posts", fmt, tmp_path / f"whole.{fmt}")
    monkeypatch.setattr(slices, "SLICE_ROWS", 50_000)  # several slices, as a large store
    monkeypatch.setenv(MEMORY_LIMIT_ENV, CAP)
    capped = export(store, "posts", fmt, tmp_path / f"capped.{fmt}")
    assert capped.rows == whole.rows == POSTS
    read = "read_csv" if fmt == "csv" else "read_parquet"
    with duckdb.connect() as con:
        got = con.execute(f"""
            SELECT count(*), count(DISTINCT post_id), count(*) FILTER (WHERE author_is_official),
                   count(*) FILTER (WHERE author LIKE 'p\\_%' ESCAPE '\\'),
                   count(*) FILTER (WHERE official_account = 'Office10'), count(mentions),
                   count(topic), count(*) FILTER (WHERE critical)
            FROM {read}('{capped.path}')""").fetchone()
        assert got == (POSTS, POSTS, POSTS // 10, POSTS - POSTS // 10, POSTS // 10,
                       -(-POSTS // 3), POSTS, POSTS // 5)
        order = con.execute(f"SELECT created_at, post_id FROM {read}('{capped.path}')").fetchall()
    assert order == sorted(order)
    if fmt == "csv":
        assert capped.path.read_bytes() == whole.path.read_bytes()
    else:  # the same rows in the same order (a sliced file's columns are all nullable)
        pd.testing.assert_frame_equal(pd.read_parquet(capped.path), pd.read_parquet(whole.path),
                                      check_exact=True)


def test_stata_export_holds_a_chunk_not_the_table(store, tmp_path, monkeypatch):
    """The .dta is written a chunk of rows at a time (export/stata.py), each slice of the
    posts sorted on its own under the cap: Python's peak (tracemalloc: pandas' and
    NumPy's buffers) is a small part of the table as one frame, which the writer before
    held whole."""
    import tracemalloc

    from govwatch.export import stata

    monkeypatch.setattr(slices, "SLICE_ROWS", 50_000)
    monkeypatch.setattr(stata, "CHUNK_VECTORS", 4)  # 8,192 rows at a time
    monkeypatch.setenv(MEMORY_LIMIT_ENV, CAP)
    tracemalloc.start()
    try:
        result = export(store, "posts", "dta", tmp_path / "posts.dta")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    frame = pd.read_stata(result.path)
    assert result.rows == len(frame) == POSTS
    assert frame["post_id"].is_unique
    whole = frame.memory_usage(deep=True).sum()
    assert peak < whole / 4, (peak, whole)
