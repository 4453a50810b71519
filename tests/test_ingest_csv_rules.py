"""The posts CSV's rules: an unclosed quote, times (date alone, bounds, offsets,
daylight saving), and the two paths of the reader agreeing on each."""

from __future__ import annotations

import pandas as pd
import pytest
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

HEADER = "platform,post_id,author,created_at,text,in_reply_to_post_id,like_count"


def _posts_file(path, n=1000, broken=10, quoted=None, crlf=False):
    rows = [HEADER]
    for i in range(1, n + 1):
        text = f"hello {i}"
        if i == broken:
            text = '"unterminated quote here'
        elif i == quoted:
            text = '"a, properly ""quoted"" field"'
        rows.append(f"x,{3000 + i},citizen{i},2026-01-01T10:00:00Z,{text},,{i}")
    nl = "\r\n" if crlf else "\n"
    path.write_text(nl.join(rows) + nl, encoding="utf-8")
    return path


def _import(tmp_path, path, **options):
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [path], options=ReadOptions(**options)).files[0]
        rows = store.conn.execute("SELECT post_id, text FROM posts ORDER BY post_id").fetchall()
    return f, rows


@pytest.mark.parametrize("quoted", [500, None], ids=["later-quote", "no-later-quote"])
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_an_unclosed_quote_loses_only_its_own_row(tmp_path, quoted, crlf):
    path = _posts_file(tmp_path / "posts.csv", quoted=quoted, crlf=crlf)
    f, rows = _import(tmp_path, path)
    assert f.posts_added == 999 and f.rows_read == 1000
    spans = 491 if quoted else 991  # lines 11 to 501 (or the file's end)
    assert [(r.locator, r.reason) for r in f.rejects] == [
        ("line 11", f"unclosed quote: this record spans {spans} lines (to line {10 + spans}) "
                    "and takes in line 12, a record of its own; reading resumes there")]
    ids = {int(p) for p, _ in rows}
    assert ids == set(range(3001, 4001)) - {3010}
    texts = dict(rows)
    assert max(len(t) for t in texts.values()) < 40
    if quoted:
        assert texts["3500"] == 'a, properly "quoted" field'


def test_the_csv_module_path_resynchronises_the_same_way(tmp_path):
    """Arrow's path hands over at the broken record; the csv module's own path, read
    from the start, gives the same rows and the same reject."""
    from govwatch.ingest.csv_posts import PostsCSVReader
    from govwatch.ingest.posts_rules import REQUIRED, is_record
    from govwatch.ingest.tabular import iter_chunks, read_header

    from tests.test_ingest_csv import _tables

    path = _posts_file(tmp_path / "posts.csv", n=60, broken=5, quoted=30)
    reader, options = PostsCSVReader(), ReadOptions(chunk_rows=7)
    fast = list(reader.read(path, options))
    record = is_record(read_header(path, {}))
    slow = [reader._batch(c, options)
            for c in iter_chunks(path, REQUIRED, {}, 7, is_record=record)]
    assert _tables(fast).equals(_tables(slow))
    assert _tables(fast).num_rows == 59
    assert ([(r.locator, r.reason) for b in fast for r in b.rejects]
            == [(r.locator, r.reason) for b in slow for r in b.rejects])


def test_a_text_over_several_lines_is_not_an_unclosed_quote(tmp_path):
    path = tmp_path / "letters.csv"
    letter = ('"Dear minister,\nwe, the people, of A, B, C, D, E, demand\n'
              'x,1,a,b,c,d,e\n2026-01-01T00:00:00Z, twice"')
    path.write_text(f"{HEADER}\nx,1,asha,2026-01-01T10:00:00Z,{letter},,\n"
                    "x,2,ravi,2026-01-01T11:00:00Z,plain,,\n", encoding="utf-8")
    f, rows = _import(tmp_path, path)
    assert f.rejects == [] and f.posts_added == 2
    assert dict(rows)["1"].startswith("Dear minister,\nwe, the people")


# -- times ------------------------------------------------------------------------------


def _times_file(tmp_path, *times):
    path = tmp_path / "times.csv"
    path.write_text(HEADER + "\n" + "".join(
        f"x,{i},a,{t},t{i},,\n" for i, t in enumerate(times, 1)), encoding="utf-8")
    return path


def test_a_date_alone_is_refused_unless_day_precision_is_asked(tmp_path):
    path = _times_file(tmp_path, "2026-02-02", "2026-02-02T10:00:00Z")
    f, rows = _import(tmp_path, path, assume_tz="Europe/Berlin")
    assert [r.post_id if hasattr(r, "post_id") else r.locator for r in f.rejects] == ["line 2"]
    assert "has no time of day" in f.rejects[0].reason
    assert "--day-precision" in f.rejects[0].reason
    with Store(tmp_path / "d.duckdb") as store:
        g = import_paths(store, [path], options=ReadOptions(day_precision=True)).files[0]
        assert g.rejects == [] and g.posts_added == 2
        t = store.conn.execute("SELECT created_at FROM posts WHERE post_id='1'").fetchone()[0]
        assert t == pd.Timestamp("2026-02-02T00:00:00Z")


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                                  "1990-01-01T01:00:00+02:00", "2100-01-01T00:00:00Z"])
def test_implausible_times_are_refused_with_the_bounds(tmp_path, when):
    path = _times_file(tmp_path, when, "2026-01-01T00:00:00Z")
    f, rows = _import(tmp_path, path)
    assert [r.locator for r in f.rejects] == ["line 2"]
    assert "outside the plausible range 1990-01-01 to 2100-01-01" in f.rejects[0].reason
    assert [p for p, _ in rows] == ["2"]


def test_both_paths_share_the_offset_rule(tmp_path):
    """'+05' (hours only) is an offset to both paths; the vectorised path takes it."""
    from govwatch.ingest.arrow_csv import iter_record_batches
    from govwatch.ingest.csv_posts import PostsCSVReader
    from govwatch.ingest.fast_posts import fast_posts, text_columns
    from govwatch.ingest.posts_rules import REQUIRED
    from govwatch.ingest.tabular import iter_chunks, read_header

    from tests.test_ingest_csv import _tables

    path = _times_file(tmp_path, "2026-01-01T10:00:00+05", "2026-01-01T10:00:00-0330",
                       "2026-01-01 10:00:00.25Z")
    names = read_header(path, {})
    assert all(fast_posts(text_columns(r.batch, names)) is not None
               for r in iter_record_batches(path, len(names)))
    reader, options = PostsCSVReader(), ReadOptions()
    fast = _tables(reader.read(path, options))
    slow = _tables(reader._batch(c, options) for c in iter_chunks(path, REQUIRED, {}, 10))
    assert fast.equals(slow)
    assert [t.isoformat() for t in fast.column("created_at").to_pylist()] == [
        "2026-01-01T05:00:00+00:00", "2026-01-01T13:30:00+00:00",
        "2026-01-01T10:00:00.250000+00:00"]


def test_a_time_the_clock_passes_twice_is_called_ambiguous(tmp_path):
    path = _times_file(tmp_path, "2026-10-25 02:30:00", "2026-03-29 02:30:00")
    f, _ = _import(tmp_path, path, assume_tz="Europe/Berlin")
    reasons = [r.reason for r in f.rejects]
    assert "is ambiguous in Europe/Berlin" in reasons[0]
    assert "does not exist in Europe/Berlin" in reasons[1]


@pytest.mark.parametrize("rule, utc", [("earlier", "2026-10-25T00:30:00+00:00"),
                                        ("later", "2026-10-25T01:30:00+00:00")])
def test_ambiguous_time_takes_the_occurrence_asked_for(tmp_path, rule, utc):
    """--ambiguous-time earlier|later resolves a time the clock passes twice; a time it
    skips is still refused, and the import records the rule."""
    import json

    path = _times_file(tmp_path, "2026-10-25 02:30:00", "2026-03-29 02:30:00")
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [path], options=ReadOptions(
            assume_tz="Europe/Berlin", ambiguous_time=rule)).files[0]
        times = store.conn.execute("SELECT created_at FROM posts").fetchall()
        options = json.loads(store.conn.execute("SELECT options FROM imports").fetchone()[0])
    assert [t.isoformat() for t, in times] == [utc]
    assert [r.locator for r in f.rejects] == ["line 3"]
    assert "does not exist in Europe/Berlin" in f.rejects[0].reason
    assert options["ambiguous_time"] == rule


@pytest.mark.parametrize("rule, want", [
    ("reject", None), ("earlier", "2026-10-25T00:30:00+00:00"),
    ("later", "2026-10-25T01:30:00+00:00")])
def test_a_json_reader_s_local_times_follow_the_same_rules(tmp_path, rule, want):
    """A JSON reader's time without an offset (--assume-tz): a time the clock skips is
    refused (it used to be shifted silently), an ambiguous one follows --ambiguous-time
    (it used to be taken as the earlier one silently)."""
    import json
    from pathlib import Path

    src = Path(__file__).parent / "fixtures" / "mastodon_api" / "statuses.jsonl"
    page = json.loads(src.read_text(encoding="utf-8").splitlines()[0])[:3]
    page[0]["created_at"] = "2026-10-25T02:30:00"  # ambiguous in Berlin
    page[1]["created_at"] = "2026-03-29T02:30:00"  # skipped in Berlin
    page[2]["created_at"] = "2026-06-01T12:00:00"
    path = tmp_path / "statuses.jsonl"
    path.write_text(json.dumps(page) + "\n" + json.dumps(page[2:]) + "\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [path], "mastodon-api", ReadOptions(
            assume_tz="Europe/Berlin", ambiguous_time=rule)).files[0]
        times = dict(store.conn.execute("SELECT post_id, created_at FROM posts").fetchall())
    reasons = {r.reason.split(" (")[0] for r in f.rejects}
    assert "created_at: 2026-03-29 02:30:00 does not exist in Europe/Berlin" in reasons
    assert times[page[2]["uri"]].isoformat() == "2026-06-01T10:00:00+00:00"
    if want is None:
        assert "created_at: 2026-10-25 02:30:00 is ambiguous in Europe/Berlin" in reasons
        assert page[0]["uri"] not in times
    else:
        assert times[page[0]["uri"]].isoformat() == want and len(f.rejects) == 1


def test_a_json_reader_s_implausible_times_are_refused_too(tmp_path):
    """Every reader's posts pass the same bounds (a Mastodon page here)."""
    import json
    from pathlib import Path

    src = Path(__file__).parent / "fixtures" / "mastodon_api" / "statuses.jsonl"
    lines = src.read_text(encoding="utf-8").splitlines()
    page = json.loads(lines[0])
    page[0]["created_at"] = "9999-12-31T00:00:00.000Z"
    page[1]["created_at"] = "0001-01-01T00:00:00.000Z"
    path = tmp_path / "statuses.jsonl"
    path.write_text("\n".join([json.dumps(page), *lines[1:]]) + "\n", encoding="utf-8")
    with Store(tmp_path / "a.duckdb") as store:
        full = import_paths(store, [src]).files[0].posts_added
    with Store(tmp_path / "b.duckdb") as store:
        f = import_paths(store, [path]).files[0]
    assert f.posts_added == full - 2
    assert [r.locator for r in f.rejects] == [f"post_id {page[0]['uri']}",
                                             f"post_id {page[1]['uri']}"]
    assert all("outside the plausible range 1990-01-01 to 2100-01-01" in r.reason
               for r in f.rejects)


def test_analysis_passes_over_implausible_times_an_older_import_stored(tmp_path):
    from govwatch.analysis.pipeline import run_analysis

    from tests.builders import account, build_store, post

    posts = [post("1", "asha", "2026-01-01T10:00:00Z", "@Min help", reply_to="0",
                  reply_author="Min"),
             post("0", "Min", "2026-01-01T09:00:00Z", "news"),
             post("2", "Min", "2026-01-01T11:00:00Z", "@asha yes", reply_to="1",
                  reply_author="asha"),
             post("3", "ravi", "2026-01-01T10:30:00Z", "@Min and me?", reply_to="0",
                  reply_author="Min")]
    store = build_store(tmp_path, posts, [account("Min")])
    try:
        before = store.conn.execute("SELECT * FROM responses ORDER BY message_id").fetchall()
        store.conn.execute("UPDATE posts SET created_at = '9999-12-31T00:00:00Z' "
                           "WHERE post_id = '0'")
        store.conn.execute("INSERT INTO posts (platform, post_id, author, created_at, text, "
                           "kind, in_reply_to_post_id, in_reply_to_author, created_at_derived) "
                           "VALUES ('x', '9', 'old', '0001-01-01T00:00:00Z', '@Min hi', "
                           "'reply', '0', 'Min', false)")
        result = run_analysis(store)
        assert result.observation_end.year == 2026
        after = store.conn.execute("SELECT * FROM responses ORDER BY message_id").fetchall()
        assert after == before
    finally:
        store.close()
