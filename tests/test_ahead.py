"""Metrics computed ahead, while analyze tags (analysis/ahead.py): the same tables as
computed in turn, errors raised and rolled back."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import duckdb
import pytest
from govwatch.analysis import pipeline, registry, topics
from govwatch.analysis.pipeline import run_analysis
from govwatch.ingest.events import load_events
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "sample_data" / "small"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The committed sample with its events, ingested, not analysed."""
    db = tmp_path_factory.mktemp("ahead") / "fresh.duckdb"
    with Store(db) as store:
        assert import_paths(store, [SMALL / "accounts.csv"], kind="accounts").rejected == 0
        assert import_paths(store, [SMALL / "posts.csv"]).rejected == 0
        assert load_events(store, SMALL / "events.csv")[0] == 5
    return db


def _analysed(ingested, tmp_path, name: str, ahead_on: bool = True):
    db = tmp_path / f"{name}.duckdb"
    shutil.copy(ingested, db)
    with pytest.MonkeyPatch.context() as mp:
        if not ahead_on:
            mp.setattr(pipeline, "POOL_MIN_POSTS", 0)
        with Store(db) as store:
            run_analysis(store)
    return db


def _derived_tables() -> list[str]:
    return sorted(registry.declared_tables()) + ["responses"]


def _differences(a, b) -> dict[str, tuple[int, int, int]]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    out = {}
    for t in _derived_tables():
        one = con.execute(f'SELECT count(*) FROM (FROM a."{t}" EXCEPT ALL FROM b."{t}")').fetchone()[0]
        two = con.execute(f'SELECT count(*) FROM (FROM b."{t}" EXCEPT ALL FROM a."{t}")').fetchone()[0]
        rows = con.execute(f'SELECT count(*) FROM a."{t}"').fetchone()[0]
        out[t] = (one, two, rows)
    return out


def test_tables_computed_ahead_equal_those_computed_in_turn(ingested, tmp_path, monkeypatch):
    where: dict[str, str] = {}
    for metric in registry.metrics():
        original = metric.compute

        def spy(ctx, original=original, name=metric.name):
            where[name] = threading.current_thread().name
            return original(ctx)
        monkeypatch.setattr(metric, "compute", spy)
    in_turn = _analysed(ingested, tmp_path, "in-turn", ahead_on=False)
    assert set(where.values()) == {threading.main_thread().name}
    where.clear()
    early = _analysed(ingested, tmp_path, "ahead")
    chosen = {m.name for m in registry.metrics() if m.canonical_only}
    assert {"topics", "event_acknowledgement", "activity"} <= chosen
    # the chosen metrics ran on other threads, the others on the main thread
    assert {n for n, t in where.items() if t != threading.main_thread().name} == chosen
    diff = _differences(in_turn, early)
    assert {t: d for t, d in diff.items() if d[0] or d[1]} == {}
    # the comparison saw real rows in the tables computed ahead
    for table in ("discovered_topics", "post_themes", "event_acknowledgements",
                  "event_summary", "account_activity", "weekly_posts"):
        assert diff[table][2] > 0, table


def test_an_error_ahead_is_raised_and_nothing_is_kept(ingested, tmp_path, monkeypatch):
    db = _analysed(ingested, tmp_path, "first")
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("SELECT count(*), max(run_id) FROM analysis_runs").fetchone()
        themes = con.execute("SELECT count(*) FROM post_themes").fetchone()[0]

    def broken(texts):
        raise ValueError("broken on purpose")
    monkeypatch.setattr(topics, "_fit", broken)
    with Store(db) as store, pytest.raises(ValueError, match="broken on purpose"):
        run_analysis(store)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), max(run_id) FROM analysis_runs").fetchone() == before
        assert con.execute("SELECT count(*) FROM post_themes").fetchone()[0] == themes > 0


def test_topics_read_once_on_a_small_store_as_in_chunks_on_a_large_one(ingested, tmp_path,
                                                                        monkeypatch):
    """The small store's single read, fitted on all distinct texts, gives the frames of
    the large store's path (fit on the md5-chosen texts, then
    assigned chunk by chunk)."""
    import pandas as pd
    from govwatch.analysis.settings import AnalysisSettings

    db = tmp_path / "topics.duckdb"
    shutil.copy(ingested, db)
    con = duckdb.connect(str(db))
    ctx = registry.MetricContext(con, None, AnalysisSettings(), cache={})
    metric = next(m for m in registry.metrics() if m.name == "topics")
    small = metric.compute(ctx)
    monkeypatch.setattr(topics, "SMALL_POSTS", 1000)  # the sample's 8,579 posts: the large path
    large = metric.compute(registry.MetricContext(con, None, AnalysisSettings()))
    con.close()
    assert len(small["post_themes"]) > 1000 and len(small["discovered_topics"]) > 20
    for table in ("discovered_topics", "post_themes"):
        pd.testing.assert_frame_equal(small[table].reset_index(drop=True),
                                      large[table].reset_index(drop=True), check_dtype=False)


def test_analyze_of_the_sample_imports_no_sklearn_scipy_stats_or_statsmodels(ingested, tmp_path):
    """The first analyze of a small store loads none of the heavy statistics libraries
    (topic discovery, peer ranks and channel medians are numpy), and writes its themes."""
    import subprocess
    import sys

    db = tmp_path / "imports.duckdb"
    shutil.copy(ingested, db)
    code = ("import sys\nfrom govwatch.store import Store\n"
            "from govwatch.analysis.pipeline import run_analysis\n"
            f"with Store({str(db)!r}) as store:\n    run_analysis(store)\n"
            "print(sorted(m for m in ('sklearn', 'scipy.stats', 'statsmodels') "
            "if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=600)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM post_themes").fetchone()[0] > 1000
        assert con.execute("SELECT count(*) FROM channel_metrics").fetchone()[0] > 0
