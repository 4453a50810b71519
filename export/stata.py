"""Stata ``.dta`` files (format 118) written a chunk of rows at a time, so the memory a
Stata export needs does not grow with the table.

pandas' ``DataFrame.to_stata`` wants the whole table in one frame: a posts export of
10,000,000 rows does not fit in memory. Stata's format puts each variable's storage type
before the rows, and a string variable's width is the length of the longest value in
the whole column, so the export's query runs twice:

1. one SQL aggregate finds, per column, whether it has missing values, its least and
   greatest value and its longest text (a list column's longest text, as written, is
   found by reading that column alone); a frame of three rows holding those values goes
   through pandas' own Stata writer (``StataWriterUTF8``), which picks the storage types
   and display formats exactly as ``to_stata`` would for the whole table;
2. the rows are read in chunks of :data:`CHUNK_VECTORS` DuckDB vectors (or the export's
   slices, each sorted on its own), each converted as ``to_stata`` converts them and
   appended; long texts (``strL``) go to a side file appended after the rows, where the
   format keeps them.

Read back with ``pandas.read_stata``, the file equals the one ``to_stata`` writes from the
whole frame (the same variables, types, formats, labels and values). One difference in
the bytes: ``to_stata`` stores a ``strL`` text that repeats once and points to it from
each row; here each row's text is stored with it (the file is larger by the repeats).
"""

from __future__ import annotations

import io
import struct
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from govwatch.errors import OutputError

VERSION = 118
CHUNK_VECTORS = 32  # DuckDB vectors (2,048 rows each) read and written at a time
STR_MAX = 2045  # longest fixed-width string (str#); longer columns are strL
STRL = 32768
DOUBLE, FLOAT, LONG, INT, BYTE = 65526, 65527, 65528, 65529, 65530
_RECORD = {DOUBLE: "<f8", FLOAT: "<f4", LONG: "<i4", INT: "<i2", BYTE: "i1", STRL: "<u8"}
_MISSING = {  # Stata's system missing value "." of each numeric type
    BYTE: 101, INT: 32741, LONG: 2147483621,
    FLOAT: struct.unpack("<f", b"\x00\x00\x00\x7f")[0],
    DOUBLE: struct.unpack("<d", b"\x00\x00\x00\x00\x00\x00\xe0\x7f")[0],
}
_EPOCH = np.datetime64("1960-01-01T00:00:00", "ms")
_MS_PER_DAY = 86_400_000
_MAP = ("stata_data", "map", "variable_types", "varnames", "sortlist", "formats",
        "value_label_names", "variable_labels", "characteristics", "data", "strls",
        "value_labels", "stata_data_close", "end-of-file")


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_text(dtype: str) -> bool:
    return dtype == "VARCHAR" or dtype.endswith("[]")


def convert(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """The columns as the Stata export hands them to pandas: times as naive UTC
    datetimes, booleans as nullable 0/1, texts and lists as text with missing as ''."""
    for col, dtype in types.items():
        series = frame[col]
        if dtype == "TIMESTAMP WITH TIME ZONE":
            frame[col] = pd.to_datetime(series, utc=True).dt.tz_localize(None)
        elif dtype == "DATE":
            frame[col] = pd.to_datetime(series)
        elif dtype == "BOOLEAN":
            frame[col] = series.astype("boolean").astype("Int8")
        elif _is_text(dtype):
            frame[col] = series.astype("object").where(series.notna(), "").astype(str)
    return frame


def dates_of(types: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    """Stata date formats of the time and date columns, by Stata name."""
    return {names[c]: ("tc" if t == "TIMESTAMP WITH TIME ZONE" else "td")
            for c, t in types.items() if t in ("TIMESTAMP WITH TIME ZONE", "DATE")}


def _chunks(con, sql: str):
    """The rows of ``sql`` as frames of :data:`CHUNK_VECTORS` vectors (on ``con`` itself:
    the export's temporary tables are its own)."""
    con.execute(sql)
    while len(frame := con.fetch_df_chunk(CHUNK_VECTORS)):
        yield frame


def _extremes(con, parts: list[str], types: dict[str, str]) -> tuple[int, pd.DataFrame]:
    """The rows of ``parts`` (queries whose rows follow each other) and a frame of three
    rows standing for their columns: the least and the greatest value (a text column:
    its longest text, twice), then a missing value where the column has one (else the
    least again). Given to pandas' Stata writer, it picks the types that the whole table
    would get. A table without rows: its empty frame.

    Each part is measured on its own (a query's ORDER BY is not dropped under an
    aggregate: measured at once, the posts export would sort every post in one go),
    into a temporary table of one row per part, then those rows together."""
    first, second = ["count(*) AS n"], ["sum(n) AS n"]
    rows: list[list[str]] = [[], [], []]
    lists = []
    for i, (col, dtype) in enumerate(types.items()):
        q = f"q.{_sql_name(col)}"
        first.append(f"count(*) > count({q}) AS m{i}")
        second.append(f"bool_or(m{i}) AS m{i}")
        if dtype == "VARCHAR":
            first.append(f"arg_max({q}, strlen({q})) AS a{i}")
            second.append(f"arg_max(a{i}, strlen(a{i})) AS a{i}")
            lo = hi = f"a{i}"
        elif dtype.endswith("[]"):
            lists.append(col)
            first.append(f"any_value({q}) AS a{i}")
            second.append(f"any_value(a{i}) AS a{i}")
            lo = hi = f"a{i}"
        else:
            first += [f"min({q}) AS a{i}", f"max({q}) AS b{i}"]
            second += [f"min(a{i}) AS a{i}", f"max(b{i}) AS b{i}"]
            lo, hi = f"a{i}", f"b{i}"
        alias = _sql_name(col)
        rows[0].append(f"{lo} AS {alias}")
        rows[1].append(f"{hi} AS {alias}")
        rows[2].append(f"CASE WHEN m{i} THEN NULL ELSE {lo} END AS {alias}")
    try:
        for k, part in enumerate(parts):
            select = f"SELECT {', '.join(first)} FROM ({part}) q"
            con.execute("CREATE OR REPLACE TEMP TABLE _gw_stata_parts AS " + select if k == 0
                        else "INSERT INTO _gw_stata_parts " + select)
        con.execute("CREATE OR REPLACE TEMP TABLE _gw_stata_extremes AS "
                    f"SELECT {', '.join(second)} FROM _gw_stata_parts")
        n = con.execute("SELECT n FROM _gw_stata_extremes").fetchone()[0]
        if not n:
            return 0, con.execute(f"SELECT * FROM ({parts[0]}) q LIMIT 0").df()
        frame = con.execute(" UNION ALL ".join(
            f"SELECT {', '.join(r)} FROM _gw_stata_extremes" for r in rows)).df()
    finally:
        con.execute("DROP TABLE IF EXISTS _gw_stata_parts")
        con.execute("DROP TABLE IF EXISTS _gw_stata_extremes")
    for col in lists:  # its text as written is Python's: measured on the column alone
        longest = ""
        for part in parts:
            for chunk in _chunks(con, f"SELECT q.{_sql_name(col)} FROM ({part}) q"):
                text = convert(chunk, {col: types[col]})[col]
                lengths = text.str.encode("utf-8").str.len()
                if len(lengths) and lengths.max() > len(longest.encode("utf-8")):
                    longest = text.iloc[int(lengths.argmax())]
        frame[col] = pd.Series([longest] * 3, dtype=object)
    return int(n), frame


def _pad(text: str | bytes, size: int) -> bytes:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return raw + b"\x00" * (size - len(raw))


def _tag(value: bytes, tag: str) -> bytes:
    return f"<{tag}>".encode() + value + f"</{tag}>".encode()


def _stata_time(values: pd.Series, fmt: str) -> np.ndarray:
    """Milliseconds (``tc``) or days (``td``) since 1960 as Stata doubles, as
    ``to_stata`` computes them; a missing time is Stata's missing value."""
    stamps = values.to_numpy(dtype="datetime64[ms]", copy=True)
    missing = np.isnat(stamps)
    delta = (stamps - _EPOCH).astype(np.int64)
    out = (delta.astype(np.float64) if fmt == "tc"
           else np.floor_divide(delta, float(_MS_PER_DAY)))
    out[missing] = _MISSING[DOUBLE]
    return out


def write(con, sql: str, parts: list[str] | None, types: dict[str, str],
          names: dict[str, str], labels: dict[str, str], data_label: str,
          out: Path) -> int:
    """Write the rows of ``sql`` (or of ``parts``, its slices in order) to ``out`` as a
    .dta file: variables named ``names`` (column -> Stata name), labelled ``labels``
    (by Stata name). Returns the rows written."""
    from pandas.io.stata import StataWriterUTF8

    parts = parts or [sql]
    n, extremes = _extremes(con, parts, types)
    proxy = convert(extremes, types).rename(columns=names)
    dates = dates_of(types, names)
    strl = [names[c] for c in types if _is_text(types[c])
            and proxy[names[c]].str.encode("utf-8").str.len().max(skipna=True) > STR_MAX]
    # pandas decides each variable's storage type and display format (and checks the
    # names, labels and values) as to_stata would for the whole table
    decided = StataWriterUTF8(io.BytesIO(), proxy, convert_dates=dict(dates), write_index=False,
                              variable_labels=labels, convert_strl=strl, version=VERSION,
                              data_label=data_label)
    varlist, typlist, fmtlist = decided.varlist, decided.typlist, decided.fmtlist
    columns = list(types)
    record = np.dtype([(f"v{i}", f"S{t}" if t <= STR_MAX else _RECORD[t])
                       for i, t in enumerate(typlist)])
    strls = out.with_name(out.name + ".strls")
    offsets: dict[str, int] = dict.fromkeys(_MAP, 0)
    written = 0
    try:
        with open(out, "wb") as f, open(strls, "w+b") as side:
            f.write(b"<stata_dta>")
            f.write(_header(len(varlist), n, data_label))
            offsets["map"] = f.tell()
            f.write(_map(offsets))
            for key, body in (
                ("variable_types", b"".join(struct.pack("<H", t) for t in typlist)),
                ("varnames", b"".join(_pad(v, 129) for v in varlist)),
                ("sortlist", b"\x00" * 2 * (len(varlist) + 1)),
                ("formats", b"".join(_pad(v, 57) for v in fmtlist)),
                ("value_label_names", b"\x00" * 129 * len(varlist)),
                ("variable_labels", b"".join(_pad(labels.get(v, ""), 321) for v in varlist)),
                ("characteristics", b""),
            ):
                offsets[key] = f.tell()
                f.write(_tag(body, key))
            offsets["data"] = f.tell()
            f.write(b"<data>")
            for part in parts:
                for chunk in _chunks(con, part):
                    frame = convert(chunk, types)
                    f.write(_rows(frame, columns, typlist, varlist, dates, record, written,
                                  side))
                    written += len(frame)
            f.write(b"</data>")
            if written != n:
                raise OutputError(out, f"the export's query gave {written:,} rows, "
                                  f"{n:,} when its columns were measured")
            offsets["strls"] = f.tell()
            f.write(b"<strls>")
            side.seek(0)
            while block := side.read(1 << 20):
                f.write(block)
            f.write(b"</strls>")
            offsets["value_labels"] = f.tell()
            f.write(_tag(b"", "value_labels"))
            offsets["stata_data_close"] = f.tell()
            f.write(b"</stata_dta>")
            offsets["end-of-file"] = f.tell()
            f.seek(offsets["map"])
            f.write(_map(offsets))
    finally:
        strls.unlink(missing_ok=True)
    return written


def _header(nvar: int, nobs: int, label: str) -> bytes:
    now = datetime.now()  # noqa: DTZ005 (Stata's time stamp is local, as to_stata's)
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    stamp = f"{now:%d} {months[now.month - 1]} {now:%Y %H:%M}".encode()
    text = label[:80].encode("utf-8")
    return _tag(
        _tag(str(VERSION).encode(), "release") + _tag(b"LSF", "byteorder")
        + _tag(struct.pack("<H", nvar), "K") + _tag(struct.pack("<Q", nobs), "N")
        + _tag(struct.pack("<H", len(text)) + text, "label")
        + _tag(b"\x11" + stamp, "timestamp"),
        "header")


def _map(offsets: dict[str, int]) -> bytes:
    return _tag(b"".join(struct.pack("<Q", offsets[k]) for k in _MAP), "map")


def _rows(frame: pd.DataFrame, columns: list[str], typlist: list[int], varlist: list[str],
          dates: dict[str, str], record: np.dtype, before: int, side) -> bytes:
    """The bytes of ``frame``'s rows (rows ``before`` + 1, ... of the file); the texts
    of its strL variables are appended to ``side`` as Stata's GSO entries."""
    rows = np.zeros(len(frame), dtype=record)
    for i, (col, typ, name) in enumerate(zip(columns, typlist, varlist, strict=True)):
        series = frame[col]
        field = f"v{i}"
        if typ <= STR_MAX:
            rows[field] = series.str.encode("utf-8").to_numpy(dtype=object)
        elif typ == STRL:
            rows[field] = _strls(series, i + 1, before, side)
        elif name in dates:
            rows[field] = _stata_time(series, dates[name])
        elif typ in (FLOAT, DOUBLE):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
            values[np.isnan(values)] = _MISSING[typ]
            rows[field] = values
        else:
            missing = series.isna().to_numpy()
            values = series.to_numpy(dtype=np.float64, na_value=0).astype(_RECORD[typ])  # a copy
            values[missing] = _MISSING[typ]
            rows[field] = values
    return rows.tobytes()


def _strls(series: pd.Series, v: int, before: int, side) -> np.ndarray:
    """Each text's (v, o) key (variable ``v``, row o; 0 for ''), its text appended to
    ``side`` as a GSO entry (format 118: v in the key's low 2 bytes, o in the high 6)."""
    keys = np.zeros(len(series), dtype=np.uint64)
    entries = []
    head = b"GSO" + struct.pack("<I", v)
    for j, text in enumerate(series.tolist()):
        if not text:
            continue
        o = before + j + 1
        raw = text.encode("utf-8")
        entries.append(head + struct.pack("<QBI", o, 130, len(raw) + 1) + raw + b"\x00")
        keys[j] = v + (o << 16)
    side.write(b"".join(entries))
    return keys
