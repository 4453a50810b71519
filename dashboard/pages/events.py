"""Events (/events?event=ID): how fast each official account acknowledged a
critical event (a flood, a derailment), beside how fast the public posted.

Reads the ``events`` table and the derived ``event_acknowledgements``; when the
latter is absent the page says so and still lists the events. Below them, the
candidate events the analysis found (/events?candidate=ID treats one as an event;
pages/_candidates.py).
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, html
from govwatch.dashboard.data import Missing, query_choice, to_search
from govwatch.dashboard.figures import ANCHORS, event_chart, fmt_hours
from govwatch.dashboard.pages._candidates import candidates, candidates_section
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

PAGE = "events"

dash.register_page(__name__, path="/events", name="Events", order=2,
                   title="govwatch: events",
                   description="How fast officials acknowledged critical events.")


def state(query: dict) -> tuple[str | None, list[str]]:
    evs = data().events()
    ids = tuple(evs["event_id"])
    if not ids:
        return None, []
    critical = evs.loc[evs["critical"].fillna(False).astype(bool), "event_id"]
    default = critical.iloc[0] if len(critical) else ids[0]
    return query_choice(query, "event", ids, default)


def events_table() -> pd.DataFrame:
    """The events, with how many officials acknowledged each and how fast."""
    evs = data().events()
    table = pd.DataFrame({
        "Event": evs["name"],
        "Onset (UTC)": [f"{t:%Y-%m-%d %H:%M}" for t in evs["onset"]],
        "Critical": ["yes" if c else "no" for c in evs["critical"].fillna(False)],
        "Country": evs["country"].fillna("all"),
    })
    summary = data().event_summary()
    if isinstance(summary, Missing) or summary.empty:
        return table
    s = evs[["event_id"]].merge(summary, on="event_id", how="left")
    table["Officials acknowledging"] = [
        "–" if pd.isna(n) else f"{int(a)} of {int(n)}"
        for a, n in zip(s["accounts_acknowledged"], s["accounts_in_scope"], strict=True)]
    table["Median time to acknowledge"] = [
        fmt_hours(m) if not pd.isna(m) else ("> " + fmt_hours(o) if not pd.isna(o) else "–")
        for m, o in zip(s["median_latency_hours"], s["observed_hours"], strict=True)]
    table["Public's first post"] = [
        "–" if pd.isna(h) else f"after {fmt_hours(h)}" for h in s["public_latency_hours"]]
    return table


def acknowledgements(event_id: str) -> pd.DataFrame | Missing:
    """One row per official for the event, labelled, with the observed time."""
    d = data()
    ack = d.table("event_acknowledgements", event_id=event_id)
    if isinstance(ack, Missing):
        return ack
    officials = d.officials()
    ack = ack.merge(officials[["platform", "author", "institution"]].rename(
        columns={"author": "official_author"}), on=["platform", "official_author"], how="left") \
        if "platform" in ack.columns else ack.merge(officials[["author", "institution"]].rename(
            columns={"author": "official_author"}), on="official_author", how="left")
    ack["label"] = [f"{i} (@{a})" if isinstance(i, str) else f"@{a}"
                    for i, a in zip(ack["institution"], ack["official_author"], strict=True)]
    onset = d.events().set_index("event_id").loc[event_id, "onset"]
    end = d.run_info().get("observed_until")
    observed = (pd.Timestamp(end) - pd.Timestamp(onset)).total_seconds() / 3600 if end else None
    if "observed_hours" not in ack.columns:
        ack["observed_hours"] = observed
    if "public_latency_hours" not in ack.columns:
        ack["public_latency_hours"] = pd.NA
    ack["censored"] = ack["censored"].fillna(True).astype(bool)
    spans = d.outage_acknowledgements(event_id)
    if spans is not None and "platform" in ack.columns:
        ack = ack.merge(spans, on=["platform", "official_author"], how="left")
    return ack


def chart_for(event_id: str | None):
    if event_id is None:
        return None
    ack = acknowledgements(event_id)
    if isinstance(ack, Missing):
        return ack
    event = data().events().set_index("event_id").loc[event_id]
    country = event["country"] if isinstance(event["country"], str) else None
    outages = data().outages(country)
    return event_chart(ack, event["name"], None if isinstance(outages, Missing) else outages,
                       onset=event["onset"])


def chart_block(event_id: str | None):
    c = chart_for(event_id)
    if c is None:
        return html.P("No events in this store.")
    return missing_panel(c, PAGE, "event") if isinstance(c, Missing) else chart_card(PAGE, c)


def candidate_state(query: dict) -> tuple[str | None, list[str]]:
    c = candidates()
    ids = () if isinstance(c, Missing) else tuple(c["candidate_id"])
    if "candidate" not in query or not ids:
        return None, []
    return query_choice(query, "candidate", ids, None)


def layout(**query):
    event_id, msgs = state(query)
    candidate, more = candidate_state(query)
    msgs = msgs + more
    evs = data().events()
    if event_id is None:
        return html.Div([
            html.H1("Events"), notes(PAGE, msgs),
            html.Div(html.P("No events in this store. Load an events file (event_id, name, "
                            "onset, keywords, critical) with 'govwatch analyze --events FILE'."),
                     className="missing", id="events-missing-events"),
            candidates_section(candidate),
            url_state(PAGE, to_search({"candidate": candidate} if candidate else {})),
        ], className="page page-events")
    options = [(e, n) for e, n in zip(evs["event_id"], evs["name"], strict=True)]
    return html.Div([
        html.H1("Events: who spoke up, and when"),
        html.P("For each event, the time from its onset to each official account's first post "
               "about it, beside the public's first post. Accounts still silent at the end of "
               "observation are shown as '> N h'.", className="lede"),
        notes(PAGE, msgs),
        table_card(PAGE, "list", "Events in this store", events_table(),
                   anchor=ANCHORS["events"]),
        toggle_group(PAGE, "event", "Event", options, event_id),
        html.Div(chart_block(event_id), id="events-chart"),
        candidates_section(candidate),
        url_state(PAGE, to_search({"event": event_id, **({"candidate": candidate}
                                                          if candidate else {})})),
    ], className="page page-events")


@callback(
    Output("events-chart", "children"),
    Output({"type": "url-state", "page": PAGE}, "data"),
    Input({"type": f"{PAGE}-opt", "name": ALL, "value": ALL}, "n_clicks"),
    State({"type": "url-state", "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update(_clicks, search):
    trigger = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else None
    event_id, _ = state(toggled(parse_search(search), trigger, ()))
    return (chart_block(event_id), to_search({"event": event_id}))


def download_item(item: str, query: dict):
    event_id, _ = state(query)
    if item == "list":
        return data().events()
    if item == "candidates":
        c = candidates()
        return None if isinstance(c, Missing) else c
    if item == "event":
        c = chart_for(event_id)
        return None if isinstance(c, Missing) else c
    return None


register_downloads(PAGE, download_item)
