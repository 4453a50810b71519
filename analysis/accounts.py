"""Per-account reply responsiveness: counts, rate within the window, Kaplan-Meier
median with its 95% CI, share unanswered at fixed times, naive median.

Two populations: ``needs_response`` (messages tagged as asking, requesting or
reporting a problem; the default) and ``all`` (every inbound message).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govwatch.config import DEFAULT_WINDOW_HOURS
from govwatch.schema import TABLES

from .survival import kaplan_meier

POPULATIONS = ("needs_response", "all")


def durations(responses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Time to response (answered) or to observation end (censored), and the event flag."""
    answered = ~responses["censored"].astype(bool).to_numpy()
    d = np.where(
        answered,
        responses["latency_hours"].to_numpy(dtype=float, na_value=np.nan),
        responses["observed_hours"].to_numpy(dtype=float, na_value=np.nan),
    )
    return d, answered


def window_rate(responses: pd.DataFrame, window_hours: float) -> tuple[int, int]:
    """(answered within W, messages observed for at least W)."""
    observed = responses["observed_hours"] >= window_hours
    answered = (~responses["censored"].astype(bool)) & (responses["latency_hours"] <= window_hours)
    return int((observed & answered).sum()), int(observed.sum())


def summarise(group: pd.DataFrame, window_hours: float) -> tuple[dict, pd.DataFrame]:
    d, e = durations(group)
    km = kaplan_meier(d, e)
    answered_w, observed_w = window_rate(group, window_hours)
    answered_lat = group.loc[~group["censored"].astype(bool), "latency_hours"]
    row = {
        "messages": len(group),
        "answered": int(e.sum()),
        "observed_window": observed_w,
        "answered_window": answered_w,
        "answered_rate_7d": answered_w / observed_w if observed_w else None,
        "km_median_hours": km.median,
        "km_median_ci_low": km.ci_low,
        "km_median_ci_high": km.ci_high,
        "km_median_reached": km.reached,
        "max_followup_hours": km.max_followup,
        "naive_median_hours": float(answered_lat.median()) if len(answered_lat) else None,
        "unanswered_1h": km.unanswered_at(1),
        "unanswered_24h": km.unanswered_at(24),
        "unanswered_72h": km.unanswered_at(72),
        "unanswered_7d": km.unanswered_at(168),
    }
    return row, km.curve


def account_metrics(
    responses: pd.DataFrame, window_hours: float = DEFAULT_WINDOW_HOURS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows for ``account_metrics`` and ``km_curves`` from the ``responses`` table."""
    metric_cols = list(TABLES["account_metrics"])
    curve_cols = list(TABLES["km_curves"])
    rows, curves = [], []
    for population in POPULATIONS:
        subset = responses if population == "all" else responses[
            responses["needs_response"].fillna(False).astype(bool)
        ]
        for (platform, author), group in subset.groupby(["platform", "official_author"], sort=True):
            row, curve = summarise(group, window_hours)
            rows.append({"platform": platform, "official_author": author,
                         "population": population, **row})
            curve = curve.assign(platform=platform, official_author=author, population=population)
            curves.append(curve)
    metrics = pd.DataFrame(rows, columns=metric_cols)
    curve_df = pd.concat(curves, ignore_index=True)[curve_cols] if curves else pd.DataFrame(
        columns=curve_cols)
    return metrics, curve_df
