"""Posts an official answered although nobody addressed it: counted on their own route,
kept out of rates by default, counted in with the documented switch; on a hand-built
store and on real customer-support data."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from builders import ACCOUNT_HEADER, POST_HEADER, account, post, write_csv
from govwatch.analysis.pipeline import run_analysis
from govwatch.analysis.settings import build
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

OBSERVED_UNTIL = datetime(2026, 2, 1, tzinfo=UTC)
POSTS = [
    post("root", "MinRail", "2026-01-01T00:00:00Z", "Timetable"),
    post("m1", "alice", "2026-01-02T00:00:00Z", "@MinRail my train is late", "root", "MinRail"),
    post("r1", "MinRail", "2026-01-02T01:00:00Z", "@alice sorry", "m1", "alice"),
    # nobody addressed the ministry; it answered anyway, 3 h later
    post("u1", "bob", "2026-01-03T00:00:00Z", "the 8:15 never came again"),
    post("r2", "MinRail", "2026-01-03T03:00:00Z", "@bob we are looking into it", "u1", "bob"),
    # a citizen answering a citizen is no route at all
    post("u2", "carol", "2026-01-04T00:00:00Z", "trains are fine today"),
    post("x1", "dave", "2026-01-04T01:00:00Z", "@carol not mine", "u2", "carol"),
    # a reply dated before the post it answers is not an answer
    post("u3", "erin", "2026-01-05T05:00:00Z", "station closed?"),
    post("r3", "MinRail", "2026-01-05T04:00:00Z", "@erin yes", "u3", "erin"),
]


def make(tmp_path, include: bool):
    pcsv = write_csv(tmp_path / "posts.csv", POST_HEADER, POSTS)
    acsv = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, [account("MinRail")])
    store = Store(tmp_path / f"s{int(include)}.duckdb")
    assert import_paths(store, [acsv], kind="accounts").rejected == 0
    assert import_paths(store, [pcsv]).rejected == 0
    run_analysis(store, build(observed_until=OBSERVED_UNTIL, min_n=1,
                              include_unaddressed=include))
    return store


def test_counted_apart_and_out_of_rates_by_default(tmp_path):
    store = make(tmp_path, include=False)
    con = store.conn
    rows = con.execute("SELECT message_id, official_author, response_id, latency_hours "
                       "FROM answered_unaddressed").fetchall()
    assert rows == [("u1", "MinRail", "r2", 3.0)]
    assert con.execute("SELECT answered_addressed, answered_unaddressed, unaddressed_share, "
                       "unaddressed_in_rates FROM unaddressed_summary").fetchall() == [
        (1, 1, 0.5, False)]
    assert [r[0] for r in con.execute("SELECT message_id FROM responses").fetchall()] == ["m1"]
    assert con.execute("SELECT messages FROM account_metrics WHERE population = 'all'"
                       ).fetchone()[0] == 1
    store.close()


def test_the_switch_counts_them_as_inbound_messages(tmp_path):
    store = make(tmp_path, include=True)
    con = store.conn
    got = con.execute("SELECT message_id, via, response_id, latency_hours FROM responses "
                      "ORDER BY message_id").fetchall()
    assert got == [("m1", "reply", "r1", 1.0), ("u1", "answered_unaddressed", "r2", 3.0)]
    assert con.execute("SELECT messages, answered FROM account_metrics "
                       "WHERE population = 'all'").fetchone() == (2, 2)
    # the summary still tells the two routes apart
    assert con.execute("SELECT answered_addressed, answered_unaddressed, unaddressed_in_rates "
                       "FROM unaddressed_summary").fetchall() == [(1, 1, True)]
    store.close()


def test_accounts_export_carries_the_counts_and_the_option_exists(tmp_path):
    store = make(tmp_path, include=False)
    path = store.path
    store.close()
    out = tmp_path / "accounts.csv"
    r = subprocess.run([sys.executable, "-m", "govwatch", "export", "--what", "accounts",
                        "--out", str(out), "--db", str(path)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    import csv

    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert (row["answered_unaddressed"], row["unaddressed_share"]) == ("1", "0.5")
    r = subprocess.run([sys.executable, "-m", "govwatch", "analyze", "--help"],
                       capture_output=True, text=True, timeout=120)
    assert "--include-unaddressed" in r.stdout


@pytest.mark.shared
def test_customer_support_data(tmp_path, shared_data):
    """On the real sample: every post a company answered that replied to no company
    post and named no company, counted from the file alone."""
    from test_metrics_reply import MENTION, _twcs_rows, _twcs_store

    folder = shared_data / "twcs_customer_support_sample"
    raw = _twcs_rows(folder)
    companies = {r["author_id"] for r in raw if r["inbound"] == "False"}
    lower = {c.lower() for c in companies}
    by_id = {r["tweet_id"]: r for r in raw}
    expected = set()
    for m in raw:
        if m["author_id"] in companies:
            continue
        parent = by_id.get(m["parent"])
        if (parent is not None and parent["author_id"] in companies) or any(
                h.lower() in lower for h in MENTION.findall(m["text"])):
            continue
        for r in raw:
            if r["author_id"] in companies and r["parent"] == m["tweet_id"] and r["at"] > m["at"]:
                expected.add((m["tweet_id"], r["author_id"]))
    store = _twcs_store(tmp_path, folder, "csv")
    got = set(store.conn.execute("SELECT message_id, official_author FROM answered_unaddressed"
                                 ).fetchall())
    assert got == expected and expected
    answered = store.conn.execute("SELECT count(*) FROM responses WHERE NOT censored"
                                  ).fetchone()[0]
    print(f"twcs sample: {len(got)} answered unaddressed beside {answered} answered messages")
    store.close()


@pytest.mark.parametrize("include", [False, True])
def test_direct_messages_are_never_answered_unaddressed(tmp_path, include):
    """A private message with a reply link is the account's own business: it is neither
    counted on the not-addressed route nor, with the switch on, added to the rates."""
    pcsv = write_csv(tmp_path / "posts.csv", POST_HEADER, POSTS)
    acsv = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, [account("MinRail")])
    store = Store(tmp_path / "s.duckdb")
    assert import_paths(store, [acsv], kind="accounts").rejected == 0
    assert import_paths(store, [pcsv]).rejected == 0
    con = store.conn
    con.execute("INSERT INTO message_attributes (platform, post_id, channel) "
                "SELECT platform, post_id, 'direct_message' FROM posts "
                "WHERE post_id IN ('u1', 'r2')")
    run_analysis(store, build(observed_until=OBSERVED_UNTIL, min_n=1,
                              include_unaddressed=include))
    assert con.execute("SELECT count(*) FROM answered_unaddressed").fetchone()[0] == 0
    assert [r[0] for r in con.execute("SELECT message_id FROM responses").fetchall()] == ["m1"]
    store.close()
