"""Reading a hand-writable CSV file fast: Arrow's C++ parser, line numbers only when needed.

:func:`iter_record_batches` streams a CSV file as Arrow record batches of raw bytes
(one column per header field) with, for each row, its record number (the header is
record 1; blank lines are not records). It splits records exactly as Python's
``csv.reader`` does (quoted newlines, doubled quotes, a stray quote inside a field);
rows with the wrong number of fields come back as rejects. Physical line numbers are
found only for the rows that are rejected, by :class:`LineFinder`, a ``csv.reader``
that moves forward through the file once.

Should Arrow stop on something it cannot parse, :func:`iter_record_batches` raises
:class:`Unparsed` naming the first record it did not deliver, and the caller carries
on from there with the ``csv`` module (see ``ingest/csv_posts.py``).
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from govwatch.records import Reject, excerpt

from .base import _CountingRaw, open_text
from .tabular import CUT_REASON, Oversized, csv_records, file_cut_short, swallowed_record

# Bytes parsed at a time; a record longer than this is read by the csv module instead.
# Larger blocks make Arrow's allocator hold on to memory in proportion to the file.
BLOCK_BYTES = 1 << 20


class Unparsed(Exception):
    """Arrow could not go on; ``record`` is the first record not delivered."""

    def __init__(self, record: int):
        super().__init__(record)
        self.record = record


@dataclass
class RawBatch:
    batch: pa.RecordBatch  # binary columns c0..cN, one per header field
    records: np.ndarray  # record number of each row
    rejects: list[Reject]  # rows of the wrong width, located as "record N" (see LineFinder)
    rows_read: int


def iter_record_batches(
    path: Path, width: int, progress: Callable[[int], None] | None = None,
    rows: int = 50_000, is_record: Callable[[list[str]], bool] | None = None,
) -> Iterator[RawBatch]:
    """Batches of about ``rows`` rows (blocks of the file put together).

    A record that spans lines of which one, after the first, ``is_record`` on its own
    (a quote left open took in the records after it) stops the batches there: Arrow
    cannot split it again, the csv module does (see ``tabular.checked_rows``).
    """
    return map(join_blocks, iter_block_runs(path, width, progress, rows, is_record))


def iter_block_runs(
    path: Path, width: int, progress: Callable[[int], None] | None = None,
    rows: int = 50_000, is_record: Callable[[list[str]], bool] | None = None,
) -> Iterator[list[RawBatch]]:
    """The blocks of each batch of :func:`iter_record_batches`, not yet put together
    (:func:`join_blocks` does it, in the thread that converts the batch)."""
    parts: list[RawBatch] = []
    try:
        for part in _iter_blocks(path, width, progress, is_record):
            parts.append(part)
            if sum(p.batch.num_rows for p in parts) >= rows:
                yield parts
                parts = []
    except Unparsed:
        if parts:  # what was read before Arrow stopped
            yield parts
        raise
    if parts:
        yield parts


def join_blocks(parts: list[RawBatch]) -> RawBatch:
    """Blocks read one after the other, as one batch."""
    if len(parts) == 1:
        return parts[0]
    table = pa.Table.from_batches([p.batch for p in parts]).combine_chunks()
    batch = table.to_batches()[0] if table.num_rows else parts[0].batch
    return RawBatch(batch, np.concatenate([p.records for p in parts]),
                    [r for p in parts for r in p.rejects], sum(p.rows_read for p in parts))


def _iter_blocks(
    path: Path, width: int, progress: Callable[[int], None] | None = None,
    is_record: Callable[[list[str]], bool] | None = None,
) -> Iterator[RawBatch]:
    invalid: list[tuple[int, int, str]] = []

    def on_invalid(row) -> str:
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    names = [f"c{i}" for i in range(width)]
    raw = io.BufferedReader(_Utf8Only(_CountingRaw(open(path, "rb", buffering=0), progress)),
                            1 << 20)
    next_record = 2  # the header is record 1
    held = None  # the batch read last, given out once it is known not to be the file's last
    try:
        try:
            reader = pacsv.open_csv(
                raw,
                read_options=pacsv.ReadOptions(use_threads=False, block_size=BLOCK_BYTES,
                                               column_names=names, skip_rows=1),
                parse_options=pacsv.ParseOptions(newlines_in_values=True,
                                                  invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.binary() for n in names},
                    strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, OSError):
            raise Unparsed(next_record) from None
        while True:
            try:
                rb = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, OSError):
                if held is not None:
                    yield held
                    held = None
                raise Unparsed(next_record) from None
            bad = sorted(invalid)
            invalid.clear()
            numbers = np.array([b[0] for b in bad], dtype=np.int64)
            span = np.arange(next_record, next_record + rb.num_rows + len(bad), dtype=np.int64)
            records = np.setdiff1d(span, numbers, assume_unique=True) if len(bad) else span
            next_record += rb.num_rows + len(bad)
            stop = None if is_record is None else _first_swallowing(rb, records, bad, width,
                                                                    is_record)
            if stop is not None:  # deliver the records before it; the csv module goes on
                keep = int(np.searchsorted(records, stop))
                rb, records = rb.slice(0, keep), records[:keep]
                bad = [b for b in bad if b[0] < stop]
            rejects = []
            for number, found, text in bad:
                if found == 1 and not text.strip():
                    continue  # a line of blanks: not a row
                rejects.append(Reject(f"line {number}", f"expected {width} fields as in the "
                                      f"header, found {found}", excerpt(text)))
            if held is not None:
                yield held
            held = RawBatch(rb, records, rejects, rb.num_rows + len(rejects))
            if stop is not None:
                yield held
                held = None
                raise Unparsed(stop)
        if held is not None:
            yield _reject_cut_row(held) if file_cut_short(path) else held
    finally:
        raw.close()


class _Utf8Only(io.RawIOBase):
    """The bytes of ``raw`` as long as they are valid UTF-8; an OSError where they stop
    being so. Arrow hands the text of a row of the wrong width to the invalid-row
    handler decoded as UTF-8, and a row holding invalid UTF-8 would fail inside Arrow
    (an exception Python can only print, not catch); stopped here instead, Arrow raises
    and the csv module reads on from the first record not delivered, rejecting just the
    rows holding invalid bytes."""

    def __init__(self, raw: io.RawIOBase):
        self._raw = raw
        self._carry = b""  # the start of a character whose other bytes come next

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(b)
        data = self._carry + bytes(memoryview(b)[:n])
        if n == 0:
            if data:
                raise OSError("invalid UTF-8 at the end of the file")
            return 0
        if data.isascii():
            self._carry = b""
            return n
        cut = _complete_prefix(data)
        if not _is_utf8(data[:cut]):
            raise OSError("invalid UTF-8")
        self._carry = data[cut:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def _complete_prefix(data: bytes) -> int:
    """The length of ``data`` without the bytes of a last character whose other bytes are
    still to come (a lead byte followed by fewer continuation bytes than it announces)."""
    end = len(data)
    i = end - 1
    while i >= max(0, end - 4) and data[i] & 0xC0 == 0x80:  # continuation bytes
        i -= 1
    if i < 0 or data[i] < 0xC0:
        return end
    need = 2 if data[i] < 0xE0 else 3 if data[i] < 0xF0 else 4
    return i if end - i < need else end


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, as Python's strict decoder judges it (surrogates
    and overlong forms refused), checked by Arrow without making a str of it."""
    if not data:
        return True
    offsets = np.array([0, len(data)], np.int32)
    text = pa.StringArray.from_buffers(1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _reject_cut_row(part: RawBatch) -> RawBatch:
    """The file's last batch with its last record, when it is a row, rejected: the file
    ends inside that row (see ``tabular.cut_short``)."""
    last_bad = max((int(r.locator.split()[-1]) for r in part.rejects), default=0)
    n = part.batch.num_rows
    if not n or int(part.records[-1]) < last_bad:
        return part
    cells = [part.batch.column(i)[n - 1].as_py() for i in range(part.batch.num_columns)]
    text = b",".join(cells).decode("utf-8", "replace")
    reject = Reject(f"line {int(part.records[-1])}", CUT_REASON, excerpt(text))
    return RawBatch(part.batch.slice(0, n - 1), part.records[:-1], [*part.rejects, reject],
                    part.rows_read)


def _first_swallowing(rb: pa.RecordBatch, records: np.ndarray, bad: list[tuple[int, int, str]],
                      width: int, is_record: Callable[[list[str]], bool]) -> int | None:
    """The first record of the batch (or of its rejected rows) holding a line break
    followed by a line that is a record of its own, or None. Only cells holding a line
    break and as many commas as a record are looked at one by one."""
    found = [n for n, _, text in bad if "\n" in text.rstrip("\r\n")
             and swallowed_record(text.split("\n"), width, is_record) is not None]
    for col in rb.columns:
        data, offsets, rows = _swallowing_candidates(col, width)
        for r in rows:
            cell = data[offsets[r]:offsets[r + 1]].tobytes()
            if swallowed_record(cell.decode("utf-8", "surrogateescape").split("\n"), width,
                                is_record) is not None:
                found.append(int(records[r]))
                break
    return min(found) if found else None


def _swallowing_candidates(col: pa.Array, width: int):
    """(data bytes, offsets, rows) of a binary column: the rows whose cell holds a line
    break and at least the commas of one record, found with NumPy over its buffers."""
    none = None, None, ()
    data = col.buffers()[2]
    if data is None or not len(col):
        return none
    data = np.frombuffer(data, np.uint8)
    breaks = np.flatnonzero(data == 10)
    if not len(breaks):
        return none
    offsets = np.frombuffer(col.buffers()[1], np.int32, count=len(col) + 1, offset=col.offset * 4)
    rows = np.unique(np.searchsorted(offsets, breaks, side="right") - 1)
    rows = rows[(rows >= 0) & (rows < len(col))]
    commas = np.searchsorted(np.flatnonzero(data == 44), offsets)  # commas before each cell
    return data, offsets, rows[commas[rows + 1] - commas[rows] >= width - 1]


class LineFinder:
    """Record number -> the physical line it starts on, found by reading forward."""

    def __init__(self, path: Path):
        self._f: io.TextIOBase | None = None
        self._lock = threading.Lock()
        self._path = path
        self.record = 0
        self._last = 0
        self._start = 0

    def line(self, record: int) -> int:
        if self._f is None or record < self.record:
            self.close()
            self._f = open_text(self._path)
            self._source, self._reader = csv_records(self._f)
            self.record = self._last = self._start = 0
        while self.record < record:
            self._source.start_record()
            try:
                row = next(self._reader)
            except StopIteration:
                return self._last + 1
            except csv.Error:
                row = ["?"]
            except Oversized:
                self._source.skip_record()
                row = ["?"]
            self._start, self._last = self._last + 1, self._source.line
            if row:
                self.record += 1
        return self._start

    def relocate(self, rejects: list[Reject]) -> list[Reject]:
        """Rejects located as 'line <record>' -> their first physical line, in line order.
        Call it in file order: the finder reads forward, and an earlier record makes it
        read the file again from the start. It locks, so a thread may call it too."""
        with self._lock:
            return self._relocate(rejects)

    def _relocate(self, rejects: list[Reject]) -> list[Reject]:
        records = sorted({int(r.locator.split()[-1]) for r in rejects})
        lines = {rec: self.line(rec) for rec in records}
        out = [Reject(f"line {lines[int(r.locator.split()[-1])]}", r.reason, r.excerpt)
               for r in rejects]
        return sorted(out, key=lambda r: int(r.locator.split()[-1]))

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None
