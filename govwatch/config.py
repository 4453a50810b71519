"""Settings shared by the CLI, the library and the dashboard."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "govwatch.duckdb"
DB_ENV = "GOVWATCH_DB"

# Response-rate window (DESIGN: default 7 days).
DEFAULT_WINDOW_HOURS = 7 * 24


def window_label(hours: float | None) -> str:
    """The response window W as people read it: '7 days', '1 day', '36 h'."""
    h = DEFAULT_WINDOW_HOURS if hours is None or hours != hours else float(hours)
    if h % 24 == 0:
        days = int(h // 24)
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{h:g} h"


def window_tag(hours: float | None) -> str:
    """W in a column name: 'answered_rate_' + '7d', '1d', '36h'."""
    h = DEFAULT_WINDOW_HOURS if hours is None or hours != hours else float(hours)
    return f"{int(h // 24)}d" if h % 24 == 0 else f"{h:g}h".replace(".", "_")


# Points on the Kaplan-Meier curve reported as "share still unanswered at".
UNANSWERED_AT_HOURS = (1, 24, 72, 168)
# Below this many messages a rate or median reads "too few".
DEFAULT_MIN_N = 10
# VADER's conventional thresholds.
NEGATIVE_COMPOUND = -0.05


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The store path: ``--db`` if given, else $GOVWATCH_DB, else ./govwatch.duckdb."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)
