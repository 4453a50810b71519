"""Staging an import on disk and publishing it to the store in one transaction.

A file's batches are first written to Parquet files in a staging folder beside the
store (``<store>.staging-<pid>``); nothing touches the store while the file is read.
Once the whole file is read, :meth:`Staged.publish` merges the staged rows into the
store in a single transaction, reading them back from Parquet. DuckDB writes the
rows of a large insert into the store file as it goes (the transaction's data is not
held in memory), and the session's ``memory_limit`` bounds what its joins and
aggregations keep in memory, so the memory an import needs does not grow with the
file. An import killed while staging leaves the store untouched; one killed while
publishing is rolled back by DuckDB on the next open. Staging folders left by a
killed process are removed by the next import (only one process writes to a store).

A file read whole into a store that holds no posts yet needs none of the merging: no
key of it can be stored already. Its posts then go straight into ``posts``, row group
by row group as the file is read (:meth:`Staged.insert_directly`), inside the one
transaction the caller opened before reading, so that DuckDB writes them while the
file is still being parsed; only keys the file repeats are settled once it is read.
The transaction is committed after the whole file is read, or rolled back: an import
that fails or is killed leaves the store as it was, as above.
"""

from __future__ import annotations

import functools
import shutil
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from govwatch.arrays import array, from_numpy, scalar
from govwatch.records import (
    ACCOUNT_ARROW_SCHEMA,
    ATTRIBUTE_COLUMNS,
    OPTIONAL_POST_FIELDS,
    OUTAGE_COLUMNS,
    POST_ARROW_SCHEMA,
    READER_ACCOUNT_COLUMNS,
    READER_POST_COLUMNS,
    Batch,
    Reject,
    attributes_table,
)

from .base import ReadOptions, strict_stop
from .ordered import usable_cpus
from .times import EARLIEST_US, LATEST_US, implausible

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import pyarrow.parquet as pq

# DuckDB settings while publishing. memory_limit: beyond it, joins and sorts spill to
# disk and written blocks leave memory. The FSST string compressions cost more CPU than
# the rest of an import together; without them text takes more room in the store.
# enable_progress_bar: DuckDB's own bar, drawn on the terminal once a statement runs two
# seconds (a large insert), beside the command's bar or despite --quiet.
PUBLISH_SETTINGS = {"memory_limit": "256MB", "disabled_compression_methods": "fsst,dict_fsst",
                    "enable_progress_bar": "false"}

POST_SCHEMA = POST_ARROW_SCHEMA
# A reader's posts with the optional fields (null where the reader gives none): the time
# each text was current, and whether created_at is a date alone.
VERSIONED_POST_SCHEMA = pa.schema([*POST_SCHEMA, *OPTIONAL_POST_FIELDS])
ACCOUNT_SCHEMA = ACCOUNT_ARROW_SCHEMA
# Staged posts also carry their position in the file (the first of two equal keys
# wins a tie) and whether they came from a full archive (they prove what it holds).
_STAGE_POSTS = VERSIONED_POST_SCHEMA.append(pa.field("_seq", pa.int64())).append(
    pa.field("_archived", pa.bool_())
)
_STAGE_ACCOUNTS = ACCOUNT_SCHEMA.append(pa.field("_seq", pa.int64()))

_PREFIX = ".staging-"
# Read back once, right away: plain encoding, no compression, no statistics (each
# would cost more time than it saves).
_PARQUET = {"compression": "none", "use_dictionary": False, "write_statistics": False}


def _parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    # pyarrow.parquet (and the filesystems and TLS it loads) only when something is
    # staged: `analyze --events` reads this module's neighbours and writes nothing here
    import pyarrow.parquet as pq

    return pq.ParquetWriter(path, schema, **_PARQUET)
# Staged posts are written in Parquet row groups of DuckDB's row group size (its
# default, 122,880 rows): DuckDB's insert then writes each one straight to the store
# file, where smaller ones would first be copied together into full row groups (about
# a fifth of the insert's work). Batches are held until a row group is full, or until
# they hold STAGE_HELD_BYTES (posts with long texts or their raw records), so the memory
# staging holds is bounded whatever the file's size.
ROW_GROUP_ROWS = 122_880
STAGE_HELD_BYTES = 64 << 20
# Row groups handed to the writing thread and not yet written, at most (see Staged._write).
WRITES_HELD = 2


def to_arrow(frame, schema: pa.Schema) -> pa.Table:
    """A batch's posts or accounts (Arrow table or pandas frame) in ``schema``."""
    if isinstance(frame, pa.Table | pa.RecordBatch):
        table = pa.Table.from_batches([frame]) if isinstance(frame, pa.RecordBatch) else frame
        table = table.select(schema.names)
        return table if table.schema == schema else table.cast(schema)
    frame = frame[list(schema.names)]
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def versioned_posts(frame) -> pa.Table:
    """A batch's posts in VERSIONED_POST_SCHEMA: with the optional columns the reader
    gives, and null ones for those it does not."""
    columns = frame.column_names if isinstance(frame, pa.Table | pa.RecordBatch) else frame.columns
    given = [f for f in OPTIONAL_POST_FIELDS if f.name in columns]
    posts = to_arrow(frame, pa.schema([*POST_SCHEMA, *given]))
    if len(given) == len(OPTIONAL_POST_FIELDS):
        return posts
    return pa.Table.from_arrays(
        [posts.column(f.name) if f.name in posts.column_names
         else pa.nulls(posts.num_rows, f.type)
         for f in VERSIONED_POST_SCHEMA], schema=VERSIONED_POST_SCHEMA)


@dataclass

class StagedRead:
    """What reading a file, or a part of it, gave besides the rows it staged."""

    rows_read: int = 0
    rejects: list[Reject] = field(default_factory=list)
    archives: set[tuple[str, str]] = field(default_factory=set)  # (platform, author) held whole

    def add(self, other: StagedRead) -> None:
        """Take in what a later part of the file gave."""
        self.rows_read += other.rows_read
        self.rejects.extend(other.rejects)
        self.archives |= other.archives


def stage_batches(staged: Staged, path: Path, batches: Iterable[Batch],
                  options: ReadOptions) -> StagedRead:
    """Stage a reader's batches of ``path``; with ``--strict``, stop at the first reject
    (InputError). The importing process and each process reading a part do this."""
    read = StagedRead()
    for batch in batches:
        refuse_implausible(batch)
        strict_stop(path, options, batch.rejects)
        read.rows_read += batch.rows_read
        read.rejects.extend(batch.rejects)
        read.archives.update(batch.full_archive_of)
        staged.add_batch(batch, options.keep_raw)
    return read


def refuse_implausible(batch: Batch) -> None:
    """Turn a batch's posts dated outside the plausible range (ingest/times.py) into
    rejects, whatever reader made them. Readers of hand-written files refuse them first,
    with their line."""
    if batch.posts is None or not len(batch.posts):
        return
    posts = versioned_posts(batch.posts)
    if not any(_implausible(chunk) for chunk in posts.column("created_at").chunks):
        return
    import pyarrow.compute as pc  # only now: its import costs a twentieth of a second

    micros = pc.cast(posts.column("created_at"), pa.int64())
    bad = pc.fill_null(pc.or_(pc.less(micros, scalar(EARLIEST_US, pa.int64())),
                              pc.greater_equal(micros, scalar(LATEST_US, pa.int64()))),
                       scalar(False, pa.bool_()))
    for row in posts.filter(bad).select(["post_id", "created_at"]).to_pylist():
        batch.rejects.append(Reject(f"post_id {row['post_id']}",
                                    implausible("created_at", row["created_at"].isoformat())))
    batch.posts = posts.filter(pc.invert(bad))


def _implausible(times: pa.Array) -> bool:
    """Whether any time of ``times`` (microseconds since the epoch; nulls are not) lies
    outside the plausible range, read from its buffers with NumPy."""
    n, offset = len(times), times.offset
    if not n or times.null_count == n:
        return False
    validity, data = times.buffers()[:2]
    micros = np.frombuffer(data, np.int64, count=n, offset=offset * 8)
    bad = (micros < EARLIEST_US) | (micros >= LATEST_US)
    if times.null_count:
        bits = np.unpackbits(np.frombuffer(validity, np.uint8), count=offset + n,
                             bitorder="little")
        bad &= bits[offset:].view(np.bool_)
    return bool(bad.any())


def clear_leftovers(store_path: Path) -> None:
    """Remove staging folders of imports into this store that were killed."""
    for p in store_path.parent.glob(store_path.name + _PREFIX + "*"):
        shutil.rmtree(p, ignore_errors=True)


class Staged:
    """One file's posts, accounts and archive keys, staged as Parquet files.

    A file read in parts by several processes (ingest/parts.py) is staged in one folder
    per part inside this one (:meth:`part_folder`); each part numbers its rows from its
    own ``seq_base``, so that ``_seq`` keeps the file's order across parts, and
    :meth:`add_part` makes its files part of what is published.
    """

    def __init__(self, store_path: Path | None, import_tag: str = "", *,
                 folder: Path | None = None, seq_base: int = 0):
        if folder is None:
            if store_path is None:
                raise ValueError("staging needs the store's path or a folder")
            folder = store_path.parent / f"{store_path.name}{_PREFIX}{import_tag}"
        self.dir = folder
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.posts_file = self.dir / "posts.parquet"
        self.accounts_file = self.dir / "accounts.parquet"
        self._posts: pq.ParquetWriter | None = None
        self._accounts: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []  # staged posts not yet written
        self._pending_rows = self._pending_bytes = 0
        self._writer: ThreadPoolExecutor | None = None  # writes posts beside the reading
        # (connection, parameters) while posts go straight into the store's posts table
        self._direct: tuple[Any, dict[str, Any]] | None = None
        self._writes: deque[Future] = deque()  # its writes in flight, oldest first
        self._seq_base = seq_base
        self.posts = 0
        self.accounts = 0
        self.archived = False
        self._post_files = [self.posts_file]  # with the parts' files: what is published
        self._account_files = [self.accounts_file]
        self._attributes: list[pa.Table] = []  # message_attributes rows (small: held)
        self._outages: list = []  # Outage records (outage lists are small: held)

    def insert_directly(self, con, file: str, import_id: int) -> None:
        """Insert the posts added from now on straight into ``posts`` through ``con``,
        inside the transaction the caller has opened on it, rather than staging them.
        Only for a file read whole (no parts) into a store holding no posts, by a reader
        without ``full_archives``: :meth:`publish_posts` then only settles the keys the
        file repeats. ``con`` is used by one thread at a time: the writing one while
        the file is read (see :meth:`_write`), the caller's after :meth:`close`."""
        self._direct = (con, {"file": file, "import_id": import_id})

    def part_folder(self, index: int) -> Path:
        """The folder where part ``index`` of the file is staged."""
        return self.dir / f"part-{index}"

    @staticmethod
    def part_seq_base(index: int) -> int:
        """The first ``_seq`` of part ``index``: parts never overlap (2**40 rows each)."""
        return index << 40

    def add_part(self, folder: Path, posts: int, accounts: int, archived: bool) -> None:
        """Publish, with this file's own rows, what a part staged in ``folder``."""
        if posts:
            self._post_files.append(folder / self.posts_file.name)
            self.posts += posts
            self.archived |= archived
        if accounts:
            self._account_files.append(folder / self.accounts_file.name)
            self.accounts += accounts

    def add_batch(self, batch: Batch, keep_raw: bool) -> None:
        """Stage a reader's batch: its posts (their raw records only with ``keep_raw``)
        and accounts."""
        if batch.posts is not None and len(batch.posts):
            posts = versioned_posts(batch.posts)
            if not keep_raw:  # whatever the reader gave (a third-party one too)
                i = posts.schema.get_field_index("raw")
                posts = posts.set_column(i, "raw", pa.nulls(posts.num_rows, pa.string()))
            self.add_posts(posts, archived=bool(batch.full_archive_of))
        if batch.accounts is not None and len(batch.accounts):
            self.add_accounts(to_arrow(batch.accounts, ACCOUNT_SCHEMA))
        if isinstance(batch.attributes, pa.Table):  # a reader that builds them as columns
            if batch.attributes.num_rows:
                self._attributes.append(batch.attributes)
        elif batch.attributes:
            self._attributes.append(attributes_table(batch.attributes))
        self._outages.extend(batch.outages)

    def _source(self, files: list[Path]) -> str:
        """The staged files that hold rows, as a DuckDB table function."""
        held = [f for f in files if f.is_file()]
        return "read_parquet([" + ", ".join(f"'{_sql_path(f)}'" for f in held) + "])"

    def add_posts(self, table: pa.Table, archived: bool) -> None:
        n = table.num_rows
        if not n:
            return
        table = versioned_posts(table)
        if self._direct is not None:
            if archived:  # a reader that does not say it gives them (Reader.full_archives)
                raise ValueError("a whole archive's posts must be staged to be published")
        else:
            first = self._seq_base + self.posts
            seq = array(range(first, first + n), pa.int64())
            table = table.append_column("_seq", seq).append_column(
                "_archived", from_numpy(np.full(n, archived, np.bool_))
            )
        self._pending.append(table)
        self._pending_rows += n
        self._pending_bytes += table.nbytes
        self.posts += n
        self.archived |= archived
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._write_posts(final=False)
        elif self._pending_bytes >= STAGE_HELD_BYTES:
            self._write_posts(final=True)

    def _write_posts(self, final: bool) -> None:
        """Write the held posts in full row groups; with ``final``, the rest as well."""
        if not self._pending:
            return
        table = pa.concat_tables(self._pending)  # no copy: the batches become its chunks
        full = table.num_rows if final else table.num_rows // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        if self._direct is not None:
            write = self._insert
        else:
            if self._posts is None:
                self._posts = _parquet_writer(self.posts_file, _STAGE_POSTS)
            write = functools.partial(self._posts.write_table, row_group_size=ROW_GROUP_ROWS)
        if full:
            self._write(write, table.slice(0, full))
        rest = table.slice(full)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows
        self._pending_bytes = rest.nbytes

    def _insert(self, table: pa.Table) -> None:
        """Insert posts straight into the store (see :meth:`insert_directly`)."""
        assert self._direct is not None
        con, params = self._direct
        cols = ", ".join(f'"{c}"' for c in VERSIONED_POST_SCHEMA.names)
        # As a stream of one batch: a registered table would be kept alive by DuckDB
        # until the commit (memory growing with the file); a stream is read and let go.
        table = table.combine_chunks()
        con.register("_direct_posts", pa.RecordBatchReader.from_batches(
            table.schema, table.to_batches()))
        try:
            con.execute(f"INSERT INTO posts ({cols}, source_file, import_id) SELECT {cols}, "
                        "$file, $import_id FROM _direct_posts", params).fetchall()
        finally:
            con.unregister("_direct_posts")

    def _write(self, write: Callable[[pa.Table], object], table: pa.Table) -> None:
        """``write(table)`` (to the Parquet file, or into the store): with more than one
        usable CPU, in a thread of its own (Parquet encoding and DuckDB's insert release
        the GIL), so that the thread reading the file goes on meanwhile. Writes keep
        their order (one thread), and at most WRITES_HELD tables wait, so what staging
        holds stays bounded. An error of a write comes out of a later one, or of
        :meth:`close`."""
        if self._writer is None:
            if usable_cpus() <= 1:
                write(table)
                return
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(1, thread_name_prefix="govwatch-stage")
        while len(self._writes) >= WRITES_HELD:
            self._writes.popleft().result()
        self._writes.append(self._writer.submit(write, table))

    def _drain(self) -> None:
        """Wait for the writes in flight (raising the first error), and end the thread."""
        try:
            while self._writes:
                self._writes.popleft().result()
        finally:
            for f in self._writes:
                f.cancel()
            self._writes.clear()
            if self._writer is not None:
                self._writer.shutdown(wait=True)
                self._writer = None

    def add_accounts(self, table: pa.Table) -> None:
        n = table.num_rows
        if not n:
            return
        first = self._seq_base + self.accounts
        seq = array(range(first, first + n), pa.int64())
        table = table.append_column("_seq", seq)
        if self._accounts is None:
            self._accounts = _parquet_writer(self.accounts_file, _STAGE_ACCOUNTS)
        self._accounts.write_table(table)
        self.accounts += n

    def close(self) -> None:
        try:
            self._write_posts(final=True)
        finally:
            self._drain()
        for w in (self._posts, self._accounts):
            if w is not None:
                w.close()
        self._posts = self._accounts = None

    def remove(self) -> None:
        self._pending = []
        try:
            self.close()
        except OSError:  # a write that failed (the disk is full): its folder goes all the same
            pass
        except Exception:
            if self._direct is None:
                raise
            # An insert that failed (DuckDB out of memory or disk) while another error
            # ends the import: the caller rolls the transaction back and reports that one.
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- publishing (inside the caller's transaction) -------------------------------
    def publish_posts(self, con, file: str, import_id: int) -> tuple[int, int]:
        """Merge the staged posts into ``posts``. Returns (added, merged): the posts new to
        the store, and the stored posts the file also holds (merged with it). A post the
        file holds more than once counts once, whether or not its rows were read in one
        batch (or one part of the file). A stored post whose text the file gives
        otherwise was edited: :attr:`changed` counts them (see :meth:`_keep_versions`)."""
        self.changed = 0
        if not self.posts:
            return 0, 0
        if self._direct is not None:  # inserted already, into a store that held no posts
            return self.posts - self._drop_repeated(con, import_id), 0
        src = self._source(self._post_files)
        cols = ", ".join(f'"{c}"' for c in VERSIONED_POST_SCHEMA.names)
        target = f"{cols}, source_file, import_id"
        values = f"{cols}, $file AS source_file, $import_id AS import_id"
        params = {"file": file, "import_id": import_id}
        repeated = _repeated_keys(src, "_seq")  # keys staged more than once, and winners
        dupes = con.execute(f"SELECT count(*) FROM {repeated}").fetchall()[0][0]
        stored = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
        existing = stored and con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT platform, post_id FROM {src}) s "
            "SEMI JOIN posts p ON p.platform = s.platform AND p.post_id = s.post_id"
        ).fetchall()[0][0]
        if not existing:  # the common case: every key is new
            if not dupes:  # ... and staged once
                con.execute(f"INSERT INTO posts ({target}) SELECT {values} FROM {src}",
                            params).fetchall()
                return self.posts, 0
            # Only the repeated keys' losing rows are left out: a join with the repeated
            # keys alone, where a window would sort every staged row.
            added = con.execute(
                f"INSERT INTO posts ({target}) SELECT {values} FROM {src} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {repeated} r WHERE r.platform = s.platform "
                "AND r.post_id = s.post_id AND r.keep <> s._seq)",
                params,
            ).fetchall()[0][0]
            return added, 0
        # One row per key, as above.
        one = (f"(SELECT * FROM {src} QUALIFY row_number() OVER (PARTITION BY platform, "
               f"post_id ORDER BY created_at_derived, {_NEWEST_FIRST}, _seq) = 1)")
        before = stored
        if existing:
            self.changed = self._keep_versions(con, one, import_id)
            con.execute(
                f"""
                UPDATE posts SET
                  created_at = CASE WHEN {_TIME_REPLACED} THEN s.created_at
                                    ELSE posts.created_at END,
                  day_precision = CASE WHEN {_TIME_REPLACED} THEN s.day_precision
                                       ELSE posts.day_precision END,
                  created_at_derived = posts.created_at_derived AND s.created_at_derived,
                  mentions = CASE WHEN len(coalesce(posts.mentions, [])) = 0 OR ({_STUB_REPLACED})
                                  THEN s.mentions ELSE posts.mentions END,
                  text = CASE WHEN {_STUB_REPLACED} THEN coalesce(s.text, posts.text)
                              WHEN {_BOTH_VERSIONED.format(p="posts")} THEN posts.text
                              ELSE coalesce(posts.text, s.text) END,
                  version_at = CASE WHEN posts.text IS NOT DISTINCT FROM s.text
                                      OR (posts.text IS NULL
                                          AND NOT {_BOTH_VERSIONED.format(p="posts")})
                                    THEN greatest(posts.version_at, s.version_at)
                                    ELSE posts.version_at END,
                  {_POST_MERGE}
                FROM {one} s
                WHERE posts.platform = s.platform AND posts.post_id = s.post_id
                """
            ).fetchall()
        con.execute(
            f"""
            INSERT INTO posts ({target}) SELECT {values} FROM {one} s
            WHERE NOT EXISTS (SELECT 1 FROM posts p
                              WHERE p.platform = s.platform AND p.post_id = s.post_id)
            """,
            params,
        ).fetchall()
        added = con.execute("SELECT count(*) FROM posts").fetchall()[0][0] - before
        return added, existing

    @staticmethod
    def _drop_repeated(con, import_id: int) -> int:
        """Delete the losing rows of each key inserted more than once (the same rule as
        staged rows, the row's place in the file being its place in the table: DuckDB
        keeps the order of inserted rows). Returns how many rows were deleted.

        First, as many distinct hashes of the keys as rows proves every key is there
        once (two keys of one hash only make it look further): counting them costs
        about a seventh of the grouping below, and DuckDB's delete joins every row."""
        once = con.execute(
            "SELECT count(*) = count(DISTINCT hash(platform, post_id)) FROM posts "
            "WHERE import_id = $import_id", {"import_id": import_id}).fetchall()[0][0]
        if once:
            return 0
        repeated = _repeated_keys("posts WHERE import_id = $import_id", "rowid")
        return con.execute(
            f"DELETE FROM posts p USING {repeated} r WHERE p.import_id = $import_id "
            "AND p.platform = r.platform AND p.post_id = r.post_id AND p.rowid <> r.keep",
            {"import_id": import_id}).fetchall()[0][0]

    @staticmethod
    def _keep_versions(con, one: str, import_id: int) -> int:
        """Stored posts that the file gives with another text (edited between exports).

        The newer text is the post's text: the one with the later ``version_at`` (the
        export's own time), or the file's when either time is unknown or both are equal
        (the later import; docs/data-model.md). The other text goes to ``post_versions``,
        which holds each other text a post has had once, with the latest time it was
        seen current; a text that becomes the post's text again leaves it. An edited post
        loses its tags (the next analysis tags the new text). Returns how many posts the
        file gave with another text."""
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _edits AS
            SELECT p.platform, p.post_id, p.text AS stored_text, p.version_at AS stored_at,
                   s.text AS file_text, s.version_at AS file_at,
                   (p.version_at IS NULL OR s.version_at IS NULL
                    OR s.version_at >= p.version_at) AS file_newer
            FROM posts p JOIN {one} s ON p.platform = s.platform AND p.post_id = s.post_id
            WHERE p.text <> s.text OR ({_BOTH_VERSIONED.format(p="p")}
                                       AND p.text IS DISTINCT FROM s.text)
            """).fetchall()
        try:
            n = con.execute("SELECT count(*) FROM _edits").fetchall()[0][0]
            if not n:
                return 0
            older = ("(SELECT platform, post_id, CASE WHEN file_newer THEN stored_text ELSE "
                     "file_text END AS text, CASE WHEN file_newer THEN stored_at ELSE file_at "
                     "END AS version_at FROM _edits)")
            params = {"import_id": import_id}
            con.execute(
                f"""
                UPDATE post_versions v SET version_at = greatest(v.version_at, o.version_at),
                  replaced_by_import = $import_id, replaced_at = current_timestamp
                FROM {older} o
                WHERE v.platform = o.platform AND v.post_id = o.post_id
                  AND v.text IS NOT DISTINCT FROM o.text
                """, params).fetchall()
            con.execute(
                f"""
                INSERT INTO post_versions (platform, post_id, text, replaced_by_import,
                                           replaced_at, version_at)
                SELECT o.platform, o.post_id, o.text, $import_id, current_timestamp,
                       o.version_at FROM {older} o
                WHERE NOT EXISTS (SELECT 1 FROM post_versions v WHERE v.platform = o.platform
                                  AND v.post_id = o.post_id
                                  AND v.text IS NOT DISTINCT FROM o.text)
                """, params).fetchall()
            newer = "(SELECT * FROM _edits WHERE file_newer)"
            con.execute(
                f"""
                UPDATE posts SET text = e.file_text, version_at = greatest(e.file_at, (
                    SELECT max(v.version_at) FROM post_versions v WHERE v.platform = e.platform
                    AND v.post_id = e.post_id AND v.text IS NOT DISTINCT FROM e.file_text))
                FROM {newer} e
                WHERE posts.platform = e.platform AND posts.post_id = e.post_id
                """).fetchall()
            con.execute(
                f"""
                DELETE FROM post_versions v USING {newer} e
                WHERE v.platform = e.platform AND v.post_id = e.post_id
                  AND v.text IS NOT DISTINCT FROM e.file_text
                """).fetchall()
            con.execute(f"DELETE FROM tags WHERE (platform, post_id) IN "
                        f"(SELECT platform, post_id FROM {newer})").fetchall()
            return n
        finally:
            con.execute("DROP TABLE IF EXISTS _edits").fetchall()

    def publish_accounts(self, con, file: str, import_id: int) -> int:
        """Merge the staged accounts into ``accounts``. Returns the number added."""
        if not self.accounts:
            return 0
        src = self._source(self._account_files)
        # Handles match in any letter case: an account is (platform, lower(author)).
        stored = ("(SELECT platform, lower(author) AS la, min(author) AS author "
                  "FROM accounts GROUP BY ALL)")
        distinct, existing = con.execute(
            f"SELECT count(*), count(a.author) FROM (SELECT DISTINCT platform, lower(author) "
            f"AS la FROM {src}) s LEFT JOIN {stored} a USING (platform, la)"
        ).fetchall()[0]
        cols = ", ".join(f'"{c}"' for c in READER_ACCOUNT_COLUMNS)
        params = {"file": file, "import_id": import_id}
        if not existing:  # the common case: every account is new
            con.execute(f"INSERT INTO accounts ({cols}, source_file, import_id) "
                        f"SELECT {cols}, $file, $import_id FROM {first_account_rows(src)}",
                        params).fetchall()
            return distinct
        # An account stored under another letter case keeps its stored spelling.
        src = (f"(SELECT s.* REPLACE (coalesce(a.author, s.author) AS author) FROM {src} s "
               f"LEFT JOIN {stored} a ON a.platform = s.platform AND a.la = lower(s.author))")
        insert = (f"INSERT INTO accounts ({cols}, source_file, import_id) "
                  f"SELECT {cols}, $file, $import_id FROM {first_account_rows(src)}")
        updates = ",\n".join(
            f'"{c}" = coalesce(excluded."{c}", accounts."{c}")'
            for c in READER_ACCOUNT_COLUMNS
            if c not in ("platform", "author", "official")
        )
        # A later accounts file updates what it states; official status is never
        # taken away by a file that merely mentions the account.
        con.execute(
            f"""
            {insert}
            ON CONFLICT (platform, author) DO UPDATE SET
              official = accounts.official OR excluded.official,
              {updates}
            """,
            params,
        ).fetchall()
        return distinct - existing

    def publish_attributes(self, con) -> int:
        """Write the staged message attributes; a post's attributes read again replace
        the stored ones (the latest export of a ticket says its current status)."""
        if not self._attributes:
            return 0
        table = pa.concat_tables(self._attributes)
        cols = ", ".join(f'"{c}"' for c in ATTRIBUTE_COLUMNS)
        con.register("_attributes_batch", table)
        try:
            con.execute(
                f"INSERT OR REPLACE INTO message_attributes ({cols}) SELECT {cols} FROM "
                "_attributes_batch QUALIFY row_number() OVER "
                "(PARTITION BY platform, post_id ORDER BY 1) = 1").fetchall()
        finally:
            con.unregister("_attributes_batch")
        return table.num_rows

    def publish_outages(self, con, file: str) -> int:
        """Write the staged outage records; a record read again (same id) is replaced."""
        if not self._outages:
            return 0
        rows = {o.outage_id: o for o in self._outages}
        cols = ", ".join(f'"{c}"' for c in (*OUTAGE_COLUMNS, "source_file"))
        con.executemany(
            f"INSERT OR REPLACE INTO outages ({cols}) VALUES ({', '.join('?' * 10)})",
            [[o.outage_id, o.country, o.region, o.start_at, o.end_at, o.end_known,
              list(o.scope), o.kind, o.source, file] for o in rows.values()])
        return len(rows)

    def mark_deleted(self, con, archives: set[tuple[str, str]], import_id: int) -> int:
        """Posts of an archived account that the archive should hold but does not.

        The caller passes only archives read whole and clean (no rejects: a truncated or
        partly bad archive proves nothing missing). An archive older than one imported
        before (its newest post older than theirs) proves nothing either. Otherwise its
        posts are alive (a deletion flag set before is cleared) and, of the posts stored
        before, those older than its newest post and missing from it were deleted. Only
        posts read from an export count (not times derived from ids), and deleted_at is
        set once, to the time of this import.
        """
        if not archives or not self.archived:
            return 0
        seen = (f"(SELECT platform, post_id, author, created_at FROM "
                f"{self._source(self._post_files)} WHERE _archived AND NOT created_at_derived)")
        total = 0
        for platform, author in sorted(archives):
            key = {"platform": platform, "author": author, "import_id": import_id}
            newest, before = con.execute(
                f"""
                SELECT (SELECT max(created_at) FROM {seen}
                        WHERE platform = $platform AND lower(author) = lower($author)),
                       (SELECT max(p.created_at) FROM posts p JOIN imports i USING (import_id)
                        WHERE i.format = 'x-archive' AND p.import_id <> $import_id
                          AND p.platform = $platform AND lower(p.author) = lower($author)
                          AND NOT p.created_at_derived)
                """, key).fetchall()[0]
            if newest is None or (before is not None and newest < before):
                continue  # an older archive than one imported before
            con.execute(
                f"""
                UPDATE posts SET deleted_at = NULL
                WHERE platform = $platform AND deleted_at IS NOT NULL
                  AND post_id IN (SELECT post_id FROM {seen} WHERE platform = $platform)
                """, {"platform": platform}).fetchall()
            total += con.execute(
                f"""
                UPDATE posts SET deleted_at = current_timestamp
                WHERE platform = $platform AND lower(author) = lower($author)
                  AND deleted_at IS NULL AND NOT created_at_derived
                  AND created_at <= $newest
                  AND post_id NOT IN (SELECT post_id FROM {seen} WHERE platform = $platform)
                """,
                {"platform": platform, "author": author, "newest": newest},
            ).fetchall()[0][0]
        return total


def first_account_rows(src: str) -> str:
    """One staged row per account, (platform, author) with the handle in any letter
    case (the spelling of the row kept): an official one first, then the first in
    the file (an official NULL after a false one, as ORDER BY official DESC puts NULLs
    last). As a grouped arg_min rather than a window: about 3x less work on the many
    repeated rows a file of posts stages (one per author per batch)."""
    rank = "CASE WHEN s.official THEN 0 WHEN s.official IS NOT NULL THEN 1 ELSE 2 END"
    return (f"(SELECT unnest(arg_min(s, ({rank}, s._seq))) FROM {src} s "
            "GROUP BY s.platform, lower(s.author))")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# Rows ordered newest text first (by version_at; a row without one after those with one).
_NEWEST_FIRST = "version_at IS NULL, coalesce(-epoch_us(version_at), 0)"


def _repeated_keys(rows: str, seq: str) -> str:
    """A subquery of the keys ``rows`` holds more than once, each with the ``seq`` (the
    row's place in the file) of the row that wins: a time read from the export beats
    one derived from an id, then the newest text (by version_at), then the first in
    the file."""
    return (f"(SELECT platform, post_id, arg_min({seq}, (created_at_derived, "
            f"{_NEWEST_FIRST}, {seq})) AS keep FROM {rows} "
            "GROUP BY platform, post_id HAVING count(*) > 1)")


# Merge rule for a post already stored: keep what the store has, fill what it lacks;
# but a stub (a parent known only from a reply, its time derived from its id) gives
# way to the post itself when an export brings it.
_STUB_REPLACED = "posts.created_at_derived AND NOT s.created_at_derived"
# ... and a date alone (--day-precision) gives way to the time of day another export gives.
_TIME_REPLACED = (f"({_STUB_REPLACED}) OR (coalesce(posts.day_precision, false) AND NOT "
                  "coalesce(s.day_precision, false) AND NOT s.created_at_derived)")
_POST_MERGE = ",\n  ".join(
    f'"{c}" = CASE WHEN {_STUB_REPLACED} THEN coalesce(s."{c}", posts."{c}") '
    f'ELSE coalesce(posts."{c}", s."{c}") END'
    for c in READER_POST_COLUMNS
    if c not in ("platform", "post_id", "created_at", "created_at_derived", "mentions", "text")
)
# Both the stored post and the file's row say when their text was current: the text,
# even none (a caption removed by an edit), is then chosen by that time alone
# (Staged._keep_versions), never filled in from the other.
_BOTH_VERSIONED = "({p}.version_at IS NOT NULL AND s.version_at IS NOT NULL)"
