"""The overview's series: the response rate of every account the filters keep, pooled
per week or month from the analysis's own per-account counts (``slice_metrics``:
answered within W and observed for W, slice 'all'), with the Wilson 95% interval of
the pooled rate. Summing counts recomputes nothing: the pooled rate is answered /
observed over the same messages. A median over a group needs each message's latency,
which the store keeps per account only, so the overview's series has no median; each
account's page has its own."""

from __future__ import annotations

import pandas as pd
from govwatch.analysis.change import wilson_sql

from .data import DashboardData, Filters, Missing


def pooled_series(d: DashboardData, f: Filters, period_kind: str) -> pd.DataFrame | Missing:
    """One row per period (oldest first): accounts, messages, observed_window,
    answered_window, answered_rate_window, rate_ci_low, rate_ci_high, rate_status
    ('ok', or 'too few' below the dashboard's minimum of messages observed)."""
    if not d.has("slice_metrics", "period_kind", "period_start", "observed_window"):
        return d.missing("slice_metrics")
    where = ["a.official", "s.slice_kind = 'all'", "s.period_kind = $kind",
             "s.population = $population"]
    params: dict = {"kind": period_kind, "population": f.population, "min_n": d.min_n}
    for name in Filters.MULTI:
        if getattr(f, name):
            where.append(f"list_contains(${name}, a.{name})")
            params[name] = list(getattr(f, name))
    return d.df(f"""
        SELECT period, period_start, accounts, messages, observed_window, answered_window,
               window_hours,
               CASE WHEN observed_window > 0 THEN answered_window / observed_window END
                   AS answered_rate_window,
               {wilson_sql('answered_window', 'observed_window', 'low')} AS rate_ci_low,
               {wilson_sql('answered_window', 'observed_window', 'high')} AS rate_ci_high,
               CASE WHEN observed_window >= $min_n THEN 'ok' ELSE 'too few' END
                   AS rate_status
        FROM (SELECT s.period, min(s.period_start) AS period_start,
                     count(DISTINCT (s.platform, s.official_author)) AS accounts,
                     sum(s.messages) AS messages,
                     sum(s.observed_window)::DOUBLE AS observed_window,
                     sum(s.answered_window)::DOUBLE AS answered_window,
                     max(s.window_hours) AS window_hours
              FROM slice_metrics s
              JOIN accounts a ON a.platform = s.platform AND a.author = s.official_author
              WHERE {' AND '.join(where)}
              GROUP BY s.period)
        ORDER BY period_start, period""", params)


def account_counts(d: DashboardData, population: str, period_kind: str
                   ) -> pd.DataFrame | Missing:
    """What :func:`pooled_series` sums, per official account and period (slice 'all'):
    platform, author, period, period_start, observed_window, answered_window; the
    browser pools any set of accounts from it (dashboard/pages/overview.py)."""
    if not d.has("slice_metrics", "period_kind", "period_start", "observed_window"):
        return d.missing("slice_metrics")
    return d.df("""
        SELECT a.platform, a.author, s.period, min(s.period_start) AS period_start,
               sum(s.observed_window) AS observed_window,
               sum(s.answered_window) AS answered_window
        FROM slice_metrics s
        JOIN accounts a ON a.platform = s.platform AND a.author = s.official_author
        WHERE a.official AND s.slice_kind = 'all' AND s.period_kind = $kind
              AND s.population = $population
        GROUP BY ALL ORDER BY a.platform, a.author, period_start, s.period""",
                {"kind": period_kind, "population": population})


_SPANS = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
          "quarter": pd.DateOffset(months=3)}


def period_span(d: DashboardData, period: str) -> tuple[str, str, str] | None:
    """(kind, first day, first day after) of a period the Period filter offers, or None."""
    if not d.has("slice_metrics", "period", "period_kind", "period_start"):
        return None
    found = d.df("SELECT period_kind, min(period_start) AS start FROM slice_metrics "
                 "WHERE period = ? AND period_kind IN ('week', 'month', 'quarter') "
                 "GROUP BY period_kind", [period])
    if found.empty:
        return None
    kind, start = found.iloc[0]["period_kind"], pd.Timestamp(found.iloc[0]["start"])
    return kind, str(start.date()), str((start + _SPANS[kind]).date())
