"""Compare (/compare?a=x:handle&a=facebook:Page): two to five official accounts
side by side — their measures in one table and their time-to-response curves on
one chart.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, html
from govwatch.dashboard.data import (
    POPULATION_LABELS,
    POPULATIONS,
    query_choice,
    query_values,
    to_search,
)
from govwatch.dashboard.figures import ANCHORS, compare_table, km_chart
from govwatch.dashboard.pages._common import (
    chart_card,
    data,
    notes,
    parse_search,
    register_downloads,
    table_card,
    toggle_group,
    toggled,
    url_state,
)

PAGE = "compare"
MAX_ACCOUNTS = 5
MULTI = ("a",)

dash.register_page(__name__, path="/compare", name="Compare", order=4,
                   title="govwatch: compare accounts",
                   description="Two to five official accounts side by side.")


def key(platform: str, author: str) -> str:
    return f"{platform}:{author}"


def state(query: dict) -> tuple[list[dict], str, list[str]]:
    """Chosen accounts (validated, at most five) and population, with notes."""
    d = data()
    values, msgs = query_values(query, "a")
    chosen: list[dict] = []
    for v in values:
        platform, _, author = v.partition(":")
        acc = d.account(platform, author)
        if acc is None:
            msgs.append(f"Ignored unknown account '{v[:40]}'.")
        elif acc not in chosen:
            chosen.append(acc)
    if len(chosen) > MAX_ACCOUNTS:
        msgs.append(f"Compare shows at most {MAX_ACCOUNTS} accounts; kept the first "
                    f"{MAX_ACCOUNTS}.")
        chosen = chosen[:MAX_ACCOUNTS]
    opts = d.options()
    population, more = query_choice(query, "population", opts.populations or POPULATIONS,
                                    opts.default_population)
    return chosen, population, msgs + more


def search_for(chosen: list[dict], population: str) -> str:
    q: dict = {"a": [key(a["platform"], a["author"]) for a in chosen]}
    if population != data().options().default_population:
        q["population"] = population
    return to_search(q)


def label(acc: dict) -> str:
    return f"{acc['institution'] or acc['display_name']} (@{acc['author']}, {acc['platform']})"


def table_for(chosen: list[dict], population: str):
    """The side-by-side table; business-clock rows say "not available" for an
    account without office hours (its clock status from ``account_clocks``)."""
    d = data()
    cols = [*d.columns("account_metrics"), "clock_status"]
    rows = []
    for acc in chosen:
        m = d.account_metrics(acc["platform"], acc["author"])
        m = m[m["population"] == population]
        row = m.iloc[0].to_dict() if len(m) else dict.fromkeys(cols)
        clock = d.clock(acc["platform"], acc["author"])
        row["clock_status"] = clock.get("clock_status") if isinstance(clock, dict) else None
        rows.append(row)
    table = compare_table(pd.DataFrame(rows, columns=cols), [label(a) for a in chosen])
    return pd.concat([table, other_measures(chosen, population, list(table.columns))],
                     ignore_index=True)


def other_measures(chosen: list[dict], population: str, columns: list[str]) -> pd.DataFrame:
    """Rows "column (table)" for each per-account table of another metric (found through
    the metric registry, as on the Account page): its value for each account, for the
    chosen population where the table has one."""
    values: dict[str, list] = {}
    for i, acc in enumerate(chosen):
        for table, _what, rows in data().other_account_tables(acc["platform"], acc["author"]):
            if "population" in rows.columns:
                rows = rows[rows["population"] == population].drop(columns="population")
            if len(rows) != 1:
                continue
            for col, value in rows.iloc[0].items():
                values.setdefault(f"{col} ({table})", [None] * len(chosen))[i] = value
    return pd.DataFrame([[measure, *vals] for measure, vals in values.items()],
                        columns=columns)


def chart_for(chosen: list[dict], population: str):
    d = data()
    curves = d.km_curves([(a["platform"], a["author"]) for a in chosen], [population])
    labels = {key(a["platform"], a["author"]): label(a) for a in chosen}
    curves["account"] = [labels[key(p, a)] for p, a in
                         zip(curves["platform"], curves["official_author"], strict=True)]
    follow = {label(a): d.followup(a["platform"], a["author"]).get(population)
              for a in chosen}
    return km_chart(curves, "account", key="curves", followup=follow,
                    title="Share of messages still unanswered over time")


def results(chosen: list[dict], population: str):
    if len(chosen) < 2:
        return html.P("Choose at least two accounts to compare.", className="status",
                      id="compare-empty")
    return [table_card(PAGE, "table", "Side by side", table_for(chosen, population),
                       anchor=ANCHORS["rate"]),
            chart_card(PAGE, chart_for(chosen, population))]


def layout(**query):
    d = data()
    chosen, population, msgs = state(query)
    opts = d.options()
    accounts = [(key(r["platform"], r["author"]), label(r))
                for r in d.officials().to_dict("records")]
    return html.Div([
        html.H1("Compare accounts"),
        html.P(f"Choose two to {MAX_ACCOUNTS} official accounts.", className="lede"),
        notes(PAGE, msgs),
        html.Div([
            toggle_group(PAGE, "a", "Accounts", accounts,
                         [key(a["platform"], a["author"]) for a in chosen], multi=True,
                         all_label="Clear selection"),
            toggle_group(PAGE, "population", "Messages counted",
                         [(p, POPULATION_LABELS[p]) for p in opts.populations], population,
                         default=opts.default_population),
        ], className="filters"),
        html.Div(results(chosen, population), id="compare-results", role="region",
                 **{"aria-label": "Comparison"}),
        url_state(PAGE, search_for(chosen, population)),
    ], className="page page-compare")


@callback(
    Output("compare-results", "children"),
    Output({"type": "url-state", "page": PAGE}, "data"),
    Input({"type": f"{PAGE}-opt", "name": ALL, "value": ALL}, "n_clicks"),
    State({"type": "url-state", "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update(_clicks, search):
    trigger = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else None
    chosen, population, _ = state(toggled(parse_search(search), trigger, MULTI))
    return (results(chosen, population), search_for(chosen, population))


def download_item(item: str, query: dict):
    chosen, population, _ = state(query)
    if len(chosen) < 2:
        return None
    if item == "table":
        return table_for(chosen, population)
    if item == "curves":
        return chart_for(chosen, population)
    return None


register_downloads(PAGE, download_item)
