"""Reply responsiveness per official account, per period and per slice.

One long table, ``slice_metrics``: a row per (account, population, period,
slice) with messages, the response rate within the window W, the Kaplan-Meier
median latency with its 95% CI, the share still unanswered at 1 h/24 h/72 h/
7 d, the naive median of answered messages, and the same rate and median on
the account's business clock where it has office hours.

- Populations: ``needs_response`` (default) and ``all`` inbound messages.
- Periods (in the account's local time, by the message's creation time):
  ``all``, ISO ``week`` (Monday), calendar ``month`` and ``quarter``.
- Slices: ``all``, ``topic``, ``critical`` (critical / routine), ``sentiment``
  (negative <= -0.05 < neutral < 0.05 <= positive, VADER compound) and
  ``lang``. A message without the tag is in slice value NULL ("not tagged").
  The platform is part of every row's key (an account lives on one platform).
- Which periods are crossed with which slices: :data:`GROUPING_SETS`.

This module also holds what every per-message metric shares: the run's
message table (``responses`` joined to accounts, tags dictionary-encoded,
sorted by account and duration, in DuckDB so it can spill), read back in
chunks of whole accounts so memory stays bounded, and :func:`group_stats`,
which computes every figure of many groups at once with numpy. Where the
messages are one chunk read in this process, one view of it (both orders, the
groups of (all, all) with their curves) serves every metric of the run
(:func:`shared_view`); the tables are those of views built chunk by chunk.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from govwatch.config import (
    NEGATIVE_COMPOUND,
    UNANSWERED_AT_HOURS,
)

from .business_clock import AccountClock, build_clocks, business_durations
from .registry import Metric, MetricContext, register_metric
from .survival import grouped_km
from .workers import die_with_parent

POPULATIONS = ("needs_response", "all")
# (period kind, slice kind) pairs computed; every period with the headline
# critical/routine split, every slice over the whole range and by month.
GROUPING_SETS: tuple[tuple[str, str], ...] = (
    ("all", "all"), ("all", "topic"), ("all", "critical"), ("all", "sentiment"), ("all", "lang"),
    ("week", "all"), ("week", "critical"),
    ("month", "all"), ("month", "critical"), ("month", "topic"), ("month", "sentiment"),
    ("month", "lang"),
    ("quarter", "all"), ("quarter", "critical"),
)
# The business clock is reported on these sets (the rest carry NULL business columns).
BUSINESS_SETS: tuple[tuple[str, str], ...] = (
    ("all", "all"), ("all", "critical"), ("month", "all"), ("quarter", "all"),
)
CRITICAL_VALUES = ("critical", "routine", None)
SENTIMENT_VALUES = ("negative", "neutral", "positive", None)
# VADER's conventional bands (Hutto and Gilbert 2014).
NEGATIVE_AT, POSITIVE_AT = NEGATIVE_COMPOUND, 0.05
_MONDAY = date(1970, 1, 5)

# Columns shared by slice_metrics and account_metrics (after their keys).
RATE_COLUMNS = {
    "messages": "BIGINT",
    "answered": "BIGINT",
    "window_hours": "DOUBLE",
    "observed_window": "BIGINT",
    "answered_window": "BIGINT",
}
BUSINESS_COLUMNS = {
    "business_messages": "BIGINT",
    "business_window_hours": "DOUBLE",
    "business_observed_window": "BIGINT",
    "business_answered_window": "BIGINT",
    "business_answered_rate_window": "DOUBLE",
    "business_rate_status": "VARCHAR",
    "business_km_median_hours": "DOUBLE",
    "business_km_median_ci_low": "DOUBLE",
    "business_km_median_ci_high": "DOUBLE",
    "business_km_median_reached": "BOOLEAN",
    "business_max_followup_hours": "DOUBLE",
    "business_median_status": "VARCHAR",
}
SLICE_METRICS_COLUMNS = {
    "platform": "VARCHAR",
    "official_author": "VARCHAR",
    "institution": "VARCHAR",
    "population": "VARCHAR",
    "period_kind": "VARCHAR",
    "period_start": "DATE",
    "period": "VARCHAR",
    "slice_kind": "VARCHAR",
    "slice_value": "VARCHAR",
    **RATE_COLUMNS,
    "answered_rate_window": "DOUBLE",
    "rate_status": "VARCHAR",
    "km_median_hours": "DOUBLE",
    "km_median_ci_low": "DOUBLE",
    "km_median_ci_high": "DOUBLE",
    "km_median_reached": "BOOLEAN",
    "max_followup_hours": "DOUBLE",
    "median_status": "VARCHAR",
    "naive_median_hours": "DOUBLE",
    "unanswered_1h": "DOUBLE",
    "unanswered_24h": "DOUBLE",
    "unanswered_72h": "DOUBLE",
    "unanswered_7d": "DOUBLE",
    "day_precision_messages": "BIGINT",
    **BUSINESS_COLUMNS,
}

_UNANSWERED = ("KM estimate of the share of messages still unanswered {} after they were "
               "written; empty beyond the group's follow-up")
# Codebook text for exports (govwatch.analysis.registry: Metric.column_meanings).
RATE_MEANINGS = {
    "messages": "Inbound messages in the group (one per message and addressed account)",
    "answered": "Messages with a response by the observation end",
    "window_hours": "W, the response window in hours (default 168 = 7 days)",
    "observed_window": "Messages observed for at least W (the denominator of the rate)",
    "answered_window": "Of those, messages answered within W",
    "answered_rate_window": "answered_window / observed_window; empty when none was observed "
                            "for W",
    "rate_status": "'too few' when observed_window < min_n (read the rate as too few), else ok",
    "km_median_hours": "Kaplan-Meier median hours to response, unanswered messages censored; "
                       "empty when not reached",
    "km_median_ci_low": "Lower 95% limit of the KM median (Brookmeyer-Crowley, log-log scale); "
                        "may exist when the median is not reached",
    "km_median_ci_high": "Upper 95% limit of the KM median; empty when not reached",
    "km_median_reached": "False when under half were answered within follow-up: the median "
                         "reads '> max_followup_hours'",
    "max_followup_hours": "Longest time observed in the group (to response or observation end)",
    "median_status": "'too few' when messages < min_n, else ok",
    "naive_median_hours": "Plain median latency of the answered messages only (ignores the "
                          "unanswered, so biased low; for comparison)",
    "unanswered_1h": _UNANSWERED.format("1 hour"),
    "unanswered_24h": _UNANSWERED.format("24 hours"),
    "unanswered_72h": _UNANSWERED.format("72 hours"),
    "unanswered_7d": _UNANSWERED.format("7 days"),
    "day_precision_messages": "Messages whose time, or their response's, was written as a date "
                              "alone and taken as midnight (ingest --day-precision): their "
                              "latency or follow-up is known to the day only. 0: every time "
                              "has its time of day",
    "business_messages": "Messages counted on the business clock (accounts with office hours)",
    "business_window_hours": "W in office hours: W x weekly office hours / 168",
    "business_observed_window": "Messages observed for at least the business window "
                                "(office hours)",
    "business_answered_window": "Of those, answered within the business window",
    "business_answered_rate_window": "business_answered_window / business_observed_window",
    "business_rate_status": "'too few' when business_observed_window < min_n, else ok",
    "business_km_median_hours": "Kaplan-Meier median office hours to response",
    "business_km_median_ci_low": "Lower 95% limit of the business-clock KM median",
    "business_km_median_ci_high": "Upper 95% limit of the business-clock KM median",
    "business_km_median_reached": "False when under half were answered within follow-up",
    "business_max_followup_hours": "Longest office time observed in the group",
    "business_median_status": "'too few' when business_messages < min_n, else ok",
}
SLICE_MEANINGS = {
    "institution": "Institution of the official account",
    "population": "needs_response (asks, requests or reports a problem) or all inbound messages",
    "period_kind": "all, week (ISO, from Monday), month or quarter, in the account's local time",
    "period_start": "First local day of the period; empty for period_kind all",
    "period": "Period label: all, 2026-W03, 2026-01 or 2026-Q1",
    "slice_kind": "all, topic, critical, sentiment or lang",
    "slice_value": "critical/routine; negative (<= -0.05)/neutral/positive (>= 0.05); the topic "
                   "or language; empty: the message has no such tag",
    **RATE_MEANINGS,
}


# -- memory the numpy steps free --------------------------------------------------

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: While the per-message metrics run, memory freed to the C heap stays there up to this
#: much, for the next array to reuse.
KEPT_HEAP_BYTES = 1 << 30
#: Blocks below this size come from the heap, not from a mapping of their own: glibc's
#: largest (it would raise its threshold to an 8 MB array's size after the first one).
HEAP_BLOCK_BYTES = 32 << 20


@functools.cache
def _glibc() -> Any:
    """The C library where it is glibc (which has mallopt and malloc_trim), else None."""
    if platform.libc_ver()[0] != "glibc":
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt, libc.malloc_trim  # noqa: B018 (both exist on glibc)
    except (OSError, AttributeError, TypeError):
        return None
    return libc


@contextmanager
def heap_kept() -> Iterator[None]:
    """Keep freed memory in the C heap while the numpy steps run, and give it back after.

    Every numpy step on a chunk makes arrays of a few MB and frees them. glibc returns
    the top of its heap to the system as soon as a little of it is free, so the next
    array's pages are mapped and zeroed again by the kernel: at a million messages that
    system time was a third of the Kaplan-Meier's CPU time. Inside, freed memory is kept
    (up to :data:`KEPT_HEAP_BYTES`) and reused; on the way out the usual threshold is
    back (twice :data:`HEAP_BLOCK_BYTES`, as glibc's own rule sets it) and the free
    memory goes back to the system, so the process is no larger after than before.
    Elsewhere than glibc, nothing is changed. Figures do not depend on it.

    The thresholds are the process's: nested (a metric's chunks run in its own
    process) or side by side in threads, only the first to enter sets them and only
    the last to leave gives the memory back, so no one's exit ends another's keeping."""
    libc = _glibc()
    if libc is None:
        yield
        return
    global _heap_keepers
    with _HEAP_LOCK:
        if _heap_keepers == 0:
            libc.mallopt(_M_MMAP_THRESHOLD, HEAP_BLOCK_BYTES)
            libc.mallopt(_M_TRIM_THRESHOLD, KEPT_HEAP_BYTES)
        _heap_keepers += 1
    try:
        yield
    finally:
        with _HEAP_LOCK:
            _heap_keepers -= 1
            if _heap_keepers == 0:
                libc.mallopt(_M_TRIM_THRESHOLD, 2 * HEAP_BLOCK_BYTES)
                libc.malloc_trim(0)


_HEAP_LOCK = threading.Lock()
_heap_keepers = 0  # heap_kept contexts open in this process


# -- the run's message table ----------------------------------------------------

_PREPARE = [
    """
    CREATE OR REPLACE TEMP TABLE _gw_accounts AS
    SELECT (row_number() OVER (ORDER BY r.platform, r.official_author) - 1)::INTEGER AS acct,
           r.platform, r.official_author, a.institution, a.country, a.level,
           a.timezone, a.office_hours
    FROM (SELECT DISTINCT platform, official_author FROM responses) r
    LEFT JOIN accounts a ON a.platform = r.platform AND a.author = r.official_author
    """,
    """
    CREATE OR REPLACE TEMP TABLE _gw_topics AS
    SELECT (row_number() OVER (ORDER BY topic) - 1)::INTEGER AS code, topic
    FROM (SELECT DISTINCT topic FROM responses WHERE topic IS NOT NULL)
    """,
    """
    CREATE OR REPLACE TEMP TABLE _gw_langs AS
    SELECT (row_number() OVER (ORDER BY lang) - 1)::INTEGER AS code, lang
    FROM (SELECT DISTINCT lang FROM responses WHERE lang IS NOT NULL)
    """,
    f"""
    CREATE OR REPLACE TEMP TABLE _gw_messages AS
    WITH m AS (
        SELECT a.acct, r.*,
               timezone(coalesce(a.timezone, 'UTC'), r.message_created_at) AS local_at
        FROM responses r JOIN _gw_accounts a USING (platform, official_author)
    )
    SELECT acct,
           epoch_us(message_created_at) AS t_msg,
           coalesce(epoch_us(response_created_at), 0) AS t_resp,
           NOT censored AS answered,
           CASE WHEN censored THEN observed_hours ELSE latency_hours END AS dur,
           observed_hours AS observed,
           coalesce(day_precision, false) AS day,
           coalesce(needs_response, false) AS nr,
           (CASE WHEN critical THEN 0 WHEN NOT critical THEN 1 ELSE 2 END)::INTEGER AS critical,
           (CASE WHEN sentiment <= {NEGATIVE_AT} THEN 0 WHEN sentiment >= {POSITIVE_AT} THEN 2
                 WHEN sentiment IS NOT NULL THEN 1 ELSE 3 END)::INTEGER AS sentiment,
           coalesce(t.code, (SELECT count(*) FROM _gw_topics))::INTEGER AS topic,
           coalesce(l.code, (SELECT count(*) FROM _gw_langs))::INTEGER AS lang,
           (date_diff('day', DATE '1970-01-05', local_at::DATE) // 7)::INTEGER AS week,
           (year(local_at) * 12 + month(local_at) - 1)::INTEGER AS month,
           (year(local_at) * 4 + quarter(local_at) - 1)::INTEGER AS quarter
    FROM m
    LEFT JOIN _gw_topics t ON t.topic = m.topic
    LEFT JOIN _gw_langs l ON l.lang = m.lang
    ORDER BY acct, dur
    """,
]

MESSAGE_COLUMNS = ("acct", "t_msg", "t_resp", "answered", "dur", "observed", "day", "nr",
                   "critical",
                   "sentiment", "topic", "lang", "week", "month", "quarter")


@dataclass
class Messages:
    """The run's message table: account and tag dictionaries, chunk plan."""

    accounts: pd.DataFrame  # acct, platform, official_author, institution, country, ...
    topics: list[str]
    langs: list[str]
    chunks: list[tuple[int, int]]  # inclusive account ranges
    obs_end_us: int
    rows: int

    def __post_init__(self) -> None:
        acc = self.accounts
        self.platform = acc["platform"].to_numpy(dtype=object)
        self.author = acc["official_author"].to_numpy(dtype=object)
        self.institution = acc["institution"].to_numpy(dtype=object)


def _epoch_us(t: datetime) -> int:
    t = t if t.tzinfo else t.replace(tzinfo=UTC)
    return (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def messages(ctx: MetricContext) -> Messages:
    """Build the run's message table once (cached in ``ctx.cache``)."""
    if "messages" in ctx.cache:
        return ctx.cache["messages"]
    con = ctx.con
    for sql in _PREPARE:
        con.execute(sql)
    counts = con.execute(
        "SELECT acct, count(*) FROM _gw_messages GROUP BY acct ORDER BY acct").fetchall()
    limit = int(ctx.settings.execution.chunk_rows)
    result = Messages(
        accounts=con.execute("SELECT * FROM _gw_accounts ORDER BY acct").df(),
        topics=[r[0] for r in con.execute("SELECT topic FROM _gw_topics ORDER BY code").fetchall()],
        langs=[r[0] for r in con.execute("SELECT lang FROM _gw_langs ORDER BY code").fetchall()],
        chunks=plan_chunks(counts, limit),
        obs_end_us=_epoch_us(ctx.obs_end) if ctx.obs_end is not None else 0,
        rows=sum(n for _, n in counts),
    )
    ctx.cache["messages"] = result
    return result


def plan_chunks(counts: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """Inclusive account ranges of about ``limit`` messages (an account is never split)."""
    chunks: list[tuple[int, int]] = []
    first: int | None = None
    last = 0
    size = 0
    for acct, n in counts:
        if first is not None and size + n > limit:
            chunks.append((first, last))
            first, size = None, 0
        if first is None:
            first = acct
        size += n
        last = acct
    if first is not None:
        chunks.append((first, last))
    return chunks


def iter_chunks(ctx: MetricContext, msgs: Messages,
                columns: tuple[str, ...] = MESSAGE_COLUMNS) -> Iterator[dict[str, np.ndarray]]:
    """Whole accounts at a time, rows sorted by (account, duration). Where the run's
    messages are one chunk, it is read once and kept for the metrics after the first
    (at most ``chunk_rows`` rows, read-only arrays)."""
    if len(msgs.chunks) == 1 and columns == MESSAGE_COLUMNS:
        if "single_chunk" not in ctx.cache:
            ctx.cache["single_chunk"] = _read_chunk(ctx, columns, *msgs.chunks[0], whole=True)
            for array in ctx.cache["single_chunk"].values():
                _read_only(array)
        yield ctx.cache["single_chunk"]
        return
    for lo, hi in msgs.chunks:
        yield _read_chunk(ctx, columns, lo, hi)


def _read_only(array: np.ndarray) -> None:
    array.setflags(write=False)
    if isinstance(array, np.ma.MaskedArray):  # its mask is an array of its own
        np.ma.getmaskarray(array).setflags(write=False)
        array.harden_mask()


def _read_chunk(ctx: MetricContext, columns: tuple[str, ...], lo: int,
                hi: int, whole: bool = False) -> dict[str, np.ndarray]:
    """Accounts ``lo`` to ``hi`` sorted by (account, duration). ``whole``: the chunk is
    the whole table, which was written in that order, so where DuckDB keeps insertion
    order a plain scan returns it without sorting again (rows of one account with the
    same duration may come in another order; no figure depends on theirs)."""
    cols = ", ".join(columns)
    if whole and ctx.con.execute(
            "SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]:
        return ctx.con.execute(f"SELECT {cols} FROM _gw_messages").fetchnumpy()
    return ctx.con.execute(
        f"SELECT {cols} FROM _gw_messages WHERE acct BETWEEN ? AND ? ORDER BY acct, dur",
        [lo, hi],
    ).fetchnumpy()


def account_bounds(acct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(accounts present, row bounds) for rows sorted by account."""
    if len(acct) == 0:
        return acct, np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(acct[1:] != acct[:-1]) + 1
    heads = np.concatenate([[0], change])
    return acct[heads], np.concatenate([heads, [len(acct)]]).astype(np.int64)


# -- many groups at once ----------------------------------------------------------


def group_stats(acct: np.ndarray, code: np.ndarray | None, d: np.ndarray, answered: np.ndarray,
                observed: np.ndarray, window, with_curve: bool = False,
                rows: np.ndarray | None = None, day: np.ndarray | None = None) -> dict:
    """Every figure of every (account, code) group.

    The arrays are sorted by (account, d); ``rows`` (optional, ascending)
    picks a subset of them and ``code`` then has one value per picked row.
    ``window`` is W in hours, a number or one value per row of the arrays
    (business clock). Groups come out ordered by (code, account). ``day`` (optional,
    like ``d``) marks the rows timed to the day only; each group counts them.
    """
    idx = rows
    if code is not None and len(code):
        order = np.argsort(code, kind="stable")  # keeps (account, d) order inside a code
        idx = order if rows is None else rows[order]
        code = code[order]
    if idx is not None:
        acct, d, answered, observed = acct[idx], d[idx], answered[idx], observed[idx]
        if day is not None:
            day = day[idx]
        if not np.isscalar(window):
            window = window[idx]
    n = len(d)
    if n == 0:
        km = grouped_km(np.zeros(1, np.int64), d, answered, UNANSWERED_AT_HOURS, with_curve)
        empty = np.zeros(0, np.int64)
        return {"acct": empty, "code": empty, "window": np.zeros(0), "km": km,
                "observed_window": empty, "answered_window": empty, "rate": np.zeros(0),
                "day": empty}
    change = acct[1:] != acct[:-1]
    if code is not None:
        change |= code[1:] != code[:-1]
    bounds = np.concatenate([[0], np.flatnonzero(change) + 1, [n]])
    km = grouped_km(bounds, d, answered, UNANSWERED_AT_HOURS, with_curve, check=False)
    heads = bounds[:-1]
    seen = observed >= window
    in_window = seen & answered & (d <= window)
    obs_w = np.add.reduceat(seen.view(np.uint8), heads, dtype=np.int64)
    ans_w = np.add.reduceat(in_window.view(np.uint8), heads, dtype=np.int64)
    rate = np.full(len(heads), np.nan)
    np.divide(ans_w, obs_w, out=rate, where=obs_w > 0)
    return {
        "acct": acct[heads],
        "code": code[heads] if code is not None else np.zeros(len(heads), np.int64),
        "window": np.full(len(heads), window) if np.isscalar(window) else window[heads],
        "km": km,
        "observed_window": obs_w,
        "answered_window": ans_w,
        "rate": rate,
        "day": (None if day is None else
                np.add.reduceat(day.astype(np.uint8), heads, dtype=np.int64)),
    }


def status(count: np.ndarray, min_n: int, arrow: bool = False) -> np.ndarray | Coded:
    """'ok' where ``count`` reaches ``min_n``, else 'too few' (``arrow``: as a
    :class:`Coded` string column)."""
    if arrow:
        return labels(_STATUS, (count < min_n).view(np.uint8))
    return np.where(count >= min_n, "ok", "too few").astype(object)


def calendar_columns(s: dict, min_n: int, arrow: bool = False) -> dict:
    """slice_metrics / account_metrics columns from :func:`group_stats` output
    (``arrow``: the status columns as :class:`Coded` columns)."""
    km = s["km"]
    return {
        "messages": km.n,
        "answered": km.events,
        "window_hours": s["window"],
        "observed_window": s["observed_window"],
        "answered_window": s["answered_window"],
        "answered_rate_window": s["rate"],
        "rate_status": status(s["observed_window"], min_n, arrow),
        "km_median_hours": km.median,
        "km_median_ci_low": km.ci_low,
        "km_median_ci_high": km.ci_high,
        "km_median_reached": km.reached,
        "max_followup_hours": km.max_followup,
        "median_status": status(km.n, min_n, arrow),
        "naive_median_hours": km.naive_median,
        "unanswered_1h": km.unanswered[1],
        "unanswered_24h": km.unanswered[24],
        "unanswered_72h": km.unanswered[72],
        "unanswered_7d": km.unanswered[168],
        "day_precision_messages": s["day"],
    }


def business_columns(cal: dict, biz: dict | None, min_n: int, arrow: bool = False) -> dict:
    """Business-clock columns aligned to the calendar groups (NULL where no clock);
    ``arrow``: the status and reached columns as :class:`Coded` columns."""
    size = len(cal["acct"])
    out: dict[str, Any] = {
        "business_messages": np.zeros(size, dtype=np.int64),
        "business_window_hours": np.full(size, np.nan),
        "business_observed_window": np.zeros(size, dtype=np.int64),
        "business_answered_window": np.zeros(size, dtype=np.int64),
        "business_answered_rate_window": np.full(size, np.nan),
        "business_rate_status": np.full(size, None, dtype=object),
        "business_km_median_hours": np.full(size, np.nan),
        "business_km_median_ci_low": np.full(size, np.nan),
        "business_km_median_ci_high": np.full(size, np.nan),
        "business_km_median_reached": np.full(size, None, dtype=object),
        "business_max_followup_hours": np.full(size, np.nan),
        "business_median_status": np.full(size, None, dtype=object),
    }
    at = None
    if biz is not None and len(biz["acct"]):
        width = int(max(cal["acct"].max(), biz["acct"].max())) + 1
        cal_key = cal["code"].astype(np.int64) * width + cal["acct"]
        biz_key = biz["code"].astype(np.int64) * width + biz["acct"]
        at = np.searchsorted(cal_key, biz_key)
        km = biz["km"]
        out["business_messages"][at] = km.n
        out["business_window_hours"][at] = biz["window"]
        out["business_observed_window"][at] = biz["observed_window"]
        out["business_answered_window"][at] = biz["answered_window"]
        out["business_answered_rate_window"][at] = biz["rate"]
        out["business_km_median_hours"][at] = km.median
        out["business_km_median_ci_low"][at] = km.ci_low
        out["business_km_median_ci_high"][at] = km.ci_high
        out["business_max_followup_hours"][at] = km.max_followup
    if arrow:  # codes, null where the group has no business clock
        none = np.ones(size, dtype=bool)
        rate, median = np.zeros(size, dtype=np.uint8), np.zeros(size, dtype=np.uint8)
        reached = np.zeros(size, dtype=bool)
        if at is not None and biz is not None:
            none[at] = False
            rate[at] = biz["observed_window"] < min_n
            median[at] = biz["km"].n < min_n
            reached[at] = biz["km"].reached
        out["business_rate_status"] = labels(_STATUS, rate, mask=none)
        out["business_km_median_reached"] = labels(_REACHED, reached.view(np.uint8), pa.bool_(),
                                                   mask=none)
        out["business_median_status"] = labels(_STATUS, median, mask=none)
    elif at is not None and biz is not None:
        out["business_rate_status"][at] = status(biz["observed_window"], min_n)
        out["business_km_median_reached"][at] = biz["km"].reached
        out["business_median_status"][at] = status(biz["km"].n, min_n)
    return out


# -- per chunk: calendar and business views ---------------------------------------


TAG_COLUMNS = ("critical", "sentiment", "topic", "lang", "week", "month", "quarter")


@dataclass
class ChunkView:
    """One chunk's rows in two orders: by (account, calendar duration) and, for
    accounts with office hours, by (account, business duration)."""

    cols: dict[str, np.ndarray]
    needs: np.ndarray  # rows in population needs_response
    biz: dict[str, np.ndarray]  # business-clock rows: acct, d, answered, observed, window, tags
    biz_needs: np.ndarray
    # Where one view serves every metric of the run (see shared_view): the groups of
    # the grouping set (all, all), with their curves, by (population, window).
    shared: dict | None = None


def chunk_view(cols: dict[str, np.ndarray], clocks: Mapping[int, AccountClock],
               obs_end_us: int) -> ChunkView:
    """The two orders of one chunk; ``clocks`` maps an account to its clock."""
    acct = cols["acct"]
    present, bounds = account_bounds(acct)
    latency, observed, window = business_durations(
        [clocks.get(int(a)) for a in present], bounds, cols["t_msg"], cols["t_resp"],
        cols["answered"], obs_end_us)
    has = np.flatnonzero(~np.isnan(observed))
    answered = cols["answered"]
    d = np.where(answered, latency, observed)
    if len(has):
        by_d = has[np.argsort(d[has], kind="stable")]
        rel = (acct[by_d] - acct[by_d].min()).astype(
            np.uint16 if acct.max() - acct.min() < 65536 else np.int64)
        order = by_d[np.argsort(rel, kind="stable")]
    else:
        order = has
    biz = {"acct": acct[order], "d": d[order], "answered": answered[order],
           "observed": observed[order], "window": window[order]}
    for k in TAG_COLUMNS + ("nr",):
        biz[k] = cols[k][order]
    return ChunkView(cols, np.flatnonzero(cols["nr"]), biz, np.flatnonzero(biz["nr"]))


def set_codes(cols: dict[str, np.ndarray], msgs: Messages, period: str, kind: str,
              p0: int | None = None) -> tuple[np.ndarray | None, int, int]:
    """Group code of each row for a grouping set: period index x slice value.

    Returns (codes, or None when the set is one group per account; the period
    index that code 0 stands for; the number of slice values)."""
    values = {"all": 1, "critical": len(CRITICAL_VALUES), "sentiment": len(SENTIMENT_VALUES),
              "topic": len(msgs.topics) + 1, "lang": len(msgs.langs) + 1}[kind]
    v = cols[kind] if kind != "all" else None
    if period == "all":
        return (None if v is None else v.astype(np.int64)), 0, values
    p = cols[period]
    if p0 is None:
        p0 = int(p.min()) if len(p) else 0
    code = (p.astype(np.int64) - p0) * values
    if v is not None:
        code += v
    return code, p0, values


def slice_label(kind: str, value: int, msgs: Messages) -> str | None:
    if kind == "all":
        return "all"
    if kind == "critical":
        return CRITICAL_VALUES[value]
    if kind == "sentiment":
        return SENTIMENT_VALUES[value]
    names = msgs.topics if kind == "topic" else msgs.langs
    return names[value] if value < len(names) else None


def period_start(kind: str, index: int) -> date | None:
    if kind == "all":
        return None
    if kind == "week":
        return _MONDAY + timedelta(days=7 * index)
    if kind == "month":
        return date(index // 12, index % 12 + 1, 1)
    return date(index // 4, 3 * (index % 4) + 1, 1)


def period_label(kind: str, start: date | None) -> str:
    if start is None:
        return "all"
    if kind == "week":
        y, w, _ = start.isocalendar()
        return f"{y}-W{w:02d}"
    if kind == "month":
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _small(code: np.ndarray | None) -> np.ndarray | None:
    """Narrow codes so numpy's stable sort is a radix sort."""
    if code is None or not len(code):
        return code
    top = int(code.max())
    if top < 256:
        return code.astype(np.uint8)
    if top < 65536:
        return code.astype(np.uint16)
    return code


def slice_columns(view: ChunkView, msgs: Messages, population: str, period: str, kind: str,
                  window: float, min_n: int) -> dict[str, np.ndarray] | None:
    """slice_metrics columns (arrays) of one chunk, population and grouping set."""
    cal, biz, p0, values = chunk_groups(view, msgs, population, period, kind, window,
                                        business=(period, kind) in BUSINESS_SETS)
    size = len(cal["acct"])
    if size == 0:
        return None
    codes = cal["code"].astype(np.int64)
    p_uniq, p_pos = np.unique(codes // values + p0, return_inverse=True)
    v_uniq, v_pos = np.unique(codes % values, return_inverse=True)
    starts = [period_start(period, int(i)) for i in p_uniq]
    plabels = [period_label(period, x) for x in starts]
    vlabels = [slice_label(kind, int(i), msgs) for i in v_uniq]
    acct = cal["acct"]
    one = np.zeros(size, dtype=np.int32)
    return {
        "acct": acct,  # the row order (slice_metrics), not a column
        "platform": labels(msgs.platform, acct),
        "official_author": labels(msgs.author, acct),
        "institution": labels(msgs.institution, acct),
        "population": labels([population], one),
        "period_kind": labels([period], one),
        "period_start": labels(starts, p_pos, pa.date32()),
        "period": labels(plabels, p_pos),
        "slice_kind": labels([kind], one),
        "slice_value": labels(vlabels, v_pos),
        **calendar_columns(cal, min_n, arrow=True),
        **business_columns(cal, biz, min_n, arrow=True),
    }


@dataclass(frozen=True)
class Coded:
    """A column of ``values[codes]`` kept as its few distinct values and one small integer
    per row (``mask``: True where the row is null; a None value is null too) until
    :func:`columns_frame` builds the Arrow column: no Python object per row, which is
    what converting a column of repeated strings would cost, and rows reordered as
    integers."""

    values: Any  # a sequence of distinct values
    codes: np.ndarray
    kind: pa.DataType | None = None  # Arrow type of the values; None: strings
    mask: np.ndarray | None = None


def labels(values, codes: np.ndarray, kind: pa.DataType | None = None,
           mask: np.ndarray | None = None) -> Coded:
    """The column ``values[codes]`` (strings by default; a None value, or a row
    ``mask`` marks, is null)."""
    return Coded(values, codes, kind, mask)


_STATUS = ["ok", "too few"]
_REACHED = [False, True]


def columns_frame(parts: list[dict], columns: dict[str, str],
                  order: np.ndarray | None = None) -> pd.DataFrame:
    """One frame from many column dicts (one concatenation per column), Arrow-backed
    (NaN as null), so that neither pandas nor DuckDB converts Python objects row by row.
    ``order`` (optional): the rows of the concatenation in the order wanted."""
    if not parts:
        return empty_frame(columns)
    table = pa.table({c: _coded_column([p[c] for p in parts], order)
                      if isinstance(parts[0][c], Coded)
                      else _arrow_column(_ordered(np.concatenate([np.asarray(p[c])
                                                                  for p in parts]), order), sql)
                      for c, sql in columns.items()})
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _ordered(values: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    return values if order is None else values[order]


def _coded_column(pieces: list[Coded], order: np.ndarray | None) -> pa.Array:
    """One Arrow column from the pieces: their values side by side (a value list that
    several pieces share, the same object, once), their codes shifted to match."""
    offsets: dict[int, int] = {}
    values: list = []
    codes, masks = [], []
    for piece in pieces:
        at = offsets.get(id(piece.values))
        if at is None:
            at = offsets[id(piece.values)] = len(values)
            values.extend(piece.values)
        codes.append(piece.codes.astype(np.int64) + at)
        masks.append(np.zeros(len(piece.codes), dtype=bool) if piece.mask is None
                     else piece.mask)
    code = _ordered(np.concatenate(codes), order)
    mask = _ordered(np.concatenate(masks), order)
    index = pa.array(code, mask=mask if mask.any() else None)
    return pa.array(values, type=pieces[0].kind or pa.string(), from_pandas=True).take(index)


_ARROW_TYPES = {"VARCHAR": pa.string(), "DATE": pa.date32(), "BOOLEAN": pa.bool_()}


def _arrow_column(values: np.ndarray, sql: str) -> pa.Array:
    # numbers: NaN is null, as DuckDB reads a pandas float column
    return pa.array(values, type=_ARROW_TYPES.get(sql), from_pandas=True)


def chunk_groups(view: ChunkView, msgs: Messages, population: str, period: str, kind: str,
                 window: float, with_curve: bool = False, business: bool = True):
    """Calendar and business :func:`group_stats` of one chunk for one population
    and grouping set; returns (calendar, business or None, p0, slice values).
    A shared view computes (all, all) once, with its curves, for every caller."""
    if view.shared is not None and period == kind == "all" and business:
        key = (population, window)
        if key not in view.shared:
            view.shared[key] = _chunk_groups(view, msgs, population, period, kind, window,
                                             True, business)
        return view.shared[key]
    return _chunk_groups(view, msgs, population, period, kind, window, with_curve, business)


def _chunk_groups(view: ChunkView, msgs: Messages, population: str, period: str, kind: str,
                  window: float, with_curve: bool, business: bool):
    cols = view.cols
    rows = view.needs if population == "needs_response" else None
    pick = {k: (cols[k] if rows is None else cols[k][rows]) for k in (period, kind) if k in cols}
    code, p0, values = set_codes(pick, msgs, period, kind)
    cal = group_stats(cols["acct"], _small(code), cols["dur"], cols["answered"],
                      cols["observed"], window, with_curve, rows, day=cols["day"])
    biz = None
    if business and len(view.biz["acct"]):
        b = view.biz
        brows = view.biz_needs if population == "needs_response" else None
        bpick = {k: (b[k] if brows is None else b[k][brows]) for k in (period, kind) if k in b}
        bcode, _, _ = set_codes(bpick, msgs, period, kind, p0)
        biz = group_stats(b["acct"], _small(bcode), b["d"], b["answered"], b["observed"],
                          b["window"], rows=brows)
    return cal, biz, p0, values


def clocks_for(ctx: MetricContext, msgs: Messages) -> list[AccountClock]:
    """The business clock of every account in the message table (by acct)."""
    if "account_clock_list" not in ctx.cache:
        ctx.cache["account_clock_list"] = build_clocks(ctx, msgs.accounts)
    return ctx.cache["account_clock_list"]


def settings_of(ctx: MetricContext) -> tuple[float, int]:
    window = float(ctx.settings.window_hours)
    min_n = int(ctx.settings.min_n)
    return window, min_n


def iter_views(ctx: MetricContext, business: bool = True
               ) -> Iterator[tuple[Messages, ChunkView]]:
    """Chunks of whole accounts, in this process; with ``business`` the
    business-clock order too."""
    msgs = messages(ctx)
    clocks = dict(enumerate(clocks_for(ctx, msgs))) if business else {}
    for cols in iter_chunks(ctx, msgs):
        yield msgs, shared_view(ctx, cols, clocks, msgs, business)


def shared_view(ctx: MetricContext, cols: dict[str, np.ndarray],
                clocks: Mapping[int, AccountClock], msgs: Messages,
                business: bool = True) -> ChunkView:
    """The view of a chunk read in this process. Where the run's messages are one
    chunk (:func:`iter_chunks` keeps it), its view is built once, kept read-only
    and given to every metric after, with the groups of (all, all) that slices and
    account metrics share; else a view of its own. ``business=False``: a caller
    that reads no business-clock rows (they are left empty unless kept)."""
    single = cols is ctx.cache.get("single_chunk")
    if single and "single_view" in ctx.cache:
        return ctx.cache["single_view"]
    if not business:
        return chunk_view(cols, {}, msgs.obs_end_us)
    view = chunk_view(cols, clocks, msgs.obs_end_us)
    if single:
        for array in (*view.biz.values(), view.needs, view.biz_needs):
            _read_only(array)
        view.shared = {}
        ctx.cache["single_view"] = view
    return view


CHUNK_EXECUTOR = "chunk_executor"  # ctx.cache key: (executor, tasks in flight) of a cluster


def map_chunks(ctx: MetricContext, fn: Callable, *args) -> Iterator:
    """``fn(view, msgs, *args)`` for every chunk, results in chunk order, run where
    :func:`run_tasks` runs them. ``fn`` must be a module-level function. Results do not
    depend on where the chunks run.
    """
    msgs = messages(ctx)
    clocks = clocks_for(ctx, msgs)

    def tasks():
        for cols in iter_chunks(ctx, msgs):
            present = np.unique(cols["acct"])
            yield cols, {int(a): clocks[a] for a in present}, msgs, fn, args

    def here(cols, chunk_clocks, _msgs, _fn, _args):
        return fn(shared_view(ctx, cols, chunk_clocks, msgs), msgs, *args)

    yield from run_tasks(ctx, _run_chunk, tasks(), here, limit=len(msgs.chunks))


def run_tasks(ctx: MetricContext, fn: Callable, tasks: Iterable[tuple],
              here: Callable | None = None, limit: int | None = None) -> Iterator:
    """``fn(*task)`` for every task, results in task order.

    The tasks go to an executor (anything with ``submit(fn, *args)`` returning a future
    with ``result()``): a cluster's when the run has one (``ctx.cache[CHUNK_EXECUTOR]``,
    set by govwatch.analysis.engine), else, with more than one worker (settings
    ``workers``, default the machine's cores, at most ``limit``), a process pool
    (spawn: no fork of the DuckDB process) started with the first task, so a run of
    one task starts none; else they run here, as ``here(*task)`` (default ``fn``). As
    many tasks are in flight as there are workers, so memory stays bounded.
    """
    cluster = ctx.cache.get(CHUNK_EXECUTOR)
    if cluster is not None:
        executor, in_flight = cluster
        pool: Any = nullcontext(executor)
    else:
        execution = getattr(ctx.settings, "execution", None)
        wanted = getattr(execution, "workers", None)
        in_flight = int(wanted) if wanted else (os.cpu_count() or 1)
        if limit is not None:
            in_flight = min(in_flight, limit)
        if in_flight <= 1:
            for task in tasks:
                yield (here or fn)(*task)
            return
        pool = _LazyPool(in_flight)
    with pool as executor:
        pending: deque = deque()
        for task in tasks:
            pending.append(executor.submit(fn, *task))
            if len(pending) >= in_flight:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class _LazyPool:
    """A pool of spawned processes that end with their parent, started on the first
    task."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn, *args):
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=get_context("spawn"),
                initializer=die_with_parent, initargs=(os.getpid(),))
        return self._pool.submit(fn, *args)

    def __enter__(self) -> _LazyPool:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _run_chunk(cols, clocks, msgs: Messages, fn: Callable, args: tuple):
    with heap_kept():
        return fn(chunk_view(cols, clocks, msgs.obs_end_us), msgs, *args)


def _slice_chunk(view: ChunkView, msgs: Messages, window: float, min_n: int) -> list[dict]:
    parts = []
    for population in POPULATIONS:
        for period, kind in GROUPING_SETS:
            part = slice_columns(view, msgs, population, period, kind, window, min_n)
            if part is not None:
                parts.append(part)
    return parts


def slice_metrics(ctx: MetricContext) -> pd.DataFrame:
    window, min_n = settings_of(ctx)
    parts = [part for chunk in map_chunks(ctx, _slice_chunk, window, min_n) for part in chunk]
    # Deterministic order: accounts (in chunks), then populations, then GROUPING_SETS,
    # then each account's rows together (a stable sort): the table is stored in that
    # order, so a read of one account's rows (the dashboard's account page) finds them
    # in one row group by its min/max instead of reading every column of every one.
    # (accounts are numbered in the order of platform and author: their rows in that
    # order are a stable sort of the numbers)
    order = (np.argsort(np.concatenate([p["acct"] for p in parts]), kind="stable")
             if parts else None)
    return columns_frame(parts, SLICE_METRICS_COLUMNS, order)


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


@register_metric
class SliceResponsiveness(Metric):
    name = "slice_responsiveness"
    description = (
        "Per official account, population, period (all/week/month/quarter) and slice "
        "(topic, critical vs routine, sentiment band, language): messages, rate answered "
        "within the window, Kaplan-Meier median with 95% CI, share unanswered at fixed "
        "times, naive median, and the same on the business clock."
    )
    tables = {"slice_metrics": SLICE_METRICS_COLUMNS}
    column_meanings = {"slice_metrics": SLICE_MEANINGS}
    table_descriptions = {
        "slice_metrics": "rates and medians by topic, critical vs routine, sentiment and language",
    }

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        with heap_kept():
            return {"slice_metrics": slice_metrics(ctx)}
