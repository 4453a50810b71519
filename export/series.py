"""Exports of change over time: the weekly and monthly series of each account's
response rate and Kaplan-Meier median (``series``), the before/after comparisons
around the dates given to ``analyze --change-date`` (``before_after``), and the
candidate events found in the data (``candidates``)."""

from __future__ import annotations

from govwatch.analysis.survival import Z95

# Wilson score 95% interval of k of n, in SQL (the formula statsmodels' "wilson" uses).
_Z2 = Z95 * Z95


def wilson_sql(k: str, n: str, bound: str) -> str:
    sign = "-" if bound == "low" else "+"
    p = f"({k})::DOUBLE / ({n})"
    return (f"CASE WHEN ({n}) > 0 THEN greatest(0.0, least(1.0, "
            f"({p} + {_Z2 / 2!r} / ({n}) {sign} {Z95!r} * sqrt({p} * (1 - {p}) / ({n}) "
            f"+ {_Z2 / 4!r} / (({n}) * ({n})))) / (1 + {_Z2!r} / ({n})))) END")


SERIES_MEANINGS = {
    "platform": "Platform of the account",
    "official_author": "Official account (in clear)",
    "institution": "Institution running the account",
    "population": "Message population: needs_response or all",
    "period_kind": "week (ISO, from Monday) or month, in the account's local time",
    "period": "The period (2026-W05, 2026-02)",
    "period_start": "First local day of the period",
    "slice_kind": "all, or critical (the critical / routine split)",
    "slice_value": "Slice value (critical, routine; empty: not tagged; 'all' for all)",
    "messages": "Inbound messages written in the period",
    "observed_window": "Messages observed for at least W (the denominator of the rate)",
    "answered_window": "Of those, answered within W",
    "window_hours": "W, the response window in hours",
    "answered_rate_window": "answered_window / observed_window",
    "rate_ci_low": "Lower bound of the Wilson 95% interval of the rate",
    "rate_ci_high": "Upper bound of the Wilson 95% interval of the rate",
    "rate_status": "'too few' when observed_window < min_n, else ok",
    "km_median_hours": "Kaplan-Meier median latency of the period's messages (censored at "
    "the observation end); empty when not reached",
    "km_median_ci_low": "Lower bound of the 95% CI of the KM median",
    "km_median_ci_high": "Upper bound of the 95% CI of the KM median; empty when unbounded",
    "km_median_reached": "At least half of the period's messages were answered",
    "max_followup_hours": "Longest follow-up in the period ('> X' when not reached)",
    "median_status": "'too few' when messages < min_n, else ok",
}


def series_sql() -> str:
    return f"""
    SELECT platform, official_author, institution, population, period_kind, period,
           period_start, slice_kind,
           CASE WHEN slice_kind = 'all' THEN 'all' ELSE slice_value END AS slice_value,
           messages, observed_window, answered_window, window_hours, answered_rate_window,
           {wilson_sql('answered_window', 'observed_window', 'low')} AS rate_ci_low,
           {wilson_sql('answered_window', 'observed_window', 'high')} AS rate_ci_high,
           rate_status, km_median_hours, km_median_ci_low, km_median_ci_high,
           km_median_reached, max_followup_hours, median_status
    FROM slice_metrics
    WHERE period_kind IN ('week', 'month') AND slice_kind IN ('all', 'critical')
    ORDER BY platform, official_author, population, period_kind DESC, slice_kind,
             slice_value NULLS LAST, period_start
    """


BEFORE_AFTER_SQL = """
    SELECT b.platform, b.official_author, a.institution, a.country, a.level,
           b.* EXCLUDE (platform, official_author)
    FROM before_after b
    LEFT JOIN accounts a ON a.platform = b.platform AND a.author = b.official_author
    ORDER BY b.change_at, b.population, b.platform, b.official_author
"""

CANDIDATES_SQL = """
    SELECT c.candidate_id, c.country, c.topic, c.day, c.last_day, c.burst_days,
           c.critical_messages, c.episode_messages, c.baseline_days, c.baseline_median,
           c.baseline_mad, c.threshold, c.first_message_at, c.top_hashtags, c.known_event_ids,
           s.accounts_in_scope, s.accounts_acknowledged, s.first_official_author,
           s.first_official_latency_hours, s.public_lead_hours
    FROM candidate_events c
    LEFT JOIN candidate_summary s ON s.event_id = c.candidate_id
    ORDER BY c.day, c.country, c.topic NULLS FIRST
"""

CANDIDATE_MEANINGS = {
    "accounts_in_scope": "Official accounts expected to acknowledge the candidate (its country)",
    "accounts_acknowledged": "Of those, accounts that posted about it by observation end",
    "first_official_author": "The first official account to post about it",
    "first_official_latency_hours": "Hours from the candidate's onset to that first post",
    "public_lead_hours": "first official latency - first public latency, in hours",
}
