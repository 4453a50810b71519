"""Benchmark: every reply-responsiveness metric on N inbound messages over 1,000
accounts, against a straightforward pandas baseline computing the same numbers.

    python benchmarks/bench_metrics.py --n 1000000
    python benchmarks/bench_metrics.py --n 10000000 --workdir /big/disk

Steps:
1. generate a synthetic store (deterministic; DuckDB SQL, no CSV round trip):
   accounts in five time zones, half with office hours; inbound replies to
   official posts over 180 days; official answers with account-specific rates
   and log-normal latencies; tags (needs-a-response, critical, topic,
   sentiment, language, deflection) already set, so tagging has nothing to do;
2. in a fresh subprocess: govwatch (reply linking in DuckDB, then every metric
   of analysis/accounts, slices, business_clock, selectivity, quality,
   benchmarks);
3. in another fresh subprocess: the baseline -- pandas merges to link messages
   and first responses, business hours by minute-of-week arithmetic on the
   local wall clock (exact here: the synthetic office hours never span a clock
   change), then a groupby over every grouping set and population with a
   per-group Kaplan-Meier (``--baseline-km numpy``: a lean numpy function, the
   default; ``statsmodels``: SurvfuncRight per group, as govwatch did before),
   counts for rates as groupby column sums of boolean columns (no per-group
   Python function: what a competent pandas user writes), selectivity (same
   bootstrap), deflections and the data-quality counts of analysis/quality.py
   (replies before or at the message, self-replies, self-links, replies before
   their parent, missing parents, untagged messages: merges and column sums),
   which govwatch's side computes too; its results written to Parquet files (govwatch's
   side writes its own to the store);
   Peer ranks and the composite index (``benchmarks``: a bootstrap of every
   account's rates and Kaplan-Meier median) are left out of both sides, so the
   two compute the same figures; ``--with-peers`` adds them to govwatch's side
   (as before 2026-12-05), making its time an upper bound;
4. compare the two results (every figure of slice_metrics, calendar and
   business, of selectivity and every data-quality count) and print wall time,
   CPU time, ratio and peak RSS.

``--before REV`` adds a third side, govwatch as of git revision REV (its package
laid out from ``git archive`` under the work folder, run by this script's
harness), interleaved before this tree's in every round: the JSON gets the CPU
ratio before / after and whether each table it wrote (slice_metrics, selectivity,
response_quality, data_quality, and with ``--before`` account_metrics and km_curves,
which both revisions then write) equals this tree's exactly.

Each side runs in its own process so that peak RSS (getrusage) is its own.
The sides alternate, govwatch then baseline, ``--pairs`` times (3 by default);
each pair gives a ratio baseline / govwatch, reported as median and min-max
(the figures of the median pair's sides go to the JSON). On a shared machine
compare CPU times as well as wall times: CPU time (``cpu_s``: user + system of
the side's process, its start-up included, up to the moment its results are kept:
govwatch's in the store, the baseline's in Parquet files; the copies govwatch's side
writes for the comparison, and the memory sampler's own thread, are the harness's and
left out) is also given per step (``cpu_steps``, from ``time.process_time``, every
thread counted). ``--json PATH``
writes every figure (timings per step, CPU time, peak RSS, ratios, largest
difference) for ``run_all.py``. Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ACCOUNTS = 1000
DAYS = 180
START = "2026-01-01 00:00:00+00"
ZONES = ["Asia/Kolkata", "Asia/Jakarta", "Europe/Berlin", "America/New_York", "Africa/Nairobi"]
TOPICS = ["transport", "health", "water", "power", "housing", "police", "schools", "roads"]
LANGS = ["en", "hi", "id", "de", "es"]
OURS = {"account_responsiveness", "business_clock", "slice_responsiveness", "selectivity",
        "response_quality"}
PEERS = "benchmarks"  # peer ranks: no baseline counterpart, so only with --with-peers
NONE = "(not tagged)"


# -- 1. the synthetic store ------------------------------------------------------

def _u(expr: str, salt: str) -> str:
    """A deterministic uniform in [0, 1) from a hash (no RNG state, parallel-safe)."""
    return f"((hash({expr}, '{salt}') % 1000000007) / 1000000007.0)"


def generate(db: Path, n: int) -> None:
    from govwatch.store import Store

    store = Store(db)
    con = store.conn
    roots = max(1, n // ACCOUNTS // 20)
    zones = "[" + ", ".join(f"'{z}'" for z in ZONES) + "]"
    topics = "[" + ", ".join(f"'{t}'" for t in TOPICS) + "]"
    langs = "[" + ", ".join(f"'{x}'" for x in LANGS) + "]"
    with store.transaction():
        con.execute(f"""
            INSERT INTO accounts (platform, author, display_name, official, institution,
                                  country, level, timezone, office_hours)
            SELECT CASE WHEN i % 10 < 7 THEN 'x' ELSE 'facebook' END,
                   'acct' || lpad(i::VARCHAR, 4, '0'), 'Account ' || i, true,
                   'Institution ' || (i // 2), ['XA', 'XB', 'XC', 'XD', 'XE'][1 + i % 5],
                   ['national', 'state', 'local'][1 + (i // 5) % 3],
                   {zones}[1 + i % 5],
                   CASE WHEN i % 10 < 5 THEN 'Mon-Fri 09:00-17:00'
                        WHEN i % 10 < 7 THEN 'Mon-Sat 10:00-18:00' END
            FROM range({ACCOUNTS}) t(i)""")
        con.execute(f"""
            CREATE TEMP TABLE _acc AS
            SELECT i, CASE WHEN i % 10 < 7 THEN 'x' ELSE 'facebook' END AS platform,
                   'acct' || lpad(i::VARCHAR, 4, '0') AS author,
                   0.25 + 0.7 * {_u('i', 'rate')} AS rate,
                   exp(3 * {_u('i', 'speed')} - 1) AS speed
            FROM range({ACCOUNTS}) t(i)""")
        # official root posts, spread over the first days
        con.execute(f"""
            INSERT INTO posts (platform, post_id, author, created_at, created_at_derived, text,
                               kind, mentions)
            SELECT a.platform, 'p' || a.i || '_' || k, a.author,
                   TIMESTAMPTZ '{START}' + to_seconds(k * 60), false, 'announcement', 'post', []
            FROM _acc a, range({roots}) r(k)""")
        con.execute(f"""
            CREATE TEMP TABLE _msg AS
            WITH m AS (
                SELECT j, floor({ACCOUNTS} * pow({_u('j', 'acct')}, 1.6))::INTEGER AS i,
                       {_u('j', 't')} AS ut, {_u('j', 'root')} AS ur
                FROM range({n}) t(j)
            )
            SELECT m.j, a.i, a.platform, a.author AS official,
                   'p' || a.i || '_' || floor(ur * {roots})::INTEGER AS root,
                   TIMESTAMPTZ '{START}' + to_seconds(1 + floor(ut * {DAYS} * 86400)) AS sent_at,
                   {_u('j', 'nr')} < 0.7 AS nr,
                   {_u('j', 'crit')} < 0.12 AS crit,
                   a.rate, a.speed
            FROM m JOIN _acc a USING (i)""")
        con.execute("""
            INSERT INTO posts (platform, post_id, author, created_at, created_at_derived, text,
                               kind, in_reply_to_post_id, in_reply_to_author, mentions)
            SELECT platform, 'm' || j, 'c' || (hash(j, 'who') % 200000), sent_at, false, 'message',
                   'reply', root, official, []
            FROM _msg""")
        # answers: account rate, lower on critical messages; log-normal latency
        con.execute(f"""
            CREATE TEMP TABLE _ans AS
            SELECT j, platform, official,
                   sent_at + to_seconds(greatest(1, floor(3600 * speed * exp(1.6 * sqrt(-2 * ln(
                       greatest({_u('j', 'u1')}, 1e-12))) * cos(2 * pi() * {_u('j', 'u2')}))))
                   ) AS rt
            FROM _msg
            WHERE {_u('j', 'answer')} < rate * CASE WHEN crit THEN 0.7 ELSE 1.0 END""")
        con.execute(f"""
            INSERT INTO posts (platform, post_id, author, created_at, created_at_derived, text,
                               kind, in_reply_to_post_id, in_reply_to_author, mentions)
            SELECT a.platform, 'r' || a.j, a.official, a.rt, false, 'answer', 'reply',
                   'm' || a.j, 'c' || (hash(a.j, 'who') % 200000), []
            FROM _ans a
            WHERE a.rt <= TIMESTAMPTZ '{START}' + INTERVAL {DAYS + 7} DAY""")
        # the last post fixes the observation end
        con.execute(f"""
            INSERT INTO posts (platform, post_id, author, created_at, created_at_derived, text,
                               kind, mentions)
            VALUES ('x', 'end', 'observer', TIMESTAMPTZ '{START}' + INTERVAL {DAYS + 7} DAY,
                    false, 'end', 'post', [])""")
        con.execute(f"""
            INSERT INTO tags (platform, post_id, lang, sentiment, topic, critical,
                              needs_response, deflection)
            SELECT p.platform, p.post_id,
                   {langs}[1 + (hash(p.post_id, 'lang') % 5)::INTEGER],
                   CASE WHEN {_u('p.post_id', 'snull')} < 0.03 THEN NULL
                        ELSE round(2 * {_u('p.post_id', 's')} - 1, 4) END,
                   CASE WHEN {_u('p.post_id', 'tnull')} < 0.05 THEN NULL
                        ELSE {topics}[1 + (hash(p.post_id, 'topic') % 8)::INTEGER] END,
                   m.crit, m.nr,
                   CASE WHEN p.post_id LIKE 'r%' THEN {_u('p.post_id', 'defl')} < 0.15 END
            FROM posts p LEFT JOIN _msg m ON p.post_id = 'm' || m.j""")
        for t in ("_acc", "_msg", "_ans"):
            con.execute(f"DROP TABLE {t}")
    store.close()


# -- 2. govwatch ----------------------------------------------------------------------

def run_govwatch(db: Path, out: Path, memory_limit: str | None = None,
                 with_peers: bool = False, prefix: str = "govwatch",
                 every_table: bool = False) -> tuple[dict, dict]:
    from govwatch.analysis import accounts, benchmarks, business_clock, quality, selectivity, slices  # noqa: F401
    from govwatch.analysis.registry import MetricContext, conform, ensure_tables, metrics
    from govwatch.analysis.replies import build_responses, observation_end
    from govwatch.analysis.settings import AnalysisSettings

    from govwatch.store import Store

    settings = AnalysisSettings()
    timings, cpu = {}, {}
    store = Store(db)
    if memory_limit:
        store.conn.execute(f"SET memory_limit = '{memory_limit}'")
    try:  # as analyze writes them (a revision from before the setting: as it did)
        from govwatch.store import DERIVED_WRITE_SETTINGS, duckdb_settings
        write_settings = duckdb_settings(store.conn, DERIVED_WRITE_SETTINGS)
    except ImportError:
        write_settings = nullcontext()
    t0, c0 = time.perf_counter(), time.process_time()
    with write_settings, store.transaction() as con:
        obs_end = observation_end(con, None)
        build_responses(con, obs_end)
        timings["link (replies.py)"] = time.perf_counter() - t0
        cpu["link (replies.py)"] = time.process_time() - c0
        # the derived tables exist only once an analyze has made them
        ensure_tables(con, {t: c for m in metrics() for t, c in m.tables.items()})
        ctx = MetricContext(con, obs_end, settings)
        frames = {}
        chosen = OURS | ({PEERS} if with_peers else set())
        for metric in [m for m in metrics() if m.name in chosen]:
            t1, c1 = time.perf_counter(), time.process_time()
            result = metric.compute(ctx)
            ensure_tables(con, metric.tables)  # a table added since the store was made
            for table, columns in metric.tables.items():
                frames[table] = conform(result[table], columns, metric.name)
                con.execute(f'DELETE FROM "{table}"')
                con.register("_frame", frames[table])
                con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _frame')
                con.unregister("_frame")
            timings[metric.name] = time.perf_counter() - t1
            cpu[metric.name] = time.process_time() - c1
    timings["total"] = time.perf_counter() - t0
    cpu["total"] = time.process_time() - c0
    cpu["process"] = process_cpu()  # its results are in the store; the files below are
    # only for compare(), so they are left out of the side's CPU time
    # account metrics and curves only to compare two revisions (the baseline has neither)
    extra = ("account_metrics", "km_curves") if every_table else ()
    for table in ("slice_metrics", "selectivity", "response_quality", "data_quality",
                  "benchmark_index", *extra):
        if table in frames:
            frames[table].to_parquet(out / f"{prefix}_{table}.parquet")
    store.close()
    return timings, cpu


# -- 3. the baseline -------------------------------------------------------------------

def km_numpy(d: np.ndarray, e: np.ndarray) -> tuple:
    """Straightforward KM of one group: (median, ci_low, ci_high, S(1), S(24), S(72), S(168))."""
    from govwatch.analysis.survival import MEDIAN_TOL, Z95

    order = np.argsort(d, kind="stable")
    d, e = d[order], e[order]
    times, first = np.unique(d, return_index=True)
    deaths = np.add.reduceat(e.astype(np.int64), first)
    at_risk = len(d) - first
    keep = deaths > 0
    times, deaths, at_risk = times[keep], deaths[keep], at_risk[keep]
    nan = float("nan")
    maxf = float(d[-1])
    if len(times) == 0:
        return (nan, nan, nan) + tuple(1.0 if h <= maxf else nan for h in (1, 24, 72, 168))
    surv = np.cumprod(1 - deaths / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.cumsum(np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)),
                                 np.nan))
        se = surv * np.sqrt(var)
        r = (np.log(-np.log(surv)) - np.log(-np.log(0.5))) / (-se / (surv * np.log(surv)))
    idx = np.flatnonzero(surv < 0.5 + MEDIAN_TOL)
    med = nan
    if len(idx):
        i = idx[0]
        med = times[i]
        if surv[i] > 0.5 - MEDIAN_TOL:
            later = np.flatnonzero(surv < 0.5 - MEDIAN_TOL)
            med = (times[i] + (times[later[0]] if len(later) else maxf)) / 2
    ok = np.flatnonzero(np.abs(r) <= Z95)
    lo = times[ok[0]] if len(ok) else nan
    hi = times[ok[-1] + 1] if len(ok) and ok[-1] + 1 < len(times) else nan
    at = []
    for h in (1, 24, 72, 168):
        c = np.searchsorted(times, h, side="right")
        at.append(nan if h > maxf else (1.0 if c == 0 else float(surv[c - 1])))
    return (med, lo, hi, *at)


def km_statsmodels(d: np.ndarray, e: np.ndarray) -> tuple:
    from govwatch.analysis.survival import kaplan_meier

    k = kaplan_meier(d, e)
    nan = float("nan")
    return (k.median if k.median is not None else nan,
            k.ci_low if k.ci_low is not None else nan,
            k.ci_high if k.ci_high is not None else nan,
            *(v if (v := k.unanswered_at(h)) is not None else nan for h in (1, 24, 72, 168)))


def baseline_link(db: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    posts = con.execute("SELECT platform, post_id, author, created_at, in_reply_to_post_id "
                        "FROM posts").df()
    acc = con.execute("SELECT platform, author, institution, country, level, timezone, "
                      "office_hours FROM accounts WHERE official").df()
    tags = con.execute("SELECT platform, post_id, needs_response, critical, topic, sentiment, "
                       "lang, deflection FROM tags").df()
    con.close()
    official = posts.merge(acc[["platform", "author"]], on=["platform", "author"])
    public = posts.merge(acc[["platform", "author"]], on=["platform", "author"], how="left",
                         indicator=True)
    public = public[public["_merge"] == "left_only"].drop(columns="_merge")
    msgs = public.merge(official[["platform", "post_id", "author"]].rename(
        columns={"post_id": "in_reply_to_post_id", "author": "official_author"}),
        on=["platform", "in_reply_to_post_id"])
    msgs = msgs.rename(columns={"post_id": "message_id", "created_at": "message_created_at"})
    replies = official.rename(columns={"in_reply_to_post_id": "message_id",
                                       "author": "official_author", "post_id": "response_id",
                                       "created_at": "response_created_at"})
    cand = msgs[["platform", "message_id", "official_author", "message_created_at"]].merge(
        replies[["platform", "message_id", "official_author", "response_id",
                 "response_created_at"]], on=["platform", "message_id", "official_author"])
    dq = baseline_data_quality(posts, official, acc, cand)
    cand = cand[cand["response_created_at"] > cand["message_created_at"]]
    first = cand.sort_values(["response_created_at", "response_id"]).drop_duplicates(
        ["platform", "message_id", "official_author"])
    m = msgs.merge(first[["platform", "message_id", "official_author", "response_id",
                          "response_created_at"]],
                   on=["platform", "message_id", "official_author"], how="left")
    obs_end = posts["created_at"].max()
    m["censored"] = m["response_id"].isna()
    m["latency_hours"] = (m["response_created_at"] - m["message_created_at"]).dt.total_seconds() / 3600
    m["observed_hours"] = (obs_end - m["message_created_at"]).dt.total_seconds() / 3600
    m = m.merge(tags.rename(columns={"post_id": "message_id"}).drop(columns="deflection"),
                on=["platform", "message_id"], how="left")
    m = m.merge(tags[["platform", "post_id", "deflection"]].rename(
        columns={"post_id": "response_id"}), on=["platform", "response_id"], how="left")
    m = m.merge(acc.rename(columns={"author": "official_author"}),
                on=["platform", "official_author"], how="left")
    m.attrs["obs_end"] = obs_end
    untagged = m[m["needs_response"].isna()].groupby(["platform", "official_author"]).size()
    dq = dq.merge(untagged.rename("needs_response_untagged").reset_index(), how="left",
                  on=["platform", "official_author"])
    accounts = dq["official_author"].notna()
    dq.loc[accounts, "needs_response_untagged"] = dq.loc[
        accounts, "needs_response_untagged"].fillna(0)
    return m, acc, dq


def baseline_data_quality(posts: pd.DataFrame, official: pd.DataFrame, acc: pd.DataFrame,
                          cand: pd.DataFrame) -> pd.DataFrame:
    """govwatch's data_quality counts (analysis/quality.py) with pandas merges: one row
    per official account (platform-wide checks on rows with official_author None), one
    column per check. ``cand``: every (message, official reply linking to it) pair."""
    keys = ["platform", "official_author"]
    links = posts[posts["in_reply_to_post_id"].notna()].merge(
        posts[["platform", "post_id", "author", "created_at"]].rename(columns={
            "post_id": "in_reply_to_post_id", "author": "p_author", "created_at": "p_at"}),
        on=["platform", "in_reply_to_post_id"], how="left")
    self_parent = (links["p_author"] == links["author"]) & (
        links["post_id"] != links["in_reply_to_post_id"])
    counts = [
        cand[cand["response_created_at"] < cand["message_created_at"]].groupby(keys).size()
        .rename("reply_before_message"),
        cand[cand["response_created_at"] == cand["message_created_at"]].groupby(keys).size()
        .rename("reply_same_time"),
        links[self_parent].merge(official[["platform", "post_id"]], on=["platform", "post_id"])
        .groupby(["platform", "author"]).size().rename_axis(keys).rename("official_self_reply"),
    ]
    msgs = cand[keys + ["message_id"]].drop_duplicates()
    public_self = links[self_parent].rename(columns={"post_id": "message_id"}).merge(
        msgs, on=["platform", "message_id"])
    counts.append(public_self.groupby(keys).size().rename("public_self_reply"))
    dq = acc[["platform", "author"]].rename(columns={"author": "official_author"})
    for c in counts:
        dq = dq.merge(c.reset_index(), on=keys, how="left")
    dq = dq.fillna({c.name: 0 for c in counts})
    found = links["p_at"].notna()
    platform = pd.DataFrame({
        "platform": links["platform"],
        "self_link": links["post_id"] == links["in_reply_to_post_id"],
        "reply_before_parent": found & (links["created_at"] < links["p_at"])
        & (links["in_reply_to_post_id"] != links["post_id"]),
        "parent_missing": ~found,
    }).groupby("platform").sum().reset_index()
    return pd.concat([dq, platform.assign(official_author=None)], ignore_index=True)


def _open_minutes(ts: pd.Series, tz: str, week: np.ndarray) -> np.ndarray:
    """Open minutes since Monday 1970-01-05 (local wall clock) at each instant."""
    cum = np.cumsum(week)  # open minutes before each minute of the week
    local = ts.dt.tz_convert(tz).dt.tz_localize(None)
    mins = (local - pd.Timestamp("1970-01-05")).dt.total_seconds().to_numpy() / 60
    weeks = np.floor(mins / (7 * 1440))
    into = mins - weeks * 7 * 1440
    whole = np.floor(into).astype(int)
    return weeks * cum[-1] + cum[whole] + week[whole + 1] * (into - whole)


def baseline_business(m: pd.DataFrame) -> pd.DataFrame:
    """Business hours by minute-of-week arithmetic in local time, per time zone."""
    from govwatch.officehours import parse_office_hours

    m["biz_latency"] = np.nan
    m["biz_observed"] = np.nan
    m["biz_window"] = np.nan
    obs_end = m.attrs["obs_end"]
    for (tz, oh), g in m[m["office_hours"].notna()].groupby(["timezone", "office_hours"]):
        week = np.zeros(7 * 1440 + 1)
        for day, parts in parse_office_hours(oh).items():
            for s, e in parts:
                week[day * 1440 + s + 1: day * 1440 + e + 1] = 1
        per_week = week.sum()
        start = _open_minutes(g["message_created_at"], tz, week)
        end = _open_minutes(pd.Series(obs_end, index=g.index), tz, week)
        resp = _open_minutes(g["response_created_at"].fillna(obs_end), tz, week)
        m.loc[g.index, "biz_observed"] = (end - start) / 60
        m.loc[g.index, "biz_latency"] = np.where(g["censored"], np.nan, (resp - start) / 60)
        m.loc[g.index, "biz_window"] = per_week / 60  # W = 168 h scaled by office share
    return m


def baseline_groups(m: pd.DataFrame, km, window: float, min_n: int) -> pd.DataFrame:
    from govwatch.analysis.slices import BUSINESS_SETS, GROUPING_SETS

    local = m["message_created_at"].dt.tz_convert("UTC")
    # local periods, per time zone
    for col in ("week", "month", "quarter"):
        m[col] = pd.NaT
    for tz, g in m.groupby("timezone"):
        lt = m.loc[g.index, "message_created_at"].dt.tz_convert(tz).dt.tz_localize(None)
        m.loc[g.index, "week"] = lt.dt.to_period("W-SUN").dt.start_time
        m.loc[g.index, "month"] = lt.dt.to_period("M").dt.start_time
        m.loc[g.index, "quarter"] = lt.dt.to_period("Q").dt.start_time
    del local
    m["critical_v"] = m["critical"].map({True: "critical", False: "routine"})
    m["sentiment_v"] = np.select(
        [m["sentiment"] <= -0.05, m["sentiment"] >= 0.05, m["sentiment"].notna()],
        ["negative", "positive", "neutral"], default=None)
    m["sentiment_v"] = m["sentiment_v"].where(m["sentiment"].notna(), None)
    slice_col = {"topic": "topic", "critical": "critical_v", "sentiment": "sentiment_v",
                 "lang": "lang"}
    for col in ("topic", "critical_v", "sentiment_v", "lang"):  # NaN keys do not align
        m[col] = m[col].astype(object).where(m[col].notna(), NONE)
    m["d"] = np.where(m["censored"], m["observed_hours"], m["latency_hours"])
    m["bd"] = np.where(m["censored"], m["biz_observed"], m["biz_latency"])
    out = []
    for population in ("needs_response", "all"):
        pop = m if population == "all" else m[m["needs_response"].fillna(False).astype(bool)]
        for period, kind in GROUPING_SETS:
            keys = ["platform", "official_author"]
            if period != "all":
                keys.append(period)
            if kind != "all":
                keys.append(slice_col[kind])
            for clock in ("calendar", "business"):
                if clock == "business" and (period, kind) not in BUSINESS_SETS:
                    continue
                sub = pop if clock == "calendar" else pop[pop["bd"].notna()]
                d, obs = ("d", "observed_hours") if clock == "calendar" else ("bd", "biz_observed")
                w = window if clock == "calendar" else sub["biz_window"]
                # counts as column sums (no per-group Python function)
                sub = sub.assign(
                    _answered=~sub["censored"],
                    _seen=sub[obs] >= w,
                    _hit=(sub[obs] >= w) & ~sub["censored"] & (sub[d] <= w))
                grouped = sub.groupby(keys, dropna=False, sort=True)
                counts = grouped.agg(messages=("censored", "size"),
                                     answered=("_answered", "sum"),
                                     observed_window=("_seen", "sum"),
                                     answered_window=("_hit", "sum"))
                dv = sub[d].to_numpy(float)
                ev = ~sub["censored"].to_numpy()
                idx = grouped.indices
                names = list(idx)
                kmres = pd.DataFrame(
                    [km(dv[rows], ev[rows]) for rows in idx.values()],
                    index=pd.MultiIndex.from_tuples(names, names=keys) if len(keys) > 1
                    else pd.Index(names, name=keys[0]),
                    columns=["km_median_hours", "km_median_ci_low", "km_median_ci_high",
                             "unanswered_1h", "unanswered_24h", "unanswered_72h",
                             "unanswered_7d"])
                res = counts.join(kmres).reset_index()
                res["answered_rate_window"] = res["answered_window"] / res[
                    "observed_window"].where(res["observed_window"] > 0)
                res["period_start"] = (pd.to_datetime(res[period]).dt.date
                                       if period != "all" else None)
                res["slice_value"] = (res[slice_col[kind]].replace(NONE, None)
                                      if kind != "all" else "all")
                res = res.assign(population=population, period_kind=period, slice_kind=kind,
                                 clock=clock)
                out.append(res[["platform", "official_author", "population", "period_kind",
                                "period_start", "slice_kind", "slice_value", "clock",
                                "messages", "answered", "observed_window", "answered_window",
                                "answered_rate_window", "km_median_hours", "km_median_ci_low",
                                "km_median_ci_high", "unanswered_1h", "unanswered_24h",
                                "unanswered_72h", "unanswered_7d"]])
    return pd.concat(out, ignore_index=True)


def _count(counts: pd.DataFrame, platform: str, author: str) -> tuple[int, int]:
    """(observed for W, answered within W) of one account; zeros when absent."""
    if (platform, author) not in counts.index:
        return 0, 0
    row = counts.loc[(platform, author)]
    return int(row["_seen"]), int(row["_hit"])


def baseline_selectivity(m: pd.DataFrame, window: float, min_n: int) -> pd.DataFrame:
    from govwatch.analysis.selectivity import gap, row_seed
    from govwatch.analysis.settings import SelectivitySettings

    defaults = SelectivitySettings()
    m["_seen"] = m["observed_hours"] >= window
    m["_hit"] = m["_seen"] & ~m["censored"] & (m["latency_hours"] <= window)
    groups = {"critical": m["critical"].eq(True), "routine": m["critical"].eq(False),
              "negative": m["sentiment"] <= -0.05, "rest": m["sentiment"] > -0.05}
    rows = []
    for population in ("needs_response", "all"):
        pop = m if population == "all" else m[m["needs_response"].fillna(False).astype(bool)]
        counts = {}
        for name, member in groups.items():
            s = pop[member.reindex(pop.index)]
            counts[name] = s.groupby(["platform", "official_author"])[["_seen", "_hit"]].sum()
        for (platform, author), _ in pop.groupby(["platform", "official_author"]):
            row = {"platform": platform, "official_author": author, "population": population}
            for measure, a, b in (("selectivity_gap", "critical", "routine"),
                                  ("critic_gap", "negative", "rest")):
                ca = _count(counts[a], platform, author)
                cb = _count(counts[b], platform, author)
                est, lo, hi, st = gap(ca[0], ca[1], cb[0], cb[1], min_n,
                                      defaults.bootstrap_samples,
                                      row_seed(defaults.seed, platform, author, population,
                                               measure))
                row[measure] = est
                row[measure + "_ci_low"] = lo
            rows.append(row)
    return pd.DataFrame(rows)


def run_baseline(db: Path, out: Path, km_name: str) -> dict:
    km = km_numpy if km_name == "numpy" else km_statsmodels
    timings = {}
    t0, c0 = time.perf_counter(), time.process_time()
    m, acc, dq = baseline_link(db)
    timings["link (pandas merges)"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    m = baseline_business(m)
    timings["business hours"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    groups = baseline_groups(m, km, 168.0, 10)
    timings["groups (KM per group)"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    sel = baseline_selectivity(m, 168.0, 10)
    answered = m[~m["censored"]]
    defl = answered.groupby(["platform", "official_author"])["deflection"].agg(["count", "sum"])
    timings["selectivity, quality"] = time.perf_counter() - t1
    # its results kept, as govwatch's side keeps them in the store: these files are also
    # what compare() reads
    t1 = time.perf_counter()
    groups.to_parquet(out / "baseline_groups.parquet")
    sel.to_parquet(out / "baseline_selectivity.parquet")
    defl.reset_index().to_parquet(out / "baseline_deflection.parquet")
    dq.to_parquet(out / "baseline_data_quality.parquet")
    timings["results to Parquet"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    cpu = {"total": time.process_time() - c0, "process": process_cpu()}
    return timings, cpu


def computing(side_result: dict) -> float:
    """A side's CPU time from its first step to its last, less the memory sampler's."""
    return side_result["cpu_steps"]["total"] - side_result.get("sampler_cpu_s", 0.0)


def process_cpu() -> float:
    """CPU seconds of this process so far (every thread, start-up included) and of its
    ended worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# -- 4. compare and report ---------------------------------------------------------------

FIGURES = ["messages", "answered", "observed_window", "answered_window", "answered_rate_window",
           "km_median_hours", "km_median_ci_low", "km_median_ci_high", "unanswered_1h",
           "unanswered_24h", "unanswered_72h", "unanswered_7d"]


def compare(out: Path) -> dict:
    from govwatch.analysis.slices import BUSINESS_SETS

    gw = pd.read_parquet(out / "govwatch_slice_metrics.parquet")
    base = pd.read_parquet(out / "baseline_groups.parquet")
    key = ["platform", "official_author", "population", "period_kind", "period_start",
           "slice_kind", "slice_value"]
    gw["period_start"] = pd.to_datetime(gw["period_start"])
    base["period_start"] = pd.to_datetime(base["period_start"])
    worst = {}
    for clock in ("calendar", "business"):
        b = base[base["clock"] == clock].drop(columns="clock")
        if clock == "business":
            g = gw[gw["business_messages"] > 0][key + [f"business_{c}" for c in (
                "messages", "observed_window", "answered_window", "answered_rate_window",
                "km_median_hours", "km_median_ci_low", "km_median_ci_high")]]
            g.columns = key + ["messages", "observed_window", "answered_window",
                               "answered_rate_window", "km_median_hours", "km_median_ci_low",
                               "km_median_ci_high"]
            b = b[[c for c in b.columns if c in g.columns]]
            sets = {f"{p}|{k}" for p, k in BUSINESS_SETS}
            g = g[(g["period_kind"] + "|" + g["slice_kind"]).isin(sets)]
        else:
            g = gw[key + FIGURES]
        joined = g.merge(b, on=key, how="outer", suffixes=("", "_b"), indicator=True)
        worst[f"{clock}: groups only on one side"] = int((joined["_merge"] != "both").sum())
        both = joined[joined["_merge"] == "both"]
        for col in [c for c in g.columns if c not in key]:
            x = both[col].astype(float).to_numpy()
            y = both[col + "_b"].astype(float).to_numpy()
            diff = np.where(np.isnan(x) & np.isnan(y), 0.0, np.abs(x - y))
            worst[f"{clock}: {col}"] = float(np.nan_to_num(diff, nan=np.inf).max()) if len(
                diff) else 0.0
    sel = pd.read_parquet(out / "govwatch_selectivity.parquet")
    bsel = pd.read_parquet(out / "baseline_selectivity.parquet")
    js = sel.merge(bsel, on=["platform", "official_author", "population"], suffixes=("", "_b"))
    for col, other in (("selectivity_gap", "selectivity_gap_b"), ("gap_ci_low",
                                                                  "selectivity_gap_ci_low"),
                       ("critic_gap", "critic_gap_b"), ("critic_ci_low", "critic_gap_ci_low")):
        x, y = js[col].astype(float), js[other].astype(float)
        worst[f"selectivity: {col}"] = float(np.nan_to_num(
            np.where(x.isna() & y.isna(), 0, (x - y).abs()), nan=np.inf).max())
    dq = pd.read_parquet(out / "govwatch_data_quality.parquet")
    bdq = pd.read_parquet(out / "baseline_data_quality.parquet").melt(
        ["platform", "official_author"], var_name="check_name", value_name="count").dropna(subset=["count"])
    for frame in (dq, bdq):
        frame["official_author"] = frame["official_author"].fillna("")
    jq = dq.merge(bdq, on=["platform", "official_author", "check_name"], how="outer",
                  suffixes=("", "_b"), indicator=True)
    worst["data_quality: counts only on one side"] = int((jq["_merge"] != "both").sum())
    worst["data_quality: count"] = float(
        (jq["count"].astype(float) - jq["count_b"].fillna(0).astype(float)).abs().max())
    return worst


def side(args) -> None:
    """Run one side in this process and print its timings and peak RSS as JSON."""
    out = Path(args.workdir)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _measure import TreeSampler  # sums PSS: a worker's pages shared with us count once

    sampler = TreeSampler(os.getpid())
    sampler.start()
    if args.side == "govwatch":
        timings, cpu = run_govwatch(Path(args.db), out, args.duckdb_memory, args.with_peers,
                                    every_table=args.every_table)
    elif args.side == "before":
        sys.path.insert(0, args.tree)  # its govwatch package, ahead of this tree's
        timings, cpu = run_govwatch(Path(args.db), out, args.duckdb_memory, args.with_peers,
                                    prefix="before", every_table=True)
    else:
        timings, cpu = run_baseline(Path(args.db), out, args.baseline_km)
    tree_peak = sampler.stop()
    own = resource.getrusage(resource.RUSAGE_SELF)
    # RUSAGE_CHILDREN's ru_maxrss is not used: a spawned worker inherits, before its
    # exec, the high-water mark of this process, so it reports the parent's size.
    # The side's CPU time: the process (start-up included) up to its results, less the
    # memory sampler's own thread (harness; it reads the memory map every 0.2 s or less
    # often, which costs more on the side that runs longer).
    print(json.dumps({"timings": timings, "cpu_steps": cpu, "peak_rss_mib": own.ru_maxrss / 1024,
                      "tree_peak_mib": tree_peak / 2**20, "sampler_cpu_s": sampler.cpu_s,
                      "cpu_s": cpu.pop("process") - sampler.cpu_s}))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="inbound messages (target 10M)")
    p.add_argument("--workdir", default="/tmp/govwatch_bench")
    p.add_argument("--baseline-km", choices=("numpy", "statsmodels"), default="numpy")
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument("--reuse", action="store_true", help="keep a store generated before")
    p.add_argument("--duckdb-memory", help="DuckDB memory_limit for the govwatch side, e.g. 2GB")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    p.add_argument("--pairs", type=int, default=3, help="interleaved runs of each side")
    p.add_argument("--with-peers", action="store_true",
                   help="also compute peer ranks on govwatch's side (the baseline has none)")
    p.add_argument("--before", metavar="REV",
                   help="also run govwatch as of this git revision (a third side, interleaved "
                        "before this tree's) and check its tables equal this tree's")
    p.add_argument("--side", choices=("govwatch", "before", "baseline"), help=argparse.SUPPRESS)
    p.add_argument("--tree", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--every-table", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.side:
        side(args)
        return
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"bench_{args.n}.duckdb"
    if not (args.reuse and db.exists()):
        if db.exists():
            db.unlink()
        t = time.perf_counter()
        generate(db, args.n)
        print(f"generated {args.n:,} inbound messages over {ACCOUNTS} accounts in "
              f"{time.perf_counter() - t:.1f} s ({db.stat().st_size / 2**20:.0f} MiB)")
    tree = revision_tree(args.before, work) if args.before else None
    names = (("before",) if tree else ()) + ("govwatch",) + (
        () if args.skip_baseline else ("baseline",))
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for pair in range(args.pairs):  # interleaved: govwatch, baseline, govwatch, ...
        for name in names:
            cmd = [sys.executable, __file__, "--side", name, "--db", str(db), "--workdir",
                   str(work), "--baseline-km", args.baseline_km]
            if args.duckdb_memory:
                cmd += ["--duckdb-memory", args.duckdb_memory]
            if args.with_peers:
                cmd += ["--with-peers"]
            if name == "before":
                cmd += ["--tree", str(tree)]
            if tree:  # both revisions write every table they are compared on
                cmd += ["--every-table"]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"{name} failed:\n{done.stderr}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            runs[name].append(r)
            steps = ", ".join(f"{k} {v:.1f}" for k, v in r["cpu_steps"].items() if k != "total")
            print(f"pair {pair + 1} {name:9s} wall {r['timings']['total']:7.1f} s  CPU "
                  f"{r['cpu_s']:7.1f} s (computing {computing(r):.1f})  peak RSS "
                  f"{r['peak_rss_mib']:6.0f} MiB (tree {r['tree_peak_mib']:.0f})  "
                  f"[CPU-s: {steps}]  load {os.getloadavg()[0]:.1f}", flush=True)
    ratios = None
    bad: dict | None = None
    if "baseline" in runs:
        pairs = list(zip(runs["govwatch"], runs["baseline"], strict=True))
        ratios = {
            "wall": _spread([b["timings"]["total"] / g["timings"]["total"] for g, b in pairs]),
            "cpu": _spread([b["cpu_s"] / g["cpu_s"] for g, b in pairs]),
            "cpu_computing": _spread([computing(b) / computing(g) for g, b in pairs]),
        }
        print("baseline / govwatch, median (min-max) of "
              f"{len(pairs)} interleaved pairs: " + ", ".join(
                  f"{k} {v['median']:.2f}x ({v['min']:.2f}-{v['max']:.2f})"
                  for k, v in ratios.items())
              + f" (KM in baseline: {args.baseline_km}; CPU counts every thread and worker; "
              "'computing' leaves out start-up)")
        worst = compare(work)
        bad = {k: v for k, v in worst.items() if v > 1e-9}
        print("largest difference per figure:", "all equal (<= 1e-9)" if not bad else bad)
    same = None
    if tree:
        same = same_tables(work)
        print("before == after:", same)
        before = [b["cpu_s"] / g["cpu_s"] for g, b in zip(runs["govwatch"], runs["before"],
                                                          strict=True)]
        ratios = dict(ratios or {}, before_cpu=_spread(before))
        print(f"before / after CPU: {np.median(before):.2f}x ({min(before):.2f}-{max(before):.2f})")
    # the sides of the median pair (by CPU ratio), for run_all's table
    order = sorted(range(args.pairs), key=lambda i: (
        runs["baseline"][i]["cpu_s"] / runs["govwatch"][i]["cpu_s"]) if "baseline" in runs else i)
    mid = order[len(order) // 2]
    results = {name: rs[mid] for name, rs in runs.items()}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "benchmark": "metrics", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "load_1min": os.getloadavg()[0], "cpus": os.cpu_count(), "messages": args.n,
            "accounts": ACCOUNTS, "baseline_km": args.baseline_km, "with_peers": args.with_peers,
            "pairs": args.pairs, "sides": results, "runs": runs, "ratios": ratios,
            "ratio_wall": ratios["wall"]["median"] if ratios and "wall" in ratios else None,
            "ratio_cpu": ratios["cpu"]["median"] if ratios and "cpu" in ratios else None,
            "differences_above_1e-9": bad, "before": args.before, "before_same": same,
        }, indent=2))
        print(f"written to {args.json}")


def revision_tree(rev: str, work: Path) -> Path:
    """The govwatch package as of git revision ``rev``, laid out as installed
    (analysis/ as govwatch/analysis, ...), under ``work``."""
    import shutil

    tree = work / f"before-{rev}"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, "govwatch", "analysis", "ingest",
                              "export", "dashboard", "sample_data"], cwd=REPO, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    for stage in ("analysis", "ingest", "export", "dashboard", "sample_data"):
        (tree / stage).rename(tree / "govwatch" / stage)
    return tree


def same_tables(work: Path) -> dict:
    """Whether each table the before side wrote equals this tree's, row for row. The
    rows' stored order is not compared (a stored table is a set: readers order what they
    show); both sides are sorted by every column first."""
    same = {}
    for path in sorted(work.glob("before_*.parquet")):
        table = path.stem.removeprefix("before_")
        old, new = (_in_order(pd.read_parquet(p))
                    for p in (path, work / f"govwatch_{table}.parquet"))
        try:
            pd.testing.assert_frame_equal(old, new, check_exact=True, check_dtype=False)
            same[table] = True
        except AssertionError:
            same[table] = False
    return same


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    keys = list(frame.columns)
    text = frame.astype(str)  # one total order for mixed and missing values
    return frame.loc[text.sort_values(keys, kind="stable").index].reset_index(drop=True)


def _spread(values: list[float]) -> dict:
    return {"min": min(values), "median": float(np.median(values)), "max": max(values),
            "pairs": values}


if __name__ == "__main__":
    main()
