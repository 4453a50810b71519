"""Kaplan-Meier estimates of time to response (statsmodels' SurvfuncRight).

Unanswered messages are right-censored at their observed time, never dropped:
dropping them would make slow accounts look fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class KMSummary:
    n: int
    events: int
    median: float | None  # hours; None when under half are answered ("not reached")
    ci_low: float | None
    ci_high: float | None  # None: the upper limit is not reached either
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


def _median(times: np.ndarray, surv: np.ndarray) -> float | None:
    """Smallest time where S(t) <= 0.5; where S stays exactly 0.5 over an interval,
    its midpoint (the convention of R's survival package), so that with nothing
    censored the KM median equals the ordinary median."""
    below = np.nonzero(surv <= 0.5 + 1e-12)[0]
    if len(below) == 0:
        return None
    i = below[0]
    if abs(surv[i] - 0.5) < 1e-12 and i + 1 < len(times):
        return float((times[i] + times[i + 1]) / 2)
    return float(times[i])


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
    median = _median(times, np.asarray(sf.surv_prob, dtype=float))
    se = np.nan_to_num(np.asarray(sf.surv_prob_se, dtype=float))
    z = 1.959963984540054
    # Pointwise 95% band on the log(-log) scale, the scale statsmodels uses for the median CI.
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.asarray(sf.surv_prob, dtype=float)
        theta = np.log(-np.log(s))
        width = z * se / (s * np.abs(np.log(s)))
        lo = np.exp(-np.exp(theta + width))
        hi = np.exp(-np.exp(theta - width))
    lo = np.where(np.isfinite(lo), lo, s)
    hi = np.where(np.isfinite(hi), hi, s)
    curve = pd.DataFrame(
        {
            "hours": np.concatenate([[0.0], np.asarray(sf.surv_times, dtype=float)]),
            "survival": np.concatenate([[1.0], s]),
            "ci_low": np.concatenate([[1.0], lo]),
            "ci_high": np.concatenate([[1.0], hi]),
        }
    )
    return KMSummary(
        n=len(d),
        events=int(e.sum()),
        median=median,
        ci_low=_finite(low) if median is not None else None,
        ci_high=_finite(high) if median is not None else None,
        max_followup=max_followup,
        curve=curve,
    )
