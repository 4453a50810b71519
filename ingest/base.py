"""What every reader is: a name, a platform, a cheap sniff, and a streaming read.

A reader turns one export file into :class:`govwatch.records.Batch` objects.
It never touches the store and knows nothing of metrics. Rows it cannot use
become :class:`govwatch.records.Reject` records with a locator and a reason;
a problem with the whole file raises :class:`govwatch.errors.InputError`.
"""

from __future__ import annotations

import gc
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from govwatch.errors import InputError
from govwatch.records import Batch, Reject

# Bytes read by sniff(); enough for a header line or the opening of a JSON file.
SNIFF_BYTES = 64 * 1024
# A post's text longer than this is rejected as implausible (platforms cap far lower).
MAX_TEXT_CHARS = 100_000


class FieldError(ValueError):
    """A field of one record that cannot be read: where in the record (a column or a
    JSON path below the record, "" for the record itself) and why. Readers turn it into
    a Reject located at the record."""

    def __init__(self, where: str, reason: str):
        super().__init__(reason)
        self.where = where


@dataclass(frozen=True)
class ReadOptions:
    """Settings a user gives on the command line that change how rows are read."""

    assume_tz: str | None = None  # IANA zone for timestamps written without an offset
    mapping: dict[str, str] = field(default_factory=dict)  # foreign header -> canonical
    mapping_file: str | None = None  # the "mapped" reader's mapping (a path or a shipped name)
    chunk_rows: int = 50_000
    strict: bool = False  # stop at the first rejected row, storing nothing of that file
    # Store each post's original record (posts.raw). Off by default: nothing in govwatch
    # reads it, it is most of a JSON import's size, and it holds more about the public
    # (places, devices, profiles) than the analysis needs. The export file stays the
    # source of truth: posts keep source_file, and imports its sha256.
    keep_raw: bool = False
    # Take a time written as a date alone as midnight (see ingest/times.py).
    day_precision: bool = False
    # A local time (--assume-tz) the clock passes twice: "reject", "earlier" or "later".
    ambiguous_time: str = "reject"
    # App-store reviews: the app (package or App Store id) a file's reviews are about, for
    # exports that do not name it (google-play-scraper's CSV).
    app_id: str | None = None
    # Direct messages: the official account whose messages a file holds (its handle on X, the
    # Page's name on Facebook), for exports that do not say which participant it is.
    owner: str | None = None

    def describe(self) -> dict:
        """What changes the rows read, for the "already imported" check and the manifest."""
        out: dict[str, object] = {"assume_tz": self.assume_tz,
                                  "mapping": dict(sorted(self.mapping.items()))}
        if self.keep_raw:  # only when set, so that imports made before the option still match
            out["keep_raw"] = True
        if self.day_precision:
            out["day_precision"] = True
        if self.ambiguous_time != "reject":  # only when set, as keep_raw
            out["ambiguous_time"] = self.ambiguous_time
        if self.app_id:
            out["app_id"] = self.app_id
        if self.owner:
            out["owner"] = self.owner
        if self.mapping_file:
            from .mappings import load_mapping

            m = load_mapping(self.mapping_file)
            out["mapping_file"] = {"path": str(m.path), "sha256": m.sha256}
        return out


def strict_stop(path: Path, options: ReadOptions, rejects: list[Reject]) -> None:
    """With ``--strict``, the InputError that stops a file's import at its first reject."""
    if options.strict and rejects:
        first = rejects[0]
        raise InputError(path, f"{first.reason} (--strict: nothing of this file was stored)",
                         first.locator)


class Reader(ABC):
    """Base class of every reader (built-in or third-party).

    Subclasses set ``name`` (the ``--format`` value), ``platform`` (or None when
    the rows say it), ``description`` and ``kind`` ("posts" or "accounts").
    """

    name: str = ""
    platform: str | None = None
    description: str = ""
    kind: str = "posts"

    @abstractmethod
    def sniff(self, path: Path, head: bytes) -> bool:
        """True if ``path`` looks like this reader's format. ``head`` is its first bytes."""

    def input_files(self, path: Path) -> list[Path]:
        """The files behind one input. Readers that take a whole folder (an account
        archive) override this; the pipeline hashes them to recognise a re-import."""
        return [path]

    #: Whether the reader reads a file line by line with nothing carried from one line to
    #: the next (JSON Lines), so that a large file can be read in parts, each from a line
    #: start, by several processes at once (ingest/parts.py). Such a reader implements
    #: :meth:`read_part`.
    line_parts: bool = False

    #: Whether the reader's batches may name accounts whose posts the file holds whole
    #: (``Batch.full_archive_of``), from which posts missing from it are known deleted:
    #: such a file is always staged before it is published (see ingest/staging.py).
    full_archives: bool = False

    @abstractmethod
    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        """Yield batches. ``progress(n)`` is called with bytes consumed so far."""

    def read_part(
        self, path: Path, options: ReadOptions, part: Part | None,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[Batch]:
        """Yield the batches of the lines in ``part`` of the file (None: all of it),
        numbered as in the whole file. Only a reader with ``line_parts`` has it."""
        raise NotImplementedError(f"the {self.name} reader does not read files in parts")


@dataclass(frozen=True)
class Part:
    """Lines of a file: the bytes [start, end), ``start`` at a line start, and the number
    of the first line."""

    start: int
    end: int
    first_line: int = 1


class _CountingRaw(io.RawIOBase):
    """A binary file that reports how many bytes have been read from it."""

    def __init__(self, raw, callback: Callable[[int], None] | None):
        self._raw = raw
        self._cb = callback
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(b)
        if n:
            self.count += n
            if self._cb:
                self._cb(self.count)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_binary(path: Path, progress: Callable[[int], None] | None = None,
                offset: int = 0) -> io.BufferedReader:
    """Open a file for reading bytes from ``offset``, reporting bytes read (from there)."""
    raw = open(path, "rb", buffering=0)
    if offset:
        raw.seek(offset)
    return io.BufferedReader(_CountingRaw(raw, progress), buffer_size=1 << 20)


def open_text(path: Path, progress: Callable[[int], None] | None = None) -> io.TextIOWrapper:
    """Open a UTF-8 text file for csv/json reading, reporting bytes read.

    A byte-order mark is dropped; invalid UTF-8 bytes are kept as surrogate
    escapes so that the reader can reject just the rows holding them.
    """
    return io.TextIOWrapper(open_binary(path, progress), encoding="utf-8-sig",
                            errors="surrogateescape", newline="")


_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")


def encoding_problem(head: bytes) -> str | None:
    """Why a file whose first bytes are ``head`` cannot be read as it is, when it is
    compressed or in UTF-16 (every reader reads UTF-8), else None."""
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file: decompress it first (gunzip FILE) and import that"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
            len(head) >= 4 and head[1:4:2] == b"\0\0" and head[0:4:2] != b"\0\0"):
        return "UTF-16 text: save it as UTF-8 and import that"
    return None


def has_bad_utf8(s: str) -> bool:
    """True if ``s`` holds bytes that were not valid UTF-8 (kept as surrogate escapes)."""
    return _SURROGATE_ESCAPE.search(s) is not None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting still frees memory).

    For loops that build many objects and no reference cycles; cycles made meanwhile
    are collected once it runs again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
