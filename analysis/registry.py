"""The metric registry: every metric family, shipped or third-party, registers here.

A metric family declares the derived tables it writes (name -> column -> DuckDB
type) and what each holds (``table_descriptions``, shown where a store lacks the
table); ``govwatch analyze`` creates every table from that declaration at each run
(:func:`create_table`), so a new metric needs no migration (migrations are for the
canonical tables only; migration 9 removed the shipped metrics' tables from stores
never analysed). Tables listed in ``account_tables`` hold one row per official
account (and population): the accounts export and the dashboard's pages join them.
``tests/test_registry.py`` checks that each metric is deterministic and returns empty
frames on an empty store.

Data flow: ``govwatch.analysis.pipeline.run_analysis`` builds the ``responses`` table,
makes sure every declared table exists (:func:`ensure_tables`), then calls each
registered metric's ``compute`` in registration order (after its ``requires``) and
replaces the metric's tables with new ones, made from the declaration and holding
what it returned, all in one transaction. On a small store, metrics that set
``canonical_only`` (they read no tags and no other metric's tables) are computed while
posts are tagged (``govwatch.analysis.ahead``) and written at their turn like the others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

import duckdb
import pandas as pd

from govwatch.entrypoints import LoadOnce, entry_points

from .settings import AnalysisSettings

ENTRY_POINT_GROUP = "govwatch.metrics"
BUILTIN_MODULES = (
    "govwatch.analysis.accounts",
    "govwatch.analysis.slices",
    "govwatch.analysis.business_clock",
    "govwatch.analysis.selectivity",
    "govwatch.analysis.quality",
    "govwatch.analysis.benchmarks",
    "govwatch.analysis.events",
    "govwatch.analysis.bursts",
    "govwatch.analysis.change",
    "govwatch.analysis.unaddressed",
    "govwatch.analysis.activity",
    "govwatch.analysis.topics",
    "govwatch.analysis.direct_messages",
    "govwatch.analysis.channels",
    "govwatch.analysis.outages",
    "govwatch.analysis.examples",
    "govwatch.analysis.templates",
)


@dataclass
class MetricContext:
    """What a metric may read: the store connection (inside the analysis
    transaction), the observation end, and the analysis settings."""

    con: duckdb.DuckDBPyConnection
    obs_end: datetime | None
    settings: AnalysisSettings
    cache: dict = field(default_factory=dict)  # shared between metrics of one run
    # (done, total) of the running metric's own work, for a long metric to report as it
    # goes (analyze prints it under "computing <metric>"); None: nobody is listening.
    progress: Callable[[int, int], None] | None = None


class Metric(ABC):
    """A family of metrics written to one or more derived tables."""

    name: str = ""
    description: str = ""
    tables: dict[str, dict[str, str]] = {}
    requires: tuple[str, ...] = ()
    # True when the tables depend only on the canonical tables (posts, accounts,
    # events) and the settings, never on tags or other metrics' tables: analyze may
    # then compute them while it tags (govwatch.analysis.ahead).
    canonical_only: bool = False
    # Of ``tables``, those with one row per (platform, official_author[, population]).
    account_tables: tuple[str, ...] = ()
    # What each table holds, in a phrase (e.g. "the selectivity gap"); the dashboard
    # names it where a store lacks the table. Unset: the metric's ``description``.
    table_descriptions: dict[str, str] = {}

    @abstractmethod
    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        """Return one frame per declared table, with exactly the declared columns."""


_METRICS: dict[str, Metric] = {}


def register_metric(cls: type[Metric]) -> type[Metric]:
    if not cls.name or not cls.tables:
        raise ValueError(f"{cls.__name__} must set name and tables")
    _METRICS[cls.name] = cls()
    return cls


def _load_metrics() -> None:
    for mod in BUILTIN_MODULES:
        import_module(mod)
    for ep in entry_points(ENTRY_POINT_GROUP):
        register_metric(ep.load())


_load = LoadOnce(_load_metrics)


def metrics() -> list[Metric]:
    """Registered metrics in dependency order."""
    _load()
    ordered: list[Metric] = []
    seen: set[str] = set()

    def visit(m: Metric, stack: tuple[str, ...] = ()) -> None:
        if m.name in seen:
            return
        if m.name in stack:
            raise ValueError(f"metric dependency cycle: {' -> '.join(stack + (m.name,))}")
        for dep in m.requires:
            visit(_METRICS[dep], stack + (m.name,))
        seen.add(m.name)
        ordered.append(m)

    for m in list(_METRICS.values()):
        visit(m)
    return ordered


def declared_tables() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for m in metrics():
        out.update(m.tables)
    return out


def account_tables() -> list[str]:
    """Tables with one row per official account, in registration order."""
    return [t for m in metrics() for t in m.account_tables]


def table_description(table: str) -> str | None:
    """What a declared table holds (its metric's ``table_descriptions``, else the
    metric's ``description``); None for a table no registered metric declares."""
    for m in metrics():
        if table in m.tables:
            return m.table_descriptions.get(table) or m.description or table
    return None


def create_table(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    """``table`` made anew, empty, from its declaration (replacing any table of that name)."""
    cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    con.execute(f'CREATE OR REPLACE TABLE "{table}" ({cols})')


def ensure_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, dict[str, str]]) -> None:
    """Create each declared table the store lacks; rebuild one whose columns or types
    differ from its declaration, so metrics that read another's table during a run
    find it."""
    if not tables:
        return
    have: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name IN (SELECT unnest(?)) "
            "ORDER BY table_name, ordinal_position", [list(tables)]).fetchall():
        have.setdefault(table, []).append((column, data_type))
    for table, columns in tables.items():
        if have.get(table) != [(c, t) for c, t in columns.items()]:
            create_table(con, table, columns)


def conform(frame: pd.DataFrame, columns: dict[str, str], where: str) -> pd.DataFrame:
    """Check a metric's frame has exactly its declared columns, in order."""
    if list(frame.columns) != list(columns):
        raise ValueError(
            f"{where}: columns {list(frame.columns)} differ from the declared {list(columns)}"
        )
    return frame
