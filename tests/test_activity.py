"""Account activity and platform-wide silences on a hand-built timeline, through the
real pipeline.

Timeline (UTC), Monday 2026-01-05 to Monday 2026-01-26 00:00 (observation end,
the last post): six official accounts a1..a6 of country IN each post at 08:10,
09:10, 10:10 and 11:10 every day, except:

- a1 is silent on Monday 12 and Tuesday 13 January (its own silence);
- on Sunday 18 January nobody posts at 10:10 (one silent hour: too short);
- on Wednesday 21 January nobody posts from 08:00 to 12:00 but a6 at 09:10
  (the outage: four hours in which at least 5 of 6 usual posters are silent);
- a1 makes three extra posts on 6 January at 08:20-08:40: a reply to a
  citizen's post, a reply to a2's post, and a reply naming a citizen whose post
  is not in the data.

``quiet`` is official and never posts. Citizen posts: one at 07:00 on 6 January
and one at observation end.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import govwatch.analysis.activity  # noqa: F401  (registers the metric)
import govwatch.analysis.events  # noqa: F401  (registers the metric)
import pandas as pd
import pytest
from govwatch.analysis.activity import activity_tables
from govwatch.analysis.pipeline import run_analysis
from govwatch.analysis.settings import SilenceSettings
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

START = datetime(2026, 1, 5, tzinfo=UTC)
END = datetime(2026, 1, 26, tzinfo=UTC)
OFFICIALS = [f"a{i}" for i in range(1, 7)]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def timeline() -> list[tuple]:
    rows = []
    for day in range(21):
        date = START + timedelta(days=day)
        for hour in (8, 9, 10, 11):
            t = date + timedelta(hours=hour, minutes=10)
            for a in OFFICIALS:
                if a == "a1" and date.day in (12, 13):
                    continue
                if date.day == 18 and hour == 10:
                    continue
                if date.day == 21 and not (a == "a6" and hour == 9):
                    continue
                rows.append((f"{a}-{day}-{hour}", a, t, "Office update", "", ""))
    jan6 = START + timedelta(days=1)
    rows += [
        ("c1", "citizen_one", jan6 + timedelta(hours=7), "@a1 the road is broken", "", ""),
        ("r1", "a1", jan6 + timedelta(hours=8, minutes=20), "We are on it", "c1", "citizen_one"),
        ("r2", "a1", jan6 + timedelta(hours=8, minutes=30), "Agreed", "a2-1-8", "a2"),
        ("r3", "a1", jan6 + timedelta(hours=8, minutes=40), "Thanks", "gone", "citizen_two"),
        ("c2", "citizen_three", END, "hello", "", ""),
    ]
    return rows


def write_inputs(folder: Path) -> tuple[Path, Path]:
    accounts = folder / "accounts.csv"
    lines = ["platform,author,institution,country,level,timezone"]
    lines += [f"x,{a},Office {a},IN,national,Asia/Kolkata" for a in [*OFFICIALS, "quiet"]]
    accounts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    posts = folder / "posts.csv"
    lines = ["platform,post_id,author,created_at,text,in_reply_to_post_id,in_reply_to_author"]
    lines += [f"x,{pid},{a},{_iso(t)},{text},{parent},{to}"
              for pid, a, t, text, parent, to in timeline()]
    posts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return accounts, posts


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("activity")
    accounts, posts = write_inputs(folder)
    s = Store(folder / "gw.duckdb")
    import_paths(s, [accounts])
    import_paths(s, [posts])
    run_analysis(s)
    yield s
    s.close()


def activity(store) -> dict[str, dict]:
    frame = store.conn.execute("SELECT * FROM account_activity").df()
    return {r["official_author"]: r for r in frame.to_dict("records")}


# Observed period: first post on the platform (a*, 5 Jan 08:10) to 26 Jan 00:00.
WEEKS = (END - (START + timedelta(hours=8, minutes=10))).total_seconds() / (7 * 86400)


def test_posts_per_week(store):
    rows = activity(store)
    assert rows["a1"]["posts"] == 84 - 8 - 1 - 4 + 3 == 74
    assert rows["a2"]["posts"] == 84 - 1 - 4 == 79
    assert rows["a6"]["posts"] == 84 - 1 - 3 == 80
    assert rows["a2"]["observed_weeks"] == pytest.approx(WEEKS)
    assert rows["a2"]["posts_per_week"] == pytest.approx(79 / WEEKS)
    assert rows["quiet"]["posts"] == 0 and rows["quiet"]["posts_per_week"] == 0



def test_weekly_posts_counted_by_hand(store):
    """Posts per UTC week (Monday 00:00), every week from the platform's first post to
    observation end (26 Jan 00:00, a week of its own), weeks without posts as 0."""
    frame = store.conn.execute("SELECT official_author, week, posts FROM weekly_posts "
                               "ORDER BY official_author, week").df()
    weeks = [START + timedelta(days=7 * i) for i in range(4)]
    by = {a: (list(g["week"]), list(g["posts"])) for a, g in frame.groupby("official_author")}
    assert by["a2"] == (weeks, [28, 28 - 1, 28 - 4, 0])  # 18 Jan 10:00 and 21 Jan missing
    # a1: its three replies on 6 Jan; silent on 12-13 Jan
    assert by["a1"] == (weeks, [28 + 3, 28 - 8 - 1, 28 - 4, 0])
    assert by["quiet"] == (weeks, [0, 0, 0, 0])
    assert "citizen_one" not in by


def test_dialogue_share(store):
    rows = activity(store)
    # r1 replies to a citizen's post, r3 names a citizen whose post is not in the data;
    # r2 replies to another official: not dialogue with the public.
    assert rows["a1"]["replies_to_public"] == 2
    assert rows["a1"]["dialogue_share"] == pytest.approx(2 / 74)
    assert rows["a2"]["dialogue_share"] == 0
    assert math.isnan(rows["quiet"]["dialogue_share"])


def test_longest_silence_and_days_since_last_post(store):
    rows = activity(store)
    a1 = rows["a1"]
    # Sunday 11 Jan 11:10 -> Wednesday 14 Jan 08:10.
    assert a1["longest_silence_hours"] == pytest.approx(69.0)
    assert a1["longest_silence_start"] == pd.Timestamp("2026-01-11T11:10Z")
    assert a1["longest_silence_end"] == pd.Timestamp("2026-01-14T08:10Z")
    assert not a1["longest_silence_ongoing"]
    # a2: 20 Jan 11:10 -> 22 Jan 08:10; a6 posted at 09:10 on the 21st in between.
    assert rows["a2"]["longest_silence_hours"] == pytest.approx(45.0)
    assert rows["a6"]["longest_silence_hours"] == pytest.approx(23.0)
    # Last posts on 25 Jan 11:10; observation end 26 Jan 00:00.
    assert rows["a2"]["days_since_last_post"] == pytest.approx((12 + 50 / 60) / 24)
    quiet = rows["quiet"]
    assert pd.isna(quiet["longest_silence_hours"]) and pd.isna(quiet["days_since_last_post"])


def test_platform_silence_is_the_outage_only(store):
    silences = store.conn.execute("SELECT * FROM platform_silences").df().to_dict("records")
    assert len(silences) == 1
    (s,) = silences
    assert s["platform"] == "x" and s["country"] == "IN"
    assert s["start_at"] == pd.Timestamp("2026-01-21T08:00Z")
    assert s["end_at"] == pd.Timestamp("2026-01-21T12:00Z")
    assert s["hours"] == 4
    assert (s["expected_accounts_min"], s["expected_accounts_max"]) == (6, 6)
    assert s["silent_share_min"] == pytest.approx(5 / 6)


def test_silence_rule_settings(store):
    con = store.conn
    end = datetime(2026, 1, 26, tzinfo=UTC)
    # One silent hour counts once silences of 1 hour are kept.
    _, short, _ = activity_tables(con, end, SilenceSettings(min_hours=1))
    assert sorted(str(t) for t in short["start_at"]) == [
        "2026-01-18 10:00:00+00:00", "2026-01-21 08:00:00+00:00"]
    # Requiring all accounts silent splits the outage around a6's post at 09:10.
    _, strict, _ = activity_tables(con, end, SilenceSettings(share=1.0, min_hours=1))
    assert list(strict["hours"]) == [1, 1, 2]
    # More usual posters required than there are accounts: nothing is assessable.
    _, none, _ = activity_tables(con, end, SilenceSettings(min_accounts=7))
    assert none.empty


def test_empty_store_gives_empty_tables(tmp_path):
    s = Store(tmp_path / "empty.duckdb")
    activity_frame, silences, weekly = activity_tables(s.conn, datetime(2026, 1, 1, tzinfo=UTC))
    assert activity_frame.empty and silences.empty and weekly.empty
    assert list(activity_frame.columns)[:3] == ["platform", "official_author", "posts"]
    s.close()
