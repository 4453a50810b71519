"""How analyze computes and writes its derived tables cheaply without changing a value:
latencies in hours without DuckDB intervals, and the settings it writes derived tables
with (no FSST string compression) restored afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
from builders import account, build_store, post
from govwatch.analysis.pipeline import run_analysis
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
    con.execute("SET disabled_compression_methods = 'rle'")  # the user's own setting
    run_analysis(store)
    assert con.execute("SELECT current_setting('disabled_compression_methods')").fetchone()[0] \
        == "RLE"
    rows = con.execute("SELECT count(*), count(response_id), sum(latency_hours) "
                       "FROM responses").fetchone()
    assert rows == (6, 3, 3 * 24.5)
    store.close()


# response_quality as one query per population over a cross join (its earlier form):
# the reference the one-pass query must equal.
_RESPONSE_QUALITY_CROSS = """
    SELECT r.platform, r.official_author, p.population,
           count(*) FILTER (WHERE NOT r.censored) AS responses,
           count(t.deflection) FILTER (WHERE NOT r.censored) AS deflection_tagged,
           count(*) FILTER (WHERE NOT r.censored AND t.deflection) AS deflections
    FROM responses r
    CROSS JOIN (VALUES ('needs_response'), ('all')) p(population)
    LEFT JOIN tags t ON t.platform = r.platform AND t.post_id = r.response_id
    WHERE p.population = 'all' OR coalesce(r.needs_response, false)
    GROUP BY ALL
    ORDER BY r.platform, r.official_author, p.population
"""


def test_response_quality_counts_every_account_and_population(tmp_path):
    """Accounts answered and not, messages needing a response, not, and untagged,
    responses deflecting, not, and untagged: the same rows as the per-population form,
    an account whose messages all went unanswered included."""
    from govwatch.analysis.pipeline import AnalysisSettings
    from govwatch.analysis.quality import response_quality
    from govwatch.analysis.registry import MetricContext
    from govwatch.analysis.replies import observation_end

    posts, accounts = [], []
    for a, (answered, silent) in enumerate([(5, 2), (0, 4), (3, 0), (1, 1)]):
        name = f"office{a}"
        accounts.append(account(name))
        posts.append(post(f"o{a}", name, "2026-01-05T08:00:00Z", "Notice"))
        for i in range(answered + silent):
            posts.append(post(f"m{a}_{i}", f"user{a}_{i}", f"2026-01-05T09:0{i}:00Z",
                              f"Question {i}", reply_to=f"o{a}", reply_author=name))
            if i < answered:
                posts.append(post(f"r{a}_{i}", name, f"2026-01-05T10:0{i}:00Z", f"Reply {i}",
                                  reply_to=f"m{a}_{i}", reply_author=f"user{a}_{i}"))
    store = build_store(tmp_path, posts, accounts)
    con = store.conn
    con.execute("""UPDATE tags SET
        needs_response = CASE hash(post_id) % 3 WHEN 0 THEN true WHEN 1 THEN false END,
        deflection = CASE hash(post_id || 'd') % 3 WHEN 0 THEN true WHEN 1 THEN false END""")
    from govwatch.analysis.replies import build_responses

    obs_end = observation_end(con, None)
    build_responses(con, obs_end)
    want = con.execute(_RESPONSE_QUALITY_CROSS).df()
    got = response_quality(MetricContext(con, obs_end, AnalysisSettings()))
    assert set(want["official_author"]) == {f"office{a}" for a in range(4)}
    assert (want["population"] == "needs_response").any()
    assert want["deflections"].sum() > 0 and (want["deflection_tagged"] > want["deflections"]).any()
    cols = ["platform", "official_author", "population", "responses", "deflection_tagged",
            "deflections"]
    assert got[cols].to_dict("records") == want[cols].to_dict("records")
    store.close()


def test_settings_restored_when_one_cannot_be_set_and_the_error_is_kept(tmp_path):
    """A setting DuckDB refuses ends the block before it starts; the ones already set are
    restored, and the error raised is DuckDB's, naming the setting."""
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("SET disabled_compression_methods = 'rle'")
    try:
        with duckdb_settings(con, {"disabled_compression_methods": "fsst",
                                   "no_such_setting_here": "1"}):
            raise AssertionError("the block must not run")
    except duckdb.Error as exc:
        assert "no_such_setting_here" in str(exc)
    assert con.execute("SELECT current_setting('disabled_compression_methods')").fetchone()[0] \
        == "RLE"
    con.close()
