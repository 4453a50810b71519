"""Exports as DataFrames, for the Python API (govwatch.api): the rows an export would
write, or any stored table, pseudonymised exactly as exports are."""

from __future__ import annotations

import duckdb
import pandas as pd

from govwatch.errors import UsageError
from govwatch.pseudonym import register_pseudonyms, store_key

from . import FORMATS, _check_args
from .queries import _build, _columns, _who, prepare


def read_frame(con: duckdb.DuckDBPyConnection, what: str, pseudonymise: bool = True,
               include_text: bool = False, population: str = "needs_response") -> pd.DataFrame:
    """The rows ``export`` would write for ``what``, as a DataFrame: the same query, the
    same pseudonyms (the store's key) and the same columns."""
    _check_args(what, FORMATS[0], population)
    query = _build(con, what, pseudonymise, include_text, population)
    if pseudonymise and query.pairs_sql:
        register_pseudonyms(con, store_key(con), query.pairs_sql)
    prepare(con, query)
    return con.execute(query.sql).df()


def read_table(con: duckdb.DuckDBPyConnection, table: str, pseudonymise: bool = True
               ) -> pd.DataFrame:
    """Every row of a stored table; its ``*author`` columns pseudonymised as exports
    are (citizens by keyed hash, officials in clear)."""
    columns = _columns(con, table)
    if not columns:
        raise UsageError(f"the store has no table {table!r}")
    authors = [c for c, t in columns.items() if c.endswith("author") and t == "VARCHAR"]
    if not pseudonymise or not authors or "platform" not in columns:
        return con.execute(f'SELECT * FROM "{table}"').df()
    pairs = " UNION ALL ".join(f'SELECT platform, "{c}" AS author FROM "{table}"'
                               for c in authors)
    register_pseudonyms(con, store_key(con), pairs)
    select = ", ".join(f'{_who("t.platform", f"t.{c}", True)} AS "{c}"' if c in authors
                       else f't."{c}"' for c in columns)
    return con.execute(f'SELECT {select} FROM "{table}" t').df()
