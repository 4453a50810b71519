"""Channels (/channels?channel=review&country=ID): how fast each official account answers
through each channel — public replies, comments, app-store reviews, complaint tickets —
side by side, filtered by channel and country (both in the URL, so a view is a link).

Figures come from ``channel_metrics`` (all inbound messages of each channel). Direct
messages are private to the account: their row is shown only when the dashboard was
started with ``--include-dms``.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from govwatch.dashboard.channel_table import CHANNEL_LABELS, channel_rows, filter_figures
from govwatch.dashboard.data import Missing, query_values, to_search
from govwatch.dashboard.figures import ANCHORS
from govwatch.dashboard.pages._common import (
    account_href,
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

from govwatch.records import CHANNELS

PAGE = "channels"
MULTI = ("channel", "country")

dash.register_page(__name__, path="/channels", name="Channels", order=4,
                   title="govwatch: channels",
                   description="Response rates and latencies per channel, side by side.")


def state(query: dict) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The channels and countries the URL names (unknown ones ignored, with a note)."""
    figures = data().channel_figures()
    known = {"channel": [c for c in CHANNELS if not isinstance(figures, Missing)
                         and c in set(figures["channel"])],
             "country": data().options().countries}
    chosen, msgs = {}, []
    for name in MULTI:
        values, m = query_values(query, name)
        msgs += m
        for bad in [v for v in values if v not in known[name]][:3]:
            msgs.append(f"Ignored unknown {name} '{bad[:40]}'.")
        chosen[name] = tuple(v for v in values if v in known[name])
    return chosen, msgs


def table_for(chosen: dict[str, tuple[str, ...]]):
    figures = data().channel_figures()
    if isinstance(figures, Missing):
        return missing_panel(figures, PAGE, "table")
    kept = filter_figures(figures, chosen["channel"], chosen["country"])
    if kept.empty:
        return html.Div(html.P("No messages through the chosen channels."),
                        className="missing", id="channels-none")
    frame = channel_rows(kept, data().min_n)
    links = html.Ul([html.Li(dcc.Link(f"{a} ({p})", href=account_href(p, a)))
                     for p, a in sorted(set(zip(kept["platform"], kept["author"],
                                                strict=True)))],
                    className="account-list")
    return html.Div([
        table_card(PAGE, "table", "Responsiveness per channel", frame,
                   note="Each channel's messages, the share answered within the window, "
                        "and the Kaplan-Meier median time to response (\"> X h\" when fewer "
                        "than half were answered); for complaint tickets also the median "
                        "time to resolution.", anchor=ANCHORS["rate"]),
        html.Details([html.Summary("Account pages"), links]),
    ])


def _search(chosen: dict[str, tuple[str, ...]]) -> str:
    return to_search({k: list(v) for k, v in chosen.items()})


def layout(**query):
    chosen, msgs = state(query)
    figures = data().channel_figures()
    present = [] if isinstance(figures, Missing) else sorted(
        set(figures["channel"]), key=lambda c: CHANNELS.index(c) if c in CHANNELS else 99)
    return html.Div([
        html.H1("Channels: where the public writes, how fast the state answers"),
        html.P("Public replies and comments on social platforms, reviews of government apps, "
               "complaint tickets: each account's figures per channel, side by side. "
               "Unanswered messages count as unanswered, never left out.", className="lede"),
        notes(PAGE, msgs),
        toggle_group(PAGE, "channel", "Channel",
                     [(c, CHANNEL_LABELS.get(c, c)) for c in present], chosen["channel"],
                     multi=True),
        toggle_group(PAGE, "country", "Country",
                     [(c, c) for c in data().options().countries], chosen["country"],
                     multi=True, collapse_over=8),
        html.Div(table_for(chosen), id="channels-body"),
        url_state(PAGE, _search(chosen)),
    ], className="page page-channels")


@callback(
    Output("channels-body", "children"),
    Output({"type": "url-state", "page": PAGE}, "data"),
    Input({"type": f"{PAGE}-opt", "name": ALL, "value": ALL}, "n_clicks"),
    State({"type": "url-state", "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update(_clicks, search):
    trigger = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else None
    chosen, _ = state(toggled(parse_search(search), trigger, MULTI))
    return table_for(chosen), _search(chosen)


def download_item(item: str, query: dict):
    if item != "table":
        return None
    figures = data().channel_figures()
    if isinstance(figures, Missing):
        return None
    chosen = state(query)[0]
    return channel_rows(filter_figures(figures, chosen["channel"], chosen["country"]),
                        data().min_n)


register_downloads(PAGE, download_item)
