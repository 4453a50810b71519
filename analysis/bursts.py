"""Candidate events: bursts of critical messages that look like events nobody has
named yet, with what a person needs to judge them.

Series: inbound messages tagged critical, per country (the addressed official's: the
only place the data model knows) and UTC day, over all topics and per topic.

Baseline, robust so a spike cannot inflate it: for each day, the median ``m`` and the
median absolute deviation ``MAD`` of the previous ``bursts.baseline_days`` days (28;
days without such messages count as 0; at least ``bursts.min_baseline_days`` = 7 days of
history). Scale = max(1.4826 x MAD, sqrt(max(m, 1))): the MAD of a normal sample's
standard deviation, never below the Poisson spread of a count with that median (a
quiet series has MAD 0). A day is flagged when its count is at least
``bursts.min_messages`` (10) and above m + ``bursts.k`` (4) x scale. On the sample, the
derailment's burst of well over a hundred messages in the baseline moves the median by
at most one day's count, where it moved the old mean-and-SD threshold from 14 to about 95.

Flagged days of one series with at most one unflagged day between them are one candidate:
``day`` is its first day, ``last_day`` and ``burst_days`` its extent, ``critical_messages``
the first day's count and ``episode_messages`` the whole burst's. A topic's burst is
listed only when no all-topics burst of its country overlaps it (it is then news the
country total did not show).

Each candidate is also treated as an event, as a person confirming it would: onset =
its first critical message, keywords = its top hashtags, the country's official
accounts in scope. Its acknowledgements and public lead (``candidate_acknowledgements``,
``candidate_summary``, the same columns and rules as ``event_acknowledgements`` and
``event_summary`` with ``event_id`` = ``candidate_id``) are what the dashboard shows
behind "treat as event". They are suggestions, never events: confirm them in the events
file.

Candidates grow with the store and so do the posts of each hashtag, so those tables are
not computed from a row per (candidate, matching post) as named events' are, but from
aggregates that grow with the matching posts only (:func:`keyword_aggregates`): each
post once with the set of keywords it matches, reduced per set to its distinct times
with the first post and the count from then on; a candidate takes, per set sharing one
of its keywords, the first time at or after its onset. The tables are the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .events import (
    _IN_SCOPE,
    _MATCH_ONE,
    _OFFICIALS,
    EVENT_ACKNOWLEDGEMENTS_COLUMNS,
    EVENT_SUMMARY_COLUMNS,
    WORD_CHARS,
    _empty,
    acknowledgements,
    keyword_regex,
)
from .registry import Metric, MetricContext, register_metric
from .settings import BurstSettings

TOP_HASHTAGS = 5
MAD_TO_SD = 1.4826
ALL_TOPICS = None

CANDIDATE_EVENTS_COLUMNS = {
    "candidate_id": "VARCHAR",
    "country": "VARCHAR",
    "topic": "VARCHAR",
    "day": "DATE",
    "last_day": "DATE",
    "burst_days": "BIGINT",
    "critical_messages": "BIGINT",
    "episode_messages": "BIGINT",
    "baseline_days": "BIGINT",
    "baseline_median": "DOUBLE",
    "baseline_mad": "DOUBLE",
    "baseline_mean": "DOUBLE",
    "baseline_sd": "DOUBLE",
    "threshold": "DOUBLE",
    "first_message_at": "TIMESTAMP WITH TIME ZONE",
    "top_hashtags": "VARCHAR",
    "known_event_ids": "VARCHAR",
}
CANDIDATE_MEANINGS = {
    "candidate_id": "country-first day[-topic]: the candidate's identifier",
    "country": "Country of the addressed official accounts (ISO 3166 alpha-2)",
    "topic": "Topic of the burst; empty: all topics",
    "day": "UTC day the burst starts",
    "last_day": "UTC day it ends (flagged days at most one day apart are one burst)",
    "burst_days": "Flagged days in the burst",
    "critical_messages": "Inbound messages tagged critical on the first day",
    "episode_messages": "Inbound messages tagged critical from day to last_day",
    "baseline_days": "Days of history in the baseline window before the first day",
    "baseline_median": "Median daily critical messages over the baseline window",
    "baseline_mad": "Median absolute deviation of those daily counts",
    "baseline_mean": "Mean daily critical messages over the baseline window (for reference)",
    "baseline_sd": "Standard deviation (n-1) of those daily counts (for reference)",
    "threshold": "baseline_median + bursts.k x max(1.4826 x baseline_mad, sqrt(max(median, 1)))",
    "first_message_at": "First critical message of the first day (UTC): a suggested onset",
    "top_hashtags": "Most frequent hashtags in those messages: suggested keywords",
    "known_event_ids": "Events already in the events table for that country with onset "
                       "from the day before the burst to its last day",
}

_DAILY = """
SELECT a.country, r.topic, CAST(r.message_created_at AS DATE) AS day,
       count(DISTINCT r.platform || chr(31) || r.message_id) AS n,
       min(r.message_created_at) AS first_at
FROM responses r
JOIN accounts a ON a.official AND a.platform = r.platform
               AND lower(a.author) = lower(r.official_author)
WHERE r.critical AND a.country IS NOT NULL
GROUP BY GROUPING SETS ((a.country, r.topic, day), (a.country, day))
"""

_HASHTAGS = rf"""
WITH msgs AS (
    SELECT DISTINCT f.candidate_id, r.platform, r.message_id
    FROM _bursts f
    JOIN accounts a ON a.official AND a.country = f.country
    JOIN responses r ON r.platform = a.platform AND lower(r.official_author) = lower(a.author)
                    AND CAST(r.message_created_at AS DATE) = f.day AND r.critical
                    AND (f.topic IS NULL OR r.topic = f.topic)
),
tags AS (
    SELECT m.candidate_id,
           lower(unnest(regexp_extract_all(p.text, '#([{WORD_CHARS}]+)', 1))) AS tag
    FROM msgs m JOIN posts p ON p.platform = m.platform AND p.post_id = m.message_id
),
counted AS (
    SELECT candidate_id, tag, count(*) AS n FROM tags GROUP BY candidate_id, tag
    QUALIFY row_number() OVER (PARTITION BY candidate_id ORDER BY count(*) DESC, tag)
            <= {TOP_HASHTAGS}
)
SELECT candidate_id, string_agg('#' || tag, ' ' ORDER BY n DESC, tag) AS top_hashtags
FROM counted GROUP BY ALL
"""

_KNOWN = """
SELECT f.candidate_id, string_agg(e.event_id, ';' ORDER BY e.event_id) AS known_event_ids
FROM _bursts f
JOIN events e ON (e.country IS NULL OR upper(e.country) = f.country)
             AND CAST(e.onset AS DATE) BETWEEN f.day - 1 AND f.last_day
GROUP BY ALL
"""


def _window_stats(past: np.ndarray) -> np.ndarray:
    """(median, MAD, mean, sd) of each row of ``past`` (days x window)."""
    m = np.median(past, axis=1)
    sd = past.std(axis=1, ddof=1) if past.shape[1] > 1 else np.zeros(len(past))
    return np.vstack([m, np.median(np.abs(past - m[:, None]), axis=1), past.mean(axis=1), sd])


def _rolling_median_mad(history: np.ndarray, window: int, min_days: int):
    """Per day: (days, median, MAD, mean, sd) of the ``window`` days before it.

    ``history`` is one series (days) or several (series x days); the result is
    (5, days) or (5, series, days). Every row of days with a full window, of all
    series, is reduced in one contiguous matrix (each row as the day's own slice
    would be); the days with fewer days before them once per number of days."""
    history = np.asarray(history, dtype=float)
    h = history.reshape(1, -1) if history.ndim == 1 else history
    s, n = h.shape
    out = np.full((5, s, n), np.nan)
    out[0] = np.minimum(np.arange(n), window)
    if min_days <= 0:
        out[4][out[0] == 0] = 0.0  # no day before it: no median, a spread of 0
    for i in range(max(min_days, 1), min(window, n)):
        out[1:, :, i] = _window_stats(np.ascontiguousarray(h[:, :i]))
    if window >= max(min_days, 1) and n > window and s:
        past = np.lib.stride_tricks.sliding_window_view(h, window, axis=1)[:, :n - window]
        out[1:, :, window:] = _window_stats(
            np.ascontiguousarray(past).reshape(-1, window)).reshape(4, s, n - window)
    return out[:, 0] if history.ndim == 1 else out


def daily_bursts(daily: pd.DataFrame, first_day, last_day,
                 rules: BurstSettings | None = None) -> pd.DataFrame:
    """Flagged days of each (country, topic) series against its own robust baseline.

    ``daily`` has country, day, n and optionally topic (missing or None: all topics);
    days absent from it count as 0 between ``first_day`` and ``last_day``."""
    rules = rules or BurstSettings()
    k, baseline_days = float(rules.k), int(rules.baseline_days)
    min_baseline_days, min_messages = int(rules.min_baseline_days), int(rules.min_messages)
    days = pd.date_range(pd.Timestamp(first_day), pd.Timestamp(last_day), freq="D")
    if "topic" not in daily:
        daily = daily.assign(topic=None)
    daily = daily.assign(topic=daily["topic"].astype(object).where(daily["topic"].notna(), ""))
    grouped = daily.groupby(["country", "topic"], sort=True)
    keys = [(country, topic or None) for country, topic in grouped.size().index]
    if not keys:
        return pd.DataFrame()
    # one row of daily counts per series, its days as positions from the first day
    series = grouped.ngroup().to_numpy()
    at = ((pd.to_datetime(daily["day"]) - days[0]) // pd.Timedelta(days=1)).to_numpy()
    inside = (series >= 0) & (at >= 0) & (at < len(days))
    counts = np.zeros((len(keys), len(days)))
    np.add.at(counts, (series[inside], at[inside]),
              daily["n"].to_numpy(dtype=float)[inside])
    stats = _rolling_median_mad(counts, baseline_days, min_baseline_days)
    scale = np.maximum(MAD_TO_SD * stats[2], np.sqrt(np.maximum(stats[1], 1.0)))
    threshold = stats[1] + k * scale
    with np.errstate(invalid="ignore"):
        flagged = (~np.isnan(stats[1]) & (counts >= min_messages) & (counts > threshold)).ravel()
    result = pd.DataFrame({
        "country": np.repeat(np.array([c for c, _ in keys], dtype=object), len(days)),
        # object, so the all-topics series keeps None (not a string dtype's NaN)
        "topic": pd.Series(np.repeat(np.array([t for _, t in keys], dtype=object), len(days)),
                           dtype=object),
        "day": np.tile(days, len(keys)),
        "critical_messages": counts.ravel(), "baseline_days": stats[0].ravel(),
        "baseline_median": stats[1].ravel(), "baseline_mad": stats[2].ravel(),
        "baseline_mean": stats[3].ravel(), "baseline_sd": stats[4].ravel(),
        "threshold": threshold.ravel(),
    })[flagged].reset_index(drop=True)
    if result.empty:
        return result
    result["day"] = result["day"].dt.date
    result["critical_messages"] = result["critical_messages"].astype("int64")
    result["baseline_days"] = result["baseline_days"].astype("int64")
    return result


def episodes(flagged: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Consecutive flagged days (at most one day apart) of a series as one row, with
    the first day's figures; ``counts`` (country, topic, day, n) gives the whole
    burst's messages. A topic's burst overlapping an all-topics burst of its country
    is left out."""
    if flagged.empty:
        return flagged
    f = flagged.assign(topic_key=flagged["topic"].fillna("")).sort_values(
        ["country", "topic_key", "day"], kind="stable").reset_index(drop=True)
    day = pd.to_datetime(f["day"])
    same = (f["country"] == f["country"].shift()) & (f["topic_key"] == f["topic_key"].shift())
    new = ~same | ((day - day.shift()).dt.days > 2)
    f["episode"] = new.cumsum()
    first = f.groupby("episode").head(1).set_index("episode")
    first["last_day"] = f.groupby("episode")["day"].max()
    first["burst_days"] = f.groupby("episode").size()
    c = counts.assign(topic_key=counts["topic"].astype(object).where(counts["topic"].notna(), ""),
                      day=pd.to_datetime(counts["day"]).dt.date)
    first = first.reset_index(names="episode")
    spans = first[["episode", "country", "topic_key", "day", "last_day"]].merge(
        c[["country", "topic_key", "day", "n"]].rename(columns={"day": "d"}),
        on=["country", "topic_key"])
    inside = spans[(spans["d"] >= spans["day"]) & (spans["d"] <= spans["last_day"])]
    first["episode_messages"] = first["episode"].map(
        inside.groupby("episode")["n"].sum()).fillna(0).astype("int64")
    whole = first.loc[first["topic_key"] == "", ["country", "day", "last_day"]]
    pairs = first.loc[first["topic_key"] != "", ["episode", "country", "day", "last_day"]].merge(
        whole, on="country", suffixes=("", "_w"))
    overlapped = pairs.loc[(pairs["day_w"] <= pairs["last_day"])
                           & (pairs["last_day_w"] >= pairs["day"]), "episode"]
    keep = ~first["episode"].isin(overlapped)
    first = first.drop(columns=["episode"])
    first = first[keep.to_numpy()].reset_index(drop=True)
    first["candidate_id"] = [f"{c}-{d}" + (f"-{t}" if t else "") for c, d, t in
                             zip(first["country"], first["day"], first["topic_key"], strict=True)]
    return first.drop(columns=["topic_key"])


def candidate_events(con, rules: BurstSettings | None = None) -> pd.DataFrame:
    """Rows of ``candidate_events``."""
    daily = con.execute(_DAILY).df()
    if daily.empty:
        return _empty(CANDIDATE_EVENTS_COLUMNS)
    # GROUPING SETS: topic NULL from the (country, day) set is the all-topics series;
    # messages without a topic form their own series under "not tagged".
    daily = daily.copy()
    totals = daily.groupby(["country", "day"])["n"].transform("max")
    whole = daily["topic"].isna() & (daily["n"] == totals)
    dup = daily[whole].duplicated(["country", "day"], keep="first")
    daily.loc[daily[whole].index[dup.to_numpy()], "topic"] = "not tagged"
    daily.loc[daily["topic"].isna() & ~whole, "topic"] = "not tagged"
    span = con.execute(
        "SELECT CAST(min(message_created_at) AS DATE), CAST(max(message_created_at) AS DATE) "
        "FROM responses").fetchall()[0]
    flagged = daily_bursts(daily, span[0], span[1], rules)
    if flagged.empty:
        return _empty(CANDIDATE_EVENTS_COLUMNS)
    bursts = episodes(flagged, daily)
    firsts = daily.assign(day=pd.to_datetime(daily["day"]).dt.date,
                          topic=daily["topic"].astype(object))
    firsts = firsts.groupby(["country", "day"], as_index=False)["first_at"].min()
    bursts = bursts.merge(firsts, on=["country", "day"], how="left")
    con.register("_bursts", bursts[["candidate_id", "country", "topic", "day", "last_day"]])
    try:
        hashtags = con.execute(_HASHTAGS).df()
        known = con.execute(_KNOWN).df()
    finally:
        con.unregister("_bursts")
    bursts = bursts.merge(hashtags, on="candidate_id", how="left")
    bursts = bursts.merge(known, on="candidate_id", how="left")
    bursts = bursts.rename(columns={"first_at": "first_message_at"})
    return bursts.sort_values(["day", "country", "candidate_id"])[
        list(CANDIDATE_EVENTS_COLUMNS)].reset_index(drop=True)


# Posts matching one keyword's pattern: events' own matching query, into a table of
# (keyword number, post) instead of (event, post); $event_id is the keyword's number and
# $onset the earliest onset.
_KEYWORD_POSTS = _MATCH_ONE.replace("INSERT INTO _ev_matches", "INSERT INTO _cand_kw_posts")


def _keyword_posts(con, obs_end, source: str) -> bool:
    """Fill ``_ev_officials``, ``_cand_kw_posts`` (keyword number, matching post, from the
    earliest onset) and ``_cand_kw_wanted`` (event_id, onset, keyword number); False
    when no event has a keyword with a word in it (the last two are then not made)."""
    con.execute(_OFFICIALS)
    events = con.execute(
        f"SELECT event_id, keywords, onset FROM {source} WHERE onset <= ? ORDER BY event_id",
        [obs_end]).fetchall()
    patterns: dict[str, int] = {}
    wanted = []  # (event_id, onset, keyword number)
    for event_id, keywords, onset in events:
        for keyword in keywords or []:
            pattern = keyword_regex([keyword])
            if pattern is not None:
                wanted.append((event_id, onset, patterns.setdefault(pattern, len(patterns))))
    if not wanted:
        return False
    con.execute("CREATE OR REPLACE TEMP TABLE _cand_kw_posts (kw INTEGER, platform VARCHAR, "
                "post_id VARCHAR, la VARCHAR, created_at TIMESTAMP WITH TIME ZONE, "
                "official BOOLEAN, day BOOLEAN)")
    since = min(onset for _, onset, _ in wanted)
    for pattern, kw in patterns.items():
        con.execute(_KEYWORD_POSTS, {"event_id": kw, "onset": since,
                                     "obs_end": obs_end, "pattern": pattern})
    con.register("_cand_kw_frame", pd.DataFrame(wanted, columns=["event_id", "onset", "kw"]))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _cand_kw_wanted AS SELECT DISTINCT "
                    "event_id::VARCHAR AS event_id, onset::TIMESTAMPTZ AS onset, "
                    "kw::INTEGER AS kw FROM _cand_kw_frame")
    finally:
        con.unregister("_cand_kw_frame")
    return True


# Each matching post once, with its signature: the set of keywords it matches, as a
# number. Posts of one signature match an event exactly when the signature shares a
# keyword with the event's, so a post matching two of an event's keywords counts once.
_SIGNATURES = """
CREATE OR REPLACE TEMP TABLE _cand_posts AS
SELECT platform, post_id, any_value(la) AS la, any_value(created_at) AS created_at,
       any_value(official) AS official, any_value(day) AS day,
       list_sort(list(DISTINCT kw)) AS sig
FROM _cand_kw_posts GROUP BY platform, post_id;
CREATE OR REPLACE TEMP TABLE _cand_sigs AS
SELECT sig, row_number() OVER (ORDER BY sig) AS sig_id FROM (SELECT DISTINCT sig FROM _cand_posts);
CREATE OR REPLACE TEMP TABLE _cand_sig_events AS
SELECT DISTINCT w.event_id, w.onset, s.sig_id
FROM _cand_kw_wanted w JOIN (SELECT sig_id, unnest(sig) AS kw FROM _cand_sigs) s USING (kw)
"""

# Per signature (and platform, or official account) and distinct time: the first post at
# that time (by id) and how many posts of the signature come at or after it. The first
# of them at or after an onset (ASOF) gives the signature's first post and count since
# then; an event's are the first and the sum over its signatures.
_STEPS = """
CREATE OR REPLACE TEMP TABLE {table} AS
SELECT {keys}, sig_id, created_at,
       first(post_id ORDER BY post_id) AS first_post_id,
       first(day ORDER BY post_id) AS first_day,
       sum(count(*)) OVER (PARTITION BY {keys}, sig_id ORDER BY created_at DESC) AS n_from
FROM _cand_posts JOIN _cand_sigs USING (sig) WHERE {which} GROUP BY {keys}, sig_id, created_at
"""

_CAND_OFF = """
CREATE OR REPLACE TEMP TABLE _cand_off AS
WITH ev AS (SELECT event_id, onset, upper(country) AS country, levels, institution_types,
                   accounts FROM {source} WHERE onset <= $obs_end),
wanted AS (
    SELECT DISTINCT se.event_id, se.onset, se.sig_id, o.platform, o.la
    FROM _cand_sig_events se JOIN ev USING (event_id)
    JOIN _ev_officials o ON """ + _IN_SCOPE + """
    JOIN (SELECT DISTINCT platform, la, sig_id FROM _cand_off_steps) k
      ON k.platform = o.platform AND k.la = o.la AND k.sig_id = se.sig_id
),
firsts AS (
    SELECT w.event_id, w.platform, w.la, s.first_post_id, s.first_day, s.created_at, s.n_from
    FROM wanted w ASOF JOIN _cand_off_steps s
      ON s.platform = w.platform AND s.la = w.la AND s.sig_id = w.sig_id
     AND w.onset <= s.created_at
)
SELECT event_id, platform, la,
       first(first_post_id ORDER BY created_at, first_post_id) AS first_post_id,
       first(first_day ORDER BY created_at, first_post_id) AS first_day,
       min(created_at) AS first_at, sum(n_from)::BIGINT AS n
FROM firsts GROUP BY ALL
"""

_CAND_PUB = """
CREATE OR REPLACE TEMP TABLE _cand_pub AS
WITH wanted AS (
    SELECT se.event_id, se.onset, se.sig_id, k.platform
    FROM _cand_sig_events se
    JOIN (SELECT DISTINCT platform, sig_id FROM _cand_pub_steps) k USING (sig_id)
),
firsts AS (
    SELECT w.event_id, w.platform, s.first_post_id, s.first_day, s.created_at, s.n_from
    FROM wanted w ASOF JOIN _cand_pub_steps s
      ON s.platform = w.platform AND s.sig_id = w.sig_id AND w.onset <= s.created_at
)
SELECT event_id, platform,
       first(first_post_id ORDER BY created_at, first_post_id) AS first_post_id,
       first(first_day ORDER BY created_at, first_post_id) AS first_day,
       min(created_at) AS first_at, sum(n_from)::BIGINT AS n
FROM firsts GROUP BY ALL
"""

_TEMP_TABLES = ("_cand_kw_posts", "_cand_kw_wanted", "_cand_posts", "_cand_sigs",
                "_cand_sig_events",
                "_cand_off_steps", "_cand_pub_steps")
_AGGREGATES = ("_cand_off", "_cand_pub")


def keyword_aggregates(con, obs_end, source: str) -> dict[str, int]:
    """Fill ``_cand_off`` and ``_cand_pub`` (and ``_ev_officials``) with what
    :func:`events.acknowledgements` needs of the matching posts, the same as
    ``_ev_matches`` of :func:`events.match_events` gives, without its row per (event,
    post): each keyword's matching posts once, each post once with its signature (the
    keywords it matches), and per event only a row per signature it shares a keyword
    with (and platform, or official account in its scope). Returns the row counts
    of the tables it made (the largest are linear in the matching posts)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _cand_off (event_id VARCHAR, platform VARCHAR, "
                "la VARCHAR, first_post_id VARCHAR, first_day BOOLEAN, "
                "first_at TIMESTAMP WITH TIME ZONE, n BIGINT)")
    con.execute("CREATE OR REPLACE TEMP TABLE _cand_pub (event_id VARCHAR, platform VARCHAR, "
                "first_post_id VARCHAR, first_day BOOLEAN, "
                "first_at TIMESTAMP WITH TIME ZONE, n BIGINT)")
    rows: dict[str, int] = {}
    try:
        if not _keyword_posts(con, obs_end, source):
            return rows
        con.execute(_SIGNATURES)
        con.execute(_STEPS.format(table="_cand_off_steps", keys="platform, la",
                                  which="official"))
        con.execute(_STEPS.format(table="_cand_pub_steps", keys="platform",
                                  which="NOT official"))
        con.execute(_CAND_OFF.format(source=source), {"obs_end": obs_end})
        con.execute(_CAND_PUB)
        for t in _TEMP_TABLES + _AGGREGATES:
            rows[t] = con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
    finally:
        for t in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return rows


def candidates_as_events(con, cands: pd.DataFrame) -> None:
    """The temp table ``_cand_events``: each candidate as an event (see the module doc)."""
    as_events = pd.DataFrame({
        "event_id": cands["candidate_id"],
        "name": [f"Candidate: {t or 'critical'} burst in {c} from {d}" for t, c, d in
                 zip(cands["topic"], cands["country"], cands["day"], strict=True)],
        "onset": cands["first_message_at"],
        "keywords": [[h.lstrip("#") for h in str(t).split()] if isinstance(t, str) else []
                     for t in cands["top_hashtags"]],
        "critical": True,
        "country": cands["country"],
    })
    con.register("_cand_frame", as_events)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _cand_events AS SELECT event_id, name, "
                    "onset::TIMESTAMPTZ AS onset, keywords::VARCHAR[] AS keywords, critical, "
                    "country, NULL::VARCHAR[] AS levels, NULL::VARCHAR[] AS institution_types, "
                    "NULL::VARCHAR[] AS accounts FROM _cand_frame")
    finally:
        con.unregister("_cand_frame")


def candidate_acknowledgements(con, cands: pd.DataFrame, obs_end, rows: dict | None = None):
    """Each candidate treated as an event: the tables :func:`events.event_acknowledgements`
    gives for ``_cand_events``, from :func:`keyword_aggregates` (whose row counts go
    into ``rows`` when given)."""
    if cands.empty:
        return _empty(EVENT_ACKNOWLEDGEMENTS_COLUMNS), _empty(EVENT_SUMMARY_COLUMNS)
    candidates_as_events(con, cands)
    try:
        made = keyword_aggregates(con, obs_end, "_cand_events")
        if rows is not None:
            rows.update(made)
        return acknowledgements(
            con, obs_end, "_cand_events", "SELECT * FROM _cand_off", "SELECT * FROM _cand_pub",
            "SELECT event_id, min(first_at) AS first_at, sum(n)::BIGINT AS n "
            "FROM _cand_pub GROUP BY event_id")
    finally:
        for t in ("_cand_events",) + _AGGREGATES:
            con.execute(f"DROP TABLE IF EXISTS {t}")


@register_metric
class CriticalBursts(Metric):
    name = "critical_bursts"
    description = (
        "Candidate events: bursts of a country's inbound messages tagged critical (all "
        "topics and per topic) above a robust trailing baseline (median and MAD), with "
        "suggested keywords, and their acknowledgement as if each were an event."
    )
    tables = {"candidate_events": CANDIDATE_EVENTS_COLUMNS,
              "candidate_acknowledgements": EVENT_ACKNOWLEDGEMENTS_COLUMNS,
              "candidate_summary": EVENT_SUMMARY_COLUMNS}
    column_meanings = {"candidate_events": CANDIDATE_MEANINGS}
    table_descriptions = {
        "candidate_events": "bursts of critical messages that may be events nobody named",
        "candidate_acknowledgements": "how fast officials acknowledged each candidate event",
        "candidate_summary": "per-candidate acknowledgement summary",
    }

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        if ctx.obs_end is None:
            return {t: _empty(c) for t, c in self.tables.items()}
        cands = candidate_events(ctx.con, ctx.settings.bursts)
        acks, summary = candidate_acknowledgements(ctx.con, cands, ctx.obs_end)
        return {"candidate_events": cands, "candidate_acknowledgements": acks,
                "candidate_summary": summary}
