"""Shared helpers for JSON-based exports: JSON Lines streaming with line numbers and
detection, whole-document loading with a clear error position, JSON-path locators,
and time helpers (ISO 8601, epoch seconds, X snowflake ids)."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from govwatch.errors import InputError
from govwatch.records import Reject, excerpt

from .base import Part, has_bad_utf8, open_binary

_BOM = b"\xef\xbb\xbf"
# Why a JSON value nested deeper than Python's parser follows (about a thousand levels:
# no export nests so deep) is refused; that line, or that file, is rejected.
NESTED_REASON = "JSON nested too deeply to read (over about a thousand levels)"
# X/Twitter snowflake ids encode their creation time (ids after 2010-11-04).
TWITTER_EPOCH_MS = 1288834974657
FIRST_SNOWFLAKE = 29_700_859_247_000_000  # roughly the first snowflake id


def as_object(value: object) -> dict:
    """``value`` when it is a JSON object, else an empty one (a missing or malformed
    part of a record reads as empty)."""
    return value if isinstance(value, dict) else {}


def jpath(*parts: str | int) -> str:
    """Build a JSON path locator: jpath(3, 'tweet', 'id_str') -> '$[3].tweet.id_str'."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def iter_byte_lines(
    path: Path, progress: Callable[[int], None] | None = None, part: Part | None = None
) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, bytes) for every line of a file, blank ones included.

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (the ending is kept) and a leading
    byte-order mark is dropped, as in :func:`govwatch.ingest.base.open_text`. With ``part``, only
    the lines of that part of the file (see :func:`govwatch.ingest.parts.plan`), numbered from
    its first line; ``progress`` then counts the part's bytes.
    """
    start, end, first = (0, None, 1) if part is None else (part.start, part.end, part.first_line)
    left = None if end is None else end - start
    with open_binary(path, progress, start) as f:
        lineno = first - 1
        for chunk in f:
            if left is not None:
                if left <= 0:
                    break
                left -= len(chunk)
            if lineno == 0 and chunk.startswith(_BOM):
                chunk = chunk[len(_BOM):]
            for line in chunk.splitlines(keepends=True) if b"\r" in chunk else (chunk,):
                lineno += 1
                yield lineno, line


def decode_line(line: bytes) -> tuple[str, bytes | None]:
    """(text, line), or (text with invalid bytes kept as surrogate escapes, None) when the
    line is not valid UTF-8 (:func:`parse_json_line` rejects such a line)."""
    try:
        return line.decode("utf-8"), line
    except UnicodeDecodeError:
        return line.decode("utf-8", "surrogateescape"), None


def is_utf8(line: bytes) -> bool:
    """Whether ``line`` is valid UTF-8, as ``line.decode("utf-8")`` would find, without
    building the text: ASCII is checked at once, anything else by Arrow's validation
    (about three times quicker than decoding a line of tweets in several scripts)."""
    if line.isascii():
        return True
    offsets = pa.py_buffer(struct.pack("=qq", 0, len(line)))
    try:
        pa.Array.from_buffers(pa.large_string(), 1,
                              [None, offsets, pa.py_buffer(line)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def iter_lines(
    path: Path, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str, bytes | None]]:
    """Yield (line number, text, bytes) for each non-blank line of a JSON Lines file,
    split as :func:`iter_byte_lines` splits it and decoded by :func:`decode_line`: the
    bytes are the line as it is in the file, None when it is not valid UTF-8.
    """
    for lineno, line in iter_byte_lines(path, progress):
        text, data = decode_line(line)
        if text and not text.isspace():
            yield lineno, text, data


def parse_json_line(lineno: int, line: str) -> object | Reject:
    """The JSON value of one line, or a Reject saying why it has none."""
    if has_bad_utf8(line):
        return Reject(f"line {lineno}", "invalid UTF-8", excerpt(line.encode(
            "utf-8", "surrogateescape").decode("utf-8", "replace")))
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return Reject(f"line {lineno}", f"invalid JSON: {exc.msg} at column {exc.colno}",
                      excerpt(line))
    except RecursionError:
        return Reject(f"line {lineno}", NESTED_REASON, excerpt(line))


def iter_json_lines(
    path: Path, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, object | Reject]]:
    """Yield (line number, parsed value) for each non-blank line, or a Reject for a bad one."""
    for lineno, line, _ in iter_lines(path, progress):
        yield lineno, parse_json_line(lineno, line)


def load_json_text(path: Path, text: str, locator_prefix: str = "") -> object:
    """Parse a whole JSON document; raise InputError with line and column on failure."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            path,
            f"invalid JSON ({exc.msg}); the file may be truncated or not JSON",
            f"{locator_prefix}line {exc.lineno}, column {exc.colno}",
        ) from None
    except RecursionError:
        raise InputError(path, NESTED_REASON, locator_prefix.rstrip(": ") or None) from None


def read_text_strict(path: Path) -> str:
    """The whole file as UTF-8 text (BOM dropped); InputError naming the byte offset if invalid."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"invalid UTF-8 at byte {exc.start}") from None


def from_epoch(seconds: float | int | str) -> datetime:
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def snowflake_time(post_id: str | int) -> datetime | None:
    """Creation time encoded in an X/Twitter id, or None for pre-snowflake ids."""
    try:
        n = int(post_id)
    except (TypeError, ValueError):
        return None
    if n < FIRST_SNOWFLAKE:
        return None
    return datetime.fromtimestamp(((n >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC)


def is_json_lines(path: Path) -> bool:
    """True for JSON Lines: two or more non-blank lines, one of the first two a whole JSON
    object or array (so a damaged first line does not turn the file into one bad document).

    A file holding one JSON value on one line is read as a JSON document (same rows,
    locators without a line number); so is pretty-printed JSON.
    """
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        lines = (line for line in f if line.strip())
        first, second = next(lines, None), next(lines, None)
    if first is None or second is None:
        return False
    for line in (first, second):
        try:
            if isinstance(json.loads(line), dict | list):
                return True
        except (json.JSONDecodeError, RecursionError):
            continue
    return False


def parse_utc(value: object, assume_tz: str | None) -> datetime:
    """An ISO 8601 time as UTC; ValueError (with the reason) if it is not one."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("time is missing")
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"'{value[:40]}' is not an ISO 8601 time") from None
    if t.tzinfo is None:
        if assume_tz is None:
            raise ValueError(f"'{value[:40]}' has no UTC offset; pass --assume-tz ZONE")
        t = t.replace(tzinfo=ZoneInfo(assume_tz))
    return t.astimezone(UTC)
