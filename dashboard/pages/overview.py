"""Overview (/): the leaderboard of official accounts, headline sentences and one
latency chart, under filters for country, level, institution, platform, period
and population, with the composite index's weights adjustable. Every filter,
the sort order and the weights live in the URL query.

The server sends every account's row of the current population and period once
(``payload``, in the ``overview-data`` store): display strings, sort keys,
peer percentile ranks and the median chart drawn for every account. The
browser (``assets/overview.js``) applies the country, level, platform and
institution filters, the sort, the rows shown and the weights to it, so those
changes need no round trip. The change-over-time series is pooled in the browser
too, from per-account counts sent once the page is up (``series_data``).
Population, period and chart ask the server for a new payload (and the
time-to-response curves are drawn by the server).
"""

from __future__ import annotations

import base64
from typing import NamedTuple

import dash
import numpy as np
import pandas as pd
from dash import ALL, Input, Output, callback, clientside_callback, ctx, dcc, html
from dash import State as DashState
from dash.exceptions import PreventUpdate
from govwatch.dashboard.composite import (
    MAX_WEIGHT,
    PARAM_PREFIX,
    as_percent,
    composite_index,
    weights_from_query,
    weights_query,
)
from govwatch.dashboard.data import (
    ALL_PERIODS,
    POPULATION_LABELS,
    Filters,
    Missing,
    query_choice,
    to_search,
    validate_filters,
)
from govwatch.dashboard.figures import (
    ANCHORS,
    LEADERBOARD_COLUMNS,
    MEDIAN_TITLE,
    METRIC_LABELS,
    SORT_KEYS,
    _num,
    account_label,
    board_key,
    export_board,
    fmt_gap,
    fmt_hours,
    fmt_median,
    fmt_rate,
    km_chart,
    leaderboard_columns,
    leaderboard_rows,
    median_chart,
    median_chart_empty,
    median_sort_keys,
    metric_label,
    sort_board,
)
from govwatch.dashboard.pages._common import (
    account_href,
    chart_card,
    data,
    download_buttons,
    method_href,
    missing_panel,
    notes,
    parse_search,
    register_downloads,
    scroll_region,
    sortable_table,
    toggle_group,
    toggled,
    url_state,
)

from govwatch.config import window_label

PAGE = "overview"
CHARTS = (("medians", "Median time to response (95% CI)"),
          ("curves", "Time-to-response curves"))
MAX_CURVES = 8
MAX_CHART_ROWS = 30
# The leaderboard shows the first 25 rows unless asked for all (the CSV always has all).
ROWS = (("25", "First 25"), ("all", "All"))
DEFAULT_SORT = ("rate_7d", "asc")
# Toggle groups the browser handles (population, period and chart need a new payload).
CLIENT_GROUPS = ("country", "level", "platform", "institution", "institution_type", "rows")

dash.register_page(__name__, path="/", name="Overview", order=0,
                   title="govwatch: who answers the public, and how fast",
                   description="Leaderboard of official accounts' response rates and times.")


# ------------------------------------------------------------------ state
class State(NamedTuple):
    """The overview's whole view state (a NamedTuple: page modules are loaded by
    Dash's page loader, where dataclasses cannot resolve their module)."""

    filters: Filters
    sort: str
    order: str
    chart: str
    rows: str
    weights: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = ()

    def query(self) -> dict:
        """Every parameter, defaults included (what the toggles work on)."""
        f = self.filters
        q = {"country": list(f.country), "level": list(f.level),
             "institution": list(f.institution), "platform": list(f.platform),
             "institution_type": list(f.institution_type),
             "population": f.population, "period": f.period, "sort": self.sort,
             "order": self.order, "chart": self.chart, "rows": self.rows}
        q.update({f"{PARAM_PREFIX}{m}": str(w) for m, w in self.weights})
        return q

    def search(self) -> str:
        """The shareable URL query: only what differs from the defaults."""
        defaults = Filters(population=data().options().default_population)
        q: dict = dict(self.filters.query(defaults))
        if (self.sort, self.order) != DEFAULT_SORT:
            q.update(sort=self.sort, order=self.order)
        if self.chart != CHARTS[0][0]:
            q["chart"] = self.chart
        if self.rows != ROWS[0][0]:
            q["rows"] = self.rows
        q.update(weights_query(dict(self.weights), default_weights()))
        return to_search(q)


def default_weights() -> dict[str, float]:
    """The analysis's composite-index weights as percentages, in display order."""
    stored = as_percent(data().index_weights())
    order = [m for m in METRIC_LABELS if m in stored] + sorted(set(stored) - set(METRIC_LABELS))
    return {m: stored[m] for m in order}


def state(query: dict) -> State:
    """Validated state from a URL query (unknown values dropped with a note)."""
    filters, msgs = validate_filters(query, data().options())
    sort, more = query_choice(query, "sort", tuple(SORT_KEYS), DEFAULT_SORT[0])
    order, more2 = query_choice(query, "order", ("asc", "desc"), DEFAULT_SORT[1])
    chart, more3 = query_choice(query, "chart", tuple(c for c, _ in CHARTS), CHARTS[0][0])
    rows, more4 = query_choice(query, "rows", tuple(r for r, _ in ROWS), ROWS[0][0])
    weights, more5 = weights_from_query(query, default_weights())
    return State(filters, sort, order, chart, rows, tuple(weights.items()),
                 tuple(msgs + more + more2 + more3 + more4 + more5))


def whole(st: State) -> bool:
    return st.filters.period == ALL_PERIODS


# ------------------------------------------------------------------ content
def weighted(board: pd.DataFrame, st: State) -> pd.DataFrame:
    """The board with the composite index of the state's weights (recomputed from
    the stored percentile ranks when they differ from the analysis's)."""
    d = data()
    if not whole(st) or dict(st.weights) == default_weights():
        return board
    ranks = d.index_ranks(st.filters.population)
    if isinstance(ranks, Missing):
        return board
    comp = composite_index(ranks, dict(st.weights), d.index_min_share())
    return board.drop(columns=["composite_index"]).merge(
        comp[["platform", "author", "composite_index"]], on=["platform", "author"], how="left")


def board_for(st: State):
    board = weighted(data().leaderboard(st.filters), st)
    return sort_board(board, st.sort, st.order == "desc")


def chart_for(st: State, chart: str | None = None):
    d = data()
    chart = chart or st.chart
    board = d.leaderboard(st.filters)
    if chart == "curves":
        top = board.sort_values("messages", ascending=False).head(MAX_CURVES)
        curves = d.km_curves(list(zip(top["platform"], top["author"], strict=True)),
                             [st.filters.population])
        labels = {(r["platform"], r["author"]): f"{r['institution'] or r['author']} "
                  f"({r['platform']})" for r in top.to_dict("records")}
        curves["account"] = [labels[(p, a)] for p, a in
                             zip(curves["platform"], curves["official_author"], strict=True)]
        follow = {labels[(r["platform"], r["author"])]: r["max_followup_hours"]
                  for r in top.to_dict("records")}
        c = km_chart(curves, "account", key="curves", followup=follow)
        if len(board) > MAX_CURVES:
            c.summary += f" Showing the {MAX_CURVES} accounts with the most messages."
        if st.filters.period != ALL_PERIODS:
            c.summary += " The curves cover the whole observation, not the chosen period."
        return c
    return median_chart(board, d.min_n, max_rows=MAX_CHART_ROWS)


def _row(r: dict, cells: dict, crit: dict | None, ranks: dict | None,
         point: dict | None) -> dict:
    """One account in the browser's copy of the leaderboard."""
    n = int(r.get("messages") or 0)
    return {
        "key": board_key(r["platform"], r["author"]),
        "href": cells["_href"],
        "cells": [cells[c] for c, _ in LEADERBOARD_COLUMNS if c != "composite"],
        "f": {name: r.get(name) for name in Filters.MULTI},
        "sort": {"account": r.get("institution"), "country": r.get("country"),
                 "level": r.get("level"), "platform": r.get("platform"), "messages": n,
                 "rate_7d": _num(r.get("answered_rate_7d")), "median": _num(r["_median_sort"]),
                 "gap": _num(r.get("selectivity_gap")), "place": _num(r.get("rank_best"))},
        "few": bool(r.get("too_few")),
        "mfew": bool(r.get("median_too_few", r.get("too_few"))),
        "n": n,
        "n_t": f"{n:,}",
        "rate": _num(r.get("answered_rate_7d")),
        "rate_t": fmt_rate(r.get("answered_rate_7d")),
        "med": _num(r.get("km_median_hours")),
        "med_t": fmt_median(r.get("km_median_hours"), r.get("km_median_ci_low"),
                            r.get("km_median_ci_high")),
        "gap": _num(r.get("selectivity_gap")) if r.get("gap_too_few") is not True else None,
        "gap_t": fmt_gap(r.get("selectivity_gap"), r.get("gap_ci_low"), r.get("gap_ci_high")),
        "label": account_label(r),
        "crit": crit,
        "ranks": ranks,
        "composite": _num(r.get("composite_index")),
        "composite_t": cells["composite"],
        "point": point,
    }


def plain(obj):
    """A figure's JSON with plain lists (Plotly would send arrays base64-encoded,
    which the browser code could not filter point by point)."""
    if isinstance(obj, dict) and "bdata" in obj and "dtype" in obj:  # a typed array
        values = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"])
        return [None if isinstance(v, float) and v != v else v for v in values.tolist()]
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def payload(st: State) -> dict:
    """Every account's row for the state's population and period, and what the
    browser needs to filter, sort, re-weight and chart it (see module doc);
    built once per population, period and chart."""
    f = st.filters
    return data().memo(("overview-payload", f.population, f.period, st.chart),
                       lambda: _payload(st))


def warm() -> None:
    """The default view's payload and series counts, built before the first request
    (govwatch.dashboard.app)."""
    st = state({})
    payload(st)
    series_data(st)


def _payload(st: State) -> dict:
    d = data()
    f = st.filters
    board = d.leaderboard(Filters(population=f.population, period=f.period))
    board = board.assign(_median_sort=median_sort_keys(board))
    cells = leaderboard_rows(board, account_href)
    crit_df = d.critical_rates(f.population, f.period)
    crit = {}
    if crit_df is not None:
        for c in crit_df.to_dict("records"):
            rate = _num(c["rate"])
            crit[board_key(c["platform"], c["author"])] = {
                "ok": c.get("status") != "too few" and rate is not None, "rate": rate,
                "rate_t": fmt_rate(rate), "n_t": f"{int(_num(c['n']) or 0):,}"}
    ranks_df = d.index_ranks(f.population) if whole(st) else None
    ranks: dict[str, dict] = {}
    if isinstance(ranks_df, pd.DataFrame):
        for r in ranks_df.to_dict("records"):
            ranks.setdefault(board_key(r["platform"], r["author"]), {})[r["metric"]] = \
                _num(r["percentile"])
    chart = median_chart(board, d.min_n, max_rows=max(len(board), 1))
    points: dict[str, dict] = {}
    if not chart.data.empty:
        for r in chart.data.to_dict("records"):
            reached = _num(r["km_median_hours"]) is not None
            x = _num(r["km_median_hours"]) if reached else _num(r["max_followup_hours"])
            points[board_key(r["platform"], r["official_author"])] = {
                "reached": reached, "x": x, "x_t": fmt_hours(x),
                "label": f"{r['institution'] or r['official_author']} ({r['platform']})"}
    rows = []
    for r, c in zip(board.to_dict("records"), cells, strict=True):
        k = board_key(r["platform"], r["author"])
        rows.append(_row(r, c, crit.get(k), ranks.get(k) if ranks else None, points.get(k)))
    empty = median_chart_empty()
    defaults = Filters(population=d.options().default_population)
    server_q = dict(f.query(defaults))
    weights = default_weights()
    return {
        "rows": rows,
        "total": len(d.officials()),
        "population_label": POPULATION_LABELS[f.population],
        "population_t": POPULATION_LABELS[f.population].lower(),
        "period_t": f"period {f.period}" if f.period != ALL_PERIODS else "",
        "period_note": "" if whole(st) else
        " Selectivity gap and composite index cover the whole observation only.",
        "server_query": [[k, v] for k, v in server_q.items() if k not in Filters.MULTI],
        "chart_query": [["chart", st.chart]] if st.chart != CHARTS[0][0] else [],
        "chart_kind": st.chart,
        "default_sort": list(DEFAULT_SORT),
        "default_rows": ROWS[0][0],
        "metrics": list(weights),
        "default_weights": weights,
        "weight_prefix": PARAM_PREFIX,
        "max_weight": MAX_WEIGHT,
        "min_share": d.index_min_share(),
        "whole": whole(st),
        "window_t": window_label(d.window_hours()),
        "text": {
            "no_rate": "No account in this selection has enough messages "
                       f"(at least {d.min_n}) for a response rate.",
            "place_reweighted": "with the analysis's weights only",
            "no_median": "No account answered half of its messages, so every median time "
                         "to response is 'not reached' (shown as '> follow-up time').",
        },
        "chart": {
            "title": chart.title,
            "figure": plain(chart.figure.to_plotly_json()),
            "max_rows": MAX_CHART_ROWS,
            "empty": plain(empty.figure.to_plotly_json()),
            "empty_summary": empty.summary,
        },
    }


# ------------------------------------------------------------------ layout
def controls(st: State) -> list:
    opts = data().options()
    f = st.filters
    pops = [(p, POPULATION_LABELS[p]) for p in opts.populations] or [
        (f.population, POPULATION_LABELS[f.population])]
    return [
        toggle_group(PAGE, "country", "Country", [(c, c) for c in opts.countries], f.country,
                     multi=True, kind="client"),
        toggle_group(PAGE, "level", "Level", [(v, v) for v in opts.levels], f.level,
                     multi=True, kind="client"),
        toggle_group(PAGE, "platform", "Platform", [(v, v) for v in opts.platforms],
                     f.platform, multi=True, kind="client"),
        toggle_group(PAGE, "population", "Messages counted", pops, f.population,
                     default=opts.default_population, kind="sopt"),
        toggle_group(PAGE, "period", "Period",
                     [(p, "Whole observation" if p == ALL_PERIODS else p) for p in opts.periods],
                     f.period, collapse_over=8, default=ALL_PERIODS, kind="sopt"),
        toggle_group(PAGE, "institution", "Institution", [(v, v) for v in opts.institutions],
                     f.institution, multi=True, collapse_over=6, kind="client"),
        toggle_group(PAGE, "institution_type", "Institution type",
                     [(v, v) for v in opts.institution_types], f.institution_type, multi=True,
                     collapse_over=8, kind="client"),
    ]


def weights_panel(st: State) -> html.Details:
    """Number inputs for the composite index's weights, with a reset button."""
    defaults = default_weights()
    current = dict(st.weights)
    inputs = [html.Label([
        html.Span(metric_label(m, data().window_hours()), className="weight-name"),
        dcc.Input(id={"type": f"{PAGE}-weight", "metric": m}, type="number", min=0,
                  max=MAX_WEIGHT, step="any", value=current.get(m, w), debounce=True,
                  className="weight-input"),
        html.Span(f"default {w:g}", className="weight-default"),
    ], className="weight") for m, w in defaults.items()]
    custom = bool(defaults) and current != defaults
    body = [
        html.P([
            "The composite index is the weighted mean of an account's percentile ranks "
            "among its peers (by default the same country and level; 'govwatch analyze "
            "--peers' or '--peer-sets' chooses others). With the analysis's weights it "
            "shows its bootstrap 95% interval, and the place among peers is a range: "
            "accounts whose intervals overlap share places. The ranks are the analysis's; with "
            "other weights the index is recomputed here, in the dashboard, from those "
            "stored ranks — a different view of the same figures, not a new analysis. "
            "Weights are relative (only their proportions count); a weight of 0 leaves a "
            "metric out. Changing a weight ranks the leaderboard by the index. ",
            dcc.Link("How the index is built", href=method_href(ANCHORS["benchmarks"]))],
            className="hint"),
        html.Div(inputs, className="weights"),
        html.Button("Reset to default weights", id=f"{PAGE}-weights-reset", n_clicks=0,
                    type="button", className="action"),
    ]
    if not defaults:
        body = [html.P("This store has no peer benchmarks, so there is no composite index "
                       "to weigh.", className="hint"),
                html.Button("Reset to default weights", id=f"{PAGE}-weights-reset",
                            n_clicks=0, type="button", className="action", hidden=True)]
    return html.Details([html.Summary("Composite index weights"), *body],
                        id=f"{PAGE}-weights", open=custom, className="weights-panel")


def layout(**query):
    d = data()
    st = state(query)
    first = chart_for(st) if st.chart != "medians" else None
    return html.Div([
        html.H1("Who answers the public, and how fast"),
        html.P("Official accounts ranked by how often and how fast they answer the messages "
               "addressed to them. Unanswered messages count until the end of observation "
               "(Kaplan-Meier), so slow accounts cannot look fast by ignoring messages.",
               className="lede"),
        notes(PAGE, st.notes),
        html.Section([html.H2("Filters", id="overview-filters-title"),
                      html.Div(controls(st), className="filters")],
                     className="filter-panel", role="search",
                     **{"aria-labelledby": "overview-filters-title"}),
        html.P("", id="overview-status", className="status", role="status"),
        html.Section([html.H2("Headlines", id="overview-headlines-title"),
                      html.Ul([], id="overview-headlines")],
                     className="headlines", **{"aria-labelledby": "overview-headlines-title"}),
        html.Section([
            html.H2("Leaderboard", id="overview-board-title"),
            html.P("Select a column heading to sort by it; select it again to reverse the "
                   f"order. 'too few' marks accounts with fewer than {d.min_n} messages; "
                   "'> N h' means fewer than half were answered within the N hours "
                   "observed, so the median is not reached.", className="hint"),
            weights_panel(st),
            scroll_region(sortable_table(PAGE, "board", leaderboard_columns(d.window_hours()),
                                         st.sort, st.order,
                                         "Official accounts and their responsiveness",
                                         default=DEFAULT_SORT),
                          "overview-board-title"),
            html.P("", id="overview-shown", className="hint"),
            html.Div([toggle_group(PAGE, "rows", "Rows shown", ROWS, st.rows, default=ROWS[0][0],
                                   kind="client"),
                      download_buttons(PAGE, "board", images=False)], className="card-foot"),
        ], className="card", **{"aria-labelledby": "overview-board-title"}),
        html.Section([
            html.H2("Latency", id="overview-latency-title"),
            toggle_group(PAGE, "chart", "Chart", CHARTS, st.chart, default=CHARTS[0][0],
                         kind="sopt"),
            html.Div(chart_card(PAGE, first, level=3, slot="chart") if first else
                     chart_card(PAGE, _placeholder(MEDIAN_TITLE), level=3, slot="chart"),
                     id="overview-latency"),
        ], **{"aria-labelledby": "overview-latency-title"}),
        html.Section([
            html.H2("Change over time", id="overview-series-title"),
            series_card(st),
            # far below the fold: a filter change redraws it when the browser is idle
            # or it comes into view (assets/plotly_loader.js)
        ], **{"aria-labelledby": "overview-series-title", "data-redraw": "idle"}),
        dcc.Store(id=f"{PAGE}-data", data=payload(st)),
        dcc.Store(id=f"{PAGE}-curves-query", data=st.search() if st.chart == "curves" else None),
        dcc.Store(id=f"{PAGE}-curves", data=chart_json(first) if first else None),
        dcc.Store(id=f"{PAGE}-series-query", data=st.search()),
        dcc.Store(id=f"{PAGE}-series-data"),
        url_state(PAGE, st.search()),
    ], className="page page-overview")


def series_card(st: State):
    """The series' card, empty: the browser draws it once the page is up, from the
    counts ``series_first`` sends (it sits below the leaderboard and the latency
    chart, so the first view does not wait for it), and again on every filter change."""
    from govwatch.dashboard.figures import Chart, new_figure

    d = data()
    if not d.has("slice_metrics", "period_kind", "period_start", "observed_window"):
        return missing_panel(d.missing("slice_metrics"), PAGE, "series")
    return chart_card(PAGE, Chart("series", "Response rate over time", new_figure(), "",
                                  anchor=ANCHORS["slices"]), level=3)


def _placeholder(title: str):
    """The median chart's card before the browser draws it from the payload."""
    from govwatch.dashboard.figures import Chart, new_figure

    return Chart("medians", title, new_figure(), "", anchor=ANCHORS["latency"])


# ------------------------------------------------------------------ callbacks
clientside_callback(
    """function(country, level, platform, institution, institutionType, rows, sorts, weights,
                reset, payload, search) {
        return window.govwatch_dashboard.renderOverview(sorts, weights, payload, search);
    }""",
    Output("overview-headlines", "children"),
    Output("overview-board-body", "rows"),
    Output("overview-status", "children"),
    Output("overview-shown", "children"),
    Output("overview-graph-chart", "figure"),
    Output("overview-title-chart", "children"),
    Output("overview-summary-chart", "children"),
    Output({"type": "url-state", "page": PAGE}, "data"),
    Output({"type": f"{PAGE}-weight", "metric": ALL}, "value"),
    Output(f"{PAGE}-curves-query", "data"),
    *[Input(f"{PAGE}-{name}-toggles", "clicked") for name in CLIENT_GROUPS],
    Input({"type": f"{PAGE}-sort", "value": ALL}, "n_clicks"),
    Input({"type": f"{PAGE}-weight", "metric": ALL}, "value"),
    Input(f"{PAGE}-weights-reset", "n_clicks"),
    Input(f"{PAGE}-data", "data"),
    DashState({"type": "url-state", "page": PAGE}, "data"),
)
# The curves the server drew (see ``curves``) onto the chart.
clientside_callback(
    """function(curves, payload) {
        const nu = window.dash_clientside.no_update;
        if (!curves || !payload || payload.chart_kind !== "curves") { return [nu, nu, nu]; }
        return [curves.figure, curves.title, curves.summary];
    }""",
    Output("overview-graph-chart", "figure", allow_duplicate=True),
    Output("overview-title-chart", "children", allow_duplicate=True),
    Output("overview-summary-chart", "children", allow_duplicate=True),
    Input(f"{PAGE}-curves", "data"),
    DashState(f"{PAGE}-data", "data"),
    prevent_initial_call=True,
)


@callback(
    Output(f"{PAGE}-data", "data"),
    Output(f"{PAGE}-series-data", "data", allow_duplicate=True),
    Input({"type": f"{PAGE}-sopt", "name": ALL, "value": ALL}, "n_clicks"),
    DashState({"type": "url-state", "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def server_update(_clicks, search):
    """Population, period or chart changed: a new payload for the browser (and the
    series' counts when the population or the period changed)."""
    trigger = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else None
    if trigger is None:
        raise PreventUpdate
    query = parse_search(search)
    before, after = state(query).filters, state(next_query(query, trigger))
    same = (before.population, before.period) == (after.filters.population,
                                                  after.filters.period)
    return payload(after), dash.no_update if same else series_data(after)


@callback(
    Output(f"{PAGE}-curves", "data"),
    Input(f"{PAGE}-curves-query", "data"),
    prevent_initial_call=True,
)
def curves(search):
    """The time-to-response curves (drawn here: they need the stored KM curves),
    into a store the browser puts on the chart. The browser sets
    ``overview-curves-query`` only while the curves are chosen."""
    st = state(parse_search(search))
    if st.chart != "curves":
        raise PreventUpdate
    return chart_json(chart_for(st))


def chart_json(c) -> dict:
    return {"figure": plain(c.figure.to_plotly_json()), "title": c.title, "summary": c.summary}


def next_query(query: dict, trigger) -> dict:
    """The query after a control changed: a toggle button, or a column heading
    (a new column sorts ascending, the current one flips its order). The browser
    does the same for the controls it handles (assets/overview.js)."""
    q = state(query).query()
    if not isinstance(trigger, dict):
        return q
    if trigger.get("type") == f"{PAGE}-sort":
        if trigger["value"] == q["sort"]:
            q["order"] = "desc" if q["order"] == "asc" else "asc"
        else:
            q["sort"], q["order"] = trigger["value"], "asc"
        return q
    return toggled(q, trigger, Filters.MULTI)


def download_item(item: str, query: dict):
    st = state(query)
    if item == "board":
        return export_board(board_for(st))
    if item == "chart":
        return chart_for(st)
    if item == "series":
        return series_for(st)
    return None


def series_for(st: State):
    """The pooled rate per period of the accounts the filters keep (dashboard/pooled.py):
    monthly when the Period filter chose a month or a quarter, with that period shaded;
    weekly otherwise (a chosen week shaded)."""
    from govwatch.dashboard.pooled import period_span, pooled_series
    from govwatch.dashboard.trends import pooled_chart

    d = data()
    span = None if whole(st) else period_span(d, st.filters.period)
    kind = "month" if span and span[0] in ("month", "quarter") else "week"
    series = pooled_series(d, st.filters, kind)
    if isinstance(series, Missing):
        return series
    f = st.filters
    filtered = any(getattr(f, n) for n in Filters.MULTI)
    return pooled_chart(series, kind, d.window_hours(),
                        shade=(f.period, span[1], span[2]) if span else None,
                        what="the accounts the filters keep" if filtered else
                        "all official accounts")


def series_data(st: State) -> dict | None:
    """What the browser needs to draw the series for any country, level, platform,
    institution and institution-type filters (``renderSeries`` in
    assets/overview.js): the counts :func:`series_for` sums, per account and period,
    and the chart of all accounts as the pattern of every other (its trace's points,
    title and summary replaced). None when the store has no ``slice_metrics``.
    Built once per population and period."""
    f = st.filters
    return data().memo(("overview-series", f.population, f.period),
                       lambda: _series_data(st))


def _series_data(st: State) -> dict | None:
    from govwatch.analysis.change import _Z2, Z95
    from govwatch.dashboard.figures import board_key, empty_figure
    from govwatch.dashboard.pooled import account_counts, period_span
    from govwatch.dashboard.trends import (
        NO_SERIES,
        PERIOD_KINDS,
        POOLED_NOTE,
        pooled_title,
        shade_note,
    )

    d = data()
    f = st.filters
    span = None if whole(st) else period_span(d, f.period)
    kind = "month" if span and span[0] in ("month", "quarter") else "week"
    counts = account_counts(d, f.population, kind)
    if isinstance(counts, Missing):
        return None
    every = series_for(st._replace(filters=Filters(population=f.population, period=f.period)))
    if isinstance(every, Missing):
        return None
    periods = (counts.groupby("period", as_index=False)["period_start"].min()
               .sort_values(["period_start", "period"], kind="stable"))
    index = {p: i for i, p in enumerate(periods["period"])}
    # the period's first day as the chart's JSON gives it
    starts = np.datetime_as_string(
        pd.to_datetime(periods["period_start"]).to_numpy().astype("datetime64[us]"), unit="us")
    flat = np.column_stack([counts["period"].map(index).to_numpy(dtype="int64"),
                            counts["observed_window"].to_numpy(dtype="int64"),
                            counts["answered_window"].to_numpy(dtype="int64")])
    keys = [board_key(p, a) for p, a in zip(counts["platform"], counts["author"], strict=True)]
    per_account: dict[str, list[int]] = {}
    for key, row in zip(keys, flat.tolist(), strict=True):
        per_account.setdefault(key, []).extend(row)
    return {
        "kind": kind,
        "word": PERIOD_KINDS[kind],
        "title_all": pooled_title(kind, "all official accounts"),
        "title_some": pooled_title(kind, "the accounts the filters keep"),
        "periods": list(periods["period"]),
        "starts": starts.tolist(),
        "counts": per_account,
        "min_n": d.min_n,
        "wilson": [Z95, _Z2 / 2, _Z2 / 4, _Z2],
        "note": POOLED_NOTE + (shade_note(f.period) if span else ""),
        "figure": plain(every.figure.to_plotly_json()),
        "empty": plain(empty_figure(NO_SERIES[0]).to_plotly_json()),
        "empty_summary": NO_SERIES[1],
    }


@callback(
    Output(f"{PAGE}-series-data", "data"),
    Input(f"{PAGE}-series-query", "data"),
)
def series_first(search):
    """The series' counts, sent once the page is up (the series sits below the
    leaderboard and the latency chart, so the first view does not wait for it)."""
    return series_data(state(parse_search(search)))


# The series of the accounts the filters keep, pooled in the browser from the counts
# (no round trip on a filter change).
clientside_callback(
    """function(search, series, payload) {
        return window.govwatch_dashboard.renderSeries(search, series, payload);
    }""",
    Output(f"{PAGE}-graph-series", "figure"),
    Output(f"{PAGE}-title-series", "children"),
    Output(f"{PAGE}-summary-series", "children"),
    Input({"type": "url-state", "page": PAGE}, "data"),
    Input(f"{PAGE}-series-data", "data"),
    DashState(f"{PAGE}-data", "data"),
)


register_downloads(PAGE, download_item)

