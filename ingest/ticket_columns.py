"""Ticket CSVs (``tickets-csv``, ``open311-csv``) read in bounded memory, a chunk at a time.

The file is read once, row by row (``csv_records.read_records``), ``BATCH_TICKETS`` rows
at a time. The bulk-update window (``tickets.bulk_window``) needs every ticket of the
file, so each chunk's tickets are spilled to a temporary Parquet file (one row group per
chunk) while only two times per valid ticket (its closure or last-update time, and its
submission) stay in memory; once the window is known, the chunks are read back one at a
time and converted to posts and attributes with the window applied.

A chunk whose cells are all plainly valid (ids and agencies present, texts within the
cap, every time ``YYYY-MM-DD[T ]hh:mm:ss[.ffffff]`` with ``Z`` or an offset, within the
plausible years) is converted column by column; any other chunk goes row by row through
``tickets.ticket_from_row`` (or the Open311 CSV's rule), which says what is wrong with
each bad row. Both give the same tickets; ``tickets.Ticket.records`` is the definition
the columnar conversion follows (tests/test_ticket_columns.py checks they agree).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from govwatch.records import ATTRIBUTE_ARROW_SCHEMA, Batch, Reject, excerpt, posts_frame

from .arrow_cells import clean, plain_times, series, strings
from .base import MAX_TEXT_CHARS, ReadOptions
from .csv_records import read_records
from .tickets import (
    BULK_MIN_SHARE,
    BULK_MIN_SPREAD,
    BULK_MIN_TICKETS,
    BULK_WINDOW,
    CHANNEL,
    TICKET_REQUIRED,
    Ticket,
    TicketRowError,
)

BATCH_TICKETS = 20_000
_TIMES = ("submitted_at", "acknowledged_at", "closed_at", "updated_at")
FRAME_COLUMNS = ("platform", "ticket_id", "agency", "submitted", "text", "category", "status",
                 "ack", "ack_text", "closed", "closed_text", "updated")


def _chunks(path: Path, options: ReadOptions, aliases: dict[str, str],
            progress: Callable[[int], None] | None) -> Iterator[list]:
    rows = read_records(path, options, aliases, TICKET_REQUIRED, progress,
                        " (rename yours with --mapping)")
    while chunk := list(islice(rows, BATCH_TICKETS)):
        yield chunk


def fast_frame(rows: list[dict], default_system: str, open311: bool,
               assume_tz: str | None = None) -> pd.DataFrame | None:
    """The tickets of ``rows`` (dicts keyed by canonical names, all valid) as columns
    (FRAME_COLUMNS), or None when a cell needs the row-by-row checks."""
    def col(name: str) -> list:
        return [r.get(name) for r in rows]

    tid, agency, category = clean(col("ticket_id")), clean(col("agency")), clean(col("category"))
    if open311:
        agency = pc.coalesce(agency, category)
    if tid.null_count or agency.null_count:
        return None
    text = pc.fill_null(strings(col("text")), "")
    if len(text) and pc.max(pc.utf8_length(text)).as_py() > MAX_TEXT_CHARS:
        return None
    times = {}
    for name in _TIMES:
        if name == "updated_at" and not open311:
            continue
        t = plain_times(col(name), assume_tz)
        if t is None:
            return None
        times[name] = t
    if times["submitted_at"].null_count:
        return None
    status = pc.utf8_lower(clean(col("status")))
    closed = times["closed_at"]
    updated = pa.nulls(len(rows), pa.timestamp("us", tz="UTC"))
    if open311:  # a closed request's last update stands for its closure (open311._csv_ticket)
        use = pc.and_(pc.fill_null(pc.equal(status, "closed"), False), pc.is_null(closed))
        updated = pc.if_else(use, times["updated_at"], updated)
    platform = pc.utf8_lower(pc.fill_null(clean(col("system")), default_system))
    cols = {"platform": platform, "ticket_id": tid, "agency": agency,
            "submitted": times["submitted_at"], "text": text, "category": category,
            "status": status, "ack": times["acknowledged_at"],
            "ack_text": clean(col("acknowledgement_text")), "closed": closed,
            "closed_text": clean(col("closure_text")), "updated": updated}
    return pd.DataFrame({c: series(cols[c]) for c in FRAME_COLUMNS})


def tickets_frame(tickets: list[Ticket]) -> pd.DataFrame:
    """Tickets from the row path as the columns of :func:`fast_frame`."""
    def times(attr: str) -> pd.Series:
        return pd.Series(pd.to_datetime([getattr(t, attr) for t in tickets], utc=True),
                         dtype="datetime64[us, UTC]")

    return pd.DataFrame({
        "platform": pd.Series([t.platform for t in tickets], dtype=object),
        "ticket_id": pd.Series([t.ticket_id for t in tickets], dtype=object),
        "agency": pd.Series([t.agency for t in tickets], dtype=object),
        "submitted": times("submitted_at"),
        "text": pd.Series([t.text for t in tickets], dtype=object),
        "category": pd.Series([t.category for t in tickets], dtype=object),
        "status": pd.Series([t.status for t in tickets], dtype=object),
        "ack": times("ack_at"), "ack_text": pd.Series([t.ack_text for t in tickets], dtype=object),
        "closed": times("closed_at"),
        "closed_text": pd.Series([t.closed_text for t in tickets], dtype=object),
        "updated": times("updated_at")}, columns=list(FRAME_COLUMNS))


def _convert(chunk: list, options: ReadOptions, row_ticket: Callable[[dict, ReadOptions], Ticket],
             default_system: str, open311: bool) -> tuple[pd.DataFrame, list[Reject], int]:
    """(tickets as columns, rejects, rows read) of one chunk of read_records output."""
    rejects = [row for _, row, _ in chunk if isinstance(row, Reject)]
    good = [(line, row, fields) for line, row, fields in chunk if not isinstance(row, Reject)]
    frame = (fast_frame([row for _, row, _ in good], default_system, open311,
                        options.assume_tz) if good else None)
    if frame is None:
        tickets = []
        for line, row, fields in good:
            try:
                tickets.append(row_ticket(row, options))
            except TicketRowError as exc:
                rejects.append(Reject(f"line {line}, column {exc.column}", str(exc),
                                      excerpt(",".join(fields))))
        rejects.sort(key=lambda r: int(r.locator.split()[1].rstrip(",")))
        frame = tickets_frame(tickets)
    return frame, rejects, len(chunk)


def bulk_window_of(closure: np.ndarray, submitted: np.ndarray, tickets: int
                   ) -> tuple[int, int] | None:
    """tickets.bulk_window on microsecond arrays (closure times where there is one, and
    those tickets' submission times; ``tickets`` valid tickets in all)."""
    if len(closure) < BULK_MIN_TICKETS:
        return None
    order = np.lexsort((submitted, closure))
    c, s = closure[order], submitted[order]
    window = int(BULK_WINDOW / pd.Timedelta(microseconds=1))
    first = np.searchsorted(c, c - window, side="left")
    counts = np.arange(len(c)) - first + 1
    i = int(np.argmax(counts))
    best, best_i = int(counts[i]), int(first[i])
    if best < BULK_MIN_TICKETS or best < BULK_MIN_SHARE * tickets:
        return None
    inside = np.sort(s[best_i: best_i + best])
    spread = inside[int(0.9 * (best - 1))] - inside[int(0.1 * (best - 1))]
    if spread < int(BULK_MIN_SPREAD / pd.Timedelta(microseconds=1)):
        return None
    return int(c[best_i]), int(c[best_i + best - 1])


def _us(t: pd.Series) -> np.ndarray:
    return t.astype("int64").to_numpy()


def records_of(frame: pd.DataFrame, window: tuple[int, int] | None
               ) -> tuple[pd.DataFrame, pa.Table]:
    """Posts and attributes of the tickets in ``frame``, as ``Ticket.records`` makes them
    after ``apply_bulk_window`` (with ``window``, in microseconds)."""
    f = frame.reset_index(drop=True)
    closed, updated, sub, ack = f["closed"], f["updated"], f["submitted"], f["ack"]
    flag = pd.Series(None, index=f.index, dtype=object)
    if window is None:
        closed = closed.where(closed.notna(), updated)
    else:
        lo, hi = (pd.Timestamp(v, unit="us", tz="UTC") for v in window)
        flag[closed.notna() & (closed >= lo) & (closed <= hi)] = "bulk_update"
        in_bulk = closed.isna() & updated.notna() & (updated >= lo) & (updated <= hi)
        flag[in_bulk] = "bulk_update"
        closed = closed.where(closed.notna() | in_bulk, updated)
    early_ack = ack.notna() & (ack <= sub)
    flag[early_ack & flag.isna()] = "acknowledged_before_request"
    ack = ack.where(~early_ack)
    early_close = closed.notna() & (closed <= sub)
    flag[early_close & flag.isna()] = "closed_before_request"
    closed = closed.where(~early_close)
    has_ack = ack.notna() & (closed.isna() | (ack < closed))
    has_closed = closed.notna()
    requester = "requester-" + f["ticket_id"]
    n = len(f)
    parts = [
        pd.DataFrame({"i": np.arange(n), "o": 0, "post_id": f["ticket_id"],
                      "author": requester, "created_at": sub, "text": f["text"], "kind": "post",
                      "in_reply_to_post_id": None, "in_reply_to_author": f["agency"],
                      "status": f["status"], "flag": flag}),
        pd.DataFrame({"i": np.arange(n), "o": 1, "post_id": f["ticket_id"] + "#ack",
                      "author": f["agency"], "created_at": ack, "text": f["ack_text"].fillna(""),
                      "kind": "reply", "in_reply_to_post_id": f["ticket_id"],
                      "in_reply_to_author": requester, "status": "acknowledged",
                      "flag": None})[has_ack.to_numpy()],
        pd.DataFrame({"i": np.arange(n), "o": 2, "post_id": f["ticket_id"] + "#closed",
                      "author": f["agency"], "created_at": closed,
                      "text": f["closed_text"].fillna(""), "kind": "reply",
                      "in_reply_to_post_id": f["ticket_id"], "in_reply_to_author": requester,
                      "status": "closed", "flag": None})[has_closed.to_numpy()],
    ]
    rows = pd.concat(parts, ignore_index=True).sort_values(["i", "o"], kind="stable")
    platform, category = f["platform"].to_numpy()[rows["i"]], f["category"].to_numpy()[rows["i"]]
    posts = posts_frame([])  # the canonical columns and types
    posts = pd.DataFrame({c: posts[c] for c in posts.columns}).reindex(range(len(rows)))
    posts["platform"] = platform
    for c in ("post_id", "author", "text", "kind", "in_reply_to_post_id", "in_reply_to_author"):
        posts[c] = rows[c].to_numpy()
    posts["created_at"] = rows["created_at"].astype("datetime64[us, UTC]").array
    posts["created_at_derived"] = False
    posts["mentions"] = [[] for _ in range(len(rows))]
    attrs = pa.table({"platform": pa.array(platform, pa.string(), from_pandas=True),
                      "post_id": pa.array(rows["post_id"].to_numpy(), pa.string(), from_pandas=True),
                      "channel": pa.array([CHANNEL] * len(rows), pa.string(), from_pandas=True),
                      "rating": pa.nulls(len(rows), pa.int64()),
                      "status": pa.array(rows["status"].to_numpy(), pa.string(), from_pandas=True),
                      "category": pa.array(category, pa.string(), from_pandas=True),
                      "flag": pa.array(rows["flag"].to_numpy(), pa.string(), from_pandas=True)},
                     schema=ATTRIBUTE_ARROW_SCHEMA)
    return posts, attrs


_TS = pa.timestamp("us", tz="UTC")
SPILL_SCHEMA = pa.schema([(c, _TS if c in ("submitted", "ack", "closed", "updated")
                           else pa.string()) for c in FRAME_COLUMNS])


def _from_spill(table: pa.Table) -> pd.DataFrame:
    return pd.DataFrame({c: series(table.column(c).combine_chunks()) for c in FRAME_COLUMNS})


def read_ticket_columns(path: Path, options: ReadOptions, aliases: dict[str, str],
                        row_ticket: Callable[[dict, ReadOptions], Ticket], default_system: str,
                        open311: bool, progress: Callable[[int], None] | None
                        ) -> Iterator[Batch]:
    """Batches of a tickets CSV (see the module docstring): each chunk is converted once
    and spilled to a temporary Parquet file (one row group per chunk) until the
    bulk-update window is known, then read back a chunk at a time."""
    closure, submitted, valid, held = [], [], 0, []
    with tempfile.TemporaryDirectory(prefix="govwatch-tickets-") as tmp:
        spill = Path(tmp) / "tickets.parquet"
        with pq.ParquetWriter(spill, SPILL_SCHEMA) as writer:
            for chunk in _chunks(path, options, aliases, progress):
                frame, rejects, rows = _convert(chunk, options, row_ticket, default_system,
                                                open311)
                if len(frame):
                    writer.write_table(pa.Table.from_pandas(frame, SPILL_SCHEMA,
                                                            preserve_index=False),
                                       row_group_size=len(frame))
                held.append((rejects, rows, len(frame)))
                valid += len(frame)
                end = frame["closed"].where(frame["closed"].notna(), frame["updated"])
                timed = end.notna()
                closure.append(_us(end[timed]))
                submitted.append(_us(frame["submitted"][timed]))
        window = bulk_window_of(np.concatenate(closure) if closure else np.array([], "int64"),
                                np.concatenate(submitted) if submitted
                                else np.array([], "int64"), valid)
        stored = pq.ParquetFile(spill)
        group = 0
        for rejects, rows, n in held:
            if not n:
                yield Batch(rejects=rejects, rows_read=rows)
                continue
            frame = _from_spill(stored.read_row_group(group))
            group += 1
            posts, attrs = records_of(frame, window)
            yield Batch(posts=posts, attributes=attrs, rejects=rejects, rows_read=rows)
        stored.close()
    if not held:  # a header and nothing else
        yield Batch()
