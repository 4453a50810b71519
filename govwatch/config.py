"""Settings shared by the CLI, the library and the dashboard."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "govwatch.duckdb"
DB_ENV = "GOVWATCH_DB"

# Response-rate window (DESIGN: default 7 days).
DEFAULT_WINDOW_HOURS = 7 * 24
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
