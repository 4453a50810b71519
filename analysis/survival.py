"""Kaplan-Meier estimates of time to response.

Unanswered messages are right-censored at their observed time, never dropped:
dropping them would make slow accounts look fast.

Two implementations that give the same numbers:

- :func:`kaplan_meier` -- one group, through statsmodels' ``SurvfuncRight``
  (the reference; also draws the curve of one account);
- :func:`km_median_of` -- one group's median alone, through :func:`grouped_km`:
  what metrics that need no curve call, so that analyze imports neither
  statsmodels nor scipy.stats;
- :func:`grouped_km` -- many groups at once, vectorised with numpy over arrays
  sorted by (group, duration). It reproduces ``SurvfuncRight`` (survival,
  Greenwood standard error, the Brookmeyer-Crowley confidence interval of the
  median on the log(-log) scale) without a Python loop per group, which is
  what makes per-slice metrics on millions of messages affordable. Each
  group's running sums run over that group alone, so a group's figures do
  not depend on which other groups share its chunk.
  ``tests/test_metrics_properties.py`` checks the two agree.

Median convention (R's ``survival`` package): the smallest time at which the
survival curve is at or below one half; where the curve stays at exactly one
half over an interval, the midpoint of that interval (up to the longest
follow-up when the flat part runs to the end of the curve). With nothing
censored the KM median therefore equals the ordinary median.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govwatch.config import UNANSWERED_AT_HOURS

# Two-sided 95% normal quantile (scipy.stats.norm.ppf(0.975), as statsmodels uses).
Z95 = 1.959963984540054
# Tolerance for "the curve is exactly one half" (R: sqrt(.Machine$double.eps)).
MEDIAN_TOL = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class KMSummary:
    n: int
    events: int
    median: float | None  # hours; None when under half are answered ("not reached")
    ci_low: float | None  # None when no time passes the test (or no event)
    ci_high: float | None  # None: the upper limit is not reached
    max_followup: float  # longest observed duration; "not reached" reads "> max_followup"
    curve: pd.DataFrame  # hours, survival, ci_low, ci_high (step function, starts at 0)

    @property
    def reached(self) -> bool:
        return self.median is not None

    def unanswered_at(self, hours: float) -> float | None:
        """Share still unanswered at ``hours`` (KM survival), None beyond follow-up."""
        if self.n == 0 or hours > self.max_followup:
            return None
        c = self.curve
        return float(c.loc[c["hours"] <= hours, "survival"].iloc[-1])


def _finite(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def km_median(times: np.ndarray, surv: np.ndarray, max_followup: float) -> float | None:
    """KM median by R's rule from event times and the survival just after each.

    The first event time where S < 0.5 + tol; if S is within tol of 0.5 there,
    the midpoint between it and the first later time where S < 0.5 - tol, or the
    longest follow-up when the curve ends flat at one half.
    """
    times = np.asarray(times, dtype=float)
    surv = np.asarray(surv, dtype=float)
    at_or_below = np.flatnonzero(surv < 0.5 + MEDIAN_TOL)
    if len(at_or_below) == 0:
        return None
    i = at_or_below[0]
    if surv[i] <= 0.5 - MEDIAN_TOL:
        return float(times[i])
    later = np.flatnonzero(surv[i + 1:] < 0.5 - MEDIAN_TOL)
    upper = times[i + 1 + later[0]] if len(later) else max_followup
    return float((times[i] + upper) / 2)


def loglog_band(surv: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 95% band of a survival curve on the log(-log) scale."""
    s = np.asarray(surv, dtype=float)
    se = np.nan_to_num(np.asarray(se, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.log(-np.log(s))
        width = Z95 * se / (s * np.abs(np.log(s)))
        lo = np.exp(-np.exp(theta + width))
        hi = np.exp(-np.exp(theta - width))
    return np.where(np.isfinite(lo), lo, s), np.where(np.isfinite(hi), hi, s)


def km_median_of(durations, answered) -> tuple[float | None, float]:
    """One group's KM median (None: not reached, or no durations) and its longest
    follow-up (0 when empty): ``kaplan_meier``'s ``median`` and ``max_followup``,
    computed by :func:`grouped_km` (numpy only)."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(answered, dtype=bool)
    if len(d) == 0:
        return None, 0.0
    order = np.argsort(d, kind="stable")
    km = grouped_km(np.array([0, len(d)]), d[order], e[order], at=())
    median = float(km.median[0])
    return (None if np.isnan(median) else median), float(km.max_followup[0])


def kaplan_meier(durations, answered) -> KMSummary:
    """KM summary of durations (hours) with ``answered`` True for events, False for censored."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(answered, dtype=bool)
    if len(d) == 0:
        empty = pd.DataFrame({"hours": [], "survival": [], "ci_low": [], "ci_high": []})
        return KMSummary(0, 0, None, None, None, 0.0, empty)
    if np.isnan(d).any() or (d < 0).any():
        raise ValueError("durations must be non-negative numbers")
    max_followup = float(d.max())
    if not e.any():
        curve = pd.DataFrame({"hours": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]})
        return KMSummary(len(d), 0, None, None, None, max_followup, curve)

    from statsmodels.duration.survfunc import SurvfuncRight

    with np.errstate(divide="ignore", invalid="ignore"):
        sf = SurvfuncRight(d, e.astype(int))
        low, high = sf.quantile_ci(0.5, alpha=0.05, method="cloglog")
    times = np.asarray(sf.surv_times, dtype=float)
    s = np.asarray(sf.surv_prob, dtype=float)
    lo, hi = loglog_band(s, np.asarray(sf.surv_prob_se, dtype=float))
    curve = pd.DataFrame(
        {
            "hours": np.concatenate([[0.0], times]),
            "survival": np.concatenate([[1.0], s]),
            "ci_low": np.concatenate([[1.0], lo]),
            "ci_high": np.concatenate([[1.0], hi]),
        }
    )
    return KMSummary(
        n=len(d),
        events=int(e.sum()),
        median=km_median(times, s, max_followup),
        ci_low=_finite(low),
        ci_high=_finite(high),
        max_followup=max_followup,
        curve=curve,
    )


# -- many groups at once ------------------------------------------------------


@dataclass
class GroupedKM:
    """Per-group results of :func:`grouped_km`; NaN where a value does not exist."""

    n: np.ndarray
    events: np.ndarray
    max_followup: np.ndarray
    median: np.ndarray  # NaN: not reached
    ci_low: np.ndarray
    ci_high: np.ndarray  # NaN: not reached (statsmodels' +inf) or no interval
    naive_median: np.ndarray  # median duration of the answered; NaN if none
    unanswered: dict[float, np.ndarray] = field(default_factory=dict)
    # Event rows of every curve: group, time, survival, pointwise band.
    curve: pd.DataFrame | None = None

    @property
    def reached(self) -> np.ndarray:
        return ~np.isnan(self.median)


class _Segments:
    """Consecutive runs of rows (one per group), laid out so that a cumulative
    sum runs inside each run only, left to right, as numpy sums one group alone:
    a long run is summed as its own slice; the short ones a position at a time,
    every run still that long at once (row k of each run adds row k - 1's sum).
    Each run's sums are then exactly those of summing that group alone, whatever
    else is in the chunk -- results do not depend on chunk size or worker count,
    to the bit."""

    #: Runs at least this long are summed one by one (a Python step each); shorter
    #: ones a position at a time (a Python step per position up to this length).
    LONG = 256

    def __init__(self, bounds: np.ndarray):
        starts, lengths = bounds[:-1], np.diff(bounds)
        self.size = int(bounds[-1])
        long = lengths >= self.LONG
        self.long = list(zip(starts[long].tolist(), bounds[1:][long].tolist(), strict=True))
        short = (lengths > 1) & ~long  # a run of one row is its own sum
        by_length = np.argsort(-lengths[short], kind="stable")
        first, size = starts[short][by_length], lengths[short][by_length]
        # runs longer than k, for k = 1, 2, ...: a prefix of the runs by length
        longer = np.searchsorted(-size, -np.arange(1, int(size.max()) if len(size) else 1),
                                 side="left")
        self.steps = [first[:count] + k for k, count in enumerate(longer.tolist(), 1)]

    def cumsum(self, x: np.ndarray) -> np.ndarray:
        """The runs' cumulative sums of ``x``."""
        out = np.array(x, dtype=float)
        for rows in self.steps:
            out[rows] = out[rows - 1] + out[rows]
        for lo, hi in self.long:
            np.cumsum(x[lo:hi], out=out[lo:hi])
        return out


def _first_per_group(rows: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted ``rows`` with their (sorted) ``groups``: the first row of each group."""
    if len(rows) == 0:
        return rows, rows
    new = np.ones(len(rows), dtype=bool)
    new[1:] = groups[1:] != groups[:-1]
    return rows[new], groups[new]


def _last_per_group(rows: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(rows) == 0:
        return rows, rows
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = groups[1:] != groups[:-1]
    return rows[last], groups[last]


def grouped_km(
    bounds: np.ndarray,
    durations: np.ndarray,
    answered: np.ndarray,
    at: Sequence[float] = UNANSWERED_AT_HOURS,
    with_curve: bool = False,
    check: bool = True,
) -> GroupedKM:
    """Kaplan-Meier per group for rows sorted by (group, duration).

    ``bounds`` holds the start row of each group and, last, the row count
    (``len(bounds) - 1`` groups, none empty). ``check=False`` skips the
    validation of inputs a caller has built itself.
    """
    bounds = np.asarray(bounds, dtype=np.int64)
    d = np.asarray(durations, dtype=float)
    e = np.asarray(answered, dtype=bool)
    n_groups = len(bounds) - 1
    sizes = np.diff(bounds)
    if check:
        if n_groups < 0 or (sizes <= 0).any() or bounds[-1] != len(d):
            raise ValueError("bounds must cut the rows into non-empty groups")
        if np.isnan(d).any() or (d < 0).any():
            raise ValueError("durations must be non-negative numbers")
    e8 = e.view(np.uint8)
    heads = bounds[:-1]
    # answered rows before each row (and, last, in all): a run's count is a difference
    before = np.zeros(len(d) + 1, dtype=np.int64)
    np.cumsum(e8, dtype=np.int64, out=before[1:])
    events = np.diff(before[bounds]) if n_groups else np.zeros(0, np.int64)
    max_followup = d[bounds[1:] - 1] if n_groups else np.empty(0)
    out = GroupedKM(
        n=sizes, events=events, max_followup=max_followup,
        median=np.full(n_groups, np.nan), ci_low=np.full(n_groups, np.nan),
        ci_high=np.full(n_groups, np.nan), naive_median=_naive_median(bounds, d, e, events),
    )
    if n_groups == 0:
        out.unanswered = {h: np.empty(0) for h in at}
        return out

    # Distinct (group, time) rows that carry at least one event.
    new = np.ones(len(d), dtype=bool)
    new[1:] = d[1:] != d[:-1]
    new[heads] = True
    starts = np.flatnonzero(new)
    deaths_all = np.empty(len(starts), dtype=np.int64)
    answered_before = before[starts]
    np.subtract(answered_before[1:], answered_before[:-1], out=deaths_all[:-1])
    deaths_all[-1] = before[-1] - answered_before[-1]
    keep = deaths_all > 0
    starts, deaths = starts[keep], deaths_all[keep]
    tg = np.repeat(np.arange(n_groups, dtype=np.int32), sizes)[starts]
    times = d[starts]
    at_risk = bounds[1:][tg] - starts
    ev_bounds = np.searchsorted(tg, np.arange(n_groups + 1))
    segments = _Segments(ev_bounds)

    # Survival: product of (1 - d/n), as a segmented sum of logs. When everyone
    # still at risk answers at once the curve drops to 0; that can only be a
    # group's last event time (no one is left after it).
    # (every step below is one float operation of numpy's, in place where it can be)
    wiped = deaths == at_risk
    dead = deaths.astype(float)
    risk = at_risk.astype(float)
    log_f = np.negative(dead)
    log_f[wiped] = 0.0
    log_f /= risk
    np.log1p(log_f, out=log_f)
    log_surv = segments.cumsum(log_f)
    surv = np.exp(log_surv)
    surv[wiped] = 0.0
    # Greenwood's variance of log S; undefined where the curve reaches 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.subtract(risk, dead)
        term *= risk
        np.divide(dead, term, out=term)
    term[wiped] = 0.0
    sd_log = segments.cumsum(term)
    np.sqrt(sd_log, out=sd_log)
    sd_log[wiped] = np.nan

    _fill_median(out, tg, times, surv)
    _fill_median_ci(out, tg, times, log_surv, sd_log)
    out.unanswered = _unanswered(at, ev_bounds, tg, times, surv, max_followup)
    if with_curve:
        lo, hi = loglog_band(surv, surv * sd_log)
        out.curve = pd.DataFrame(
            {"group": tg, "hours": times, "survival": surv, "ci_low": lo, "ci_high": hi}
        )
    return out


#: Cells (resamples x messages) of one block of :func:`bootstrap_km_medians`: its
#: tables are about ten arrays of a block's size, so this bounds its memory (about
#: 80 MB) whatever the number of messages.
BOOTSTRAP_BLOCK_CELLS = 1_000_000


def bootstrap_km_medians(d: np.ndarray, answered: np.ndarray, reps: int,
                         rng: np.random.Generator,
                         block_cells: int = BOOTSTRAP_BLOCK_CELLS) -> np.ndarray:
    """Kaplan-Meier medians of ``reps`` resamples of (``d``, ``answered``) drawn with
    ``rng.integers(0, n, (reps, n))``; inf where a median is not reached.

    No resample is built or sorted. The durations are sorted once and cut into their
    distinct times; a table (resample x time) then counts each resample's draws at
    each time, and its answered draws. The estimate runs on that table, every
    resample of a block at once: the deaths and the number at risk at each time are
    the integers :func:`grouped_km` counts on a sorted resample, and the log survival
    is summed left to right over the same event times (a time without an event adds
    an exact zero), so the medians are :func:`grouped_km`'s, to the bit.

    Resamples are drawn and estimated in blocks of about ``block_cells`` draws (at
    least one resample), so memory does not grow with ``reps`` x ``n``; the blocks
    take the generator's numbers in the same order as one draw of all of them, so the
    medians do not depend on the block size."""
    d = np.asarray(d, dtype=float)
    answered = np.asarray(answered, dtype=bool)
    n = len(d)
    order = np.argsort(d, kind="stable")
    ds = d[order]
    new = np.ones(n, dtype=bool)
    new[1:] = ds[1:] != ds[:-1]
    times = ds[new]
    time_of = np.empty(n, dtype=np.int64)  # each message's distinct time
    time_of[order] = np.cumsum(new) - 1
    out = np.full(reps, np.inf)
    per_block = max(1, block_cells // max(n, 1))
    for lo in range(0, reps, per_block):
        hi = min(reps, lo + per_block)
        idx = rng.integers(0, n, size=(hi - lo, n))
        out[lo:hi] = _km_medians_of_draws(idx, answered, times, time_of)
    return out


def _km_medians_of_draws(idx: np.ndarray, answered: np.ndarray, times: np.ndarray,
                         time_of: np.ndarray) -> np.ndarray:
    """Medians of the resamples ``idx`` (one row of message positions each)."""
    reps, n = idx.shape
    m = len(times)
    slot = time_of[idx]
    slot += (np.arange(reps, dtype=np.int64) * m)[:, None]
    removed = np.bincount(slot.ravel(), minlength=reps * m).reshape(reps, m)
    deaths = np.bincount(slot[answered[idx]], minlength=reps * m).reshape(reps, m)
    del slot
    cum = np.cumsum(removed, axis=1)
    at_risk = n - (cum - removed)
    event = deaths > 0
    wiped = event & (deaths == at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_f = np.log1p(-np.where(event & ~wiped, deaths, 0) / at_risk)
    log_f[~event] = 0.0
    surv = np.exp(np.cumsum(log_f, axis=1))
    surv[wiped] = 0.0
    cand_mask = event & (surv < 0.5 + MEDIAN_TOL)
    out = np.full(reps, np.inf)
    has = cand_mask.any(axis=1)
    if not has.any():
        return out
    rows = np.flatnonzero(has)
    c = cand_mask[rows].argmax(axis=1)
    t = times[c]
    flat = surv[rows, c] > 0.5 - MEDIAN_TOL
    # the curve sits at one half from t until it drops below, else to the last draw
    last = m - 1 - (removed[rows, ::-1] > 0).argmax(axis=1)
    below = (event & (surv < 0.5 - MEDIAN_TOL))[rows]
    below &= np.arange(m)[None, :] > c[:, None]
    later = below.any(axis=1)
    upper = np.where(later, times[below.argmax(axis=1)], times[last])
    out[rows] = np.where(flat, (t + upper) / 2, t)
    return out


def _naive_median(bounds, d, e, events) -> np.ndarray:
    """Ordinary median duration of the answered rows of each group."""
    n_groups = len(bounds) - 1
    out = np.full(n_groups, np.nan)
    rows = np.flatnonzero(e)
    if len(rows) == 0:
        return out
    start = np.searchsorted(rows, bounds[:-1])
    has = events > 0
    k = events[has]
    lo = rows[start[has] + (k - 1) // 2]
    hi = rows[start[has] + k // 2]
    out[has] = (d[lo] + d[hi]) / 2
    return out


def _fill_median(out: GroupedKM, tg, times, surv) -> None:
    """R's median rule (see :func:`km_median`), for every group at once."""
    rows = np.flatnonzero(surv < 0.5 + MEDIAN_TOL)
    cand, cg = _first_per_group(rows, tg[rows])
    if len(cand) == 0:
        return
    t = times[cand]
    flat = surv[cand] > 0.5 - MEDIAN_TOL  # the curve sits at one half from here
    upper = out.max_followup[cg]  # ... to the end, unless it drops below later
    below = np.flatnonzero(surv < 0.5 - MEDIAN_TOL)
    if len(below):
        nxt = np.searchsorted(below, cand, side="right")
        nxt_row = below[np.minimum(nxt, len(below) - 1)]
        later = (nxt < len(below)) & (tg[nxt_row] == cg)
        upper = np.where(later, times[nxt_row], upper)
    out.median[cg] = np.where(flat, (t + upper) / 2, t)


def _fill_median_ci(out: GroupedKM, tg, times, log_surv, sd_log) -> None:
    """Brookmeyer-Crowley interval on the log(-log) scale, as statsmodels'
    ``SurvfuncRight.quantile_ci(0.5, method="cloglog")``: event times where
    |g(S) - g(0.5)| / (g'(S) se) <= z, g(x) = log(-log x); from the first such
    time to the event time after the last such (open-ended when that is the
    last). With se = S sd_log (Greenwood) and g'(S) = -1 / (S log S) the test
    reads |log(-log S) - log(log 2)| (-log S) <= z sd_log."""
    with np.errstate(divide="ignore", invalid="ignore"):
        minus_log = -log_surv
        test = np.log(minus_log)
        test -= np.log(np.log(2.0))
        np.abs(test, out=test)
        test *= minus_log
        ok = test <= Z95 * sd_log
    rows = np.flatnonzero(ok)
    if len(rows) == 0:
        return
    lo_rows, lo_g = _first_per_group(rows, tg[rows])
    out.ci_low[lo_g] = times[lo_rows]
    hi_rows, hi_g = _last_per_group(rows, tg[rows])
    nxt = hi_rows + 1
    inside = nxt < len(times)
    inside[inside] = tg[nxt[inside]] == hi_g[inside]
    out.ci_high[hi_g[inside]] = times[nxt[inside]]


def _unanswered(at, ev_bounds, tg, times, surv, max_followup) -> dict[float, np.ndarray]:
    """KM survival at each time in ``at``; NaN beyond the group's follow-up."""
    n_groups = len(ev_bounds) - 1
    lo = ev_bounds[:-1]
    has_events = ev_bounds[1:] > lo
    result = {}
    for h in at:
        c = np.zeros(n_groups, dtype=np.int64)
        if has_events.any():
            c[has_events] = np.add.reduceat((times <= h).view(np.uint8), lo[has_events],
                                            dtype=np.int64)
        val = np.ones(n_groups)
        has = c > 0
        val[has] = surv[ev_bounds[:-1][has] + c[has] - 1]
        val[h > max_followup] = np.nan
        result[h] = val
    return result


def thin_curve(curve: pd.DataFrame, keys: Sequence[str], step: float = 0.002) -> pd.DataFrame:
    """Keep a curve's first and last points and each point where survival has moved
    into a new band of width ``step``: the drawn step function stays within
    ``step`` of the exact one while a curve of 100,000 events keeps ~500 points."""
    if curve.empty:
        return curve
    band = np.floor(curve["survival"].to_numpy() / step)
    same_group = np.ones(len(curve), dtype=bool)
    for k in keys:
        v = curve[k].to_numpy()
        same_group[1:] &= v[1:] == v[:-1]
    same_group[0] = False
    keep = ~same_group
    keep[1:] |= band[1:] != band[:-1]
    last = np.ones(len(curve), dtype=bool)
    last[:-1] = ~same_group[1:]
    return curve[keep | last].reset_index(drop=True)
