"""Per-account reply responsiveness: counts, rate within the window, Kaplan-Meier
median with its 95% CI, share unanswered at fixed times, naive median, the
same rate and median on the account's business clock, and the KM curve.

Two populations: ``needs_response`` (messages tagged as asking, requesting or
reporting a problem; the default) and ``all`` (every inbound message).

The figures are the (period ``all``, slice ``all``) row of ``slice_metrics``
(analysis/slices.py computes both the same way); this table keeps the
headline columns the exports and the dashboard's leaderboard read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import Metric, MetricContext, register_metric
from .slices import (
    BUSINESS_COLUMNS,
    POPULATIONS,
    RATE_MEANINGS,
    ChunkView,
    Messages,
    business_columns,
    calendar_columns,
    chunk_groups,
    empty_frame,
    heap_kept,
    map_chunks,
    settings_of,
)
from .survival import thin_curve

ACCOUNT_METRICS_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "population": "VARCHAR",
    "messages": "BIGINT",
    "answered": "BIGINT",
    "observed_window": "BIGINT",
    "answered_window": "BIGINT",
    "answered_rate_7d": "DOUBLE",  # the rate within W (named for the default W = 7 days)
    "km_median_hours": "DOUBLE",
    "km_median_ci_low": "DOUBLE",
    "km_median_ci_high": "DOUBLE",
    "km_median_reached": "BOOLEAN",
    "max_followup_hours": "DOUBLE",
    "naive_median_hours": "DOUBLE",
    "unanswered_1h": "DOUBLE",
    "unanswered_24h": "DOUBLE",
    "unanswered_72h": "DOUBLE",
    "unanswered_7d": "DOUBLE",
    "day_precision_messages": "BIGINT",
    # added by migration 0003
    "window_hours": "DOUBLE",
    "rate_status": "VARCHAR",
    "median_status": "VARCHAR",
    **BUSINESS_COLUMNS,
}
KM_CURVES_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "population": "VARCHAR",
    "hours": "DOUBLE",
    "survival": "DOUBLE",
    "ci_low": "DOUBLE",
    "ci_high": "DOUBLE",
}
# km_curves keeps the step function to this resolution of survival (see thin_curve).
CURVE_STEP = 0.002


def account_metrics(ctx: MetricContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows for ``account_metrics`` and ``km_curves``."""
    window, min_n = settings_of(ctx)
    rows, curves = [], []
    for chunk_rows, chunk_curves in map_chunks(ctx, _account_chunk, window, min_n):
        rows += chunk_rows
        curves += chunk_curves
    if not rows:
        return empty_frame(ACCOUNT_METRICS_COLUMNS), empty_frame(KM_CURVES_COLUMNS)
    metrics = pd.concat(rows, ignore_index=True).sort_values(
        ["platform", "official_author", "population"], kind="stable").reset_index(drop=True)
    curve = pd.concat(curves, ignore_index=True)
    return metrics, curve


def _account_chunk(view: ChunkView, msgs: Messages, window: float, min_n: int):
    """account_metrics and km_curves frames of one chunk (both populations)."""
    rows, curves = [], []
    for population in POPULATIONS:
        cal, biz, _, _ = chunk_groups(view, msgs, population, "all", "all", window,
                                      with_curve=True)
        if len(cal["acct"]) == 0:
            continue
        platform, author = msgs.platform[cal["acct"]], msgs.author[cal["acct"]]
        cols = calendar_columns(cal, min_n)
        cols["answered_rate_7d"] = cols.pop("answered_rate_window")
        frame = pd.DataFrame({
            "platform": platform,
            "official_author": author,
            "population": population,
            **cols,
            **business_columns(cal, biz, min_n),
        })
        rows.append(frame[list(ACCOUNT_METRICS_COLUMNS)])
        curves.append(_curves(cal, platform, author, population))
    return rows, curves


def _curves(cal: dict, platform: np.ndarray, author: np.ndarray,
            population: str) -> pd.DataFrame:
    """Each group's step curve, starting at (0 h, 1.0), thinned for drawing.

    ``km.curve`` is ordered by group and time (one row per event time, survival
    below 1): each group's starting point goes in before its first row."""
    km = cal["km"]
    events = km.curve
    groups = np.arange(len(cal["acct"]))
    at = np.searchsorted(events["group"].to_numpy(), groups)
    curve = pd.DataFrame({
        "group": np.insert(events["group"].to_numpy().astype(np.int64), at, groups),
        **{c: np.insert(events[c].to_numpy(), at, 0.0 if c == "hours" else 1.0)
           for c in ("hours", "survival", "ci_low", "ci_high")},
    })
    curve = thin_curve(curve, ["group"], CURVE_STEP)
    g = curve["group"].to_numpy()
    return pd.DataFrame({
        "platform": platform[g],
        "official_author": author[g],
        "population": population,
        "hours": curve["hours"].to_numpy(),
        "survival": curve["survival"].to_numpy(),
        "ci_low": curve["ci_low"].to_numpy(),
        "ci_high": curve["ci_high"].to_numpy(),
    })


@register_metric
class AccountResponsiveness(Metric):
    name = "account_responsiveness"
    description = (
        "Per official account and population: messages, rate answered within the window, "
        "Kaplan-Meier median latency with 95% CI, share unanswered at 1 h/24 h/72 h/7 d, "
        "naive median, business-clock rate and median, and the KM curve."
    )
    tables = {"account_metrics": ACCOUNT_METRICS_COLUMNS, "km_curves": KM_CURVES_COLUMNS}
    column_meanings = {
        "account_metrics": {
            "population": "needs_response (asks, requests or reports a problem) or all "
                          "inbound messages",
            "answered_rate_7d": "Share answered within W among messages observed for at least "
                                "W (the column is named for the default W = 7 days)",
            **{k: v for k, v in RATE_MEANINGS.items() if k != "answered_rate_window"},
        },
        "km_curves": {
            "population": "needs_response or all inbound messages",
            "hours": "Hours since the message",
            "survival": "KM estimate of the share still unanswered at that time",
            "ci_low": "Lower pointwise 95% limit (log-log scale)",
            "ci_high": "Upper pointwise 95% limit (log-log scale)",
        },
    }

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        with heap_kept():
            metrics, curves = account_metrics(ctx)
        return {"account_metrics": metrics, "km_curves": curves}
