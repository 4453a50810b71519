"""Events file reading, and event acknowledgement computed through the real pipeline.

Every expected number below is worked out by hand from the timeline in
``POSTS``: onset of 'floods' is 2026-01-10T00:00Z, observation end (the last
post) 2026-01-12T00:00Z.
"""

from __future__ import annotations

import math
from pathlib import Path

import govwatch.analysis.activity  # noqa: F401  (registers the metric)
import govwatch.analysis.events  # noqa: F401  (registers the metric)
import numpy as np
import pandas as pd
import pytest
from govwatch.analysis.bursts import daily_bursts, episodes
from govwatch.analysis.events import keyword_regex
from govwatch.analysis.pipeline import run_analysis
from govwatch.ingest.events import load_events, read_events
from govwatch.ingest.pipeline import import_paths

from govwatch.errors import InputError
from govwatch.store import Store

ACCOUNTS = """platform,author,institution,country,level,timezone
x,city_hall,Chennai Corporation,IN,local,Asia/Kolkata
x,health_min,Ministry of Health,IN,national,Asia/Kolkata
x,rail_min,Ministry of Railways,IN,national,Asia/Kolkata
x,other_gov,Government of Elsewhere,ID,national,Asia/Jakarta
"""

POSTS = """platform,post_id,author,created_at,text
x,1,asha_k,2026-01-09T23:00:00Z,flood warning for tomorrow?
x,2,mia_r,2026-01-10T00:45:00Z,Heavy flooding downtown
x,3,city_hall,2026-01-10T00:30:00Z,Stadium floodlight repair done
x,4,ravi_m,2026-01-10T01:30:00Z,Streets under water #ChennaiFloods
x,5,other_gov,2026-01-10T02:00:00Z,flood help for our neighbours
x,6,health_min,2026-01-10T03:00:00+05:30,Old news
x,7,health_min,2026-01-10T08:30:00+05:30,Beware of WATER   LOGGING in low areas
x,8,city_hall,2026-01-10T06:00:00Z,Relief camps open for flood victims
x,9,city_hall,2026-01-10T08:00:00Z,#chennaifloods update: pumps running
x,10,rail_min,2026-01-11T09:00:00Z,New train timetable
x,11,other_gov,2026-01-11T12:00:00Z,Election day: polls open
x,12,zed_p,2026-01-12T00:00:00Z,hello @rail_min
"""

EVENTS = """event_id,name,onset,keywords,critical,country
floods,Chennai floods,2026-01-10T05:30:00+05:30,flood;chennaifloods;water logging,true,IN
vote,General election,2026-01-11T00:00:00Z,election,false,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def ingested(folder: Path) -> Store:
    store = Store(folder / "gw.duckdb")
    import_paths(store, [write(folder / "accounts.csv", ACCOUNTS)])
    import_paths(store, [write(folder / "posts.csv", POSTS)])
    loaded, rejects = load_events(store, write(folder / "events.csv", EVENTS))
    assert (loaded, rejects) == (2, [])
    return store


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """One analysed store shared by the read-only tests of this module."""
    store = ingested(tmp_path_factory.mktemp("events"))
    run_analysis(store)
    yield store
    store.close()


def acks(store: Store, event_id: str) -> dict[str, dict]:
    frame = store.conn.execute(
        "SELECT * FROM event_acknowledgements WHERE event_id = ?", [event_id]).df()
    return {r["official_author"]: r for r in frame.to_dict("records")}


def test_hand_computed_acknowledgement(analysed):
    rows = acks(analysed, "floods")
    # Country scope IN: other_gov (ID) is not expected to acknowledge.
    assert sorted(rows) == ["city_hall", "health_min", "rail_min"]
    city = rows["city_hall"]
    # 'floodlight' at 00:30 is not 'flood'; the relief-camp post at 06:00 is.
    assert city["first_post_id"] == "8"
    assert city["latency_hours"] == pytest.approx(6.0)
    assert not city["censored"]
    assert city["matching_posts"] == 2  # the #chennaifloods post counts too
    # Public first: 'flooding' (00:45) is not a whole-word match; the hashtag at 01:30 is.
    assert city["first_public_post_id"] == "4"
    assert city["public_latency_hours"] == pytest.approx(1.5)
    assert city["public_lead_hours"] == pytest.approx(4.5)
    health = rows["health_min"]
    # Phrase 'water logging' across several spaces and in capitals, 03:00Z.
    assert health["first_post_id"] == "7"
    assert health["latency_hours"] == pytest.approx(3.0)
    assert health["public_lead_hours"] == pytest.approx(1.5)
    rail = rows["rail_min"]
    assert rail["censored"]
    assert pd.isna(rail["first_post_id"])
    assert math.isnan(rail["latency_hours"]) and math.isnan(rail["public_lead_hours"])
    assert rail["observed_hours"] == pytest.approx(48.0)
    assert rail["matching_posts"] == 0


def test_event_without_country_covers_all_officials(analysed):
    rows = acks(analysed, "vote")
    assert sorted(rows) == ["city_hall", "health_min", "other_gov", "rail_min"]
    assert rows["other_gov"]["latency_hours"] == pytest.approx(12.0)
    assert all(rows[a]["censored"] for a in ("city_hall", "health_min", "rail_min"))
    assert pd.isna(rows["other_gov"]["first_public_post_id"])  # the public never wrote of it
    assert math.isnan(rows["other_gov"]["public_lead_hours"])
    assert rows["rail_min"]["observed_hours"] == pytest.approx(24.0)


def test_event_summary(analysed):
    s = analysed.conn.execute("SELECT * FROM event_summary ORDER BY onset").df()
    floods, vote = s.to_dict("records")
    assert floods["accounts_in_scope"] == 3 and floods["accounts_acknowledged"] == 2
    # Half of 3 accounts is reached at the 2nd acknowledgement: 6 h.
    assert floods["median_latency_hours"] == pytest.approx(6.0)
    assert floods["first_official_author"] == "health_min"
    assert floods["first_official_latency_hours"] == pytest.approx(3.0)
    assert floods["public_latency_hours"] == pytest.approx(1.5)
    assert floods["public_lead_hours"] == pytest.approx(1.5)
    assert floods["official_matching_posts"] == 3
    assert floods["public_matching_posts"] == 1
    assert vote["accounts_in_scope"] == 4 and vote["accounts_acknowledged"] == 1
    assert math.isnan(vote["median_latency_hours"])  # 1 of 4: median not reached


def test_reloading_events_replaces_by_id(tmp_path):
    store = ingested(tmp_path)
    load_events(store, tmp_path / "events.csv")  # the same file again changes nothing
    assert store.count("events") == 2
    changed = EVENTS.replace("Chennai floods", "Chennai floods 2026")
    loaded, _ = load_events(store, write(tmp_path / "events2.csv", changed))
    assert loaded == 2
    rows = store.conn.execute("SELECT event_id, name FROM events ORDER BY event_id").fetchall()
    assert rows == [("floods", "Chennai floods 2026"), ("vote", "General election")]
    files = store.conn.execute(
        "SELECT format FROM imports WHERE format LIKE 'events-%'").fetchall()
    assert files == [("events-csv",)] * 3
    store.close()


@pytest.mark.parametrize(
    ("text", "keywords", "expected"),
    [
        ("Big #ChennaiFloods today", ["chennaifloods"], True),
        ("Big #ChennaiFloods today", ["chennai floods"], True),  # phrase as hashtag body
        ("stadium floodlight", ["flood"], False),
        ("more #floods", ["flood"], False),
        ("the Flood, again", ["flood"], True),
        ("c++ and (x) here", ["c++", "(x)"], True),
        ("cpp here", ["c++"], False),
        ("नदी में बाढ़ आई", ["बाढ़"], True),
        ("x.y", ["x.y"], True),
        ("xzy", ["x.y"], False),
    ],
)
def test_keyword_regex(text, keywords, expected):
    import duckdb

    pattern = keyword_regex(keywords)
    got = duckdb.connect().execute("SELECT regexp_matches(?, ?, 'i')", [text, pattern]).fetchone()
    assert got[0] is expected


def test_bad_csv_rows_are_rejected_with_line_numbers(tmp_path):
    path = write(tmp_path / "events.csv", (
        "event_id,name,onset,keywords,critical,country\n"
        "e1,Good,2026-01-10T00:00:00Z,flood,true,IN\n"
        "e2,No offset,2026-01-10T00:00:00,flood,true,IN\n"
        "e3,Bad flag,2026-01-10T00:00:00Z,flood,maybe,IN\n"
        "e4,No keywords,2026-01-10T00:00:00Z,; ;,false,IN\n"
        "e5,Bad country,2026-01-10T00:00:00Z,flood,false,India\n"
        "e1,Duplicate,2026-01-10T00:00:00Z,flood,false,IN\n"
        "e6,Too few fields\n"
        ",No id,2026-01-10T00:00:00Z,flood,no,\n"
        "e7,Fine,2026-01-10T00:00:00-03:00,Flood; flood ;storm,NO,\n"
    ))
    found = read_events(path)
    assert [e.event_id for e in found.events] == ["e1", "e7"]
    assert found.events[1].keywords == ("Flood", "storm")  # de-duplicated, order kept
    assert found.events[1].critical is False
    assert found.events[1].onset.isoformat() == "2026-01-10T03:00:00+00:00"
    got = {r.locator: r.reason for r in found.rejects}
    assert sorted(got, key=lambda s: int(s.split()[1])) == [
        "line 3", "line 4", "line 5", "line 6", "line 7", "line 8", "line 9"]
    assert "no UTC offset" in got["line 3"]
    assert "not true or false" in got["line 4"]
    assert "keywords is empty" in got["line 5"]
    assert "ISO 3166" in got["line 6"]
    assert "already given at line 2" in got["line 7"]
    assert "fields" in got["line 8"]
    assert "event_id is empty" in got["line 9"]
    assert found.rows_read == 9


def test_rejects_are_stored_and_valid_rows_kept(tmp_path):
    store = Store(tmp_path / "gw.duckdb")
    path = write(tmp_path / "events.csv", (
        "event_id,name,onset,keywords,critical\n"
        "e1,Good,2026-01-10T00:00:00Z,flood,true\n"
        "e2,Bad,yesterday,flood,true\n"
    ))
    loaded, rejects = load_events(store, path)
    assert loaded == 1 and [r.locator for r in rejects] == ["line 3"]
    stored = store.conn.execute("SELECT locator, reason FROM rejects").fetchall()
    assert stored == [("line 3", "onset 'yesterday' is not an ISO 8601 time")]
    row = store.conn.execute(
        "SELECT rows_read, rejected, status FROM imports WHERE format = 'events-csv'").fetchone()
    assert row == (2, 1, "complete")
    store.close()


def test_yaml_events_with_paths(tmp_path):
    path = write(tmp_path / "events.yaml", """\
events:
  - event_id: e1
    name: Floods
    onset: 2026-01-10T00:00:00+05:30
    keywords: [flood, chennai floods]
    critical: yes
    country: in
  - event_id: e2
    name: Naive time
    onset: 2026-01-10 00:00:00
    keywords: [storm]
    critical: true
  - just a string
  - event_id: e3
    name: Bad flag
    onset: "2026-01-10T00:00:00Z"
    keywords: storm; hail
    critical: perhaps
""")
    found = read_events(path)
    assert found.format == "events-yaml"
    (e1,) = found.events
    assert e1.keywords == ("flood", "chennai floods") and e1.critical and e1.country == "IN"
    assert e1.onset.isoformat() == "2026-01-09T18:30:00+00:00"
    got = {r.locator: r.reason for r in found.rejects}
    assert set(got) == {"$.events[1].onset (line 10)", "$.events[2] (line 13)",
                        "$.events[3].critical (line 18)"}
    assert "no UTC offset" in got["$.events[1].onset (line 10)"]


def test_unreadable_files_raise(tmp_path):
    with pytest.raises(InputError, match="missing required column"):
        read_events(write(tmp_path / "e.csv", "event_id,name\ne1,x\n"))
    with pytest.raises(InputError, match="not valid YAML") as info:
        read_events(write(tmp_path / "e.yaml", "- event_id: [unclosed\n"))
    assert info.value.locator.startswith("line ")
    with pytest.raises(InputError, match="expected a list"):
        read_events(write(tmp_path / "e.yml", "event_id: e1\n"))


def test_daily_bursts_against_own_baseline():
    days = pd.date_range("2026-01-01", "2026-01-11", freq="D").date
    counts = [0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 12]
    daily = pd.DataFrame({"country": "IN", "day": days, "n": counts,
                          "first_at": pd.Timestamp("2026-01-01", tz="UTC")})
    quiet = pd.DataFrame({"country": "ID", "day": days, "n": [5] * 11,
                          "first_at": pd.Timestamp("2026-01-01", tz="UTC")})
    out = daily_bursts(pd.concat([daily, quiet]), days[0], days[-1])
    assert list(out["country"]) == ["IN"]
    row = out.iloc[0]
    assert row["topic"] is None  # the all-topics series, which candidate names read
    assert str(row["day"]) == "2026-01-11" and row["critical_messages"] == 12
    assert row["baseline_days"] == 10
    assert row["baseline_median"] == 1 and row["baseline_mad"] == 0.5
    # the MAD's spread (1.4826 x 0.5) is below a count's Poisson spread sqrt(1)
    assert row["threshold"] == pytest.approx(1 + 4 * 1.0)
    assert row["baseline_mean"] == pytest.approx(0.9)


def test_a_spike_inside_the_baseline_does_not_hide_the_next_burst():
    """A derailment-sized spike sits in the 28-day baseline of a later, smaller burst.
    A mean-and-SD baseline would be inflated past the later burst (threshold about
    mean + 3 SD = 90); the median and MAD barely move, so both bursts are found, the
    days after each spike are one candidate, and quiet days raise nothing."""
    days = pd.date_range("2026-01-01", periods=45, freq="D").date
    counts = [4, 5, 6, 5] * 12
    counts = counts[:45]
    counts[10], counts[11], counts[12] = 150, 60, 20  # the spike and its tail
    counts[30], counts[31] = 40, 25  # the next burst, inside the spike's 28 days
    daily = pd.DataFrame({"country": "XA", "day": days, "n": counts})
    history = pd.Series(counts[2:30], dtype=float)
    assert history.mean() + 3 * history.std() > 40  # the old rule would miss it
    flagged = daily_bursts(daily, days[0], days[-1])
    assert [str(d) for d in flagged["day"]] == [
        "2026-01-11", "2026-01-12", "2026-01-13", "2026-01-31", "2026-02-01"]
    second = flagged[flagged["day"].astype(str) == "2026-01-31"].iloc[0]
    assert second["baseline_median"] == 5 and second["threshold"] < 20
    cands = episodes(flagged, daily.assign(topic=None))
    assert [(str(r.day), str(r.last_day), r.burst_days, r.episode_messages)
            for r in cands.itertuples()] == [("2026-01-11", "2026-01-13", 3, 230),
                                             ("2026-01-31", "2026-02-01", 2, 65)]
    assert list(cands["candidate_id"]) == ["XA-2026-01-11", "XA-2026-01-31"]


def test_a_topic_burst_shows_only_where_the_country_total_does_not():
    days = pd.date_range("2026-01-01", periods=20, freq="D").date
    whole = [30] * 20
    whole[15] = 200  # a country-wide burst
    topic = [1] * 20
    topic[9], topic[15] = 14, 100  # a topic burst hidden in the total, and one inside it
    daily = pd.concat([
        pd.DataFrame({"country": "XB", "topic": None, "day": days, "n": whole}),
        pd.DataFrame({"country": "XB", "topic": "water", "day": days, "n": topic})])
    flagged = daily_bursts(daily, days[0], days[-1])
    cands = episodes(flagged, daily)
    assert list(cands["candidate_id"]) == ["XB-2026-01-16", "XB-2026-01-10-water"]


def test_candidate_events_from_tagged_critical_messages(tmp_path):
    """Critical tags come from the tagger; here a classifier's output is written into
    ``tags`` between two analysis runs, as a re-tagging would."""
    rows = ["platform,post_id,author,created_at,text"]
    n = 0
    for day, k in enumerate([0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 12], start=1):
        for i in range(k):
            n += 1
            rows.append(f"x,m{n},user_{n},2026-01-{day:02d}T{10 + i % 10}:00:00Z,"
                        f"@city_hall bridge down #BridgeCollapse #help{i % 2}")
    rows.append("x,last,city_hall,2026-01-12T00:00:00Z,update")
    store = Store(tmp_path / "gw.duckdb")
    import_paths(store, [write(tmp_path / "accounts.csv", ACCOUNTS)])
    import_paths(store, [write(tmp_path / "posts.csv", "\n".join(rows) + "\n")])
    load_events(store, write(tmp_path / "events.csv", (
        "event_id,name,onset,keywords,critical,country\n"
        "bridge,Bridge collapse,2026-01-11T09:00:00Z,bridge,true,IN\n")))
    run_analysis(store)
    store.conn.execute("UPDATE tags SET critical = (post_id LIKE 'm%')")
    run_analysis(store)
    cands = store.conn.execute("SELECT * FROM candidate_events").df().to_dict("records")
    assert len(cands) == 1
    c = cands[0]
    day = pd.Timestamp(c["day"]).date().isoformat()
    assert (c["country"], day, c["critical_messages"]) == ("IN", "2026-01-11", 12)
    assert c["top_hashtags"] == "#bridgecollapse #help0 #help1"
    assert c["known_event_ids"] == "bridge"
    assert c["first_message_at"].isoformat() == "2026-01-11T10:00:00+00:00"
    store.close()


@pytest.mark.shared
def test_keywords_on_real_crisis_tweets(shared_data):
    """CrisisLexT26 tweets were collected with each event's keywords (Twitter's track
    filter, which also accepts a phrase's words apart): whole-word matching finds most
    of them, and nothing that a substring search for the keywords would not find."""
    import json

    import duckdb

    con = duckdb.connect()
    folder = shared_data / "crisislex_t26_dev_events"
    events = sorted(folder.glob("*/*-event_description.json"))
    assert len(events) == 4
    for desc_path in events:
        keywords = json.loads(desc_path.read_text(encoding="utf-8"))["keywords"]
        tweets = next(desc_path.parent.glob("*-tweets_labeled.csv"))
        # Each keyword as written, and a phrase's words run together (hashtag bodies).
        substrings = [k.lstrip("#").lower() for k in keywords]
        substrings += [k.replace(" ", "") for k in substrings]
        rows = con.execute(
            'SELECT "Tweet Text", regexp_matches("Tweet Text", ?, \'i\') '
            "FROM read_csv(?, header = true, all_varchar = true)",
            [keyword_regex(keywords), str(tweets)],
        ).fetchall()
        share = sum(m for _, m in rows) / len(rows)
        flat = [(" ".join(t.lower().split()), m) for t, m in rows]
        outside = [t for t, m in flat if m and not any(k in t for k in substrings)]
        assert share >= 0.7, (desc_path.name, share)
        assert outside == []


def test_event_median_follows_the_midpoint_rule(tmp_path):
    """Four accounts in scope (no country): S(t) sits at one half between the 2nd and
    3rd acknowledgement, so the median is their midpoint (methodology, KM median), not
    the lower of the two; with only two acknowledging it runs to the observed time."""
    posts = ("platform,post_id,author,created_at,text\n"
             "x,1,city_hall,2026-01-10T02:00:00Z,power outage update\n"
             "x,2,health_min,2026-01-10T04:00:00Z,outage: hospitals on generators\n"
             "x,3,rail_min,2026-01-10T10:00:00Z,outage hits signals\n"
             "x,4,city_hall,2026-01-10T20:00:00Z,water outage tomorrow\n"
             "x,5,zed_p,2026-01-11T00:00:00Z,hello\n")
    events = ("event_id,name,onset,keywords,critical,country\n"
              "power,Power cut,2026-01-10T00:00:00Z,outage,true,\n"
              "water,Water cut,2026-01-10T19:00:00Z,outage,true,\n")
    store = Store(tmp_path / "gw.duckdb")
    import_paths(store, [write(tmp_path / "accounts.csv", ACCOUNTS)])
    import_paths(store, [write(tmp_path / "posts.csv", posts)])
    load_events(store, write(tmp_path / "events.csv", events))
    run_analysis(store)
    s = store.conn.execute("SELECT event_id, accounts_acknowledged, median_latency_hours "
                           "FROM event_summary ORDER BY event_id").df().set_index("event_id")
    store.close()
    assert s.loc["power", "accounts_acknowledged"] == 3
    assert s.loc["power", "median_latency_hours"] == pytest.approx((4 + 10) / 2)
    # water: only city_hall (1 h) of four: not reached
    assert math.isnan(s.loc["water", "median_latency_hours"])


def test_rolling_baseline_equals_the_per_day_computation():
    """The baseline taken for all days and series at once gives, bit for bit, what
    each day's own trailing slice gives (median, MAD, mean, sd), edges included."""
    from govwatch.analysis.bursts import _rolling_median_mad

    def per_day(history, window, min_days):
        out = np.full((5, len(history)), np.nan)
        for i in range(len(history)):
            past = history[max(0, i - window):i]
            out[0, i] = len(past)
            if len(past) >= min_days and len(past):
                m = np.median(past)
                out[1:, i] = (m, np.median(np.abs(past - m)), past.mean(),
                              past.std(ddof=1) if len(past) > 1 else 0.0)
        return out

    rng = np.random.default_rng(7)
    for _ in range(400):
        n, window, min_days = (int(rng.integers(0, 120)), int(rng.integers(1, 35)),
                               int(rng.integers(1, 10)))
        history = rng.poisson(rng.uniform(0, 40), n) * rng.choice([1.0, 0.37, 2.9])
        assert np.array_equal(_rolling_median_mad(history, window, min_days),
                              per_day(history, window, min_days), equal_nan=True)
        several = rng.poisson(rng.uniform(0, 40), (3, n)) * 1.0
        assert np.array_equal(_rolling_median_mad(several, window, min_days),
                              np.stack([per_day(h, window, min_days) for h in several], axis=1),
                              equal_nan=True)
