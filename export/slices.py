"""The posts export written in slices of time, so its sort does not grow with the store.

The posts export orders every post by (platform, created_at, post_id) and joins each
with its thread account, mentions, tags and pseudonyms. As one query, DuckDB held the
sort of every row (texts included) and every join at once: about 0.8 GB of buffers per
million posts, so a store of ten million would pass the memory cap and spill. Written in
slices of at most ``SLICE_ROWS`` posts (per platform, consecutive ranges of
``created_at`` cut at its quantiles, then the posts without a time), each slice is
sorted on its own and the slices follow each other in the export's order: the rows and
their order are those of the single query, and the sort of the rows never holds more
than one slice. Every joined column (thread account, pseudonyms, mentions, tags) is first put in
one table of the exported posts (``_gw_post_extra``, each row numbered by its slice by
:func:`number`), so each slice joins its posts with its own rows of it, not with every
post. The query of each slice is the export's own query with the slice's condition
(:data:`SLICE_MARK` in its template).

The table of joined columns is built over every post in two steps, each holding one of
the large joins (the tags; the thread accounts and the mentions, which are grouped a
million posts at a time: ``govwatch.export.queries._Chunked``), in no order. Built in one
query and sorted by slice, it held every join's table and the sort at once and ran out
of DuckDB's memory at the default cap on an analysed store of 10,000,000 posts; in steps,
each join can spill on its own. Its rows name their posts by row id in ``posts``
(``x.r``), so each slice joins ``posts`` with them on one integer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime

SLICE_ROWS = 1_000_000
SLICE_MARK = "__GOVWATCH_SLICE__"  # replaced by a slice's condition (TRUE: every post)
SLICE_NUMBER = "__GOVWATCH_SLICE_NUMBER__"  # replaced by the SQL of a post's slice number


def _literal(value: str | datetime) -> str:
    if isinstance(value, datetime):
        return f"TIMESTAMPTZ '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def conditions(con, rows: int | None = None, alias: str = "p") -> list[str]:
    """SQL conditions on ``posts`` (as ``alias``), one per slice, in the export's order
    (platform, created_at, NULL times last); each holds at most about ``rows`` posts
    (default :data:`SLICE_ROWS`)
    (more only when that many share one time). One slice, ``TRUE``, for a store of at
    most ``rows`` posts."""
    rows = rows or SLICE_ROWS
    counts = con.execute("SELECT platform, count(*) FROM posts GROUP BY platform "
                         "ORDER BY platform").fetchall()
    if sum(n for _, n in counts) <= rows:
        return ["TRUE"]
    out = []
    for platform, n in counts:
        where = (f"{alias}.platform = {_literal(platform)}" if platform is not None
                 else f"{alias}.platform IS NULL")
        timed = con.execute(f"SELECT count(created_at) FROM posts {alias} WHERE {where}"
                            ).fetchone()[0]
        parts = math.ceil(timed / rows) if timed else 0
        cuts: list[datetime] = []
        if parts > 1:
            qs = [i / parts for i in range(1, parts)]
            found = con.execute(f"SELECT quantile_disc(created_at, {qs}) FROM posts {alias} "
                                f"WHERE {where}").fetchone()[0]
            cuts = sorted(set(found))
        edges = [None, *cuts, None]
        for lo, hi in zip(edges, edges[1:], strict=False):
            if not timed:
                break
            cond = [where, f"{alias}.created_at IS NOT NULL"]
            if lo is not None:
                cond.append(f"{alias}.created_at >= {_literal(lo)}")
            if hi is not None:
                cond.append(f"{alias}.created_at < {_literal(hi)}")
            out.append(" AND ".join(cond))
        if timed < n:
            out.append(f"{where} AND {alias}.created_at IS NULL")
    return out


def number(slice_conditions: list[str]) -> str:
    """SQL of each post's slice number (0, 1, ...), from :func:`conditions`."""
    if len(slice_conditions) <= 1:
        return "0"
    return ("CASE " + " ".join(f"WHEN {c} THEN {i}" for i, c in enumerate(slice_conditions))
            + " END")


def queries(template: str, slice_conditions: list[str]) -> Iterator[str]:
    """The export's query of each slice: its rows of the posts and of the table of their
    joined columns (``x``, each row numbered by its slice)."""
    for i, cond in enumerate(slice_conditions):
        yield template.replace(SLICE_MARK, f"x.slice = {i} AND ({cond})")
