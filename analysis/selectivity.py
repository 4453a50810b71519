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
from .slices import POPULATIONS, empty_frame, iter_views, settings_of

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


def group_of(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Which rows are in each group (slices.py codes: critical 0/1/2 = critical/
    routine/unknown; sentiment 0/1/2/3 = negative/neutral/positive/unknown)."""
    return {
        "critical": cols["critical"] == 0,
        "routine": cols["critical"] == 1,
        "negative": cols["sentiment"] == 0,
        "rest": (cols["sentiment"] == 1) | (cols["sentiment"] == 2),
    }


def window_counts(acct: np.ndarray, n_accts: int, member: np.ndarray, answered: np.ndarray,
                  dur: np.ndarray, observed: np.ndarray, window: float):
    """(messages, observed for W, answered within W) per account for one group."""
    seen = member & (observed >= window)
    hit = seen & answered & (dur <= window)
    return (np.bincount(acct[member], minlength=n_accts),
            np.bincount(acct[seen], minlength=n_accts),
            np.bincount(acct[hit], minlength=n_accts))


def row_seed(seed: int, *key: str) -> np.random.SeedSequence:
    """A seed for one (account, population, measure), independent of other rows."""
    digest = hashlib.blake2b("\x1f".join(key).encode("utf-8"), digest_size=16).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.SeedSequence([int(seed), *words])


def bootstrap_gap(n_a: int, k_a: int, n_b: int, k_b: int, samples: int,
                  seed: np.random.SeedSequence) -> tuple[float, float]:
    """Percentile 95% CI of k_b/n_b - k_a/n_a, resampling each group."""
    rng = np.random.default_rng(seed)
    a = rng.binomial(n_a, k_a / n_a, size=samples) / n_a
    b = rng.binomial(n_b, k_b / n_b, size=samples) / n_b
    diffs = np.sort(b - a)
    return percentile(diffs, 2.5), percentile(diffs, 97.5)


def percentile(ordered: np.ndarray, q: float) -> float:
    """numpy.percentile's default (linear) rule on already sorted values."""
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


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
    counts: dict[tuple[str, str], list] = {}
    accounts = None
    for msgs, view in iter_views(ctx, business=False):
        accounts = msgs.accounts
        cols = view.cols
        n_accts = len(accounts)
        groups = group_of(cols)
        for population in POPULATIONS:
            keep = cols["nr"] if population == "needs_response" else np.ones(len(cols["nr"]), bool)
            for name, member in groups.items():
                c = window_counts(cols["acct"], n_accts, member & keep, cols["answered"],
                                  cols["dur"], cols["observed"], window)
                counts.setdefault((population, name), []).append(c)
            total = np.bincount(cols["acct"][keep], minlength=n_accts)
            day = np.bincount(cols["acct"][keep & cols["day"]], minlength=n_accts)
            counts.setdefault((population, "total"), []).append((total, day))
    if accounts is None:
        return empty_frame(SELECTIVITY_COLUMNS)
    rows = []
    # plain lists: a pandas row per account costs more than the row's own arithmetic
    platforms = accounts["platform"].tolist()
    authors = accounts["official_author"].tolist()
    for population in POPULATIONS:
        summed = {name: [sum(parts) for parts in zip(*counts[(population, name)], strict=True)]
                  for name in ("critical", "routine", "negative", "rest", "total")}
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
        return {"selectivity": selectivity(ctx)}
