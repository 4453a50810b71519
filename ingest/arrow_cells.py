"""Columns of CSV cells checked and converted in Arrow, for the readers that fall back to
their row-by-row definition when a chunk holds anything but plainly valid cells
(ingest/ticket_columns.py, the Google Play CSV in ingest/app_reviews.py).

Each helper either converts a whole column exactly as the row path would, or says it
cannot (None), never half of it.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .fast_posts import PY_WHITESPACE
from .times import DATE, EARLIEST_US, LATEST_US, PLAIN_TIME

# A plain local time, without an offset (read in --assume-tz).
PLAIN_LOCAL = rf"^{DATE}[T ]\d{{2}}:\d{{2}}:\d{{2}}(\.\d{{1,6}})?$"
UTC_US = pa.timestamp("us", tz="UTC")


def strings(values: list) -> pa.Array:
    return pa.array(values, pa.string())


def clean(values: list) -> pa.Array:
    """tickets.clean_text on a column: text stripped as str.strip() does, null when empty."""
    text = pc.utf8_trim(strings(values), PY_WHITESPACE)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def all_true(mask: pa.Array) -> bool:
    return mask.null_count == 0 and pc.all(mask).as_py() is not False


def plain_times(values: list, assume_tz: str | None = None) -> pa.Array | None:
    """UTC times of cells that are blank or plain ISO times with an offset (or, with
    ``assume_tz``, all without one: local times there, none skipped or passed twice by
    the clock); None if any is not (the row path then explains it)."""
    raw = strings(values)
    blank = pc.equal(pc.utf8_trim(pc.fill_null(raw, ""), PY_WHITESPACE), "")
    given = pc.if_else(blank, pa.scalar(None, pa.string()), raw)
    if given.null_count == len(given):
        return pa.nulls(len(given), UTC_US)
    plain = pc.or_kleene(pc.is_null(given), pc.match_substring_regex(given, PLAIN_TIME))
    try:
        if all_true(plain):
            times = pc.cast(given, UTC_US)
        elif assume_tz and all_true(pc.or_kleene(pc.is_null(given),
                                             pc.match_substring_regex(given, PLAIN_LOCAL))):
            local = pd.Series(pc.cast(given, pa.timestamp("us")).to_pandas(
                coerce_temporal_nanoseconds=False))
            utc = local.dt.tz_localize(assume_tz, ambiguous="NaT", nonexistent="NaT")
            if utc.isna().sum() != local.isna().sum():
                return None
            times = pa.array(utc.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), UTC_US)
        else:
            return None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    micros = times.cast(pa.int64())
    if pc.min(micros).as_py() < EARLIEST_US or pc.max(micros).as_py() >= LATEST_US:
        return None
    return times


def series(a: pa.Array) -> pd.Series:
    if pa.types.is_timestamp(a.type):
        return pd.Series(a.to_pandas(coerce_temporal_nanoseconds=False),
                         dtype="datetime64[us, UTC]")
    return pd.Series(a.to_numpy(zero_copy_only=False), dtype=object)


