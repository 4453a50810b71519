"""The composite index with the reader's own weights: validation of weights that
come from the URL, and the weighted mean of the stored percentile ranks.

The analysis stores each account's percentile rank among its peers per metric
(``benchmarks``) and a composite index computed with its weights
(``benchmark_index``). Re-weighting is presentation: this module takes the
stored ranks as they are and only changes how much each counts, with the same
rule as the analysis (analysis/benchmarks.py, docs/methodology.md, section
"Benchmarks"): the weighted mean of the ranks an account has, the weights
renormalised over those metrics; a metric without a rank drops out; when the
metrics left carry less than ``min_share`` of the total weight, no index.
With the analysis's own weights it gives the stored index.

Weights travel in the URL as ``w_<metric>=<number from 0 to 100>``, one
parameter per metric that differs from the default; they are relative (only
their proportions matter), so 35/25/20/10/10 and 0.35/0.25/0.2/0.1/0.1 rank
alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import pandas as pd
from govwatch.analysis.benchmarks import weighted_index
from govwatch.analysis.settings import BenchmarkSettings

PARAM_PREFIX = "w_"
MAX_WEIGHT = 100.0
# Used when the run's settings do not name index_min_weight_share.
DEFAULT_MIN_SHARE = BenchmarkSettings().index_min_weight_share


def parse_weights(text: object) -> dict[str, float]:
    """Weights from ``benchmark_index.weights`` (JSON); {} when unreadable."""
    if not isinstance(text, str):
        return {}
    try:
        raw = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    out = {}
    for k, v in raw.items():
        try:
            w = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(w) and w >= 0:
            out[str(k)] = w
    return out


def as_percent(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights scaled to sum to 100 (how the page shows the defaults)."""
    total = sum(weights.values())
    if total <= 0:
        return dict(weights)
    return {k: round(100.0 * v / total, 2) for k, v in weights.items()}


def fmt_weight(w: float) -> str:
    return f"{w:g}"


def weights_from_query(query: Mapping[str, object], defaults: Mapping[str, float]
                       ) -> tuple[dict[str, float], list[str]]:
    """The weights a URL asks for (``w_<metric>``), starting from ``defaults``.

    Each value must be one number from 0 to 100; anything else is ignored with a
    note, as are metrics the store does not rank. Weights that are all zero
    cannot make an index: the defaults are kept, with a note.
    """
    weights = dict(defaults)
    notes: list[str] = []
    for name, raw in query.items():
        if not isinstance(name, str) or not name.startswith(PARAM_PREFIX):
            continue
        metric = name[len(PARAM_PREFIX):]
        if metric not in defaults:
            notes.append(f"Ignored a weight for unknown metric '{_short(metric)}'.")
            continue
        value = raw[0] if isinstance(raw, list | tuple) and raw else raw
        w = _number(value)
        if w is None:
            notes.append(f"Ignored the weight of {metric}: '{_short(str(value))}' is not a "
                         f"number from 0 to {MAX_WEIGHT:g}.")
            continue
        weights[metric] = w
    if defaults and sum(weights.values()) <= 0:
        notes.append("All weights were 0, which makes no index; the default weights are used.")
        weights = dict(defaults)
    return weights, notes


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        w = float(value)
    elif isinstance(value, str) and 0 < len(value.strip()) <= 20:
        try:
            w = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(w) or w < 0 or w > MAX_WEIGHT:
        return None
    return round(w, 4)


def weights_query(weights: Mapping[str, float], defaults: Mapping[str, float]
                  ) -> dict[str, str]:
    """URL parameters for the weights that differ from the defaults."""
    return {f"{PARAM_PREFIX}{m}": fmt_weight(w) for m, w in weights.items()
            if not math.isclose(w, defaults.get(m, math.nan), rel_tol=1e-9, abs_tol=1e-9)}


def composite_index(ranks: pd.DataFrame, weights: Mapping[str, float],
                    min_share: float = DEFAULT_MIN_SHARE) -> pd.DataFrame:
    """Composite index per account from stored percentile ranks, by the analysis's
    own rule (:func:`govwatch.analysis.benchmarks.weighted_index`).

    ``ranks``: platform, author, metric, percentile (NaN where the metric has no
    rank). Returns platform, author, composite_index (NaN when the ranked
    metrics carry less than ``min_share`` of the total weight), weight_share.
    """
    cols = ["platform", "author", "composite_index", "weight_share"]
    total = float(sum(weights.values()))
    if ranks.empty or total <= 0:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame({
        "platform": ranks["platform"].to_numpy(dtype=object),
        "author": ranks["author"].to_numpy(dtype=object),
        "weight": ranks["metric"].map(dict(weights)).fillna(0.0).to_numpy(dtype=float),
        "rank": ranks["percentile"],
    })
    return weighted_index(frame, ["platform", "author"], total, min_share)[cols]


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
