"""How analyze computes and writes its derived tables cheaply without changing a value:
latencies in hours without DuckDB intervals, and the settings it writes derived tables
with (no FSST string compression) restored afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
from builders import account, build_store, post
from govwatch.analysis.replies import hours

from govwatch.store import DERIVED_WRITE_SETTINGS, duckdb_settings


def test_hours_equal_the_interval_epoch_bit_for_bit():
    """hours(later, earlier) is the same double as epoch(later - earlier) / 3600.0 in the
    store's session zone (UTC), over random instants microseconds to years apart, across
    month ends and leap days, in both directions; in a zone with daylight saving the
    interval counts local calendar days, and hours() stays the elapsed time."""
    rng = np.random.default_rng(3)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    a = [start + timedelta(microseconds=int(x)) for x in rng.integers(0, 8 * 365 * 86400 * 10**6,
                                                                        3000)]
    spans = np.concatenate([rng.integers(1, 10**6, 1000), rng.integers(1, 86400 * 10**6, 1000),
                            rng.integers(-400 * 86400 * 10**6, 900 * 86400 * 10**6, 1000)])
    b = [x + timedelta(microseconds=int(s)) for x, s in zip(a, spans, strict=True)]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t AS SELECT unnest($a)::TIMESTAMPTZ AS a, "
                "unnest($b)::TIMESTAMPTZ AS b", {"a": a, "b": b})
    rows = con.execute(f"""
        SELECT count(*),
               count(*) FILTER (WHERE epoch(b - a) / 3600.0 IS DISTINCT FROM {hours('b', 'a')}),
               count(*) FILTER (WHERE epoch(b - a) / 3600.0
                                      <> (epoch_us(b) - epoch_us(a)) / 1e6 / 3600.0)
        FROM t""").fetchone()
    assert rows[:2] == (3000, 0)
    assert rows[2] > 0  # a formula rounding otherwise differs: the comparison can fail
    exact = [(y - x) / timedelta(hours=1) for x, y in zip(a, b, strict=True)]
    con.execute("SET TimeZone = 'Europe/Berlin'")
    got = [r[0] for r in con.execute(f"SELECT {hours('b', 'a')} FROM t").fetchall()]
    assert np.allclose(got, exact, rtol=0, atol=1e-9)


def test_duckdb_settings_restores_every_value():
    con = duckdb.connect()
    con.execute("SET disabled_compression_methods = 'rle'")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    with duckdb_settings(con, {**DERIVED_WRITE_SETTINGS, "threads": "1"}):
        assert con.execute("SELECT current_setting('disabled_compression_methods'), "
                           "current_setting('threads')").fetchone() == ("FSST,DICT_FSST", 1)
    assert con.execute("SELECT current_setting('disabled_compression_methods'), "
                       "current_setting('threads')").fetchone() == ("RLE", threads)
    try:
        with duckdb_settings(con, DERIVED_WRITE_SETTINGS):
            raise KeyError("boom")
    except KeyError:
        pass
    assert con.execute("SELECT current_setting('disabled_compression_methods')").fetchone()[0] \
        == "RLE"


def test_analyze_restores_the_connection_settings(tmp_path):
    posts = [post("o1", "ministry", "2026-01-05T09:00:00Z", "Road works on Monday")]
    posts += [post(f"m{i}", f"citizen{i}", f"2026-01-05T1{i}:00:00Z",
                   f"When will road {i} be repaired? message number {i}", reply_to="o1",
                   reply_author="ministry") for i in range(6)]
    posts += [post(f"r{i}", "ministry", f"2026-01-06T1{i}:30:00Z", f"Answer {i}",
                   reply_to=f"m{i}", reply_author=f"citizen{i}") for i in range(3)]
    store = build_store(tmp_path, posts, [account("ministry")])
    con = store.conn
    assert con.execute("SELECT current_setting('disabled_compression_methods')").fetchone()[0] \
        in ("", None)
    rows = con.execute("SELECT count(*), count(response_id), sum(latency_hours) "
                       "FROM responses").fetchone()
    assert rows == (6, 3, 3 * 24.5)
    store.close()
