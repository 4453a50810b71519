"""One view of a single chunk shared by the metrics of a run, and the account curves.

Where a run's messages are one chunk read in this process, slices, account metrics
and selectivity get one view of it, and slices and account metrics share the groups
of (all, all). Their tables must be exactly those of views built chunk by chunk
(several chunks, nothing shared)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govwatch.analysis.accounts import CURVE_STEP, _curves, account_metrics
from govwatch.analysis.registry import MetricContext
from govwatch.analysis.replies import build_responses, observation_end
from govwatch.analysis.selectivity import selectivity
from govwatch.analysis.settings import build
from govwatch.analysis.slices import group_stats, slice_metrics
from govwatch.analysis.survival import thin_curve

from govwatch.store import Store

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """3,000 messages over the benchmark's 1,000 accounts: five zones, office hours, tags."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import bench_metrics

    db = tmp_path_factory.mktemp("shared") / "b.duckdb"
    bench_metrics.generate(db, 3_000)
    s = Store(db)
    with s.transaction() as con:
        build_responses(con, observation_end(con, None))
    yield s
    s.close()


def _context(store, **settings) -> MetricContext:
    return MetricContext(store.conn, observation_end(store.conn, None),
                         build(min_n=2, **settings))


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects, every missing value None."""
    return frame.astype(object).where(frame.notna(), None)


def test_one_shared_view_gives_the_tables_of_views_per_chunk(store):
    shared = _context(store)
    apart = _context(store, chunk_rows=700, execution__workers=1)  # views of 5 chunks
    slice_key = ["platform", "official_author", "population", "period_kind", "period",
                 "slice_kind", "slice_value"]
    one = slice_metrics(shared)
    many = slice_metrics(apart)
    assert len(one) > 1000
    pd.testing.assert_frame_equal(_sorted(one, slice_key), _sorted(many, slice_key))
    view = shared.cache["single_view"]
    assert "single_view" not in apart.cache
    # slices left (all, all) of both populations, with the curves, for account metrics
    assert set(view.shared) == {("needs_response", 168.0), ("all", 168.0)}
    assert all(cal["km"].curve is not None for cal, *_ in view.shared.values())
    kept = dict(view.shared)
    metrics_one, curves_one = account_metrics(shared)
    metrics_many, curves_many = account_metrics(apart)
    assert all(view.shared[k] is kept[k] for k in kept)  # used, not computed again
    # (a column of Nones only in some chunks concatenates to object: the values count)
    assert _plain(metrics_one).equals(_plain(metrics_many))
    key = ["platform", "official_author", "population"]
    assert len(curves_one) > 1000
    pd.testing.assert_frame_equal(_sorted(curves_one, key), _sorted(curves_many, key))
    assert selectivity(shared).equals(selectivity(apart))
    assert shared.cache["single_view"] is view
    with pytest.raises(ValueError):  # what every metric shares cannot be changed
        view.biz["d"][0] = 1.0


def _curves_by_sorting(cal: dict) -> pd.DataFrame:
    """The account curves as they were built before: start points and event rows
    concatenated and sorted by group, time and falling survival."""
    km = cal["km"]
    groups = np.arange(len(cal["acct"]))
    start = pd.DataFrame({"group": groups, "hours": 0.0, "survival": 1.0,
                          "ci_low": 1.0, "ci_high": 1.0})
    curve = pd.concat([start, km.curve], ignore_index=True).sort_values(
        ["group", "hours", "survival"], ascending=[True, True, False], kind="stable")
    return thin_curve(curve.reset_index(drop=True), ["group"], CURVE_STEP)


@pytest.mark.parametrize("seed", range(5))
def test_account_curves_equal_the_sorted_construction(seed):
    rng = np.random.default_rng(seed)
    n = 4000
    acct = np.sort(rng.integers(0, 40, n))
    d = np.round(rng.exponential(20, n), 1)  # ties, and answers at 0 hours
    d[rng.random(n) < 0.05] = 0.0
    answered = rng.random(n) < 0.6
    answered[acct == 7] = False  # a group without any event
    order = np.lexsort((d, acct))
    acct, d, answered = acct[order], d[order], answered[order]
    cal = group_stats(acct, None, d, answered, d + 1.0, 168.0, with_curve=True)
    assert (cal["km"].curve["hours"] == 0).any()
    platform = np.array(["x"] * 40, dtype=object)[cal["acct"]]
    author = np.array([f"a{i}" for i in range(40)], dtype=object)[cal["acct"]]
    built = _curves(cal, platform, author, "all")
    reference = _curves_by_sorting(cal)
    assert len(built) == len(reference) > 40
    assert built["official_author"].tolist() == author[reference["group"].to_numpy()].tolist()
    for column in ("hours", "survival", "ci_low", "ci_high"):
        assert np.array_equal(built[column].to_numpy(), reference[column].to_numpy()), column
