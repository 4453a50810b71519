"""The posts export written slice by slice (govwatch/export/slices.py): the same rows
in the same order as one query, whatever the number of slices."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from govwatch.export import export, slices


@pytest.fixture(scope="module")
def store(sample_cli_store, tmp_path_factory):
    """The analysed sample, with a few posts of each platform given no time (they go
    last within their platform) and a platform of a single post."""
    db = tmp_path_factory.mktemp("slices") / "store.duckdb"
    shutil.copy(sample_cli_store, db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE posts SET created_at = NULL WHERE post_id IN (SELECT post_id FROM "
                    "posts WHERE kind = 'reply' ORDER BY post_id LIMIT 5)")
        con.execute("UPDATE posts SET platform = 'zz' WHERE post_id = (SELECT min(post_id) "
                    "FROM posts WHERE kind = 'post')")
    return db


def _frame(path, fmt):
    with duckdb.connect() as con:
        read = "read_csv" if fmt == "csv" else "read_parquet"
        kwargs = ", all_varchar = true" if fmt == "csv" else ""
        return con.execute(f"SELECT * FROM {read}('{path}'{kwargs})").df()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_slices_give_the_rows_of_one_query_in_its_order(store, tmp_path, monkeypatch, fmt):
    whole = export(store, "posts", fmt, tmp_path / f"whole.{fmt}", include_text=True)
    with duckdb.connect(str(store), read_only=True) as con:
        posts = con.execute("SELECT count(*) FROM posts").fetchone()[0]
        monkeypatch.setattr(slices, "SLICE_ROWS", 400)
        cuts = slices.conditions(con)
    platforms = {c.split(" AND ")[0] for c in cuts}
    assert len(cuts) >= posts // 400 and len(platforms) >= 3
    assert sum("IS NULL" in c for c in cuts) >= 1  # the posts without a time
    sliced = export(store, "posts", fmt, tmp_path / f"sliced.{fmt}", include_text=True)
    assert sliced.rows == whole.rows > 5000
    if fmt == "csv":
        assert sliced.path.read_bytes() == whole.path.read_bytes()
    a, b = _frame(whole.path, fmt), _frame(sliced.path, fmt)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert b["created_at"].isna().sum() >= 5
    assert list(sliced.columns) == list(whole.columns)
    assert not list(tmp_path.glob("*.slice"))  # no piece left behind


def test_one_slice_for_a_small_store(store):
    with duckdb.connect(str(store), read_only=True) as con:
        assert slices.conditions(con) == ["TRUE"]
        assert slices.number(["TRUE"]) == "0"


def test_a_slice_with_other_columns_is_named_and_nothing_is_written(store, tmp_path,
                                                                     monkeypatch):
    """The Parquet file takes the first slice's columns: a later slice whose columns
    differ (forced here: one slice's times as text) fails naming the file and that
    slice, and leaves no file, not pyarrow's error on a half-written one."""
    from govwatch.errors import OutputError

    real = slices.queries

    def second_differs(template, cuts):
        for i, sql in enumerate(real(template, cuts)):
            yield (f"SELECT * REPLACE (CAST(created_at AS VARCHAR) AS created_at) FROM ({sql})"
                   if i == 1 else sql)

    monkeypatch.setattr(slices, "SLICE_ROWS", 400)
    monkeypatch.setattr(slices, "queries", second_differs)
    out = tmp_path / "posts.parquet"
    with pytest.raises(OutputError) as err:
        export(store, "posts", "parquet", out, include_text=True)
    assert err.value.file == str(out)
    assert "slice 2 of " in err.value.reason
    assert "(created_at: string instead of timestamp[us, tz=UTC]);" in err.value.reason
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("pseudonymise", [True, False])
def test_mentions_grouped_by_ranges_of_posts_give_the_same_file(store, tmp_path, monkeypatch,
                                                               pseudonymise):
    from govwatch.export import queries

    from govwatch.store import Store

    whole = export(store, "posts", "csv", tmp_path / "whole.csv", pseudonymise=pseudonymise)
    with Store(store, read_only=True) as s:  # as the export opens it
        posts, mentioned = s.conn.execute(
            "SELECT count(*), count(*) FILTER (len(coalesce(mentions, [])) > 0) FROM posts"
        ).fetchone()
    monkeypatch.setattr(queries, "CHUNK_ROWS", 300)
    assert posts > 10 * 300 and mentioned > 100
    ranged = export(store, "posts", "csv", tmp_path / "ranged.csv", pseudonymise=pseudonymise)
    assert ranged.rows == whole.rows
    assert ranged.path.read_bytes() == whole.path.read_bytes()
    assert any(";" in m for m in _frame(ranged.path, "csv")["mentions"].dropna())
