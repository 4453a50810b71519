"""The accounts expected to acknowledge an event (its scope): a list of accounts, or
filters by country, level and institution type (analysis/events.py), through the real
events reader and the real pipeline; and the shipped sample, whose events name their
expected acknowledgers, so that its acknowledgement medians are reached."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from govwatch.analysis.pipeline import run_analysis
from govwatch.ingest.events import load_events, read_events
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store
from tests.test_events import POSTS, write

ACCOUNTS = """platform,author,institution,country,level,timezone,institution_type
x,city_hall,Chennai Corporation,IN,local,Asia/Kolkata,City Hall
x,health_min,Ministry of Health,IN,national,Asia/Kolkata,Health Ministry
x,rail_min,Ministry of Railways,IN,national,Asia/Kolkata,Transport Ministry
x,other_gov,Government of Elsewhere,ID,national,Asia/Jakarta,Head of Government
"""

# The same flood four times, with four scopes; the timeline is tests/test_events.py's.
EVENTS = """event_id,name,onset,keywords,critical,country,level,institution_type,accounts
listed,Floods,2026-01-10T00:00:00Z,flood;chennaifloods;water logging,true,ID,,,X:@City_Hall;rail_min
local,Floods,2026-01-10T00:00:00Z,flood;chennaifloods;water logging,true,IN,local;state,,
typed,Floods,2026-01-10T00:00:00Z,flood;chennaifloods;water logging,true,,,health ministry;City_Hall,
every,Floods,2026-01-10T00:00:00Z,flood;chennaifloods;water logging,true,,,,
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scope")
    s = Store(folder / "gw.duckdb")
    import_paths(s, [write(folder / "accounts.csv", ACCOUNTS)])
    import_paths(s, [write(folder / "posts.csv", POSTS)])
    assert load_events(s, write(folder / "events.csv", EVENTS)) == (4, [])
    run_analysis(s)
    yield s
    s.close()


def _scope(store: Store, event_id: str) -> list[str]:
    return [a for (a,) in store.conn.execute(
        "SELECT official_author FROM event_acknowledgements WHERE event_id = ? "
        "ORDER BY official_author", [event_id]).fetchall()]


def _summary(store: Store, event_id: str) -> dict:
    return store.conn.execute("SELECT * FROM event_summary WHERE event_id = ?",
                              [event_id]).df().iloc[0].to_dict()


def test_listed_accounts_are_the_scope_whatever_the_country(store):
    # the list wins over the country (ID): any letter case, @ and platform optional
    assert _scope(store, "listed") == ["city_hall", "rail_min"]
    s = _summary(store, "listed")
    assert s["scope"] == "accounts listed: x:city_hall, rail_min"
    assert (s["accounts_in_scope"], s["accounts_acknowledged"]) == (2, 1)
    # city_hall at 6 h, rail_min never: half by 6 h and none after, so the midpoint
    # rule gives (6 + 48) / 2
    assert s["median_latency_hours"] == pytest.approx(27.0)


def test_filters_combine(store):
    assert _scope(store, "local") == ["city_hall"]
    assert _summary(store, "local")["scope"] == "country IN; level local, state"
    assert _scope(store, "typed") == ["city_hall", "health_min"]
    s = _summary(store, "typed")
    assert s["scope"] == "institution type health ministry, city hall"
    assert s["median_latency_hours"] == pytest.approx(4.5)  # 3 h and 6 h
    assert _scope(store, "every") == ["city_hall", "health_min", "other_gov", "rail_min"]
    assert _summary(store, "every")["scope"] == "all official accounts"


def test_bad_scope_cells_name_the_line(tmp_path):
    path = write(tmp_path / "bad.csv",
                 "event_id,name,onset,keywords,critical,level,accounts\n"
                 "a,A,2026-01-10T00:00:00Z,flood,true,county,\n"
                 "b,B,2026-01-10T00:00:00Z,flood,true,,x:a:b\n"
                 "c,C,2026-01-10T00:00:00Z,flood,true,National,x:ok\n")
    found = read_events(path)
    assert [(r.locator, r.reason) for r in found.rejects] == [
        ("line 2", "level 'county' is not one of national, state, local"),
        ("line 3", "account 'x:a:b' is not platform:author or author")]
    assert [(e.event_id, e.levels, e.accounts) for e in found.events] == \
        [("c", ("national",), ("x:ok",))]


def test_yaml_lists(tmp_path):
    path = write(tmp_path / "ev.yaml", """events:
  - event_id: y1
    name: Floods
    onset: 2026-01-10T00:00:00Z
    keywords: [flood]
    critical: true
    institution_type: [City Hall, " police "]
    accounts: [x:city_hall]
""")
    found = read_events(path)
    assert found.rejects == []
    assert found.events[0].institution_types == ("city hall", "police")
    assert found.events[0].accounts == ("x:city_hall",)


def test_sample_events_name_their_acknowledgers(sample_cli_store: Path, tmp_path):
    """The sample's events list the accounts their stories expect to speak, so every
    critical event's median acknowledgement is reached (with the country as scope,
    twenty-five accounts of Avalor were expected to speak of a derailment and the
    median read 'not reached')."""
    # a copy: the session's store may be open in this process with another configuration
    # (the dashboard app of tests/test_candidates.py)
    db = tmp_path / "sample.duckdb"
    db.write_bytes(sample_cli_store.read_bytes())
    with duckdb.connect(str(db), read_only=True) as con:
        s = con.execute("SELECT event_id, critical, scope, accounts_in_scope, "
                        "median_latency_hours FROM event_summary ORDER BY event_id").df()
    assert s["scope"].str.startswith("accounts listed: ").all()
    critical = s[s["critical"]]
    assert len(critical) == 4
    assert critical["median_latency_hours"].notna().all()
    assert critical["accounts_in_scope"].between(3, 6).all()
