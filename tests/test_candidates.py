"""Candidate events found in the shipped sample (analysis/bursts.py) and shown on the
dashboard's Events page with their evidence and a "treat as event" view."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def cands(sample_cli_store) -> pd.DataFrame:
    with duckdb.connect(str(sample_cli_store), read_only=True) as con:
        return con.execute("SELECT * FROM candidate_events ORDER BY day").df()


def test_sample_events_are_all_found_with_few_false_candidates(cands, sample_cli_store):
    """Derailment, floods, communal clash (48 messages the day after a 145-message
    derailment sat in its baseline) and the contaminated-water outbreak are found;
    at most two candidates per month of data match no critical event."""
    with duckdb.connect(str(sample_cli_store), read_only=True) as con:
        events = con.execute("SELECT event_id, onset, country FROM events WHERE critical").df()
        days = con.execute("SELECT CAST(max(created_at) AS DATE) - CAST(min(created_at) AS "
                           "DATE) FROM posts").fetchone()[0]
    found = {e for known in cands["known_event_ids"].dropna() for e in known.split(";")}
    assert set(events["event_id"]) <= found, set(events["event_id"]) - found
    clash = cands[cands["known_event_ids"] == "ev03"].iloc[0]
    assert str(clash["day"])[:10] == "2026-02-17" and clash["country"] == "XA"
    false = cands["known_event_ids"].isna().sum()
    assert false <= 2 * max(1, round(days / 30))
    assert (cands["critical_messages"] > cands["threshold"]).all()
    assert (cands["episode_messages"] >= cands["critical_messages"]).all()


def test_candidates_are_treated_as_events(cands, sample_cli_store):
    """Each candidate has acknowledgement rows for its country's officials, computed
    with its top hashtags as keywords."""
    with duckdb.connect(str(sample_cli_store), read_only=True) as con:
        acks = con.execute("SELECT * FROM candidate_acknowledgements").df()
        summary = con.execute("SELECT * FROM candidate_summary").df().set_index("event_id")
        officials = con.execute("SELECT country, count(*) AS n FROM accounts WHERE official "
                                "GROUP BY country").df().set_index("country")["n"]
    assert set(acks["event_id"]) == set(cands["candidate_id"])
    row = cands[cands["known_event_ids"] == "ev03"].iloc[0]
    clash = row["candidate_id"]
    # a candidate's scope is its country (nobody has named its acknowledgers yet)
    assert summary.loc[clash, "scope"] == f"country {row['country']}"
    assert summary.loc[clash, "accounts_in_scope"] == officials[row["country"]] == 19
    # the clash's own hashtag finds officials who spoke about it
    assert summary.loc[clash, "accounts_acknowledged"] >= 1
    assert summary.loc[clash, "public_matching_posts"] > 0


def test_events_page_lists_candidates_with_evidence_and_link(sample_cli_store):
    from govwatch.dashboard.app import create_app

    app = create_app(sample_cli_store)
    client = app.server.test_client()
    client.get("/_dash-layout")
    import sys

    with app.server.test_request_context("/"):
        events = sys.modules["govwatch.dashboard.pages.events"]
        plain = str(events.layout())
        assert "Candidate events found in the messages" in plain
        assert "#ravipurviolence" in plain and "Treat as event" in plain
        assert "/events?candidate=XA-2026-02-17" in plain
        page = events.layout(candidate="XA-2026-02-17")
        text = str(page)
        assert "Treated as an event: XA-2026-02-17" in text
        assert "events-candidate-messages" in text and "p_" in text  # pseudonymised authors
        assert "XA-2026-02-17,candidate XA-2026-02-17,2026-02-17T" in text
        unknown = str(events.layout(candidate="nope"))
        assert "Ignored unknown candidate" in unknown


def _acknowledgement_store(tmp_path):
    """Officials of two countries on two platforms, citizens, hashtags shared by several
    candidates, posts matching two keywords, posts before the onsets, ties in time."""
    from builders import account, build_store, post

    accounts = [account("min_a"), account("min_b"), account("min_c", platform="bluesky"),
                account("min_x", country="XB")]
    posts, n = [], 0

    def add(author, at, text, platform="x"):
        nonlocal n
        n += 1
        posts.append(post(f"p{n:04d}", author, at, text, platform=platform))

    tags = ["#flood", "#rain", "#flood #rain", "#dam", "#rain #dam #flood", "#power",
            "flood warning", "#Flood!"]
    for day in range(1, 6):
        for hour in range(0, 24, 2):
            for i, tag in enumerate(tags):
                at = f"2026-03-{day:02d}T{hour:02d}:{(7 * i) % 60:02d}:00Z"
                add(f"citizen{(day + hour + i) % 9}", at, f"water everywhere {tag}",
                    platform="x" if i % 3 else "bluesky")
    # the same second twice (ties broken by post id), officials of both countries
    for author, platform, at, text in [
            ("min_a", "x", "2026-03-02T10:00:00Z", "We are on it #rain #flood"),
            ("min_a", "x", "2026-03-02T10:00:00Z", "Teams out #flood"),
            ("min_a", "x", "2026-03-02T10:00:00Z", "More teams out #flood"),
            ("citizen7", "x", "2026-03-02T06:00:00Z", "Dam is leaking #dam"),
            ("citizen8", "x", "2026-03-02T06:00:00Z", "The dam! #dam"),
            ("min_a", "x", "2026-02-28T09:00:00Z", "Before anything #flood"),
            ("min_b", "x", "2026-03-04T08:30:00Z", "Dam inspected #dam"),
            ("min_c", "bluesky", "2026-03-01T05:00:00Z", "Power back soon #power"),
            ("min_c", "bluesky", "2026-03-03T05:00:00Z", "Rain update #rain #dam"),
            ("min_x", "x", "2026-03-02T00:00:00Z", "Flood relief #flood"),
            ("min_x", "x", "2026-03-05T00:00:00Z", "Still raining #rain")]:
        add(author, at, text, platform=platform)
    add("citizen1", "2026-02-27T00:00:00Z", "early #flood #rain")
    return build_store(tmp_path, posts, accounts)


def test_candidate_acknowledgements_equal_the_per_post_path(tmp_path):
    """Aggregating per keyword signature gives exactly the tables of the events' own
    path (a row per candidate and matching post, ``match_events``) on the same
    candidates: shared hashtags, overlapping onsets, posts matching two or three of a
    candidate's keywords (counted once), officials in and out of scope on two platforms,
    posts before the onset, an onset on a post's second, ties in time, a candidate
    without keywords and one after the observation end. Its tables stay smaller than
    that row per candidate and post."""
    from govwatch.analysis import bursts, events

    store = _acknowledgement_store(tmp_path)
    con = store.conn
    obs_end = con.execute("SELECT max(created_at) FROM posts").fetchall()[0][0]
    ts = pd.Timestamp
    cands = pd.DataFrame({
        "candidate_id": ["XA-1", "XA-2", "XB-1", "XA-1-water", "XA-3", "XA-late", "XA-none"],
        "topic": [None, None, None, "water", None, None, None],
        "country": ["XA", "XA", "XB", "XA", "XA", "XA", "XA"],
        "day": ["2026-03-01", "2026-03-02", "2026-03-01", "2026-03-01", "2026-03-02",
                "2026-04-01", "2026-03-01"],
        "first_message_at": [ts("2026-03-01T03:00Z"), ts("2026-03-02T06:00Z"),
                             ts("2026-03-01T00:00Z"), ts("2026-03-01T02:07Z"),
                             ts("2026-03-02T10:00Z"), ts("2026-04-01T00:00Z"),
                             ts("2026-03-01T00:00Z")],
        "top_hashtags": ["#flood #rain", "#rain #dam", "#flood #power", "#flood",
                         "#flood #rain #dam", "#flood", None],
    })
    new_acks, new_summary = bursts.candidate_acknowledgements(con, cands, obs_end)
    bursts.candidates_as_events(con, cands)
    old_acks, old_summary = events.event_acknowledgements(con, obs_end, "_cand_events")
    pairs = events.match_events(con, obs_end, "_cand_events")
    rows = bursts.keyword_aggregates(con, obs_end, "_cand_events")
    pd.testing.assert_frame_equal(new_acks, old_acks, check_exact=True)
    pd.testing.assert_frame_equal(new_summary, old_summary, check_exact=True)
    # the cases are there: counts above one, posts matching two keywords, acknowledged
    # and censored accounts, a public lead, and the late candidate left out
    s = new_summary.set_index("event_id")
    assert "XA-late" not in s.index and s.loc["XA-none", "public_matching_posts"] == 0
    assert s.loc["XA-1", "public_matching_posts"] > s.loc["XA-1-water", "public_matching_posts"]
    assert s.loc["XA-3", "official_matching_posts"] >= 2
    assert new_acks["censored"].any() and not new_acks["censored"].all()
    assert new_acks["public_lead_hours"].notna().any()
    both = con.execute(
        "SELECT count(*) FROM posts WHERE created_at >= TIMESTAMPTZ '2026-03-01 03:00Z' "
        "AND regexp_matches(text, '#flood', 'i') AND regexp_matches(text, '#rain', 'i') "
        "AND author LIKE 'citizen%'").fetchall()[0][0]
    assert both > 0
    assert 0 < max(rows.values()) < pairs
