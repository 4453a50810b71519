"""Reply-responsiveness metrics on hand-built stores, every number computed by hand.

Each store goes through the real pipeline: posts CSV + accounts CSV in the
DESIGN formats, govwatch.ingest.pipeline.import_paths, tags set as a classifier would
set them, govwatch.analysis.pipeline.run_analysis, then the derived tables are read.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import govwatch.analysis.accounts  # noqa: F401  (registers the metric families under test)
import govwatch.analysis.benchmarks  # noqa: F401
import govwatch.analysis.business_clock  # noqa: F401
import govwatch.analysis.quality  # noqa: F401
import govwatch.analysis.selectivity  # noqa: F401
import govwatch.analysis.slices  # noqa: F401
import numpy as np
import pandas as pd
import pytest
from builders import ACCOUNT_HEADER, POST_HEADER, account, post, write_csv
from govwatch.analysis.accounts import account_metrics
from govwatch.analysis.benchmarks import Benchmarks, index_weights
from govwatch.analysis.business_clock import BusinessClocks
from govwatch.analysis.pipeline import AnalysisSettings, run_analysis
from govwatch.analysis.registry import MetricContext
from govwatch.analysis.selectivity import bootstrap_gap, row_seed, selectivity
from govwatch.analysis.settings import build
from govwatch.analysis.slices import slice_metrics
from govwatch.analysis.survival import kaplan_meier
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.pipeline import import_paths

from govwatch.errors import InputError, UsageError
from govwatch.store import Store


def Settings(**changes) -> AnalysisSettings:  # noqa: N802  (reads like the class)
    """The analysis settings with ``changes`` (names as in settings.build)."""
    return build(**changes)


def make_store(tmp_path: Path, posts, accounts, tags=None, settings=None, name="s.duckdb"):
    """Ingest posts and accounts and analyse; with ``tags``, overwrite the tags of
    those posts (every tag column; a missing key means "not tagged") as a
    classifier would have set them, and analyse again. The tagger re-tags only
    new or changed posts, so the second run keeps them."""
    folder = tmp_path / name.replace(".duckdb", "")
    folder.mkdir()
    pcsv = write_csv(folder / "posts.csv", POST_HEADER, posts)
    acsv = write_csv(folder / "accounts.csv", ACCOUNT_HEADER, accounts)
    store = Store(folder / name)
    assert import_paths(store, [acsv], kind="accounts").rejected == 0
    assert import_paths(store, [pcsv]).rejected == 0
    settings = settings or Settings()
    run_analysis(store, settings)
    if tags:
        for post_id, t in tags.items():
            store.conn.execute(
                "UPDATE tags SET needs_response = ?, critical = ?, topic = ?, sentiment = ?, "
                "lang = ?, deflection = ? WHERE post_id = ?",
                [t.get("nr"), t.get("critical"), t.get("topic"), t.get("sentiment"),
                 t.get("lang"), t.get("deflection"), post_id])
        run_analysis(store, settings)
    return store


def rows(store, table, where="", params=()):
    return store.conn.execute(f"SELECT * FROM {table} {where}", list(params)).df()


def one(store, table, where, params=()):
    df = rows(store, table, "WHERE " + where, params)
    assert len(df) == 1, df
    return df.iloc[0]


# -- scenario A: censoring, ties, the window, slices ------------------------------

ROOT = post("0", "MinRail", "2025-12-31T00:00:00Z", "Timetable for January")


def msg(pid, at, text="@MinRail help"):
    return post(pid, f"citizen{pid}", at, text, "0", "MinRail")


def answer(pid, to, at):
    return post(pid, "MinRail", at, "@citizen we are on it", to, f"citizen{to}")


SCENARIO_A = [
    ROOT,
    msg("m1", "2026-01-01T00:00:00Z"), answer("r1", "m1", "2026-01-01T01:00:00Z"),  # 1 h
    msg("m2", "2026-01-01T00:00:00Z"), answer("r2", "m2", "2026-01-01T02:00:00Z"),  # 2 h
    msg("m3", "2026-01-01T00:00:00Z"), answer("r3", "m3", "2026-01-01T02:00:00Z"),  # 2 h, tie
    msg("m4", "2026-01-02T00:00:00Z"), answer("r4", "m4", "2026-01-02T10:00:00Z"),  # 10 h
    msg("m5", "2026-01-02T00:00:00Z"),  # never answered: censored at 432 h
    msg("m6", "2026-01-03T00:00:00Z"), answer("r6", "m6", "2026-01-11T08:00:00Z"),  # 200 h > W
    msg("m7", "2026-01-19T00:00:00Z"),  # unanswered, observed 24 h < W
    msg("m8", "2026-01-19T12:00:00Z"), answer("r8", "m8", "2026-01-19T18:00:00Z"),  # 6 h, obs 12 h
]
TAGS_A = {
    "m1": {"nr": True, "critical": False, "topic": "transport", "sentiment": -0.5, "lang": "en"},
    "m2": {"nr": True, "critical": True, "topic": "transport", "sentiment": 0.0, "lang": "en"},
    "m3": {"nr": True, "critical": False, "topic": "transport", "sentiment": 0.05, "lang": "hi"},
    "m4": {"nr": True, "critical": False, "topic": "transport", "sentiment": -0.05, "lang": "en"},
    "m5": {"nr": False, "critical": True, "topic": "health", "sentiment": 0.9, "lang": "en"},
    "m6": {"nr": False, "critical": True, "sentiment": None, "lang": "en"},
    "m7": {"nr": False, "sentiment": -0.049999, "lang": "en"},
    "m8": {"nr": False, "sentiment": 0.049, "lang": "en"},
}
OBSERVED_UNTIL = datetime(2026, 1, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def store_a(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("a")
    settings = Settings(observed_until=OBSERVED_UNTIL, min_n=3)
    return make_store(tmp, SCENARIO_A, [account("MinRail", timezone="UTC")], TAGS_A, settings)


def test_account_figures_by_hand(store_a):
    m = one(store_a, "account_metrics", "population = 'all'")
    assert (m.messages, m.answered) == (8, 6)
    # observed for 7 days: m1..m6; answered within 7 days: m1..m4 (m6 took 200 h)
    assert (m.observed_window, m.answered_window) == (6, 4)
    assert m.answered_rate_7d == pytest.approx(4 / 6)
    # KM: 1e 2e 2e 6e 10e 24c 200e 432c -> S = .875 .625 .5 .375 | .1875; S sits at
    # exactly one half from 6 h to the next drop at 10 h: median (6 + 10) / 2 = 8 h
    assert m.km_median_hours == pytest.approx(8.0)
    assert m.km_median_reached
    assert m.naive_median_hours == pytest.approx(4.0)  # of 1, 2, 2, 6, 10, 200
    assert m.max_followup_hours == pytest.approx(432.0)
    assert m.unanswered_1h == pytest.approx(0.875)
    assert m.unanswered_24h == pytest.approx(0.375)
    assert m.unanswered_72h == pytest.approx(0.375)
    assert m.unanswered_7d == pytest.approx(0.375)
    # the CI is statsmodels' (Brookmeyer-Crowley, log-log), from the same durations
    ref = kaplan_meier([1, 2, 2, 10, 432, 200, 24, 6], [1, 1, 1, 1, 0, 1, 0, 1])
    assert m.km_median_ci_low == pytest.approx(ref.ci_low)
    assert np.isnan(m.km_median_ci_high) if ref.ci_high is None else (
        m.km_median_ci_high == pytest.approx(ref.ci_high))
    assert m.km_median_ci_low <= m.km_median_hours
    assert (m.rate_status, m.median_status) == ("ok", "ok")  # min_n = 3
    assert m.window_hours == 168


def test_needs_response_population(store_a):
    m = one(store_a, "account_metrics", "population = 'needs_response'")
    # m1..m4: 1, 2, 2, 10 all answered: the KM median is the plain median
    assert (m.messages, m.answered, m.observed_window, m.answered_window) == (4, 4, 4, 4)
    assert m.km_median_hours == pytest.approx(2.0) == m.naive_median_hours
    assert m.answered_rate_7d == 1.0


def test_censored_messages_stay_in_the_data(store_a):
    r = rows(store_a, "responses", "ORDER BY message_id").set_index("message_id")
    assert r.loc["m5", "censored"] and r.loc["m5", "observed_hours"] == pytest.approx(432)
    assert r.loc["m7", "censored"] and r.loc["m7", "observed_hours"] == pytest.approx(24)
    # a message observed for less than W, answered: counts as answered, not in the rate
    assert not r.loc["m8", "censored"] and r.loc["m8", "latency_hours"] == pytest.approx(6)
    curve = rows(store_a, "km_curves", "WHERE population = 'all' ORDER BY hours")
    assert curve["hours"].tolist() == [0, 1, 2, 6, 10, 200]
    assert curve["survival"].tolist() == pytest.approx([1, .875, .625, .5, .375, .1875])


def slice_row(store, kind, value, period="all", population="all"):
    cond = "slice_value IS NULL" if value is None else "slice_value = ?"
    params = [population, period, kind] + ([] if value is None else [value])
    return one(store, "slice_metrics",
               f"population = ? AND period_kind = ? AND slice_kind = ? AND {cond}", params)


def test_critical_and_routine_slices(store_a):
    crit = slice_row(store_a, "critical", "critical")  # m2 (2 h), m5 (cens.), m6 (200 h)
    assert (crit.messages, crit.observed_window, crit.answered_window) == (3, 3, 1)
    assert crit.answered_rate_window == pytest.approx(1 / 3)
    routine = slice_row(store_a, "critical", "routine")  # m1, m3, m4
    assert routine.answered_rate_window == 1.0
    assert routine.km_median_hours == pytest.approx(2.0)
    untagged = slice_row(store_a, "critical", None)  # m7, m8
    assert (untagged.messages, untagged.observed_window) == (2, 0)
    assert np.isnan(untagged.answered_rate_window)
    assert untagged.rate_status == "too few"


def test_sentiment_bands_at_their_boundaries(store_a):
    counts = {v: slice_row(store_a, "sentiment", v).messages
              for v in ("negative", "neutral", "positive", None)}
    # -0.5, -0.05 negative; 0.0, -0.049999, 0.049 neutral; 0.05, 0.9 positive; m6 untagged
    assert counts == {"negative": 2, "neutral": 3, "positive": 2, None: 1}


def test_topic_language_and_periods(store_a):
    assert slice_row(store_a, "topic", "transport").messages == 4
    assert slice_row(store_a, "topic", "health").messages == 1
    assert slice_row(store_a, "lang", "hi").messages == 1
    weeks = rows(store_a, "slice_metrics", "WHERE population = 'all' AND period_kind = 'week' "
                 "AND slice_kind = 'all' ORDER BY period_start")
    assert weeks["period"].tolist() == ["2026-W01", "2026-W04"]
    assert [str(d) for d in weeks["period_start"].dt.date] == ["2025-12-29", "2026-01-19"]
    assert weeks["messages"].tolist() == [6, 2]
    # the last week's messages are not yet observed for 7 days
    assert weeks["observed_window"].tolist() == [6, 0]
    month = slice_row(store_a, "all", "all", period="month")
    assert (month.period, month.messages, month.km_median_hours) == ("2026-01", 8, 8.0)
    crit_by_week = rows(store_a, "slice_metrics", "WHERE population = 'all' AND "
                        "period_kind = 'week' AND slice_kind = 'critical' "
                        "AND slice_value = 'critical'")
    assert crit_by_week["messages"].tolist() == [3]


def test_selectivity_and_critic_gaps(store_a):
    s = one(store_a, "selectivity", "population = 'all'")
    assert (s.critical_observed, s.critical_answered, s.routine_observed,
            s.routine_answered) == (3, 1, 3, 3)
    assert s.selectivity_gap == pytest.approx(1 - 1 / 3)  # answers trivia more
    assert s.gap_status == "ok"
    low, high = bootstrap_gap(3, 1, 3, 3, 1000, row_seed(1234, "x", "MinRail", "all",
                                                         "selectivity_gap"))
    assert (s.gap_ci_low, s.gap_ci_high) == pytest.approx((low, high))
    assert s.gap_ci_low <= s.selectivity_gap <= s.gap_ci_high
    # negative: m1, m4 both answered in W; rest observed: m2, m3 answered, m5 not
    assert (s.negative_observed, s.negative_answered) == (2, 2)
    assert (s.rest_observed, s.rest_answered) == (3, 2)
    assert s.critic_status == "too few"  # 2 negative messages < min_n = 3
    assert np.isnan(s.critic_gap) and s.negative_rate == 1.0
    assert s.rest_rate == pytest.approx(2 / 3)
    assert (s.min_n, s.bootstrap_samples, s.seed) == (3, 1000, 1234)


def context(store, settings):
    """A metric context on a stored run, to compute a family with other settings."""
    obs_end = store.conn.execute("SELECT max(observed_until) FROM analysis_runs").fetchone()[0]
    return MetricContext(store.conn, obs_end, settings)


def test_selectivity_reads_too_few_below_min_n(store_a):
    ctx = context(store_a, Settings(observed_until=OBSERVED_UNTIL))  # min_n = 10
    s = selectivity(ctx).set_index("population").loc["all"]
    assert s.gap_status == "too few" and pd.isna(s.selectivity_gap)
    assert pd.isna(s.gap_ci_low) and s.critical_rate == pytest.approx(1 / 3)
    metrics, _ = account_metrics(ctx)
    assert metrics.set_index("population").loc["all", "rate_status"] == "too few"


# -- periods follow the account's local calendar -----------------------------------

def test_periods_in_local_time(tmp_path):
    posts = [
        ROOT,
        msg("k1", "2026-01-04T20:00:00Z"),  # Mon 5 Jan 01:30 in Kolkata: ISO week 2
        msg("k2", "2026-01-31T19:00:00Z"),  # Sun 1 Feb 00:30 in Kolkata: February
        msg("k3", "2026-03-31T19:00:00Z"),  # Wed 1 Apr 00:30 in Kolkata: Q2
    ]
    store = make_store(tmp_path, posts, [account("MinRail", timezone="Asia/Kolkata")])
    got = rows(store, "slice_metrics", "WHERE population = 'all' AND slice_kind = 'all' AND "
               "period_kind <> 'all' ORDER BY period_kind, period_start")
    labels = got.groupby("period_kind")["period"].apply(list).to_dict()
    # in UTC these would be 2026-W01, January and Q1
    assert labels == {"month": ["2026-01", "2026-02", "2026-04"],
                      "quarter": ["2026-Q1", "2026-Q2"],
                      "week": ["2026-W02", "2026-W05", "2026-W14"]}


# -- business clock across a DST change ---------------------------------------------

BERLIN = "Europe/Berlin"


def _berlin_posts():
    root = post("0", "Bahn", "2024-03-01T00:00:00Z", "Fahrplan")
    return [
        root,
        # Thu 28 Mar 16:30 CET -> Tue 2 Apr 09:30 CEST (clocks went forward on Sun 31 Mar)
        post("a1", "anna", "2024-03-28T15:30:00Z", "@Bahn Zug fällt aus", "0", "Bahn"),
        post("b1", "Bahn", "2024-04-02T07:30:00Z", "@anna sorry", "a1", "anna"),
        # Sat 30 Mar 11:00 CET -> Mon 1 Apr 09:30 CEST
        post("a2", "ben", "2024-03-30T10:00:00Z", "@Bahn Aufzug kaputt", "0", "Bahn"),
        post("b2", "Bahn", "2024-04-01T07:30:00Z", "@ben danke", "a2", "ben"),
        # Wed 3 Apr 08:00 CEST, never answered; observation ends Fri 5 Apr 14:00 CEST
        post("a3", "cem", "2024-04-03T06:00:00Z", "@Bahn Gleis gesperrt?", "0", "Bahn"),
    ]


BERLIN_END = datetime(2024, 4, 5, 12, tzinfo=UTC)  # Fri 5 Apr 14:00 CEST


@pytest.fixture(scope="module")
def store_berlin(tmp_path_factory):
    office = account("Bahn", country="DE", timezone=BERLIN, office_hours="Mon-Fri 09:00-17:00")
    return make_store(tmp_path_factory.mktemp("berlin"), _berlin_posts(), [office],
                      settings=Settings(observed_until=BERLIN_END, min_n=1))


def test_business_clock_across_dst(store_berlin):
    r = rows(store_berlin, "responses", "ORDER BY message_id").set_index("message_id")
    m = one(store_berlin, "account_metrics", "population = 'all'")
    # calendar: 112 h (the lost hour makes Thu 15:30Z -> Tue 07:30Z 4 days 16 h), 45.5 h
    assert r.loc["a1", "latency_hours"] == pytest.approx(112)
    assert r.loc["a2", "latency_hours"] == pytest.approx(45.5)
    assert m.km_median_hours == pytest.approx(112)  # 45.5e (2/3), 54c, 112e (0)
    # business: a1 Thu 0.5 + Fri 8 + Mon 8 + Tue 0.5 = 17 h; a2 Mon 0.5 h;
    # a3 Wed 8 + Thu 8 + Fri 5 = 21 h censored: 0.5e (2/3), 17e (1/3) -> median 17 h
    assert m.business_messages == 3
    assert m.business_km_median_hours == pytest.approx(17)
    assert m.business_max_followup_hours == pytest.approx(21)
    # window: 40 office hours a week x 168/168; observed for it: a1 only (45.5 h)
    assert m.business_window_hours == pytest.approx(40)
    assert (m.business_observed_window, m.business_answered_window) == (1, 1)
    assert m.business_answered_rate_window == 1.0
    clock = one(store_berlin, "account_clocks", "official_author = 'Bahn'")
    assert (clock.clock_status, clock.weekly_office_hours) == ("ok", 40)
    # the business figures are in slice_metrics too (whole range, and by month)
    march = one(store_berlin, "slice_metrics", "population = 'all' AND period = '2024-03' "
                "AND slice_kind = 'all'")
    # a1 (17 h) and a2 (0.5 h), both answered: the plain median
    assert march.business_km_median_hours == pytest.approx((17 + 0.5) / 2)


def test_business_clock_with_holidays(store_berlin, tmp_path):
    holidays = tmp_path / "holidays.csv"
    holidays.write_text("country,date,name\nDE,2024-03-29,Karfreitag\n"
                        "DE,2024-04-01,Ostermontag\nFR,2024-04-02,not ours\n", "utf-8")
    ctx = context(store_berlin, Settings(observed_until=BERLIN_END, min_n=1,
                                         holidays_file=str(holidays)))
    metrics, _ = account_metrics(ctx)
    m = metrics.set_index("population").loc["all"]
    # a1: Thu 0.5 + Tue 0.5 = 1 h; a2: answered on Easter Monday = 0 h -> median 1 h
    assert m.business_km_median_hours == pytest.approx(1)
    clock = BusinessClocks().compute(ctx)["account_clocks"].iloc[0]
    assert (clock.holidays_country, clock.holidays_in_range) == ("DE", 2)


def test_office_hours_spanning_the_clock_change(tmp_path):
    """A whole Sunday open: the spring-forward Sunday has 23 real hours, the
    fall-back Sunday 25; wall-clock arithmetic would say 24 for both."""
    posts = [
        post("0", "Notruf", "2024-03-01T00:00:00Z", "Info"),
        post("s1", "dora", "2024-03-30T23:00:00Z", "@Notruf hilfe", "0", "Notruf"),  # Sun 00:00
        post("t1", "Notruf", "2024-03-31T22:00:00Z", "@dora ok", "s1", "dora"),  # Mon 00:00
        post("s2", "emil", "2024-10-26T22:00:00Z", "@Notruf hilfe", "0", "Notruf"),
        post("t2", "Notruf", "2024-10-27T23:00:00Z", "@emil ok", "s2", "emil"),
    ]
    office = account("Notruf", country="DE", timezone=BERLIN, office_hours="Sun 00:00-24:00")
    store = make_store(tmp_path, posts, [office], settings=Settings(min_n=1))
    m = one(store, "account_metrics", "population = 'all'")
    # business latencies 23 h and 25 h, nothing censored: median (23 + 25) / 2
    assert m.business_km_median_hours == pytest.approx(24)
    assert m.km_median_hours == pytest.approx(24)  # calendar: the same 23 h and 25 h


def test_bad_holiday_file_names_file_and_line(store_berlin, tmp_path):
    bad = tmp_path / "holidays.csv"
    bad.write_text("country,date,name\nDE,2024-03-29,ok\nDE,29.03.2024,bad\n", "utf-8")
    with pytest.raises(InputError, match=r"holidays\.csv: line 3: date '29\.03\.2024'"):
        account_metrics(context(store_berlin, Settings(holidays_file=str(bad))))


# -- what is and is not a response; response and data quality ------------------------

T0 = "2026-02-01T10:00:00Z"
SCENARIO_D = [
    post("R1", "MinRail", "2026-02-01T09:00:00Z", "Service update"),
    post("R1b", "MinRail", "2026-02-01T09:01:00Z", "thread 2/2", "R1", "MinRail"),
    post("q1", "asha", T0, "@MinRail my train is late", "R1", "MinRail"),
    post("a1", "MinRail", "2026-02-01T11:00:00Z", "@asha please DM us", "q1", "asha"),
    # a reply to MinRail that names MinHealth: a message to each; only MinHealth answers
    post("q2", "ravi", "2026-02-01T10:10:00Z", "@MinHealth sick passengers", "R1", "MinRail"),
    post("a2", "MinHealth", "2026-02-01T10:40:00Z", "@ravi doctors sent", "q2", "ravi"),
    # two messages in one thread; MinRail answers zoya (thread reply, no link) but not kabir
    post("q3", "kabir", "2026-02-01T10:20:00Z", "@MinRail me too", "R1", "MinRail", "R1"),
    post("q4", "zoya", "2026-02-01T10:25:00Z", "@MinRail refund?", "R1", "MinRail", "R1"),
    post("a4", "MinRail", "2026-02-01T10:40:00Z", "@zoya done", "", "zoya", "R1"),
    # MinHealth "replies" to lata an hour before she wrote, and again at the same instant
    post("q5", "lata", "2026-02-01T12:00:00Z", "@MinHealth water is dirty"),
    post("a5", "MinHealth", "2026-02-01T11:00:00Z", "@lata ?", "q5", "lata"),
    post("a5b", "MinHealth", "2026-02-01T12:00:00Z", "@lata !", "q5", "lata"),
    # asha continues her own thread and names MinRail again: a message (via mention)
    post("q6", "asha", "2026-02-01T10:05:00Z", "@MinRail still waiting", "q1", "asha"),
    # impossible and dangling links
    post("z1", "yuri", "2026-02-01T13:00:00Z", "loop", "z1"),
    post("z2", "yuri", "2026-02-01T13:05:00Z", "to nowhere", "gone"),
    post("end", "obs", "2026-02-03T00:00:00Z", "end"),
]
TAGS_D = {"a1": {"deflection": True}, "a2": {"deflection": False}, "a4": {},
          **{q: {} for q in ("q1", "q2", "q3", "q4", "q5", "q6")}}


@pytest.fixture(scope="module")
def store_d(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("d"), SCENARIO_D,
                      [account("MinRail"), account("MinHealth")], TAGS_D, Settings(min_n=1))


def test_response_rules(store_d):
    r = rows(store_d, "responses").set_index(["message_id", "official_author"])
    assert r.loc[("q1", "MinRail"), "response_id"] == "a1"
    # several officials: each is answered (or not) on its own
    assert r.loc[("q2", "MinHealth"), "latency_hours"] == pytest.approx(0.5)
    assert r.loc[("q2", "MinRail"), "censored"]
    # a reply to another message of the same thread is not a response
    assert r.loc[("q4", "MinRail"), "response_id"] == "a4"
    assert r.loc[("q3", "MinRail"), "censored"]
    # replies created before (or with) the message are not responses
    assert r.loc[("q5", "MinHealth"), "censored"]
    assert r.loc[("q6", "MinRail"), "via"] == "mention"
    assert not r.reset_index()["message_id"].isin(["R1b", "z1", "z2", "a1"]).any()


def test_deflection_share(store_d):
    rail = one(store_d, "response_quality", "official_author = 'MinRail' AND population = 'all'")
    # answered: q1 (a1, a deflection) and q4 (a4, not tagged)
    assert (rail.responses, rail.deflection_tagged, rail.deflections) == (2, 1, 1)
    assert (rail.deflection_share, rail.deflection_status) == (1.0, "ok")
    health = one(store_d, "response_quality",
                 "official_author = 'MinHealth' AND population = 'all'")
    assert (health.responses, health.deflections, health.deflection_share) == (1, 0, 0.0)
    # needs_response is untagged here: that population is empty
    assert rows(store_d, "response_quality", "WHERE population = 'needs_response'").empty


def test_data_quality_counts(store_d):
    dq = rows(store_d, "data_quality")
    got = {(a if isinstance(a, str) else None, c): n
           for a, c, n in dq[["official_author", "check_name", "count"]].itertuples(index=False)}
    assert got[("MinHealth", "reply_before_message")] == 1
    assert got[("MinHealth", "reply_same_time")] == 1
    assert got[("MinRail", "reply_before_message")] == 0
    assert got[("MinRail", "official_self_reply")] == 1  # R1b
    assert got[("MinRail", "public_self_reply")] == 1  # q6
    assert got[(None, "self_link")] == 1
    assert got[(None, "parent_missing")] == 1
    assert got[(None, "reply_before_parent")] == 1  # a5, an hour before q5
    assert got[("MinRail", "needs_response_untagged")] == 5  # q1, q2, q3, q4, q6
    assert set(dq["description"].str.len() > 20) == {True}


# -- benchmarks ----------------------------------------------------------------------

def _bench_posts():
    out = [post(f"p{a}", a, "2026-01-01T00:00:00Z", "news") for a in "ABCD"]

    def pair(a, i, hours):
        mid = f"{a}{i}"
        out.append(post(mid, f"u{mid}", "2026-01-02T00:00:00Z", f"@{a} question", f"p{a}", a))
        if hours is not None:
            h, rest = divmod(hours, 24)
            out.append(post(f"r{mid}", a, f"2026-01-{2 + h:02d}T{rest:02d}:00:00Z", "@u ok",
                            mid, f"u{mid}"))

    for a, (h1, h2) in {"A": (1, 3), "B": (5, 300), "C": (None, None), "D": (1, 2)}.items():
        pair(a, 1, h1)
        pair(a, 2, h2)
    out.append(post("end", "obs", "2026-02-01T00:00:00Z", "end"))
    return out


BENCH_ACCOUNTS = [account(a, country="XA") for a in "ABC"] + [account("D", country="XB")]
# not tagged: no critical/sentiment groups, no deflection tag
TAGS_E = {p["post_id"]: {} for p in _bench_posts() if p["post_id"][0] in "ABCDr"}


@pytest.fixture(scope="module")
def store_e(tmp_path_factory):
    settings = Settings(min_n=1, min_peers=2)
    return make_store(tmp_path_factory.mktemp("e"), _bench_posts(), BENCH_ACCOUNTS, TAGS_E,
                      settings=settings)


def test_peer_ranks_and_composite(store_e):
    am = rows(store_e, "account_metrics", "WHERE population = 'all'").set_index(
        "official_author")
    # A: 1 h, 3 h -> S = .5 flat until 3 h: median 2; B: 5 h then 300 h -> (5 + 300) / 2
    assert am.loc["A", "km_median_hours"] == pytest.approx(2)
    assert am.loc["B", "km_median_hours"] == pytest.approx(152.5)
    assert not am.loc["C", "km_median_reached"]
    b = rows(store_e, "benchmarks", "WHERE population = 'all'")
    rank = b.set_index(["official_author", "metric"])["percentile_rank"]
    for metric in ("answered_rate", "km_median_hours"):  # A best, C worst (not reached)
        assert rank[("A", metric)] == pytest.approx(100 * 2.5 / 3)
        assert rank[("B", metric)] == pytest.approx(50)
        assert rank[("C", metric)] == pytest.approx(100 * 0.5 / 3)
    status = b.set_index(["official_author", "metric"])["status"]
    assert status[("C", "km_median_hours")] == "not reached"
    assert status[("D", "answered_rate")] == "too few peers"  # alone in XB
    assert status[("A", "deflection_share")] == "not tagged"
    idx = rows(store_e, "benchmark_index", "WHERE population = 'all'").set_index(
        "official_author")
    # only rate (0.35) and median (0.25) are available: share 0.6, renormalised
    assert idx.loc["A", "weight_share"] == pytest.approx(0.6)
    assert idx.loc["A", "composite_index"] == pytest.approx(100 * 2.5 / 3)
    assert idx.loc["C", "composite_index"] == pytest.approx(100 * 0.5 / 3)
    # D is alone in XB: no index, and the reason says so
    assert idx.loc["D", "status"] == "too few peers" and np.isnan(idx.loc["D", "composite_index"])
    assert idx.loc["D", "reason"] == "too few peers: 1 accounts in XB/national, at least 2 needed"
    # A and B overlap at B's ranks: their places among the three of XA are shared ranges
    assert idx.loc["A", "peers"] == 3 and idx.loc["A", "rank_best"] == 1
    assert idx.loc["A", "composite_ci_low"] <= idx.loc["A", "composite_index"] \
        <= idx.loc["A", "composite_ci_high"]


def test_index_weights_are_adjustable_and_checked(store_e):
    settings = Settings(min_n=1, min_peers=2,
                        index_weights={"km_median_hours": 0, "selectivity_gap": 3})
    idx = Benchmarks().compute(context(store_e, settings))["benchmark_index"]
    idx = idx[idx["population"] == "all"].set_index("official_author")
    # total weight 0.35 + 3 + 0.1 + 0.1 = 3.55; only the rate (0.35) is available
    assert idx.loc["A", "weight_share"] == pytest.approx(0.35 / 3.55)
    assert idx.loc["A", "status"] == "too few"
    assert '"selectivity_gap": 3.0' in idx.loc["A", "weights"]
    rate_only = Settings(min_n=1, min_peers=2,
                         index_weights={"km_median_hours": 0, "selectivity_gap": 0,
                                        "critic_gap": 0, "deflection_share": 0})
    idx = Benchmarks().compute(context(store_e, rate_only))["benchmark_index"]
    idx = idx[idx["population"] == "all"].set_index("official_author")
    assert idx.loc["B", "composite_index"] == pytest.approx(50)
    with pytest.raises(UsageError, match="unknown metric"):
        index_weights(Settings(index_weights={"speed": 1}).benchmarks)
    with pytest.raises(UsageError, match=">= 0"):
        index_weights(Settings(index_weights={"critic_gap": -1}).benchmarks)


def test_chunks_and_worker_processes_change_nothing(store_e):
    """One account per chunk, two worker processes: the same tables as one chunk."""
    ctx = context(store_e, Settings(min_n=1, min_peers=2, chunk_rows=1, execution__workers=2))
    key = ["platform", "official_author", "population", "period_kind", "period", "slice_kind",
           "slice_value"]
    pooled = slice_metrics(ctx).sort_values(key).reset_index(drop=True)
    stored = rows(store_e, "slice_metrics").sort_values(key).reset_index(drop=True)
    assert len(pooled) == len(stored) > 0
    pooled["period_start"] = pd.to_datetime(pooled["period_start"])
    stored["period_start"] = pd.to_datetime(stored["period_start"])

    def text(col: pd.Series) -> list[str]:
        return [str(v) for v in col.astype(object).where(col.notna(), None)]

    for col in stored.columns:
        assert text(pooled[col]) == text(stored[col]), col
    metrics, _ = account_metrics(ctx)
    assert metrics["km_median_hours"].tolist() == pytest.approx(
        rows(store_e, "account_metrics", "ORDER BY platform, official_author, population")[
            "km_median_hours"].tolist(), nan_ok=True)


# -- every family: empty store, determinism ----------------------------------------------

OUR_TABLES = ("account_metrics", "km_curves", "slice_metrics", "account_clocks", "selectivity",
              "response_quality", "data_quality", "benchmarks", "benchmark_index")


def test_no_inbound_messages_gives_empty_tables(tmp_path):
    store = make_store(tmp_path, [post("1", "MinRail", "2026-01-01T00:00:00Z", "hello")],
                       [account("MinRail")])
    for table in OUR_TABLES:
        n = store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        expected = {"account_clocks": 1, "data_quality": 8}.get(table, 0)
        assert n == expected, table


def test_rerun_gives_identical_tables(store_a):
    before = {t: rows(store_a, t) for t in OUR_TABLES}
    run_analysis(store_a, Settings(observed_until=OBSERVED_UNTIL, min_n=3))
    for t in OUR_TABLES:
        after = rows(store_a, t)
        assert after.equals(before[t]), t


# -- real data: TWCS customer support threads -------------------------------------------

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,50})")


def _twcs_rows(folder: Path) -> list[dict]:
    with open(folder / "twcs_sample_first105.csv", newline="", encoding="utf-8") as f:
        rows_ = list(csv.DictReader(f))
    for r in rows_:
        r["at"] = datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y")
        r["parent"] = r["in_response_to_tweet_id"].removesuffix(".0")
    return rows_


def _twcs_expected(raw: list[dict]) -> dict:
    """(message id, company) -> (latency or None, observed hours), from the file alone."""
    companies = {r["author_id"] for r in raw if r["inbound"] == "False"}
    lower = {c.lower(): c for c in companies}
    by_id = {r["tweet_id"]: r for r in raw}
    obs_end = max(r["at"] for r in raw)
    out = {}
    for m in raw:
        if m["author_id"] in companies:
            continue
        addressed = {lower[h.lower()] for h in MENTION.findall(m["text"]) if h.lower() in lower}
        parent = by_id.get(m["parent"])
        if parent is not None and parent["author_id"] in companies:
            addressed.add(parent["author_id"])
        for c in addressed:
            answers = [r["at"] for r in raw if r["author_id"] == c and
                       r["parent"] == m["tweet_id"] and r["at"] > m["at"]]
            latency = (min(answers) - m["at"]).total_seconds() / 3600 if answers else None
            out[(m["tweet_id"], c)] = (latency, (obs_end - m["at"]).total_seconds() / 3600)
    return out


def _twcs_store(tmp_path: Path, folder: Path, route: str) -> Store:
    store = Store(tmp_path / "twcs.duckdb")
    if route == "mapped":
        summary = import_paths(store, [folder / "twcs_sample_first105.csv"], fmt="mapped",
                               options=ReadOptions(mapping_file="twcs"))
    else:
        raw = _twcs_rows(folder)
        companies = sorted({r["author_id"] for r in raw if r["inbound"] == "False"})
        posts = [post(r["tweet_id"], r["author_id"], r["at"].isoformat(), r["text"],
                      r["parent"], platform="twitter") for r in raw]
        accounts = [account(c, platform="twitter", country="US",
                            timezone="America/New_York") for c in companies]
        acsv = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, accounts)
        assert import_paths(store, [acsv], kind="accounts").rejected == 0
        summary = import_paths(store, [write_csv(tmp_path / "posts.csv", POST_HEADER, posts)])
    assert summary.rejected == 0
    run_analysis(store, Settings(min_n=1))
    return store


@pytest.mark.shared
@pytest.mark.parametrize("route", ["csv", "mapped"])
def test_twcs_first_replies_match_the_file(tmp_path, shared_data, route):
    folder = shared_data / "twcs_customer_support_sample"
    expected = _twcs_expected(_twcs_rows(folder))
    store = _twcs_store(tmp_path, folder, route)
    got = rows(store, "responses")
    assert len(got) == len(expected) > 40
    for r in got.itertuples():
        latency, observed = expected[(r.message_id, r.official_author)]
        assert r.observed_hours == pytest.approx(observed)
        if latency is None:
            assert r.censored
        else:
            assert not r.censored and r.latency_hours == pytest.approx(latency)
    metrics = rows(store, "account_metrics", "WHERE population = 'all'")
    assert set(metrics["official_author"]) == {c for _, c in expected}
    for m in metrics.itertuples():
        mine = [v for (_, c), v in expected.items() if c == m.official_author]
        answered = [lat for lat, _ in mine if lat is not None]
        durations = [lat if lat is not None else obs for lat, obs in mine]
        assert (m.messages, m.answered) == (len(mine), len(answered))
        seen = [(lat, obs) for lat, obs in mine if obs >= 168]
        assert m.observed_window == len(seen)
        assert m.answered_window == sum(lat is not None and lat <= 168 for lat, _ in seen)
        ref = kaplan_meier(durations, [lat is not None for lat, _ in mine])
        assert m.km_median_reached == ref.reached
        if ref.reached:
            assert m.km_median_hours == pytest.approx(ref.median)
        if answered:
            assert m.naive_median_hours == pytest.approx(float(np.median(answered)))
