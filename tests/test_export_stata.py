"""The Stata export, written a chunk of rows at a time (export/stata.py), reads back as
the file pandas' ``to_stata`` writes from the whole table in one frame (the writer
before): the same variables, storage types, formats, labels and values, for every
export of the sample, across chunks and slices, and for values at the edges of Stata's
types (missing values, long texts, times with sub-millisecond parts, large counts)."""

from __future__ import annotations

import pandas as pd
import pytest
from govwatch.export import WHATS, export, slices, stata
from govwatch.export import writers as W
from govwatch.ingest.pipeline import import_paths

from govwatch import DEFINITION_VERSION
from govwatch.store import Store


def _whole_frame_dta(con, query, types, out, what, parts=None):
    """The writer before: the whole table in one frame, written by ``to_stata``."""
    frame = con.execute(query.sql).df()
    names = W.stata_names(list(frame.columns))
    dates = stata.dates_of(types, names)
    frame = stata.convert(frame, types)
    strl = [names[c] for c in types if (types[c] == "VARCHAR" or types[c].endswith("[]"))
            and frame[c].str.encode("utf-8").str.len().max() > stata.STR_MAX]
    frame = frame.rename(columns=names)
    labels = {names[c]: W.stata_label(query.meanings.get(c, c)) for c in types}
    frame.to_stata(out, version=118, write_index=False, convert_dates=dates,
                   convert_strl=strl, variable_labels=labels,
                   data_label=W.stata_label(f"govwatch {what} export, definitions "
                                            f"v{DEFINITION_VERSION}"))
    return list(frame.columns), len(frame)


def _same_file(a, b) -> None:
    for kwargs in ({}, {"convert_dates": False, "convert_missing": True}):
        pd.testing.assert_frame_equal(pd.read_stata(a, **kwargs), pd.read_stata(b, **kwargs),
                                      check_exact=True)
    with pd.read_stata(a, iterator=True) as x, pd.read_stata(b, iterator=True) as y:
        assert x.variable_labels() == y.variable_labels()
        assert x.data_label == y.data_label
        assert (x._varlist, x._typlist, x._fmtlist, x._lbllist, x._nobs) == (
            y._varlist, y._typlist, y._fmtlist, y._lbllist, y._nobs)


def _both(store, what, tmp_path, monkeypatch, **kwargs):
    chunked = export(store, what, "dta", tmp_path / f"{what}.dta", **kwargs)
    with monkeypatch.context() as m:
        m.setattr(W, "_write_dta", _whole_frame_dta)
        whole = export(store, what, "dta", tmp_path / f"{what}-whole.dta", **kwargs)
    assert chunked.rows == whole.rows
    assert chunked.columns == whole.columns
    _same_file(chunked.path, whole.path)
    return chunked


@pytest.mark.parametrize("what", WHATS)
def test_every_export_reads_back_as_to_stata_wrote_it(dashboard_store, tmp_path, monkeypatch,
                                                      what):
    monkeypatch.setattr(stata, "CHUNK_VECTORS", 1)  # rows of 2,048 at a time
    kwargs = {"include_text": True} if what == "posts" else {}
    result = _both(dashboard_store, what, tmp_path, monkeypatch, **kwargs)
    if what == "posts":
        assert result.rows > 2048  # more than one chunk


def test_sliced_posts_read_back_as_one_query_wrote_them(dashboard_store, tmp_path,
                                                        monkeypatch):
    monkeypatch.setattr(slices, "SLICE_ROWS", 1000)
    monkeypatch.setattr(stata, "CHUNK_VECTORS", 1)
    with Store(dashboard_store, read_only=True) as s:
        assert len(slices.conditions(s.conn)) > 2
    _both(dashboard_store, "posts", tmp_path, monkeypatch, include_text=True,
          pseudonymise=False)


EDGES = '''platform,post_id,author,created_at,text,like_count,share_count,reply_count
x,1,someone,2026-01-10T00:00:00.123456Z,"Flood report {long}",5,,3000000000
x,2,city_hall,1990-01-01T00:00:00.0006Z,"short, ""quoted"" é",,3,
x,3,other,2026-01-10T00:00:00.0004Z,"",101,7,1
x,4,fourth,2026-01-11T00:00:00Z,,,,
'''


@pytest.mark.parametrize("chunk", [1, 32])
def test_edge_values_read_back_as_to_stata_wrote_them(tmp_path, monkeypatch, chunk):
    """A text beyond 2,045 bytes (strL), texts with quotes and accents, empty and
    missing texts, times with sub-millisecond parts (the earliest plausible among them), counts with
    missing values and one beyond Stata's long."""
    monkeypatch.setattr(stata, "CHUNK_VECTORS", chunk)
    posts = tmp_path / "posts.csv"
    posts.write_text(EDGES.format(long="é" * 3000), encoding="utf-8")
    with Store(tmp_path / "gw.duckdb") as s:
        import_paths(s, [posts])
    result = _both(tmp_path / "gw.duckdb", "posts", tmp_path, monkeypatch, include_text=True)
    frame = pd.read_stata(result.path).set_index("post_id")
    assert result.rows == 4
    assert frame.loc["1", "text"] == "Flood report " + "é" * 3000
    assert frame.loc["1", "reply_count"] == 3_000_000_000
    assert frame.loc[["2", "3", "4"], "text"].tolist() == ['short, "quoted" é', "", ""]


def test_an_empty_table_reads_back_as_to_stata_wrote_it(tmp_path, monkeypatch):
    posts = tmp_path / "posts.csv"
    posts.write_text("platform,post_id,author,created_at,text\n", encoding="utf-8")
    with Store(tmp_path / "gw.duckdb") as s:
        import_paths(s, [posts])
    assert _both(tmp_path / "gw.duckdb", "posts", tmp_path, monkeypatch).rows == 0
