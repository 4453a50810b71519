"""Exports of change over time: the weekly and monthly series of each account's
response rate and Kaplan-Meier median (``series``), the before/after comparisons
around the dates given to ``analyze --change-date`` (``before_after``), and the
candidate events found in the data (``candidates``)."""

from __future__ import annotations

from govwatch.analysis.change import SERIES_MEANINGS, series_sql  # noqa: F401 (re-exported)

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
