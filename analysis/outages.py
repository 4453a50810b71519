"""Outage windows and platform blackouts: when the officials of a country fell silent together.

- ``outage_windows``: each outage record (table ``outages``, from an outage list) in a
  country that has official accounts in the store, per platform it covers (scope
  ``internet`` covers every platform) and that those accounts use, while the data covers
  that platform: the accounts, their posts during the outage and the posts they would be
  expected to make in that time (the rate model below). An outage without an end runs to
  the observation end.
- ``platform_blackouts``: runs of whole UTC hours in which the official accounts of one
  platform and country posted nothing although they were expected to post at least
  ``silences.blackout_min_expected`` (default 10) times; at least
  ``silences.blackout_min_hours`` (default 6) hours long, with at least
  ``silences.blackout_min_accounts`` (default 2) accounts expected to post in them
  (``govwatch analyze --blackout-min-expected / --blackout-min-hours /
  --blackout-min-accounts``). The expected number is the sum over the accounts of their own rate in that hour
  of the day on that kind of day (weekday or weekend): the account's posts in such hours
  divided by the such hours it was observed (from its first post to the observation end).
  Under a Poisson model the chance of no post in a run expected to hold 10 posts is
  e^-10 (about 1 in 22,000): accounts that post at their usual rates do not fall silent
  together by chance.

- ``outage_latencies``: every inbound message whose clock (message to response, or to the
  observation end when unanswered) overlaps an outage window of the official account's
  country that covers its platform: the hours of overlap (overlapping outages counted
  once) and, as a sensitivity figure, the latency (or observed time, when censored) with
  those hours left out of the clock. The figures in ``responses`` are not changed.
  Records without an end (an "ongoing" throttling listed years ago) are left out here:
  they would put the whole clock inside an outage.
- ``outage_acknowledgements``: the same for event acknowledgements (onset to the first
  matching post, or to the observation end), per event and official account.
- ``outage_windows`` carries the record's ``kind`` and ``source`` (what the dashboard shows).

One account that went quiet (it stopped posting; its peers go on) never makes a blackout:
the other accounts' posts break the run; its own silence is ``account_activity``'s longest
silence. A blackout is then told apart by the country's other platforms during the same
hours: ``kind`` is ``platform`` when the other platforms' officials posted (only this
platform went dark: blocked, or down), ``all_platforms`` when they were expected to post
(at least 3 posts) and made fewer than a quarter of them (the internet itself; the run's
edges, where the other platforms may still post, leave a few), ``platform_unverified`` when the
country has too little on other platforms to tell. ``outage_id`` names an outage record of
that country overlapping the blackout whose scope covers the platform, when there is one
(records with an end before open-ended ones, then the latest start: the most specific).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govwatch.schema import is_private_sql

from .registry import Metric, MetricContext, register_metric

MIN_EXPECTED = 10.0
MIN_HOURS = 6
MIN_ACCOUNTS = 2
OTHER_MIN_EXPECTED = 3.0
OTHER_SILENT_SHARE = 0.25

WINDOW_COLUMNS = {
    "outage_id": "VARCHAR", "country": "VARCHAR", "region": "VARCHAR", "scope": "VARCHAR",
    "start_at": "TIMESTAMP WITH TIME ZONE", "end_at": "TIMESTAMP WITH TIME ZONE",
    "platform": "VARCHAR", "official_accounts": "BIGINT", "posts_during": "BIGINT",
    "expected_posts": "DOUBLE", "kind": "VARCHAR", "source": "VARCHAR",
}
BLACKOUT_COLUMNS = {
    "platform": "VARCHAR", "country": "VARCHAR", "start_at": "TIMESTAMP WITH TIME ZONE",
    "end_at": "TIMESTAMP WITH TIME ZONE", "hours": "BIGINT", "accounts": "BIGINT",
    "expected_posts": "DOUBLE", "other_platforms_expected": "DOUBLE",
    "other_platforms_posts": "BIGINT", "kind": "VARCHAR", "outage_id": "VARCHAR",
}

ACK_COLUMNS = {
    "event_id": "VARCHAR", "platform": "VARCHAR", "official_author": "VARCHAR",
    "censored": "BOOLEAN", "latency_hours": "DOUBLE", "observed_hours": "DOUBLE",
    "outage_hours": "DOUBLE", "latency_hours_outside_outages": "DOUBLE",
    "observed_hours_outside_outages": "DOUBLE", "outage_ids": "VARCHAR",
}

LATENCY_COLUMNS = {
    "platform": "VARCHAR", "message_id": "VARCHAR", "official_author": "VARCHAR",
    "message_created_at": "TIMESTAMP WITH TIME ZONE", "censored": "BOOLEAN",
    "latency_hours": "DOUBLE", "observed_hours": "DOUBLE", "outage_hours": "DOUBLE",
    "latency_hours_outside_outages": "DOUBLE", "observed_hours_outside_outages": "DOUBLE",
    "outage_ids": "VARCHAR",
}

def _spanning_sql(table: str, keys: str, start: str, end: str) -> str:
    """Rows of ``table`` (with platform, official_author, censored, latency_hours,
    observed_hours) whose clock, ``start`` to ``end`` (or the observation end), overlaps
    an outage with an end of the official's country covering its platform: one row per
    such outage."""
    return f"""
SELECT {keys}, s.censored, s.latency_hours, s.observed_hours, s.{start} AS clock_start,
       coalesce(s.{end}, $obs_end) AS clock_end, o.outage_id, o.start_at, o.end_at
FROM {table} s
JOIN accounts a ON a.official AND a.platform = s.platform
     AND lower(a.author) = lower(s.official_author)
JOIN outages o ON o.country = a.country
     AND (list_contains(o.scope, 'internet') OR list_contains(o.scope, s.platform))
WHERE o.end_at IS NOT NULL AND o.start_at < coalesce(s.{end}, $obs_end)
  AND o.end_at > s.{start}
ORDER BY {keys}, o.start_at
"""


_SPANNING = _spanning_sql("responses", "s.platform, s.official_author, s.message_id",
                          "message_created_at", "response_created_at")
_ACK_SPANNING = _spanning_sql("event_acknowledgements",
                              "s.event_id, s.platform, s.official_author", "onset",
                              "first_post_at")

_OFFICIAL_POSTS = """
SELECT a.platform, a.author, coalesce(a.country, '') AS country,
       date_trunc('hour', p.created_at) AS hour
FROM posts p
JOIN accounts a ON a.official AND a.platform = p.platform AND lower(a.author) = lower(p.author)
WHERE p.created_at <= $obs_end AND p.deleted_at IS NULL AND NOT """ + is_private_sql("p")


def _bin(hours: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Hour of the day (0-23), plus 24 on Saturdays and Sundays: 48 bins."""
    h = pd.DatetimeIndex(hours)
    return h.hour.to_numpy() + 24 * (h.day_of_week.to_numpy() >= 5)


class _Grid:
    """Hourly observed and expected posts of one platform and country's official accounts."""

    def __init__(self, posts: pd.DataFrame, obs_end: pd.Timestamp):
        self.start = posts["hour"].min()
        self.hours = pd.date_range(self.start, obs_end.floor("h"), freq="h")
        n = len(self.hours)
        idx = ((posts["hour"] - self.start) // pd.Timedelta(hours=1)).to_numpy()
        self.observed = np.bincount(idx, minlength=n)[:n]
        bins = _bin(self.hours)
        self.expected = np.zeros(n)
        self.active = np.zeros(n, dtype=int)  # accounts expected to post at each hour
        for _, own in posts.groupby("author"):
            first = int((own["hour"].min() - self.start) // pd.Timedelta(hours=1))
            seen = np.bincount(bins[first:], minlength=48)
            made = np.bincount(_bin(own["hour"]), minlength=48)
            rate = np.divide(made, seen, out=np.zeros(48), where=seen > 0)
            self.expected[first:] += rate[bins[first:]]
            self.active[first:] += rate[bins[first:]] > 0

    def between(self, start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, float]:
        """(observed, expected) posts in [start, end)."""
        if len(self.hours) == 0:
            return 0, 0.0
        lo = max(0, int((start - self.start) // pd.Timedelta(hours=1)))
        hi = min(len(self.hours), max(lo, int(np.ceil((end - self.start) / pd.Timedelta(hours=1)))))
        return int(self.observed[lo:hi].sum()), float(self.expected[lo:hi].sum())


def _zero_runs(observed: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges of consecutive hours without a post."""
    zero = np.concatenate(([False], observed == 0, [False]))
    edges = np.flatnonzero(np.diff(zero.astype(int)))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _covers(scope, platform: str) -> bool:
    return scope is not None and ("internet" in list(scope) or platform in list(scope))


def outage_tables(con, obs_end, settings=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    section = getattr(settings, "silences", None)
    min_expected = float(getattr(section, "blackout_min_expected", MIN_EXPECTED))
    min_hours = int(getattr(section, "blackout_min_hours", MIN_HOURS))
    min_accounts = int(getattr(section, "blackout_min_accounts", MIN_ACCOUNTS))
    empty = (pd.DataFrame({c: [] for c in WINDOW_COLUMNS}),
             pd.DataFrame({c: [] for c in BLACKOUT_COLUMNS}))
    if obs_end is None:
        return empty
    end = pd.Timestamp(obs_end).tz_convert("UTC")
    posts = con.execute(_OFFICIAL_POSTS, {"obs_end": obs_end}).df()
    if posts.empty:
        return empty
    posts["hour"] = pd.to_datetime(posts["hour"], utc=True)
    outages = con.execute(
        "SELECT outage_id, country, region, scope, kind, source, "
        "start_at, coalesce(end_at, $e) AS end_at, "
        "end_at IS NULL AS ongoing FROM outages WHERE start_at <= $e ORDER BY start_at, outage_id",
        {"e": obs_end}).df()
    grids = {key: _Grid(g, end) for key, g in posts.groupby(["platform", "country"])}
    accounts = posts.groupby(["platform", "country"])["author"].nunique()
    windows = []
    for o in outages.itertuples():
        for (platform, country), grid in grids.items():
            if country != o.country or not _covers(o.scope, platform):
                continue
            s, e = pd.Timestamp(o.start_at), pd.Timestamp(o.end_at)
            if e <= grid.start:
                continue
            seen, expected = grid.between(s, e)
            windows.append({
                "outage_id": o.outage_id, "country": o.country, "region": o.region,
                "scope": ";".join(o.scope), "start_at": s,
                "end_at": pd.NaT if o.ongoing else e, "platform": platform,
                "official_accounts": int(accounts[(platform, country)]), "posts_during": seen,
                "expected_posts": expected, "kind": o.kind, "source": o.source})
    blackouts = []
    for (platform, country), grid in sorted(grids.items()):
        for lo, hi in _zero_runs(grid.observed):
            expected = float(grid.expected[lo:hi].sum())
            if hi - lo < min_hours or expected < min_expected:
                continue
            if int(grid.active[lo:hi].max()) < min_accounts:
                continue
            s, e = grid.hours[lo], grid.hours[lo] + pd.Timedelta(hours=hi - lo)
            other_seen, other_expected = 0, 0.0
            for (p2, c2), g2 in grids.items():
                if c2 == country and p2 != platform:
                    seen2, exp2 = g2.between(s, e)
                    other_seen, other_expected = other_seen + seen2, other_expected + exp2
            if other_expected < OTHER_MIN_EXPECTED:
                kind = "platform_unverified"
            else:
                kind = ("all_platforms" if other_seen < OTHER_SILENT_SHARE * other_expected
                        else "platform")
            match = outages[(outages.country == country) & (outages.start_at < e)
                            & (outages.end_at > s)].sort_values(
                ["ongoing", "start_at"], ascending=[True, False])
            match = [r.outage_id for r in match.itertuples() if _covers(r.scope, platform)]
            blackouts.append({
                "platform": platform, "country": country or None, "start_at": s, "end_at": e,
                "hours": hi - lo, "accounts": int(grid.active[lo:hi].max()),
                "expected_posts": expected, "other_platforms_expected": other_expected,
                "other_platforms_posts": other_seen, "kind": kind,
                "outage_id": match[0] if match else None})
    return (pd.DataFrame(windows, columns=list(WINDOW_COLUMNS)) if windows else empty[0],
            pd.DataFrame(blackouts, columns=list(BLACKOUT_COLUMNS)) if blackouts else empty[1])


def _overlap_hours(g: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> float:
    """Hours of [lo, hi) inside the union of the windows ``g.start_at``-``g.end_at``
    (at least one row)."""
    spans = sorted((max(lo, pd.Timestamp(s)), min(hi, pd.Timestamp(e)))
                   for s, e in zip(g.start_at, g.end_at, strict=True))
    total = pd.Timedelta(0)
    cur_s, cur_e = spans[0]
    for s, e in spans[1:]:  # union of the overlaps
        if s > cur_e:
            total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    total += cur_e - cur_s
    return total.total_seconds() / 3600.0


def _spans(con, obs_end, sql: str, keys: list[str], columns: dict[str, str],
           start_name: str | None = None) -> pd.DataFrame:
    """One row per clock of ``sql`` (see :func:`_spanning_sql`) with the hours of it
    inside outages (overlapping outages counted once) and the latency and observed time
    without them; ``start_name`` names the clock's start column when it is kept."""
    if obs_end is None:
        return pd.DataFrame({c: [] for c in columns})
    df = con.execute(sql, {"obs_end": obs_end}).df()
    rows = []
    for key, g in df.groupby(keys, sort=True):
        first = g.iloc[0]
        lo = pd.Timestamp(first.clock_start)
        hours = _overlap_hours(g, lo, pd.Timestamp(first.clock_end))
        censored = bool(first.censored)
        row = dict(zip(keys, key, strict=True))
        if start_name:
            row[start_name] = lo
        rows.append({
            **row, "censored": censored,
            "latency_hours": None if censored else first.latency_hours,
            "observed_hours": first.observed_hours, "outage_hours": hours,
            "latency_hours_outside_outages": None if censored else first.latency_hours - hours,
            "observed_hours_outside_outages": first.observed_hours - hours,
            "outage_ids": ";".join(dict.fromkeys(g.outage_id))})
    return pd.DataFrame(rows, columns=list(columns)) if rows else pd.DataFrame(
        {c: [] for c in columns})


def outage_acknowledgements(con, obs_end) -> pd.DataFrame:
    """Rows of ``outage_acknowledgements``: event acknowledgements (onset to the first
    matching post, or to the observation end) that overlap an outage covering the
    official's platform in its country, as ``outage_latencies`` does for messages."""
    return _spans(con, obs_end, _ACK_SPANNING, ["event_id", "platform", "official_author"],
                  ACK_COLUMNS)


def outage_latencies(con, obs_end) -> pd.DataFrame:
    """Rows of ``outage_latencies``."""
    return _spans(con, obs_end, _SPANNING, ["platform", "official_author", "message_id"],
                  LATENCY_COLUMNS, "message_created_at")


@register_metric
class OutageMetrics(Metric):
    name = "outages"
    description = "Outage windows of the officials' countries; platform blackouts found in the data"
    tables = {"outage_windows": WINDOW_COLUMNS, "platform_blackouts": BLACKOUT_COLUMNS,
              "outage_latencies": LATENCY_COLUMNS, "outage_acknowledgements": ACK_COLUMNS}
    requires = ("event_acknowledgement",)

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        windows, blackouts = outage_tables(ctx.con, ctx.obs_end, ctx.settings)
        return {"outage_windows": windows, "platform_blackouts": blackouts,
                "outage_latencies": outage_latencies(ctx.con, ctx.obs_end),
                "outage_acknowledgements": outage_acknowledgements(ctx.con, ctx.obs_end)}
