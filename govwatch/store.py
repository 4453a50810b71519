"""The DuckDB store: one file, opened for writing by one process or read-only by many.

Every write goes through :meth:`Store.transaction`, so an interrupted import or
analysis leaves the store as it was before it started.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .errors import StoreError
from .schema import MIGRATIONS, SCHEMA_VERSION, snapshot_statements

# DuckDB's memory cap for every connection, e.g. GOVWATCH_MEMORY_LIMIT=4GB.
MEMORY_LIMIT_ENV = "GOVWATCH_MEMORY_LIMIT"
# Without it: this much, or DuckDB's own default (80% of RAM) where that is less.
# DuckDB otherwise keeps every hash table and cached block it may up to 80% of RAM
# (a 10-million-post analyze reached 13 GB); under the cap it spills to disk, which
# costs some time on the largest joins and keeps govwatch beside other programs.
# 2.5 GB leaves Python's side (the tagging pool, the metric chunks) room for a
# 10-million-post analyze to stay under 6 GB for its whole process tree; at 4 GB it
# peaked at 6.2 GB (docs/scaling.md, "Memory on one machine").
DEFAULT_MEMORY_LIMIT = "2.5GB"  # DuckDB's units: 2.5 * 10**9 bytes
_DEFAULT_MEMORY_LIMIT_BYTES = 25 * 10**8


def _process_memory_cap() -> int | None:
    """The tightest memory cap this process runs under, in bytes: its address-space
    limit (``ulimit -v``, ``prlimit --as``) or its cgroup's memory limit (a container's
    or a systemd unit's); None when neither is set."""
    caps: list[int] = []
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft > 0:
            caps.append(int(soft))
    except (ImportError, ValueError, OSError):  # not on this platform
        pass
    caps.extend(_cgroup_memory_limits())
    return min(caps) if caps else None


def _cgroup_memory_limits() -> list[int]:
    """The memory limits of this process's cgroup and of every cgroup above it (v2
    ``memory.max``, v1 ``memory.limit_in_bytes``; v1 writes "no limit" as a number near
    2**63). The mount's root is read too: inside a container without a cgroup namespace
    the path /proc/self/cgroup names (``/docker/<id>``) is not under the mount, whose root
    is then the container's own cgroup."""
    found: list[int] = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, where = line.split(":", 2)
        if controllers == "":
            mounts, name = [Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")], "memory.max"
        elif "memory" in controllers.split(","):
            mounts, name = [Path("/sys/fs/cgroup/memory")], "memory.limit_in_bytes"
        else:
            continue
        parts = [part for part in where.split("/") if part]
        for mount in mounts:
            folders = {mount.joinpath(*parts[:k]) for k in range(len(parts) + 1)}
            for folder in folders:
                try:
                    text = (folder / name).read_text().strip()
                except OSError:
                    continue
                if text.isdigit() and int(text) < 2**62:
                    found.append(int(text))
    return found


#: Share of a process memory cap left to DuckDB: the rest is for Python, numpy and
#: pandas working on query results, and for the address space that threads and
#: malloc's arenas reserve without using (an address-space cap counts it all).
CAP_SHARE = 0.4


def default_memory_limit() -> str | None:
    """The cap used when GOVWATCH_MEMORY_LIMIT is unset: "2.5GB", or less under a memory
    cap of the process (:func:`_process_memory_cap`: ``CAP_SHARE`` of it, so DuckDB's
    cache cannot take the memory the Python side needs), or None (DuckDB's default, 80%
    of RAM) when that is less than 2.5 GB or the RAM is unknown."""
    cap = _process_memory_cap()
    if cap is not None and CAP_SHARE * cap < _DEFAULT_MEMORY_LIMIT_BYTES:
        return f"{max(int(CAP_SHARE * cap) // 2**20, 64)}MiB"
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    return DEFAULT_MEMORY_LIMIT if 0.8 * ram > _DEFAULT_MEMORY_LIMIT_BYTES else None

_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50}


def memory_limit_bytes(conn: duckdb.DuckDBPyConnection) -> int | None:
    """DuckDB's ``memory_limit`` on ``conn`` in bytes (as DuckDB shows it, to 0.1 of its
    unit), or None when it cannot be read."""
    text = str(conn.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
    number, _, unit = text.strip().partition(" ")
    try:
        return int(float(number) * _UNITS[unit])
    except (KeyError, ValueError):
        return None

# No network at run time: never let DuckDB fetch an extension.
_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction on ``conn``: commit on success, roll back on any exception."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except duckdb.Error:
            pass  # DuckDB ended the transaction itself (after running out of memory or disk)
        raise
    conn.execute("COMMIT")


def resource_error(path: Path, exc: BaseException) -> StoreError | None:
    """A StoreError in one line naming the store and the cause, for DuckDB running out
    of memory under its limit or the disk filling up; None for any other error."""
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if (isinstance(exc, duckdb.OutOfMemoryException) or "Out of Memory" in text
            or "could not allocate" in text):
        limit = os.environ.get(MEMORY_LIMIT_ENV) or default_memory_limit() or "80% of RAM"
        return StoreError(f"{path}: DuckDB ran out of memory under its limit ({limit}): "
                          f"raise {MEMORY_LIMIT_ENV} (e.g. 8GB); nothing half-written was kept "
                          f"({first})")
    if isinstance(exc, MemoryError):  # Python's side: numpy, pandas, the interpreter
        cap = _process_memory_cap()
        under = f" under this process's memory cap ({cap / 2**30:.1f} GiB)" if cap else ""
        return StoreError(f"{path}: govwatch ran out of memory{under}: raise the cap, or "
                          f"lower {MEMORY_LIMIT_ENV} to leave more of it outside DuckDB; "
                          f"nothing half-written was kept ({first})")
    if getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in text:
        return StoreError(f"{path}: the disk is full; free space beside the store and run the "
                          f"command again; nothing half-written was kept ({first})")
    return None


#: WAL size at which a commit checkpoints, while many small transactions follow
#: one another (tagging's batches). DuckDB's default (16 MB) checkpoints after
#: nearly every batch, and each checkpoint rewrites the growing tables' indexes.
BATCH_CHECKPOINT_THRESHOLD = "256MB"


#: DuckDB settings while a run writes tables it rebuilds whole (analyze's derived tables):
#: the FSST string compressions cost more CPU than writing the rows themselves (writing
#: ``responses`` at 1M messages: 4.9 CPU-s with them, 4.1 without); strings then take
#: dictionary or plain encoding, so those tables take more room. Values are unchanged.
DERIVED_WRITE_SETTINGS = {"disabled_compression_methods": "fsst,dict_fsst"}


@contextmanager
def duckdb_settings(conn: duckdb.DuckDBPyConnection, values: dict[str, str]) -> Iterator[None]:
    """DuckDB settings ``values`` for a block, each restored afterwards. Enter it before
    a transaction whose writes it is for: DuckDB may compress rows at commit."""
    before = dict(conn.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN (SELECT unnest($n))",
        {"n": list(values)}).fetchall())
    applied: list[str] = []
    failed = False
    try:
        for name, value in values.items():
            conn.execute(f"SET {name} = {_sql_string(value)}")
            applied.append(name)
        yield
    except BaseException:
        failed = True
        raise
    finally:
        for name in applied:
            try:
                conn.execute(f"SET {name} = {_sql_string(before[name])}")
            except duckdb.Error:
                if not failed:  # else the error in flight is the one to report
                    raise


def _sql_string(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@contextmanager
def fewer_checkpoints(conn: duckdb.DuckDBPyConnection,
                      threshold: str = BATCH_CHECKPOINT_THRESHOLD) -> Iterator[None]:
    """Raise the checkpoint threshold to ``threshold`` for a run of commits,
    then restore it and checkpoint once. Committed data is in the WAL either
    way, so a process killed meanwhile loses nothing committed.

    The closing checkpoint is skipped while another cursor of the same database
    has a write transaction open (``analyze`` runs metrics that read no tags on
    their own cursors beside tagging): DuckDB refuses a plain CHECKPOINT then, and
    FORCE CHECKPOINT would abort that work. Nothing is lost: the threshold is back
    at its value, so the next commit past it checkpoints as usual."""
    before = conn.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
    conn.execute(f"SET checkpoint_threshold = '{threshold}'")
    try:
        yield
    finally:
        conn.execute(f"SET checkpoint_threshold = '{before}'")
    try:
        conn.execute("CHECKPOINT")
    except duckdb.TransactionException as exc:
        if "other write transactions" not in str(exc):
            raise


class Store:
    """A govwatch DuckDB file.

    ``Store(path)`` opens for writing, creating the file and applying pending
    migrations; ``Store(path, read_only=True)`` requires an existing, current store, as
    does ``create=False``. A DuckDB file that holds other tables and no govwatch store
    is refused unless ``adopt`` (govwatch's tables are then added beside the others).
    A new store is built from the schema script unless ``snapshot`` is false (then by
    replaying the migrations; see :meth:`migrate`).
    """

    def __init__(self, path: str | Path, read_only: bool = False, create: bool = True,
                 adopt: bool = False, snapshot: bool = True):
        self.path = Path(path)
        self.read_only = read_only
        if (read_only or not create) and not self.path.exists():
            raise StoreError(
                f"no store at {self.path}: run 'govwatch ingest' (or 'govwatch demo') first"
            )
        try:
            self.conn = duckdb.connect(str(self.path), read_only=read_only, config=dict(_CONFIG))
        except duckdb.IOException as exc:  # locked by another writer, unreadable, ...
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        # Times are stored and returned in UTC, whatever the machine's zone.
        self.conn.execute("SET TimeZone = 'UTC'")
        self._limit_memory(os.environ.get(MEMORY_LIMIT_ENV, "").strip()
                           or default_memory_limit() or "")
        if read_only:
            version = self.schema_version()
            if version != SCHEMA_VERSION:
                raise StoreError(
                    f"store {self.path} is at schema version {version}, this govwatch needs "
                    f"{SCHEMA_VERSION}: open it once for writing (e.g. 'govwatch analyze') to migrate"
                )
        else:
            if not adopt:
                self._refuse_foreign()
            self.migrate(snapshot)

    def _refuse_foreign(self) -> None:
        """StoreError for a DuckDB file that holds tables but no govwatch store."""
        if self.schema_version():
            return
        tables = [t for (t,) in self.conn.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        if tables:
            self.conn.close()
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(
                f"{self.path} is a DuckDB file but not a govwatch store (it holds "
                f"{len(tables)} other table(s): {shown}); name another --db, or pass "
                "--add-to-db to add govwatch's tables to it")

    def _limit_memory(self, limit: str) -> None:
        """Cap DuckDB's memory (e.g. "4GB"); beyond it joins and sorts spill to a
        temporary folder beside the store. Unset: :func:`default_memory_limit`."""
        if not limit:
            return
        try:
            self.conn.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            self.conn.close()
            raise StoreError(f"{MEMORY_LIMIT_ENV}={limit!r} is not a memory size such as "
                             f"'4GB' or '512MB' ({exc})") from None

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commit on success, roll back on any exception. Running out
        of memory or disk is a StoreError naming the store."""
        try:
            with transaction(self.conn) as con:
                yield con
        except (duckdb.Error, OSError) as exc:
            problem = resource_error(self.path, exc)
            if problem is None:
                raise
            raise problem from exc

    # -- schema ----------------------------------------------------------
    def schema_version(self) -> int:
        exists = self.conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchall()[0][0]
        if not exists:
            return 0
        return self.conn.execute(
            "SELECT coalesce(max(version), 0) FROM schema_migrations"
        ).fetchall()[0][0]

    def migrate(self, snapshot: bool = True) -> list[int]:
        """Apply pending migrations, each in its own transaction. Returns the versions applied.

        A file holding no table yet (a new store) is built in one transaction from the
        schema script (``govwatch.schema.snapshot_statements``) unless ``snapshot`` is
        false: the same tables, and every migration recorded as applied, without
        replaying each step."""
        statements = snapshot_statements() if snapshot else None
        if statements is not None and not self.conn.execute(
                "SELECT count(*) FROM duckdb_tables()").fetchall()[0][0]:
            with self.transaction() as con:
                for stmt in statements:
                    con.execute(stmt)
                now = datetime.now(UTC)
                con.executemany("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                [[m.version, m.name, now] for m in MIGRATIONS])
                self._first_meta(con)
            return [m.version for m in MIGRATIONS]
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP WITH TIME ZONE)"
        )
        current = self.schema_version()
        applied = []
        for m in MIGRATIONS:
            if m.version <= current:
                continue
            with self.transaction() as con:
                m.run(con)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [m.version, m.name, datetime.now(UTC)],
                )
                if m.version == 1:
                    self._first_meta(con)
            applied.append(m.version)
        return applied

    @staticmethod
    def _first_meta(con: duckdb.DuckDBPyConnection) -> None:
        """What a new store's ``meta`` holds: the key for pseudonymising citizen authors
        in exports and on the dashboard (it stays in the store, never in an export)."""
        con.execute("INSERT INTO meta VALUES ('pseudonym_key', ?)", [secrets.token_hex(32)])

    # -- small helpers ---------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def count(self, table: str) -> int:
        return self.conn.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]

    def next_id(self, table: str, column: str) -> int:
        return self.conn.execute(
            f'SELECT coalesce(max("{column}"), 0) + 1 FROM "{table}"'
        ).fetchall()[0][0]


def open_store(path: str | Path, read_only: bool = False) -> Store:
    return Store(path, read_only=read_only)
