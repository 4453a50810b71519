"""Pure builders of the dashboard's charts, their text alternatives and formats.

Each ``*_chart`` function takes plain DataFrames (as ``govwatch.dashboard.data`` returns
them) and gives a :class:`Chart`: the Plotly figure, a one-sentence summary that
stands in for the chart for screen-reader users, the data behind it (what the
CSV download holds) and the methodology section that explains it. Nothing here
touches Dash, the store or the network, so every builder is tested on its own.

Colours are the Okabe-Ito palette (safe for the common colour-vision
deficiencies); lines also differ by dash pattern so that no meaning rests on
colour alone.

Plotly draws a subset of HTML in every label (``<a href>`` becomes a live link,
``<b>`` bold) and reads ``%{...}`` in hover templates. Names and texts come from
the data, so every :class:`Chart` escapes its figure once, when it is built
(:func:`escape_figure`): each string that reaches a label, legend, hover or title
is shown as typed. Hover templates are the builders' own and are left alone;
they name a trace with ``%{fullData.name}``, never by pasting the name in.

The account page's charts are written as plain trace and layout dicts and built
by :func:`build_figure` in one step (escaped the same way): Plotly's object layer
(``add_trace``, ``update_xaxes``, ``add_vline``) costs several times the CPU of
the whole figure built from dicts, and an account page draws six of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from govwatch.dashboard import margins, outage_marks

from govwatch.config import window_label

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9",
             "#000000", "#F0E442")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross")
WINDOW_HOURS = 168

# Sections of docs/methodology.md that charts link to (heading slugs).
ANCHORS = {
    "latency": "response-latency",
    "rate": "response-rate",
    "business": "business-clock",
    "selectivity": "selectivity-gap",
    "slices": "critical-issues-topics-and-sentiment",
    "events": "event-acknowledgement",
    "activity": "activity-and-silences",
    "benchmarks": "benchmarks-and-composite-index",
    "topics": "topics-and-agenda-gap",
    "privacy": "privacy-and-pseudonymisation",
}


# A small white template: building figures on Plotly's default templates costs
# ~50-170 ms each (deep copies), this one under 10 ms.
_TEMPLATE = go.layout.Template(layout={
    "paper_bgcolor": "white", "plot_bgcolor": "white",
    "colorway": list(OKABE_ITO),
    "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
             "size": 14, "color": "#1a1a1a"},
    "margin": {"l": 10, "r": 20, "t": 40, "b": 50},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
    "hoverlabel": {"font": {"size": 13}},
    "xaxis": {"gridcolor": "#e6e6e6", "zeroline": False, "linecolor": "#6b6b6b",
              "ticks": "outside", "tickcolor": "#6b6b6b", "automargin": True},
    "yaxis": {"gridcolor": "#e6e6e6", "zeroline": False, "linecolor": "#6b6b6b",
              "automargin": True},
})


def new_figure(data=None) -> go.Figure:
    """An empty figure on the dashboard's light template."""
    return go.Figure(data=data, layout={"template": _TEMPLATE})


@dataclass
class Chart:
    """A figure with its title, text alternative, data and methodology anchor.

    The figure's user-supplied strings are escaped on construction
    (:func:`escape_figure`); ``title``, ``summary`` and ``data`` stay as they are
    (Dash and the CSV writer show them as text).
    """

    key: str
    title: str
    figure: go.Figure
    summary: str
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    anchor: str = ANCHORS["latency"]

    def __post_init__(self):
        escape_figure(self.figure)


# ------------------------------------------------------------------ escaping
def escape_text(value):
    """A string as Plotly shows it literally: ``&`` and ``<`` as entities (no tag
    can start; a lone ``>`` is plain text to Plotly) and ``%{`` broken up; Plotly
    decodes the entities when it draws. Anything not a string is returned as is."""
    if not isinstance(value, str):
        return value
    return value.replace("&", "&amp;").replace("<", "&lt;").replace("%{", "%&#123;")


_TRACE_ARRAYS = ("x", "y", "text", "hovertext")
_ESCAPED = "_govwatch_escaped"


def _escape_values(values):
    if isinstance(values, str):
        return escape_text(values)
    if values is None or not any(isinstance(v, str) for v in values):
        return None  # nothing to change
    return [escape_text(v) for v in values]


def escape_figure(fig: go.Figure) -> go.Figure:
    """Escape, in place and once, every string of ``fig`` that Plotly renders as
    HTML: trace category values, texts, hover texts and names, and the layout's
    titles, tick texts and annotations. Hover templates and ``customdata`` (keys
    the browser code matches on) are not touched."""
    if getattr(fig, _ESCAPED, False):
        return fig
    for trace in fig.data:
        for attr in _TRACE_ARRAYS:
            if attr in trace and trace[attr] is not None:
                new = _escape_values(trace[attr])
                if new is not None:
                    trace[attr] = new
        if "name" in trace and isinstance(trace.name, str):
            trace.name = escape_text(trace.name)
    layout = fig.layout
    if layout.title.text:
        layout.title.text = escape_text(layout.title.text)
    if layout.legend.title.text:
        layout.legend.title.text = escape_text(layout.legend.title.text)
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
        if axis.title.text:
            axis.title.text = escape_text(axis.title.text)
        if axis.ticktext is not None:
            axis.ticktext = [escape_text(t) for t in axis.ticktext]
    for note in layout.annotations:
        if note.text:
            note.text = escape_text(note.text)
    object.__setattr__(fig, _ESCAPED, True)
    return fig


def _escape_trace(trace: dict) -> dict:
    """One trace dict escaped as :func:`escape_figure` escapes a trace."""
    out = dict(trace)
    for attr in _TRACE_ARRAYS:
        if out.get(attr) is not None:
            new = _escape_values(out[attr])
            if new is not None:
                out[attr] = new
    if isinstance(out.get("name"), str):
        out["name"] = escape_text(out["name"])
    return out


def _escape_title(holder: dict) -> None:
    title = holder.get("title")
    if isinstance(title, dict) and isinstance(title.get("text"), str):
        holder["title"] = {**title, "text": escape_text(title["text"])}


def _escape_layout(layout: dict) -> dict:
    """A layout dict escaped as :func:`escape_figure` escapes a layout."""
    out = dict(layout)
    _escape_title(out)
    if isinstance(out.get("legend"), dict):
        out["legend"] = dict(out["legend"])
        _escape_title(out["legend"])
    for name in [k for k in out if k.startswith(("xaxis", "yaxis"))]:
        axis = out[name] = dict(out[name])
        _escape_title(axis)
        if axis.get("ticktext") is not None:
            axis["ticktext"] = [escape_text(t) for t in axis["ticktext"]]
    if out.get("annotations"):
        out["annotations"] = [{**a, "text": escape_text(a["text"])} if a.get("text") else a
                              for a in out["annotations"]]
    return out


def build_figure(data: Sequence[dict], layout: dict) -> go.Figure:
    """A figure from plain trace and layout dicts, on the dashboard's template: escaped
    as :func:`escape_figure` would escape it, then built and validated by Plotly once.
    Plotly's object layer (``add_trace``, ``update_xaxes``, ``add_vline``, reading
    properties back to escape them) costs 10-50 ms of CPU a chart; this about 1-2 ms."""
    fig = go.Figure({"data": [_escape_trace(t) for t in data],
                     "layout": _escape_layout({"template": _TEMPLATE, **layout})})
    object.__setattr__(fig, _ESCAPED, True)
    return fig


def vline(x, line: dict, xref: str = "x", yref: str = "y") -> dict:
    """The shape ``fig.add_vline`` draws: a vertical line across the plot at ``x``."""
    return {"type": "line", "x0": x, "x1": x, "xref": xref, "y0": 0, "y1": 1,
            "yref": f"{yref} domain", "line": line}


def vrect(x0, x1, **style) -> dict:
    """The shape ``fig.add_vrect`` draws: a band across the plot from ``x0`` to ``x1``."""
    return {"type": "rect", "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1,
            "yref": "y domain", **style}


# ------------------------------------------------------------------ formats
def _num(x) -> float | None:
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def fmt_hours(h) -> str:
    v = _num(h)
    if v is None:
        return "–"
    if v < 1:
        return f"{max(v * 60, 1):.0f} min"
    if v < 10:
        return f"{v:.1f} h"
    return f"{v:,.0f} h"


def _bare(h: float) -> str:
    return f"{h:.1f}" if h < 10 else f"{h:,.0f}"


def fmt_median(median, ci_low=None, ci_high=None, max_followup=None) -> str:
    """"3.2 h (2.1–5.0)"; "> 240 h" when not reached; "–" with no data."""
    m = _num(median)
    if m is None:
        f = _num(max_followup)
        return f"> {_bare(f)} h" if f is not None else "–"
    lo, hi = _num(ci_low), _num(ci_high)
    if lo is None and hi is None:
        return f"{_bare(m)} h"
    return f"{_bare(m)} h ({_bare(lo) if lo is not None else '?'}–" \
           f"{_bare(hi) if hi is not None else 'not reached'})"


def fmt_rate(rate) -> str:
    v = _num(rate)
    if v is None:
        return "–"
    pct = 100 * v
    return f"{pct:.1f}%" if 0 < pct < 10 else f"{pct:.0f}%"


def rate_cell(row: dict) -> str:
    """The response rate of a metrics row, or "too few (n=…)" by the row's status."""
    if row.get("rate_status") == "too few":
        return f"too few (n={int(row.get('observed_window') or 0)})"
    return fmt_rate(row.get("answered_rate_7d", row.get("answered_rate_window")))


def median_cell(row: dict) -> str:
    """The KM median with CI of a metrics row, or "too few (n=…)" by its status."""
    if row.get("median_status") == "too few":
        return f"too few (n={int(row.get('messages') or 0)})"
    return fmt_median(row.get("km_median_hours"), row.get("km_median_ci_low"),
                      row.get("km_median_ci_high"), row.get("max_followup_hours"))


def fmt_gap(gap, lo=None, hi=None) -> str:
    """Selectivity gap in percentage points with its CI: "+12 pts (3 to 21)"."""
    g = _num(gap)
    if g is None:
        return "–"
    text = f"{100 * g:+.0f} pts"
    lo_, hi_ = _num(lo), _num(hi)
    if lo_ is not None and hi_ is not None:
        text += f" ({100 * lo_:+.0f} to {100 * hi_:+.0f})"
    return text


def account_label(row) -> str:
    inst = row.get("institution") or row.get("display_name") or row.get("author")
    return f"{inst} (@{row.get('author')}, {row.get('platform')})"


HOUR_TICKS = ([0.1, 1, 6, 24, 72, 168, 720, 2160],
              ["6 min", "1 h", "6 h", "1 day", "3 days", "7 days", "30 days", "90 days"])


def _hours_log_axis(fig: go.Figure, title: str) -> None:
    """A log-scale hours axis with readable ticks (no minor-digit clutter)."""
    fig.update_xaxes(type="log", title_text=title, tickvals=HOUR_TICKS[0],
                     ticktext=HOUR_TICKS[1])


def _base_layout(fig: go.Figure, height: int = 420) -> go.Figure:
    """Set the height (the rest of the look is in the template)."""
    fig.layout.height = height
    return fig


def empty_figure(message: str) -> go.Figure:
    return build_figure([], {
        "annotations": [{"text": message, "showarrow": False, "x": 0.5, "y": 0.5,
                         "xref": "paper", "yref": "paper", "font": {"size": 15}}],
        "xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 200})


# ------------------------------------------------------------------ tables
LEADERBOARD_COLUMNS = [
    ("account", "Account"),
    ("country", "Country"),
    ("level", "Level"),
    ("platform", "Platform"),
    ("messages", "Messages"),
    ("rate_7d", "Answered within 7 days"),
    ("median", "Median time to response (95% CI)"),
    ("gap", "Selectivity gap (routine − critical)"),
    ("place", "Place among peers"),
    ("composite", "Composite index (95% interval)"),
]
# Numeric columns that "sort by" uses for the display columns above.
SORT_KEYS = {
    "account": "institution", "country": "country", "level": "level", "platform": "platform",
    "messages": "messages", "rate_7d": "answered_rate_7d", "median": "_median_sort",
    "gap": "selectivity_gap", "place": "rank_best", "composite": "composite_index",
}


def median_sort_keys(board: pd.DataFrame) -> list[float]:
    """What "sort by median" orders on: the KM median, and after every reached
    median the not-reached ones by their follow-up time."""
    keys = []
    for m, f in zip(board["km_median_hours"], board["max_followup_hours"], strict=True):
        median = _num(m)
        keys.append(median if median is not None else 1e9 + (_num(f) or 0))
    return keys


def board_key(platform: str, author: str) -> str:
    """An account's key in the browser's copy of the leaderboard and chart."""
    return f"{platform}:{author}"


def sort_board(board: pd.DataFrame, column: str, descending: bool) -> pd.DataFrame:
    """Sort the leaderboard by a display column's underlying value; missing last."""
    b = board.copy()
    b["_median_sort"] = median_sort_keys(b)
    key = SORT_KEYS.get(column, "institution")
    return b.sort_values(key, ascending=not descending, na_position="last", kind="stable")


def leaderboard_rows(board: pd.DataFrame, link) -> list[dict]:
    """Table rows of display strings, "too few" where n is below the minimum;
    ``_href`` is the account page URL from ``link(platform, author)``."""
    rows = []
    for r in board.to_dict("records"):
        few = bool(r.get("too_few"))
        median_few = bool(r.get("median_too_few", few))
        n = int(r.get("messages") or 0)
        gap_few = r.get("gap_too_few")
        rows.append({
            "account": f"{r.get('institution') or r['display_name']} · @{r['author']}",
            "_href": link(r["platform"], r["author"]),
            "country": r.get("country") or "–",
            "level": r.get("level") or "–",
            "platform": r["platform"],
            "messages": f"{n:,}" + day_precision_note(r.get("day_precision_messages")),
            "rate_7d": f"too few (n={n})" if few else fmt_rate(r.get("answered_rate_7d")),
            "median": f"too few (n={n})" if median_few else fmt_median(
                r.get("km_median_hours"), r.get("km_median_ci_low"),
                r.get("km_median_ci_high"), r.get("max_followup_hours")),
            "gap": "too few" if gap_few is True else fmt_gap(
                r.get("selectivity_gap"), r.get("gap_ci_low"), r.get("gap_ci_high")),
            "place": fmt_place(r),
            "composite": fmt_index(r.get("composite_index"), r.get("composite_ci_low"),
                                   r.get("composite_ci_high")),
        })
    return rows


def day_precision_note(count) -> str:
    """' (3 dated to the day only)' when some of a group's messages, or their responses,
    carry a date without a time of day (their latencies are known to the day only)."""
    k = _num(count)
    return f" ({int(k):,} dated to the day only)" if k else ""


def fmt_index(value, low=None, high=None) -> str:
    """'81 (58–89)': the composite index and its bootstrap 95% interval."""
    v = _num(value)
    if v is None:
        return "–"
    lo, hi = _num(low), _num(high)
    return f"{v:.0f} ({lo:.0f}–{hi:.0f})" if lo is not None and hi is not None else f"{v:.0f}"


def fmt_place(r: dict) -> str:
    """'1–4 of 12 (XA/national)', or why there is no place. Accounts whose composite
    intervals overlap share places (analysis/peers.py): never first and second."""
    best, worst, peers = _num(r.get("rank_best")), _num(r.get("rank_worst")), _num(r.get("peers"))
    group = r.get("peer_group")
    group = f" ({group})" if isinstance(group, str) and group else ""
    if best is None or worst is None or peers is None:
        reason = r.get("index_reason")
        return reason if isinstance(reason, str) and reason else "–"
    span = f"{best:.0f}" if best == worst else f"{best:.0f}–{worst:.0f}"
    return f"{span} of {peers:.0f}{group}"


def export_board(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard as the CSV download holds it (numbers, not display strings)."""
    keep = ["platform", "author", "institution", "country", "level", "messages", "answered",
            "answered_rate_7d", "km_median_hours", "km_median_ci_low", "km_median_ci_high",
            "km_median_reached", "max_followup_hours", "naive_median_hours", "too_few",
            "selectivity_gap", "gap_ci_low", "gap_ci_high", "composite_index",
            "composite_ci_low", "composite_ci_high", "peer_group", "peers", "rank_best",
            "rank_worst", "index_reason"]
    return board[[c for c in keep if c in board.columns]].rename(
        columns={"author": "official_author"})


# ------------------------------------------------------------------ charts
MEDIAN_TITLE = "Median time to response, with 95% confidence interval"


def median_chart_empty() -> Chart:
    """The median chart of a selection without an account with enough messages."""
    return Chart("medians", MEDIAN_TITLE, empty_figure("No account with enough messages"),
                 "No account in this selection has enough messages for a median.",
                 pd.DataFrame())


AXIS_LABEL_CHARS = 28


def short_labels(b: pd.DataFrame, limit: int = AXIS_LABEL_CHARS) -> list[str]:
    """Axis labels of at most ``limit`` characters: the institution cut short ("…")
    and the platform; the full name stays in the hover. Two accounts whose short
    labels would meet get their handles instead, so no two share a row."""
    def cut(text: str, room: int) -> str:
        return text if len(text) <= room else text[:room - 1].rstrip() + "…"

    out = []
    for r in b.to_dict("records"):
        suffix = f" ({r['platform']})"
        out.append(cut(str(r["institution"] or r["author"]), limit - len(suffix)) + suffix)
    seen: dict[str, int] = {}
    for v in out:
        seen[v] = seen.get(v, 0) + 1
    return [cut(f"@{r['author']}", limit - len(f" ({r['platform']})")) + f" ({r['platform']})"
            if seen[v] > 1 else v for v, r in zip(out, b.to_dict("records"), strict=True)]


def median_chart(board: pd.DataFrame, min_n: int, max_rows: int = 30) -> Chart:
    """Dot-and-whisker chart of KM medians with 95% CI; 'not reached' as an arrow
    at the longest follow-up. Beyond ``max_rows`` accounts it shows those with the
    most messages (a taller chart is unreadable and slow to draw)."""
    few = board["median_too_few"] if "median_too_few" in board else board["messages"] < min_n
    b = board[~few.astype(bool)].copy()
    title = MEDIAN_TITLE
    if b.empty:
        return median_chart_empty()
    b["label"] = [f"{r['institution'] or r['author']} ({r['platform']})"
                  for r in b.to_dict("records")]
    b["axis"] = short_labels(b)
    b["reached"] = b["km_median_hours"].notna()
    b["x"] = b["km_median_hours"].where(b["reached"], b["max_followup_hours"])
    b = b.dropna(subset=["x"])
    if b.empty:
        return Chart("medians", title, empty_figure("No median in this selection"),
                     "No account in this selection has a median time to response.",
                     pd.DataFrame())
    hidden = max(0, len(b) - max_rows)
    if hidden:
        b = b.sort_values("messages", ascending=False, kind="stable").head(max_rows)
    b = b.sort_values(["reached", "x"], ascending=[False, True])
    fig = new_figure()
    r = b[b["reached"]]
    if not r.empty:
        fig.add_trace(go.Scatter(
            x=r["x"], y=r["axis"], hovertext=r["label"], mode="markers", name="Median (95% CI)",
            customdata=[board_key(p, a) for p, a in zip(r["platform"], r["author"], strict=True)],
            marker={"color": OKABE_ITO[0], "size": 10, "symbol": "circle"},
            error_x={"type": "data", "symmetric": False,
                     "array": (r["km_median_ci_high"].fillna(r["max_followup_hours"]) - r["x"]).clip(lower=0),
                     "arrayminus": (r["x"] - r["km_median_ci_low"].fillna(r["x"])).clip(lower=0),
                     "color": OKABE_ITO[0], "thickness": 2},
            hovertemplate="%{hovertext}: median %{x:.1f} h<extra></extra>"))
    n = b[~b["reached"]]
    if not n.empty:
        fig.add_trace(go.Scatter(
            x=n["x"], y=n["axis"], hovertext=n["label"], mode="markers",
            name="Not reached: > follow-up",
            customdata=[board_key(p, a) for p, a in zip(n["platform"], n["author"], strict=True)],
            marker={"color": OKABE_ITO[1], "size": 12, "symbol": "triangle-right"},
            text=[f"> {_bare(v)} h" for v in n["x"]],
            hovertemplate="%{hovertext}: fewer than half answered; median %{text}"
                          "<extra></extra>"))
    _hours_log_axis(fig, "Time from message to first response (log scale)")
    # Margins from the labels' length rather than Plotly's automargin, which
    # measures every label and draws the chart twice: a chart redrawn on every
    # filter change then takes about half the time. "> N h" stays in the hover.
    fig.update_yaxes(autorange="reversed", title_text=None, automargin=False)
    fig.update_xaxes(automargin=False)
    longest = max((len(v) for v in b["axis"]), default=10)
    fig.update_layout(margin={"l": min(480, int(7.6 * longest) + 24), "b": 64})
    _base_layout(fig, height=max(260, 28 * len(b) + 120))
    if r.empty:
        summary = (f"None of the {len(b)} accounts answered half of its messages, so no median "
                   "time to response is reached; arrows mark the follow-up time.")
    else:
        fast, slow = r.iloc[0], r.iloc[-1]
        summary = (f"{len(r)} of {len(b)} accounts answered at least half of their messages; "
                   f"medians range from {fmt_hours(fast['x'])} ({fast['label']}) to "
                   f"{fmt_hours(slow['x'])} ({slow['label']})")
        summary += (f"; for {len(n)} the median is not reached." if len(n) else ".")
    if hidden:
        summary += (f" Showing the {max_rows} accounts with the most messages; the "
                    "leaderboard and its CSV have all.")
    data = b[["platform", "author", "institution", "messages", "km_median_hours",
              "km_median_ci_low", "km_median_ci_high", "max_followup_hours"]].rename(
        columns={"author": "official_author"})
    return Chart("medians", title, fig, summary, data, ANCHORS["latency"])


def km_chart(curves: pd.DataFrame, group: str, labels: dict | None = None,
             title: str = "Share of messages still unanswered over time",
             key: str = "km", max_hours: float = WINDOW_HOURS,
             followup: dict | None = None) -> Chart:
    """Kaplan-Meier step curves (with 95% bands), one per value of ``group``.

    ``followup`` (group -> longest observed hours) extends each step curve to the
    end of its follow-up, where the estimate stops.
    """
    labels = labels or {}
    followup = followup or {}
    if curves.empty:
        return Chart(key, title, empty_figure("No messages to draw a curve from"),
                     "There are no messages to draw a time-to-response curve from.",
                     curves)
    traces = []
    sentences = []
    show_band = curves[group].nunique() <= 4
    for i, (g, c) in enumerate(curves.groupby(group, sort=False)):
        c = c.sort_values("hours")
        end = _num(followup.get(g))
        if end is not None and end > float(c["hours"].max()):
            c = pd.concat([c, c.tail(1).assign(hours=end)], ignore_index=True)
        name = labels.get(g, str(g))
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        if show_band:
            traces.append({
                "type": "scatter", "x": pd.concat([c["hours"], c["hours"][::-1]]),
                "y": pd.concat([c["ci_high"], c["ci_low"][::-1]]),
                "fill": "toself", "fillcolor": _alpha(colour, 0.15),
                "line": {"width": 0, "shape": "hv"}, "hoverinfo": "skip", "showlegend": False,
                "name": f"{name} 95% CI"})
        traces.append({
            "type": "scatter", "x": c["hours"], "y": c["survival"], "mode": "lines",
            "name": name, "line": {"color": colour, "width": 2.5,
                                   "dash": DASHES[i % len(DASHES)], "shape": "hv"},
            "hovertemplate": "%{fullData.name}<br>%{x:.1f} h: %{y:.0%} unanswered"
                             "<extra></extra>"})
        at_hours = min(max_hours, end if end is not None else max_hours)
        sentences.append(f"{name}: {fmt_rate(_survival_at(c, at_hours))} still unanswered "
                         f"after {'7 days' if at_hours == WINDOW_HOURS else fmt_hours(at_hours)}")
    xaxis: dict[str, Any] = {"title": {"text": "Hours since the message"},
                             "range": [0, max_hours]}
    if max_hours <= 24 * 14:
        xaxis["dtick"] = 24
    fig = build_figure(traces, margins.fixed({
        "xaxis": xaxis, "height": 420,
        "yaxis": {"title": {"text": "Share still unanswered"}, "range": [0, 1.02],
                  "tickformat": ".0%"},
        "margin": margins.margin(margins.left(margins.PERCENT_TICKS, title=True),
                                 legend=curves[group].nunique() > 1)}, "xaxis", "yaxis"))
    summary = "Kaplan-Meier estimate (unanswered messages count until the end of " \
              "observation). " + "; ".join(sentences) + "."
    return Chart(key, title, fig, summary, curves, ANCHORS["latency"])


def _survival_at(curve: pd.DataFrame, hours: float) -> float:
    before = curve[curve["hours"] <= hours]
    return float(before["survival"].iloc[-1]) if not before.empty else 1.0


def _alpha(hex_colour: str, a: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{a})"


def rate_chart(df: pd.DataFrame, category: str, title: str, key: str, min_n: int,
               anchor: str = ANCHORS["slices"], rate: str = "answered_rate_7d",
               n: str = "messages", status: str | None = None) -> Chart:
    """Horizontal bars of the response rate per category; 'too few' below the
    minimum n (the analysis's ``status`` column when given, else ``n`` < min_n)."""
    if df.empty:
        return Chart(key, title, empty_figure("No data for this breakdown"),
                     "There is no data for this breakdown.", df, anchor)
    d = df.copy()
    if status and status in d:
        d["_few"] = (d[status] == "too few").fillna(False).astype(bool)
    else:
        d["_few"] = d[n].fillna(0) < min_n
    d["_rate"] = d[rate].where(~d["_few"])
    d = d.sort_values("_rate", na_position="first")
    window = d["window_hours"].max() if "window_hours" in d else None
    full = d[category].astype(str).tolist()
    axis = margins.fit_labels(full)  # the full label stays in the hover
    fig = build_figure([{
        "type": "bar", "x": d["_rate"].fillna(0), "y": axis, "hovertext": full,
        "orientation": "h",
        "marker": {"color": [OKABE_ITO[5] if f else OKABE_ITO[0] for f in d["_few"]]},
        "text": [f"too few (n={int(k)})" if f else f"{fmt_rate(v)} of {int(k):,}"
                 for f, v, k in zip(d["_few"], d["_rate"], d[n].fillna(0), strict=True)],
        "textposition": ["outside" if f else "auto" for f in d["_few"]],
        "hovertemplate": "%{hovertext}: %{text}<extra></extra>"}], margins.fixed({
        "xaxis": {"title": {"text": rate_label(window)}, "tickformat": ".0%",
                  "range": [0, 1.04]},
        "margin": margins.margin(margins.left(axis)),
        "height": max(220, 40 * len(d) + 100)}, "xaxis", "yaxis"))
    ok = d[~d["_few"]].dropna(subset=["_rate"]).sort_values("_rate")
    if ok.empty:
        summary = "Every group has too few messages for a rate."
    else:
        lo, hi = ok.iloc[0], ok.iloc[-1]
        summary = (f"Highest rate: {hi[category]} ({fmt_rate(hi['_rate'])}); lowest: "
                   f"{lo[category]} ({fmt_rate(lo['_rate'])}).")
        few = int(d["_few"].sum())
        summary += f" {few} groups have too few messages." if few else ""
    return Chart(key, title, fig, summary, df, anchor)


UNANSWERED_POINTS = (("unanswered_1h", 1.0), ("unanswered_24h", 24.0),
                     ("unanswered_72h", 72.0), ("unanswered_7d", 168.0))


def unanswered_chart(rows: pd.DataFrame, group: str, labels: dict | None = None,
                     title: str = "Critical vs routine: share still unanswered over time",
                     key: str = "km") -> Chart:
    """Kaplan-Meier share still unanswered at 1 h, 24 h, 72 h and 7 days per group
    (from ``unanswered_*`` columns), drawn as steps: a coarse survival curve."""
    labels = labels or {}
    points = []
    for r in rows.to_dict("records"):
        points.append({group: r[group], "hours": 0.0, "survival": 1.0})
        points += [{group: r[group], "hours": h, "survival": _num(r.get(c))}
                   for c, h in UNANSWERED_POINTS if _num(r.get(c)) is not None]
    data = pd.DataFrame(points, columns=[group, "hours", "survival"])
    if data.empty or data["hours"].max() == 0:
        return Chart(key, title, empty_figure("Too few messages for these curves"),
                     "There are too few messages for these curves.", rows, ANCHORS["latency"])
    traces = []
    sentences = []
    for i, (g, c) in enumerate(data.groupby(group, sort=False)):
        name = labels.get(g, str(g))
        traces.append({
            "type": "scatter", "x": c["hours"], "y": c["survival"], "mode": "lines+markers",
            "name": name, "line": {"color": OKABE_ITO[i % len(OKABE_ITO)], "width": 2.5,
                                   "dash": DASHES[i % len(DASHES)], "shape": "hv"},
            "marker": {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 9},
            "hovertemplate": "%{fullData.name}<br>%{x:.0f} h: %{y:.0%} unanswered"
                             "<extra></extra>"})
        last = c.iloc[-1]
        sentences.append(f"{name}: {fmt_rate(last['survival'])} still unanswered after "
                         f"{'7 days' if last['hours'] == 168 else fmt_hours(last['hours'])}")
    fig = build_figure(traces, margins.fixed({
        "xaxis": {"title": {"text": "Hours since the message"}, "range": [0, WINDOW_HOURS],
                  "dtick": 24},
        "yaxis": {"title": {"text": "Share still unanswered"}, "range": [0, 1.02],
                  "tickformat": ".0%"}, "height": 420,
        "margin": margins.margin(margins.left(margins.PERCENT_TICKS, title=True),
                                 legend=len(traces) > 1)}, "xaxis", "yaxis"))
    summary = ("Kaplan-Meier estimate at 1 h, 24 h, 72 h and 7 days. " + "; ".join(sentences)
               + ".")
    return Chart(key, title, fig, summary, data, ANCHORS["latency"])


def activity_chart(weekly: pd.DataFrame, silences: pd.DataFrame | None,
                   events: pd.DataFrame | None, title: str = "Posting activity",
                   outages: pd.DataFrame | None = None) -> Chart:
    """Posts per week with platform-wide silences and outage windows shaded and event
    onsets marked.

    ``weekly``: week (datetime), posts. ``silences``: start, end. ``events``: onset, name.
    ``outages``: rows of data.outages (start, end, scope, source, ...).
    """
    if weekly.empty:
        return Chart("activity", title, empty_figure("No posts by this account"),
                     "This account has no posts in the data.", weekly, ANCHORS["activity"])
    traces: list[dict] = [{
        "type": "bar", "x": weekly["week"], "y": weekly["posts"], "name": "Posts per week",
        "marker": {"color": OKABE_ITO[0]},
        "hovertemplate": "Week of %{x|%d %b %Y}: %{y} posts<extra></extra>"}]
    shapes = [vrect(s["start"], s["end"], fillcolor=_alpha(OKABE_ITO[4], 0.25),
                    line={"width": 0}, layer="below")
              for s in (silences.to_dict("records") if silences is not None else [])]
    if silences is not None and not silences.empty:
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                       "name": "Platform-wide silence",
                       "marker": {"color": _alpha(OKABE_ITO[4], 0.5), "symbol": "square",
                                  "size": 14}})
    ev = events if events is not None else pd.DataFrame(columns=["onset", "name"])
    bands, lines = outage_marks.marks(outages, float(weekly["posts"].max() or 1) * 1.18)
    shapes += bands
    traces += lines
    shaded = len(bands)
    if not ev.empty:
        top = float(weekly["posts"].max() or 1)
        traces.append({
            "type": "scatter", "x": ev["onset"], "y": [top * 1.08] * len(ev),
            "mode": "markers", "name": "Event onset",
            "marker": {"color": OKABE_ITO[1], "symbol": "triangle-down", "size": 13},
            "text": ev["name"],
            "hovertemplate": "%{text}<br>%{x|%d %b %Y %H:%M} UTC<extra></extra>"})
        shapes += [vline(onset, {"color": OKABE_ITO[1], "dash": "dot", "width": 1.5})
                   for onset in ev["onset"]]
    fig = build_figure(traces, margins.fixed({
        "yaxis": {"title": {"text": "Posts per week"}}, "height": 340,
        "margin": margins.margin(
            margins.left(margins.count_ticks(float(weekly["posts"].max() or 1) * 1.18),
                         title=True), legend=len(traces) > 1),
        **({"shapes": shapes} if shapes else {})}, "xaxis", "yaxis"))
    busiest = weekly.sort_values("posts").iloc[-1]
    summary = (f"{int(weekly['posts'].sum()):,} posts over {len(weekly)} weeks; busiest week "
               f"{pd.Timestamp(busiest['week']):%d %b %Y} ({int(busiest['posts'])} posts)")
    quiet = int((weekly["posts"] == 0).sum())
    summary += f"; {quiet} weeks without a post" if quiet else ""
    if not ev.empty:
        summary += f"; {len(ev)} event onsets marked"
    if silences is not None and not silences.empty:
        summary += f"; {len(silences)} platform-wide silences shaded"
    if shaded:
        summary += (f"; {shaded} outage window{'s' if shaded > 1 else ''} (platform "
                    "unreachable in the account's country) shaded")
    return Chart("activity", title, fig, summary + ".", weekly, ANCHORS["activity"])


def event_chart(ack: pd.DataFrame, event_name: str, outages: pd.DataFrame | None = None,
                onset=None) -> Chart:
    """Hours from event onset to each official's first matching post (censored as
    '> follow-up'), beside the public's first post. With ``outages`` (data.outages rows)
    and the event's ``onset``, outage windows are shaded, and first posts whose clock spans
    one (``ack.outage_hours`` > 0) are drawn apart and flagged."""
    title = f"Time to acknowledge: {event_name}"
    if ack.empty:
        return Chart("event", title, empty_figure("No acknowledgement data for this event"),
                     "There is no acknowledgement data for this event.", ack, ANCHORS["events"])
    d = ack.copy().sort_values(["censored", "latency_hours"], na_position="last")
    fig = new_figure()
    said = d[~d["censored"].astype(bool)]
    silent = d[d["censored"].astype(bool)]
    spanning = (said["outage_hours"].fillna(0) > 0 if "outage_hours" in said
                else pd.Series(False, index=said.index))
    if not said[~spanning].empty:
        clear = said[~spanning]
        fig.add_trace(go.Scatter(x=clear["latency_hours"], y=clear["label"], mode="markers",
                                 name="Official's first post", marker={
                                     "color": OKABE_ITO[0], "size": 11, "symbol": "circle"},
                                 hovertemplate="%{y}: %{x:.1f} h after onset<extra></extra>"))
    if spanning.any():
        late = said[spanning]
        fig.add_trace(go.Scatter(
            x=late["latency_hours"], y=late["label"], mode="markers",
            name="First post, clock spans an outage", marker={
                "color": OKABE_ITO[0], "size": 12, "symbol": "diamond-open",
                "line": {"width": 2.5}},
            text=[f"{fmt_hours(o)} of it while the platform was unreachable; "
                  f"{fmt_hours(w)} without the outage"
                  for o, w in zip(late["outage_hours"], late["latency_hours_outside_outages"],
                                  strict=True)],
            hovertemplate="%{y}: %{x:.1f} h after onset (%{text})<extra></extra>"))
    if not silent.empty:
        fig.add_trace(go.Scatter(x=silent["observed_hours"], y=silent["label"],
                                 mode="markers+text", name="No post yet (censored)",
                                 marker={"color": OKABE_ITO[1], "size": 12,
                                         "symbol": "triangle-right"},
                                 text=[f"> {_bare(v)} h" for v in silent["observed_hours"]],
                                 textposition="middle left",
                                 hovertemplate="%{y}: silent for > %{x:.0f} h<extra></extra>"))
    pub = _num(d["public_latency_hours"].dropna().min()) if "public_latency_hours" in d else None
    if pub is not None:
        fig.add_vline(x=max(pub, 0.01), line={"color": OKABE_ITO[2], "dash": "dash", "width": 2})
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="Public's first post",
                                 line={"color": OKABE_ITO[2], "dash": "dash"}))
    shaded = 0
    if onset is not None and not d.empty:
        t0 = pd.Timestamp(onset)

        def since(t: pd.Timestamp) -> float:  # hours after onset, on the log axis
            return max((t - t0).total_seconds() / 3600, 0.01)

        shaded = outage_marks.shade(fig, outages, d["label"].iloc[0], since)
    _hours_log_axis(fig, "Time after onset (log scale)")
    fig.update_yaxes(autorange="reversed", automargin=True)
    _base_layout(fig, height=max(260, 34 * len(d) + 120))
    parts = [f"{len(said)} of {len(d)} official accounts posted about it"]
    if spanning.any():
        parts.append(f"{int(spanning.sum())} of them only after an outage that kept their "
                     "platform unreachable (flagged)")
    if shaded:
        parts.append(f"{shaded} outage window{'s' if shaded > 1 else ''} shaded")
    if not said.empty:
        first = said.iloc[0]
        parts.append(f"the first was {first['label']} after {fmt_hours(first['latency_hours'])}")
    if pub is not None:
        parts.append(f"the public's first post came {fmt_hours(pub)} after onset")
    return Chart("event", title, fig, "; ".join(parts) + ".", ack, ANCHORS["events"])


def agenda_chart(mix: pd.DataFrame) -> Chart:
    """Dumbbell chart: each topic's share of citizens' messages vs officials' posts."""
    title = "Agenda gap: what the public raises vs what officials post about"
    if mix.empty:
        return Chart("agenda", title, empty_figure("No topic tags in this store"),
                     "No topic tags are in this store, so there is no agenda to compare.",
                     mix, ANCHORS["topics"])
    t = mix.groupby(["side", "topic"], as_index=False)["posts"].sum()
    t["share"] = t["posts"] / t.groupby("side")["posts"].transform("sum")
    wide = t.pivot(index="topic", columns="side", values="share").fillna(0.0)
    for side in ("public", "official"):
        if side not in wide:
            wide[side] = 0.0
    wide["gap"] = wide["public"] - wide["official"]
    wide = wide.sort_values("gap").reset_index()
    fig = new_figure()
    for r in wide.to_dict("records"):
        fig.add_trace(go.Scatter(x=[r["official"], r["public"]], y=[r["topic"]] * 2,
                                 mode="lines", line={"color": "#999999", "width": 2},
                                 showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=wide["public"], y=wide["topic"], mode="markers",
                             name="Share of citizens' messages",
                             marker={"color": OKABE_ITO[1], "size": 12, "symbol": "circle"},
                             hovertemplate="%{y}: %{x:.0%} of messages<extra></extra>"))
    fig.add_trace(go.Scatter(x=wide["official"], y=wide["topic"], mode="markers",
                             name="Share of officials' posts",
                             marker={"color": OKABE_ITO[0], "size": 12, "symbol": "square"},
                             hovertemplate="%{y}: %{x:.0%} of official posts<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", title_text="Share")
    fig.update_yaxes(automargin=True)
    _base_layout(fig, height=max(260, 36 * len(wide) + 120))
    most = wide.iloc[-1]
    summary = (f"The topic the public raises most beyond what officials post about is "
               f"{most['topic']} ({fmt_rate(most['public'])} of messages vs "
               f"{fmt_rate(most['official'])} of official posts).")
    return Chart("agenda", title, fig, summary, wide.drop(columns=[]), ANCHORS["topics"])


def rate_label(hours: float | None = None) -> str:
    """'Answered within 7 days': the response rate's label for the window W used."""
    return f"Answered within {window_label(hours)}"


def leaderboard_columns(hours: float | None = None) -> list[tuple[str, str]]:
    """LEADERBOARD_COLUMNS with the rate column named for the window W used."""
    return [(c, rate_label(hours) if c == "rate_7d" else label)
            for c, label in LEADERBOARD_COLUMNS]


def metric_label(metric: str, hours: float | None = None) -> str:
    return rate_label(hours) if metric == "answered_rate" else METRIC_LABELS.get(metric, metric)


METRIC_LABELS = {
    "answered_rate": "Answered within 7 days",
    "km_median_hours": "Median time to response",
    "selectivity_gap": "Selectivity gap",
    "critic_gap": "Critic gap",
    "deflection_share": "Share of deflecting replies",
}


def percentile_chart(ranks: pd.DataFrame, metric: str = "metric",
                     value: str = "percentile", window_hours: float | None = None) -> Chart:
    """Peer percentile rank per metric (0 = worst among peers, 100 = best)."""
    ranks = ranks.assign(**{metric: [metric_label(m, window_hours) for m in ranks[metric]]})
    title = "Percentile rank among peers, with 95% interval"
    if ranks.empty:
        return Chart("peers", title, empty_figure("No peer ranks for this account"),
                     "There are no peer ranks for this account.", ranks, ANCHORS["benchmarks"])
    d = ranks.dropna(subset=[value]).sort_values(value)
    if d.empty:
        return Chart("peers", title, empty_figure("Too few peers or messages to rank"),
                     "Too few peers or messages for a percentile rank.", ranks,
                     ANCHORS["benchmarks"])
    bar: dict[str, Any] = {}
    if {"rank_ci_low", "rank_ci_high"} <= set(d.columns) and d["rank_ci_low"].notna().any():
        lo = pd.to_numeric(d["rank_ci_low"], errors="coerce")
        hi = pd.to_numeric(d["rank_ci_high"], errors="coerce")
        bar["error_x"] = {"type": "data", "symmetric": False, "color": "#1a1a1a",
                          "array": (hi - d[value]).clip(lower=0).fillna(0).tolist(),
                          "arrayminus": (d[value] - lo).clip(lower=0).fillna(0).tolist()}
        bar["customdata"] = np.stack([lo.to_numpy(), hi.to_numpy()], axis=1)
        hover = "%{hovertext}: percentile %{x:.0f} (95% interval %{customdata[0]:.0f}–" \
                "%{customdata[1]:.0f})<extra></extra>"
    else:
        hover = "%{hovertext}: percentile %{x:.0f}<extra></extra>"
    full = d[metric].astype(str).tolist()
    axis = margins.fit_labels(full)  # the full label stays in the hover
    fig = build_figure([{
        "type": "bar", "x": d[value], "y": axis, "hovertext": full, "orientation": "h",
        "marker": {"color": OKABE_ITO[2]}, "text": [f"{v:.0f}" for v in d[value]],
        "textposition": "inside", "hovertemplate": hover, **bar}], margins.fixed({
        "shapes": [vline(50, {"color": "#555555", "dash": "dot"})],
        "xaxis": {"range": [0, 100],
                  "title": {"text": "Percentile among peers (higher is better)"}},
        "margin": margins.margin(margins.left(axis)),
        "height": max(220, 40 * len(d) + 100)}, "xaxis", "yaxis"))
    best, worst = d.iloc[-1], d.iloc[0]
    summary = (f"Best rank: {best[metric]} (percentile {best[value]:.0f}); "
               f"worst: {worst[metric]} (percentile {worst[value]:.0f}).")
    return Chart("peers", title, fig, summary, ranks, ANCHORS["benchmarks"])


# ------------------------------------------------------------------ business clock
NOT_AVAILABLE = "not available (no office hours)"
BUSINESS_RATE_LABEL = "Business hours: answered within the business window"
BUSINESS_MEDIAN_LABEL = "Business hours: median office hours to response (95% CI)"


def clock_ok(row: dict) -> bool:
    """Whether a metrics row has business-clock figures: the account's clock is
    'ok' (``clock_status``, where known) and the analysis counted messages on it."""
    status = row.get("clock_status")
    if isinstance(status, str) and status != "ok":
        return False
    return _num(row.get("business_window_hours")) is not None or \
        isinstance(row.get("business_rate_status"), str)


def clock_reason(row: dict) -> str:
    """Why a row has no business-clock figure ("not available (...)")."""
    status = row.get("clock_status")
    if isinstance(status, str) and status not in ("ok", "no office hours"):
        return f"not available ({status})"
    return NOT_AVAILABLE


def business_rate_cell(row: dict) -> str:
    """Rate within the business window, "too few (n=…)", or "not available"."""
    if not clock_ok(row):
        return clock_reason(row)
    if row.get("business_rate_status") == "too few":
        return f"too few (n={int(_num(row.get('business_observed_window')) or 0)})"
    rate = fmt_rate(row.get("business_answered_rate_window"))
    window = _num(row.get("business_window_hours"))
    return rate if window is None or rate == "–" else f"{rate} within {_bare(window)} office h"


def business_median_cell(row: dict) -> str:
    """KM median in office hours with CI, "> N h" when not reached, "too few", or
    "not available"."""
    if not clock_ok(row):
        return clock_reason(row)
    if row.get("business_median_status") == "too few":
        return f"too few (n={int(_num(row.get('business_messages')) or 0)})"
    return fmt_median(row.get("business_km_median_hours"), row.get("business_km_median_ci_low"),
                      row.get("business_km_median_ci_high"),
                      row.get("business_max_followup_hours"))


def business_table(metrics: pd.DataFrame, population_labels: dict) -> pd.DataFrame:
    """One account's business-clock figures, a row per population (metrics rows
    of ``account_metrics``, with the account's ``clock_status`` when known)."""
    rows = []
    for r in metrics.to_dict("records"):
        ok = clock_ok(r)
        window = _num(r.get("business_window_hours"))
        rows.append({
            "Messages counted": population_labels.get(r["population"], r["population"]),
            "Messages on the business clock": f"{int(_num(r.get('business_messages')) or 0):,}"
                                              if ok else clock_reason(r),
            "Business window": f"{_bare(window)} office hours" if ok and window is not None
                               else "–" if ok else clock_reason(r),
            "Answered within the business window": business_rate_cell(r),
            "Median office hours to response (95% CI)": business_median_cell(r),
        })
    return pd.DataFrame(rows)


def compare_table(metrics: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """Side-by-side metric table: one column per account, one row per measure;
    business-clock rows read "not available" for accounts without office hours."""
    records = metrics.to_dict("records")
    rows = {
        "Messages": [f"{int(m):,}" if _num(m) is not None else "–" for m in metrics["messages"]],
        rate_label(metrics["window_hours"].max() if "window_hours" in metrics else None):
            [rate_cell(r) for r in records],
        "Median time to response (95% CI)": [median_cell(r) for r in records],
        "Naive median of answered messages": [fmt_hours(v) for v in metrics["naive_median_hours"]],
        "Unanswered after 24 h": [fmt_rate(v) for v in metrics["unanswered_24h"]],
        "Unanswered after 7 days": [fmt_rate(v) for v in metrics["unanswered_7d"]],
        BUSINESS_RATE_LABEL: [business_rate_cell(r) for r in records],
        BUSINESS_MEDIAN_LABEL: [business_median_cell(r) for r in records],
    }
    out = pd.DataFrame(rows, index=list(labels)).T.reset_index(names="Measure")
    return out
