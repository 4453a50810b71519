"""Staging: posts are written in DuckDB-sized row groups, in file order, within a memory bound."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from govwatch.ingest import staging
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.pipeline import import_paths

from govwatch.records import POST_ARROW_SCHEMA
from govwatch.store import Store


def _posts(start: int, n: int, text: str = "") -> pa.Table:
    cols = {f.name: pa.nulls(n, f.type) for f in POST_ARROW_SCHEMA}
    cols["platform"] = pa.array(["x"] * n)
    cols["post_id"] = pa.array([str(i) for i in range(start, start + n)])
    cols["text"] = pa.array([text] * n)
    return pa.table(cols, schema=POST_ARROW_SCHEMA)


def _row_groups(path) -> list[int]:
    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


@pytest.mark.parametrize("cpus", [1, 2])
def test_posts_are_staged_in_full_row_groups_in_file_order(tmp_path, monkeypatch, cpus):
    """With one CPU the reading thread writes; with more, a thread of its own does."""
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 1000)
    monkeypatch.setattr(staging, "usable_cpus", lambda: cpus)
    staged = staging.Staged(tmp_path / "s.duckdb", "t")
    sizes = [300, 450, 700, 1, 2600, 20]
    start = 0
    for n in sizes:
        staged.add_posts(_posts(start, n), archived=False)
        start += n
        assert staged._pending_rows < 1000  # never more than a row group held
        assert len(staged._writes) <= staging.WRITES_HELD
    assert (staged._writer is not None) == (cpus > 1)
    staged.close()
    assert staged._writer is None and not staged._writes
    assert _row_groups(staged.posts_file) == [1000, 1000, 1000, 1000, 71]
    table = pq.read_table(staged.posts_file)
    assert table.column("post_id").to_pylist() == [str(i) for i in range(start)]
    assert table.column("_seq").to_pylist() == list(range(start))
    assert staged.posts == start


def test_long_posts_are_written_before_a_row_group_fills(tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 1000)
    monkeypatch.setattr(staging, "STAGE_HELD_BYTES", 100_000)
    staged = staging.Staged(tmp_path / "s.duckdb", "t")
    for k in range(4):  # 200 posts of about 1 kB: 200 kB a batch, over the bound
        staged.add_posts(_posts(200 * k, 200, "x" * 1000), archived=False)
        assert staged._pending == []
    staged.close()
    assert _row_groups(staged.posts_file) == [200, 200, 200, 200]


def test_a_failed_write_in_the_writing_thread_is_raised(tmp_path, monkeypatch):
    """An error of the thread writing the staged posts (a full disk) comes out of close,
    and the staging folder is removed all the same."""
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 100)
    monkeypatch.setattr(staging, "usable_cpus", lambda: 2)
    staged = staging.Staged(tmp_path / "s.duckdb", "t")
    staged.add_posts(_posts(0, 10), archived=False)
    staged._write_posts(final=True)  # opens the writer

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staged._posts, "write_table", full)
    staged.add_posts(_posts(10, 250), archived=False)
    with pytest.raises(OSError, match="No space left"):
        staged.close()
    staged.remove()
    assert not staged.dir.exists()


def test_removing_an_import_writes_nothing_more(tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 1000)
    staged = staging.Staged(tmp_path / "s.duckdb", "t")
    staged.add_posts(_posts(0, 10), archived=False)
    staged.remove()
    assert not staged.dir.exists()


@pytest.mark.parametrize("row_group_rows", [7, 122_880])
def test_the_store_is_the_same_whatever_the_row_groups(tmp_path, monkeypatch, row_group_rows):
    """A file read in many batches, staged in row groups that split batches, against one
    staged whole: the store holds the same posts."""
    csv = tmp_path / "posts.csv"
    lines = ["platform,post_id,author,created_at,text,in_reply_to_post_id"]
    for i in range(100):
        parent = str(i - 1) if i % 3 else ""
        lines.append(f"x,{i},acct{i % 4},2024-05-01T10:{i % 60:02d}:00Z,post {i},{parent}")
    lines.append("x,5,acct9,2024-05-02T10:00:00Z,a later copy of post 5,")  # neither added nor merged
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", row_group_rows)
    with Store(tmp_path / f"s{row_group_rows}.duckdb") as store:
        result = import_paths(store, [csv], "csv", ReadOptions(chunk_rows=9)).files[0]
        rows = store.conn.execute(
            "SELECT post_id, author, text, in_reply_to_post_id FROM posts "
            "ORDER BY post_id::INTEGER").fetchall()
    # merged counts posts stored before the import: a repeat within the file is not one
    assert (result.posts_added, result.posts_merged, result.rejected) == (100, 0, 0)
    assert [r[0] for r in rows] == [str(i) for i in range(100)]
    assert rows[5] == ("5", "acct1", "post 5", "4")


@pytest.mark.parametrize("stored_before", [False, True, "direct"])
def test_a_key_staged_twice_keeps_the_row_that_wins(tmp_path, monkeypatch, stored_before):
    """Of the rows of one key: a time read from the export beats one derived from an id,
    then the first in the file. The same into a store without those keys (only the
    repeated keys' losers are left out), into one that holds one of them (the merge,
    which keeps what the store has, but for an edited text), and inserted straight into
    a store holding no posts, in row groups that split the batches (the losers deleted
    once the file is read)."""
    from datetime import UTC, datetime

    def batch(ids, texts, derived):
        t = _posts(0, len(ids))
        t = t.set_column(1, "post_id", pa.array(ids))
        t = t.set_column(t.schema.get_field_index("text"), "text", pa.array(texts))
        when = [datetime(2024, 5, 1, h, tzinfo=UTC) for h in range(len(ids))]
        for name, values in (("created_at", when), ("created_at_derived", derived),
                             ("author", ["a"] * len(ids))):
            t = t.set_column(t.schema.get_field_index(name), name,
                             pa.array(values, POST_ARROW_SCHEMA.field(name).type))
        return t

    direct = stored_before == "direct"
    stored_before = stored_before is True
    store = Store(tmp_path / "s.duckdb")
    if stored_before:
        store.conn.execute("INSERT INTO posts (platform, post_id, author, created_at, text, "
                           "created_at_derived) VALUES ('x', '3', 'a', TIMESTAMP '2024-01-01', "
                           "'stored 3', false)")
    staged = staging.Staged(store.path, "t")
    if direct:
        monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 2)
        store.conn.execute("BEGIN TRANSACTION")
        staged.insert_directly(store.conn, "f", 1)
    staged.add_posts(batch(["1", "2", "3"], ["stub 1", "first 2", "only 3"],
                           [True, False, False]), archived=False)
    staged.add_posts(batch(["2", "1", "1"], ["second 2", "read 1", "read 1 again"],
                           [False, False, False]), archived=False)
    staged.close()
    if direct:  # inserted already, all six rows, in file order
        assert store.conn.execute("SELECT list(post_id ORDER BY rowid) FROM posts"
                                  ).fetchall()[0][0] == ["1", "2", "3", "2", "1", "1"]
        added, merged = staged.publish_posts(store.conn, "f", 1)
        store.conn.execute("COMMIT")
    else:
        with store.transaction() as con:
            added, merged = staged.publish_posts(con, "f", 1)
    # merged: the stored posts the file holds too (3, when stored before), each once
    assert (added, merged) == ((2, 1) if stored_before else (3, 0))
    rows = dict(store.conn.execute("SELECT post_id, (text, created_at_derived) FROM posts")
                .fetchall())
    # a stored post the file gives with another text was edited: the file's text wins
    assert rows == {"1": ("read 1", False), "2": ("first 2", False), "3": ("only 3", False)}
    assert staged.changed == (1 if stored_before else 0)
    staged.remove()
    store.close()


def _posts_csv(path, rows: int, bad_at: int | None = None):
    lines = ["platform,post_id,author,created_at,text,in_reply_to_post_id,like_count"]
    for i in range(rows):
        parent = str(i - 1) if i % 3 else ""
        when = "not a time" if i == bad_at else f"2024-05-01T10:{i % 60:02d}:00Z"
        lines.append(f"x,{i % 250},acct{i % 4},{when},post {i},{parent},{i % 7}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_file_into_a_store_without_posts_is_stored_as_when_staged(tmp_path, monkeypatch):
    """Into a store holding no posts, the posts go straight into the store as the file is
    read; into one holding other posts, they are staged and merged. The file's posts
    (keys repeated across row groups, a rejected row) come out the same either way."""
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 64)
    csv = _posts_csv(tmp_path / "posts.csv", 400, bad_at=17)
    inserted = []
    insert = staging.Staged._insert
    monkeypatch.setattr(staging.Staged, "_insert",
                        lambda self, table: (inserted.append(table.num_rows),
                                             insert(self, table))[1])
    stores = {}
    for name, other in (("direct", False), ("staged", True)):
        with Store(tmp_path / f"{name}.duckdb") as store:
            if other:
                store.conn.execute("INSERT INTO posts (platform, post_id, author, text) "
                                   "VALUES ('bluesky', 'p', 'someone', 'another post')")
            result = import_paths(store, [csv], "csv", ReadOptions(chunk_rows=50)).files[0]
            rows = store.conn.execute(
                "SELECT * EXCLUDE (import_id) FROM posts WHERE platform = 'x' "
                "ORDER BY post_id").fetchall()
            rejects = store.conn.execute("SELECT locator, reason FROM rejects").fetchall()
        stores[name] = (result.posts_added, result.posts_merged, result.rejected, rows,
                        rejects)
        if name == "direct":
            # every row read, in whole row groups but the last
            assert sum(inserted) == 399 and all(n % 64 == 0 for n in inserted[:-1])
    assert stores["direct"] == stores["staged"]
    assert stores["direct"][:3] == (250, 0, 1)


def test_a_strict_import_stopped_while_inserting_leaves_no_posts(tmp_path, monkeypatch):
    """--strict stops at a rejected row after row groups went into the store: the import's
    transaction is rolled back, the failure recorded, and the same file without the bad
    row imports in full afterwards."""
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 64)
    bad = _posts_csv(tmp_path / "bad.csv", 400, bad_at=350)
    with Store(tmp_path / "s.duckdb") as store:
        result = import_paths(store, [bad], "csv",
                              ReadOptions(chunk_rows=50, strict=True)).files[0]
        assert result.failed
        assert store.conn.execute("SELECT count(*) FROM posts").fetchall()[0][0] == 0
        assert store.conn.execute("SELECT status FROM imports").fetchall() == [("failed",)]
        good = _posts_csv(tmp_path / "good.csv", 400)
        again = import_paths(store, [good], "csv", ReadOptions(chunk_rows=50)).files[0]
        assert (again.posts_added, again.rejected) == (250, 0)
        assert store.conn.execute("SELECT count(*) FROM posts").fetchall()[0][0] == 250
