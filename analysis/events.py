"""Event acknowledgement (DESIGN "Metric definitions") and candidate events.

For each event E with onset t0 (``events`` table, loaded by ``govwatch.ingest.events``):

- Accounts in scope: every official account whose ``accounts.country`` equals
  the event's country; every official account when the event names no country.
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
latency by which at least half of the accounts in scope had acknowledged the
event (the Kaplan-Meier median, since every account in scope is followed for
the same time), empty when fewer than half did.

Candidate events (``candidate_events``): bursts of inbound messages tagged
critical, per country (the addressed official's) and UTC day. A day is
suggested when its count is at least ``bursts.min_messages`` and exceeds the
mean + ``bursts.sd`` standard deviations of the previous ``bursts.baseline_days``
days (days without such messages count as 0; at least
``bursts.min_baseline_days`` days of history needed). They are suggestions for
a person to confirm and write into the events file, never events themselves.

Matching runs in DuckDB with one constant regular expression per event, so it
scales with the store, not with memory.
"""

from __future__ import annotations

import pandas as pd

from .registry import Metric, MetricContext, register_metric
from .settings import BurstSettings

# Letters, combining marks, digits and underscore: a keyword must not touch one.
WORD_CHARS = r"\p{L}\p{M}\p{N}_"
_BOUNDARY = rf"[^{WORD_CHARS}]"
_SPACE = r"[\s\p{Z}]+"

TOP_HASHTAGS = 5

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
}
EVENT_SUMMARY_COLUMNS = {
    "event_id": "VARCHAR",
    "name": "VARCHAR",
    "onset": "TIMESTAMP WITH TIME ZONE",
    "critical": "BOOLEAN",
    "country": "VARCHAR",
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
}
CANDIDATE_EVENTS_COLUMNS = {
    "country": "VARCHAR",
    "day": "DATE",
    "critical_messages": "BIGINT",
    "baseline_days": "BIGINT",
    "baseline_mean": "DOUBLE",
    "baseline_sd": "DOUBLE",
    "threshold": "DOUBLE",
    "first_message_at": "TIMESTAMP WITH TIME ZONE",
    "top_hashtags": "VARCHAR",
    "known_event_ids": "VARCHAR",
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
}
SUMMARY_MEANINGS = {
    "event_id": "Event identifier from the events file",
    "name": "Event name",
    "onset": "Event onset t0 (UTC)",
    "critical": "The events file marks the event as critical",
    "country": "Country scope (ISO 3166 alpha-2); empty means all official accounts",
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
}
CANDIDATE_MEANINGS = {
    "country": "Country of the addressed official accounts (ISO 3166 alpha-2)",
    "day": "UTC day of the burst",
    "critical_messages": "Inbound messages tagged critical that day",
    "baseline_days": "Days of history in the baseline window",
    "baseline_mean": "Mean daily critical messages over the baseline window",
    "baseline_sd": "Standard deviation (n-1) of daily critical messages over the baseline window",
    "threshold": "baseline_mean + bursts.sd (setting) * baseline_sd",
    "first_message_at": "First critical message of the day (UTC): a suggested onset",
    "top_hashtags": "Most frequent hashtags in those messages: suggested keywords",
    "known_event_ids": "Events already in the events table for that country with onset that day or the day before",
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
SELECT platform, author, lower(author) AS la, upper(country) AS country
FROM accounts WHERE official
"""

_MATCHES_TABLE = """
CREATE OR REPLACE TEMP TABLE _ev_matches (
  event_id VARCHAR, platform VARCHAR, post_id VARCHAR, la VARCHAR,
  created_at TIMESTAMP WITH TIME ZONE, official BOOLEAN)
"""

_MATCH_ONE = """
INSERT INTO _ev_matches
SELECT $event_id, p.platform, p.post_id, lower(p.author), p.created_at, o.la IS NOT NULL
FROM posts p
LEFT JOIN _ev_officials o ON o.platform = p.platform AND o.la = lower(p.author)
WHERE p.created_at >= $onset AND p.created_at <= $obs_end
  AND regexp_matches(p.text, $pattern, 'i')
"""

_ACKS = """
CREATE OR REPLACE TEMP TABLE _ev_acks AS
WITH ev AS (SELECT event_id, onset, upper(country) AS country FROM events
            WHERE onset <= $obs_end),
scope AS (
    SELECT ev.event_id, ev.onset, o.platform, o.author, o.la
    FROM ev JOIN _ev_officials o ON ev.country IS NULL OR o.country = ev.country
),
off AS (
    SELECT event_id, platform, la,
           first(post_id ORDER BY created_at, post_id) AS first_post_id,
           min(created_at) AS first_at, count(*) AS n
    FROM _ev_matches WHERE official GROUP BY ALL
),
pub AS (
    SELECT event_id, platform,
           first(post_id ORDER BY created_at, post_id) AS first_post_id,
           min(created_at) AS first_at
    FROM _ev_matches WHERE NOT official GROUP BY ALL
)
SELECT s.event_id, s.platform, s.author AS official_author, s.onset,
       off.first_post_id, off.first_at AS first_post_at,
       epoch(off.first_at - s.onset) / 3600.0 AS latency_hours,
       off.first_post_id IS NULL AS censored,
       epoch($obs_end - s.onset) / 3600.0 AS observed_hours,
       coalesce(off.n, 0) AS matching_posts,
       pub.first_post_id AS first_public_post_id, pub.first_at AS first_public_post_at,
       epoch(pub.first_at - s.onset) / 3600.0 AS public_latency_hours,
       epoch(off.first_at - s.onset) / 3600.0 - epoch(pub.first_at - s.onset) / 3600.0
           AS public_lead_hours
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
           sum(matching_posts) AS official_posts
    FROM _ev_acks GROUP BY event_id
),
pub AS (
    SELECT event_id, min(created_at) AS first_at, count(*) AS n
    FROM _ev_matches WHERE NOT official GROUP BY event_id
)
SELECT e.event_id, e.name, e.onset, e.critical, upper(e.country) AS country,
       epoch($obs_end - e.onset) / 3600.0 AS observed_hours,
       coalesce(a.n, 0) AS accounts_in_scope,
       coalesce(a.k, 0) AS accounts_acknowledged,
       CASE WHEN a.n > 0 AND 2 * a.k >= a.n THEN a.lat[CAST(ceil(a.n / 2) AS INTEGER)] END
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
       coalesce(pub.n, 0) AS public_matching_posts
FROM events e
LEFT JOIN acks a USING (event_id)
LEFT JOIN pub USING (event_id)
WHERE e.onset <= $obs_end
ORDER BY e.onset, e.event_id
"""


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def match_events(con, obs_end) -> int:
    """Fill the temp table ``_ev_matches`` with every post matching an event; returns rows."""
    con.execute(_OFFICIALS)
    con.execute(_MATCHES_TABLE)
    events = con.execute(
        "SELECT event_id, keywords, onset FROM events WHERE onset <= ? ORDER BY event_id",
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


def event_acknowledgements(con, obs_end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``event_acknowledgements`` and ``event_summary``."""
    match_events(con, obs_end)
    try:
        con.execute(_ACKS, {"obs_end": obs_end})
        acks = con.execute(
            "SELECT * FROM _ev_acks ORDER BY event_id, platform, official_author"
        ).df()
        summary = con.execute(_SUMMARY, {"obs_end": obs_end}).df()
    finally:
        for t in ("_ev_acks", "_ev_matches", "_ev_officials"):
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

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        if ctx.obs_end is None:
            return {t: _empty(c) for t, c in self.tables.items()}
        acks, summary = event_acknowledgements(ctx.con, ctx.obs_end)
        return {"event_acknowledgements": acks, "event_summary": summary}


# --- candidate events ------------------------------------------------------------

_DAILY = """
SELECT a.country, CAST(r.message_created_at AS DATE) AS day,
       count(DISTINCT r.platform || chr(31) || r.message_id) AS n,
       min(r.message_created_at) AS first_at
FROM responses r
JOIN accounts a ON a.official AND a.platform = r.platform
               AND lower(a.author) = lower(r.official_author)
WHERE r.critical AND a.country IS NOT NULL
GROUP BY ALL
"""

_HASHTAGS = rf"""
WITH msgs AS (
    SELECT DISTINCT f.country, f.day, r.platform, r.message_id
    FROM _bursts f
    JOIN accounts a ON a.official AND a.country = f.country
    JOIN responses r ON r.platform = a.platform AND lower(r.official_author) = lower(a.author)
                    AND CAST(r.message_created_at AS DATE) = f.day AND r.critical
),
tags AS (
    SELECT m.country, m.day,
           lower(unnest(regexp_extract_all(p.text, '#([{WORD_CHARS}]+)', 1))) AS tag
    FROM msgs m JOIN posts p ON p.platform = m.platform AND p.post_id = m.message_id
),
counted AS (
    SELECT country, day, tag, count(*) AS n FROM tags GROUP BY country, day, tag
    QUALIFY row_number() OVER (PARTITION BY country, day ORDER BY count(*) DESC, tag)
            <= {TOP_HASHTAGS}
)
SELECT country, day, string_agg('#' || tag, ' ' ORDER BY n DESC, tag) AS top_hashtags
FROM counted GROUP BY ALL
"""

_KNOWN = """
SELECT f.country, f.day, string_agg(e.event_id, ';' ORDER BY e.event_id) AS known_event_ids
FROM _bursts f
JOIN events e ON (e.country IS NULL OR upper(e.country) = f.country)
             AND CAST(e.onset AS DATE) BETWEEN f.day - 1 AND f.day
GROUP BY ALL
"""


def daily_bursts(
    daily: pd.DataFrame,
    first_day,
    last_day,
    rules: BurstSettings | None = None,
) -> pd.DataFrame:
    """Flag (country, day) counts above each country's own trailing baseline.

    ``daily`` has country, day, n, first_at; days absent from it count as 0
    between ``first_day`` and ``last_day``.
    """
    rules = rules or BurstSettings()
    sd, baseline_days = float(rules.sd), int(rules.baseline_days)
    min_baseline_days, min_messages = int(rules.min_baseline_days), int(rules.min_messages)
    days = pd.date_range(pd.Timestamp(first_day), pd.Timestamp(last_day), freq="D")
    out = []
    for country, group in daily.groupby("country", sort=True):
        counts = (
            group.assign(day=pd.to_datetime(group["day"]))
            .set_index("day")["n"].astype(float)
            .reindex(days, fill_value=0.0)
        )
        history = counts.shift(1).rolling(baseline_days, min_periods=min_baseline_days)
        frame = pd.DataFrame(
            {
                "country": country,
                "day": days,
                "critical_messages": counts.to_numpy(),
                "baseline_days": history.count().to_numpy(),
                "baseline_mean": history.mean().to_numpy(),
                "baseline_sd": history.std(ddof=1).fillna(0.0).to_numpy(),
            }
        )
        frame["threshold"] = frame["baseline_mean"] + sd * frame["baseline_sd"]
        flagged = (
            frame["baseline_mean"].notna()
            & (frame["critical_messages"] >= min_messages)
            & (frame["critical_messages"] > frame["threshold"])
        )
        out.append(frame[flagged])
    result = pd.concat(out, ignore_index=True)
    result["day"] = result["day"].dt.date
    result["critical_messages"] = result["critical_messages"].astype("int64")
    result["baseline_days"] = result["baseline_days"].astype("int64")
    return result


def candidate_events(con, rules: BurstSettings | None = None) -> pd.DataFrame:
    """Rows of ``candidate_events``."""
    daily = con.execute(_DAILY).df()
    if daily.empty:
        return _empty(CANDIDATE_EVENTS_COLUMNS)
    span = con.execute(
        "SELECT CAST(min(message_created_at) AS DATE), CAST(max(message_created_at) AS DATE) "
        "FROM responses"
    ).fetchall()[0]
    bursts = daily_bursts(daily, span[0], span[1], rules)
    if bursts.empty:
        return _empty(CANDIDATE_EVENTS_COLUMNS)
    firsts = daily.assign(day=pd.to_datetime(daily["day"]).dt.date)[["country", "day", "first_at"]]
    bursts = bursts.merge(firsts, on=["country", "day"], how="left")
    con.register("_bursts", bursts[["country", "day"]])
    try:
        hashtags = con.execute(_HASHTAGS).df()
        known = con.execute(_KNOWN).df()
    finally:
        con.unregister("_bursts")
    for extra in (hashtags, known):
        if len(extra):
            extra["day"] = pd.to_datetime(extra["day"]).dt.date
    bursts = bursts.merge(hashtags, on=["country", "day"], how="left")
    bursts = bursts.merge(known, on=["country", "day"], how="left")
    bursts = bursts.rename(columns={"first_at": "first_message_at"})
    return bursts.sort_values(["day", "country"])[list(CANDIDATE_EVENTS_COLUMNS)].reset_index(
        drop=True)


@register_metric
class CriticalBursts(Metric):
    name = "critical_bursts"
    description = (
        "Candidate events: days on which a country's inbound messages tagged critical burst "
        "above its own trailing baseline, with suggested keywords, for a person to confirm."
    )
    tables = {"candidate_events": CANDIDATE_EVENTS_COLUMNS}
    column_meanings = {"candidate_events": CANDIDATE_MEANINGS}

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        if ctx.obs_end is None:
            return {"candidate_events": _empty(CANDIDATE_EVENTS_COLUMNS)}
        return {"candidate_events": candidate_events(ctx.con, ctx.settings.bursts)}
