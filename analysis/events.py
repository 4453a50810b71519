"""Event acknowledgement (DESIGN "Metric definitions").

For each event E with onset t0 (``events`` table, loaded by ``govwatch.ingest.events``):

- Accounts in scope (the accounts expected to acknowledge the event): when the
  events file lists ``accounts``, exactly those official accounts (an entry
  ``platform:author`` names one account, ``author`` that handle on any platform;
  any letter case). Otherwise every official account that passes each filter the
  event gives: its ``country``, its ``level`` (one or more) and its
  ``institution_type`` (one or more, normalised); every official account when it
  gives none. ``event_summary.scope`` says which rule applied.
- A post matches E when its text contains one of E's keywords as a whole word
  or phrase, case-insensitively (``keyword_regex``). A keyword also matches a
  hashtag body: 'chennaifloods' matches '#ChennaiFloods', and a phrase matches
  the hashtag of its words run together ('chennai floods' matches
  '#ChennaiFloods'). 'flood' does not match 'floodlight' nor '#floods'.
- Acknowledgement: the first post of the account created at or after t0 and no
  later than the observation end that matches E (any kind: post, reply,
  repost, quote); latency = its time - t0 in hours. None by the observation end:
  censored, latency empty, ``observed_hours`` = observation end - t0.
- Public: the first post by a non-official author on the same platform, at or
  after t0, matching E; ``public_lead_hours`` = official latency - public
  latency (positive: the public was first). Empty when either is missing.
- Events whose onset lies after the observation end are left out.

``event_summary`` has one row per event; its ``median_latency_hours`` is the
Kaplan-Meier median of the accounts' latencies (every account in scope is followed
for the same time, so the curve is the empirical one) with the midpoint rule of
docs/methodology.md: with an even number n of accounts and exactly half
acknowledged by the (n/2)-th latency, the midpoint between it and the next one, or
the observed time when no next one came; empty when fewer than half did.

Candidate events (bursts nobody named yet) are analysis/bursts.py's.

Matching runs in DuckDB with one constant regular expression per event, so it
scales with the store, not with memory.
"""

from __future__ import annotations

import pandas as pd

from govwatch.schema import is_private_sql

from .registry import Metric, MetricContext, register_metric

# Letters, combining marks, digits and underscore: a keyword must not touch one.
WORD_CHARS = r"\p{L}\p{M}\p{N}_"
_BOUNDARY = rf"[^{WORD_CHARS}]"
_SPACE = r"[\s\p{Z}]+"


EVENT_ACKNOWLEDGEMENTS_COLUMNS = {
    "event_id": "VARCHAR",
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "onset": "TIMESTAMP WITH TIME ZONE",
    "first_post_id": "VARCHAR",
    "first_post_at": "TIMESTAMP WITH TIME ZONE",
    "latency_hours": "DOUBLE",
    "censored": "BOOLEAN",
    "observed_hours": "DOUBLE",
    "matching_posts": "BIGINT",
    "first_public_post_id": "VARCHAR",
    "first_public_post_at": "TIMESTAMP WITH TIME ZONE",
    "public_latency_hours": "DOUBLE",
    "public_lead_hours": "DOUBLE",
    "day_precision": "BOOLEAN",
}
EVENT_SUMMARY_COLUMNS = {
    "event_id": "VARCHAR",
    "name": "VARCHAR",
    "onset": "TIMESTAMP WITH TIME ZONE",
    "critical": "BOOLEAN",
    "country": "VARCHAR",
    "scope": "VARCHAR",
    "observed_hours": "DOUBLE",
    "accounts_in_scope": "BIGINT",
    "accounts_acknowledged": "BIGINT",
    "median_latency_hours": "DOUBLE",
    "first_official_platform": "VARCHAR",
    "first_official_author": "VARCHAR",
    "first_official_post_at": "TIMESTAMP WITH TIME ZONE",
    "first_official_latency_hours": "DOUBLE",
    "first_public_post_at": "TIMESTAMP WITH TIME ZONE",
    "public_latency_hours": "DOUBLE",
    "public_lead_hours": "DOUBLE",
    "official_matching_posts": "BIGINT",
    "public_matching_posts": "BIGINT",
    "day_precision_accounts": "BIGINT",
}
ACK_MEANINGS = {
    "event_id": "Event identifier from the events file",
    "platform": "Platform of the official account",
    "official_author": "Official account expected to acknowledge the event (in clear)",
    "onset": "Event onset t0 (UTC)",
    "first_post_id": "Platform-native id of the account's first post matching the event at or after onset",
    "first_post_at": "Time of that post (UTC)",
    "latency_hours": "first_post_at - onset in hours; empty when censored",
    "censored": "True when the account posted nothing matching the event by observation end",
    "observed_hours": "Observation end - onset in hours (follow-up time of a censored account)",
    "matching_posts": "Posts of the account matching the event between onset and observation end",
    "first_public_post_id": "Id of the first non-official post on the platform matching the event at or after onset",
    "first_public_post_at": "Time of that public post (UTC)",
    "public_latency_hours": "first_public_post_at - onset in hours",
    "public_lead_hours": "latency_hours - public_latency_hours; positive means the public was first",
    "day_precision": "The first matching post's time, or the first public one's, was written as "
                     "a date alone and taken as midnight (ingest --day-precision): the latency "
                     "and lead are known to the day only",
}
SUMMARY_MEANINGS = {
    "event_id": "Event identifier from the events file",
    "name": "Event name",
    "onset": "Event onset t0 (UTC)",
    "critical": "The events file marks the event as critical",
    "country": "Country of the event (ISO 3166 alpha-2), a filter of its scope",
    "scope": "Which official accounts are expected to acknowledge it: the accounts the "
             "events file lists, else those passing its country, level and institution-type "
             "filters ('all official accounts' when it gives none)",
    "observed_hours": "Observation end - onset in hours",
    "accounts_in_scope": "Official accounts expected to acknowledge the event",
    "accounts_acknowledged": "Accounts in scope that posted about it by observation end",
    "median_latency_hours": "Latency by which half of the accounts in scope had acknowledged; empty if fewer than half did",
    "first_official_platform": "Platform of the first acknowledging account",
    "first_official_author": "First account in scope to acknowledge the event",
    "first_official_post_at": "Time of the first acknowledgement (UTC)",
    "first_official_latency_hours": "first_official_post_at - onset in hours",
    "first_public_post_at": "Time of the first matching public post on any platform (UTC)",
    "public_latency_hours": "first_public_post_at - onset in hours",
    "public_lead_hours": "first_official_latency_hours - public_latency_hours; positive means the public was first",
    "official_matching_posts": "Matching posts by accounts in scope between onset and observation end",
    "public_matching_posts": "Matching public posts between onset and observation end",
    "day_precision_accounts": "Accounts in scope whose row (latency or public lead) rests on a "
                              "time written as a date alone (ingest --day-precision)",
}
def _escape(text: str) -> str:
    """Escape ASCII punctuation for RE2 (DuckDB's regex engine)."""
    return "".join("\\" + ch if ch.isascii() and not ch.isalnum() else ch for ch in text)


def keyword_regex(keywords: list[str] | tuple[str, ...]) -> str | None:
    """One RE2 pattern matching any keyword as a whole word/phrase or hashtag body.

    Use with case-insensitive matching (DuckDB ``regexp_matches(text, p, 'i')``).
    A leading '#' on a keyword is ignored; words of a phrase may be separated by
    any run of white space. None when no keyword has a word in it.
    """
    phrases: list[str] = []
    hashtags: list[str] = []
    for kw in keywords:
        words = kw.strip().lstrip("#").split()
        if not words:
            continue
        phrases.append(_SPACE.join(_escape(w) for w in words))
        if len(words) > 1:
            hashtags.append(_escape("".join(words)))
    if not phrases:
        return None
    pattern = rf"(?:^|{_BOUNDARY})(?:{'|'.join(phrases)})(?:$|{_BOUNDARY})"
    if hashtags:
        pattern += rf"|#(?:{'|'.join(hashtags)})(?:$|{_BOUNDARY})"
    return pattern


_OFFICIALS = """
CREATE OR REPLACE TEMP TABLE _ev_officials AS
SELECT platform, author, lower(author) AS la, upper(country) AS country, level,
       institution_type
FROM accounts WHERE official
"""

# An event's scope: its listed accounts, else the officials passing each filter it gives.
_IN_SCOPE = """
CASE WHEN len(coalesce(ev.accounts, [])) > 0
     THEN list_contains(ev.accounts, o.platform || ':' || o.la) OR list_contains(ev.accounts, o.la)
     ELSE (ev.country IS NULL OR o.country = ev.country)
          AND (len(coalesce(ev.levels, [])) = 0 OR list_contains(ev.levels, o.level))
          AND (len(coalesce(ev.institution_types, [])) = 0
               OR list_contains(ev.institution_types, o.institution_type)) END
"""

# How the scope was chosen, in words (event_summary.scope).
_SCOPE_TEXT = """
CASE WHEN len(coalesce(e.accounts, [])) > 0
     THEN 'accounts listed: ' || array_to_string(e.accounts, ', ')
     WHEN e.country IS NULL AND len(coalesce(e.levels, [])) = 0
          AND len(coalesce(e.institution_types, [])) = 0 THEN 'all official accounts'
     ELSE concat_ws('; ', 'country ' || upper(e.country),
                    CASE WHEN len(coalesce(e.levels, [])) > 0
                         THEN 'level ' || array_to_string(e.levels, ', ') END,
                    CASE WHEN len(coalesce(e.institution_types, [])) > 0
                         THEN 'institution type ' || array_to_string(e.institution_types, ', ')
                    END) END
"""

_MATCHES_TABLE = """
CREATE OR REPLACE TEMP TABLE _ev_matches (
  event_id VARCHAR, platform VARCHAR, post_id VARCHAR, la VARCHAR,
  created_at TIMESTAMP WITH TIME ZONE, official BOOLEAN, day BOOLEAN)
"""

_MATCH_ONE = """
INSERT INTO _ev_matches
SELECT $event_id, p.platform, p.post_id, lower(p.author), p.created_at, o.la IS NOT NULL,
       coalesce(p.day_precision, false)
FROM posts p
LEFT JOIN _ev_officials o ON o.platform = p.platform AND o.la = lower(p.author)
WHERE p.created_at >= $onset AND p.created_at <= $obs_end
  AND regexp_matches(p.text, $pattern, 'i') AND NOT """ + is_private_sql("p")

# What the acknowledgements need of the matching posts, from ``_ev_matches`` (one row
# per event and matching post): per event and official account, its first matching post
# and how many; per event and platform, the first public one; per event, the first
# public post and how many. :func:`acknowledgements` takes them as SQL, so a caller can
# compute the same aggregates another way (analysis/bursts.py does).
_OFF_FROM_MATCHES = """
    SELECT event_id, platform, la,
           first(post_id ORDER BY created_at, post_id) AS first_post_id,
           first(day ORDER BY created_at, post_id) AS first_day,
           min(created_at) AS first_at, count(*) AS n
    FROM _ev_matches WHERE official GROUP BY ALL
"""
_PUB_FROM_MATCHES = """
    SELECT event_id, platform,
           first(post_id ORDER BY created_at, post_id) AS first_post_id,
           first(day ORDER BY created_at, post_id) AS first_day,
           min(created_at) AS first_at
    FROM _ev_matches WHERE NOT official GROUP BY ALL
"""
_PUB_TOTALS_FROM_MATCHES = """
    SELECT event_id, min(created_at) AS first_at, count(*) AS n
    FROM _ev_matches WHERE NOT official GROUP BY event_id
"""

_ACKS = """
CREATE OR REPLACE TEMP TABLE _ev_acks AS
WITH ev AS (SELECT event_id, onset, upper(country) AS country, levels, institution_types,
                   accounts FROM {source} WHERE onset <= $obs_end),
scope AS (
    SELECT ev.event_id, ev.onset, o.platform, o.author, o.la
    FROM ev JOIN _ev_officials o ON """ + _IN_SCOPE + """
),
off AS ({off}),
pub AS ({pub})
SELECT s.event_id, s.platform, s.author AS official_author, s.onset,
       off.first_post_id, off.first_at AS first_post_at,
       epoch(off.first_at - s.onset) / 3600.0 AS latency_hours,
       off.first_post_id IS NULL AS censored,
       epoch($obs_end - s.onset) / 3600.0 AS observed_hours,
       coalesce(off.n, 0) AS matching_posts,
       pub.first_post_id AS first_public_post_id, pub.first_at AS first_public_post_at,
       epoch(pub.first_at - s.onset) / 3600.0 AS public_latency_hours,
       epoch(off.first_at - s.onset) / 3600.0 - epoch(pub.first_at - s.onset) / 3600.0
           AS public_lead_hours,
       coalesce(off.first_day, false) OR coalesce(pub.first_day, false) AS day_precision
FROM scope s
LEFT JOIN off ON off.event_id = s.event_id AND off.platform = s.platform AND off.la = s.la
LEFT JOIN pub ON pub.event_id = s.event_id AND pub.platform = s.platform
"""

_SUMMARY = """
WITH acks AS (
    SELECT event_id,
           count(*) AS n,
           count(first_post_id) AS k,
           list_sort(list(latency_hours) FILTER (WHERE NOT censored)) AS lat,
           first(platform ORDER BY first_post_at, platform, official_author)
               FILTER (WHERE NOT censored) AS first_platform,
           first(official_author ORDER BY first_post_at, platform, official_author)
               FILTER (WHERE NOT censored) AS first_author,
           min(first_post_at) AS first_at,
           sum(matching_posts) AS official_posts,
           count(*) FILTER (WHERE day_precision) AS day_n
    FROM _ev_acks GROUP BY event_id
),
pub AS ({pub_totals})
SELECT e.event_id, e.name, e.onset, e.critical, upper(e.country) AS country,
       """ + _SCOPE_TEXT + """ AS scope,
       epoch($obs_end - e.onset) / 3600.0 AS observed_hours,
       coalesce(a.n, 0) AS accounts_in_scope,
       coalesce(a.k, 0) AS accounts_acknowledged,
       CASE WHEN a.n = 0 OR 2 * a.k < a.n THEN NULL
            WHEN a.n % 2 = 1 THEN a.lat[(a.n + 1) // 2]
            WHEN a.k > a.n // 2 THEN (a.lat[a.n // 2] + a.lat[a.n // 2 + 1]) / 2
            ELSE (a.lat[a.n // 2] + epoch($obs_end - e.onset) / 3600.0) / 2 END
           AS median_latency_hours,
       a.first_platform AS first_official_platform,
       a.first_author AS first_official_author,
       a.first_at AS first_official_post_at,
       epoch(a.first_at - e.onset) / 3600.0 AS first_official_latency_hours,
       pub.first_at AS first_public_post_at,
       epoch(pub.first_at - e.onset) / 3600.0 AS public_latency_hours,
       epoch(a.first_at - e.onset) / 3600.0 - epoch(pub.first_at - e.onset) / 3600.0
           AS public_lead_hours,
       coalesce(a.official_posts, 0) AS official_matching_posts,
       coalesce(pub.n, 0) AS public_matching_posts,
       coalesce(a.day_n, 0) AS day_precision_accounts
FROM {source} e
LEFT JOIN acks a USING (event_id)
LEFT JOIN pub USING (event_id)
WHERE e.onset <= $obs_end
ORDER BY e.onset, e.event_id
"""


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def match_events(con, obs_end, source: str = "events") -> int:
    """Fill the temp table ``_ev_matches`` with every post matching an event; returns rows."""
    con.execute(_OFFICIALS)
    con.execute(_MATCHES_TABLE)
    events = con.execute(
        f"SELECT event_id, keywords, onset FROM {source} WHERE onset <= ? ORDER BY event_id",
        [obs_end],
    ).fetchall()
    for event_id, keywords, onset in events:
        pattern = keyword_regex(list(keywords or []))
        if pattern is None:
            continue
        con.execute(
            _MATCH_ONE,
            {"event_id": event_id, "onset": onset, "obs_end": obs_end, "pattern": pattern},
        )
    return con.execute("SELECT count(*) FROM _ev_matches").fetchall()[0][0]


def event_acknowledgements(con, obs_end, source: str = "events", matcher=match_events
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``event_acknowledgements`` and ``event_summary`` for the events of the
    table ``source`` (event_id, name, onset, keywords, critical, country).
    ``matcher(con, obs_end, source)`` fills ``_ev_matches`` (default :func:`match_events`)."""
    matcher(con, obs_end, source)
    try:
        return acknowledgements(con, obs_end, source, _OFF_FROM_MATCHES, _PUB_FROM_MATCHES,
                                _PUB_TOTALS_FROM_MATCHES)
    finally:
        con.execute("DROP TABLE IF EXISTS _ev_matches")


def acknowledgements(con, obs_end, source: str, off: str, pub: str, pub_totals: str
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables from the aggregates of the matching posts, given as SQL queries
    with the columns of ``_OFF_FROM_MATCHES``, ``_PUB_FROM_MATCHES`` and
    ``_PUB_TOTALS_FROM_MATCHES``; needs ``_ev_officials`` (:data:`_OFFICIALS`), which
    it drops."""
    try:
        con.execute(_ACKS.format(source=source, off=off, pub=pub), {"obs_end": obs_end})
        acks = con.execute(
            "SELECT * FROM _ev_acks ORDER BY event_id, platform, official_author"
        ).df()
        summary = con.execute(_SUMMARY.format(source=source, pub_totals=pub_totals),
                              {"obs_end": obs_end}).df()
    finally:
        for t in ("_ev_acks", "_ev_officials"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return (
        acks[list(EVENT_ACKNOWLEDGEMENTS_COLUMNS)],
        summary[list(EVENT_SUMMARY_COLUMNS)],
    )


@register_metric
class EventAcknowledgement(Metric):
    name = "event_acknowledgement"
    description = (
        "Per event and official account in scope: first matching post after onset, latency "
        "(censored at observation end), and the lead of the first matching public post; "
        "one summary row per event."
    )
    tables = {
        "event_acknowledgements": EVENT_ACKNOWLEDGEMENTS_COLUMNS,
        "event_summary": EVENT_SUMMARY_COLUMNS,
    }
    column_meanings = {"event_acknowledgements": ACK_MEANINGS, "event_summary": SUMMARY_MEANINGS}
    table_descriptions = {
        "event_acknowledgements": "how fast each official acknowledged each event",
        "event_summary": "per-event acknowledgement summary",
    }
    canonical_only = True  # events, posts and accounts only

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        if ctx.obs_end is None:
            return {t: _empty(c) for t, c in self.tables.items()}
        acks, summary = event_acknowledgements(ctx.con, ctx.obs_end)
        return {"event_acknowledgements": acks, "event_summary": summary}
