"""Response quality and data quality.

``response_quality``: per official account and population, how many answered
messages got a first response that deflects (tags.deflection, filled by the
deflection tagger where one is configured: "please DM us", "contact the
helpline", a link and nothing else), and the deflection share among the
responses that carry that tag. The share counts first responses only, the
same responses every latency is measured to.

``data_quality``: counts of data that cannot be right or that the metrics
deliberately leave out, so a reader can judge the figures. Rows with an
official author are about that account; rows without are platform-wide.
Every check is listed, with a zero where nothing was found.

What counts as a response is decided in analysis/replies.py: an official
"reply" created before (or at the same instant as) the message it links to is
never a response; it is counted here instead.
"""

from __future__ import annotations

import pandas as pd

from .registry import Metric, MetricContext, register_metric
from .slices import empty_frame

RESPONSE_QUALITY_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "population": "VARCHAR",
    "responses": "BIGINT",
    "deflection_tagged": "BIGINT",
    "deflections": "BIGINT",
    "deflection_share": "DOUBLE",
    "deflection_status": "VARCHAR",
}
DATA_QUALITY_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "check_name": "VARCHAR",
    "count": "BIGINT",
    "description": "VARCHAR",
}

# The reply links, with their parent (NULL where the parent is not in the data), that a
# check below can count: a self link, a missing parent, a reply at or before its parent
# or a reply to its own author. Every other link counts nowhere, so it is not kept.
_LINKS = """
CREATE OR REPLACE TEMP TABLE _gw_links AS
SELECT *
FROM (SELECT r.platform, r.post_id, lower(r.author) AS r_author, r.created_at AS r_at,
             r.in_reply_to_post_id AS parent_id, p.post_id AS p_id,
             lower(p.author) AS p_author, p.created_at AS p_at
      FROM posts r
      LEFT JOIN posts p ON p.platform = r.platform AND p.post_id = r.in_reply_to_post_id
      WHERE r.in_reply_to_post_id IS NOT NULL)
WHERE post_id = parent_id OR p_id IS NULL OR r_at <= p_at OR p_author = r_author
"""

CHECKS: dict[str, str] = {
    "reply_before_message": "official replies created before the inbound message they link "
                            "to (impossible; rejected as responses)",
    "reply_same_time": "official replies created at the same instant as the message they link "
                       "to (order unknown; not counted as responses)",
    "official_self_reply": "official posts replying to the same account's own post (threads; "
                           "never responses and never inbound messages)",
    "public_self_reply": "inbound messages that reply to their own author's earlier post "
                         "(thread continuations, inbound only because they name the account)",
    "needs_response_untagged": "inbound messages without a needs-a-response tag (in "
                               "population 'all' only)",
    "self_link": "posts whose reply link points at themselves (impossible; the link is ignored)",
    "reply_before_parent": "replies created before the post they reply to (impossible)",
    "parent_missing": "replies whose parent post is not in the data (linked through the named "
                      "author where one is given)",
}
PLATFORM_CHECKS = ("self_link", "reply_before_parent", "parent_missing")

# Per-account counts: platform, official_author, one column per check.
_ACCOUNT_COUNTS = [
    # the message is the reply's parent (p_at its time): only replies at or before their
    # parent can count, so those few are joined to the messages, not every reply
    """SELECT m.platform, m.official_author,
              count(*) FILTER (WHERE l.r_at < m.message_created_at) AS reply_before_message,
              count(*) FILTER (WHERE l.r_at = m.message_created_at) AS reply_same_time
       FROM responses m
       JOIN (SELECT * FROM _gw_links WHERE r_at <= p_at) l ON l.platform = m.platform
            AND l.parent_id = m.message_id AND l.r_author = lower(m.official_author)
       GROUP BY ALL""",
    """SELECT o.platform, o.author AS official_author, count(*) AS official_self_reply
       FROM _gw_links l
       JOIN accounts o ON o.official AND o.platform = l.platform
            AND lower(o.author) = l.r_author
       WHERE l.p_author = l.r_author AND l.p_id <> l.post_id
       GROUP BY ALL""",
    """SELECT m.platform, m.official_author, count(*) AS public_self_reply
       FROM responses m
       JOIN _gw_links l ON l.platform = m.platform AND l.post_id = m.message_id
       WHERE l.p_author = l.r_author AND l.p_id <> l.post_id
       GROUP BY ALL""",
    """SELECT platform, official_author, count(*) AS needs_response_untagged
       FROM responses WHERE needs_response IS NULL GROUP BY ALL""",
]
_PLATFORM_COUNTS = """
SELECT platform,
       count(*) FILTER (WHERE post_id = parent_id) AS self_link,
       count(*) FILTER (WHERE r_at < p_at AND p_id <> post_id) AS reply_before_parent,
       count(*) FILTER (WHERE p_id IS NULL) AS parent_missing
FROM _gw_links GROUP BY ALL
"""


def has_column(con, table: str, column: str) -> bool:
    return con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? "
        "AND column_name = ?", [table, column]).fetchone()[0] > 0


def response_quality(ctx: MetricContext) -> pd.DataFrame:
    min_n = int(ctx.settings.min_n)
    tagged = has_column(ctx.con, "tags", "deflection")
    deflection = "t.deflection" if tagged else "NULL::BOOLEAN"
    # only the responses that carry the tag count in the columns read from it
    join = ("LEFT JOIN (SELECT platform, post_id, deflection FROM tags "
            "WHERE deflection IS NOT NULL) t "
            "ON t.platform = r.platform AND t.post_id = r.response_id" if tagged else "")
    # One pass over the messages per (account, needs a response); population "all" sums
    # an account's two rows, "needs_response" is its row with the flag set.
    frame = ctx.con.execute(f"""
        WITH a AS (
            SELECT r.platform, r.official_author, coalesce(r.needs_response, false) AS nr,
                   count(*) FILTER (WHERE NOT r.censored) AS responses,
                   count({deflection}) FILTER (WHERE NOT r.censored) AS deflection_tagged,
                   count(*) FILTER (WHERE NOT r.censored AND {deflection}) AS deflections
            FROM responses r
            {join}
            GROUP BY ALL
        )
        SELECT platform, official_author, 'all' AS population,
               sum(responses)::BIGINT AS responses,
               sum(deflection_tagged)::BIGINT AS deflection_tagged,
               sum(deflections)::BIGINT AS deflections
        FROM a GROUP BY ALL
        UNION ALL
        SELECT platform, official_author, 'needs_response', responses, deflection_tagged,
               deflections
        FROM a WHERE nr
        ORDER BY platform, official_author, population
    """).df()
    if frame.empty:
        return empty_frame(RESPONSE_QUALITY_COLUMNS)
    tagged = frame["deflection_tagged"]
    frame["deflection_share"] = (frame["deflections"] / tagged.where(tagged > 0)).astype(float)
    frame["deflection_status"] = "ok"
    frame.loc[tagged < min_n, "deflection_status"] = "too few"
    frame.loc[tagged == 0, "deflection_status"] = "not tagged"
    return frame[list(RESPONSE_QUALITY_COLUMNS)]


def data_quality(ctx: MetricContext) -> pd.DataFrame:
    con = ctx.con
    con.execute(_LINKS)
    accounts = con.execute(
        "SELECT platform, author AS official_author FROM accounts WHERE official "
        "ORDER BY platform, author").df()
    for sql in _ACCOUNT_COUNTS:
        accounts = accounts.merge(con.execute(sql).df(), on=["platform", "official_author"],
                                  how="left")
    platforms = con.execute("SELECT DISTINCT platform FROM posts ORDER BY platform").df()
    platforms = platforms.merge(con.execute(_PLATFORM_COUNTS).df(), on="platform", how="left")
    con.execute("DROP TABLE _gw_links")
    per_account = [c for c in CHECKS if c not in PLATFORM_CHECKS]
    long = [
        accounts.melt(["platform", "official_author"], per_account, "check_name", "count"),
        platforms.assign(official_author=None).melt(
            ["platform", "official_author"], list(PLATFORM_CHECKS), "check_name", "count"),
    ]
    frame = pd.concat([x for x in long if len(x)], ignore_index=True) if any(
        len(x) for x in long) else empty_frame(DATA_QUALITY_COLUMNS)
    frame["count"] = frame["count"].fillna(0).astype("int64")
    frame["description"] = frame["check_name"].map(CHECKS)
    return frame[list(DATA_QUALITY_COLUMNS)].sort_values(
        ["platform", "official_author", "check_name"], na_position="first", kind="stable"
    ).reset_index(drop=True)


@register_metric
class ResponseQuality(Metric):
    name = "response_quality"
    account_tables = ("response_quality",)
    description = (
        "Per official account and population: deflection share among first responses; "
        "and counts of impossible or excluded data (replies before the message, "
        "same-instant replies, self-replies, self-links, missing parents)."
    )
    tables = {"response_quality": RESPONSE_QUALITY_COLUMNS, "data_quality": DATA_QUALITY_COLUMNS}
    column_meanings = {
        "response_quality": {
            "population": "needs_response or all inbound messages",
            "responses": "Answered messages (first responses)",
            "deflection_tagged": "First responses with a deflection tag (true or false)",
            "deflections": "First responses tagged as deflections",
            "deflection_share": "deflections / deflection_tagged",
            "deflection_status": "ok; 'too few' when deflection_tagged < min_n; 'not tagged' "
                                 "when no response carries the tag",
        },
        "data_quality": {
            "official_author": "The account the count is about; empty: platform-wide",
            "check_name": "What was counted (see description)",
            "count": "How many",
            "description": "What the check counts and how the metrics treat it",
        },
    }

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        return {"response_quality": response_quality(ctx), "data_quality": data_quality(ctx)}
