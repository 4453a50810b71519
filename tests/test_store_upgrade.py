"""Stores built before migration 9 (derived tables made by migrations) opened by this
govwatch: a store already analysed keeps its figures readable until the next analysis,
which makes every derived table anew from its declaration, with the same rows; a store
never analysed keeps only the canonical tables."""

from __future__ import annotations

import json
import shutil
from importlib import import_module
from pathlib import Path

import duckdb
import pandas as pd
from govwatch.analysis.registry import declared_tables

from govwatch.schema import MIGRATIONS, SCHEMA_VERSION, TABLES
from govwatch.store import Store

LEGACY_VERSION = 8  # the last schema whose migrations created the metrics' tables


def _columns(con) -> dict[str, list[str]]:
    """The tables of the connection's own database (not of attached ones), with columns."""
    out: dict[str, list[str]] = {}
    for table, col in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_catalog = current_database() "
            "ORDER BY table_name, ordinal_position").fetchall():
        out.setdefault(table, []).append(col)
    return out


def legacy_store(path: Path, copy_from: Path | None = None) -> None:
    """A store at schema 8, built by its own migrations' SQL; with ``copy_from``, holding
    every row of that (current) store: canonical and derived tables alike."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
                "applied_at TIMESTAMP WITH TIME ZONE)")
    for m in MIGRATIONS[:LEGACY_VERSION]:
        assert m.step is None  # SQL only, as shipped
        for stmt in m.statements():
            con.execute(stmt)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [m.version, m.name])
    if copy_from is None:
        con.execute("INSERT INTO meta VALUES ('pseudonym_key', 'k')")
    else:
        con.execute(f"ATTACH '{copy_from}' AS src (READ_ONLY)")
        legacy = _columns(con)
        for table, cols in legacy.items():
            if table == "schema_migrations":
                continue
            names = ", ".join(f'"{c}"' for c in cols)
            con.execute(f'INSERT INTO main."{table}" ({names}) '
                        f'SELECT {names} FROM src.main."{table}"')
        con.execute("DETACH src")
    con.close()


def rows(path: Path, table: str, columns: list[str]) -> pd.DataFrame:
    names = ", ".join(f'"{c}"' for c in columns)
    with duckdb.connect(str(path), read_only=True) as con:
        frame = con.execute(f'SELECT {names} FROM "{table}"').df()
    return frame.sort_values(columns, ignore_index=True, na_position="first")


def test_an_analysed_legacy_store_keeps_its_figures_until_the_next_analysis(
        dashboard_store, tmp_path):
    from govwatch.analysis.pipeline import run_analysis
    from govwatch.analysis.settings import from_dict
    from govwatch.dashboard.data import DashboardData, Filters, Missing
    from govwatch.export import export

    # the session's store may be open in this process (the dashboard fixtures): read a copy
    reference = tmp_path / "reference.duckdb"
    shutil.copy(dashboard_store, reference)
    old = tmp_path / "old.duckdb"
    legacy_store(old, copy_from=reference)
    # the metrics' tables a schema-8 store can hold (metrics added since make theirs at
    # the store's next analysis)
    shipped = import_module("govwatch.migrations.0009_derived_tables_from_declarations")
    declared = {t: c for t, c in declared_tables().items()
                if t in shipped.LEGACY_DERIVED_TABLES}
    with duckdb.connect(str(old), read_only=True) as con:
        legacy = _columns(con)
    # the schema-8 store holds the metrics' tables, made by migrations, with the figures
    assert set(declared) <= set(legacy)
    assert [legacy[t] for t in ("benchmarks",)] != [list(declared["benchmarks"])]
    assert rows(old, "account_metrics", ["official_author"]).shape[0] > 10

    with Store(old) as store:  # migrates to the current schema
        assert store.schema_version() == SCHEMA_VERSION > LEGACY_VERSION
    # the columns the schema-8 tables have (columns declared since, such as
    # event_summary.scope, come with the next analysis)
    kept = {t: [c for c in columns if c in legacy[t]] for t, columns in declared.items()}
    assert "scope" not in kept["event_summary"]
    for table, columns in kept.items():
        pd.testing.assert_frame_equal(rows(old, table, columns),
                                      rows(reference, table, columns),
                                      obj=table)
    nonempty = [t for t, c in kept.items() if len(rows(old, t, c))]
    assert len(nonempty) >= 15, nonempty

    # readable as before: the dashboard's reader and the exports give the same figures
    # (a schema-8 store knows no institution types: the column came later, empty)
    readers = [DashboardData(old).open(), DashboardData(reference).open()]
    old_board, board = [r.leaderboard(Filters()).drop(columns="institution_type")
                        for r in readers]
    # a count the old analysis did not make is unknown (not 0) until the next analysis
    assert old_board.pop("day_precision_messages").isna().all()
    pd.testing.assert_frame_equal(old_board, board.drop(columns="day_precision_messages"))
    # a table declared since (posts per week) is "not available" until the next analysis
    first = board.iloc[0]
    old_weeks, weeks = [r.weekly_activity(first["platform"], first["author"])
                        for r in readers]
    assert isinstance(old_weeks, Missing) and old_weeks.table == "weekly_posts"
    assert not isinstance(weeks, Missing) and weeks["posts"].sum() > 0
    for reader in readers:
        reader.close()
    for what in ("accounts", "events"):
        export(old, what, "csv", tmp_path / f"old-{what}.csv")
        export(reference, what, "csv", tmp_path / f"new-{what}.csv")
        before = pd.read_csv(tmp_path / f"old-{what}.csv", dtype=str)
        now = pd.read_csv(tmp_path / f"new-{what}.csv", dtype=str)
        # the same figures; columns of metrics added since come with the next analysis
        assert set(before.columns) <= set(now.columns)
        before = before.drop(columns="institution_type", errors="ignore")
        pd.testing.assert_frame_equal(before, now[list(before.columns)])

    # the next analysis (the run's own settings) makes each table from its declaration
    with duckdb.connect(str(reference), read_only=True) as con:
        recorded = con.execute("SELECT settings FROM analysis_runs ORDER BY run_id DESC "
                               "LIMIT 1").fetchone()[0]
    with Store(old) as store:
        # what schema 8 could not hold is stated again, as the user loads the events
        # and accounts files again: the events' scopes, the accounts' types
        store.conn.execute(f"ATTACH '{reference}' AS ref (READ_ONLY)")
        store.conn.execute("UPDATE events SET levels = r.levels, accounts = r.accounts, "
                           "institution_types = r.institution_types FROM ref.events r "
                           "WHERE events.event_id = r.event_id")
        store.conn.execute("UPDATE accounts SET institution_type = r.institution_type "
                           "FROM ref.accounts r WHERE accounts.platform = r.platform "
                           "AND accounts.author = r.author")
        store.conn.execute("DETACH ref")
        run_analysis(store, from_dict(json.loads(recorded)))
    with duckdb.connect(str(old), read_only=True) as con:
        after = _columns(con)
    for table, columns in declared.items():
        assert after[table] == list(columns), table  # the declared order, not migration 8's
        pd.testing.assert_frame_equal(rows(old, table, list(columns)),
                                      rows(reference, table, list(columns)),
                                      obj=table)


def test_a_legacy_store_never_analysed_keeps_only_the_canonical_tables(tmp_path):
    from govwatch.dashboard.data import DashboardData, Filters

    old = tmp_path / "old.duckdb"
    legacy_store(old)
    with Store(old) as store:
        assert {t: list(c) for t, c in _columns(store.conn).items()} == {
            t: list(c) for t, c in TABLES.items()}
        assert store.meta("pseudonym_key") == "k"
    # the dashboard reads it as an analysis of nothing (empty, declared columns)
    data = DashboardData(old).open()
    assert data.leaderboard(Filters()).empty
    assert data.has("account_metrics", "km_median_hours")
    data.close()
    with duckdb.connect(str(old), read_only=True) as con:  # nothing written to the store
        assert "account_metrics" not in _columns(con)


def test_a_new_store_gets_derived_tables_from_its_analysis(tmp_path):
    from builders import account, build_store, post

    store = build_store(tmp_path, [post("1", "ana", "2026-01-01T10:00:00Z", "@MinA why?"),
                                   post("2", "MinA", "2026-01-01T11:00:00Z", "@ana soon",
                                        "1", "ana")],
                        [account("MinA")])
    try:
        have = _columns(store.conn)
        assert {t: have[t] for t in declared_tables()} == {
            t: list(c) for t, c in declared_tables().items()}
        assert set(have) == set(TABLES) | set(declared_tables())
    finally:
        store.close()
