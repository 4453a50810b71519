"""Spreadsheet-safe CSV cells: a text that a spreadsheet would run as a formula is
written with a leading apostrophe.

Anyone can post a text starting with ``=HYPERLINK(...)`` or ``@SUM(...)``, name an
event ``+cmd|...``, and journalists open CSVs in spreadsheets, which run such
cells as formulas. Following OWASP's rule, every text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets an apostrophe in
front (spreadsheets show the cell as text and hide the apostrophe).

What is left alone:

- numeric columns (integers, floats, booleans, times): they are written as
  numbers, so ``-3.5`` stays a number;
- a text cell that is a plain number (``-12``, ``+3.5``, ``-1e-3``): a
  spreadsheet reads it as that number, not as a formula, and a prefix would turn
  a number into text;
- everything else, byte for byte.

Every CSV govwatch writes for people (``govwatch export`` data and codebooks, the
dashboard's CSV downloads) goes through this module; ``govwatch export
--raw-csv`` (``raw=True`` here) writes cells unchanged for programs that read
the CSV back.
"""

from __future__ import annotations

import re

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# The same two rules in DuckDB's regular expression syntax (RE2).
_SQL_TRIGGER = r"^[=+\-@\t\r]"
_SQL_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def is_formula(value: str) -> bool:
    """Whether a spreadsheet could run the text ``value`` as a formula."""
    return value.startswith(TRIGGERS) and _NUMBER.fullmatch(value) is None


def cell(value):
    """``value`` as a spreadsheet-safe cell: texts that could run as a formula get
    an apostrophe in front; anything that is not a text is returned unchanged."""
    if isinstance(value, str) and is_formula(value):
        return PREFIX + value
    return value


def frame(df: pd.DataFrame, raw: bool = False) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are spreadsheet-safe (``raw``: ``df`` itself).

    Only columns holding strings are looked at; numbers and times stay as they are.
    """
    if raw or df.empty:
        return df
    out = df.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
            continue
        if col.map(lambda v: isinstance(v, str) and is_formula(v)).any():
            out[name] = col.astype(object).map(cell)
    return out


def sql(expr: str) -> str:
    """A DuckDB SQL expression: the VARCHAR ``expr`` as a spreadsheet-safe cell."""
    return (f"CASE WHEN regexp_matches({expr}, '{_SQL_TRIGGER}') "
            f"AND NOT regexp_matches({expr}, '{_SQL_NUMBER}') "
            f"THEN '{PREFIX}{PREFIX}' || {expr} ELSE {expr} END")
