"""The store: schema and migrations agree, transactions, read-only access."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest
from govwatch.analysis.registry import declared_tables

from govwatch.errors import StoreError
from govwatch.schema import MIGRATIONS, SCHEMA_VERSION, TABLES
from govwatch.store import Store, fewer_checkpoints, transaction


def _columns(con) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, col, typ in rows:
        out.setdefault(table, {})[col] = typ
    return out


def test_migrated_store_matches_declared_schema(tmp_path):
    """Migrations build the canonical tables only; analyze makes the derived ones."""
    with Store(tmp_path / "s.duckdb") as store:
        assert _columns(store.conn) == TABLES
        assert not set(declared_tables()) & set(_columns(store.conn))
        versions = [r[0] for r in store.conn.execute(
            "SELECT version FROM schema_migrations ORDER BY version").fetchall()]
        assert versions == [m.version for m in MIGRATIONS]
        assert store.schema_version() == SCHEMA_VERSION


def test_reopening_applies_nothing_and_keeps_key(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        key = store.meta("pseudonym_key")
    with Store(path) as store:
        assert store.migrate() == []
        assert store.meta("pseudonym_key") == key
        assert len(key) == 64


def test_read_only_store(tmp_path):
    with pytest.raises(StoreError, match="no store at"):
        Store(tmp_path / "missing.duckdb", read_only=True)
    path = tmp_path / "s.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as ro:
        with pytest.raises(duckdb.Error):
            ro.conn.execute("INSERT INTO meta VALUES ('x', 'y')")


def test_transaction_rolls_back_on_error(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(RuntimeError):
            with store.transaction() as con:
                con.execute("INSERT INTO meta VALUES ('x', 'y')")
                raise RuntimeError("boom")
        assert store.meta("x") is None


def _threshold(con) -> str:
    return con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]


def test_fewer_checkpoints_restores_the_threshold_and_keeps_what_was_committed(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        con = store.conn
        before = _threshold(con)
        with fewer_checkpoints(con, "1GB"):
            assert _threshold(con) != before
            for i in range(3):
                with transaction(con):
                    con.execute("INSERT INTO meta VALUES (?, 'v')", [f"k{i}"])
        assert _threshold(con) == before
        with pytest.raises(RuntimeError):
            with fewer_checkpoints(con, "1GB"):
                with transaction(con):
                    con.execute("INSERT INTO meta VALUES ('k3', 'v')")
                raise RuntimeError("stopped")
        assert _threshold(con) == before
    # Every committed batch is there after reopening, the one after the error too.
    with Store(path, read_only=True) as store:
        assert [store.meta(f"k{i}") for i in range(4)] == ["v"] * 4


def test_fewer_checkpoints_ends_beside_another_cursors_open_write(tmp_path):
    """analyze's metrics that read no tags write on their own cursors while tagging
    commits: the closing checkpoint must not fail (nor abort them) when one of them
    has a write transaction open, and both sides' rows are kept."""
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        con = store.conn
        other = con.cursor()
        other.execute("BEGIN TRANSACTION")
        other.execute("INSERT INTO meta VALUES ('beside', 'v')")
        other.execute("CREATE TABLE beside AS SELECT 1 AS n")  # a derived table replaced
        with fewer_checkpoints(con, "1GB"):
            with transaction(con):
                con.execute("INSERT INTO meta VALUES ('tagged', 'v')")
        other.execute("COMMIT")
        other.close()
    with Store(path, read_only=True) as store:
        assert [store.meta("beside"), store.meta("tagged")] == ["v", "v"]


def test_no_extension_downloads_and_utc(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        settings = dict(store.conn.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions', 'TimeZone')"
        ).fetchall())
        assert settings["autoinstall_known_extensions"] == "false"
        assert settings["autoload_known_extensions"] == "false"
        assert settings["TimeZone"] == "UTC"


def test_posts_lose_their_indexes_and_keep_their_rows_on_migration(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
                "applied_at TIMESTAMP WITH TIME ZONE)")
    for m in MIGRATIONS[:4]:  # a store as the version before posts lost their indexes
        for stmt in m.statements():
            con.execute(stmt)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [m.version, m.name])
    con.execute("INSERT INTO meta VALUES ('pseudonym_key', 'k')")
    con.execute("INSERT INTO posts (platform, post_id, author, created_at, mentions) "
                "VALUES ('x', '1', 'a', '2026-01-01T00:00:00Z', ['b'])")
    assert con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'posts'"
                       ).fetchone()[0] == 2
    con.close()
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION >= 5
        assert store.conn.execute(
            "SELECT platform, post_id, author, mentions FROM posts").fetchall() == [
            ("x", "1", "a", ["b"])]
        assert store.conn.execute(
            "SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'posts'").fetchone()[0] == 0
        assert store.conn.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'posts' "
            "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchone()[0] == 0
        assert _columns(store.conn)["posts"] == TABLES["posts"]


def test_memory_limit_from_environment(tmp_path, monkeypatch):
    """GOVWATCH_MEMORY_LIMIT caps DuckDB; a value DuckDB cannot read is a clear error."""
    from govwatch.store import MEMORY_LIMIT_ENV

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "300MB")
    store = Store(tmp_path / "capped.duckdb")
    limit = store.conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    store.close()
    assert limit.replace(" ", "") in {"286.1MiB", "300.0MB", "300MB"}, limit
    monkeypatch.delenv(MEMORY_LIMIT_ENV)  # unset: 2.5 GB, or DuckDB's 80% of RAM if less
    store = Store(tmp_path / "capped.duckdb")
    limit = store.conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    store.close()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if 0.8 * ram > 25 * 10**8:
        assert limit.replace(" ", "") in {"2.3GiB", "2.5GB"}, limit
    else:
        assert limit.replace(" ", "") not in {"2.3GiB", "2.5GB"}, limit
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(StoreError, match="GOVWATCH_MEMORY_LIMIT='lots'"):
        Store(tmp_path / "capped.duckdb")


def test_one_staged_account_per_key_is_the_window_rule(tmp_path):
    """first_account_rows picks, per (platform, author in any case), the row ROW_NUMBER() OVER
    (ORDER BY official DESC, _seq) = 1 picks: official first, NULL after false, then
    the first in the file."""
    import random

    import duckdb
    from govwatch.ingest.staging import first_account_rows

    rng = random.Random(7)
    rows = [(rng.choice(["x", "mastodon"]), rng.choice("aA") + str(rng.randrange(30)),
             rng.choice([True, False, None]), rng.choice([None, "name", "other"]), seq)
            for seq in rng.sample(range(10_000), 400)]
    con = duckdb.connect()
    con.execute("CREATE TABLE src (platform VARCHAR, author VARCHAR, official BOOLEAN, "
                "display_name VARCHAR, _seq BIGINT)")
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?)", rows)
    window = con.execute("SELECT * FROM src QUALIFY row_number() OVER (PARTITION BY platform, "
                         "lower(author) ORDER BY official DESC, _seq) = 1 ORDER BY ALL").fetchall()
    grouped = con.execute(f"SELECT * FROM {first_account_rows('src')} ORDER BY ALL").fetchall()
    assert grouped == window and len(window) > 30


def _limit_in_child(tmp_path, as_cap: int | None) -> str:
    """DuckDB's memory_limit as a fresh process under an address-space cap sees it."""
    code = (
        "import resource, sys\n"
        "cap = int(sys.argv[2])\n"
        "if cap:\n"
        "    resource.setrlimit(resource.RLIMIT_AS, (cap, resource.RLIM_INFINITY))\n"
        "from govwatch.store import Store\n"
        "s = Store(sys.argv[1])\n"
        "print(s.conn.execute(\"SELECT current_setting('memory_limit')\").fetchone()[0])\n"
        "s.close()\n")
    env = {k: v for k, v in os.environ.items() if k != "GOVWATCH_MEMORY_LIMIT"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s.duckdb"),
                          str(as_cap or 0)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().replace(" ", "")


def test_default_memory_limit_leaves_room_under_a_process_cap(tmp_path):
    """Under an address-space cap (ulimit -v, prlimit --as) DuckDB gets 40% of it, not
    the 2.5 GB default: with 4 GB of cache inside an 8 GiB cap, numpy and pandas ran
    out of memory."""
    from govwatch.store import _process_memory_cap

    if _process_memory_cap() is not None:
        pytest.skip("this test process already runs under a memory cap")
    capped = _limit_in_child(tmp_path, 3 * 2**30)  # 40% of 3 GiB = 1228 MiB
    assert capped in {"1.1GiB", "1.2GiB", "1228.0MiB"}, capped
    free = _limit_in_child(tmp_path, None)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if 0.8 * ram > 25 * 10**8:
        assert free in {"2.3GiB", "2.5GB"}, free


def test_python_running_out_of_memory_is_a_store_error_naming_the_store(tmp_path):
    """numpy or pandas running out of memory ends in one line naming the store, like
    DuckDB running out under its limit (it had ended in a traceback)."""
    from govwatch.store import resource_error

    db = tmp_path / "s.duckdb"
    problem = resource_error(db, MemoryError("cannot allocate memory for array"))
    assert problem is not None
    text = str(problem)
    assert text.startswith(f"{db}: govwatch ran out of memory")
    assert "GOVWATCH_MEMORY_LIMIT" in text and "cannot allocate memory for array" in text
    assert resource_error(db, ValueError("not a resource problem")) is None


def _catalog(con) -> dict[str, list]:
    """Everything that makes a store's schema: tables (as DuckDB writes them back),
    columns, constraints, and what the migrations record."""
    return {
        "tables": con.execute("SELECT table_name, sql FROM duckdb_tables() "
                              "ORDER BY table_name").fetchall(),
        "columns": con.execute(
            "SELECT table_name, column_index, column_name, data_type, column_default, "
            "is_nullable FROM duckdb_columns() ORDER BY table_name, column_index").fetchall(),
        "constraints": con.execute(
            "SELECT table_name, constraint_type, constraint_text, constraint_column_names "
            "FROM duckdb_constraints() ORDER BY ALL").fetchall(),
        "migrations": con.execute(
            "SELECT version, name FROM schema_migrations ORDER BY version").fetchall(),
        "meta": con.execute("SELECT key, length(value) FROM meta ORDER BY key").fetchall(),
    }


def test_new_store_from_schema_script_equals_replayed_migrations(tmp_path):
    """A new store is built from govwatch/store_schema.sql in one step; it is the store
    the eleven migrations build one after the other. A stale script (a migration added
    without running scripts/gen_store_schema.py) fails here."""
    from govwatch.schema import snapshot_sql, snapshot_statements

    assert snapshot_statements() is not None, (
        "govwatch/store_schema.sql is not at the latest schema version: run "
        "scripts/gen_store_schema.py")
    with Store(tmp_path / "replayed.duckdb", snapshot=False) as replayed, \
            Store(tmp_path / "scripted.duckdb") as scripted:
        assert _catalog(scripted.conn) == _catalog(replayed.conn)
        assert snapshot_sql(scripted.conn) == snapshot_sql(replayed.conn)
        assert scripted.migrate() == [] and replayed.migrate() == []
        assert scripted.meta("pseudonym_key") != replayed.meta("pseudonym_key")


def test_file_with_other_tables_is_migrated_step_by_step(tmp_path):
    """The schema script is only for an empty file: one that holds a table already
    (added to with --add-to-db) gets the migrations, beside its own table."""
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE mine (x INTEGER)")
    con.close()
    with Store(path, adopt=True) as store, \
            Store(tmp_path / "new.duckdb") as new:
        mine = _catalog(store.conn)
        assert ("mine", "CREATE TABLE mine(x INTEGER);") in mine["tables"]
        mine["tables"].remove(("mine", "CREATE TABLE mine(x INTEGER);"))
        mine["columns"] = [c for c in mine["columns"] if c[0] != "mine"]
        assert mine == _catalog(new.conn)
