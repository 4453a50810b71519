"""Example messages per official account, chosen at analysis time.

The dashboard's account page and its report show a few recent messages to each official
(critical first, then those needing a response, then those observed for a week and
unanswered, the newest first). Choosing them from ``responses`` and reading their texts
from ``posts`` costs a scan of both store-wide tables for every page view, which grows
with the store; ``account_examples`` holds the first :data:`EXAMPLES` of each account in
that order (``rank`` 1, 2, ...), with the message's text, so a page reads the few rows
of one account.

A message whose post is not in ``posts`` has no text to show: it keeps its rank and
gets no row, as the page's own two-step read (messages, then their texts by id) drops
it. Texts are stored as imported: the dashboard pseudonymises citizens and redacts
personal data when it shows them, with the store's key.
"""

from __future__ import annotations

import pandas as pd

from .registry import Metric, MetricContext, register_metric
from .slices import empty_frame

EXAMPLES = 8  # the account page's examples (dashboard/pages/account.py)

COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "rank": "INTEGER",
    "message_id": "VARCHAR",
    "message_author": "VARCHAR",
    "message_created_at": "TIMESTAMP WITH TIME ZONE",
    "critical": "BOOLEAN",
    "needs_response": "BOOLEAN",
    "topic": "VARCHAR",
    "sentiment": "DOUBLE",
    "censored": "BOOLEAN",
    "latency_hours": "DOUBLE",
    "observed_hours": "DOUBLE",
    "outage_hours": "DOUBLE",
    "text": "VARCHAR",
}

# The order the examples are shown in; the dashboard's own read of ``responses`` (for
# more than EXAMPLES messages) uses the same.
ORDER = ("coalesce(r.critical, false) DESC, coalesce(r.needs_response, false) DESC, "
         "r.observed_hours >= 168 DESC, r.censored DESC, r.message_created_at DESC, "
         "r.message_id")


def example_rows(con, limit: int = EXAMPLES) -> pd.DataFrame:
    """The first ``limit`` messages to each official account in :data:`ORDER`, with
    the hours of their clock inside outage windows and their texts."""
    cols = ", ".join(f"e.{c}" for c in COLUMNS if c != "text")
    return con.execute(f"""
        WITH ranked AS (
            SELECT r.platform, r.official_author,
                   CAST(row_number() OVER (PARTITION BY r.platform, r.official_author
                                           ORDER BY {ORDER}) AS INTEGER) AS rank,
                   r.message_id, r.message_author, r.message_created_at, r.critical,
                   r.needs_response, r.topic, r.sentiment, r.censored, r.latency_hours,
                   r.observed_hours
            FROM responses r
            QUALIFY rank <= ?
        ), e AS (
            SELECT k.*, CAST(o.outage_hours AS DOUBLE) AS outage_hours
            FROM ranked k
            LEFT JOIN outage_latencies o ON o.platform = k.platform
                 AND o.message_id = k.message_id AND o.official_author = k.official_author
        )
        SELECT {cols}, p.text
        FROM e JOIN posts p ON p.platform = e.platform AND p.post_id = e.message_id
        ORDER BY e.platform, e.official_author, e.rank
    """, [int(limit)]).df()


@register_metric
class AccountExamples(Metric):
    name = "account_examples"
    description = "Example messages to each official account, as its page shows them"
    tables = {"account_examples": COLUMNS}
    requires = ("outages",)
    table_descriptions = {"account_examples": "the example messages of each account"}

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        if ctx.obs_end is None:
            return {"account_examples": empty_frame(COLUMNS)}
        return {"account_examples": example_rows(ctx.con)[list(COLUMNS)]}
