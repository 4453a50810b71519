"""Before and after a date: did an account answer more, or faster, after it?

For each date the user names (``govwatch analyze --change-date 2026-02-01``; a new
grievance policy, a minister's change), each official account and each population,
the messages of the ``window_days`` before the date are compared with those of the
``window_days`` from it (0: everything before and everything after):

- the response rate within W on each side (messages observed for W; Wilson 95%
  intervals) and the difference after - before with Newcombe's hybrid score 95%
  interval (statsmodels' ``confint_proportions_2indep``, method ``newcomb``);
- the Kaplan-Meier median latency on each side (unanswered messages censored at the
  observation end, as everywhere; Brookmeyer-Crowley 95% intervals) and the difference
  after - before with a percentile bootstrap 95% interval (messages resampled within
  each side, ``median_samples`` replicates from ``median_seed``). A side whose median is not
  reached in a replicate has a median beyond its follow-up: an interval bound that such
  replicates decide is left empty (unbounded).

A side with fewer than ``min_n`` messages observed for W reads "too few" for the rate;
fewer than ``min_n`` messages, "too few" for the median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .registry import Metric, MetricContext, register_metric
from .settings import parse_change_date
from .slices import POPULATIONS, empty_frame
from .survival import Z95, bootstrap_km_medians, grouped_km

SIDES = ("before", "after")
_SIDE_COLUMNS = {
    "messages": "BIGINT",
    "observed_window": "BIGINT",
    "answered_window": "BIGINT",
    "rate": "DOUBLE",
    "rate_ci_low": "DOUBLE",
    "rate_ci_high": "DOUBLE",
    "median_hours": "DOUBLE",
    "median_ci_low": "DOUBLE",
    "median_ci_high": "DOUBLE",
    "max_followup_hours": "DOUBLE",
}
COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "population": "VARCHAR",
    "change_at": "TIMESTAMP WITH TIME ZONE",
    "window_days": "BIGINT",
    "window_hours": "DOUBLE",
    **{f"{side}_{c}": t for side in SIDES for c, t in _SIDE_COLUMNS.items()},
    "rate_difference": "DOUBLE",
    "rate_difference_ci_low": "DOUBLE",
    "rate_difference_ci_high": "DOUBLE",
    "rate_status": "VARCHAR",
    "median_difference_hours": "DOUBLE",
    "median_difference_ci_low": "DOUBLE",
    "median_difference_ci_high": "DOUBLE",
    "median_status": "VARCHAR",
    "bootstrap_samples": "BIGINT",
    "seed": "BIGINT",
}
MEANINGS = {
    "platform": "Platform of the account",
    "official_author": "Official account (in clear)",
    "population": "Message population: needs_response or all",
    "change_at": "The date compared around (UTC; a date alone is its midnight)",
    "window_days": "Days on each side compared; 0 means everything before and after",
    "window_hours": "W, the response window of the rates, in hours",
    "rate_difference": "after_rate - before_rate (share answered within W)",
    "rate_difference_ci_low": "Lower bound of Newcombe's hybrid score 95% interval",
    "rate_difference_ci_high": "Upper bound of Newcombe's hybrid score 95% interval",
    "rate_status": "'too few' when a side has fewer than min_n messages observed for W",
    "median_difference_hours": "after_median_hours - before_median_hours (KM medians); "
    "empty when a median is not reached",
    "median_difference_ci_low": "Lower bound of the bootstrap 95% interval; empty when "
    "unbounded",
    "median_difference_ci_high": "Upper bound of the bootstrap 95% interval; empty when "
    "unbounded",
    "median_status": "ok, 'too few' (a side under min_n messages) or 'not reached'",
    "bootstrap_samples": "Bootstrap replicates of the median difference",
    "seed": "Seed of the bootstrap (each date and population draws its own stream from it)",
}
for _side in SIDES:
    MEANINGS.update({
        f"{_side}_messages": f"Messages {_side} the date (within the window)",
        f"{_side}_observed_window": f"Of those, observed for at least W ({_side})",
        f"{_side}_answered_window": f"Of those, answered within W ({_side})",
        f"{_side}_rate": f"{_side}_answered_window / {_side}_observed_window",
        f"{_side}_rate_ci_low": "Lower bound of the Wilson 95% interval of the rate",
        f"{_side}_rate_ci_high": "Upper bound of the Wilson 95% interval of the rate",
        f"{_side}_median_hours": f"Kaplan-Meier median latency {_side} the date; empty when "
        "not reached",
        f"{_side}_median_ci_low": "Lower bound of the 95% CI of the KM median",
        f"{_side}_median_ci_high": "Upper bound of the 95% CI of the KM median; empty when "
        "unbounded",
        f"{_side}_max_followup_hours": "Longest follow-up on that side (a median not reached "
        "reads '> this')",
    })


def wilson_bounds(k: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score 95% intervals (NaN where n is 0)."""
    from statsmodels.stats.proportion import proportion_confint

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    low = np.full(len(n), np.nan)
    high = np.full(len(n), np.nan)
    ok = n > 0
    if ok.any():
        lo, hi = proportion_confint(k[ok], n[ok], alpha=0.05, method="wilson")
        low[ok], high[ok] = lo, hi
    return low, high


def _side_km(d: np.ndarray, answered: np.ndarray):
    order = np.argsort(d, kind="stable")
    return grouped_km(np.array([0, len(d)]), d[order], answered[order], (), check=False)


def _median_difference(before, after, reps: int, key: list[int]) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of after - before; NaN for an unbounded side."""
    rng = np.random.default_rng(key)
    mb = bootstrap_km_medians(before[0], before[1], reps, rng)
    ma = bootstrap_km_medians(after[0], after[1], reps, rng)
    with np.errstate(invalid="ignore"):
        diff = ma - mb  # inf - inf (both not reached) is NaN: no bound can be told
    if np.isnan(diff).any():
        return np.nan, np.nan
    diff = np.sort(diff)  # percentile bounds by rank: no arithmetic on infinite values
    low, high = diff[int(np.floor(0.025 * (reps - 1)))], diff[int(np.ceil(0.975 * (reps - 1)))]
    return (float(low) if np.isfinite(low) else np.nan,
            float(high) if np.isfinite(high) else np.nan)


def before_after(ctx: MetricContext) -> pd.DataFrame:
    s = ctx.settings.change
    if not s.dates or ctx.obs_end is None:
        return empty_frame(COLUMNS)
    window = float(ctx.settings.window_hours)
    min_n = int(ctx.settings.min_n)
    msgs = ctx.con.execute(
        "SELECT platform, official_author, message_created_at, coalesce(needs_response, false) "
        "AS needs_response, NOT censored AS answered, "
        "CASE WHEN censored THEN observed_hours ELSE latency_hours END AS d, observed_hours "
        "FROM responses ORDER BY platform, official_author, message_created_at, message_id"
    ).df()
    if msgs.empty:
        return empty_frame(COLUMNS)
    msgs["message_created_at"] = pd.to_datetime(msgs["message_created_at"], utc=True)
    rows = []
    for n_date, text in enumerate(s.dates):
        at = parse_change_date(text)
        t = pd.Timestamp(at)
        span = pd.Timedelta(days=s.window_days) if s.window_days else None
        created = msgs["message_created_at"]
        before, after = created < t, created >= t
        if span is not None:
            before &= created >= t - span
            after &= created < t + span
        sides = {"before": before, "after": after}
        for population in POPULATIONS:
            pop = msgs[msgs["needs_response"]] if population == "needs_response" else msgs
            for (platform, author), grp in pop.groupby(["platform", "official_author"],
                                                       sort=True):
                row = {"platform": platform, "official_author": author,
                       "population": population, "change_at": at,
                       "window_days": s.window_days, "window_hours": window}
                parts = {}
                for side, mask in sides.items():
                    g = grp[mask.loc[grp.index]]
                    d = g["d"].to_numpy(dtype=float)
                    e = g["answered"].to_numpy(dtype=bool)
                    parts[side] = (d, e)
                    seen = g["observed_hours"].to_numpy(dtype=float) >= window
                    row[f"{side}_messages"] = len(g)
                    row[f"{side}_observed_window"] = int(seen.sum())
                    row[f"{side}_answered_window"] = int((seen & e & (d <= window)).sum())
                    km = _side_km(d, e) if len(d) else None
                    row[f"{side}_median_hours"] = float(km.median[0]) if km else np.nan
                    row[f"{side}_median_ci_low"] = float(km.ci_low[0]) if km else np.nan
                    row[f"{side}_median_ci_high"] = float(km.ci_high[0]) if km else np.nan
                    row[f"{side}_max_followup_hours"] = float(d.max()) if len(d) else np.nan
                key = [s.median_seed, n_date, POPULATIONS.index(population)]
                rows.append(_compare(row, parts, min_n, s.median_samples, key))
    if not rows:
        return empty_frame(COLUMNS)
    frame = pd.DataFrame(rows)
    for side in SIDES:
        k, n = frame[f"{side}_answered_window"], frame[f"{side}_observed_window"]
        frame[f"{side}_rate"] = np.where(n > 0, k / n.where(n > 0, 1), np.nan)
        frame[f"{side}_rate_ci_low"], frame[f"{side}_rate_ci_high"] = wilson_bounds(k, n)
    frame = frame.reindex(columns=list(COLUMNS))
    frame["change_at"] = pd.to_datetime(frame["change_at"], utc=True)
    return frame


def _compare(row: dict, parts: dict, min_n: int, reps: int, key: list[int]) -> dict:
    """The differences of one row; the bootstrap stream is ``key`` (seed, date, population)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    nb, na = row["before_observed_window"], row["after_observed_window"]
    kb, ka = row["before_answered_window"], row["after_answered_window"]
    row["rate_status"] = "ok" if min(nb, na) >= min_n else "too few"
    row["rate_difference"] = row["rate_difference_ci_low"] = np.nan
    row["rate_difference_ci_high"] = np.nan
    if nb > 0 and na > 0:
        row["rate_difference"] = ka / na - kb / nb
        low, high = confint_proportions_2indep(ka, na, kb, nb, method="newcomb", compare="diff")
        row["rate_difference_ci_low"], row["rate_difference_ci_high"] = float(low), float(high)
    mb, ma = row["before_median_hours"], row["after_median_hours"]
    row["median_difference_hours"] = np.nan
    row["median_difference_ci_low"] = row["median_difference_ci_high"] = np.nan
    if min(row["before_messages"], row["after_messages"]) < min_n:
        row["median_status"] = "too few"
    elif np.isnan(mb) or np.isnan(ma):
        row["median_status"] = "not reached"
    else:
        row["median_status"] = "ok"
        row["median_difference_hours"] = ma - mb
        low, high = _median_difference(parts["before"], parts["after"], reps, key)
        row["median_difference_ci_low"], row["median_difference_ci_high"] = low, high
    row["bootstrap_samples"] = reps
    row["seed"] = key[0]
    return row


@register_metric
class BeforeAfter(Metric):
    name = "before_after"
    description = ("Response rate and Kaplan-Meier median before and after dates the user "
                   "names, with the differences and their 95% intervals")
    tables = {"before_after": COLUMNS}
    column_meanings = {"before_after": MEANINGS}

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        return {"before_after": before_after(ctx)}


# The series of change over time as the exports and the dashboard read them: the weekly
# and monthly rows of slice_metrics with the Wilson score 95% interval of each rate.
# Wilson score 95% interval of k of n, in SQL (the formula statsmodels' "wilson" uses).
_Z2 = Z95 * Z95


def wilson_sql(k: str, n: str, bound: str) -> str:
    sign = "-" if bound == "low" else "+"
    p = f"({k})::DOUBLE / ({n})"
    return (f"CASE WHEN ({n}) > 0 THEN greatest(0.0, least(1.0, "
            f"({p} + {_Z2 / 2!r} / ({n}) {sign} {Z95!r} * sqrt({p} * (1 - {p}) / ({n}) "
            f"+ {_Z2 / 4!r} / (({n}) * ({n})))) / (1 + {_Z2!r} / ({n})))) END")


SERIES_MEANINGS = {
    "platform": "Platform of the account",
    "official_author": "Official account (in clear)",
    "institution": "Institution running the account",
    "population": "Message population: needs_response or all",
    "period_kind": "week (ISO, from Monday) or month, in the account's local time",
    "period": "The period (2026-W05, 2026-02)",
    "period_start": "First local day of the period",
    "slice_kind": "all, or critical (the critical / routine split)",
    "slice_value": "Slice value (critical, routine; empty: not tagged; 'all' for all)",
    "messages": "Inbound messages written in the period",
    "observed_window": "Messages observed for at least W (the denominator of the rate)",
    "answered_window": "Of those, answered within W",
    "window_hours": "W, the response window in hours",
    "answered_rate_window": "answered_window / observed_window",
    "rate_ci_low": "Lower bound of the Wilson 95% interval of the rate",
    "rate_ci_high": "Upper bound of the Wilson 95% interval of the rate",
    "rate_status": "'too few' when observed_window < min_n, else ok",
    "km_median_hours": "Kaplan-Meier median latency of the period's messages (censored at "
    "the observation end); empty when not reached",
    "km_median_ci_low": "Lower bound of the 95% CI of the KM median",
    "km_median_ci_high": "Upper bound of the 95% CI of the KM median; empty when unbounded",
    "km_median_reached": "At least half of the period's messages were answered",
    "max_followup_hours": "Longest follow-up in the period ('> X' when not reached)",
    "median_status": "'too few' when messages < min_n, else ok",
}


def series_sql() -> str:
    return f"""
    SELECT platform, official_author, institution, population, period_kind, period,
           period_start, slice_kind,
           CASE WHEN slice_kind = 'all' THEN 'all' ELSE slice_value END AS slice_value,
           messages, observed_window, answered_window, window_hours, answered_rate_window,
           {wilson_sql('answered_window', 'observed_window', 'low')} AS rate_ci_low,
           {wilson_sql('answered_window', 'observed_window', 'high')} AS rate_ci_high,
           rate_status, km_median_hours, km_median_ci_low, km_median_ci_high,
           km_median_reached, max_followup_hours, median_status
    FROM slice_metrics
    WHERE period_kind IN ('week', 'month') AND slice_kind IN ('all', 'critical')
    ORDER BY platform, official_author, population, period_kind DESC, slice_kind,
             slice_value NULLS LAST, period_start
    """
