"""Thread coverage: of the replies in the store, how many have their parent
present (read from an export), derivable (a stub whose time comes from the id),
or missing (a dangling id). Reported after every ingest, per platform, because
response latency can only be timed where the parent is present or derivable."""

from __future__ import annotations

from typing import NamedTuple

from govwatch.store import duckdb_settings

from .staging import PUBLISH_SETTINGS

MEMORY_LIMIT = PUBLISH_SETTINGS["memory_limit"]

_SQL = """
SELECT r.platform,
       count(*) AS replies,
       count(*) FILTER (WHERE p.post_id IS NOT NULL AND NOT p.created_at_derived) AS present,
       count(*) FILTER (WHERE p.post_id IS NOT NULL AND p.created_at_derived) AS derivable,
       count(*) FILTER (WHERE p.post_id IS NULL) AS missing
FROM posts r
LEFT JOIN posts p ON p.platform = r.platform AND p.post_id = r.in_reply_to_post_id
WHERE r.in_reply_to_post_id IS NOT NULL {where}
GROUP BY r.platform
ORDER BY r.platform
"""


class Coverage(NamedTuple):
    platform: str
    replies: int
    present: int
    derivable: int
    missing: int


def thread_coverage(con, platforms: list[str] | None = None) -> list[Coverage]:
    """One row per platform (in platform order): replies, present, derivable, missing."""
    if platforms is not None and not platforms:
        return []
    where = "AND r.platform IN (SELECT unnest($platforms))" if platforms else ""
    params = {"platforms": list(platforms)} if platforms else {}
    # The self-join's hash table spills beyond this, so memory does not grow with the store;
    # no DuckDB progress bar (see PUBLISH_SETTINGS).
    with duckdb_settings(con, {"memory_limit": MEMORY_LIMIT, "enable_progress_bar": "false"}):
        return [Coverage(*row) for row in con.execute(_SQL.format(where=where), params).fetchall()]
