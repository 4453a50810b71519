"""The composite index with the reader's weights, and business-clock figures,
without a browser: URL validation of weights, the dashboard's re-weighting
against the analysis's own composite, the data layer's weights and clocks on a
real store, and the Account and Compare pages' business-hours figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from govwatch.dashboard import composite as C
from govwatch.dashboard import figures as F
from govwatch.dashboard.data import DashboardData
from govwatch.dashboard.static_parts import thaw

DEFAULTS = {"answered_rate": 35.0, "km_median_hours": 25.0, "selectivity_gap": 20.0,
            "critic_gap": 10.0, "deflection_share": 10.0}


@pytest.fixture(scope="module")
def store_path(dashboard_store):
    return dashboard_store


@pytest.fixture(scope="module")
def app(dashboard_app):
    return dashboard_app


@pytest.fixture
def page(dashboard_page):
    """page('overview') -> the page module as the app loaded it, inside a request."""
    return dashboard_page


def _text(component) -> str:
    parts, stack = [], [thaw(component)]
    while stack:
        c = stack.pop()
        if isinstance(c, str):
            parts.append(c)
        elif isinstance(c, list | tuple):
            stack.extend(reversed(c))
        elif hasattr(c, "to_plotly_json"):
            stack.append(getattr(c, "children", None))
    return " ".join(parts)


# ------------------------------------------------------------------ weights from the URL
def test_weights_from_the_url_are_validated():
    w, notes = C.weights_from_query({"w_answered_rate": "70", "w_critic_gap": "0"}, DEFAULTS)
    assert w == {**DEFAULTS, "answered_rate": 70.0, "critic_gap": 0.0} and not notes
    bad = {"w_answered_rate": "-1", "w_km_median_hours": "nan", "w_selectivity_gap": "1e400",
           "w_critic_gap": "101", "w_deflection_share": "ten", "w_nosuch": "5",
           "w_": "1", "other": "x"}
    w, notes = C.weights_from_query(bad, DEFAULTS)
    assert w == DEFAULTS
    assert sum("not a number from 0 to 100" in n for n in notes) == 5
    assert any("unknown metric 'nosuch'" in n for n in notes)
    w, notes = C.weights_from_query({f"w_{m}": "0" for m in DEFAULTS}, DEFAULTS)
    assert w == DEFAULTS and "All weights were 0" in notes[0]
    w, _ = C.weights_from_query({"w_answered_rate": ["12.5", "90"]}, DEFAULTS)
    assert w["answered_rate"] == 12.5
    w, notes = C.weights_from_query({"w_answered_rate": "9" * 40}, DEFAULTS)
    assert w == DEFAULTS and notes


def test_weights_query_names_only_what_differs():
    assert C.weights_query(DEFAULTS, DEFAULTS) == {}
    changed = {**DEFAULTS, "critic_gap": 40.0}
    assert C.weights_query(changed, DEFAULTS) == {"w_critic_gap": "40"}
    assert C.weights_from_query(C.weights_query(changed, DEFAULTS), DEFAULTS)[0] == changed
    assert C.as_percent({"a": 0.35, "b": 0.65}) == {"a": 35.0, "b": 65.0}


# ------------------------------------------------------------------ same rule as the analysis
def _random_ranks(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(40):
        for m in DEFAULTS:
            r = rng.uniform(0, 100) if rng.random() > 0.35 else np.nan
            rows.append({"platform": "x", "author": f"a{i:02d}", "metric": m, "percentile": r})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reweighting_follows_the_analysis_rule(seed):
    """The dashboard's composite equals analysis/benchmarks.py's for any weights."""
    from govwatch.analysis.benchmarks import composite

    ranks = _random_ranks(seed)
    rng = np.random.default_rng(seed + 10)
    for weights in (dict(DEFAULTS), {m: float(rng.integers(0, 5)) for m in DEFAULTS}):
        if sum(weights.values()) == 0:
            continue
        ours = C.composite_index(ranks, weights, 0.5)
        theirs = composite(
            ranks.rename(columns={"author": "official_author", "percentile": "percentile_rank"})
            .assign(population="all", country="XA", level="national", peer_group="XA/national",
                    weight=ranks["metric"].map(weights)),
            weights, 0.5)
        merged = ours.merge(theirs.rename(columns={"official_author": "author"}),
                            on=["platform", "author"], suffixes=("", "_a"))
        assert len(merged) == 40
        np.testing.assert_allclose(merged["composite_index"].astype(float),
                                   merged["composite_index_a"].astype(float), equal_nan=True)
        assert merged["composite_index"].isna().any() and merged["composite_index"].notna().any()


def test_stored_index_is_reproduced_with_the_stored_weights(store_path):
    d = DashboardData(store_path)
    try:
        weights = d.index_weights()
        assert set(weights) == set(DEFAULTS) and math.isclose(sum(weights.values()), 1.0)
        assert d.index_min_share() == 0.5
        for population in d.options().populations:
            ranks = d.index_ranks(population)
            ours = C.composite_index(ranks, weights, d.index_min_share())
            stored = d.composite_all(population)
            both = ours.merge(stored, on=["platform", "author"], suffixes=("", "_stored"))
            assert len(both) == len(stored) and both["composite_index_stored"].notna().any()
            np.testing.assert_allclose(both["composite_index"].astype(float),
                                       both["composite_index_stored"].astype(float),
                                       equal_nan=True)
    finally:
        d.close()


def test_overview_weights_reorder_the_csv_and_travel_in_the_url(page):
    ov = page("overview")
    base = ov.state({"sort": "composite", "order": "desc"})
    default_order = list(ov.board_for(base)["author"])
    # put all the weight on one metric: the order must follow that metric's ranks
    for metric in ov.default_weights():
        query = {"sort": "composite", "order": "desc",
                 **{f"w_{m}": ("100" if m == metric else "0") for m in ov.default_weights()}}
        st = ov.state(query)
        board = ov.board_for(st)
        if list(board["author"]) != default_order:
            break
    else:
        pytest.fail("no single-metric weighting changed the order")
    ranks = ov.data().index_ranks(st.filters.population)
    only = ranks[ranks["metric"] == metric].set_index("author")["percentile"]
    shown = board.dropna(subset=["composite_index"])
    np.testing.assert_allclose(shown["composite_index"].to_numpy(float),
                               only.loc[shown["author"]].to_numpy(float))
    assert st.search().endswith("&".join(
        f"w_{m}={'100' if m == metric else '0'}" for m in ov.default_weights()))
    csv = ov.download_item("board", query)
    assert list(csv["official_author"]) == list(board["author"])
    tree = ov.layout(**query)
    assert "Composite index weights" in _text(tree) and "Reset to default weights" in _text(tree)
    noted = ov.state({"w_answered_rate": "lots"})
    assert dict(noted.weights) == ov.default_weights() and noted.notes


# ------------------------------------------------------------------ business clock
ROW = {"population": "all", "business_messages": 42, "business_window_hours": 40.0,
       "business_observed_window": 39, "business_answered_rate_window": 0.5385,
       "business_rate_status": "ok", "business_km_median_hours": 3.016,
       "business_km_median_ci_low": 0.5, "business_km_median_ci_high": None,
       "business_km_median_reached": True, "business_max_followup_hours": 300.0,
       "business_median_status": "ok", "clock_status": "ok"}
NONE = {k: (None if k.startswith("business") else v) for k, v in ROW.items()} | {
    "business_messages": 0, "clock_status": "no office hours"}


def test_business_cells_say_not_available_without_office_hours():
    assert F.business_rate_cell(ROW) == "54% within 40 office h"
    assert F.business_median_cell(ROW) == "3.0 h (0.5–not reached)"
    assert F.business_rate_cell(NONE) == F.NOT_AVAILABLE == "not available (no office hours)"
    assert F.business_median_cell(NONE) == F.NOT_AVAILABLE
    odd = NONE | {"clock_status": "unknown time zone"}
    assert F.business_rate_cell(odd) == "not available (unknown time zone)"
    few = ROW | {"business_rate_status": "too few", "business_observed_window": 4,
                 "business_median_status": "too few", "business_messages": 6}
    assert F.business_rate_cell(few) == "too few (n=4)"
    assert F.business_median_cell(few) == "too few (n=6)"
    late = ROW | {"business_km_median_hours": None, "business_km_median_reached": False}
    assert F.business_median_cell(late) == "> 300 h"
    table = F.compare_table(pd.DataFrame([ROW | {"messages": 50, "naive_median_hours": 1.0,
                                                 "unanswered_24h": 0.4, "unanswered_7d": 0.3},
                                          NONE | {"messages": 20, "naive_median_hours": None,
                                                  "unanswered_24h": None,
                                                  "unanswered_7d": None}]), ["A", "B"])
    rows = table.set_index("Measure")
    assert rows.loc[F.BUSINESS_RATE_LABEL, "A"].startswith("54%")
    assert rows.loc[F.BUSINESS_RATE_LABEL, "B"] == F.NOT_AVAILABLE
    assert rows.loc[F.BUSINESS_MEDIAN_LABEL, "B"] == F.NOT_AVAILABLE


def test_clocks_come_from_the_store(store_path):
    d = DashboardData(store_path)
    try:
        clocks = d.clocks()
        assert len(clocks) == len(d.officials())
        accounts = d.df("SELECT platform, author, office_hours FROM accounts WHERE official")
        listed = {(p, a) for p, a, h in accounts.itertuples(index=False)
                  if isinstance(h, str) and h}
        ok = {(p, a) for p, a, s in clocks[["platform", "author", "clock_status"]]
              .itertuples(index=False) if s == "ok"}
        assert ok == listed and listed
        assert d.clock("x", "avalor_railways")["clock_status"] == "no office hours"
        assert d.clock("x", "nobody") == {}
    finally:
        d.close()


def test_account_page_shows_business_hours_or_not_available(page):
    acc = page("account")
    d = acc.data()
    with_clock = acc.layout(platform="x", author="belmora_transport")
    text = _text(with_clock)
    assert "Business hours" in text and "Office hours Mon-Fri 08:00-16:00" in text
    table = acc.business_table_for(d.account("x", "belmora_transport"))
    stored = d.account_metrics("x", "belmora_transport").set_index("population")
    for r in table.to_dict("records"):
        pop = {v: k for k, v in acc.POPULATION_LABELS.items()}[r["Messages counted"]]
        assert r["Answered within the business window"].startswith(
            F.fmt_rate(stored.loc[pop, "business_answered_rate_window"]))
        assert r["Messages on the business clock"] == f"{stored.loc[pop, 'business_messages']:,}"
    without = _text(acc.layout(platform="x", author="avalor_railways"))
    assert "Business hours: not available for this account (no office hours)" in without
    assert "No office hours listed" in without
    csv = acc.download_item("business", {"platform": "x", "author": "avalor_railways"})
    assert set(csv["Answered within the business window"]) == {F.NOT_AVAILABLE}


def test_compare_shows_business_hours_side_by_side(page):
    cmp = page("compare")
    chosen, population, _ = cmp.state({"a": ["x:avalor_railways", "x:belmora_transport"]})
    table = cmp.table_for(chosen, population).set_index("Measure")
    railways, transport = table.columns
    assert table.loc[F.BUSINESS_RATE_LABEL, railways] == F.NOT_AVAILABLE
    assert table.loc[F.BUSINESS_MEDIAN_LABEL, railways] == F.NOT_AVAILABLE
    assert "office h" in table.loc[F.BUSINESS_RATE_LABEL, transport]
    assert table.loc[F.BUSINESS_MEDIAN_LABEL, transport] != F.NOT_AVAILABLE
