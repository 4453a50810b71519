"""Overview (/): the leaderboard of official accounts, headline sentences and one
latency chart, under filters for country, level, institution, platform, period
and population. Every filter and the sort order live in the URL query.
"""

from __future__ import annotations

from typing import NamedTuple

import dash
from dash import ALL, Input, Output, callback, ctx, html
from dash import State as DashState

from dashboard.data import (
    ALL_PERIODS,
    POPULATION_LABELS,
    Filters,
    query_choice,
    to_search,
    validate_filters,
)
from dashboard.figures import (
    LEADERBOARD_COLUMNS,
    SORT_KEYS,
    export_board,
    headlines,
    km_chart,
    leaderboard_rows,
    median_chart,
    sort_board,
)
from dashboard.pages._common import (
    account_href,
    chart_card,
    data,
    download_buttons,
    notes,
    parse_search,
    register_downloads,
    sortable_table,
    table_rows,
    toggle_group,
    toggled,
    url_state,
)

PAGE = "overview"
CHARTS = (("medians", "Median time to response (95% CI)"),
          ("curves", "Time-to-response curves"))
MAX_CURVES = 8
# The leaderboard shows the first 25 rows unless asked for all: a long table of
# Dash components makes every filter change slower (the CSV always has all).
ROWS = (("25", "First 25"), ("all", "All"))
DEFAULT_SORT = ("rate_7d", "asc")

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
    notes: tuple[str, ...] = ()

    def query(self) -> dict:
        """Every parameter, defaults included (what the toggles work on)."""
        f = self.filters
        return {"country": list(f.country), "level": list(f.level),
                "institution": list(f.institution), "platform": list(f.platform),
                "population": f.population, "period": f.period, "sort": self.sort,
                "order": self.order, "chart": self.chart, "rows": self.rows}

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
        return to_search(q)


def state(query: dict) -> State:
    """Validated state from a URL query (unknown values dropped with a note)."""
    filters, msgs = validate_filters(query, data().options())
    sort, more = query_choice(query, "sort", tuple(SORT_KEYS), DEFAULT_SORT[0])
    order, more2 = query_choice(query, "order", ("asc", "desc"), DEFAULT_SORT[1])
    chart, more3 = query_choice(query, "chart", tuple(c for c, _ in CHARTS), CHARTS[0][0])
    rows, more4 = query_choice(query, "rows", tuple(r for r, _ in ROWS), ROWS[0][0])
    return State(filters, sort, order, chart, rows, tuple(msgs + more + more2 + more3 + more4))


# ------------------------------------------------------------------ content
def board_for(st: State):
    return sort_board(data().leaderboard(st.filters), st.sort, st.order == "desc")


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
    return median_chart(board, d.min_n)


def status_text(board, filters: Filters, total: int) -> str:
    text = (f"Showing {len(board)} of {total} official accounts · "
            f"{POPULATION_LABELS[filters.population]} · {filters.describe()}.")
    if filters.period != ALL_PERIODS:
        text += " Selectivity gap and composite index cover the whole observation only."
    return text


def shown_text(total: int, rows: str) -> str:
    if rows == "all" or total <= int(rows):
        return f"All {total} rows shown."
    return f"The first {rows} of {total} rows are shown; choose 'All' to see every row."


def content(st: State) -> dict:
    """Everything the filters drive, for one state (used by layout and callback)."""
    d = data()
    board = board_for(st)
    return {
        "headlines": [html.Li(s) for s in headlines(
            board, POPULATION_LABELS[st.filters.population], d.min_n,
            critical=d.critical_rates(st.filters.population))],
        "rows": leaderboard_rows(board if st.rows == "all" else board.head(int(st.rows)),
                                 account_href),
        "shown": shown_text(len(board), st.rows),
        "status": status_text(board, st.filters, len(d.officials())),
        "chart": chart_for(st),
        "search": st.search(),
    }


# ------------------------------------------------------------------ layout
def controls(st: State) -> list:
    opts = data().options()
    f = st.filters
    pops = [(p, POPULATION_LABELS[p]) for p in opts.populations] or [
        (f.population, POPULATION_LABELS[f.population])]
    return [
        toggle_group(PAGE, "country", "Country", [(c, c) for c in opts.countries], f.country,
                     multi=True),
        toggle_group(PAGE, "level", "Level", [(v, v) for v in opts.levels], f.level,
                     multi=True),
        toggle_group(PAGE, "platform", "Platform", [(v, v) for v in opts.platforms],
                     f.platform, multi=True),
        toggle_group(PAGE, "population", "Messages counted", pops, f.population,
                     default=opts.default_population),
        toggle_group(PAGE, "period", "Period",
                     [(p, "Whole observation" if p == ALL_PERIODS else p) for p in opts.periods],
                     f.period, collapse_over=8, default=ALL_PERIODS),
        toggle_group(PAGE, "institution", "Institution", [(v, v) for v in opts.institutions],
                     f.institution, multi=True, collapse_over=6),
    ]


def layout(**query):
    d = data()
    st = state(query)
    c = content(st)
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
        html.P(c["status"], id="overview-status", className="status", role="status"),
        html.Section([html.H2("Headlines", id="overview-headlines-title"),
                      html.Ul(c["headlines"], id="overview-headlines")],
                     className="headlines", **{"aria-labelledby": "overview-headlines-title"}),
        html.Section([
            html.H2("Leaderboard", id="overview-board-title"),
            html.P("Select a column heading to sort by it; select it again to reverse the "
                   f"order. 'too few' marks accounts with fewer than {d.min_n} messages; "
                   "'> N h' means fewer than half were answered within the N hours "
                   "observed, so the median is not reached.", className="hint"),
            html.Div(sortable_table(PAGE, "board", LEADERBOARD_COLUMNS, c["rows"], st.sort,
                                    st.order, "Official accounts and their responsiveness",
                                    default=DEFAULT_SORT),
                     className="table-wrap"),
            html.P(c["shown"], id="overview-shown", className="hint"),
            html.Div([toggle_group(PAGE, "rows", "Rows shown", ROWS, st.rows, default=ROWS[0][0]),
                      download_buttons(PAGE, "board", images=False)], className="card-foot"),
        ], className="card", **{"aria-labelledby": "overview-board-title"}),
        html.Section([
            html.H2("Latency", id="overview-latency-title"),
            toggle_group(PAGE, "chart", "Chart", CHARTS, st.chart, default=CHARTS[0][0]),
            html.Div(chart_card(PAGE, c["chart"], level=3, slot="chart"),
                     id="overview-latency"),
        ], **{"aria-labelledby": "overview-latency-title"}),
        url_state(PAGE, c["search"]),
    ], className="page page-overview")


MULTI = Filters.MULTI


@callback(
    Output("overview-headlines", "children"),
    Output("overview-board-body", "children"),
    Output("overview-status", "children"),
    Output("overview-shown", "children"),
    Output("overview-graph-chart", "figure"),
    Output("overview-title-chart", "children"),
    Output("overview-summary-chart", "children"),
    Output({"type": "url-state", "page": PAGE}, "data"),
    Input({"type": f"{PAGE}-opt", "name": ALL, "value": ALL}, "n_clicks"),
    Input({"type": f"{PAGE}-sort", "value": ALL}, "n_clicks"),
    DashState({"type": "url-state", "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update(_clicks, _sort_clicks, search):
    st = state(next_query(parse_search(search), ctx.triggered_id))
    c = content(st)
    chart = c["chart"]
    return (c["headlines"], table_rows(LEADERBOARD_COLUMNS, c["rows"]), c["status"], c["shown"],
            chart.figure, chart.title, chart.summary, c["search"])


def next_query(query: dict, trigger) -> dict:
    """The query after a control changed: a toggle button, or a column heading
    (a new column sorts ascending, the current one flips its order)."""
    q = state(query).query()
    if not isinstance(trigger, dict):
        return q
    if trigger.get("type") == f"{PAGE}-sort":
        if trigger["value"] == q["sort"]:
            q["order"] = "desc" if q["order"] == "asc" else "asc"
        else:
            q["sort"], q["order"] = trigger["value"], "asc"
        return q
    return toggled(q, trigger, MULTI)


def download_item(item: str, query: dict):
    st = state(query)
    if item == "board":
        return export_board(board_for(st))
    if item == "chart":
        return chart_for(st)
    return None


register_downloads(PAGE, download_item)
