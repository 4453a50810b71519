"""The accounts CSV's optional institution_type: normalised on import, optional (old
files still read), added to stores built before it (migration 11), and a filter of the
dashboard's overview. Real DuckDB files, the real import and the real dashboard data
module."""

from __future__ import annotations

import duckdb
import pytest
from govwatch.dashboard.data import DashboardData, Filters, validate_filters

from govwatch.schema import MIGRATIONS, TABLES
from govwatch.store import Store
from tests.builders import POST_HEADER, post, write_csv

HEADER = ["platform", "author", "institution", "country", "level", "timezone",
          "institution_type"]


def _types(db) -> dict[str, object]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT author, institution_type FROM accounts "
                                "WHERE official").fetchall())


def ingest(files, db, kind="accounts"):
    from govwatch.ingest.pipeline import import_paths

    with Store(db) as store:
        summary = import_paths(store, files, kind=kind)
    assert summary.rejected == 0, [r.rejects for r in summary.files]


def test_types_are_normalised_and_optional(tmp_path):
    new = write_csv(tmp_path / "accounts.csv", HEADER, [
        ["x", "health_a", "Ministry of Health", "XA", "national", "UTC", " Ministry of  Health "],
        ["x", "hall_a", "City A", "XA", "local", "UTC", "City_Hall"],
        ["x", "hall_b", "City B", "XB", "local", "UTC", "city hall"],
        ["x", "plain", "Plain", "XA", "national", "UTC", ""],
    ])
    db = tmp_path / "s.duckdb"
    ingest([new], db)
    assert _types(db) == {"health_a": "ministry of health", "hall_a": "city hall",
                          "hall_b": "city hall", "plain": None}
    # an accounts file without the column still reads, and leaves a stored type alone
    old = write_csv(tmp_path / "old.csv", HEADER[:-1], [
        ["x", "hall_a", "City A", "XA", "local", "UTC"],
        ["x", "older", "Older", "XC", "state", "UTC"],
    ])
    ingest([old], db)
    types = _types(db)
    assert types["hall_a"] == "city hall" and types["older"] is None


def test_a_store_without_the_column_gains_it(tmp_path):
    """A store migrated up to the schema before institution types (its accounts have
    no such column) gets it on its next opening for writing, rows kept."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
                "applied_at TIMESTAMP WITH TIME ZONE)")
    for m in MIGRATIONS:
        if m.version == 11:
            break
        m.run(con)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [m.version, m.name])
    con.execute("INSERT INTO accounts (platform, author, official, institution) "
                "VALUES ('x', 'kept', true, 'Kept')")
    assert "institution_type" not in [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts'"
    ).fetchall()]
    con.close()
    with pytest.raises(Exception, match="open it once for writing"):
        Store(db, read_only=True)
    with Store(db) as store:
        cols = store.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' "
            "ORDER BY ordinal_position").fetchall()
        assert [c for (c,) in cols] == list(TABLES["accounts"])
        assert store.conn.execute("SELECT institution, institution_type FROM accounts "
                                  "WHERE author = 'kept'").fetchall() == [("Kept", None)]


def test_dashboard_filters_the_overview_by_type(tmp_path):
    from govwatch.analysis.pipeline import AnalysisSettings, run_analysis

    accounts = write_csv(tmp_path / "accounts.csv", HEADER, [
        ["x", a, a, "XA", lv, "UTC", t]
        for a, lv, t in (("hall_a", "local", "City Hall"), ("hall_b", "local", "city hall"),
                         ("health", "national", "Ministry of Health"))])
    posts = write_csv(tmp_path / "posts.csv", POST_HEADER, [
        post(f"{i}", "citizen", f"2026-01-0{i}T10:00:00Z", f"@{a} help please")
        for i, a in enumerate(("hall_a", "hall_b", "health"), start=1)])
    db = tmp_path / "s.duckdb"
    ingest([accounts], db)
    ingest([posts], db, kind=None)
    with Store(db) as store:
        run_analysis(store, AnalysisSettings())
    d = DashboardData(db)
    opts = d.options()
    assert opts.institution_types == ("city hall", "ministry of health")
    f, notes = validate_filters({"institution_type": ["city hall", "nonsense"]}, opts)
    assert f.institution_type == ("city hall",)
    assert notes == ["Ignored unknown institution_type 'nonsense'."]
    board = d.leaderboard(Filters(institution_type=("city hall",), population="all"))
    assert sorted(board["author"]) == ["hall_a", "hall_b"]
    assert set(d.leaderboard(Filters(population="all"))["author"]) == \
        {"hall_a", "hall_b", "health"}
    assert Filters(institution_type=("city hall",)).query() == \
        {"institution_type": ["city hall"]}
