"""The export's writers: the data as CSV, Parquet or Stata, and its codebook.

Each data writer runs its query once (a DuckDB ``COPY`` where it can) and returns the
column names and the number of rows written.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from govwatch import DEFINITION_VERSION, spreadsheet
from govwatch.errors import OutputError

from .queries import _Query

CSV_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"  # ISO 8601, UTC, milliseconds
PARQUET_ROW_GROUP = 122_880  # rows per row group of a sliced Parquet export (DuckDB's own)
STATA_LABEL_CHARS = 80

_TYPES = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "DOUBLE": "float",
    "FLOAT": "float",
    "BIGINT": "integer",
    "INTEGER": "integer",
    "HUGEINT": "integer",
    "TIMESTAMP WITH TIME ZONE": "datetime (UTC)",
    "DATE": "date",
}


def _describe(con, sql: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {sql}").fetchall()}


def _logical(dtype: str) -> str:
    if dtype.endswith("[]"):
        return "list of " + _logical(dtype[:-2])
    return _TYPES.get(dtype, dtype.lower())


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _write_csv(con, sql: str, types: dict[str, str], out: Path, raw: bool = False,
               parts: list[str] | None = None):
    """``parts``: the query of each slice (govwatch.export.slices), written one after
    the other under one header; else ``sql`` at once."""
    cols = []
    for name, dtype in types.items():
        if dtype == "TIMESTAMP WITH TIME ZONE":
            cols.append(f"strftime(q.{name}, '{CSV_TIME_FORMAT}') AS {name}")
        elif dtype == "VARCHAR" and not raw:
            cols.append(f"{spreadsheet.sql(f'q.{name}')} AS {name}")
        else:
            cols.append(f"q.{name}")
    if not parts or len(parts) == 1:
        rows = con.execute(f"COPY (SELECT {', '.join(cols)} FROM ({parts[0] if parts else sql}) q) "
                           f"TO {_sql_str(out)} (FORMAT csv, HEADER)").fetchall()[0][0]
        return list(types), rows
    rows = 0
    piece = out.with_name(out.name + ".slice")
    try:
        with open(out, "wb") as whole:
            for i, part in enumerate(parts):
                rows += con.execute(
                    f"COPY (SELECT {', '.join(cols)} FROM ({part}) q) TO {_sql_str(piece)} "
                    f"(FORMAT csv, HEADER {'true' if i == 0 else 'false'})").fetchall()[0][0]
                with open(piece, "rb") as f:
                    shutil.copyfileobj(f, whole, 1 << 20)
    finally:
        piece.unlink(missing_ok=True)
    return list(types), rows


def _write_parquet(con, query: _Query, out: Path, folder: bool,
                   parts: list[str] | None = None, shown: Path | None = None):
    """``parts`` (one file, not a folder): the query of each slice
    (govwatch.export.slices), streamed into one file as DuckDB hands over its rows. The
    file takes the first slice's columns; a later slice whose columns differ (names,
    order or types) raises an OutputError naming ``shown`` (default ``out``) and the
    slice, before any of its rows is written."""
    if parts and len(parts) > 1 and not folder:
        import pyarrow.parquet as pq

        rows, writer = 0, None
        try:
            for i, part in enumerate(parts):
                rel = con.sql(part)
                # DuckDB 2.x: to_arrow_reader; 1.x: fetch_arrow_reader
                fetch = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader
                reader = fetch(PARQUET_ROW_GROUP)
                if writer is None:
                    writer = pq.ParquetWriter(out, reader.schema, compression="zstd")
                elif not reader.schema.equals(writer.schema, check_metadata=False):
                    differ = _schema_difference(writer.schema, reader.schema)
                    raise OutputError(shown or out, f"slice {i + 1} of {len(parts)} of the "
                                      f"export has other columns than slice 1 ({differ}); "
                                      "nothing was written there")
                for batch in reader:
                    writer.write_batch(batch, row_group_size=PARQUET_ROW_GROUP)
                    rows += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
        return list(_describe(con, query.sql)), rows
    if folder:
        keys = ", ".join(query.partition_by)
        rows = con.execute(f"COPY ({query.sql}) TO {_sql_str(out)} "
                           f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({keys}))"
                           ).fetchall()[0][0]
    else:
        rows = con.execute(f"COPY ({query.sql}) TO {_sql_str(out)} "
                           "(FORMAT parquet, COMPRESSION zstd)").fetchall()[0][0]
    return list(_describe(con, query.sql)), rows


def _schema_difference(first, other) -> str:
    """How the Arrow schema ``other`` differs from ``first``, column by column."""
    if first.names != other.names:
        return f"{', '.join(other.names)} instead of {', '.join(first.names)}"
    def shown(field) -> str:
        return f"{field.type}{'' if field.nullable else ' not null'}"

    return "; ".join(f"{a.name}: {shown(b)} instead of {shown(a)}"
                     for a, b in zip(first, other, strict=True) if not a.equals(b))


_STATA_RESERVED = frozenset(
    "aggregate array boolean break byte case catch class colvector complex const continue "
    "default delegate delete do double else eltypedef end enum explicit export external "
    "float for friend function global goto if inline int local long NULL pragma protected "
    "quad rowvector short typedef typename virtual _all _N _skip _b _pi str in _pred strL "
    "_coef _rc using _cons _se with _n".split()
)


def stata_names(columns: list[str]) -> dict[str, str]:
    """Valid, distinct Stata variable names: [A-Za-z_][A-Za-z0-9_]*, <= 32 chars, not reserved."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", col)
        if not name or not re.match(r"[A-Za-z_]", name[0]):
            name = "_" + name
        if name in _STATA_RESERVED or re.fullmatch(r"str\d+", name):
            name = "_" + name
        name = name[:32]
        base, i = name, 1
        while name.lower() in used:
            suffix = f"_{i}"
            name, i = base[: 32 - len(suffix)] + suffix, i + 1
        used.add(name.lower())
        out[col] = name
    return out


def stata_label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= STATA_LABEL_CHARS else text[: STATA_LABEL_CHARS - 3] + "..."


def _write_dta(con, query: _Query, types: dict[str, str], out: Path, what: str,
               parts: list[str] | None = None):
    """The rows as a Stata 118 file, read and written a chunk at a time
    (govwatch.export.stata); ``parts``: the query of each slice, in order."""
    from . import stata

    names = stata_names(list(types))
    labels = {names[c]: stata_label(query.meanings.get(c, c)) for c in types}
    label = stata_label(f"govwatch {what} export, definitions v{DEFINITION_VERSION}")
    rows = stata.write(con, query.sql, parts, types, names, labels, label, out)
    return list(names.values()), rows


def _write_codebook(path: Path, names: list[str], types: dict[str, str],
                    meanings: dict[str, str], raw: bool = False) -> None:
    originals = list(types)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["column", "type", "meaning", "definition_version"])
        for name, original in zip(names, originals, strict=True):
            dtype = types[original]
            meaning = meanings.get(original, "")
            if name != original:
                meaning = f"{meaning} (column {original} in govwatch)".strip()
            row = [name, _logical(dtype), meaning, DEFINITION_VERSION]
            w.writerow(row if raw else [spreadsheet.cell(v) for v in row])
