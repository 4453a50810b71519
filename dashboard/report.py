"""A self-contained HTML benchmark report for one official account.

``write_report(db_path, platform, author, out_html)`` reads the store read-only
(through ``govwatch.dashboard.data``), builds the same charts as the dashboard (through
``govwatch.dashboard.figures``) and writes one HTML file that needs no server and no
network: plotly.js is embedded once, every chart has its summary sentence and
its data as a table. The report compares the account with its peers (its peer
group: by default the same country and level) and names the store, the analysis run and the metric
definitions it comes from.
"""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from govwatch import DEFINITION_VERSION, __version__
from govwatch.config import window_label
from govwatch.errors import UsageError
from govwatch.outputs import written

from .data import CURVE_LABELS, POPULATION_LABELS, DashboardData, Filters, Missing
from .figures import (
    Chart,
    fmt_gap,
    fmt_hours,
    fmt_index,
    fmt_median,
    fmt_place,
    fmt_rate,
    km_chart,
    median_cell,
    percentile_chart,
    rate_cell,
    rate_chart,
    rate_label,
    unanswered_chart,
)

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a;
max-width:1000px;margin:0 auto;padding:16px 24px 48px;line-height:1.5}
h1{font-size:1.7rem;margin-bottom:4px}h2{font-size:1.3rem;margin-top:32px}
table{border-collapse:collapse;width:100%;font-size:.95rem;margin:8px 0}
th,td{text-align:left;padding:5px 9px;border-bottom:1px solid #c9c9c9;vertical-align:top}
th{background:#f0f0f0}tr.self td{font-weight:700;background:#eef5fb}
.muted{color:#4a4a4a}.note{background:#fff4e0;border-left:4px solid #a35c00;padding:6px 12px}
figure{margin:0}figcaption{margin-top:4px}
"""


def write_report(db_path: str | os.PathLike, platform: str, author: str,
                 out_html: str | os.PathLike) -> Path:
    """Write the report for (platform, author); raises UsageError for an unknown account."""
    d = DashboardData(db_path).open()
    try:
        text = render_report(d, platform, author)
    finally:
        d.close()
    out = Path(out_html)
    with written(out) as temp:  # whole or not at all (govwatch/outputs.py)
        temp.write_text(text, encoding="utf-8")
    return out


def render_report(d: DashboardData, platform: str, author: str) -> str:
    """The report as one HTML string."""
    acc = d.account(platform, author)
    if acc is None:
        raise UsageError(f"no official account {author!r} on platform {platform!r} in {d.path}")
    sections = [
        _section("Responsiveness", _metrics_table(d, acc)),
        _section("Compared with peers", _peer_table(d, acc)),
        _chart_section(account_latency_chart(d, acc), first=True),
    ]
    for kind, title in (("topic", "Response rate by topic"),
                        ("sentiment", "Response rate by sentiment of the message")):
        df = d.slices(acc["platform"], acc["author"], kind, d.options().default_population)
        if isinstance(df, Missing):
            sections.append(_section(title, _note(df.message)))
        else:
            sections.append(_chart_section(rate_chart(
                df, "slice_label", title, kind, d.min_n, rate="answered_rate_window",
                n="observed_window", status="rate_status")))
    ranks = d.peer_ranks(acc["platform"], acc["author"], d.options().default_population)
    sections.append(_section("Percentile ranks", _note(ranks.message))
                    if isinstance(ranks, Missing) else _chart_section(
                        percentile_chart(ranks, window_hours=d.window_hours())))
    name = acc["institution"] or acc["display_name"]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>govwatch report: {_e(name)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(name)}</h1><p class=\"muted\">@{_e(acc['author'])} on "
        f"{_e(acc['platform'])} · country {_e(acc['country'] or '–')} · level "
        f"{_e(acc['level'] or '–')}</p></header><main>{''.join(sections)}</main>"
        f"<footer>{_provenance(d)}</footer></body></html>\n"
    )


# ------------------------------------------------------------------ sections
def _e(value) -> str:
    return html.escape("–" if value is None else str(value))


def _section(title: str, body: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{body}</section>"


def _note(text: str) -> str:
    return f"<p class=\"note\">{_e(text)}</p>"


def _table(frame: pd.DataFrame, highlight: pd.Series | None = None) -> str:
    head = "".join(f"<th scope=\"col\">{_e(c)}</th>" for c in frame.columns)
    rows = []
    for i, r in enumerate(frame.itertuples(index=False)):
        cls = " class=\"self\"" if highlight is not None and bool(highlight.iloc[i]) else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{_e(v)}</td>" for v in r) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _plotly_js() -> str:
    """plotly.js for the report: the dashboard's basic bundle (a quarter of the full
    one), inlined once so the file needs no network."""
    bundle = Path(__file__).parent / "assets" / "plotly-basic.min.js"
    return f"<script>{bundle.read_text('utf-8')}</script>"


def _chart_section(chart: Chart, first: bool = False) -> str:
    fig_html = chart.figure.to_html(full_html=False, include_plotlyjs=False,
                                    config={"displaylogo": False, "responsive": True})
    if first:
        fig_html = _plotly_js() + fig_html
    data = chart.data.head(200)
    return _section(chart.title,
                    f"<figure>{fig_html}<figcaption>{_e(chart.summary)}</figcaption></figure>"
                    f"<details><summary>Data</summary>{_table(data)}</details>")


def _metrics_table(d: DashboardData, acc: dict) -> str:
    m = d.account_metrics(acc["platform"], acc["author"])
    if m.empty:
        return _note("No inbound messages to this account in the data.")
    rows = pd.DataFrame({
        "Messages counted": [POPULATION_LABELS.get(p, p) for p in m["population"]],
        "Messages": [f"{int(v):,}" for v in m["messages"]],
        rate_label(d.window_hours()): [rate_cell(r) for r in m.to_dict("records")],
        "Median time to response (95% CI)": [median_cell(r) for r in m.to_dict("records")],
        "Naive median of answered": [fmt_hours(v) for v in m["naive_median_hours"]],
        "Unanswered after 7 days": [fmt_rate(v) for v in m["unanswered_7d"]],
    })
    return _table(rows)


def _peer_table(d: DashboardData, acc: dict) -> str:
    opts = d.options()
    f = Filters(country=(acc["country"],) if acc["country"] else (),
                level=(acc["level"],) if acc["level"] else (),
                population=opts.default_population)
    board = d.leaderboard(Filters(population=opts.default_population))
    mine = board[(board["platform"] == acc["platform"]) & (board["author"] == acc["author"])]
    group = mine["peer_group"].iloc[0] if len(mine) else None
    if isinstance(group, str) and group:
        board = board[board["peer_group"] == group]
    else:
        board = d.leaderboard(f)
    board = board.sort_values(["composite_index", "answered_rate_7d"], ascending=False,
                              na_position="last").reset_index(drop=True)
    shown = pd.DataFrame({
        "Account": [f"{r['institution'] or r['author']} (@{r['author']}, {r['platform']})"
                    for r in board.to_dict("records")],
        "Messages": [f"{int(v):,}" for v in board["messages"]],
        rate_label(d.window_hours()): [
            "too few" if few else fmt_rate(v)
            for v, few in zip(board["answered_rate_7d"], board["too_few"], strict=True)],
        "Median time to response (95% CI)": [
            "too few" if r["median_too_few"] else fmt_median(
                r["km_median_hours"], r["km_median_ci_low"], r["km_median_ci_high"],
                r["max_followup_hours"]) for r in board.to_dict("records")],
        "Selectivity gap": [
            "too few" if r["gap_too_few"] is True else
            fmt_gap(r["selectivity_gap"], r["gap_ci_low"], r["gap_ci_high"])
            for r in board.to_dict("records")],
        "Composite index (95% interval)": [
            fmt_index(r["composite_index"], r["composite_ci_low"], r["composite_ci_high"])
            for r in board.to_dict("records")],
        "Place among peers": [fmt_place(r) for r in board.to_dict("records")],
    })
    me = (board["platform"] == acc["platform"]) & (board["author"] == acc["author"])
    who = (f"the accounts of its peer group {_e(group)}" if isinstance(group, str) and group
           else f"official accounts of the same country ({_e(acc['country'])}) and level "
                f"({_e(acc['level'])}); this account has no peer group, so no place")
    intro = (f"<p>Peers: {who}; {_e(POPULATION_LABELS[f.population].lower())}. "
             "The composite index carries its bootstrap 95% interval; the place is a range, "
             "and accounts whose intervals overlap share places (they cannot be told apart). "
             "This account is in bold.</p>")
    return intro + _table(shown, me.reset_index(drop=True))


def account_latency_chart(d: DashboardData, acc: dict) -> Chart:
    """Time to response of one account (shared with the dashboard's account page):
    critical vs routine where the analysis split them (full curves from
    ``km_curves``, else the KM points of ``slice_metrics``), otherwise messages
    needing a response vs all."""
    chosen = d.latency_split(acc["platform"], acc["author"])
    if "critical" not in chosen:
        split = d.slices(acc["platform"], acc["author"], "critical",
                         d.options().default_population)
        if not isinstance(split, Missing):
            rows = split[split["slice_value"].isin(["critical", "routine"]) &
                         (split["median_status"] != "too few")]
            if rows["slice_value"].nunique() == 2:
                return unanswered_chart(rows, "slice_value", CURVE_LABELS)
    curves = d.km_curves([(acc["platform"], acc["author"])], chosen)
    title = ("Critical vs routine: share still unanswered over time" if "critical" in chosen
             else "Share of messages still unanswered over time")
    return km_chart(curves, "population", CURVE_LABELS, title=title,
                    followup=d.followup(acc["platform"], acc["author"]))


def _provenance(d: DashboardData) -> str:
    run = d.run_info()
    parts = [f"Store {d.path.name}"]
    if run.get("observed_until") is not None:
        parts.append(f"observed until {run['observed_until']:%Y-%m-%d %H:%M} UTC")
    parts.append(f"metric definitions v{run.get('definition_version') or DEFINITION_VERSION}")
    parts.append(f"report by govwatch {__version__} on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return (f"<p class=\"muted\">{_e(' · '.join(parts))}. Response rates count messages "
            f"answered within {window_label(d.window_hours())} among those observed for "
            f"{window_label(d.window_hours())}; medians are "
            "Kaplan-Meier estimates with 95% confidence intervals, and '> N h' means fewer "
            "than half were answered in the N hours observed. Citizens are pseudonymised.</p>")
