"""Migration 9: derived tables come from their metrics' declarations, not from migrations.

Migrations 1 to 8 created the shipped metrics' tables (account_metrics, km_curves,
slice_metrics, ...) beside the canonical ones. From this version on, every
``govwatch analyze`` creates each derived table from its metric's declaration
(govwatch.analysis.registry) and migrations build the canonical tables only
(govwatch.schema.TABLES).

- A store never analysed (no ``analysis_runs`` row) loses those tables: they are
  empty, and its first analysis creates them.
- A store already analysed keeps them as they are: they hold its last run's figures,
  which the dashboard, the exports and govwatch.api read until the next analysis
  replaces each table with one made from its declaration.
"""

from __future__ import annotations

from typing import Any

# The derived tables migrations 1-8 created, as shipped (history: this list never changes).
LEGACY_DERIVED_TABLES = (
    "account_metrics", "km_curves",  # 1
    "event_acknowledgements", "event_summary", "candidate_events", "account_activity",
    "platform_silences",  # 2
    "slice_metrics", "account_clocks", "selectivity", "response_quality", "data_quality",
    "benchmarks", "benchmark_index",  # 3
    "discovered_topics", "post_themes",  # 4
    "ticket_resolutions", "channel_metrics", "outage_windows", "platform_blackouts",
    "reply_templates", "template_use", "outage_latencies",  # 7
    "candidate_acknowledgements", "candidate_summary",  # 8
)


def apply(con: Any) -> None:
    analysed = con.execute("SELECT count(*) FROM analysis_runs").fetchall()[0][0]
    if analysed:
        return
    for table in LEGACY_DERIVED_TABLES:
        con.execute(f'DROP TABLE IF EXISTS "{table}"')
