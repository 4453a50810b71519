"""Outage windows on the dashboard's charts: shaded periods in which a platform (or the
internet) was unreachable in the account's country, from the derived ``outage_windows``
(analysis/outages.py), and the words that flag a clock spanning one.

Pure functions on figures and frames; the strings they place come from outage lists a
user imported, so they go only where ``figures.escape_figure`` escapes them (trace
``text`` and ``hovertext``), never into a hover template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

SHADE = "rgba(102,102,102,0.22)"  # grey: not one of the metric colours
EDGE = "#444444"
NAME = "Outage (platform unreachable)"


def describe(row: dict) -> str:
    """'telegram unreachable in XC (region), 9 Feb 2026 18:00 - 15 Feb 2026 18:00 UTC;
    service-based' for one outage row (data.outages)."""
    scope = row.get("scope")
    scope = ", ".join(scope) if isinstance(scope, list | tuple) else str(scope or "internet")
    where = str(row.get("country") or "")
    if row.get("region"):
        where += f" ({row['region']})"
    end = "ongoing" if row.get("ongoing") else f"{pd.Timestamp(row['end']):%d %b %Y %H:%M}"
    text = (f"{scope} unreachable in {where}, {pd.Timestamp(row['start']):%d %b %Y %H:%M} - "
            f"{end} UTC")
    return text + (f"; {row['kind']}" if row.get("kind") else "")


def marks(outages: pd.DataFrame | None, y: float | str,
          to_x: Callable[[pd.Timestamp], Any] = lambda t: t) -> tuple[list[dict], list[dict]]:
    """(shapes, traces) as plain dicts: for each outage window of ``outages``
    (data.outages rows) a shaded band and one hover line at height ``y`` (a value or a
    category) whose hover names the scope, the period and the source. ``to_x`` maps a
    time to the x axis (None: off the chart); a window that maps to no width is left
    out."""
    shapes: list[dict] = []
    traces: list[dict] = []
    if outages is None or outages.empty:
        return shapes, traces
    for row in outages.to_dict("records"):
        x0, x1 = to_x(pd.Timestamp(row["start"])), to_x(pd.Timestamp(row["end"]))
        if x0 is None or x1 is None or not x1 > x0:  # off the chart, or before its start
            continue
        shapes.append({"type": "rect", "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1,
                       "yref": "y domain", "fillcolor": SHADE, "line": {"width": 0},
                       "layer": "below"})
        label = describe(row)
        source = f"Source: {row['source']}" if row.get("source") else "Source: not given"
        traces.append({
            "type": "scatter", "x": [x0, x1], "y": [y, y], "mode": "lines+markers",
            "name": NAME, "legendgroup": "outage", "showlegend": not traces,
            "line": {"color": EDGE, "width": 3},
            "marker": {"color": EDGE, "size": 7, "symbol": "line-ns-open"},
            "text": [label, label], "hovertext": [source, source],
            "hovertemplate": "Outage: %{text}<br>%{hovertext}<extra></extra>"})
    return shapes, traces


def shade(fig: go.Figure, outages: pd.DataFrame | None, y: float | str,
          to_x: Callable[[pd.Timestamp], Any] = lambda t: t) -> int:
    """Draw :func:`marks` on ``fig``; returns the windows drawn."""
    shapes, traces = marks(outages, y, to_x)
    for shape in shapes:
        fig.add_shape(shape)
    fig.add_traces(traces)
    return len(shapes)


def spans_note(outage_hours) -> str:
    """' (N h of it during an outage)' for a clock with outage hours, else ''."""
    if outage_hours is None or pd.isna(outage_hours) or float(outage_hours) <= 0:
        return ""
    h = float(outage_hours)
    return f" ({h:.1f} h of it during an outage)" if h < 10 else \
        f" ({h:,.0f} h of it during an outage)"
