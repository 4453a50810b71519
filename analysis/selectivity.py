"""Selectivity gap and critic gap per official account, with bootstrap CIs.

- Selectivity gap = response rate within W on routine messages minus the rate
  on critical ones. Positive: the account answers trivia more than what
  matters.
- Critic gap = rate on the rest (neutral or positive, VADER compound > -0.05)
  minus the rate on negative messages (compound <= -0.05). Positive: critics
  are answered less.

Both are differences "comparison group minus sensitive group", so a positive
figure always reads as avoidance. Messages without the tag (critical unknown,
no sentiment score) are in neither group. Rates count only messages observed
for at least W.

95% CI: percentile bootstrap, resampling messages with replacement within each
group (group sizes fixed), B replicates (settings ``bootstrap_samples``, default
1000), seeded (settings ``seed``) per account, population and measure, so a
figure does not change when other accounts are added. A rate is a mean of 0/1
answers, so the number answered in a resample of n messages of which k were
answered is Binomial(n, k/n): drawing that count is the same bootstrap as
drawing the n messages one by one, without materialising them.

Minimum n (settings ``min_n``, default 10): when either group has fewer
messages observed for W, the gap and its CI are NULL and the status reads
"too few"; the counts and the two rates are still given.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from govwatch.errors import UsageError

from .registry import Metric, MetricContext, register_metric
from .slices import POPULATIONS, empty_frame, heap_kept, iter_views, settings_of

# measure -> (prefix of its columns, sensitive group, comparison group)
MEASURES = {
    "selectivity_gap": ("gap", "critical", "routine"),
    "critic_gap": ("critic", "negative", "rest"),
}


def _group_columns(group: str) -> dict[str, str]:
    return {
        f"{group}_messages": "BIGINT",
        f"{group}_observed": "BIGINT",
        f"{group}_answered": "BIGINT",
        f"{group}_rate": "DOUBLE",
    }


SELECTIVITY_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "population": "VARCHAR",
    "window_hours": "DOUBLE",
    **_group_columns("critical"),
    **_group_columns("routine"),
    "selectivity_gap": "DOUBLE",
    "gap_ci_low": "DOUBLE",
    "gap_ci_high": "DOUBLE",
    "gap_status": "VARCHAR",
    **_group_columns("negative"),
    **_group_columns("rest"),
    "critic_gap": "DOUBLE",
    "critic_ci_low": "DOUBLE",
    "critic_ci_high": "DOUBLE",
    "critic_status": "VARCHAR",
    "day_precision_messages": "BIGINT",
    "min_n": "BIGINT",
    "bootstrap_samples": "BIGINT",
    "seed": "BIGINT",
}


# Dimensions of the per-account counts of :func:`account_counts`.
_NR, _DAY, _CRITICAL, _SENTIMENT, _STATUS = 2, 2, 3, 4, 3


def account_counts(cols: dict[str, np.ndarray], n_accts: int, window: float) -> np.ndarray:
    """Messages per account by (needs a response, timed to the day, critical code,
    sentiment code, status), status 0: not observed for W, 1: observed but not answered
    within W, 2: answered within W. One count over the rows (slices.py codes: critical
    0/1/2 = critical/routine/unknown; sentiment 0/1/2/3 = negative/neutral/positive/
    unknown) from which every group's counts are sums."""
    seen = cols["observed"] >= window
    status = seen.astype(np.int64)
    status += seen & cols["answered"] & (cols["dur"] <= window)
    key = cols["acct"].astype(np.int64) * _NR + cols["nr"]
    key = key * _DAY + cols["day"]
    key = key * _CRITICAL + cols["critical"]
    key = key * _SENTIMENT + cols["sentiment"]
    key = key * _STATUS + status
    shape = (n_accts, _NR, _DAY, _CRITICAL, _SENTIMENT, _STATUS)
    return np.bincount(key, minlength=int(np.prod(shape))).reshape(shape)


def population_counts(counts: np.ndarray, population: str) -> dict[str, list[np.ndarray]]:
    """Per account: [messages, observed for W, answered within W] of each group, and
    [messages, messages timed to the day] of the population (``total``)."""
    c = counts if population == "all" else counts[:, 1:]
    c = c.sum(axis=(1, 2))  # account, critical, sentiment, status
    by_critical, by_sentiment = c.sum(axis=2), c.sum(axis=1)

    def group(by: np.ndarray) -> list[np.ndarray]:  # account, status
        return [by.sum(axis=1), by[:, 1] + by[:, 2], by[:, 2]]

    day = (counts if population == "all" else counts[:, 1:])[:, :, 1].sum(axis=(1, 2, 3, 4))
    return {"critical": group(by_critical[:, 0]), "routine": group(by_critical[:, 1]),
            "negative": group(by_sentiment[:, 0]),
            "rest": group(by_sentiment[:, 1] + by_sentiment[:, 2]),
            "total": [c.sum(axis=(1, 2, 3)), day]}


def row_seed(seed: int, *key: str) -> np.random.SeedSequence:
    """A seed for one (account, population, measure), independent of other rows."""
    digest = hashlib.blake2b("\x1f".join(key).encode("utf-8"), digest_size=16).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.SeedSequence([int(seed), *words])


def bootstrap_gap(n_a: int, k_a: int, n_b: int, k_b: int, samples: int,
                  seed: np.random.SeedSequence) -> tuple[float, float]:
    """Percentile 95% CI of k_b/n_b - k_a/n_a, resampling each group."""
    rng = np.random.Generator(np.random.PCG64(seed))  # what default_rng(seed) builds
    a = rng.binomial(n_a, k_a / n_a, size=samples) / n_a
    b = rng.binomial(n_b, k_b / n_b, size=samples) / n_b
    diffs = b - a
    # the two percentiles read four order statistics: a partition places them as a
    # full sort would (same values, so the same limits)
    low, high = _positions(samples, 2.5), _positions(samples, 97.5)
    diffs.partition(sorted({*low[:2], *high[:2]}))
    return _interpolate(diffs, low), _interpolate(diffs, high)


def _positions(size: int, q: float) -> tuple[int, int, float]:
    """numpy.percentile's default (linear) rule: the two order statistics it reads
    and the weight of the upper one."""
    pos = (size - 1) * q / 100.0
    lo = int(np.floor(pos))
    return lo, min(lo + 1, size - 1), pos - lo


def _interpolate(ordered: np.ndarray, at: tuple[int, int, float]) -> float:
    lo, hi, frac = at
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * frac)


def gap(n_a: int, k_a: int, n_b: int, k_b: int, min_n: int, samples: int,
        seed: np.random.SeedSequence) -> tuple[float | None, float | None, float | None, str]:
    """(estimate, CI low, CI high, status) of rate_b - rate_a."""
    if n_a < min_n or n_b < min_n or n_a == 0 or n_b == 0:
        return None, None, None, "too few"
    low, high = bootstrap_gap(n_a, k_a, n_b, k_b, samples, seed)
    return k_b / n_b - k_a / n_a, low, high, "ok"


def selectivity(ctx: MetricContext) -> pd.DataFrame:
    window, min_n = settings_of(ctx)
    samples = int(ctx.settings.selectivity.bootstrap_samples)
    seed = int(ctx.settings.selectivity.seed)
    if samples < 1:
        raise UsageError("selectivity.bootstrap_samples must be at least 1")
    counts = None
    accounts = None
    for msgs, view in iter_views(ctx, business=False):
        accounts = msgs.accounts
        chunk = account_counts(view.cols, len(accounts), window)
        counts = chunk if counts is None else counts + chunk
    if accounts is None or counts is None:
        return empty_frame(SELECTIVITY_COLUMNS)
    rows = []
    # plain lists: a pandas row per account costs more than the row's own arithmetic
    platforms = accounts["platform"].tolist()
    authors = accounts["official_author"].tolist()
    for population in POPULATIONS:
        summed = population_counts(counts, population)
        for acct in np.flatnonzero(summed["total"][0] > 0):
            account = {"platform": platforms[acct], "official_author": authors[acct]}
            rows.append(_row(account, population, summed, acct, window, min_n, samples, seed))
    if not rows:
        return empty_frame(SELECTIVITY_COLUMNS)
    return pd.DataFrame(rows, columns=list(SELECTIVITY_COLUMNS))


def _row(account, population, summed, acct, window, min_n, samples, seed) -> dict:
    row = {"platform": account["platform"], "official_author": account["official_author"],
           "population": population, "window_hours": window}
    for group in ("critical", "routine", "negative", "rest"):
        messages, observed, answered = (int(x[acct]) for x in summed[group])
        row[f"{group}_messages"] = messages
        row[f"{group}_observed"] = observed
        row[f"{group}_answered"] = answered
        row[f"{group}_rate"] = answered / observed if observed else None
    for measure, (prefix, a, b) in MEASURES.items():
        est, low, high, state = gap(
            row[f"{a}_observed"], row[f"{a}_answered"], row[f"{b}_observed"],
            row[f"{b}_answered"], min_n, samples,
            row_seed(seed, account["platform"], account["official_author"], population, measure))
        row[measure] = est
        row[f"{prefix}_ci_low"] = low
        row[f"{prefix}_ci_high"] = high
        row[f"{prefix}_status"] = state
    row["day_precision_messages"] = int(summed["total"][1][acct])
    row.update({"min_n": min_n, "bootstrap_samples": samples, "seed": seed})
    return row


@register_metric
class Selectivity(Metric):
    name = "selectivity"
    account_tables = ("selectivity",)
    description = (
        "Per official account and population: selectivity gap (routine minus critical "
        "response rate within the window) and critic gap (rate on the rest minus rate on "
        "negative messages), each with a seeded percentile-bootstrap 95% CI and a "
        "minimum-n rule."
    )
    tables = {"selectivity": SELECTIVITY_COLUMNS}
    table_descriptions = {
        "selectivity": "the selectivity gap (routine minus critical response rate)",
    }
    column_meanings = {"selectivity": {
        "population": "needs_response or all inbound messages",
        "window_hours": "W, the response window in hours",
        **{f"{g}_{c}": text.format(what)
           for g, what in (("critical", "critical"), ("routine", "routine (not critical)"),
                           ("negative", "negative (VADER <= -0.05)"),
                           ("rest", "neutral or positive (VADER > -0.05)"))
           for c, text in (("messages", "{} messages"),
                           ("observed", "{} messages observed for at least W"),
                           ("answered", "{} messages answered within W (of the observed)"),
                           ("rate", "Response rate within W on {} messages"))},
        "selectivity_gap": "routine_rate - critical_rate; positive: trivia answered more than "
                           "critical issues; empty when too few",
        "gap_ci_low": "Lower limit of the percentile-bootstrap 95% CI of the gap",
        "gap_ci_high": "Upper limit of the percentile-bootstrap 95% CI of the gap",
        "gap_status": "'too few' when critical_observed or routine_observed < min_n, else ok",
        "critic_gap": "rest_rate - negative_rate; positive: critics answered less; empty when "
                      "too few",
        "critic_ci_low": "Lower limit of the percentile-bootstrap 95% CI of the critic gap",
        "critic_ci_high": "Upper limit of the percentile-bootstrap 95% CI of the critic gap",
        "critic_status": "'too few' when negative_observed or rest_observed < min_n, else ok",
        "day_precision_messages": "Messages of the population whose time, or their "
                                  "response's, was written as a date alone and taken as "
                                  "midnight (ingest --day-precision): the rates and gaps rest "
                                  "on latencies known to the day only. 0: every time has its "
                                  "time of day",
        "min_n": "Minimum messages observed for W per group",
        "bootstrap_samples": "Bootstrap replicates",
        "seed": "Seed of the bootstrap (each row derives its own stream from it)",
    }}

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        with heap_kept():
            return {"selectivity": selectivity(ctx)}
