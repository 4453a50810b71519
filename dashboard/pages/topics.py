"""Topics (/topics?country=XA): the agenda gap — what the public raises in its
messages to officials vs what officials post about — and the themes the
analysis discovered in the messages (``discovered_topics``, when present).
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, html
from govwatch.dashboard.data import Missing, query_values, to_search
from govwatch.dashboard.figures import ANCHORS, agenda_chart
from govwatch.dashboard.pages._common import (
    chart_card,
    data,
    missing_panel,
    notes,
    parse_search,
    register_downloads,
    table_card,
    toggle_group,
    toggled,
    url_state,
)

PAGE = "topics"
MULTI = ("country",)

dash.register_page(__name__, path="/topics", name="Topics", order=3,
                   title="govwatch: topics and agenda gap",
                   description="What the public raises vs what officials post about.")


def state(query: dict) -> tuple[tuple[str, ...], list[str]]:
    values, msgs = query_values(query, "country")
    allowed = data().options().countries
    for bad in [v for v in values if v not in allowed][:3]:
        msgs.append(f"Ignored unknown country '{bad[:40]}'.")
    return tuple(v for v in values if v in allowed), msgs


def agenda_for(countries: tuple[str, ...]):
    mix = data().topic_mix()
    if countries:
        mix = mix[mix["country"].isin(countries)]
    return agenda_chart(mix)


def themes() -> pd.DataFrame | Missing:
    t = data().themes()
    if isinstance(t, Missing):
        return t
    return pd.DataFrame({"Theme": [f"Theme {int(n) + 1}" for n in t["theme"]],
                         "Messages": [f"{int(m):,}" for m in t["messages"]],
                         "Top terms": t["top_terms"]})


def themes_block():
    t = themes()
    if isinstance(t, Missing):
        return missing_panel(t, PAGE, "themes")
    if t.empty:
        return html.Div(html.P("No themes were discovered: the analysis needs enough public "
                               "messages with words to find them."), className="missing",
                        id="topics-missing-themes")
    return table_card(PAGE, "themes", "Themes discovered in the messages", t,
                      note="Themes found in the public's messages without a taxonomy "
                           "(NMF); each message counts for its strongest theme.",
                      anchor=ANCHORS["topics"])


def layout(**query):
    countries, msgs = state(query)
    opts = data().options()
    return html.Div([
        html.H1("Topics: what the public raises, what officials talk about"),
        html.P("Each topic's share of the messages citizens send to official accounts, beside "
               "its share of what the officials themselves post. A topic far to the right of "
               "the officials' marker is one the public raises and officials rarely address.",
               className="lede"),
        notes(PAGE, msgs),
        toggle_group(PAGE, "country", "Country", [(c, c) for c in opts.countries], countries,
                     multi=True),
        html.Div(chart_card(PAGE, agenda_for(countries)), id="topics-agenda"),
        themes_block(),
        url_state(PAGE, to_search({"country": list(countries)})),
    ], className="page page-topics")


@callback(
    Output("topics-agenda", "children"),
    Output({"type": "url-state", "page": PAGE}, "data"),
    Input({"type": f"{PAGE}-opt", "name": ALL, "value": ALL}, "n_clicks"),
    State({"type": "url-state", "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update(_clicks, search):
    trigger = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else None
    countries, _ = state(toggled(parse_search(search), trigger, MULTI))
    return (chart_card(PAGE, agenda_for(countries)), to_search({"country": list(countries)}))


def download_item(item: str, query: dict):
    countries, _ = state(query)
    if item == "agenda":
        return agenda_for(countries)
    if item == "themes":
        t = themes()
        return None if isinstance(t, Missing) else t
    return None


register_downloads(PAGE, download_item)
