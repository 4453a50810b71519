"""Outage lists and platform blackouts: the #KeepItOn record on a store of Kazakh accounts,
and a synthetic blackout of every X post in the sample."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import require_shared
from govwatch.analysis.pipeline import run_analysis
from govwatch.ingest.pipeline import import_file

from govwatch.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data" / "small"
KZ_ACCOUNTS = [("x", "akorda_press"), ("x", "kz_mfa"), ("x", "almaty_akimat"),
               ("telegram", "channel1001"), ("telegram", "channel1002")]


def _analyse(db: Path, files: list[tuple[Path, str]]):
    with Store(db) as store:
        results = [import_file(store, p, fmt) for p, fmt in files]
        run_analysis(store)
    return duckdb.connect(str(db), read_only=True), results


def _sample_store(tmp: Path, blackout: tuple[datetime, datetime] | None):
    posts = pd.read_csv(SAMPLE / "posts.csv", dtype=str, keep_default_na=False)
    if blackout:
        t = pd.to_datetime(posts["created_at"], utc=True, format="ISO8601")
        posts = posts[~((posts["platform"] == "x") & (t >= blackout[0]) & (t < blackout[1]))]
    path = tmp / "posts.csv"
    posts.to_csv(path, index=False)
    return _analyse(tmp / "s.duckdb", [(SAMPLE / "accounts.csv", "accounts-csv"), (path, "csv")])


def test_the_sample_has_no_blackout_and_a_blackout_of_all_x_posts_is_found(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain, _ = _sample_store(tmp_path / "a", None)
    assert plain.execute("SELECT count(*) FROM platform_blackouts").fetchone()[0] == 0
    start, end = datetime(2026, 2, 10, tzinfo=UTC), datetime(2026, 2, 13, tzinfo=UTC)
    con, _ = _sample_store(tmp_path / "b", (start, end))
    rows = con.execute("SELECT platform, country, start_at, end_at, expected_posts, kind "
                       "FROM platform_blackouts ORDER BY country").fetchall()
    countries = con.execute("SELECT DISTINCT country FROM accounts WHERE platform = 'x' "
                            "ORDER BY 1").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("x", c) for (c,) in countries]
    for _, _, s, e, expected, kind in rows:
        assert s <= start + timedelta(hours=12) and e >= end - timedelta(hours=1)
        assert expected >= 10
        assert kind == "platform"  # the same countries' Facebook pages kept posting


def _kz_posts(path: Path) -> tuple[datetime, datetime]:
    """Five Kazakh official accounts posting through Dec 2021 - Feb 2022, silent on every
    platform while the internet was shut (5-10 January 2022, within the #KeepItOn record)."""
    rng = random.Random(7)
    gap = (datetime(2022, 1, 5, 2, tzinfo=UTC), datetime(2022, 1, 10, 18, tzinfo=UTC))
    rows = []
    t0 = datetime(2021, 12, 1, tzinfo=UTC)
    for platform, author in KZ_ACCOUNTS:
        t = t0 + timedelta(minutes=rng.randrange(600))
        while t < datetime(2022, 2, 15, tzinfo=UTC):
            if not gap[0] <= t < gap[1] and 3 <= t.hour <= 16:
                rows.append([platform, f"{author}-{len(rows)}", author, t.isoformat(), "update"])
            t += timedelta(minutes=rng.randrange(60, 300))
    # a citizen's question before the shutdown, answered after it; one never answered
    rows.append(["x", "q1", "citizen1", "2022-01-03T12:00:00+00:00", "@akorda_press when?", ""])
    rows.append(["x", "a1", "akorda_press", "2022-01-12T06:00:00+00:00", "@citizen1 today", "q1"])
    rows.append(["x", "q2", "citizen2", "2022-01-02T00:00:00+00:00", "@kz_mfa visa help", ""])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["platform", "post_id", "author", "created_at", "text",
                    "in_reply_to_post_id"])
        w.writerows(r if len(r) == 6 else [*r, ""] for r in rows)
    return gap


@pytest.mark.shared
def test_kazakhstan_january_2022_is_an_outage_window_and_explains_the_blackout(tmp_path):
    shared = require_shared()
    accounts = tmp_path / "accounts.csv"
    with open(accounts, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["platform", "author", "institution", "country", "level", "timezone"])
        for platform, author in KZ_ACCOUNTS:
            w.writerow([platform, author, author, "KZ", "national", "Asia/Almaty"])
    posts = tmp_path / "posts.csv"
    gap = _kz_posts(posts)
    sheet = shared / "shutdowns_keepiton_sflc" / "Keepiton_raw_dataset.xlsx"
    con, results = _analyse(tmp_path / "kz.duckdb", [(accounts, "accounts-csv"), (posts, "csv"),
                                                     (sheet, "auto")])
    assert results[2].format == "keepiton-xlsx" and results[2].outages_added > 1000
    (rid,) = con.execute("SELECT outage_id FROM outages WHERE country = 'KZ' "
                         "AND start_at = '2022-01-04 00:00:00+00'").fetchone()
    windows = con.execute("SELECT platform, start_at, end_at, official_accounts, posts_during, "
                          "expected_posts FROM outage_windows WHERE outage_id = ? "
                          "ORDER BY platform", [rid]).fetchall()
    assert [w[0] for w in windows] == ["telegram", "x"]
    for platform, s, e, n, seen, expected in windows:
        assert (s, e) == (datetime(2022, 1, 4, tzinfo=UTC), datetime(2022, 1, 12, tzinfo=UTC))
        assert n == (3 if platform == "x" else 2) and seen < expected / 2
    # only outages of the store's country and time are windows
    assert con.execute("SELECT count(*) FROM outage_windows WHERE country <> 'KZ' "
                       "OR end_at < '2021-12-01'").fetchone()[0] == 0
    blackouts = con.execute("SELECT platform, start_at, end_at, kind, outage_id "
                            "FROM platform_blackouts ORDER BY platform").fetchall()
    assert [b[0] for b in blackouts] == ["telegram", "x"]
    for _, s, e, kind, outage in blackouts:
        assert s <= gap[0] + timedelta(hours=14) and e >= gap[1] - timedelta(hours=4)
        assert kind == "all_platforms" and outage == rid
    # latencies spanning the shutdown: the 192 hours of 4-11 January, left out as a
    # sensitivity figure (the 2018 "ongoing" throttling record has no end: not counted)
    spans = {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, censored, latency_hours, outage_hours, "
        "latency_hours_outside_outages, observed_hours, observed_hours_outside_outages, "
        "outage_ids FROM outage_latencies").fetchall()}
    # observation end: the latest post in the data (DESIGN: definitions)
    obs_end = con.execute("SELECT max(created_at) FROM posts").fetchone()[0]
    q1_observed = (obs_end - datetime(2022, 1, 3, 12, tzinfo=UTC)).total_seconds() / 3600
    q2_observed = (obs_end - datetime(2022, 1, 2, tzinfo=UTC)).total_seconds() / 3600
    assert spans["q1"] == pytest.approx(
        (False, 210.0, 192.0, 18.0, q1_observed, q1_observed - 192.0, rid))
    censored, latency, hours, _, observed, outside, ids = spans["q2"]
    assert censored and latency is None and hours == 192.0
    assert observed == pytest.approx(q2_observed) and outside == pytest.approx(q2_observed - 192.0)


def test_outages_csv_and_sflc_json(tmp_path):
    csv_path = tmp_path / "outages.csv"
    csv_path.write_text(
        "country,region,start,end,scope\n"
        "Kazakhstan,Almaty,2022-01-04,2022-01-11,internet\n"
        "ID,,2019-05-22T12:00:00+07:00,2019-05-25T12:00:00+07:00,x;Facebook;whatsapp\n"
        "Atlantis,,2020-01-01,,internet\n"
        "IN,Kashmir,2019-08-05,,\n", encoding="utf-8")
    sflc = tmp_path / "shutdowns.json"
    sflc.write_text(json.dumps([
        {"state:name": "Jammu and Kashmir", "districts": ["Kashmir"], "date": "2012-01-26",
         "description": "Mobile internet restricted", "source": "http://example.org"},
        {"state:name": "Haryana", "districts": [], "date": "26 Jan"}]), encoding="utf-8")
    db = tmp_path / "o.duckdb"
    with Store(db) as store:
        a = import_file(store, csv_path)
        b = import_file(store, sflc)
    assert (a.format, b.format) == ("outages-csv", "outages-json")
    assert [(r.locator, r.reason) for r in a.rejects] == [
        ("line 4, column country", "country 'Atlantis' is not a country name or ISO code")]
    assert [r.locator for r in b.rejects] == ["$[1].date"]
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT country, region, start_at, end_at, end_known, scope FROM outages "
                       "ORDER BY start_at").fetchall()
    assert rows == [
        ("IN", "Jammu and Kashmir, Kashmir", datetime(2012, 1, 26, tzinfo=UTC),
         datetime(2012, 1, 27, tzinfo=UTC), False, ["internet"]),
        ("ID", None, datetime(2019, 5, 22, 5, tzinfo=UTC), datetime(2019, 5, 25, 5, tzinfo=UTC),
         True, ["x", "facebook", "whatsapp"]),
        ("IN", "Kashmir", datetime(2019, 8, 5, tzinfo=UTC), None, True, ["internet"]),
        ("KZ", "Almaty", datetime(2022, 1, 4, tzinfo=UTC), datetime(2022, 1, 12, tzinfo=UTC),
         True, ["internet"]),
    ]


def test_blackout_thresholds_are_set_from_the_command_line(tmp_path):
    import subprocess
    import sys

    posts = pd.read_csv(SAMPLE / "posts.csv", dtype=str, keep_default_na=False)
    t = pd.to_datetime(posts["created_at"], utc=True, format="ISO8601")
    posts = posts[~((posts["platform"] == "x") & (t >= datetime(2026, 2, 10, tzinfo=UTC))
                    & (t < datetime(2026, 2, 13, tzinfo=UTC)))]
    path = tmp_path / "posts.csv"
    posts.to_csv(path, index=False)
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        import_file(store, SAMPLE / "accounts.csv", "accounts-csv")
        import_file(store, path, "csv")
    found = {}
    for expected in ("1000", "10"):
        subprocess.run([sys.executable, "-m", "govwatch.cli", "analyze", "-q", "--db", str(db),
                        "--blackout-min-expected", expected], check=True, capture_output=True)
        con = duckdb.connect(str(db), read_only=True)
        found[expected] = con.execute("SELECT count(*) FROM platform_blackouts").fetchone()[0]
        (settings,) = con.execute("SELECT settings FROM analysis_runs ORDER BY run_id DESC "
                                  "LIMIT 1").fetchone()
        con.close()
        assert json.loads(settings)["silences"]["blackout_min_expected"] == float(expected)
    assert found == {"1000": 0, "10": 3}
