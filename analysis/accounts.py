"""Per-account reply responsiveness: counts, rate within the window, Kaplan-Meier
median with its 95% CI, share unanswered at fixed times, naive median.

Two populations: ``needs_response`` (messages tagged as asking, requesting or
reporting a problem; the default) and ``all`` (every inbound message).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govwatch.config import DEFAULT_WINDOW_HOURS

from .registry import Metric, MetricContext, register_metric
from .survival import kaplan_meier

POPULATIONS = ("needs_response", "all")


ACCOUNT_METRICS_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "population": "VARCHAR",
    "messages": "BIGINT",
    "answered": "BIGINT",
    "observed_window": "BIGINT",
    "answered_window": "BIGINT",
    "answered_rate_7d": "DOUBLE",
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
    metric_cols = list(ACCOUNT_METRICS_COLUMNS)
    curve_cols = list(KM_CURVES_COLUMNS)
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


@register_metric
class AccountResponsiveness(Metric):
    name = "account_responsiveness"
    description = (
        "Per official account and population: messages, rate answered within the window, "
        "Kaplan-Meier median latency with 95% CI, share unanswered at 1 h/24 h/72 h/7 d, "
        "and the KM curve."
    )
    tables = {"account_metrics": ACCOUNT_METRICS_COLUMNS, "km_curves": KM_CURVES_COLUMNS}

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        window = getattr(ctx.settings, "window_hours", DEFAULT_WINDOW_HOURS)
        metrics, curves = account_metrics(ctx.responses(), window)
        return {"account_metrics": metrics, "km_curves": curves}
