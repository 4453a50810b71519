"""Change over time, as pure functions of frames the data module reads: the weekly or
monthly series of one account's response rate (with Wilson 95% intervals) and Kaplan-
Meier median (with its 95% CI), the dates compared before and after marked on it, and
the before/after table."""

from __future__ import annotations

import pandas as pd

from . import margins
from .figures import (
    ANCHORS,
    HOUR_TICKS,
    OKABE_ITO,
    Chart,
    _num,
    build_figure,
    empty_figure,
    fmt_gap,
    fmt_hours,
    fmt_median,
    fmt_rate,
    rate_label,
    vline,
    vrect,
)

PERIOD_KINDS = {"week": "Weekly", "month": "Monthly"}


def series_chart(df: pd.DataFrame, period_kind: str, changes: pd.DataFrame | None = None,
                 window_hours: float | None = None) -> Chart:
    """Two panels sharing the time axis: the rate within W per period (drawn where the
    analysis gives a rate, i.e. not "too few") and the KM median (a triangle at the
    follow-up when not reached)."""
    word = PERIOD_KINDS.get(period_kind, period_kind)
    title = f"{word} response rate and median time to response, with 95% intervals"
    key = "trend"
    if df is None or df.empty:
        return Chart(key, title, empty_figure("No messages in any period"),
                     "There are no messages to draw a series from.", pd.DataFrame(),
                     ANCHORS["slices"])
    d = df.copy()
    d["x"] = pd.to_datetime(d["period_start"])
    rated = d[(d["rate_status"] == "ok") & d["answered_rate_window"].notna()]
    medians = d[d["median_status"] == "ok"]
    reached = medians[medians["km_median_hours"].notna()]
    beyond = medians[medians["km_median_hours"].isna() & medians["max_followup_hours"].notna()]
    traces = [{**_rate_trace(rated, window_hours), "xaxis": "x", "yaxis": "y"}, {
        "type": "scatter", "x": reached["x"], "y": reached["km_median_hours"],
        "mode": "markers", "name": "Median (95% CI)", "xaxis": "x2", "yaxis": "y2",
        "marker": {"color": OKABE_ITO[1], "size": 8, "symbol": "square"},
        "error_y": {"type": "data", "symmetric": False,
                    "array": (reached["km_median_ci_high"].fillna(reached["max_followup_hours"])
                              - reached["km_median_hours"]).clip(lower=0),
                    "arrayminus": (reached["km_median_hours"] - reached["km_median_ci_low"]
                                   .fillna(reached["km_median_hours"])).clip(lower=0),
                    "color": OKABE_ITO[1]},
        "text": [f"{p}: {fmt_median(m, lo, hi)}" for p, m, lo, hi in zip(
            reached["period"], reached["km_median_hours"], reached["km_median_ci_low"],
            reached["km_median_ci_high"], strict=True)],
        "hovertemplate": "%{text}<extra></extra>"}, {
        "type": "scatter", "x": beyond["x"], "y": beyond["max_followup_hours"],
        "mode": "markers", "name": "Not reached: > follow-up", "xaxis": "x2", "yaxis": "y2",
        "marker": {"color": OKABE_ITO[2], "size": 10, "symbol": "triangle-up"},
        "text": [f"{p}: fewer than half answered; median > {fmt_hours(f)}"
                 for p, f in zip(beyond["period"], beyond["max_followup_hours"], strict=True)],
        "hovertemplate": "%{text}<extra></extra>"}]
    line = {"color": OKABE_ITO[6], "dash": "dash"}
    shapes = [vline(at.tz_localize(None).to_pydatetime(), line, xref, yref)
              for at in ([] if changes is None or changes.empty else
                         sorted(set(pd.to_datetime(changes["change_at"], utc=True))))
              for xref, yref in (("x", "y"), ("x2", "y2"))]
    # two panels sharing the time axis, as plotly's make_subplots(rows=2, cols=1,
    # shared_xaxes=True, vertical_spacing=0.12) lays them out; both axes of dates,
    # also on a panel without points (dates, not NaN)
    fig = build_figure(traces, margins.fixed({
        "xaxis": {"anchor": "y", "domain": [0.0, 1.0], "matches": "x2",
                  "showticklabels": False, "type": "date"},
        "xaxis2": {"anchor": "y2", "domain": [0.0, 1.0], "type": "date"},
        "yaxis": {"anchor": "x", "domain": [0.56, 1.0], "title": {"text": "Answered"},
                  "tickformat": ".0%", "range": [0, 1.05]},
        "yaxis2": {"anchor": "x2", "domain": [0.0, 0.44], "title": {"text": "Median"},
                   "type": "log", "tickvals": HOUR_TICKS[0], "ticktext": HOUR_TICKS[1]},
        "height": 520,
        "margin": margins.margin(margins.left([*margins.PERCENT_TICKS, *HOUR_TICKS[1]],
                                              title=True), top=60, right=10),
        **({"shapes": shapes} if shapes else {})}, "xaxis", "xaxis2", "yaxis", "yaxis2"))
    summary = _rate_summary(d, rated, period_kind)
    if changes is not None and not changes.empty:
        summary += " Dashed lines mark the dates compared before and after."
    data = d.drop(columns=["x"])
    return Chart(key, title, fig, summary, data, ANCHORS["slices"])


# The series' words, shared with the browser's copy of pooled_chart (assets/overview.js).
POOLED_NOTE = (" Rates pool the messages of all those accounts; a median over a group needs "
               "every message's latency, so medians are drawn per account (Account page).")
NO_SERIES = ("No messages in any period", "There are no messages to draw a series from.")


def pooled_title(period_kind: str, what: str) -> str:
    word = PERIOD_KINDS.get(period_kind, period_kind)
    return f"{word} response rate of {what}, with 95% intervals"


def shade_note(period: str) -> str:
    return f" The shaded band is the chosen period, {period}."


def pooled_chart(df: pd.DataFrame, period_kind: str, window_hours: float | None = None,
                 shade: tuple | None = None, what: str = "every account shown") -> Chart:
    """The pooled rate within W per period of the accounts the filters keep
    (dashboard/pooled.py), with Wilson 95% intervals; ``shade`` = (period, start,
    end) marks the period the Period filter chose, so the series and the headlines
    tell the same story."""
    title = pooled_title(period_kind, what)
    if df is None or df.empty:
        return Chart("series", title, empty_figure(NO_SERIES[0]), NO_SERIES[1], pd.DataFrame(),
                     ANCHORS["slices"])
    d = df.copy()
    d["x"] = pd.to_datetime(d["period_start"])
    rated = d[(d["rate_status"] == "ok") & d["answered_rate_window"].notna()]
    summary = _rate_summary(d, rated, period_kind) + POOLED_NOTE
    layout: dict = {"xaxis": {"type": "date"},
                    "yaxis": {"title": {"text": "Answered"}, "tickformat": ".0%",
                              "range": [0, 1.05]},
                    "height": 340, "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
                    "showlegend": False}
    if shade is not None:
        period, start, end = shade
        layout["shapes"] = [vrect(pd.Timestamp(start).to_pydatetime(),
                                  pd.Timestamp(end).to_pydatetime(), fillcolor=OKABE_ITO[6],
                                  opacity=0.15, line={"width": 0})]
        summary += shade_note(period)
    # as plotly's add_trace, update_xaxes/yaxes and add_vrect build it (built from dicts)
    fig = build_figure([_rate_trace(rated, window_hours)], layout)
    return Chart("series", title, fig, summary, d.drop(columns=["x"]), ANCHORS["slices"])


def _rate_trace(rated: pd.DataFrame, window_hours: float | None) -> dict:
    """The rate within W per period with its 95% interval (rows with a rate)."""
    return {
        "type": "scatter", "x": rated["x"], "y": rated["answered_rate_window"],
        "mode": "lines+markers", "name": rate_label(window_hours),
        "marker": {"color": OKABE_ITO[0], "size": 8}, "line": {"color": OKABE_ITO[0]},
        "error_y": {"type": "data", "symmetric": False,
                    "array": (rated["rate_ci_high"] - rated["answered_rate_window"]
                              ).clip(lower=0),
                    "arrayminus": (rated["answered_rate_window"] - rated["rate_ci_low"]
                                   ).clip(lower=0),
                    "color": OKABE_ITO[0]},
        "text": [f"{p}: {fmt_rate(r)} of {int(n):,} ({fmt_rate(lo)}–{fmt_rate(hi)})"
                 for p, r, n, lo, hi in zip(rated["period"], rated["answered_rate_window"],
                                            rated["observed_window"], rated["rate_ci_low"],
                                            rated["rate_ci_high"], strict=True)],
        "hovertemplate": "%{text}<extra></extra>"}


def _rate_summary(d: pd.DataFrame, rated: pd.DataFrame, period_kind: str) -> str:
    word = PERIOD_KINDS.get(period_kind, period_kind)
    few = len(d) - len(rated)
    if rated.empty:
        summary = f"No {period_kind} has enough messages observed for a rate."
    else:
        first, last = rated.iloc[0], rated.iloc[-1]
        low = rated.loc[rated["answered_rate_window"].idxmin()]
        summary = (f"{word} rate: {fmt_rate(first['answered_rate_window'])} in "
                   f"{first['period']}, the only {period_kind} with enough messages."
                   ) if len(rated) == 1 else (f"{word} rate: {fmt_rate(first['answered_rate_window'])} in "
                   f"{first['period']}, {fmt_rate(last['answered_rate_window'])} in "
                   f"{last['period']}; lowest {fmt_rate(low['answered_rate_window'])} in "
                   f"{low['period']}.")
    if few:
        summary += (f" {few} {period_kind}{'s' if few != 1 else ''} with too few messages "
                    f"observed {'is' if few == 1 else 'are'} not drawn (the latest ones are "
                    "still being observed).")
    return summary


def before_after_frame(df: pd.DataFrame) -> pd.DataFrame:
    """One row per change date: each side's rate and median, and the differences with
    their 95% intervals (or why there is none)."""
    rows = []
    for r in df.to_dict("records"):
        span = f"{int(r['window_days'])} days each side" if r["window_days"] else "all data"
        rate_diff = (fmt_gap(r["rate_difference"], r["rate_difference_ci_low"],
                             r["rate_difference_ci_high"])
                     if r["rate_status"] == "ok" else "too few")
        if r["median_status"] == "ok":
            lo, hi = _num(r["median_difference_ci_low"]), _num(r["median_difference_ci_high"])
            median_diff = (f"{r['median_difference_hours']:+.1f} h ("
                           f"{'unbounded' if lo is None else f'{lo:+.1f}'} to "
                           f"{'unbounded' if hi is None else f'{hi:+.1f}'})")
        else:
            median_diff = str(r["median_status"])
        rows.append({
            "Date": f"{pd.Timestamp(r['change_at']):%Y-%m-%d %H:%M} UTC ({span})",
            "Rate before": _rate(r, "before"),
            "Rate after": _rate(r, "after"),
            "Rate difference (95% CI)": rate_diff,
            "Median before": fmt_median(r["before_median_hours"], r["before_median_ci_low"],
                                        r["before_median_ci_high"],
                                        r["before_max_followup_hours"]),
            "Median after": fmt_median(r["after_median_hours"], r["after_median_ci_low"],
                                       r["after_median_ci_high"], r["after_max_followup_hours"]),
            "Median difference (95% CI)": median_diff,
        })
    return pd.DataFrame(rows)


def _rate(r: dict, side: str) -> str:
    n = int(r[f"{side}_observed_window"] or 0)
    if _num(r[f"{side}_rate"]) is None:
        return f"– (n={n})"
    return (f"{fmt_rate(r[f'{side}_rate'])} of {n:,} ({fmt_rate(r[f'{side}_rate_ci_low'])}–"
            f"{fmt_rate(r[f'{side}_rate_ci_high'])})")
