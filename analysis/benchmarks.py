"""Benchmarks: each account's percentile rank among its peers, per metric, and a
composite responsiveness index.

Peers: by default official accounts of the same country and level (accounts
table), across platforms, in the same population; or of the same level, or the
sets of a peer-set file (analysis/peers.py, which also gives the bootstrap
intervals and places). For each metric only peers whose figure passes its
minimum-n rule take part.

Percentile rank (0-100, higher is better whatever the metric's direction):
100 x (peers worse + half the peers equal, itself included) / peers. The best
of five distinct values ranks 90, the worst 10, a peer group of one 50. Fewer
than ``benchmarks.min_peers`` (default 5) valid peers: no rank ("too few
peers").

Metrics, their direction and default index weights (setting
``benchmarks.index_weights`` replaces any of them; a weight of 0 leaves a metric out):

=====================  ==========  ======  =============================================
metric                 better      weight  source
=====================  ==========  ======  =============================================
answered_rate          higher      0.35    account_metrics.answered_rate_7d (rate within W)
km_median_hours        lower       0.25    account_metrics.km_median_hours; "not reached"
                                           ranks slower than every reached median
selectivity_gap        lower       0.20    selectivity.selectivity_gap
critic_gap             lower       0.10    selectivity.critic_gap
deflection_share       lower       0.10    response_quality.deflection_share
=====================  ==========  ======  =============================================

Composite index: the weighted mean of the metric ranks an account has, with
the weights renormalised over those metrics. A metric that is "too few" (or
untagged, or without enough peers) drops out rather than counting as zero.
When the metrics left carry less than half of the total weight (settings
``index_min_weight_share``), the index is NULL with status "too few".
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from govwatch.errors import UsageError

from .peers import peer_group_of, rank_intervals, replicate_values
from .registry import Metric, MetricContext, register_metric
from .settings import DEFAULT_INDEX_WEIGHTS, BenchmarkSettings
from .slices import empty_frame

BETTER = {
    "answered_rate": "higher",
    "km_median_hours": "lower",
    "selectivity_gap": "lower",
    "critic_gap": "lower",
    "deflection_share": "lower",
}
# Statuses whose value takes part in ranking.
RANKED = ("ok", "not reached")

BENCHMARKS_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "population": "VARCHAR",
    "country": "VARCHAR",
    "level": "VARCHAR",
    "peer_group": "VARCHAR",
    "metric": "VARCHAR",
    "value": "DOUBLE",
    "better": "VARCHAR",
    "status": "VARCHAR",
    "peers": "BIGINT",
    "percentile_rank": "DOUBLE",
    "rank_ci_low": "DOUBLE",
    "rank_ci_high": "DOUBLE",
    "weight": "DOUBLE",
    "day_precision_messages": "BIGINT",
}
BENCHMARK_INDEX_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "population": "VARCHAR",
    "country": "VARCHAR",
    "level": "VARCHAR",
    "peer_group": "VARCHAR",
    "composite_index": "DOUBLE",
    "composite_ci_low": "DOUBLE",
    "composite_ci_high": "DOUBLE",
    "peers": "BIGINT",
    "rank_best": "BIGINT",
    "rank_worst": "BIGINT",
    "metrics_used": "BIGINT",
    "weight_share": "DOUBLE",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "weights": "VARCHAR",
    "day_precision_messages": "BIGINT",
}
# Both tables count the account's own messages timed to the day only (ingest
# --day-precision), from account_metrics; a peer's count is in the peer's rows.
_DAY = "day_precision_messages"
_DAY_MEANING = ("The account's messages of the population whose time, or their response's, "
                "was written as a date alone and taken as midnight (ingest --day-precision): "
                "its figures rest on latencies known to the day only (peers' counts are in "
                "their own rows). 0: every time has its time of day")

# Each metric's value and status from the tables of the metrics this one requires.
_VALUES = """
SELECT a.platform, a.official_author, a.population, acc.country, acc.level,
       coalesce(a.day_precision_messages, 0) AS day_precision_messages,
       acc.institution_type,
       a.answered_rate_7d AS answered_rate,
       a.rate_status AS answered_rate_status,
       a.km_median_hours,
       CASE WHEN a.median_status <> 'ok' THEN a.median_status
            WHEN NOT a.km_median_reached THEN 'not reached' ELSE 'ok' END AS km_median_hours_status,
       s.selectivity_gap, coalesce(s.gap_status, 'missing') AS selectivity_gap_status,
       s.critic_gap, coalesce(s.critic_status, 'missing') AS critic_gap_status,
       q.deflection_share, coalesce(q.deflection_status, 'missing') AS deflection_share_status
FROM account_metrics a
JOIN accounts acc ON acc.platform = a.platform AND acc.author = a.official_author
LEFT JOIN selectivity s ON s.platform = a.platform
     AND s.official_author = a.official_author AND s.population = a.population
LEFT JOIN response_quality q ON q.platform = a.platform
     AND q.official_author = a.official_author AND q.population = a.population
ORDER BY a.platform, a.official_author, a.population
"""


def index_weights(settings: BenchmarkSettings) -> dict[str, float]:
    """The default weights updated by the settings' ``index_weights``; checked."""
    given = settings.index_weights or {}
    if isinstance(given, str):
        given = json.loads(given)
    unknown = sorted(set(given) - set(DEFAULT_INDEX_WEIGHTS))
    if unknown:
        raise UsageError(
            f"index_weights: unknown metric(s) {', '.join(unknown)}; "
            f"known: {', '.join(DEFAULT_INDEX_WEIGHTS)}")
    weights = {**DEFAULT_INDEX_WEIGHTS, **{k: float(v) for k, v in given.items()}}
    if any(w < 0 or not np.isfinite(w) for w in weights.values()):
        raise UsageError("index_weights: weights must be finite and >= 0")
    if sum(weights.values()) <= 0:
        raise UsageError("index_weights: at least one weight must be positive")
    return weights


def _day_counts(values: pd.DataFrame) -> np.ndarray:
    if _DAY not in values:
        return np.zeros(len(values), dtype=np.int64)
    return values[_DAY].fillna(0).to_numpy(dtype=np.int64)


def rank_table(values: pd.DataFrame, weights: dict[str, float], min_peers: int) -> pd.DataFrame:
    """One row per (account, population, metric) with its percentile rank among the
    accounts of its ``peer_group`` (a column of ``values``; None: no peer group)."""
    key = ["platform", "official_author", "population", "country", "level", "peer_group"]
    n = len(values)
    metrics = list(BETTER)
    out = pd.DataFrame({k: np.tile(values[k].to_numpy(dtype=object), len(metrics)) for k in key})
    out["metric"] = np.repeat(metrics, n)
    out["value"] = np.concatenate([values[m].to_numpy(dtype=float, na_value=np.nan)
                                   for m in metrics])
    out["better"] = np.repeat([BETTER[m] for m in metrics], n)
    status = np.concatenate([values[f"{m}_status"].to_numpy(dtype=object) for m in metrics])
    status = np.where(pd.isna(status), "missing", status).astype(object)
    ranked = np.isin(status, RANKED)
    no_group = np.tile(values["peer_group"].isna().to_numpy(), len(metrics))
    status[ranked & no_group] = "no peer group"
    valid = ranked & ~no_group
    # goodness: higher is better; a median not reached is slower than every reached one
    raw = np.where(status == "not reached", np.inf, out["value"].to_numpy())
    goodness = np.where(out["better"].to_numpy() == "higher", raw, -raw)
    peers = np.full(len(out), np.nan)
    rank = np.full(len(out), np.nan)
    if valid.any():
        v = out.loc[valid, ["metric", "population", "peer_group"]].assign(g=goodness[valid])
        by = v.groupby(["metric", "population", "peer_group"], sort=False)["g"]
        count = by.transform("count").to_numpy(dtype=float)
        peers[valid] = count
        # 100 x (worse + half of the equal, itself included) / peers
        rank[valid] = 100.0 * (by.rank(method="average").to_numpy() - 0.5) / count
    few = valid & (peers < min_peers)
    status[few] = "too few peers"
    rank[few] = np.nan
    out["status"] = status
    out["peers"] = pd.array(np.where(np.isnan(peers), None, peers),  # type: ignore[call-overload]
                            dtype="Int64")
    out["percentile_rank"] = rank
    out["rank_ci_low"] = np.nan
    out["rank_ci_high"] = np.nan
    out["weight"] = np.repeat([weights[m] for m in metrics], n)
    out[_DAY] = np.tile(_day_counts(values), len(metrics))
    return out[list(BENCHMARKS_COLUMNS)].sort_values(
        ["platform", "official_author", "population", "metric"], kind="stable"
    ).reset_index(drop=True)


def weighted_index(frame: pd.DataFrame, key: list[str], total: float,
                   min_share: float) -> pd.DataFrame:
    """The composite rule, per group of ``key``: the weighted mean of the ranks the
    group has (``frame``: key columns, ``weight``, ``rank`` with NaN for no rank),
    the weights renormalised over those metrics; NaN when they carry less than
    ``min_share`` of ``total``. Returns key, composite_index, weight_share,
    metrics_used. The dashboard re-weights stored ranks with this same function."""
    weight = frame["weight"].to_numpy(dtype=float)
    rank = pd.to_numeric(frame["rank"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    used = ~np.isnan(rank) & (weight > 0)
    parts = frame[key].copy()
    parts["w_used"] = np.where(used, weight, 0.0)
    parts["w_rank"] = np.where(used, weight * np.nan_to_num(rank), 0.0)
    parts["metrics_used"] = used.astype("int64")
    g = parts.groupby(key, dropna=False, sort=True)[["w_used", "w_rank", "metrics_used"]] \
        .sum().reset_index()
    share = g["w_used"] / total if total > 0 else g["w_used"] * np.nan
    ok = (share >= min_share - 1e-12) & (g["w_used"] > 0)
    g["composite_index"] = np.where(ok, g["w_rank"] / g["w_used"].where(g["w_used"] > 0), np.nan)
    g["weight_share"] = share
    return g[[*key, "composite_index", "weight_share", "metrics_used"]]


def composite(ranks: pd.DataFrame, weights: dict[str, float], min_share: float) -> pd.DataFrame:
    key = ["platform", "official_author", "population", "country", "level", "peer_group"]
    r = ranks[ranks["weight"] > 0].rename(columns={"percentile_rank": "rank"})
    g = weighted_index(r, key, sum(weights.values()), min_share)
    g["status"] = np.where(g["composite_index"].notna(), "ok", "too few")
    g["weights"] = json.dumps(weights, sort_keys=True)
    who = ["platform", "official_author", "population"]
    if _DAY in ranks:
        g = g.merge(ranks.drop_duplicates(who)[[*who, _DAY]], on=who, how="left")
    else:
        g[_DAY] = 0
    for col in ("composite_ci_low", "composite_ci_high", "peers", "rank_best", "rank_worst",
                "reason"):
        g[col] = None
    return g[list(BENCHMARK_INDEX_COLUMNS)]


@register_metric
class Benchmarks(Metric):
    name = "benchmarks"
    account_tables = ("benchmark_index",)
    description = (
        "Per official account and population: percentile rank among peers (by default same "
        "country and level) for each headline metric, and a composite index with adjustable "
        "weights, both with bootstrap intervals, and the place among peers as a range."
    )
    tables = {"benchmarks": BENCHMARKS_COLUMNS, "benchmark_index": BENCHMARK_INDEX_COLUMNS}
    table_descriptions = {
        "benchmarks": "peer percentile ranks and the composite index",
        "benchmark_index": "the composite index",
    }
    requires = ("account_responsiveness", "selectivity", "response_quality")
    column_meanings = {
        "benchmarks": {
            "population": "needs_response or all inbound messages",
            "country": "Peer group: country of the account",
            "level": "Peer group: level of the account",
            "metric": "answered_rate, km_median_hours, selectivity_gap, critic_gap or "
                      "deflection_share",
            "value": "The account's figure (empty when not reached or too few)",
            "better": "higher or lower: which direction ranks better",
            "status": "ok; not reached (ranked slowest); too few; not tagged; missing; "
                      "no peer group; too few peers",
            "peers": "Accounts of the peer group with a valid figure (itself included)",
            "peer_group": "The group the account is ranked in: country/level (default), "
                          "level, institution type, or a set from the peer-set file; "
                          "empty: none",
            "percentile_rank": "100 x (peers worse + half the peers equal) / peers; higher is "
                               "better",
            "rank_ci_low": "Lower limit of the percentile-bootstrap 95% interval of the rank",
            "rank_ci_high": "Upper limit of the percentile-bootstrap 95% interval of the rank",
            "weight": "Weight of the metric in the composite index",
            _DAY: _DAY_MEANING,
        },
        "benchmark_index": {
            "population": "needs_response or all inbound messages",
            "country": "Peer group: country of the account",
            "level": "Peer group: level of the account",
            "peer_group": "The group the account is ranked in: country/level (default), "
                          "level, institution type, or a set from the peer-set file; "
                          "empty: none",
            "composite_index": "Weighted mean of the available percentile ranks (0-100), "
                               "weights renormalised; empty when too few",
            "composite_ci_low": "Lower limit of the percentile-bootstrap 95% interval of the "
                                "index",
            "composite_ci_high": "Upper limit of the percentile-bootstrap 95% interval of the "
                                 "index",
            "peers": "Accounts of the peer group with a composite index (itself included)",
            "rank_best": "Best place among those peers: 1 + peers whose interval lies wholly "
                         "above; accounts with overlapping intervals share places",
            "rank_worst": "Worst place: peers - peers whose interval lies wholly below",
            "reason": "Why there is no place (too few peers, no peer group, too few ranked "
                      "metrics); empty when there is one",
            "metrics_used": "Metrics with a percentile rank",
            "weight_share": "Share of the total weight those metrics carry",
            "status": "ok; 'too few' when weight_share < index_min_weight_share; 'too few "
                      "peers'; 'no peer group'",
            "weights": "The weights applied (JSON)",
            _DAY: _DAY_MEANING,
        },
    }

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        bench = ctx.settings.benchmarks
        weights = index_weights(bench)
        min_peers = int(bench.min_peers)
        min_share = float(bench.index_min_weight_share)
        if int(bench.interval_samples) < 1:
            raise UsageError("benchmarks.interval_samples must be at least 1")
        values = ctx.con.execute(_VALUES).df()
        if values.empty:
            return {"benchmarks": empty_frame(BENCHMARKS_COLUMNS),
                    "benchmark_index": empty_frame(BENCHMARK_INDEX_COLUMNS)}
        values["peer_group"] = peer_group_of(values, bench)
        ranks = rank_table(values, weights, min_peers)
        index = composite(ranks, weights, min_share)
        reps = replicate_values(ctx.con, values, int(bench.interval_samples),
                                int(ctx.settings.selectivity.seed))
        ranks, index = rank_intervals(ranks, index, reps, values, weights, min_peers)
        return {"benchmarks": ranks, "benchmark_index": index}
