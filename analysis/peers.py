"""Peer groups and the bootstrap intervals of peer ranks and the composite index.

Peer groups (settings ``benchmarks.peer_groups``):

- ``country-level`` (default): official accounts of the same country and level;
- ``level``: accounts of the same level, across countries;
- ``type``: accounts of the same institution type (the accounts CSV's optional
  ``institution_type``, normalised: "ministry of health", "city hall", "police"),
  across countries and levels; accounts without a type have no peer group;
- a peer-set file (settings ``benchmarks.peer_sets_file``): a CSV with the columns
  ``platform,author,peer_set`` naming any accounts the user chooses ("all health
  ministries of ASEAN"). Accounts the file does not list have no peer group.

Intervals: each replicate redraws every account's figures from its own messages
(percentile bootstrap, ``benchmarks.interval_samples`` replicates, seeded by
``selectivity.seed``):

- a rate (answered within W, the share of deflections) is a count of k answered
  among n messages; resampling the n messages with replacement draws k from
  Binomial(n, k/n), which is what is drawn;
- a gap draws both of its groups that way;
- the Kaplan-Meier median resamples the account's messages (latency or censored
  follow-up) and recomputes the curve; a replicate whose median is not reached
  ranks slower than every reached one, as the point estimate does.

Within a replicate, ranks and the composite follow the same rules as the point
estimate on the same peers and metrics. The 2.5th and 97.5th percentiles of an
account's replicates are its 95% interval. An account's place among its peers is
a range: best = 1 + peers whose composite interval lies wholly above its own,
worst = peers - peers whose interval lies wholly below. Accounts whose intervals
overlap share places, so they are never shown as first and second.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from govwatch.errors import InputError, UsageError

from .survival import bootstrap_km_medians

PEER_MODES = ("country-level", "level", "type")


def peer_sets(path: str | Path) -> dict[tuple[str, str], str]:
    """(platform, author) -> peer set, from a CSV ``platform,author,peer_set``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such peer-set file")
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"platform", "author", "peer_set"}
        if not reader.fieldnames or not need <= {f.strip() for f in reader.fieldnames}:
            raise InputError(str(p), "the header must name platform, author and peer_set",
                             "line 1")
        out: dict[tuple[str, str], str] = {}
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            key = (row["platform"].lower(), row["author"].lstrip("@"))
            if not all(key) or not row["peer_set"]:
                raise InputError(str(p), "platform, author and peer_set must all be filled",
                                 f"line {line}")
            if key in out and out[key] != row["peer_set"]:
                raise InputError(str(p), f"{key[0]}:{key[1]} is in two peer sets "
                                 f"({out[key]!r} and {row['peer_set']!r})", f"line {line}")
            out[key] = row["peer_set"]
    return out


def peer_group_of(values: pd.DataFrame, settings) -> np.ndarray:
    """Each row's peer group name (None: no peer group); ``settings``: the
    BenchmarkSettings (peer_groups, peer_sets_file)."""
    path = settings.peer_sets_file
    mode = settings.peer_groups or "country-level"
    if path:
        sets = peer_sets(path)
        return np.array([sets.get((p, a)) for p, a in
                         zip(values["platform"], values["official_author"], strict=True)],
                        dtype=object)
    if mode not in PEER_MODES:
        raise UsageError(f"peer_groups: {mode!r} is not one of {', '.join(PEER_MODES)}")
    country = values["country"].astype(object).where(values["country"].notna(), None)
    level = values["level"].astype(object).where(values["level"].notna(), None)
    if mode == "level":
        return np.array([lv for lv in level], dtype=object)
    if mode == "type":
        kind = values["institution_type"].astype(object)
        return np.array([k if isinstance(k, str) and k else None for k in kind], dtype=object)
    return np.array([f"{c}/{lv}" if c and lv else None for c, lv in
                     zip(country, level, strict=True)], dtype=object)


# -- replicate draws -------------------------------------------------------------------


def _binomial_rate(rng, n: np.ndarray, k: np.ndarray, samples: int) -> np.ndarray:
    n = np.nan_to_num(np.asarray(n, dtype=float)).astype(np.int64)
    k = np.nan_to_num(np.asarray(k, dtype=float))
    p = np.divide(k, n, out=np.zeros(len(n)), where=n > 0).clip(0, 1)
    draws = rng.binomial(n[:, None], p[:, None], size=(len(n), samples))
    with np.errstate(divide="ignore", invalid="ignore"):
        return draws / n[:, None]


def _km_medians(rng, durations: list[np.ndarray], answered: list[np.ndarray],
                samples: int) -> np.ndarray:
    """Bootstrap KM medians: rows x samples; +inf where not reached, NaN where no data."""
    out = np.full((len(durations), samples), np.nan)
    for i, (d, e) in enumerate(zip(durations, answered, strict=True)):
        if len(d):
            out[i] = bootstrap_km_medians(d, e, samples, rng)
    return out


def replicate_values(con, values: pd.DataFrame, samples: int,
                     seed: int) -> dict[str, np.ndarray]:
    """metric -> rows x samples of bootstrap values (goodness not yet applied)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 19]))
    counts = con.execute("""
        SELECT a.platform, a.official_author, a.population,
               a.observed_window, a.answered_window,
               s.critical_observed, s.critical_answered, s.routine_observed, s.routine_answered,
               s.negative_observed, s.negative_answered, s.rest_observed, s.rest_answered,
               q.deflection_tagged, q.deflections
        FROM account_metrics a
        LEFT JOIN selectivity s USING (platform, official_author, population)
        LEFT JOIN response_quality q USING (platform, official_author, population)
    """).df()
    key = ["platform", "official_author", "population"]
    c = values[key].merge(counts, on=key, how="left", validate="one_to_one")
    out = {"answered_rate": _binomial_rate(rng, c["observed_window"], c["answered_window"],
                                           samples)}
    out["selectivity_gap"] = (
        _binomial_rate(rng, c["routine_observed"], c["routine_answered"], samples)
        - _binomial_rate(rng, c["critical_observed"], c["critical_answered"], samples))
    out["critic_gap"] = (
        _binomial_rate(rng, c["rest_observed"], c["rest_answered"], samples)
        - _binomial_rate(rng, c["negative_observed"], c["negative_answered"], samples))
    out["deflection_share"] = _binomial_rate(rng, c["deflection_tagged"], c["deflections"],
                                             samples)
    msgs = con.execute("""
        SELECT platform, official_author, coalesce(needs_response, false) AS nr,
               CASE WHEN censored THEN observed_hours ELSE latency_hours END AS dur,
               NOT censored AS answered
        FROM responses ORDER BY platform, official_author, dur
    """).df()
    durations, answered = [], []
    grouped = {k: g for k, g in msgs.groupby(["platform", "official_author"], sort=False)}
    for platform, author, population in c[key].itertuples(index=False):
        g = grouped.get((platform, author))
        if g is not None and population == "needs_response":
            g = g[g["nr"].to_numpy(dtype=bool)]
        if g is None:
            durations.append(np.empty(0))
            answered.append(np.empty(0, dtype=bool))
        else:
            durations.append(g["dur"].to_numpy(dtype=float))
            answered.append(g["answered"].to_numpy(dtype=bool))
    out["km_median_hours"] = _km_medians(rng, durations, answered, samples)
    return out


# -- ranks and composite per replicate ---------------------------------------------------


def rankdata(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n down each column of ``a``, ties given their average rank; a column
    holding a NaN is all NaN. What ``scipy.stats.rankdata(a, axis=0, method="average")``
    returns (tested against it), without importing scipy.stats on every analyze."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        return rankdata(a[:, None])[:, 0]
    n = a.shape[0]
    out = np.full(a.shape, np.nan)
    if n == 0:
        return out
    order = np.argsort(a, axis=0, kind="stable")
    s = np.take_along_axis(a, order, axis=0)
    differs = s[1:] != s[:-1]
    edge = np.ones((1, a.shape[1]), dtype=bool)
    idx = np.arange(n)[:, None]
    # first and last sorted position of each value's run of ties
    first = np.maximum.accumulate(np.where(np.vstack([edge, differs]), idx, 0), axis=0)
    last = np.minimum.accumulate(np.where(np.vstack([differs, edge]), idx, n)[::-1],
                                 axis=0)[::-1]
    np.put_along_axis(out, order, 0.5 * (first + last) + 1.0, axis=0)
    out[:, np.isnan(a).any(axis=0)] = np.nan
    return out


def _group_ranks(goodness: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Percentile ranks within each group, per replicate column (NaN rows stay NaN)."""
    out = np.full(goodness.shape, np.nan)
    for g in pd.unique(groups):
        rows = np.flatnonzero(groups == g)
        block = goodness[rows]
        out[rows] = 100.0 * (rankdata(block) - 0.5) / len(rows)
    return out


def rank_intervals(ranks: pd.DataFrame, index: pd.DataFrame, reps: dict[str, np.ndarray],
                   values: pd.DataFrame, weights: dict[str, float],
                   min_peers: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add rank_ci_low/high to ``ranks`` and the composite interval, peers and place
    range to ``index`` (both as built by analysis/benchmarks.py)."""
    key = ["platform", "official_author", "population"]
    row_of = {k: i for i, k in enumerate(values[key].itertuples(index=False, name=None))}
    samples = next(iter(reps.values())).shape[1]
    ranks = ranks.copy()
    ranks["rank_ci_low"] = np.nan
    ranks["rank_ci_high"] = np.nan
    n_rows = len(values)
    weighted = np.zeros((n_rows, samples))
    used_w = np.zeros(n_rows)
    for metric, rep in reps.items():
        sel = ranks[(ranks["metric"] == metric) & ranks["percentile_rank"].notna()]
        if sel.empty:
            continue
        rows = np.array([row_of[k] for k in sel[key].itertuples(index=False, name=None)])
        raw = np.where(sel["status"].to_numpy() == "not reached", np.inf, np.nan)[:, None] \
            * np.ones((1, samples))
        raw = np.where(np.isnan(raw), rep[rows], raw)
        raw = np.nan_to_num(raw, nan=-np.inf if sel["better"].iloc[0] == "higher" else np.inf)
        goodness = raw if sel["better"].iloc[0] == "higher" else -raw
        groups = (sel["population"].astype(str) + "\x1f" + sel["peer_group"].astype(str))
        r = _group_ranks(goodness, groups.to_numpy(dtype=object))
        lo, hi = np.percentile(r, [2.5, 97.5], axis=1)
        ranks.loc[sel.index, "rank_ci_low"] = lo
        ranks.loc[sel.index, "rank_ci_high"] = hi
        w = weights.get(metric, 0.0)
        if w > 0:
            weighted[rows] += w * r
            used_w[rows] += w
    index = index.copy()
    comp = np.divide(weighted, used_w[:, None], out=np.full_like(weighted, np.nan),
                     where=used_w[:, None] > 0)
    idx_rows = np.array([row_of[k] for k in index[key].itertuples(index=False, name=None)])
    ok = index["composite_index"].notna().to_numpy()
    lo = np.full(len(index), np.nan)
    hi = np.full(len(index), np.nan)
    if ok.any():
        lo[ok], hi[ok] = np.percentile(comp[idx_rows[ok]], [2.5, 97.5], axis=1)
    index["composite_ci_low"] = lo
    index["composite_ci_high"] = hi
    return ranks, _places(index, min_peers)


def _places(index: pd.DataFrame, min_peers: int) -> pd.DataFrame:
    """peers, rank_best, rank_worst and the reason when no place can be given."""
    index = index.copy()
    index["peers"] = pd.array([pd.NA] * len(index), dtype="Int64")
    index["rank_best"] = pd.array([pd.NA] * len(index), dtype="Int64")
    index["rank_worst"] = pd.array([pd.NA] * len(index), dtype="Int64")
    index["reason"] = None
    has = index["composite_index"].notna()
    for _, g in index[has].groupby(["population", "peer_group"], sort=False):
        n = len(g)
        index.loc[g.index, "peers"] = n
        if n < min_peers:
            continue
        low = g["composite_ci_low"].to_numpy()
        high = g["composite_ci_high"].to_numpy()
        above = (low[None, :] > high[:, None]).sum(axis=1)  # peers clearly better
        below = (high[None, :] < low[:, None]).sum(axis=1)  # peers clearly worse
        index.loc[g.index, "rank_best"] = 1 + above
        index.loc[g.index, "rank_worst"] = n - below
    no_group = index["peer_group"].isna()
    few = has & ~no_group & index["rank_best"].isna()
    index.loc[few, "status"] = "too few peers"
    index.loc[no_group & has, "status"] = "no peer group"
    index.loc[no_group, "reason"] = "no peer group (country, level or institution type " \
                                    "unknown, or not in the peer-set file)"
    index.loc[few, "reason"] = [
        f"too few peers: {int(p)} with a composite index in {g}, at least {min_peers} needed"
        for p, g in zip(index.loc[few, "peers"], index.loc[few, "peer_group"], strict=True)]
    size = index.groupby(["population", "peer_group"], dropna=False)["official_author"] \
        .transform("count")
    small = ~has & ~no_group & (size < min_peers)
    index.loc[small, "status"] = "too few peers"
    index.loc[small, "reason"] = [
        f"too few peers: {int(n)} accounts in {g}, at least {min_peers} needed"
        for n, g in zip(size[small], index.loc[small, "peer_group"], strict=True)]
    none = ~has & ~no_group & ~small
    index.loc[none, "reason"] = [
        f"too few ranked metrics: they carry {s:.0%} of the weight" if s == s else
        "no ranked metric" for s in index.loc[none, "weight_share"]]
    return index
