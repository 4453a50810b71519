"""Shared machinery for hand-writable CSV files: chunked reading with line numbers,
header mapping, and vectorised validation helpers that turn bad cells into rejects."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govwatch.errors import InputError
from govwatch.records import Reject, excerpt

from .base import has_bad_utf8, open_text
from .sniffers import sniff_header  # noqa: F401 (the CSV readers' header test)
from .times import (
    DATE_ONLY,
    EARLIEST,
    LATEST,
    OFFSET,
    ambiguous_reason,
    implausible,
    nonexistent_reason,
)

if TYPE_CHECKING:
    import pandas as pd

# Let the row validator, not the csv module, decide what is too long.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))



# More columns than any export has: such a header is refused before any row is read.
MAX_COLUMNS = 1_000
# Why the last row of a file that ends inside it is rejected (see cut_short).
CUT_REASON = ("the file ends inside this row (no line break after it): it may be cut short, "
              "its last value with it; if the file is whole, end it with a line break")


@dataclass
class Chunk:
    """Rows of a CSV file as text columns, with the line each row starts on."""

    frame: pd.DataFrame  # canonical column names, all text
    lines: pd.Series  # first line of each row (1-based, header is line 1)
    rejects: list[Reject]
    rows_read: int


def read_header(path: Path, mapping: dict[str, str], head: bytes | None = None) -> list[str]:
    """The canonical column names of a CSV file's header (after the mapping)."""
    with open_text(path) as f:
        try:
            header = next(csv.reader(f))
        except StopIteration:
            raise InputError(path, "the file is empty", "line 1") from None
        except csv.Error as exc:
            raise InputError(path, f"unreadable header: {exc}", "line 1") from None
    return [mapping.get(h.strip(), h.strip()).lower() for h in header]


def iter_chunks(
    path: Path,
    required: tuple[str, ...],
    mapping: dict[str, str],
    chunk_rows: int,
    progress: Callable[[int], None] | None = None,
    skip_records: int = 1,
    is_record: Callable[[list[str]], bool] | None = None,
) -> Iterator[Chunk]:
    """Read ``path`` in chunks of text columns keyed by canonical name.

    Rows with the wrong number of fields or invalid UTF-8 become rejects here;
    cell-level checks are left to the caller. ``skip_records`` > 1 starts after that
    many records (the header is record 1; blank lines are not records). ``is_record``
    tells whether a line read on its own is a record (see :func:`checked_rows`); a
    format without such a test (a cell that only a record's line would hold) reads
    quoted fields as they are.
    """
    with open_text(path, progress) as f:
        source, reader = csv_records(f)
        names = header_names(path, header_row(path, reader), required, mapping)
        skipped = 1
        while skipped < skip_records:  # resume after records read by other means
            source.start_record()
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error:
                record = ["?"]
            except Oversized:
                source.skip_record()
                record = ["?"]
            if record:
                skipped += 1
        width = len(names)
        keep = [(i, n) for i, n in enumerate(names) if n]
        rows: list[list[str]] = []
        lines: list[int] = []
        rejects: list[Reject] = []
        read = 0
        for start, row in checked_rows(source, reader, width, "as in the header", is_record):
            read += 1
            if isinstance(row, Reject):
                rejects.append(row)
            else:
                rows.append(row)
                lines.append(start)
            if len(rows) >= chunk_rows:
                yield _chunk(rows, lines, keep, rejects, read)
                rows, lines, rejects, read = [], [], [], 0
        if rows or rejects or read:
            yield _chunk(rows, lines, keep, rejects, read)


def header_row(path: Path, reader) -> list[str]:
    """The header row from a csv reader, or an InputError naming the file's line 1."""
    try:
        return next(reader)
    except StopIteration:
        raise InputError(path, "the file is empty", "line 1") from None
    except csv.Error as exc:
        raise InputError(path, f"unreadable header: {exc}", "line 1") from None


def header_names(path: Path, header: list[str], required: tuple[str, ...],
                 mapping: dict[str, str]) -> list[str]:
    """The canonical names of a header row, or an InputError saying what is wrong with it."""
    if len(header) > MAX_COLUMNS:
        raise InputError(path, f"the header has {len(header):,} columns; a hand-writable CSV "
                         f"has at most {MAX_COLUMNS:,}", "line 1")
    if has_bad_utf8("".join(header)):
        raise InputError(path, "invalid UTF-8 in the header", "line 1")
    names = [mapping.get(h.strip(), h.strip()).lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise InputError(
            path,
            f"missing required column(s): {', '.join(missing)}; "
            f"the header has: {', '.join(n for n in names if n) or '(nothing)'}",
            "line 1",
        )
    dupes = {n for n in names if n and names.count(n) > 1}
    if dupes:
        raise InputError(path, f"duplicate column(s): {', '.join(sorted(dupes))}", "line 1")
    return names


# A record (row) of more characters than this is rejected without being read whole: no
# post comes near it (posts_rules.TEXT_CAP), and reading one line of 50 MB took 0.4 GB.
MAX_RECORD_CHARS = 1_000_000
_PIECE_CHARS = 1 << 16  # what is read at a time of a record being skipped


class Oversized(Exception):
    """The record being read has passed :data:`MAX_RECORD_CHARS` (see LineSource)."""


class LineSource:
    """The lines of a text file as ``csv.reader`` takes them, numbered, keeping the lines
    of the record being read so that some of them can be read again (:meth:`again`).
    A record that passes :data:`MAX_RECORD_CHARS` raises :class:`Oversized` (through the
    csv reader) before more of it is read; :meth:`skip_record` then reads on to its end
    without keeping it."""

    def __init__(self, f):
        self._f = f
        self._again: list[str] = []  # lines to give again, the next one last
        self.line = 0  # number of the last line given
        self.record_lines: list[str] = []
        self._record_chars = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self._again.pop() if self._again else self._f.readline(MAX_RECORD_CHARS + 1)
        if not line:
            raise StopIteration
        self.line += 1
        self.record_lines.append(line)
        self._record_chars += len(line)
        if self._record_chars > MAX_RECORD_CHARS:
            raise Oversized
        return line

    def start_record(self) -> None:
        self.record_lines = []
        self._record_chars = 0

    def skip_record(self) -> str:
        """After :class:`Oversized`: read on to the end of the record (the end of a line
        outside quotes, quotes counted as the csv module counts them) keeping nothing;
        returns the record's first characters."""
        head = "".join(self.record_lines)[:200]
        quotes = sum(line.count('"') for line in self.record_lines)
        ended = self.record_lines[-1].endswith(("\n", "\r"))
        self.start_record()
        while not (ended and quotes % 2 == 0):
            piece = self._again.pop() if self._again else self._f.readline(_PIECE_CHARS)
            if not piece:
                break
            if ended:  # a new line begins
                self.line += 1
            quotes += piece.count('"')
            ended = piece.endswith(("\n", "\r"))
        return head

    def again(self, lines: list[str]) -> None:
        """Give ``lines`` (the last ones given) again, as if not read yet."""
        self._again.extend(reversed(lines))
        self.line -= len(lines)


def oversized_reason(start: int, end: int) -> str:
    lines = f"line {start}" if end <= start else f"lines {start} to {end:,}"
    return (f"the row is longer than {MAX_RECORD_CHARS:,} characters ({lines}): no post is "
            "that long, so it is skipped without being read whole")


def csv_records(f) -> tuple[LineSource, Iterator[list[str]]]:
    """A CSV reader of the text file ``f`` and the :class:`LineSource` it reads from."""
    source = LineSource(f)
    return source, csv.reader(source, strict=False)


def cut_short(last_line: str) -> bool:
    """Whether the last physical line of a file, ``last_line``, ends inside a row: it has
    no line break after it, and its last value is not closed by a quote. Such a row may
    have lost the end of its last value (a download or copy cut short), which nothing
    in the row tells apart from a whole value, so it is rejected (:data:`CUT_REASON`)."""
    return (not last_line.endswith(("\n", "\r")) and bool(last_line.strip())
            and not last_line.rstrip().endswith('"'))


def file_cut_short(path: Path) -> bool:
    """:func:`cut_short` of the last line of the file at ``path``."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(max(0, size - 4096))
        tail = f.read()
    line = re.split(rb"[\r\n]", tail)[-1] if tail[-1:] not in (b"\n", b"\r") else tail[-1:]
    return cut_short(line.decode("utf-8", "replace"))


def parse_line(line: str) -> list[str]:
    """The fields of one physical line read as a CSV record on its own."""
    try:
        return next(csv.reader([line.rstrip("\r\n")], strict=False), [])
    except csv.Error:
        return []


def swallowed_record(lines: list[str], width: int,
                     is_record: Callable[[list[str]], bool]) -> int | None:
    """The index of the first of ``lines`` after the first that is a record of its own,
    or None. ``lines`` are the physical lines one record was read from: a quoted field
    left open runs on over the lines after it, and when one of them is itself a
    record, the quote was never meant to take it in. A line with an odd number of
    quotes opens or closes a quoted field: it is not a record of its own."""
    for k in range(1, len(lines)):
        line = lines[k]
        if (line.count(",") >= width - 1 and line.count('"') % 2 == 0
                and is_record(parse_line(line))):
            return k
    return None


def unclosed_quote(start: int, lines: list[str], k: int) -> Reject:
    """The reject of a record whose open quote took in the record on line ``start + k``."""
    return Reject(f"line {start}",
                  f"unclosed quote: this record spans {len(lines)} lines (to line "
                  f"{start + len(lines) - 1}) and takes in line {start + k}, a record of its "
                  f"own; reading resumes there", excerpt(lines[0]))


def checked_rows(source: LineSource, reader, width: int, expected: str,
                 is_record: Callable[[list[str]], bool] | None = None,
                 ) -> Iterator[tuple[int, list[str] | Reject]]:
    """(first line, row) for each non-blank CSV row of ``width`` fields in valid UTF-8;
    (line, Reject) for a malformed row, a row of another width, or invalid UTF-8.

    A record read over several lines, one of which after the first ``is_record`` on its
    own (an unclosed quote), is rejected, and reading resumes at that line.
    """
    while True:
        source.start_record()
        start = source.line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, Reject(f"line {start}", f"malformed CSV: {exc}")
            continue
        except Oversized:
            head = source.skip_record()
            yield start, Reject(f"line {start}", oversized_reason(start, source.line),
                                excerpt(head))
            continue
        lines = source.record_lines
        if is_record is not None and len(lines) > 1:
            k = swallowed_record(lines, width, is_record)
            if k is not None:
                yield start, unclosed_quote(start, lines, k)
                source.again(lines[k:])
                continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        text = ",".join(row)
        if cut_short(lines[-1]):
            yield start, Reject(f"line {start}", CUT_REASON, excerpt(text))
        elif len(row) != width:
            yield start, Reject(f"line {start}",
                                f"expected {width} fields {expected}, found {len(row)}",
                                excerpt(text))
        elif has_bad_utf8(text):
            yield start, Reject(f"line {start}", "invalid UTF-8", excerpt(text))
        else:
            yield start, row


def _chunk(rows, lines, keep, rejects, read) -> Chunk:
    import pandas as pd

    cols = list(zip(*rows, strict=True)) if rows else [() for _ in range(max(i for i, _ in keep) + 1)]
    frame = pd.DataFrame(
        {name: pd.Series(cols[i], dtype="string") for i, name in keep}, index=range(len(rows))
    )
    for name in frame.columns:
        frame[name] = frame[name].str.strip()
        frame.loc[frame[name] == "", name] = pd.NA
    return Chunk(frame, pd.Series(lines, dtype="int64"), list(rejects), read)


class RowChecker:
    """Collects per-row problems found by vectorised checks on a chunk."""

    def __init__(self, chunk: Chunk):
        import pandas as pd

        self.chunk = chunk
        self.bad = pd.Series(False, index=chunk.frame.index)
        self.reasons = pd.Series("", index=chunk.frame.index, dtype="object")

    def fail(self, mask: pd.Series, reason: str | pd.Series) -> None:
        import pandas as pd

        mask = mask.fillna(False).astype(bool) & ~self.bad
        if not mask.any():
            return
        if isinstance(reason, pd.Series):
            self.reasons[mask] = reason[mask].astype(str)
        else:
            self.reasons[mask] = reason
        self.bad |= mask

    def rejects(self, excerpt_col: str | None = None) -> list[Reject]:
        import pandas as pd

        out = []
        frame = self.chunk.frame
        for idx in self.bad[self.bad].index:
            ex = ""
            if excerpt_col and excerpt_col in frame:
                v = frame.at[idx, excerpt_col]
                ex = excerpt(None if pd.isna(v) else v)
            out.append(Reject(f"line {int(self.chunk.lines[idx])}", self.reasons[idx], ex))
        return out

    def all_rejects(self, excerpt_col: str | None = None) -> list[Reject]:
        """Rejects of the chunk (from reading and from checks), in line order."""
        both = self.chunk.rejects + self.rejects(excerpt_col)
        return sorted(both, key=lambda r: int(r.locator.split()[-1]))

    def good(self) -> pd.DataFrame:
        return self.chunk.frame[~self.bad]


def parse_times(values: pd.Series, assume_tz: str | None, column: str,
                day_precision: bool = False, ambiguous: str = "reject"):
    """Parse ISO 8601 text to UTC by the rules of ingest/times.py. Returns (times,
    reason-per-row-or-empty). With ``day_precision`` a date alone is midnight (in
    ``assume_tz``, else UTC); otherwise it is refused. ``ambiguous`` is the rule for a
    local time the clock passes twice (ingest/times.py)."""
    import pandas as pd

    present = values.notna()
    has_offset = values.str.contains(OFFSET + "$", regex=True, na=False)
    date_only = values.str.match(DATE_ONLY, na=False)
    reasons = pd.Series("", index=values.index, dtype="object")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if day_precision and assume_tz is None:
        has_offset = has_offset | date_only  # midnight UTC
    aware = present & has_offset
    if aware.any():
        parsed = pd.to_datetime(values[aware], utc=True, format="ISO8601", errors="coerce")
        out[aware] = parsed.astype("datetime64[us, UTC]")
    naive = present & ~has_offset
    if naive.any():
        local = pd.to_datetime(values[naive], format="ISO8601", errors="coerce")
        readable = local.notna()
        if assume_tz is None:
            reasons[naive & readable.reindex(values.index, fill_value=False)] = (
                f"{column} has no UTC offset; add one (e.g. Z or +05:30) or pass --assume-tz ZONE"
            )
        else:
            _localize(local, assume_tz, column, out, reasons, ambiguous)
    year = pd.to_numeric(values.str.extract(r"^\s*(\d{4})-", expand=False), errors="coerce")
    early = present & ((year < EARLIEST.year) | (year >= LATEST.year)).fillna(False)
    early |= present & out.notna() & ((out < EARLIEST) | (out >= LATEST))
    reasons[early] = values[early].map(lambda v: implausible(column, v))
    if not day_precision:
        reasons[date_only] = (
            f"{column} '" + values[date_only].astype(str).str.slice(0, 40) + "' has no time "
            "of day (a latency from midnight would be invented); pass --day-precision to "
            "take dates as midnight"
        )
    unparsed = present & out.isna() & (reasons == "")
    reasons[unparsed] = (
        f"{column} '" + values[unparsed].astype(str).str.slice(0, 40) + "' is not an ISO 8601 time"
    )
    reasons[~present] = f"{column} is empty"
    return out.where(reasons == ""), reasons


def _localize(local, zone: str, column: str, out, reasons, ambiguous: str = "reject") -> None:
    """Local times written in ``zone`` -> UTC into ``out``; a time the clock skipped, or
    passed twice (daylight saving) unless ``ambiguous`` says which occurrence to take
    (ingest/times.py), gets its reason."""
    import numpy as np
    import pandas as pd

    ok = local.notna()
    rule = "NaT" if ambiguous == "reject" else np.full(len(local), ambiguous == "earlier")
    utc = local.dt.tz_localize(zone, ambiguous=rule, nonexistent="NaT")
    out[local.index] = utc.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    missing = ok & utc.isna()
    if not missing.any():
        return
    gap = local[missing].dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
    for idx, value in local[missing].items():
        reasons[idx] = (ambiguous_reason(column, value, zone) if pd.isna(gap[idx])
                        else nonexistent_reason(column, value, zone))


def parse_counts(values: pd.Series, column: str):
    """Non-negative whole numbers or empty. Returns (Int64 series, reasons)."""
    import pandas as pd

    nums = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & (nums.isna() | (nums < 0) | (nums % 1 != 0))
    reasons = pd.Series("", index=values.index, dtype="object")
    reasons[bad] = f"{column} '" + values[bad].astype(str).str.slice(0, 20) + "' is not a whole number >= 0"
    return nums.where(~bad).astype("Int64"), reasons


MENTION_RE = r"@(?<![\w@]@)([A-Za-z0-9_]{1,50})"  # same matches as (?<![\w@])@..., 7x faster
