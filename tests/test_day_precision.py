"""Times written as a date alone, accepted with ``ingest --day-precision``, are flagged on
every figure computed from them: the message rows, the account and slice metrics, the
exports with their codebook, and the dashboard's leaderboard."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from govwatch.store import Store

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "sample_data" / "small"
ACCOUNT = "cordania_emergency"
DATED = 6  # messages to ACCOUNT whose time is turned into a date alone


def _cli(db: Path, *args: str, ok=(0,)) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "govwatch", *args, "--db", str(db)],
                       capture_output=True, text=True, timeout=900, cwd=db.parent)
    assert r.returncode in ok, r.stderr
    return r


def _two_cities(folder: Path) -> Path:
    accounts = folder / "accounts.csv"
    accounts.write_text("platform,author,institution,country,level,timezone\n"
                        "x,city_a,City A,FR,local,Europe/Paris\n"
                        "x,city_b,City B,FR,local,Europe/Paris\n", encoding="utf-8")
    return accounts


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Path, set[str]]:
    """The sample, with DATED messages to ACCOUNT dated to the day only, ingested and
    analysed by the command line."""
    work = tmp_path_factory.mktemp("day")
    posts = pd.read_csv(SMALL / "posts.csv", dtype=str, keep_default_na=False)
    to_account = posts.index[posts["text"].str.contains(f"@{ACCOUNT}", regex=False)
                             & ~posts["author"].str.startswith(ACCOUNT)]
    chosen = to_account[:DATED]
    posts.loc[chosen, "created_at"] = posts.loc[chosen, "created_at"].str.slice(0, 10)
    path = work / "posts.csv"
    posts.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    db = work / "store.duckdb"
    refused = _cli(db, "ingest", str(path), "--accounts", str(SMALL / "accounts.csv"), ok=(3,))
    assert f"rejected {DATED}" in refused.stdout
    _cli(db, "ingest", str(path), "--day-precision")
    _cli(db, "analyze", "-q")
    return db, set(posts.loc[chosen, "post_id"])


@pytest.fixture(scope="module")
def tables(store):
    db, _ = store
    with Store(db, read_only=True) as s:
        q = s.conn.execute
        return {
            "posts": q("SELECT post_id FROM posts WHERE day_precision").df(),
            "responses": q("SELECT platform, message_id, official_author, day_precision "
                           "FROM responses").df(),
            "accounts": q("SELECT official_author, population, messages, "
                          "day_precision_messages FROM account_metrics").df(),
            "slices": q("SELECT official_author, population, day_precision_messages "
                        "FROM slice_metrics WHERE period_kind = 'all' AND slice_kind = 'all'"
                        ).df(),
            "critical": q("SELECT official_author, slice_value, day_precision_messages "
                          "FROM slice_metrics WHERE population = 'all' AND period_kind = 'all' "
                          "AND slice_kind = 'critical'").df(),
        }


def test_the_posts_dated_to_the_day_are_marked(store, tables):
    _, chosen = store
    assert set(tables["posts"]["post_id"]) == chosen


def test_the_messages_timed_from_them_are_flagged_and_no_other(store, tables):
    _, chosen = store
    r = tables["responses"]
    flagged = r[r["day_precision"]]
    assert set(flagged["message_id"]) == chosen
    assert set(flagged["official_author"]) == {ACCOUNT}
    assert not r.loc[~r["message_id"].isin(chosen), "day_precision"].any()


def test_account_and_slice_metrics_count_them(tables):
    r = tables["responses"]
    a = tables["accounts"]
    for population, rows in (("all", r), ):
        got = a[a["population"] == population].set_index("official_author")
        expected = rows[rows["day_precision"]].groupby("official_author").size()
        assert got.loc[ACCOUNT, "day_precision_messages"] == expected[ACCOUNT] == DATED
        assert (got.drop(index=ACCOUNT)["day_precision_messages"] == 0).all()
    s = tables["slices"].merge(a, on=["official_author", "population"], suffixes=("_s", ""))
    assert (s["day_precision_messages_s"] == s["day_precision_messages"]).all()
    crit = tables["critical"]
    assert crit.loc[crit["official_author"] == ACCOUNT, "day_precision_messages"].sum() == DATED


def test_exports_carry_the_count_and_the_codebook_says_what_it_is(store, tmp_path):
    db, _ = store
    out = tmp_path / "accounts.csv"
    _cli(db, "export", "--what", "accounts", "--population", "all", "--out", str(out))
    accounts = pd.read_csv(out).set_index("official_author")
    assert accounts.loc[ACCOUNT, "day_precision_messages"] == DATED
    assert accounts["day_precision_messages"].sum() == DATED
    book = pd.read_csv(tmp_path / "accounts.csv.codebook.csv").set_index("column")
    assert "date alone" in book.loc["day_precision_messages", "meaning"]
    out = tmp_path / "responses.csv"
    _cli(db, "export", "--what", "responses", "--out", str(out))
    responses = pd.read_csv(out, dtype={"message_id": str})
    assert responses["day_precision"].sum() == DATED
    book = pd.read_csv(tmp_path / "responses.csv.codebook.csv").set_index("column")
    assert "date alone" in book.loc["day_precision", "meaning"]


def test_the_dashboard_leaderboard_marks_the_account(store):
    from govwatch.dashboard.data import DashboardData, Filters
    from govwatch.dashboard.figures import leaderboard_rows

    db, _ = store
    board = DashboardData(db).leaderboard(Filters(population="all"))
    rows = leaderboard_rows(board, lambda p, a: f"/account?author={a}")
    marked = {r["account"].split("@")[-1]: r["messages"] for r in rows
              if "dated to the day only" in r["messages"]}
    assert list(marked) == [ACCOUNT]
    assert marked[ACCOUNT].endswith(f"({DATED} dated to the day only)")


def test_an_event_acknowledged_by_a_post_dated_to_the_day_is_flagged(tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "platform,post_id,author,created_at,text\n"
        "x,1,city_a,2026-02-02,Flood relief centres are open\n"
        "x,2,city_b,2026-02-01T15:00:00Z,Flood warning: stay away from the river\n"
        "x,3,someone,2026-02-01T11:00:00Z,the flood is in our street\n", encoding="utf-8")
    accounts = _two_cities(tmp_path)
    events = tmp_path / "events.csv"
    events.write_text("event_id,name,onset,keywords,critical\n"
                      "e1,Flood,2026-02-01T10:00:00Z,flood,true\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    _cli(db, "ingest", str(posts), "--accounts", str(accounts), "--day-precision", "-q")
    _cli(db, "analyze", "--events", str(events), "--observed-until", "2026-02-10T00:00:00Z",
         "-q")
    with Store(db, read_only=True) as s:
        acks = dict(s.conn.execute("SELECT official_author, day_precision "
                                   "FROM event_acknowledgements").fetchall())
        summary = s.conn.execute("SELECT day_precision_accounts FROM event_summary").fetchall()
    assert acks == {"city_a": True, "city_b": False}
    assert summary == [(1,)]
    out = tmp_path / "events.csv.out.csv"
    _cli(db, "export", "--what", "events", "--out", str(out))
    exported = pd.read_csv(out).set_index("official_author")
    assert exported["day_precision"].to_dict() == {"city_a": True, "city_b": False}


def test_the_gaps_and_benchmarks_count_them_and_so_do_the_exports(store, tmp_path):
    db, _ = store
    with Store(db, read_only=True) as s:
        q = s.conn.execute
        own = q("SELECT platform, official_author, population, day_precision_messages AS own "
                "FROM account_metrics").df()
        counts = {t: q(f"SELECT platform, official_author, population, day_precision_messages "
                       f"FROM {t}").df() for t in ("selectivity", "benchmarks",
                                                   "benchmark_index")}
    for table, got in counts.items():
        assert not got.empty, table
        m = got.merge(own, on=["platform", "official_author", "population"], how="left")
        assert (m["day_precision_messages"] == m["own"].fillna(0)).all(), table
        by = m[m["population"] == "all"].groupby("official_author")["day_precision_messages"]
        assert by.max().get(ACCOUNT) == DATED, table
        assert (by.max().drop(index=ACCOUNT) == 0).all(), table
    assert (counts["benchmarks"].groupby(["official_author", "population"]).size() > 1).any()
    out = tmp_path / "accounts.csv"
    _cli(db, "export", "--what", "accounts", "--population", "all", "--out", str(out))
    accounts = pd.read_csv(out).set_index("official_author")
    book = pd.read_csv(tmp_path / "accounts.csv.codebook.csv").set_index("column")
    for col in ("selectivity_day_precision_messages", "benchmark_index_day_precision_messages"):
        assert accounts.loc[ACCOUNT, col] == DATED
        assert accounts[col].sum() == DATED
        assert "date alone" in book.loc[col, "meaning"]


def test_activity_counts_the_official_posts_dated_to_the_day(tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "platform,post_id,author,created_at,text\n"
        "x,1,city_a,2026-02-02,Relief centres are open\n"
        "x,2,city_a,2026-02-03T09:00:00Z,Roads are clear\n"
        "x,3,city_b,2026-02-01T15:00:00Z,Warning: stay away from the river\n"
        "x,4,someone,2026-02-01,is anyone there\n", encoding="utf-8")
    accounts = _two_cities(tmp_path)
    db = tmp_path / "s.duckdb"
    _cli(db, "ingest", str(posts), "--accounts", str(accounts), "--day-precision", "-q")
    _cli(db, "analyze", "--observed-until", "2026-02-10T00:00:00Z", "-q")
    with Store(db, read_only=True) as s:
        got = dict(s.conn.execute("SELECT official_author, day_precision_posts "
                                  "FROM account_activity").fetchall())
    assert got == {"city_a": 1, "city_b": 0}
    out = tmp_path / "activity.csv"
    _cli(db, "export", "--what", "activity", "--out", str(out))
    exported = pd.read_csv(out).set_index("official_author")
    assert exported["day_precision_posts"].to_dict() == {"city_a": 1, "city_b": 0}
    book = pd.read_csv(tmp_path / "activity.csv.codebook.csv").set_index("column")
    assert "date alone" in book.loc["day_precision_posts", "meaning"]
