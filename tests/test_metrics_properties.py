"""Properties of the reply metrics on random data (hypothesis), on the pure functions.

- the vectorised many-group Kaplan-Meier equals statsmodels' one-group estimate;
- bootstrap medians from counted draws equal those from sorting every resample;
- with nothing censored the KM median is the plain median;
- a censored message is never counted as answered; rates stay in [0, 1];
- adding an unanswered message never raises a rate nor lowers the share unanswered;
- business latency is never negative, never exceeds calendar time, and adds up.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from govwatch.analysis.business_clock import office_intervals
from govwatch.analysis.selectivity import bootstrap_gap, gap, row_seed
from govwatch.analysis.slices import group_stats
from govwatch.analysis.survival import grouped_km, kaplan_meier, km_median_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govwatch.officehours import parse_office_hours

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# Durations in hours: whole hours make ties (and S = 0.5 exactly) frequent.
durations = st.one_of(
    st.integers(0, 12).map(float),
    st.floats(0, 500, allow_nan=False, allow_infinity=False),
)
group = st.lists(st.tuples(durations, st.booleans()), min_size=1, max_size=25)


def _sorted(pairs):
    d = np.array([p[0] for p in pairs], dtype=float)
    e = np.array([p[1] for p in pairs], dtype=bool)
    order = np.argsort(d, kind="stable")
    return d[order], e[order]


def _same(a: float, b: float | None) -> bool:
    return np.isnan(a) if b is None else abs(a - b) <= 1e-9 * max(1.0, abs(b))


@FAST
@given(st.lists(group, min_size=1, max_size=6))
def test_grouped_km_equals_statsmodels(groups):
    parts = [_sorted(g) for g in groups]
    bounds = np.cumsum([0] + [len(d) for d, _ in parts])
    km = grouped_km(bounds, np.concatenate([d for d, _ in parts]),
                    np.concatenate([e for _, e in parts]))
    for i, (d, e) in enumerate(parts):
        ref = kaplan_meier(d, e)
        assert _same(km.median[i], ref.median)
        assert _same(km.ci_low[i], ref.ci_low)
        assert _same(km.ci_high[i], ref.ci_high)
        for h in (1, 24, 72, 168):
            assert _same(km.unanswered[h][i], ref.unanswered_at(h))
        assert km.events[i] == e.sum() and km.max_followup[i] == d.max()


@FAST
@given(st.lists(st.tuples(durations, st.booleans()), max_size=25))
def test_km_median_of_one_group_equals_statsmodels(pairs):
    """What channels and DM follow-through read (median, follow-up), unsorted input."""
    d = [p[0] for p in pairs]
    e = [p[1] for p in pairs]
    median, followup = km_median_of(d, e)
    ref = kaplan_meier(d, e)
    assert (median is None) == (ref.median is None)
    assert median is None or _same(median, ref.median)
    assert followup == ref.max_followup


@FAST
@given(st.lists(durations, min_size=1, max_size=40))
def test_km_median_without_censoring_is_the_plain_median(values):
    d = np.sort(np.array(values))
    km = grouped_km(np.array([0, len(d)]), d, np.ones(len(d), dtype=bool))
    assert km.median[0] == np.median(d) or abs(km.median[0] - np.median(d)) < 1e-9
    assert km.naive_median[0] == np.median(d)


def _frame(pairs, observed_extra):
    """Rows of one account sorted by duration: (d, answered, observed)."""
    d, e = _sorted(pairs)
    extra = np.resize(np.array(observed_extra, dtype=float), len(d))
    observed = np.where(e, d + extra, d)  # answered: observed at least until the answer
    return d, e, observed


@FAST
@given(group, st.lists(st.floats(0, 400), min_size=1, max_size=5),
       st.sampled_from([24.0, 168.0]))
def test_rates_are_shares_and_censored_rows_are_never_answered(pairs, extra, window):
    d, e, observed = _frame(pairs, extra)
    s = group_stats(np.zeros(len(d), np.int64), None, d, e, observed, window)
    km = s["km"]
    assert km.events[0] == e.sum()  # only events count as answered
    assert 0 <= s["answered_window"][0] <= s["observed_window"][0] <= len(d)
    rate = s["rate"][0]
    assert np.isnan(rate) == (s["observed_window"][0] == 0)
    assert np.isnan(rate) or 0.0 <= rate <= 1.0
    if not e.any():
        assert s["answered_window"][0] == 0 and np.isnan(km.naive_median[0])
    for share in km.unanswered.values():
        assert np.isnan(share) or 0.0 <= share <= 1.0


@FAST
@given(group, st.lists(st.floats(0, 400), min_size=1, max_size=5), durations,
       st.sampled_from([24.0, 168.0]))
def test_an_unanswered_message_never_raises_a_rate(pairs, extra, new_observed, window):
    d, e, observed = _frame(pairs, extra)
    before = group_stats(np.zeros(len(d), np.int64), None, d, e, observed, window)
    d2 = np.append(d, new_observed)
    e2 = np.append(e, False)
    o2 = np.append(observed, new_observed)
    order = np.argsort(d2, kind="stable")
    after = group_stats(np.zeros(len(d2), np.int64), None, d2[order], e2[order], o2[order],
                        window)
    r0, r1 = before["rate"][0], after["rate"][0]
    assert np.isnan(r1) or np.isnan(r0) or r1 <= r0 + 1e-12
    for h in (1, 24, 72, 168):
        s0, s1 = before["km"].unanswered[h][0], after["km"].unanswered[h][0]
        if not (np.isnan(s0) or np.isnan(s1)):
            assert s1 >= s0 - 1e-12  # more still waiting, never fewer


ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata",
                         "Australia/Lord_Howe", "UTC"])
SCHEDULES = st.sampled_from(["Mon-Fri 09:00-17:00", "Sun 00:00-24:00",
                             "Mon-Sat 08:30-12:00; Mon-Fri 13:00-18:00",
                             "Fri-Mon 22:00-24:00", "Mon-Fri 09:00-13:00, Mon-Fri 12:00-17:00"])
# Instants (microseconds) within 2024, a year with both clock changes everywhere.
JAN_2024, DEC_2024 = 1_704_067_200_000_000, 1_733_011_200_000_000
instants = st.integers(JAN_2024, DEC_2024)


@FAST
@given(ZONES, SCHEDULES, st.lists(instants, min_size=3, max_size=3))
def test_business_time_is_non_negative_bounded_and_additive(zone, text, ts):
    t0, t1, t2 = sorted(ts)
    bt = office_intervals(parse_office_hours(text), zone, frozenset(),
                          date(2023, 12, 30), date(2024, 12, 3))
    a = bt.hours_between(np.array([t0]), np.array([t1]))[0]
    b = bt.hours_between(np.array([t1]), np.array([t2]))[0]
    whole = bt.hours_between(np.array([t0]), np.array([t2]))[0]
    assert a >= 0 and b >= 0
    assert whole <= (t2 - t0) / 3.6e9 + 1e-9
    assert abs(whole - (a + b)) < 1e-9


@FAST
@given(st.integers(1, 60), st.integers(1, 60), st.data())
def test_bootstrap_gap_is_seeded_and_bounded(n_a, n_b, data):
    k_a = data.draw(st.integers(0, n_a))
    k_b = data.draw(st.integers(0, n_b))
    seed = row_seed(7, "x", "acct", "all", "selectivity_gap")
    low, high = bootstrap_gap(n_a, k_a, n_b, k_b, 200, seed)
    assert (low, high) == bootstrap_gap(n_a, k_a, n_b, k_b, 200, seed)
    assert -1.0 <= low <= high <= 1.0
    est, lo, hi, state = gap(n_a, k_a, n_b, k_b, 10, 200, seed)
    if min(n_a, n_b) < 10:
        assert (est, lo, hi, state) == (None, None, None, "too few")
    else:
        assert state == "ok" and est == k_b / n_b - k_a / n_a


@FAST
@given(st.integers(1, 400), st.integers(1, 400), st.integers(1, 300), st.data())
def test_bootstrap_gap_equals_sorting_the_differences(n_a, n_b, samples, data):
    """The partitioned percentiles are those of the sorted differences, to the bit."""
    k_a = data.draw(st.integers(0, n_a))
    k_b = data.draw(st.integers(0, n_b))
    seed = row_seed(11, "x", "acct", "needs_response", "critic_gap")
    rng = np.random.default_rng(seed)
    a = rng.binomial(n_a, k_a / n_a, size=samples) / n_a
    b = rng.binomial(n_b, k_b / n_b, size=samples) / n_b
    ordered = np.sort(b - a)

    def linear(q):  # numpy.percentile's rule, written out
        pos = (samples - 1) * q / 100.0
        lo = int(np.floor(pos))
        hi = min(lo + 1, samples - 1)
        return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))

    assert bootstrap_gap(n_a, k_a, n_b, k_b, samples, seed) == (linear(2.5), linear(97.5))


@FAST
@given(st.lists(st.tuples(st.integers(0, 4), st.booleans(), st.booleans(), st.integers(0, 2),
                          st.integers(0, 3), st.sampled_from([10.0, 167.0, 168.0, 400.0]),
                          st.sampled_from([5.0, 168.0, 170.0]), st.booleans()),
                min_size=1, max_size=60))
def test_selectivity_counts_equal_counting_each_group(rows):
    """One count over every row gives each group's counts as masks would."""
    from govwatch.analysis.selectivity import account_counts, population_counts

    acct, nr, day, crit, sent, observed, dur, answered = (np.array(c) for c in zip(*rows, strict=True))
    acct = np.sort(acct)
    cols = {"acct": acct, "nr": nr, "day": day, "critical": crit, "sentiment": sent,
            "observed": observed, "dur": dur, "answered": answered}
    counts = account_counts(cols, 5, 168.0)
    groups = {"critical": crit == 0, "routine": crit == 1, "negative": sent == 0,
              "rest": (sent == 1) | (sent == 2)}
    for population in ("needs_response", "all"):
        keep = nr if population == "needs_response" else np.ones(len(nr), bool)
        got = population_counts(counts, population)
        for name, member in groups.items():
            m = member & keep
            seen = m & (observed >= 168.0)
            hit = seen & answered & (dur <= 168.0)
            want = [np.bincount(acct[x], minlength=5) for x in (m, seen, hit)]
            assert all(np.array_equal(g, w) for g, w in zip(got[name], want, strict=True))
        assert np.array_equal(got["total"][0], np.bincount(acct[keep], minlength=5))
        assert np.array_equal(got["total"][1], np.bincount(acct[keep & day], minlength=5))


def test_bootstrap_km_medians_equal_sorting_every_resample():
    """Counting each message's draws gives the medians that sorting every resample
    gives, ties in duration and in answered included, from the same random draws."""
    from govwatch.analysis.survival import bootstrap_km_medians

    def sorted_resamples(d, e, reps, rng):
        n = len(d)
        idx = rng.integers(0, n, size=(reps, n))
        order = np.argsort(d[idx], axis=1, kind="stable")
        dd = np.take_along_axis(d[idx], order, axis=1).ravel()
        ee = np.take_along_axis(e[idx], order, axis=1).ravel()
        km = grouped_km(np.arange(reps + 1) * n, dd, ee, (), check=False)
        return np.where(np.isnan(km.median), np.inf, km.median)

    rng = np.random.default_rng(11)
    for seed in range(150):
        n = int(rng.integers(1, 120))
        d = np.round(rng.exponential(30, n), int(rng.integers(0, 3)))
        e = rng.random(n) < rng.random()
        got = bootstrap_km_medians(d, e, 40, np.random.default_rng(seed))
        want = sorted_resamples(d, e, 40, np.random.default_rng(seed))
        assert np.array_equal(got, want)
    # edges: one message, every message answered (the curve drops to 0), none
    # answered (never reached), one duration for all, a curve sitting at one half
    edges = [(np.array([5.0]), np.array([True])), (np.array([5.0]), np.array([False])),
             (np.array([1.0, 2.0, 3.0]), np.ones(3, bool)), (np.arange(9.0), np.zeros(9, bool)),
             (np.full(7, 4.0), np.array([1, 0, 1, 1, 0, 1, 0], bool)),
             (np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 0, 0], bool))]
    for seed, (d, e) in enumerate(edges):
        got = bootstrap_km_medians(d, e, 60, np.random.default_rng(seed))
        want = sorted_resamples(d, e, 60, np.random.default_rng(seed))
        assert np.array_equal(got, want)


def test_bootstrap_km_medians_in_blocks_equal_one_draw():
    """Drawing resamples in blocks (bounded memory at millions of messages) gives the
    medians of one draw of all of them: same generator numbers, same order."""
    from govwatch.analysis.survival import bootstrap_km_medians

    rng = np.random.default_rng(3)
    for seed in range(40):
        n = int(rng.integers(1, 400))
        d = np.round(rng.exponential(30, n), int(rng.integers(0, 3)))
        e = rng.random(n) < rng.random()
        whole = bootstrap_km_medians(d, e, 57, np.random.default_rng(seed),
                                     block_cells=57 * n)
        for cells in (1, n, 5 * n + 3, 10**9):  # one resample a block ... all at once
            got = bootstrap_km_medians(d, e, 57, np.random.default_rng(seed),
                                       block_cells=cells)
            assert np.array_equal(got, whole), (seed, n, cells)


def test_bootstrap_km_medians_memory_does_not_grow_with_resamples_times_messages():
    """200 resamples of 300,000 messages: one (resamples x messages) table of int64 is
    480 MB and the estimate holds about ten of them; in blocks it stays near 100 MB."""
    import tracemalloc

    from govwatch.analysis.survival import bootstrap_km_medians

    rng = np.random.default_rng(8)
    n = 300_000
    d = np.round(rng.exponential(3600, n))
    e = rng.random(n) < 0.6
    tracemalloc.start()
    try:
        medians = bootstrap_km_medians(d, e, 200, np.random.default_rng(1))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 250 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert np.isfinite(medians).all() and medians.min() > 0


@FAST
@given(st.lists(st.integers(1, 600), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_segmented_sums_equal_each_group_summed_alone(lengths, seed):
    """Long runs (summed as slices) and short ones (a position at a time) give each
    group's own running sum, to the bit."""
    from govwatch.analysis.survival import _Segments

    bounds = np.concatenate([[0], np.cumsum(lengths)])
    x = np.random.default_rng(seed).normal(size=int(bounds[-1]))
    got = _Segments(bounds).cumsum(x)
    want = np.concatenate([np.cumsum(x[a:b]) for a, b in zip(bounds[:-1], bounds[1:],
                                                             strict=True)])
    assert got.tobytes() == want.tobytes()


def test_heap_kept_changes_no_figure():
    """The same groups' figures inside and outside :func:`heap_kept`, to the bit."""
    from govwatch.analysis.slices import heap_kept

    rng = np.random.default_rng(7)
    bounds = np.concatenate([[0], np.cumsum(rng.integers(1, 400, size=50))])
    d = np.concatenate([np.sort(rng.exponential(30, size=b - a))
                        for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    e = rng.random(len(d)) < 0.6
    outside = grouped_km(bounds, d, e)
    with heap_kept():
        inside = grouped_km(bounds, d, e)
    for field in ("median", "ci_low", "ci_high", "naive_median"):
        assert getattr(inside, field).tobytes() == getattr(outside, field).tobytes()


def test_heap_kept_nested_keeps_until_the_outer_exit():
    """Nested (a metric and its chunks in one process), only the outer
    :func:`heap_kept` sets the thresholds and gives the memory back: an inner exit
    does not end the outer's keeping. Runs on the real C library."""
    from govwatch.analysis import slices

    if slices._glibc() is None:
        pytest.skip("heap_kept changes nothing outside glibc")
    assert slices._heap_keepers == 0
    with slices.heap_kept():
        assert slices._heap_keepers == 1
        with slices.heap_kept():
            assert slices._heap_keepers == 2
        assert slices._heap_keepers == 1  # the outer one still keeps the heap
        kept = bytearray(64 << 20)  # a large block is served from the kept heap
        del kept
    assert slices._heap_keepers == 0
