"""Account (/account?platform=x&author=...): one official account in depth.

Time-to-response curves (critical vs routine where the analysis split them,
otherwise messages needing a response vs all), the weekly or monthly series of the
rate and median with their intervals (``trend=week|month`` in the URL) and the
before/after comparisons of ``analyze --change-date``, response rate by topic and by
sentiment, the posting timeline with silences and event onsets, example
messages (citizens pseudonymised, personal data redacted), the peers'
percentile ranks, and a downloadable HTML report. Without a valid account in
the URL the page lists every official account instead.

The layout carries the top of the page (the account and its responsiveness
tables); the charts and examples below come in two parts, each built by its own
callback (``rest``), requested together once the top is up and built one after the
other, so the browser draws one part while the server builds the other. Until then
a status line with the class ``pending-content`` stands in for each.
"""

from __future__ import annotations

import json
import threading
import weakref
from typing import Any

import dash
import pandas as pd
from dash import MATCH, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate
from govwatch.dashboard import outage_marks
from govwatch.dashboard.channel_table import channel_rows, filter_figures
from govwatch.dashboard.data import (
    POPULATION_LABELS,
    Missing,
    query_choice,
    query_values,
    to_search,
)
from govwatch.dashboard.figures import (
    ANCHORS,
    Chart,
    activity_chart,
    business_table,
    fmt_gap,
    fmt_hours,
    fmt_rate,
    median_cell,
    metric_label,
    percentile_chart,
    rate_cell,
    rate_chart,
    rate_label,
)
from govwatch.dashboard.pages._common import (
    account_href,
    chart_card,
    data,
    missing_panel,
    notes,
    parse_search,
    register_downloads,
    table_card,
    url_state,
)
from govwatch.dashboard.report import account_latency_chart
from govwatch.dashboard.static_parts import freeze
from govwatch.dashboard.trends import PERIOD_KINDS, before_after_frame, series_chart

from govwatch.config import window_label

PAGE = "account"
SLICE_CHARTS = (("topic", "Response rate by topic"),
                ("sentiment", "Response rate by sentiment of the message"))

dash.register_page(__name__, path="/account", name="Account", order=1,
                   title="govwatch: account", description="One official account in depth.")


def resolve(query: dict) -> tuple[dict | None, list[str]]:
    """The account named by the URL (platform, author), or None with notes."""
    platforms, n1 = query_values(query, "platform")
    authors, n2 = query_values(query, "author")
    msgs = n1 + n2
    if not platforms and not authors:
        return None, msgs
    acc = data().account(platforms[0] if platforms else None, authors[0] if authors else None)
    if acc is None:
        msgs.append("No official account matches this link; choose one below.")
    return acc, msgs


# ------------------------------------------------------------------ pieces
def metrics_table(acc: dict) -> pd.DataFrame:
    m = data().account_metrics(acc["platform"], acc["author"])
    rows = []
    for r in m.to_dict("records"):
        rows.append({
            "Messages counted": POPULATION_LABELS.get(r["population"], r["population"]),
            "Messages": f"{int(r['messages']):,}",
            rate_label(r.get("window_hours")): rate_cell(r),
            "Median time to response (95% CI)": median_cell(r),
            "Naive median of answered": fmt_hours(r["naive_median_hours"]),
            "Unanswered after 24 h": fmt_rate(r["unanswered_24h"]),
            "Unanswered after 7 days": fmt_rate(r["unanswered_7d"]),
        })
        day = r.get("day_precision_messages")
        if pd.notna(day) and day:  # latencies known to the day only: say so
            rows[-1]["Messages dated to the day only"] = f"{int(day):,}"
    return pd.DataFrame(rows)


def office_hours_fact(acc: dict) -> str:
    hours = clock_of(acc).get("office_hours")
    return f"Office hours {hours}" if isinstance(hours, str) and hours else \
        "No office hours listed"


def clock_of(acc: dict) -> dict:
    """The account's business clock row ({} when the store has none)."""
    c = data().clock(acc["platform"], acc["author"])
    return {} if isinstance(c, Missing) else c


def business_frame(acc: dict) -> pd.DataFrame:
    """account_metrics rows with the account's clock status beside them."""
    m = data().account_metrics(acc["platform"], acc["author"])
    status = clock_of(acc).get("clock_status")
    return m.assign(clock_status=status) if isinstance(status, str) else m


def business_intro(acc: dict) -> str:
    clock = clock_of(acc)
    if clock.get("clock_status") == "ok":
        weekly = clock.get("weekly_office_hours")
        week = f", {weekly:g} open hours a week" if pd.notna(weekly) else ""
        w = window_label(data().window_hours())
        return (f"Office hours {clock.get('office_hours')} ({clock.get('timezone')}{week}). "
                "On the business clock only the time while the office is open counts: a "
                "message sent on Friday evening and answered on Monday morning waited about "
                f"an hour of office time. The business window is {w} scaled to office "
                f"time ({w} x weekly office hours / 168).")
    reason = clock.get("clock_status") or "no office hours"
    return (f"Business hours: not available for this account ({reason}). The business "
            "clock needs office hours and a time zone in the accounts file.")


def business_table_for(acc: dict) -> pd.DataFrame:
    return business_table(business_frame(acc), POPULATION_LABELS)


def latency_chart(acc: dict) -> Chart:
    return account_latency_chart(data(), acc)


def trend_chart(acc: dict, period_kind: str) -> Chart | Missing:
    d = data()
    population = d.options().default_population
    series = d.series(acc["platform"], acc["author"], population, period_kind)
    if isinstance(series, Missing):
        return series
    changes = d.before_after(acc["platform"], acc["author"], population)
    return series_chart(series, period_kind, changes, d.window_hours())


def trend_switch(acc: dict, period_kind: str) -> html.Nav:
    """Links between the weekly and the monthly series (the choice is in the URL)."""
    links = []
    current: dict[str, Any] = {"aria-current": "true"}
    label: dict[str, Any] = {"aria-label": "Period of the series"}
    for kind, word in PERIOD_KINDS.items():
        href = "/account" + to_search({"platform": acc["platform"], "author": acc["author"],
                                       "trend": kind})
        links.append(html.Li(
            html.Span(f"{word} (shown)", className="trend-current", **current)
            if kind == period_kind else dcc.Link(word, href=href, className="trend-link")))
    return html.Nav(html.Ul(links, className="toggles"), id="account-trend-switch", **label)


def before_after_card(acc: dict):
    d = data()
    rows = d.before_after(acc["platform"], acc["author"], d.options().default_population)
    if rows.empty:
        return html.P("No before/after comparison: give a date to 'govwatch analyze "
                      "--change-date DATE' (a new policy, a minister's change) to compare "
                      "this account's rate and median before and after it.",
                      id="account-before-after-none", className="status")
    return table_card(PAGE, "before-after", "Before and after", before_after_frame(rows),
                      note="Response rate and median time to response before and after each "
                           "date given to the analysis, with the differences (after minus "
                           "before) and their 95% intervals.", anchor=ANCHORS["slices"])


def slice_chart(acc: dict, kind: str, title: str) -> Chart | Missing:
    d = data()
    df = d.slices(acc["platform"], acc["author"], kind, d.options().default_population)
    if isinstance(df, Missing):
        return df
    return rate_chart(df, "slice_label", title, key=kind, min_n=d.min_n,
                      rate="answered_rate_window", n="observed_window", status="rate_status")


def timeline_chart(acc: dict) -> Chart | Missing:
    d = data()
    weekly = d.weekly_activity(acc["platform"], acc["author"])
    if isinstance(weekly, Missing):
        return weekly
    silences = d.silences(acc["platform"], acc.get("country"))
    events = d.events()
    if acc.get("country") and "country" in events:
        events = events[events["country"].isna() | (events["country"] == acc["country"])]
    outages = d.outages(acc["country"], acc["platform"]) if acc.get("country") else None
    return activity_chart(weekly, None if isinstance(silences, Missing) else silences,
                          events, title="Posting activity, silences, outages and event onsets",
                          outages=None if isinstance(outages, Missing) else outages)


def activity_facts(acc: dict):
    a = data().activity(acc["platform"], acc["author"])
    if isinstance(a, Missing):
        return missing_panel(a, PAGE, "activity-facts")
    if not a:
        return html.P("No posts by this account in the data.", className="status")
    silence = fmt_hours(a.get("longest_silence_hours"))
    if a.get("longest_silence_ongoing"):
        silence += " (ongoing)"
    in_outage = a.get("longest_silence_outage_hours")
    if in_outage is not None and not pd.isna(in_outage) and in_outage > 0:
        # the platform was unreachable for part of it: say so, and give the account's own
        silence += (f", {fmt_hours(in_outage)} of it while the platform was unreachable in "
                    "its country; longest silence outside outages "
                    f"{fmt_hours(a.get('longest_silence_outside_outages_hours'))}")
    return html.Ul([
        html.Li(f"{a['posts_per_week']:.1f} posts per week"),
        html.Li(f"{fmt_rate(a.get('dialogue_share'))} of its posts reply to the public"),
        html.Li(f"Longest silence {silence}"),
        html.Li(f"{a['days_since_last_post']:.1f} days since the last post"),
    ], className="facts", id="account-activity-facts")


def peers_chart(acc: dict) -> Chart | Missing:
    d = data()
    ranks = d.peer_ranks(acc["platform"], acc["author"], d.options().default_population)
    if isinstance(ranks, Missing):
        return ranks
    return percentile_chart(ranks, window_hours=d.window_hours())


def composite_text(acc: dict) -> str | None:
    d = data()
    comp = d.composite_all(d.options().default_population)
    if isinstance(comp, Missing):
        return None
    row = comp[(comp["platform"] == acc["platform"]) & (comp["author"] == acc["author"])]
    if row.empty:
        return None
    r = row.iloc[0]
    weights = _weights(r.get("weights"))
    value = ("too few metrics to rank" if pd.isna(r["composite_index"])
             else f"{r['composite_index']:.0f} of 100")
    return f"Composite index: {value}. Weights: {weights}."


def _weights(text) -> str:
    try:
        w = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return "–"
    return ", ".join(f"{metric_label(k, data().window_hours())} {v:g}"
                     for k, v in w.items()) or "–"


def selectivity_text(acc: dict) -> str | Missing:
    d = data()
    sel = d.selectivity_all(d.options().default_population)
    if isinstance(sel, Missing):
        return sel
    row = sel[(sel["platform"] == acc["platform"]) & (sel["author"] == acc["author"])]
    if row.empty or row.iloc[0]["gap_too_few"] is True or pd.isna(row.iloc[0]["selectivity_gap"]):
        return "Selectivity gap: too few critical or routine messages to compare."
    r = row.iloc[0]
    return ("Selectivity gap (routine minus critical response rate): "
            f"{fmt_gap(r['selectivity_gap'], r['gap_ci_low'], r['gap_ci_high'])}. "
            "Positive means routine messages are answered more often than critical ones.")


def critic_text(acc: dict) -> str | None:
    d = data()
    sel = d.selectivity_all(d.options().default_population)
    if isinstance(sel, Missing):
        return None
    row = sel[(sel["platform"] == acc["platform"]) & (sel["author"] == acc["author"])]
    if row.empty or row.iloc[0]["critic_status"] == "too few" or pd.isna(
            row.iloc[0]["critic_gap"]):
        return "Critic gap: too few negative or other messages to compare."
    r = row.iloc[0]
    return ("Critic gap (response rate on other messages minus on negative ones): "
            f"{fmt_gap(r['critic_gap'], r['critic_ci_low'], r['critic_ci_high'])}. "
            "Positive means critics are answered less often.")


def examples(acc: dict) -> pd.DataFrame:
    df = data().example_messages(acc["platform"], acc["author"])
    return pd.DataFrame({
        "Sent (UTC)": [f"{t:%Y-%m-%d %H:%M}" for t in df["message_created_at"]],
        "From": df["author"],
        "Message": df["text"],
        "Critical": ["yes" if c is True else ("no" if c is False else "–")
                     for c in df["critical"]],
        "Topic": df["topic"].fillna("–"),
        "Response": [(f"none in {fmt_hours(o)} observed" if c else f"after {fmt_hours(h)}")
                     + outage_marks.spans_note(x)
                     for c, h, o, x in zip(df["censored"], df["latency_hours"],
                                           df["observed_hours"], df["outage_hours"],
                                           strict=True)],
    })


def channels_frame(acc: dict) -> pd.DataFrame | None:
    """The account's channels and those of its institution's other accounts, side by side
    (None when the store has no per-channel figures)."""
    figures = data().channel_figures()
    if isinstance(figures, Missing):
        return None
    mine = (figures["platform"] == acc["platform"]) & (figures["author"] == acc["author"])
    kin = (filter_figures(figures, countries=[acc["country"]] if acc.get("country") else (),
                          institution=acc["institution"])
           if acc.get("institution") else figures.iloc[0:0])
    return channel_rows(figures[mine | figures.index.isin(kin.index)], data().min_n)


def channels_card(acc: dict):
    frame = channels_frame(acc)
    if frame is None or frame.empty:
        return html.Div()
    return table_card(PAGE, "channels", "Channels", frame, anchor=ANCHORS["rate"],
                      note="Messages and answers per channel, for this account and the other "
                           "accounts of its institution (an app, a complaint queue), side by "
                           "side: all inbound messages of each channel.")


def card(item: Chart | Missing, key: str):
    return missing_panel(item, PAGE, key) if isinstance(item, Missing) else chart_card(PAGE, item)


# ------------------------------------------------------------------ layout
def chooser(msgs: list[str]) -> html.Div:
    o = data().officials()
    groups = []
    for country, g in o.groupby("country", sort=True, dropna=False):
        groups.append(html.Section([
            html.H2(f"Country {country}" if isinstance(country, str) else "Country unknown"),
            html.Ul([html.Li(dcc.Link(f"{r['institution'] or r['display_name']} "
                                      f"(@{r['author']}, {r['platform']})",
                                      href=account_href(r["platform"], r["author"])))
                     for r in g.to_dict("records")], className="account-list"),
        ]))
    return freeze(html.Div([html.H1("Accounts"), notes(PAGE, msgs),
                            html.P("Choose an official account.", className="lede"), *groups,
                            url_state(PAGE, "")], className="page page-account"))


def layout(**query):
    acc, msgs = resolve(query)
    if acc is None:
        return chooser(msgs)
    period_kind, more = query_choice(query, "trend", tuple(PERIOD_KINDS), "week")
    msgs += more
    search = to_search({"platform": acc["platform"], "author": acc["author"],
                        **({"trend": period_kind} if period_kind != "week" else {})})
    sel = selectivity_text(acc)
    return freeze(html.Div([
        html.H1(f"{acc['institution'] or acc['display_name']}", id="account-name"),
        html.Ul([html.Li(f"@{acc['author']} on {acc['platform']}"),
                 html.Li(f"Country {acc['country'] or '–'}"),
                 html.Li(f"Level {acc['level'] or '–'}"),
                 html.Li(f"Time zone {acc['timezone'] or '–'}"),
                 html.Li(office_hours_fact(acc))], className="facts"),
        notes(PAGE, msgs),
        table_card(PAGE, "metrics", "Responsiveness", metrics_table(acc),
                   anchor=ANCHORS["rate"]),
        channels_card(acc),
        table_card(PAGE, "business", "Business hours", business_table_for(acc),
                   note=business_intro(acc), anchor=ANCHORS["business"]),
        (missing_panel(sel, PAGE, "selectivity") if isinstance(sel, Missing)
         else html.Div([html.P(sel), html.P(critic_text(acc))], id="account-selectivity",
                       className="status")),
        # the charts and examples: two parts, each built by its own callback (rest()),
        # requested together once this top is up
        *[html.Div([html.P(f"Loading {what}…", className="status pending-content",
                           role="status"),
                    dcc.Store(id={"type": "account-rest-query", "part": part}, data=search)],
                   id={"type": "account-rest", "part": part})
          for part, what in (("change", "the time to response and the change over time"),
                             ("activity", "the activity, example messages and peer ranks"))],
        html.Section([
            html.H2("Report"),
            html.P("A self-contained HTML report of this account against its peers, to "
                   "share or archive."),
            html.Button("Download HTML report", id="account-report-button", n_clicks=0,
                        className="action", type="button"),
            dcc.Download(id="account-report-file"),
        ], className="card"),
        url_state(PAGE, search),
    ], className="page page-account"))


def rest_of_page(acc: dict, period_kind: str, part: str) -> list:
    """The account page below its tables: its ``change`` part (time to response, change
    over time, breakdowns) or its ``activity`` part (activity, examples, peers)."""
    if part == "change":
        return [
            card(latency_chart(acc), "km"),
            html.Section([html.H2("Change over time"), trend_switch(acc, period_kind),
                          card(trend_chart(acc, period_kind), "trend"),
                          before_after_card(acc)], id="account-change"),
            html.Div([card(slice_chart(acc, k, t), k) for k, t in SLICE_CHARTS],
                     className="grid-2"),
        ]
    return [
        card(timeline_chart(acc), "activity"),
        activity_facts(acc),
        table_card(PAGE, "examples", "Example messages", examples(acc),
                   note="Recent messages: critical, needing a response and unanswered "
                        "after a week first. Citizens are shown "
                        "by pseudonym; e-mail addresses, phone numbers and citizens' "
                        "@handles are redacted.", anchor=ANCHORS["privacy"]),
        card(peers_chart(acc), "peers"),
        html.P(composite_text(acc) or "", id="account-composite", className="status"),
        *[table_card(PAGE, f"extra-{table}", table.replace("_", " ").capitalize(), rows,
                     note=what)
          for table, what, rows in data().other_account_tables(acc["platform"], acc["author"])],
    ]


# One lock per page view's query: its two parts are built one after the other.
_PART_LOCKS: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
_PART_LOCKS_GUARD = threading.Lock()


def _part_lock(search: str) -> threading.Lock:
    with _PART_LOCKS_GUARD:
        lock = _PART_LOCKS.get(search)
        if lock is None:
            lock = _PART_LOCKS[search] = threading.Lock()
        return lock


@callback(Output({"type": "account-rest", "part": MATCH}, "children"),
          Input({"type": "account-rest-query", "part": MATCH}, "data"),
          State({"type": "account-rest-query", "part": MATCH}, "id"))
def rest(search, key):
    """Fill one part of the page once its top is up (the same query as the layout's).
    The parts are requested together and built one at a time (built side by side in
    one process, both would come only at the end of the two): the first comes back as
    soon as it is built, and the browser draws it while the server builds the other."""
    query = parse_search(search)
    acc, _ = resolve(query)
    if acc is None or not isinstance(key, dict):
        raise PreventUpdate
    lock = _part_lock(str(search))
    with lock:
        return freeze(rest_of_page(acc, query_choice(query, "trend", tuple(PERIOD_KINDS),
                                                     "week")[0], key.get("part", "")))


@callback(
    Output("account-report-file", "data"),
    Input("account-report-button", "n_clicks"),
    State({"type": "url-state", "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def report(clicks, search):
    from govwatch.dashboard.report import render_report

    acc, _ = resolve(parse_search(search))
    if not clicks or acc is None:
        raise PreventUpdate
    html_text = render_report(data(), acc["platform"], acc["author"])
    return {"content": html_text, "filename": f"govwatch-report-{acc['platform']}-"
            f"{acc['author']}.html", "type": "text/html", "base64": False}


def download_item(item: str, query: dict):
    acc, _ = resolve(query)
    if acc is None:
        return None
    builders = {
        "metrics": lambda: data().account_metrics(acc["platform"], acc["author"]),
        "business": lambda: business_table_for(acc),
        "channels": lambda: channels_frame(acc),
        "km": lambda: latency_chart(acc),
        "trend": lambda: trend_chart(acc, query_choice(query, "trend", tuple(PERIOD_KINDS),
                                                       "week")[0]),
        "before-after": lambda: data().before_after(acc["platform"], acc["author"],
                                                    data().options().default_population),
        "topic": lambda: slice_chart(acc, "topic", dict(SLICE_CHARTS)["topic"]),
        "sentiment": lambda: slice_chart(acc, "sentiment", dict(SLICE_CHARTS)["sentiment"]),
        "activity": lambda: timeline_chart(acc),
        "examples": lambda: examples(acc),
        "peers": lambda: peers_chart(acc),
    }
    item_obj = builders[item]() if item in builders else None
    return None if isinstance(item_obj, Missing) else item_obj


register_downloads(PAGE, download_item)
