"""Activity of official accounts and platform-wide silences (DESIGN "Activity").

Per official account (``account_activity``), counting its posts of every kind
created no later than the observation end:

- ``posts_per_week``: posts / observed weeks, where the observed period runs
  from the first post of any author on that platform in the store to the
  observation end (the span the data covers, the same for every account of
  the platform).
- ``dialogue_share``: the share of the account's posts that reply to the
  public: posts whose parent post (or, when the parent is not in the data, the
  author named as replied to) belongs to a non-official author.
- ``longest_silence_hours`` (with start and end): the longest gap between two
  consecutive posts of the account, or between its last post and the
  observation end (then ``longest_silence_ongoing``). The time before the
  account's first post is not a silence (the data may simply not reach back).
- ``days_since_last_post``: observation end - last post, in days.

Platform-wide silences (``platform_silences``), per platform and country of the
accounts (plus all countries together when the platform has accounts of more
than one), over whole UTC hours between each account's first post and the
observation end:

1. An account is *usually active* at an hour of the week (Monday 00:00-00:59
   UTC ... Sunday 23:00-23:59) when it posted in that hour in at least
   ``silences.usual_share`` (default 0.5) of the weeks it was observed, over at
   least ``silences.min_weeks`` (default 2) such weeks.
2. An hour is *silent* when at least ``silences.min_accounts`` (default 5)
   accounts are usually active at its hour of the week and at least
   ``silences.share`` (default 0.8) of them posted nothing in it.
3. Consecutive silent hours form one silence; silences shorter than
   ``silences.min_hours`` (default 2) hours are dropped.

Many accounts falling silent together, at hours when they normally post, is the
signature of a blocked platform, a network shutdown or an outage; a single
account's silence is not.
"""

from __future__ import annotations

import pandas as pd

from govwatch.schema import is_private_sql

from .registry import Metric, MetricContext, register_metric
from .settings import SilenceSettings

ACCOUNT_ACTIVITY_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "posts": "BIGINT",
    "first_post_at": "TIMESTAMP WITH TIME ZONE",
    "last_post_at": "TIMESTAMP WITH TIME ZONE",
    "observed_weeks": "DOUBLE",
    "posts_per_week": "DOUBLE",
    "replies_to_public": "BIGINT",
    "dialogue_share": "DOUBLE",
    "longest_silence_hours": "DOUBLE",
    "longest_silence_start": "TIMESTAMP WITH TIME ZONE",
    "longest_silence_end": "TIMESTAMP WITH TIME ZONE",
    "longest_silence_ongoing": "BOOLEAN",
    "days_since_last_post": "DOUBLE",
    "day_precision_posts": "BIGINT",
    "longest_silence_outage_hours": "DOUBLE",
    "longest_silence_outage_ids": "VARCHAR",
    "longest_silence_outside_outages_hours": "DOUBLE",
}
WEEKLY_POSTS_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "week": "TIMESTAMP WITH TIME ZONE",
    "posts": "BIGINT",
}
WEEKLY_POSTS_MEANINGS = {
    "platform": "Platform",
    "official_author": "Official account",
    "week": "Start of the week (Monday 00:00 UTC); every week from the platform's first post "
    "in the data to observation end, weeks without posts included",
    "posts": "Posts of the account that week (public posts only, up to observation end)",
}
PLATFORM_SILENCES_COLUMNS = {
    "platform": "VARCHAR",
    "country": "VARCHAR",
    "start_at": "TIMESTAMP WITH TIME ZONE",
    "end_at": "TIMESTAMP WITH TIME ZONE",
    "hours": "BIGINT",
    "expected_accounts_min": "BIGINT",
    "expected_accounts_max": "BIGINT",
    "silent_share_min": "DOUBLE",
}
ACTIVITY_MEANINGS = {
    "platform": "Platform of the official account",
    "official_author": "Official account (in clear)",
    "posts": "Posts of every kind by the account up to observation end",
    "first_post_at": "First post of the account in the data (UTC)",
    "last_post_at": "Last post of the account up to observation end (UTC)",
    "observed_weeks": "Weeks from the platform's first post in the data to observation end",
    "posts_per_week": "posts / observed_weeks",
    "replies_to_public": "Posts of the account that reply to a non-official author",
    "dialogue_share": "replies_to_public / posts",
    "longest_silence_hours": "Longest gap between consecutive posts, or from the last post to observation end, in hours",
    "longest_silence_start": "Start of the longest silence (the post before it, UTC)",
    "longest_silence_end": "End of the longest silence (the post after it, or observation end, UTC)",
    "longest_silence_ongoing": "The longest silence lasts until observation end",
    "days_since_last_post": "Observation end - last_post_at in days",
    "day_precision_posts": "Posts of the account whose time was written as a date alone and "
                           "taken as midnight (ingest --day-precision): silences, posts per "
                           "week and days since the last post are known to the day only. 0: "
                           "every post has its time of day",
    "longest_silence_outage_hours": "Hours of the longest silence inside outage windows that cover the platform in the account's country (0 when none)",
    "longest_silence_outage_ids": "Outage records (outages.outage_id, ';'-separated) overlapping the longest silence",
    "longest_silence_outside_outages_hours": "Longest gap between posts (or to observation end) with outage hours left out: the account's own silence",
}
SILENCE_MEANINGS = {
    "platform": "Platform",
    "country": "Country of the accounts (ISO 3166 alpha-2); empty means all countries",
    "start_at": "Start of the first silent hour (UTC)",
    "end_at": "End of the last silent hour (UTC)",
    "hours": "Consecutive silent hours",
    "expected_accounts_min": "Fewest accounts usually active at one of these hours",
    "expected_accounts_max": "Most accounts usually active at one of these hours",
    "silent_share_min": "Lowest share of those accounts that were silent in one of these hours",
}

_OFFICIAL_POSTS = """
CREATE OR REPLACE TEMP TABLE _act_posts AS
SELECT p.platform, o.author, upper(o.country) AS country, p.post_id, p.created_at,
       coalesce(parent.author, p.in_reply_to_author) AS replied_to,
       coalesce(p.day_precision, false) AS day_precision
FROM posts p
JOIN accounts o ON o.official AND o.platform = p.platform AND lower(o.author) = lower(p.author)
LEFT JOIN posts parent ON parent.platform = p.platform
                      AND parent.post_id = p.in_reply_to_post_id
WHERE p.created_at <= $obs_end AND NOT """ + is_private_sql("p")

_WEEKLY = """
WITH starts AS (
    SELECT platform, date_trunc('week', min(created_at)) AS w0 FROM posts
    WHERE created_at <= $obs_end GROUP BY platform
),
weeks AS (
    SELECT platform, unnest(generate_series(w0, date_trunc('week', $obs_end::TIMESTAMPTZ),
                                            INTERVAL 7 DAY)) AS week
    FROM starts
),
counts AS (
    SELECT platform, author, date_trunc('week', created_at) AS week, count(*) AS posts
    FROM _act_posts GROUP BY ALL
)
SELECT a.platform, a.official_author, w.week, coalesce(c.posts, 0) AS posts
FROM _act_accounts a
JOIN weeks w ON w.platform = a.platform
LEFT JOIN counts c ON c.platform = a.platform AND c.author = a.official_author
                  AND c.week = w.week
ORDER BY a.platform, a.official_author, w.week
"""

_ACTIVITY = """
WITH starts AS (
    SELECT platform, min(created_at) AS data_start FROM posts
    WHERE created_at <= $obs_end GROUP BY platform
),
public_reply AS (
    SELECT ap.*, ap.replied_to IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM accounts o WHERE o.official AND o.platform = ap.platform
                                   AND lower(o.author) = lower(ap.replied_to)) AS to_public
    FROM _act_posts ap
),
stats AS (
    SELECT platform, author, count(*) AS posts, min(created_at) AS first_at,
           max(created_at) AS last_at, count(*) FILTER (WHERE to_public) AS replies_to_public,
           count(*) FILTER (WHERE day_precision) AS day_posts
    FROM public_reply GROUP BY ALL
),
gaps AS (
    SELECT platform, author,
           lag(created_at) OVER (PARTITION BY platform, author ORDER BY created_at, post_id)
               AS gap_start,
           created_at AS gap_end, false AS ongoing
    FROM _act_posts
    UNION ALL
    SELECT platform, author, max(created_at), $obs_end, true FROM _act_posts GROUP BY ALL
),
longest AS (
    SELECT platform, author, gap_start, gap_end, ongoing,
           epoch(gap_end - gap_start) / 3600.0 AS hours
    FROM gaps WHERE gap_start IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY platform, author
                               ORDER BY epoch(gap_end - gap_start) DESC, gap_start) = 1
)
SELECT a.platform, a.author AS official_author,
       coalesce(s.posts, 0) AS posts,
       s.first_at AS first_post_at, s.last_at AS last_post_at,
       epoch($obs_end - st.data_start) / 604800.0 AS observed_weeks,
       CASE WHEN $obs_end > st.data_start
            THEN coalesce(s.posts, 0) / (epoch($obs_end - st.data_start) / 604800.0) END
           AS posts_per_week,
       coalesce(s.replies_to_public, 0) AS replies_to_public,
       CASE WHEN s.posts > 0 THEN s.replies_to_public / s.posts END AS dialogue_share,
       l.hours AS longest_silence_hours,
       l.gap_start AS longest_silence_start, l.gap_end AS longest_silence_end,
       l.ongoing AS longest_silence_ongoing,
       epoch($obs_end - s.last_at) / 86400.0 AS days_since_last_post,
       coalesce(s.day_posts, 0) AS day_precision_posts
FROM accounts a
LEFT JOIN stats s ON s.platform = a.platform AND s.author = a.author
LEFT JOIN longest l ON l.platform = a.platform AND l.author = a.author
LEFT JOIN starts st ON st.platform = a.platform
WHERE a.official
ORDER BY a.platform, a.author
"""

_SILENCES = """
WITH bounds AS (SELECT date_trunc('hour', CAST($obs_end AS TIMESTAMP WITH TIME ZONE)) AS end_h),
spans AS (
    SELECT platform, author, any_value(country) AS country,
           date_trunc('hour', min(created_at)) AS start_h
    FROM _act_posts GROUP BY platform, author
),
active AS (
    SELECT DISTINCT platform, author, date_trunc('hour', created_at) AS h FROM _act_posts
),
grid AS (
    SELECT s.platform, s.author, s.country,
           unnest(generate_series(s.start_h, b.end_h - INTERVAL 1 HOUR, INTERVAL 1 HOUR)) AS h
    FROM spans s, bounds b WHERE s.start_h < b.end_h
),
cells AS (
    SELECT g.platform, g.author, coalesce(g.country, '') AS country, g.h,
           (isodow(g.h) - 1) * 24 + hour(g.h) AS how,
           a.h IS NOT NULL AS posted
    FROM grid g LEFT JOIN active a USING (platform, author, h)
),
usual AS (
    SELECT platform, author, how FROM cells GROUP BY ALL
    HAVING count(*) >= $min_weeks AND avg(CAST(posted AS INTEGER)) >= $usual_share
),
per_hour AS (
    SELECT c.platform,
           CASE WHEN grouping(c.country) = 1 THEN '*' ELSE c.country END AS scope,
           c.h, count(*) AS expected, count(*) FILTER (WHERE NOT c.posted) AS silent
    FROM cells c SEMI JOIN usual u USING (platform, author, how)
    GROUP BY GROUPING SETS ((c.platform, c.country, c.h), (c.platform, c.h))
),
countries AS (
    SELECT platform, count(DISTINCT coalesce(upper(country), '')) AS n
    FROM accounts WHERE official GROUP BY platform
),
silent AS (
    SELECT p.platform, p.scope, p.h, p.expected, p.silent / p.expected AS share,
           p.h - to_hours(row_number() OVER (PARTITION BY p.platform, p.scope ORDER BY p.h))
               AS island
    FROM per_hour p JOIN countries c USING (platform)
    WHERE p.expected >= $min_accounts AND p.silent / p.expected >= $share
      AND (p.scope <> '*' OR c.n > 1)
)
SELECT platform, CASE WHEN scope IN ('*', '') THEN NULL ELSE scope END AS country,
       min(h) AS start_at, max(h) + INTERVAL 1 HOUR AS end_at, count(*) AS hours,
       min(expected) AS expected_accounts_min, max(expected) AS expected_accounts_max,
       min(share) AS silent_share_min
FROM silent
GROUP BY platform, scope, island
HAVING count(*) >= $min_hours
ORDER BY platform, country NULLS FIRST, start_at
"""


_GAPS = """
WITH gaps AS (
    SELECT platform, author, country,
           lag(created_at) OVER (PARTITION BY platform, author ORDER BY created_at, post_id)
               AS gap_start,
           created_at AS gap_end
    FROM _act_posts
    UNION ALL
    SELECT platform, author, any_value(country), max(created_at), $obs_end
    FROM _act_posts GROUP BY platform, author
),
overlap AS (
    SELECT g.platform, g.author, g.gap_start, g.gap_end,
           sum(epoch(least(g.gap_end, w.end_at) - greatest(g.gap_start, w.start_at)))
               / 3600.0 AS outage_hours,
           string_agg(w.outage_ids, ';' ORDER BY w.start_at) AS outage_ids
    FROM gaps g JOIN _act_outages w ON w.platform = g.platform AND w.country = g.country
         AND w.start_at < g.gap_end AND w.end_at > g.gap_start
    WHERE g.gap_start IS NOT NULL
    GROUP BY ALL
)
SELECT g.platform, g.author AS official_author, g.gap_start, g.gap_end,
       coalesce(o.outage_hours, 0.0) AS outage_hours, o.outage_ids,
       epoch(g.gap_end - g.gap_start) / 3600.0 - coalesce(o.outage_hours, 0.0) AS own_hours
FROM gaps g LEFT JOIN overlap o USING (platform, author, gap_start, gap_end)
WHERE g.gap_start IS NOT NULL
"""


def _outage_windows(con, obs_end) -> pd.DataFrame:
    """Outage records with an end, per platform of the official accounts they cover in
    their country, overlapping records merged: platform, country, start_at, end_at,
    outage_ids. (Records without an end are left out, as for outage latencies.)"""
    rows = con.execute("""
        SELECT DISTINCT a.platform, upper(o.country) AS country, o.start_at, o.end_at,
               o.outage_id
        FROM outages o JOIN accounts a ON a.official AND upper(a.country) = upper(o.country)
             AND (list_contains(o.scope, 'internet') OR list_contains(o.scope, a.platform))
        WHERE o.end_at IS NOT NULL AND o.start_at <= $obs_end
        ORDER BY 1, 2, 3, 5""", {"obs_end": obs_end}).fetchall()
    merged: list[list] = []
    for platform, country, start, end, outage_id in rows:
        last = merged[-1] if merged else None
        if last and last[0] == platform and last[1] == country and start <= last[3]:
            last[3] = max(last[3], end)
            last[4] += f";{outage_id}"
        else:
            merged.append([platform, country, start, end, outage_id])
    return pd.DataFrame(merged, columns=["platform", "country", "start_at", "end_at",
                                         "outage_ids"])


def _silences_outside_outages(con, obs_end, activity: pd.DataFrame) -> pd.DataFrame:
    """``activity`` with the longest silence's outage hours and ids, and the longest
    silence once outage hours are left out of every gap."""
    windows = _outage_windows(con, obs_end)
    out = activity.assign(
        longest_silence_outage_hours=activity["longest_silence_hours"].where(
            activity["longest_silence_hours"].isna(), 0.0),
        longest_silence_outage_ids=None,
        longest_silence_outside_outages_hours=activity["longest_silence_hours"])
    if windows.empty:
        return out
    windows["start_at"] = pd.to_datetime(windows["start_at"], utc=True)
    windows["end_at"] = pd.to_datetime(windows["end_at"], utc=True)
    con.register("_act_outages", windows)
    try:
        gaps = con.execute(_GAPS, {"obs_end": obs_end}).df()
    finally:
        con.unregister("_act_outages")
    key = ["platform", "official_author"]
    own = gaps.groupby(key, as_index=False)["own_hours"].max()
    longest = out[key + ["longest_silence_start", "longest_silence_end"]].merge(
        gaps.rename(columns={"gap_start": "longest_silence_start",
                             "gap_end": "longest_silence_end"}),
        on=key + ["longest_silence_start", "longest_silence_end"], how="left")
    out = out.drop(columns=["longest_silence_outage_hours", "longest_silence_outage_ids",
                            "longest_silence_outside_outages_hours"])
    out = out.merge(longest[key + ["outage_hours", "outage_ids"]].drop_duplicates(key),
                    on=key, how="left").merge(own, on=key, how="left")
    return out.rename(columns={"outage_hours": "longest_silence_outage_hours",
                               "outage_ids": "longest_silence_outage_ids",
                               "own_hours": "longest_silence_outside_outages_hours"}).assign(
        longest_silence_outage_hours=lambda d: d["longest_silence_outage_hours"].where(
            d["longest_silence_hours"].isna(), d["longest_silence_outage_hours"].fillna(0.0)))


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def activity_tables(con, obs_end, rules: SilenceSettings | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Rows of ``account_activity``, ``platform_silences`` (silences by ``rules``) and
    ``weekly_posts`` (each account's posts per UTC week, the dashboard's activity chart)."""
    rules = rules or SilenceSettings()
    con.execute(_OFFICIAL_POSTS, {"obs_end": obs_end})
    try:
        activity = _silences_outside_outages(
            con, obs_end, con.execute(_ACTIVITY, {"obs_end": obs_end}).df())
        params = {
            "obs_end": obs_end,
            "share": float(rules.share),
            "usual_share": float(rules.usual_share),
            "min_accounts": int(rules.min_accounts),
            "min_hours": int(rules.min_hours),
            "min_weeks": int(rules.min_weeks),
        }
        silences = con.execute(_SILENCES, params).df()
        con.register("_act_accounts", activity[["platform", "official_author"]])
        weekly = con.execute(_WEEKLY, {"obs_end": obs_end}).df()
    finally:
        con.execute("DROP TABLE IF EXISTS _act_posts")
        con.unregister("_act_accounts")
    return (
        activity[list(ACCOUNT_ACTIVITY_COLUMNS)],
        silences[list(PLATFORM_SILENCES_COLUMNS)],
        weekly[list(WEEKLY_POSTS_COLUMNS)],
    )


@register_metric
class Activity(Metric):
    name = "activity"
    description = (
        "Per official account: posts per week, dialogue share, longest silence, days since "
        "the last post; and hours in which most usually-active accounts fell silent together."
    )
    tables = {
        "account_activity": ACCOUNT_ACTIVITY_COLUMNS,
        "platform_silences": PLATFORM_SILENCES_COLUMNS,
        "weekly_posts": WEEKLY_POSTS_COLUMNS,
    }
    column_meanings = {
        "account_activity": ACTIVITY_MEANINGS,
        "platform_silences": SILENCE_MEANINGS,
        "weekly_posts": WEEKLY_POSTS_MEANINGS,
    }
    table_descriptions = {
        "account_activity": "posting activity over time",
        "platform_silences": "platform-wide silences",
        "weekly_posts": "posts per week",
    }
    canonical_only = True  # posts and accounts only: analyze may compute it while tagging

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        if ctx.obs_end is None:
            return {t: _empty(c) for t, c in self.tables.items()}
        activity, silences, weekly = activity_tables(ctx.con, ctx.obs_end,
                                                     ctx.settings.silences)
        return {"account_activity": activity, "platform_silences": silences,
                "weekly_posts": weekly}
