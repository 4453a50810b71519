"""Import files into the store: one transaction per file, idempotent, never losing a row.

- A file already imported with the same content, format and options is skipped.
- Posts merge on (platform, post_id): a re-import changes nothing, an overlapping
  export fills in what the store lacked; nothing is ever deleted.
- Bad rows go to the ``rejects`` table with file, locator and reason; a file that
  cannot be read at all is recorded as a failed import with one reject naming why.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from govwatch import __version__
from govwatch.arrays import array
from govwatch.errors import InputError
from govwatch.records import (
    Batch,
    Reject,
    printable,
)
from govwatch.store import Store

from . import registry, staging
from .base import Reader, ReadOptions


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
    posts_merged: int = 0
    accounts_added: int = 0
    rejects: list[Reject] = field(default_factory=list)
    marked_deleted: int = 0  # posts missing from a newer full archive of their account
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
) -> ImportSummary:
    """Import each file in its own transaction; one bad file never stops the others."""
    options = options or ReadOptions()
    progress = progress or _NoProgress()
    summary = ImportSummary()
    for path in expand_paths(paths, fmt):
        result = import_file(store, path, fmt, options, progress, kind)
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
) -> FileResult:
    options = options or ReadOptions()
    progress = progress or _NoProgress()
    result = FileResult(file=str(path), format=fmt)
    try:
        reader = registry.sniff(path, kind) if fmt == "auto" else registry.get(fmt)
        result.format = reader.name
        files = reader.input_files(path) if path.is_dir() else [path]
        if not files or not all(f.is_file() for f in files):
            raise InputError(path, "no such file")
        digest = sha256_file(path) if files == [path] else sha256_files(path, files)
    except InputError as exc:
        result.failed = printable(exc.reason)
        _record_failure(store, path, result, None, exc)
        return result
    opts_json = json.dumps(options.describe(), sort_keys=True)
    started = _now()
    previous = store.conn.execute(
        "SELECT max(import_id) FROM imports WHERE sha256 = ? AND format = ? AND options = ? "
        "AND status = 'complete'",
        [digest, reader.name, opts_json],
    ).fetchone()[0]
    if previous is not None:
        result.skipped_as = previous
        return result

    progress.start_file(path.name, sum(f.stat().st_size for f in files))
    staging.clear_leftovers(store.path)
    staged = staging.Staged(store.path, str(os.getpid()))
    try:
        archives: set[tuple[str, str]] = set()
        for batch in reader.read(path, options, progress.advance):
            archives.update(batch.full_archive_of)
            if options.strict and batch.rejects:
                first = batch.rejects[0]
                raise InputError(path, f"{first.reason} (--strict: nothing of this file "
                                 "was stored)", first.locator)
            _stage_batch(staged, batch, result, options.keep_raw)
        staged.close()
        with _publish_settings(store.conn), store.transaction() as con:
            import_id = store.next_id("imports", "import_id")
            result.import_id = import_id
            con.execute(
                "INSERT INTO imports (import_id, file, sha256, format, options, started_at, "
                "tool_version, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')",
                [import_id, str(path), digest, reader.name, opts_json, started, __version__],
            )
            result.posts_added, result.posts_merged = staged.publish_posts(
                con, str(path), import_id)
            result.accounts_added = staged.publish_accounts(con, str(path), import_id)
            _write_rejects(con, import_id, str(path), result.rejects)
            result.marked_deleted = staged.mark_deleted(con, archives)
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
    except InputError as exc:
        result.failed = printable(exc.reason)
        result.posts_added = result.posts_merged = result.accounts_added = 0
        _record_failure(store, path, result, reader, exc, digest)
    finally:
        staged.remove()
        progress.end_file()
    return result


@contextmanager
def _publish_settings(con):
    """DuckDB settings while publishing (see ingest/staging.py), restored afterwards."""
    names = list(staging.PUBLISH_SETTINGS)
    before = con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN (SELECT unnest($n))", {"n": names}
    ).fetchall()
    for name, value in staging.PUBLISH_SETTINGS.items():
        con.execute(f"SET {name} = '{value}'")
    try:
        yield
    finally:
        for name, value in before:
            con.execute(f"SET {name} = '{value}'")


def _stage_batch(staged: staging.Staged, batch: Batch, result: FileResult,
                 keep_raw: bool) -> None:
    result.rows_read += batch.rows_read
    result.rejects.extend(batch.rejects)
    if batch.posts is not None and len(batch.posts):
        posts = staging.to_arrow(batch.posts, staging.POST_SCHEMA)
        if not keep_raw:  # whatever the reader gave (a third-party one too)
            i = posts.schema.get_field_index("raw")
            posts = posts.set_column(i, "raw", pa.nulls(posts.num_rows, pa.string()))
        staged.add_posts(posts, archived=bool(batch.full_archive_of))
    if batch.accounts is not None and len(batch.accounts):
        staged.add_accounts(staging.to_arrow(batch.accounts, staging.ACCOUNT_SCHEMA))


def _now() -> datetime:
    return datetime.now(UTC)


def _record_failure(store, path, result, reader: Reader | None, exc: InputError, digest=None):
    """A file that could not be read is kept on record (imports + one reject)."""
    reject = Reject(printable(exc.locator or "file"), printable(exc.reason))
    result.rejects = [reject]
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
