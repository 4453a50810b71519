"""The canonical schema, defined once, and the ordered migrations that build it.

``TABLES`` is the canonical schema (column name -> DuckDB type): input rows,
imports, tags and the ``responses`` table every metric starts from. Derived
metric tables are declared by their metric class (analysis/registry.py) and created
from that declaration by every ``govwatch analyze``, never by a migration.
``MIGRATIONS`` are the named, ordered steps that bring a store to ``TABLES``; each
applied step is recorded in ``schema_migrations``. ``tests/test_store.py``
checks that a freshly migrated store has exactly ``TABLES``.

Native post ids are text (X and Telegram ids exceed JavaScript's safe integers).
Times are UTC ``TIMESTAMPTZ``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from importlib.resources import files
from typing import Any

# The times a post (or an event's onset) may carry. Outside them a date comes from a
# broken export or a typo: the import refuses it, the analysis passes over it.
PLAUSIBLE_FROM = datetime(1990, 1, 1, tzinfo=UTC)  # before any platform govwatch reads
PLAUSIBLE_UNTIL = datetime(2100, 1, 1, tzinfo=UTC)
POST_KINDS = ("post", "reply", "comment", "repost", "quote")
LEVELS = ("national", "state", "local")
# Channels whose messages are private to the account (its own download): kept out of every
# public figure and view, and out of exports unless asked (--include-dms).
PRIVATE_CHANNEL = "direct_message"


def is_private_sql(alias: str = "p") -> str:
    """SQL true for a post (table alias ``alias``) that is a direct message."""
    return (f"EXISTS (SELECT 1 FROM message_attributes _ma WHERE _ma.platform = {alias}.platform"
            f" AND _ma.post_id = {alias}.post_id AND _ma.channel = '{PRIVATE_CHANNEL}')")

TABLES: dict[str, dict[str, str]] = {
    "schema_migrations": {
        "version": "INTEGER",
        "name": "VARCHAR",
        "applied_at": "TIMESTAMP WITH TIME ZONE",
    },
    "meta": {"key": "VARCHAR", "value": "VARCHAR"},
    "imports": {
        "import_id": "BIGINT",
        "file": "VARCHAR",
        "sha256": "VARCHAR",
        "format": "VARCHAR",
        "options": "VARCHAR",
        "started_at": "TIMESTAMP WITH TIME ZONE",
        "finished_at": "TIMESTAMP WITH TIME ZONE",
        "rows_read": "BIGINT",
        "posts_added": "BIGINT",
        "posts_merged": "BIGINT",
        "accounts_added": "BIGINT",
        "rejected": "BIGINT",
        "tool_version": "VARCHAR",
        "status": "VARCHAR",
    },
    "post_versions": {
        "platform": "VARCHAR",
        "post_id": "VARCHAR",
        "text": "VARCHAR",
        "replaced_by_import": "BIGINT",
        "replaced_at": "TIMESTAMP WITH TIME ZONE",
        "version_at": "TIMESTAMP WITH TIME ZONE",
    },
    "rejects": {
        "import_id": "BIGINT",
        "file": "VARCHAR",
        "locator": "VARCHAR",
        "reason": "VARCHAR",
        "excerpt": "VARCHAR",
    },
    "accounts": {
        "platform": "VARCHAR",
        "author": "VARCHAR",
        "display_name": "VARCHAR",
        "official": "BOOLEAN",
        "institution": "VARCHAR",
        "country": "VARCHAR",
        "level": "VARCHAR",
        "timezone": "VARCHAR",
        "office_hours": "VARCHAR",
        "source_file": "VARCHAR",
        "import_id": "BIGINT",
        "institution_type": "VARCHAR",
    },
    "posts": {
        "platform": "VARCHAR",
        "post_id": "VARCHAR",
        "author": "VARCHAR",
        "author_id": "VARCHAR",
        "created_at": "TIMESTAMP WITH TIME ZONE",
        "created_at_derived": "BOOLEAN",
        "text": "VARCHAR",
        "lang": "VARCHAR",
        "kind": "VARCHAR",
        "in_reply_to_post_id": "VARCHAR",
        "in_reply_to_author": "VARCHAR",
        "conversation_id": "VARCHAR",
        "mentions": "VARCHAR[]",
        "url": "VARCHAR",
        "like_count": "BIGINT",
        "share_count": "BIGINT",
        "reply_count": "BIGINT",
        "source_file": "VARCHAR",
        "import_id": "BIGINT",
        "deleted_at": "TIMESTAMP WITH TIME ZONE",
        "raw": "VARCHAR",
        "version_at": "TIMESTAMP WITH TIME ZONE",
        "day_precision": "BOOLEAN",
    },
    "events": {
        "event_id": "VARCHAR",
        "name": "VARCHAR",
        "onset": "TIMESTAMP WITH TIME ZONE",
        "keywords": "VARCHAR[]",
        "critical": "BOOLEAN",
        "country": "VARCHAR",
        "source_file": "VARCHAR",
        "levels": "VARCHAR[]",
        "institution_types": "VARCHAR[]",
        "accounts": "VARCHAR[]",
    },
    # One row per post: what analysis concluded about it.
    "tags": {
        "platform": "VARCHAR",
        "post_id": "VARCHAR",
        "lang": "VARCHAR",
        "sentiment": "DOUBLE",
        "sentiment_pos": "DOUBLE",
        "sentiment_neu": "DOUBLE",
        "sentiment_neg": "DOUBLE",
        "sentiment_note": "VARCHAR",
        "topic": "VARCHAR",
        "topic_confidence": "DOUBLE",
        "critical": "BOOLEAN",
        "critical_confidence": "DOUBLE",
        "needs_response": "BOOLEAN",
        "needs_response_confidence": "DOUBLE",
        "deflection": "BOOLEAN",
        "model_version": "VARCHAR",
        "text_hash": "VARCHAR",
    },
    # Tagging models (analysis/tagging.py): skops bytes, never pickle.
    "tagging_models": {
        "model_version": "VARCHAR",
        "kind": "VARCHAR",
        "created_at": "TIMESTAMP WITH TIME ZONE",
        "source": "VARCHAR",
        "trained_on": "BIGINT",
        "taxonomy_digest": "VARCHAR",
        "skops": "BLOB",
    },
    # VADER scores per distinct text, so repeated texts are scored once.
    "sentiment_cache": {
        "text_hash": "VARCHAR",
        "analyzer_version": "VARCHAR",
        "compound": "DOUBLE",
        "pos": "DOUBLE",
        "neu": "DOUBLE",
        "neg": "DOUBLE",
        # the first 124 bits of text_hash as an integer: what lookups join on
        "text_key": "HUGEINT",
    },
    "analysis_runs": {
        "run_id": "BIGINT",
        "started_at": "TIMESTAMP WITH TIME ZONE",
        "finished_at": "TIMESTAMP WITH TIME ZONE",
        "observed_until": "TIMESTAMP WITH TIME ZONE",
        "settings": "VARCHAR",
        "definition_version": "VARCHAR",
        "tool_version": "VARCHAR",
    },
    # Derived: one row per (inbound message, addressed official account).
    "responses": {
        "platform": "VARCHAR",
        "message_id": "VARCHAR",
        "message_author": "VARCHAR",
        "official_author": "VARCHAR",
        "via": "VARCHAR",
        "message_created_at": "TIMESTAMP WITH TIME ZONE",
        "response_id": "VARCHAR",
        "response_created_at": "TIMESTAMP WITH TIME ZONE",
        "latency_hours": "DOUBLE",
        "censored": "BOOLEAN",
        "observed_hours": "DOUBLE",
        "needs_response": "BOOLEAN",
        "critical": "BOOLEAN",
        "topic": "VARCHAR",
        "sentiment": "DOUBLE",
        "lang": "VARCHAR",
        "channel": "VARCHAR",
        "rating": "BIGINT",
        "day_precision": "BOOLEAN",
    },
    # What a post is beyond the posts columns (tickets, reviews): written by their readers.
    "message_attributes": {
        "platform": "VARCHAR",
        "post_id": "VARCHAR",
        "channel": "VARCHAR",
        "rating": "BIGINT",
        "status": "VARCHAR",
        "category": "VARCHAR",
        "flag": "VARCHAR",
    },
    # Outage lists (ingest/outages.py): shutdowns and blocked platforms per country.
    "outages": {
        "outage_id": "VARCHAR",
        "country": "VARCHAR",
        "region": "VARCHAR",
        "start_at": "TIMESTAMP WITH TIME ZONE",
        "end_at": "TIMESTAMP WITH TIME ZONE",
        "end_known": "BOOLEAN",
        "scope": "VARCHAR[]",
        "kind": "VARCHAR",
        "source": "VARCHAR",
        "source_file": "VARCHAR",
    },
}

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "schema_migrations": ("version",),
    "meta": ("key",),
    "imports": ("import_id",),
    "accounts": ("platform", "author"),
    "posts": ("platform", "post_id"),
    "message_attributes": ("platform", "post_id"),
    "outages": ("outage_id",),
    "events": ("event_id",),
    "tags": ("platform", "post_id"),
    "sentiment_cache": ("text_hash", "analyzer_version"),
    "tagging_models": ("model_version",),
    "analysis_runs": ("run_id",),
}



@dataclass(frozen=True)
class Migration:
    """One step: the statements of ``NNNN_name.sql``, or the ``apply(con)`` function of
    ``NNNN_name.py`` (for a step that depends on what the store holds)."""

    version: int
    name: str
    sql: str = ""
    step: Callable[[Any], None] | None = None

    def statements(self) -> list[str]:
        body = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--")
        )
        return [s.strip() for s in body.split(";") if s.strip()]

    def run(self, con: Any) -> None:
        """Apply this step on ``con`` (the caller holds the transaction)."""
        for stmt in self.statements():
            con.execute(stmt)
        if self.step is not None:
            self.step(con)


def _load_migrations() -> tuple[Migration, ...]:
    out = []
    for path in sorted((files("govwatch") / "migrations").iterdir(), key=lambda p: p.name):
        stem, dot, suffix = path.name.rpartition(".")
        if not dot or suffix not in ("sql", "py") or stem.startswith("_"):
            continue
        number, _, rest = stem.partition("_")
        name = rest.replace("_", " ")
        if suffix == "sql":
            out.append(Migration(int(number), name, path.read_text("utf-8")))
        else:
            module = import_module(f"govwatch.migrations.{stem}")
            out.append(Migration(int(number), name, step=module.apply))
    versions = [m.version for m in out]
    if versions != list(range(1, len(out) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return tuple(out)


# Ordered migrations: govwatch/migrations/NNNN_name.sql (or .py with an ``apply(con)``).
# Append new files; never edit one that has shipped.
MIGRATIONS: tuple[Migration, ...] = _load_migrations()

SCHEMA_VERSION = MIGRATIONS[-1].version

# A new store is built from one script, govwatch/store_schema.sql: the tables the
# migrations above leave behind, created at once (scripts/gen_store_schema.py writes it
# from a store the migrations built; tests/test_store.py checks both give the same
# store). Its first line names the version it was written at; a script older than the
# migrations is not used (the migrations are replayed instead).
SNAPSHOT_FILE = "store_schema.sql"
_SNAPSHOT_HEADER = "-- govwatch store schema, version "


# Rows of ``meta`` each store writes for itself when it is made (never in the script).
STORE_OWN_META = frozenset({"pseudonym_key"})


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def snapshot_sql(con: Any) -> str:
    """The script that builds the tables of the store ``con`` (every one of them, in the
    order they were made), headed by its schema version, with the rows the migrations put
    in ``meta`` (a migration may add one, as 12 does for the sentiment cache's writers);
    the rows a store writes for itself (``STORE_OWN_META``) are left out."""
    version = con.execute("SELECT max(version) FROM schema_migrations").fetchall()[0][0]
    tables = con.execute(
        "SELECT sql FROM duckdb_tables() WHERE NOT internal AND schema_name = 'main' "
        "ORDER BY table_oid").fetchall()
    meta = [(k, v) for k, v in con.execute("SELECT key, value FROM meta ORDER BY key")
            .fetchall() if k not in STORE_OWN_META]
    return "".join([f"{_SNAPSHOT_HEADER}{version}\n",
                    "-- Written by scripts/gen_store_schema.py from the migrations; "
                    "do not edit.\n",
                    *(f"{sql}\n" for (sql,) in tables),
                    *(f"INSERT INTO meta VALUES ({_sql_literal(k)}, {_sql_literal(v)});\n"
                      for k, v in meta)])


def snapshot_statements() -> list[str] | None:
    """The statements of govwatch/store_schema.sql when it was written at SCHEMA_VERSION,
    else None."""
    try:
        text = (files("govwatch") / SNAPSHOT_FILE).read_text("utf-8")
    except FileNotFoundError:
        return None
    if not text.startswith(f"{_SNAPSHOT_HEADER}{SCHEMA_VERSION}\n"):
        return None
    return Migration(SCHEMA_VERSION, "snapshot", text).statements()


POST_COLUMNS = tuple(TABLES["posts"])
ACCOUNT_COLUMNS = tuple(TABLES["accounts"])
