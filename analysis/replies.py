"""Inbound messages and their first official response (DESIGN "Metric definitions").

- Inbound message: a post by a non-official author that replies to (or comments
  on) a post of an official account, or whose parent is gone but names an
  official as the author replied to, or that names an official with @handle.
  One row per (message, addressed official).
- Response: the first post by the addressed official, created strictly after
  the message and no later than the observation end, that replies to it: its
  reply link points at the message, or, where the post carries no reply link,
  it is in the same conversation and addressed to the message's author. Later
  replies do not count; a reply to a different message in the same thread is
  not a response to this one.
- Latency in hours; a message with no response is right-censored at
  observation end - message time.
- Day precision: a message whose time, or its response's, was written as a date alone
  (``ingest --day-precision``, taken as midnight) has ``day_precision`` set; every
  figure computed from it counts such messages (docs/methodology.md).
- Channel: the one its reader recorded (message_attributes: complaint_ticket,
  review, ...), else ``comment`` for comments and ``public_reply`` for the rest.
- Direct messages (channel ``direct_message``) are private: ``responses`` holds the
  public channels only, and :func:`dm_responses` links direct messages among themselves
  by the same definitions (for their aggregate in ``channel_metrics`` and, on request,
  an export).
- Answered though not addressed: a public post that addresses no official account
  (no reply to one, no @mention of one) but that an official account replied to
  (a reply link to the post). Its unanswered twins cannot be seen, so such posts
  stay out of ``responses`` (and every rate) unless ``include_unaddressed``, where
  they are inbound messages with ``via = answered_unaddressed``; the
  ``answered_unaddressed`` table (analysis/unaddressed.py) counts them either way.

All of it is DuckDB SQL over the store, so it runs in bounded memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from govwatch.schema import PLAUSIBLE_FROM, PLAUSIBLE_UNTIL, is_private_sql
from govwatch.store import memory_limit_bytes

if TYPE_CHECKING:
    import pandas as pd

# Official accounts, matched case-insensitively (handles are case-insensitive
# on every platform govwatch reads).
_OFFICIALS = """
CREATE OR REPLACE TEMP TABLE _officials AS
SELECT platform, min(author) AS author, lower(author) AS la FROM accounts WHERE official
GROUP BY platform, lower(author)  -- one account, even where an older import kept two cases
"""

_MESSAGES = """
CREATE OR REPLACE TEMP TABLE _messages AS
-- not materialized: the scan and the anti join cost less than holding every public post,
-- and the mentions below read only the posts that have some
WITH public_posts AS NOT MATERIALIZED (
    SELECT p.platform, p.post_id, p.author, p.created_at, p.kind, p.conversation_id,
           p.in_reply_to_post_id, p.in_reply_to_author, p.mentions, p.lang,
           coalesce(p.day_precision, false) AS day_precision
    FROM posts p
    -- an anti join, not NOT EXISTS: DuckDB would first collect the distinct authors
    ANTI JOIN _officials o ON o.platform = p.platform AND o.la = lower(p.author)
    WHERE p.created_at <= $obs_end AND p.created_at >= $plausible_from AND {scope_p}
),
replies AS (
    -- a reply or comment to a post of an official that is in the data; where the parent
    -- is not in the data, trust the author the reply link names. One row per post: the
    -- import keeps (platform, post_id) unique.
    SELECT m.*, o.author AS official_author,
           CASE WHEN m.kind = 'comment' THEN 'comment' ELSE 'reply' END AS via
    FROM public_posts m
    LEFT JOIN posts parent ON parent.platform = m.platform
         AND parent.post_id = m.in_reply_to_post_id
    JOIN _officials o ON o.platform = m.platform
         AND o.la = CASE WHEN parent.post_id IS NULL THEN lower(m.in_reply_to_author)
                         ELSE lower(parent.author) END
)
SELECT platform, post_id AS message_id, author AS message_author, official_author,
       created_at AS message_created_at, conversation_id, lang,
       day_precision AS message_day_precision, via
FROM replies
UNION ALL
-- an @mention of an official, unless the post replies to that official already
SELECT DISTINCT m.platform, m.post_id, m.author, o.author, m.created_at, m.conversation_id,
       m.lang, m.day_precision, 'mention'
FROM (SELECT *, unnest(mentions) AS mentioned FROM public_posts
      WHERE len(coalesce(mentions, [])) > 0) m
JOIN _officials o ON o.platform = m.platform AND o.la = lower(m.mentioned)
WHERE NOT EXISTS (SELECT 1 FROM replies r WHERE r.platform = m.platform
                  AND r.post_id = m.post_id AND r.official_author = o.author)
"""



def unaddressed_sql(addressed: str) -> str:
    """Public posts an official account replied to (a reply link, after the post and by
    the observation end ``$obs_end``) although they address no official: none of them is
    in ``addressed`` (a relation of platform, message_id). One row per (post, replying
    official) with its first such reply; columns as ``_messages`` plus the reply."""
    return f"""
    SELECT m.platform, m.post_id AS message_id, m.author AS message_author,
           o.author AS official_author, m.created_at AS message_created_at,
           m.conversation_id, m.lang, coalesce(m.day_precision, false)
           AS message_day_precision, 'answered_unaddressed' AS via,
           r.post_id AS response_id, r.created_at AS response_created_at
    FROM posts r
    JOIN _officials o ON o.platform = r.platform AND o.la = lower(r.author)
    JOIN posts m ON m.platform = r.platform AND m.post_id = r.in_reply_to_post_id
    WHERE r.created_at > m.created_at AND r.created_at <= $obs_end
      AND m.created_at >= $plausible_from AND NOT {is_private_sql('m')}
      AND NOT EXISTS (SELECT 1 FROM _officials x WHERE x.platform = m.platform
                      AND x.la = lower(m.author))
      AND NOT EXISTS (SELECT 1 FROM {addressed} a WHERE a.platform = m.platform
                      AND a.message_id = m.post_id)
    QUALIFY row_number() OVER (PARTITION BY m.platform, m.post_id, o.author
                               ORDER BY r.created_at, r.post_id) = 1
    """


def hours(later: str, earlier: str) -> str:
    """SQL: hours from ``earlier`` to ``later`` (two TIMESTAMPTZ), the same double as
    ``epoch(later - earlier) / 3600.0`` in the store's session zone (UTC) without
    building the interval, which costs more than the rest of the row. The interval is
    whole days (truncated towards zero) and the microseconds left, and its epoch adds
    the days' seconds to the microseconds / 1e6, rounding as that sum does; the result
    is the elapsed time whatever the session's zone (where the interval's days would
    be local calendar days)."""
    us = f"(epoch_us({later}) - epoch_us({earlier}))"
    return f"(({us} // 86400000000 * 86400)::DOUBLE + ({us} % 86400000000) / 1e6) / 3600.0"


# Candidate responses, two ways; each is an equi-join so it scales. A message is its
# row of ``_messages`` (one per platform, message and official): the first response is
# chosen and joined back by that row id, one integer instead of three strings.
_RESPONSES = """
CREATE OR REPLACE TEMP TABLE _responses AS
WITH official_posts AS (
    SELECT r.platform, r.post_id, lower(r.author) AS la, r.created_at,
           r.in_reply_to_post_id, lower(r.in_reply_to_author) AS to_author, r.conversation_id,
           coalesce(r.day_precision, false) AS day_precision
    FROM posts r
    JOIN _officials o ON o.platform = r.platform AND o.la = lower(r.author)
    WHERE r.created_at <= $obs_end AND r.created_at >= $plausible_from AND {scope_r}
),
linked AS (
    SELECT m.rowid AS msg_row, r.post_id, r.created_at, r.day_precision
    FROM _messages m
    JOIN official_posts r ON r.platform = m.platform AND r.in_reply_to_post_id = m.message_id
         AND r.la = lower(m.official_author)
    WHERE r.created_at > m.message_created_at
),
threaded AS (
    SELECT m.rowid AS msg_row, r.post_id, r.created_at, r.day_precision
    FROM _messages m
    JOIN official_posts r ON r.platform = m.platform AND r.conversation_id = m.conversation_id
         AND r.to_author = lower(m.message_author) AND r.la = lower(m.official_author)
    WHERE r.in_reply_to_post_id IS NULL AND r.created_at > m.message_created_at
),
found AS (SELECT * FROM linked UNION ALL SELECT * FROM threaded)
SELECT msg_row, post_id AS response_id, created_at AS response_created_at,
       day_precision AS response_day_precision
FROM found
QUALIFY row_number() OVER (PARTITION BY msg_row ORDER BY created_at, post_id) = 1
"""

_RESULT = f"""
SELECT m.platform, m.message_id, m.message_author, m.official_author, m.via,
       m.message_created_at, r.response_id, r.response_created_at,
       {hours('r.response_created_at', 'm.message_created_at')} AS latency_hours,
       r.response_id IS NULL AS censored,
       {hours('$obs_end', 'm.message_created_at')} AS observed_hours,
       t.needs_response, t.critical, t.topic, t.sentiment, coalesce(t.lang, m.lang) AS lang,
       coalesce(a.channel, CASE m.via WHEN 'comment' THEN 'comment' ELSE 'public_reply' END)
           AS channel,
       a.rating,
       -- a time written as a date alone (midnight) enters the latency or the follow-up
       m.message_day_precision OR coalesce(r.response_day_precision, false) AS day_precision
FROM _messages m
LEFT JOIN _responses r ON r.msg_row = m.rowid
LEFT JOIN tags t ON t.platform = m.platform AND t.post_id = m.message_id
LEFT JOIN message_attributes a ON a.platform = m.platform AND a.post_id = m.message_id
-- A review edited after the reply that answered it has no knowable latency: counted
-- apart (analysis/channels.py), never a negative or censored one.
WHERE a.flag IS DISTINCT FROM 'reply_predates_message'
"""


def observation_end(con: duckdb.DuckDBPyConnection, observed_until: datetime | None) -> datetime:
    """``observed_until`` if given, else the latest plausible created_at in the data
    (a post dated beyond PLAUSIBLE_UNTIL, stored by an older import, is passed over)."""
    if observed_until is not None:
        return observed_until
    latest = con.execute("SELECT max(created_at) FROM posts WHERE created_at < ?",
                         [PLAUSIBLE_UNTIL]).fetchall()[0][0]
    return latest


def _link(con: duckdb.DuckDBPyConnection, obs_end: datetime, private: bool,
          include_unaddressed: bool = False) -> None:
    """The temp tables of messages and candidate responses: among public posts, or (with
    ``private``) among direct messages only, so that neither answers the other. With
    ``include_unaddressed``, public posts answered though not addressed join the messages
    before the candidate responses are found."""
    params = {"obs_end": obs_end, "plausible_from": PLAUSIBLE_FROM}
    scope = {a: is_private_sql(a) if private else f"NOT {is_private_sql(a)}" for a in "pr"}
    con.execute(_OFFICIALS)
    con.execute(_MESSAGES.format(scope_p=scope["p"]), params)
    if include_unaddressed:
        con.execute("INSERT INTO _messages BY NAME SELECT * EXCLUDE (response_id, "
                    f"response_created_at) FROM ({unaddressed_sql('_messages')})", params)
    con.execute(_RESPONSES.format(scope_r=scope["r"]), params)


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("_officials", "_messages", "_responses"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


#: DuckDB memory that writing ``responses`` may need per inbound message, with a margin:
#: written in one statement, 676,044 messages did not fit in 190 MiB and half of them did
#: (about 300 bytes a message at the limit, where the joins with ``tags`` and
#: ``message_attributes`` and the rows on their way into the table are all held at once).
RESULT_BYTES_PER_MESSAGE = 1000


def result_passes(messages: int, limit: int | None) -> int:
    """Statements that write ``responses`` for ``messages`` inbound messages under
    DuckDB's memory limit ``limit`` (bytes): one while the result fits, else consecutive
    ranges of the messages, each within the limit (see RESULT_BYTES_PER_MESSAGE)."""
    if not limit or limit <= 0:
        return 1
    return max(1, -(-messages * RESULT_BYTES_PER_MESSAGE // limit))


def _write_result(con: duckdb.DuckDBPyConnection, obs_end: datetime) -> None:
    """``responses`` from the linked temp tables. The messages are taken in ranges of
    their row ids when one statement would not fit in DuckDB's memory limit: every row
    is written once either way (the ranges cover the table, each message in one), and
    DuckDB spills the ranges already written to the store's file."""
    lo, hi, n = con.execute("SELECT min(rowid), max(rowid) + 1, count(*) FROM _messages"
                            ).fetchall()[0]
    passes = result_passes(n, memory_limit_bytes(con))
    if passes == 1:
        con.execute(f"INSERT INTO responses BY NAME ({_RESULT})", {"obs_end": obs_end})
        return
    step = -(-(hi - lo) // passes)
    for start in range(lo, hi, step):
        con.execute(f"INSERT INTO responses BY NAME ({_RESULT} "
                    "AND m.rowid >= $lo AND m.rowid < $hi)",
                    {"obs_end": obs_end, "lo": start, "hi": start + step})


def build_responses(con: duckdb.DuckDBPyConnection, obs_end: datetime,
                    include_unaddressed: bool = False) -> int:
    """Fill the ``responses`` table (replacing its rows) with the public channels' messages;
    returns the row count. Direct messages are not there (see :func:`dm_responses`).
    With ``include_unaddressed``, posts answered though not addressed are inbound
    messages too (``via = answered_unaddressed``). Every step spills to disk beyond
    DuckDB's memory limit, so a lower limit costs time, not the run.

    The caller owns the transaction.
    """
    _link(con, obs_end, private=False, include_unaddressed=include_unaddressed)
    con.execute("DELETE FROM responses")
    _write_result(con, obs_end)
    _drop(con)
    return con.execute("SELECT count(*) FROM responses").fetchall()[0][0]


def dm_responses(con: duckdb.DuckDBPyConnection, obs_end: datetime) -> pd.DataFrame:
    """The rows ``responses`` would hold for direct messages (same columns, same
    definitions): a counterpart's message and the account's first message after it in
    the same conversation."""
    _link(con, obs_end, private=True)
    try:
        return con.execute(_RESULT, {"obs_end": obs_end}).df()
    finally:
        _drop(con)
