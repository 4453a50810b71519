"""The posts CSV's vectorised path: a whole batch checked and converted in Arrow.

:func:`fast_posts` handles a batch only when every cell is plainly valid: UTF-8 text,
every required cell present, times written as ``YYYY-MM-DD[T ]hh:mm:ss[.ffffff]``
with ``Z`` or a ``±hh:mm`` offset, counts as plain digits, known kinds, ASCII platform,
language and kind codes. Then every row is kept and the result equals what the
row-checking path (``PostsCSVReader._batch``) would give; any other batch returns
None and goes through that path, which explains each bad row. Clean exports, the
large ones, never pay for the row checks.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govwatch.arrays import array, from_numpy, scalar, to_numpy
from govwatch.records import Reject, excerpt

from .arrow_csv import RawBatch
from .posts_rules import ASCII_CODES, COLUMNS, COUNTS, FILLED, KINDS, PLAIN_COUNT, TEXT_CAP
from .staging import POST_SCHEMA
from .tabular import Chunk
from .times import EARLIEST_US, LATEST_US, PLAIN_TIME

# What str.strip() removes: every character for which str.isspace() is true.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# The parts of tabular.MENTION_RE, for mentions() below.
_HANDLE = r"^(?P<handle>[A-Za-z0-9_]{1,50})"
_WORD = re.compile(r"\w")
# Literals as Arrow values: pyarrow.compute would make each with pa.scalar, which loads
# pandas (see govwatch.arrays).
_NULL = scalar(None, pa.string())
_EMPTY, _REPLY, _POST = (scalar(s, pa.string()) for s in ("", "reply", "post"))
_POST_KINDS = array(list(KINDS), pa.string())


def _text(col: pa.Array) -> pa.Array:
    """Binary cells -> text stripped as str.strip() does, empty as null. The cells are
    valid UTF-8 (``arrow_csv`` reads only the bytes that are, and cuts them at ASCII
    separators), so the bytes are taken as text without checking them again."""
    text = pc.utf8_trim(col.view(pa.string()), PY_WHITESPACE)
    filled = pc.not_equal(text, _EMPTY)
    if text.offset or filled.offset or text.null_count or filled.null_count:
        return pc.if_else(filled, text, _NULL)
    # The empty cells made null by a validity bitmap over the same buffers: no copy.
    return pa.StringArray.from_buffers(len(text), text.buffers()[1], text.buffers()[2],
                                       null_bitmap=filled.buffers()[1])


def text_columns(batch: pa.RecordBatch, names: list[str]) -> dict[str, pa.Array]:
    """Canonical name -> text column of a batch of :func:`arrow_csv.iter_record_batches`."""
    return {name: _text(batch.column(i)) for i, name in enumerate(names) if name}


def _all(mask) -> bool:
    return bool(pc.all(mask).as_py() is not False)


def _ascii(col: pa.Array) -> bool:
    return col.null_count == len(col) or _all(pc.string_is_ascii(col))


# ASCII bytes that are word characters to Python's re ([A-Za-z0-9_]).
_ASCII_WORD = np.zeros(256, bool)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_":
    _ASCII_WORD[_c] = True


def _string_offsets(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(value offsets, data bytes) of a string array without nulls, for NumPy."""
    offsets = np.frombuffer(col.buffers()[1], np.int32, count=len(col) + 1, offset=col.offset * 4)
    data = col.buffers()[2]
    return offsets, (np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8))


def mentions(text: pa.Array) -> pa.Array:
    """``re.findall(MENTION_RE, t)`` of every text ``t`` (no nulls), as a list<string> array.

    A handle follows an ``@`` that is not preceded by a word character or another ``@``,
    and is the longest run (at most 50) of ``[A-Za-z0-9_]`` after it. No match can
    contain an ``@``, so every ``@`` is judged on its own: the texts are split at each
    ``@``, and piece k (k >= 1) holds a handle when it starts with a handle character
    and piece k-1 does not end in a word character (piece k-1 is empty: the ``@``
    starts the text, or follows another ``@``). The last byte of piece k-1 decides, read
    from the buffers; a piece ending in a non-ASCII character is judged by ``re`` itself
    (Python's word characters are Unicode).
    """
    n = len(text)
    parts = pc.split_pattern(text, "@")
    flat = pc.list_flatten(parts)
    row = to_numpy(pc.list_parent_indices(parts))
    starts = to_numpy(parts.offsets)[:-1]
    k = np.arange(len(flat)) - starts[row]  # the piece's place in its text
    later = np.flatnonzero(k >= 1)  # pieces that follow an '@'
    handle = pc.struct_field(pc.extract_regex(flat.take(from_numpy(later)), _HANDLE), [0])
    valid = to_numpy(handle.is_valid())
    cand = later[valid]
    handle = handle.filter(from_numpy(valid))
    offsets, data = _string_offsets(flat)
    begin, end = offsets[cand - 1], offsets[cand]  # piece k-1, in bytes
    last = data[np.maximum(end - 1, 0)]
    ok = np.where(end == begin, k[cand] == 1, ~_ASCII_WORD[last])
    for i in np.flatnonzero((end > begin) & (last >= 0x80)):
        tail = data[max(begin[i], end[i] - 4):end[i]].tobytes().decode("utf-8", "ignore")
        ok[i] = _WORD.match(tail[-1]) is None
    per_row = np.bincount(row[cand[ok]], minlength=n)
    offsets_out = np.concatenate([[0], np.cumsum(per_row)]).astype(np.int32)
    return pa.ListArray.from_arrays(from_numpy(offsets_out), handle.filter(from_numpy(ok)))


def fast_posts(cols: dict[str, pa.Array]) -> pa.Table | None:
    """The posts of a clean batch in the staging schema, or None if any cell needs
    the row checks."""
    n = len(cols["post_id"])
    missing = pa.nulls(n, pa.string())
    col = {c: cols.get(c, missing) for c in COLUMNS}
    if any(col[c].null_count for c in FILLED):
        return None
    if not all(_ascii(col[c]) for c in ASCII_CODES):
        return None
    if not _all(pc.match_substring_regex(col["created_at"], PLAIN_TIME)):
        return None
    try:
        created = pc.cast(col["created_at"], pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    micros = created.cast(pa.int64())
    if pc.min(micros).as_py() < EARLIEST_US or pc.max(micros).as_py() >= LATEST_US:
        return None
    text = pc.fill_null(col["text"], _EMPTY)
    if len(text) and pc.max(pc.utf8_length(text)).as_py() > TEXT_CAP:
        return None
    counts = {}
    for c in COUNTS:
        if col[c].null_count < n and not _all(pc.match_substring_regex(col[c], PLAIN_COUNT)):
            return None
        counts[c] = pc.cast(col[c], pa.int64())
    kind = pc.utf8_lower(col["kind"])
    if kind.null_count < n and not _all(pc.or_(pc.is_null(kind),
                                               pc.is_in(kind, _POST_KINDS))):
        return None
    reply_to = col["in_reply_to_post_id"]
    kind = pc.coalesce(kind, pc.if_else(pc.is_valid(reply_to), _REPLY, _POST))
    return pa.Table.from_arrays(
        [
            pc.utf8_lower(col["platform"]),
            col["post_id"],
            pc.utf8_ltrim(col["author"], "@"),
            missing,
            created,
            from_numpy(np.zeros(n, bool)),
            text,
            pc.utf8_lower(col["lang"]),
            kind,
            reply_to,
            pc.utf8_ltrim(col["in_reply_to_author"], "@"),
            col["conversation_id"],
            mentions(text),
            col["url"],
            *(counts[c] for c in COUNTS),
            pa.nulls(n, pa.timestamp("us", tz="UTC")),
            missing,
        ],
        schema=POST_SCHEMA,
    )


def reference_chunk(raw: RawBatch, names: list[str]) -> Chunk:
    """The batch as the row-checking path takes it: text columns (pandas), rows with
    invalid UTF-8 turned into rejects. Rows are located by record number."""
    import pandas as pd

    cells = [raw.batch.column(i).to_pylist() for i in range(len(names))]
    rejects = list(raw.rejects)
    keep_rows, records = [], []
    for r in range(raw.batch.num_rows):
        row = [c[r] for c in cells]
        try:
            keep_rows.append([v.decode("utf-8") for v in row])
            records.append(int(raw.records[r]))
        except UnicodeDecodeError:
            text = b",".join(row).decode("utf-8", "surrogateescape")
            rejects.append(Reject(f"line {int(raw.records[r])}", "invalid UTF-8", excerpt(text)))
    frame = pd.DataFrame(
        {name: pd.Series([row[i] for row in keep_rows], dtype="string")
         for i, name in enumerate(names) if name},
        index=range(len(keep_rows)),
    )
    for name in frame.columns:
        frame[name] = frame[name].str.strip()
        frame.loc[frame[name] == "", name] = pd.NA
    return Chunk(frame, pd.Series(records, dtype="int64"), rejects, raw.rows_read)
