"""Posts an official account answered although nobody addressed it.

A public post that replies to no official and @mentions none is not an inbound
message, yet an official account may reply to it (a customer-support account answering
a complaint about it that never named it). Such answers are a route of their own
(``via = answered_unaddressed``; analysis/replies.py defines it). Their unanswered twins,
posts about an account that it never saw, cannot be found, so they stay out of response
rates unless ``analyze --include-unaddressed``; these tables count them either way:

- ``answered_unaddressed``: one row per such post and answering official, with the
  answer and its latency;
- ``unaddressed_summary``: per official account, answers to addressed messages, answers
  to unaddressed posts, and the share of all its answers that went to unaddressed posts.
"""

from __future__ import annotations

import pandas as pd

from govwatch.schema import PLAUSIBLE_FROM

from .registry import Metric, MetricContext, register_metric
from .replies import _OFFICIALS, unaddressed_sql
from .slices import empty_frame

ROWS = {
    "platform": "VARCHAR",
    "message_id": "VARCHAR",
    "message_author": "VARCHAR",
    "official_author": "VARCHAR",
    "message_created_at": "TIMESTAMP WITH TIME ZONE",
    "response_id": "VARCHAR",
    "response_created_at": "TIMESTAMP WITH TIME ZONE",
    "latency_hours": "DOUBLE",
    "needs_response": "BOOLEAN",
    "critical": "BOOLEAN",
    "topic": "VARCHAR",
}
SUMMARY = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "answered_addressed": "BIGINT",
    "answered_unaddressed": "BIGINT",
    "unaddressed_share": "DOUBLE",
    "unaddressed_in_rates": "BOOLEAN",
}
MEANINGS = {
    "answered_unaddressed": {
        "message_id": "Id of the public post answered though it addressed no official",
        "message_author": "Its author (pseudonymised in exports)",
        "official_author": "The official account that answered it",
        "response_id": "Id of the official's first reply to it",
        "latency_hours": "response_created_at - message_created_at in hours",
    },
    "unaddressed_summary": {
        "answered_addressed": "Inbound messages (addressed to the account) it answered",
        "answered_unaddressed": "Public posts addressing no official that it answered",
        "unaddressed_share": "answered_unaddressed / (answered_addressed + "
        "answered_unaddressed)",
        "unaddressed_in_rates": "Whether the analysis counted those posts as inbound "
        "messages (analyze --include-unaddressed)",
    },
}


def unaddressed(ctx: MetricContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    if ctx.obs_end is None:
        return empty_frame(ROWS), empty_frame(SUMMARY)
    con = ctx.con
    con.execute(_OFFICIALS)
    addressed = ("(SELECT platform, message_id FROM responses "
                 "WHERE via IS DISTINCT FROM 'answered_unaddressed')")
    rows = con.execute(f"""
        SELECT u.platform, u.message_id, u.message_author, u.official_author,
               u.message_created_at, u.response_id, u.response_created_at,
               epoch(u.response_created_at - u.message_created_at) / 3600.0 AS latency_hours,
               t.needs_response, t.critical, t.topic
        FROM ({unaddressed_sql(addressed)}) u
        LEFT JOIN tags t ON t.platform = u.platform AND t.post_id = u.message_id
        ORDER BY u.platform, u.official_author, u.message_created_at, u.message_id
    """, {"obs_end": ctx.obs_end, "plausible_from": PLAUSIBLE_FROM}).df()
    con.execute("DROP TABLE IF EXISTS _officials")
    con.register("_unaddressed_rows", rows)
    summary = con.execute("""
        WITH addressed AS (
            SELECT platform, official_author, count(*) AS n FROM responses
            WHERE NOT censored AND via IS DISTINCT FROM 'answered_unaddressed' GROUP BY ALL),
        un AS (SELECT platform, official_author, count(*) AS n FROM _unaddressed_rows
               GROUP BY ALL)
        SELECT a.platform, a.author AS official_author,
               coalesce(d.n, 0) AS answered_addressed, coalesce(u.n, 0) AS answered_unaddressed
        FROM accounts a
        LEFT JOIN addressed d ON d.platform = a.platform AND d.official_author = a.author
        LEFT JOIN un u ON u.platform = a.platform AND u.official_author = a.author
        WHERE a.official ORDER BY a.platform, a.author
    """).df()
    con.unregister("_unaddressed_rows")
    total = summary["answered_addressed"] + summary["answered_unaddressed"]
    summary["unaddressed_share"] = (summary["answered_unaddressed"] / total.where(total > 0)
                                    ).astype("float64")
    summary["unaddressed_in_rates"] = bool(ctx.settings.include_unaddressed)
    for frame, cols in ((rows, ROWS), (summary, SUMMARY)):
        for c in cols:
            if c not in frame:
                frame[c] = None
    return rows[list(ROWS)], summary[list(SUMMARY)]


@register_metric
class UnaddressedAnswers(Metric):
    name = "unaddressed"
    description = "Public posts an official answered although they addressed no official"
    tables = {"answered_unaddressed": ROWS, "unaddressed_summary": SUMMARY}
    account_tables = ("unaddressed_summary",)
    column_meanings = MEANINGS

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        rows, summary = unaddressed(ctx)
        return {"answered_unaddressed": rows, "unaddressed_summary": summary}
