"""The Events page's candidate events: bursts of critical messages the analysis found
(analysis/bursts.py), with their evidence and a "treat as event" link
(/events?candidate=ID) that shows the acknowledgement and public lead the analysis
computed for each candidate as if it were an event."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import dcc, html
from govwatch.dashboard.data import Missing, to_search
from govwatch.dashboard.figures import event_chart
from govwatch.dashboard.pages._common import chart_card, data, missing_panel, scroll_region

PAGE = "events"


def candidates() -> pd.DataFrame | Missing:
    c = data().table("candidate_events")
    if isinstance(c, Missing) or "candidate_id" not in c.columns:
        return c if isinstance(c, Missing) else data().missing("candidate_events")
    return c.sort_values(["day", "candidate_id"]).reset_index(drop=True)


def _days(r: dict) -> str:
    first, last = pd.Timestamp(r["day"]), pd.Timestamp(r["last_day"])
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"


def _known(r: dict) -> str:
    known = r.get("known_event_ids")
    return f"already loaded: {known}" if isinstance(known, str) and known else "not in the events file"


# The section is named by its heading (a dict, as the attribute's name has a hyphen).
_LABELLED: dict[str, Any] = {"aria-labelledby": "events-title-candidates"}


def candidates_section(selected: str | None) -> html.Section:
    """The table of candidates (evidence and a link each) and, for ``selected``, its
    acknowledgement and first messages."""
    c = candidates()
    title = html.H2("Candidate events found in the messages", id="events-title-candidates")
    if isinstance(c, Missing):
        return html.Section([title, missing_panel(c, PAGE, "candidates")],
                            **_LABELLED)
    intro = html.P(
        "Days on which critical messages to a country's officials burst above their own "
        "robust baseline (median and median absolute deviation of the 28 days before, so an "
        "earlier spike cannot hide a later burst); consecutive days are one candidate. They "
        "are suggestions: confirm one by writing it into the events file. 'Treat as event' "
        "shows who acknowledged it, with its top hashtags as keywords.", className="hint")
    if c.empty:
        return html.Section([title, intro, html.P("No bursts of critical messages were found.",
                                                  id="events-no-candidates")],
                            **_LABELLED)
    head = ["Candidate", "Days", "Critical messages (first day; whole burst)",
            "Baseline median (MAD); threshold", "Top hashtags", "Events file", ""]
    rows = []
    for r in c.to_dict("records"):
        topic = r.get("topic") if isinstance(r.get("topic"), str) else "all topics"
        rows.append(html.Tr([
            html.Td(f"{r['country']} · {topic}"),
            html.Td(_days(r)),
            html.Td(f"{int(r['critical_messages']):,}; {int(r['episode_messages']):,}"),
            html.Td(f"{r['baseline_median']:g} ({r['baseline_mad']:g}); "
                    f"{r['threshold']:.1f}"),
            html.Td(r.get("top_hashtags") if isinstance(r.get("top_hashtags"), str) else "–"),
            html.Td(_known(r)),
            html.Td(dcc.Link("Treat as event",
                             href="/events" + to_search({"candidate": r["candidate_id"]}),
                             className="candidate-link",
                             title=f"Treat {r['candidate_id']} as an event")),
        ]))
    table = scroll_region(html.Table([
        html.Caption("Candidate events", className="visually-hidden"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
        html.Tbody(rows)], id="events-table-candidates", className="data-table"),
        _LABELLED["aria-labelledby"])
    body = [title, intro, table]
    if selected is not None:
        body.append(treated(c, selected))
    return html.Section(body, **_LABELLED)


def treated(c: pd.DataFrame, candidate_id: str) -> html.Div | html.P:
    """One candidate treated as an event: chart, summary and first messages."""
    hit = c[c["candidate_id"] == candidate_id]
    if hit.empty:
        return html.P(f"No candidate event {candidate_id!r} in this store.",
                      id="events-candidate-unknown")
    r = hit.iloc[0].to_dict()
    d = data()
    ack = d.table("candidate_acknowledgements", event_id=candidate_id)
    name = f"candidate {candidate_id}"
    if isinstance(ack, Missing):
        chart = missing_panel(ack, PAGE, "candidate")
    else:
        officials = d.officials()[["platform", "author", "institution"]].rename(
            columns={"author": "official_author"})
        ack = ack.merge(officials, on=["platform", "official_author"], how="left")
        ack["label"] = [f"{i} (@{a})" if isinstance(i, str) else f"@{a}"
                        for i, a in zip(ack["institution"], ack["official_author"], strict=True)]
        ack["censored"] = ack["censored"].fillna(True).astype(bool)
        chart = chart_card(PAGE, event_chart(ack, name), level=3, slot="candidate")
    said = int((~ack["censored"]).sum()) if not isinstance(ack, Missing) else 0
    total = len(ack) if not isinstance(ack, Missing) else 0
    msgs = d.burst_messages(r["country"], pd.Timestamp(r["day"]).date(),
                            r["topic"] if isinstance(r.get("topic"), str) else None)
    first = html.Ul([html.Li([html.Time(f"{t:%Y-%m-%d %H:%M} UTC"), f" · {a} · {x}"])
                     for t, a, x in zip(msgs["message_created_at"], msgs["author"],
                                        msgs["text"], strict=True)],
                    id="events-candidate-messages")
    keywords = (r.get("top_hashtags") or "").replace("#", "").split() \
        if isinstance(r.get("top_hashtags"), str) else []
    line = (f"{candidate_id},{name},{pd.Timestamp(r['first_message_at']):%Y-%m-%dT%H:%M:%SZ},"
            f"{';'.join(keywords)},true,{r['country']}")
    return html.Div([
        html.H3(f"Treated as an event: {candidate_id}", id="events-title-treated"),
        html.P(f"Onset: the first critical message, "
               f"{pd.Timestamp(r['first_message_at']):%Y-%m-%d %H:%M} UTC; keywords: "
               f"{', '.join(keywords) or 'none (no hashtags: nothing can match)'}. "
               f"{said} of {total} official accounts of {r['country']} posted about it by the "
               "end of observation.", id="events-candidate-summary"),
        chart,
        html.H4("First messages of the burst (citizens pseudonymised)"),
        first,
        html.P(["To confirm it, add this line to your events file and re-run "
                "'govwatch analyze --events FILE': ", html.Code(line)], className="hint"),
    ], id="events-candidate", className="card")

