"""Import files into the store: one transaction per file, idempotent, never losing a row.

- A file already imported with the same content, format and options is skipped.
- Posts merge on (platform, post_id): a re-import changes nothing, an overlapping
  export fills in what the store lacked; nothing is ever deleted.
- Bad rows go to the ``rejects`` table with file, locator and reason; a file that
  cannot be read at all is recorded as a failed import with one reject naming why.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa

from govwatch import __version__
from govwatch.arrays import array
from govwatch.errors import InputError
from govwatch.records import (
    Batch,
    Reject,
    printable,
)
from govwatch.store import Store, duckdb_settings, resource_error

from . import parts, registry, staging
from .base import Part, Reader, ReadOptions, encoding_problem
from .jsonio import NESTED_REASON
from .ordered import usable_cpus


class Progress(Protocol):
    def start_file(self, name: str, total_bytes: int) -> None: ...
    def advance(self, done_bytes: int) -> None: ...
    def end_file(self) -> None: ...


class _NoProgress:
    def start_file(self, name: str, total_bytes: int) -> None:
        pass

    def advance(self, done_bytes: int) -> None:
        pass

    def end_file(self) -> None:
        pass


@dataclass
class FileResult:
    file: str
    format: str
    import_id: int | None = None
    rows_read: int = 0
    posts_added: int = 0
    posts_merged: int = 0  # posts stored before that the file holds too (merged with it)
    accounts_added: int = 0
    outages_added: int = 0  # outage records of an outage list (new or replaced)
    rejects: list[Reject] = field(default_factory=list)
    marked_deleted: int = 0  # posts missing from a newer full archive of their account
    posts_changed: int = 0  # stored posts this file gives with another text (both kept)
    skipped_as: int | None = None  # import_id of the identical earlier import
    failed: str | None = None  # why the whole file could not be read

    @property
    def rejected(self) -> int:
        return len(self.rejects)


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def reasons(self) -> Counter:
        c: Counter = Counter()
        for f in self.files:
            for r in f.rejects:
                c[_reason_family(r.reason)] += 1
        return c

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)


def _reason_family(reason: str) -> str:
    """Group reasons for the summary line: cut the quoted value out."""
    if "'" in reason:
        head, _, rest = reason.partition("'")
        _, _, tail = rest.partition("'")
        return (head + "…" + tail).strip()
    return reason


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_files(root: Path, files: list[Path]) -> str:
    """One digest for a folder read as a whole: its files' relative names and bytes."""
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(root)).encode() + b"\0" + sha256_file(f).encode())
    return h.hexdigest()


def expand_paths(paths: Iterable[str | Path], fmt: str = "auto") -> list[Path]:
    """Files named directly, and every file under a named folder (sorted) unless a
    reader (of format ``fmt``, if one is named) reads the folder as a whole."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and registry.folder_reader(p, fmt) is not None:
            out.append(p)  # a folder that one reader reads as a whole (an X archive)
        elif p.is_dir():
            out.extend(
                sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
            )
        else:
            out.append(p)
    return out


def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    fmt: str = "auto",
    options: ReadOptions | None = None,
    progress: Progress | None = None,
    kind: str | None = None,
    jobs: int = 1,
    min_part_bytes: int = parts.MIN_PART_BYTES,
) -> ImportSummary:
    """Import each file in its own transaction; one bad file never stops the others.

    With ``jobs`` above 1, a large file of a reader with ``line_parts`` is read in up to
    ``jobs`` parts of at least ``min_part_bytes`` by as many processes
    (see ingest/parts.py); the store receives the same rows either way."""
    options = options or ReadOptions()
    progress = progress or _NoProgress()
    summary = ImportSummary()
    for path in expand_paths(paths, fmt):
        result = import_file(store, path, fmt, options, progress, kind, jobs, min_part_bytes)
        summary.files.append(result)
        if options.strict and result.failed:
            break
    return summary


def import_file(
    store: Store,
    path: Path,
    fmt: str = "auto",
    options: ReadOptions | None = None,
    progress: Progress | None = None,
    kind: str | None = None,
    jobs: int = 1,
    min_part_bytes: int = parts.MIN_PART_BYTES,
) -> FileResult:
    options = options or ReadOptions()
    progress = progress or _NoProgress()
    result = FileResult(file=str(path), format=fmt)
    try:
        _check_encoding(path)
        reader = registry.sniff(path, kind) if fmt == "auto" else registry.get(fmt)
        result.format = reader.name
        files = reader.input_files(path) if path.is_dir() else [path]
        if not files or not all(f.is_file() for f in files):
            raise InputError(path, "no such file")
        # Where a large file is cut, to be read in parts by several processes (or none).
        cuts = (parts.plan(path, jobs, min_part_bytes)
                if jobs > 1 and reader.line_parts and files == [path] else [])
        cuts = cuts if len(cuts) > 1 else []
    except (InputError, RecursionError) as exc:
        exc = _as_input_error(path, exc)
        result.failed = printable(exc.reason)
        _record_failure(store, path, result, None, exc)
        return result
    opts_json = json.dumps(options.describe(), sort_keys=True)
    staging.clear_leftovers(store.path)
    staged = staging.Staged(store.path, str(os.getpid()))
    digest = None
    reading = False
    direct: _DirectTransaction | None = None  # posts inserted as they are read (staging.py)
    try:
        # A file cut in parts: the processes reading the other parts start loading now,
        # while this one hashes the file, and read once told their first line's number.
        with parts.PartReaders(reader, path, options, [
                (i, cut, staged.part_folder(i)) for i, cut in enumerate(cuts) if i]) as others:
            first_lines: list[int] | None = None
            hashing = (_Hashing(path) if not cuts and files == [path]
                       and path.stat().st_size >= HASH_BESIDE_BYTES and usable_cpus() > 1
                       else None)
            if cuts:
                digest, first_lines = parts.hash_and_number(path, [a for a, _ in cuts])
            elif hashing is None:
                digest = sha256_file(path) if files == [path] else sha256_files(path, files)
            started = _now()
            previous = (None if digest is None
                        else _previous(store, digest, reader.name, opts_json))
            if previous is not None:
                others.cancel()
                result.skipped_as = previous
                return result
            if cuts and first_lines is None:  # a bare carriage return: read whole
                others.cancel()
                cuts = []
            elif first_lines is not None:
                others.start(first_lines[1:])
            if not cuts and files == [path] and not reader.full_archives:
                direct = _DirectTransaction.open_if_no_posts(store)
                if direct is not None:
                    staged.insert_directly(direct.con, str(path), direct.import_id)
            progress.start_file(path.name, sum(f.stat().st_size for f in files))
            reading = True

            # This process reads the file, or its first part while the others read theirs.
            def advance(n: int) -> None:
                progress.advance(n + others.bytes_read())

            batches = (reader.read_part(path, options, Part(*cuts[0]), advance) if cuts
                       else reader.read(path, options, progress.advance))
            if hashing is None:
                read = staging.stage_batches(staged, path, batches, options)
            else:  # read while the file is hashed; an identical import stops it
                try:
                    read = staging.stage_batches(
                        staged, path, hashing.until_imported(
                            batches, lambda d: _previous(store, d, reader.name, opts_json)),
                        options)
                except (InputError, RecursionError):  # recorded with the file's digest
                    digest = hashing.digest()
                    previous = _previous(store, digest, reader.name, opts_json)
                    if previous is None:
                        raise
                digest = hashing.digest()
                if previous is None:
                    previous = _previous(store, digest, reader.name, opts_json)
                if previous is not None:
                    result.skipped_as = previous
                    return result
            own = cuts[0][1] - cuts[0][0] if cuts else 0
            for i, part in enumerate(others.wait(lambda: advance(own)) if cuts else [], start=1):
                read.add(parts.read_of(part))
                staged.add_part(staged.part_folder(i), part["posts"], part["accounts"],
                                part["archived"])
        staged.close()
        result.rows_read, result.rejects, archives = read.rows_read, read.rejects, read.archives
        # DuckDB settings while publishing (see ingest/staging.py), restored afterwards;
        # posts inserted while the file was read are in a transaction open already.
        with (contextlib.nullcontext(direct.con) if direct is not None
              else _staged_transaction(store)) as con:
            # the number the posts inserted while reading already carry, else a new one
            import_id = (direct.import_id if direct is not None
                         else store.next_id("imports", "import_id"))
            result.import_id = import_id
            con.execute(
                "INSERT INTO imports (import_id, file, sha256, format, options, started_at, "
                "tool_version, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')",
                [import_id, str(path), digest, reader.name, opts_json, started, __version__],
            )
            result.posts_added, result.posts_merged = staged.publish_posts(
                con, str(path), import_id)
            result.posts_changed = staged.changed
            result.accounts_added = staged.publish_accounts(con, str(path), import_id)
            staged.publish_attributes(con)
            result.outages_added = staged.publish_outages(con, str(path))
            _write_rejects(con, import_id, str(path), result.rejects)
            # Deletion is inferred only from an archive read whole and clean.
            result.marked_deleted = staged.mark_deleted(
                con, archives if not result.rejects else set(), import_id)
            con.execute(
                "UPDATE imports SET finished_at = ?, rows_read = ?, posts_added = ?, "
                "posts_merged = ?, accounts_added = ?, rejected = ?, status = 'complete' "
                "WHERE import_id = ?",
                [
                    _now(),
                    result.rows_read,
                    result.posts_added,
                    result.posts_merged,
                    result.accounts_added,
                    result.rejected,
                    import_id,
                ],
            )
            if direct is not None:
                direct.commit()
    except (InputError, RecursionError) as exc:
        exc = _as_input_error(path, exc)
        result.failed = printable(exc.reason)
        result.posts_added = result.posts_merged = result.accounts_added = 0
        _record_failure(store, path, result, reader, exc, digest)
    except OSError as exc:  # staging beside the store: the disk may be full
        raise resource_error(store.path, exc) or exc from exc
    finally:
        staged.remove()  # its writes into the direct transaction end first
        if direct is not None:
            direct.close()
        if reading:
            progress.end_file()
    return result


@contextlib.contextmanager
def _staged_transaction(store: Store) -> Iterator:
    """The transaction staged rows are published in, with the publishing settings."""
    with duckdb_settings(store.conn, staging.PUBLISH_SETTINGS), store.transaction() as con:
        yield con


class _DirectTransaction:
    """A transaction on a cursor of its own, opened before a file is read, that the
    file's posts go straight into (see ``staging.Staged.insert_directly``): the store's
    connection stays free for what the reading asks meanwhile (was this file imported
    before?). Committed by :meth:`commit` alone; :meth:`close` rolls back anything else."""

    def __init__(self, store: Store):
        self.import_id = store.next_id("imports", "import_id")  # of the posts inserted
        self.con = store.conn.cursor()
        self._settings = contextlib.ExitStack()
        self._open = False
        try:
            self._settings.enter_context(duckdb_settings(self.con, staging.PUBLISH_SETTINGS))
            self.con.execute("BEGIN TRANSACTION")
            self._open = True
        except BaseException:
            self.close()
            raise

    @classmethod
    def open_if_no_posts(cls, store: Store) -> _DirectTransaction | None:
        """The transaction, if the store holds no posts (seen inside it); else None."""
        direct = cls(store)
        if direct.con.execute("SELECT count(*) FROM (SELECT 1 FROM posts LIMIT 1)"
                              ).fetchall()[0][0]:
            direct.close()
            return None
        return direct

    def commit(self) -> None:
        self.con.execute("COMMIT")
        self._open = False

    def close(self) -> None:
        try:
            if self._open:
                self._open = False
                try:
                    self.con.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # DuckDB ended the transaction itself (out of memory or disk)
            self._settings.close()
        finally:
            self.con.close()


# A file at least this large (and read whole, with more than one CPU) is hashed by a
# thread while it is read, rather than before: on two CPUs the hash then costs no time.
HASH_BESIDE_BYTES = 8 << 20


def _previous(store: Store, digest: str, fmt: str, opts_json: str) -> int | None:
    """The last complete import of the same file (digest), format and options, or None."""
    return store.conn.execute(
        "SELECT max(import_id) FROM imports WHERE sha256 = ? AND format = ? "
        "AND options = ? AND status = 'complete'",
        [digest, fmt, opts_json],
    ).fetchall()[0][0]


class _Hashing:
    """A file's SHA-256 (as :func:`sha256_file` gives it) computed by a thread: hashlib
    lets go of the GIL while it hashes, so the file is read meanwhile."""

    def __init__(self, path: Path):
        self._digest: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True,
                                        name="govwatch-sha256")
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._digest = sha256_file(path)
        except BaseException as exc:  # given to the caller by digest()
            self._error = exc

    def digest(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest

    def until_imported(self, batches: Iterable[Batch],
                       imported: Callable[[str], int | None]) -> Iterator[Batch]:
        """``batches`` until the hash, once known, names a file imported before."""
        source = iter(batches)
        checked = False  # the store is asked once, when the hash is known
        try:
            for batch in source:
                yield batch
                if not checked and not self._thread.is_alive():
                    checked = True
                    if imported(self.digest()) is not None:
                        return
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # the reader's files, at once
                close()


def _check_encoding(path: Path) -> None:
    """InputError for a file that is empty (or blank), compressed or in UTF-16, saying
    which (see base.encoding_problem)."""
    if not path.is_file():
        return
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return  # the reader says what is wrong
    problem = encoding_problem(head)
    if problem:
        raise InputError(path, problem)
    if not head.removeprefix(b"\xef\xbb\xbf").strip() and path.stat().st_size <= len(head):
        raise InputError(path, "the file is empty")


def _as_input_error(path: Path, exc: Exception) -> InputError:
    """A reader's RecursionError (a value nested deeper than Python follows, which a
    reader did not catch itself) as the failure of that file alone."""
    return exc if isinstance(exc, InputError) else InputError(path, NESTED_REASON)


def _now() -> datetime:
    return datetime.now(UTC)


def _record_failure(store, path, result, reader: Reader | None, exc: InputError, digest=None):
    """A file that could not be read is kept on record (imports + one reject), once: the
    same file failing again the same way adds nothing."""
    reject = Reject(printable(exc.locator or "file"), printable(exc.reason))
    result.rejects = [reject]
    same = store.conn.execute(
        "SELECT max(i.import_id) FROM imports i JOIN rejects r USING (import_id) "
        "WHERE i.status = 'failed' AND i.file = ? AND i.sha256 IS NOT DISTINCT FROM ? "
        "AND r.locator = ? AND r.reason = ?",
        [str(path), digest, reject.locator, reject.reason]).fetchone()[0]
    if same is not None:
        result.import_id = same
        return
    with store.transaction() as con:
        import_id = store.next_id("imports", "import_id")
        result.import_id = import_id
        con.execute(
            "INSERT INTO imports (import_id, file, sha256, format, started_at, finished_at, "
            "rows_read, posts_added, posts_merged, accounts_added, rejected, tool_version, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 1, ?, 'failed')",
            [import_id, str(path), digest, reader.name if reader else None, _now(), _now(),
             __version__],
        )
        _write_rejects(con, import_id, str(path), [reject])


def _write_rejects(con, import_id: int, file: str, rejects: list[Reject]) -> None:
    if not rejects:
        return
    frame = pa.table(
        {
            "import_id": array([import_id] * len(rejects), pa.int64()),
            "file": array([file] * len(rejects), pa.string()),
            "locator": array([printable(r.locator) for r in rejects], pa.string()),
            "reason": array([printable(r.reason) for r in rejects], pa.string()),
            "excerpt": array([printable(r.excerpt) for r in rejects], pa.string()),
        }
    )
    con.register("_rejects_batch", frame)
    try:
        con.execute("INSERT INTO rejects SELECT * FROM _rejects_batch")
    finally:
        con.unregister("_rejects_batch")
