"""Reader for the posts CSV anyone can write by hand (DESIGN: "posts CSV").

Required columns: platform, post_id, author, created_at (ISO 8601 with an
offset or Z), text. Optional: in_reply_to_post_id, in_reply_to_author,
conversation_id, lang, url, like_count, share_count, reply_count, kind.
Other columns are ignored; a mapping file renames foreign headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from govwatch.records import READER_POST_COLUMNS, Batch

from . import sniffers
from .arrow_csv import LineFinder, RawBatch, Unparsed, iter_block_runs, join_blocks
from .base import Reader, ReadOptions
from .fast_posts import fast_posts, reference_chunk, text_columns
from .ordered import ordered_map
from .posts_rules import (
    COUNTS,
    FILLED,
    KIND_REASON,
    KINDS,
    OPTIONAL,
    REQUIRED,
    TEXT_CAP,
    TEXT_CAP_REASON,
    is_record,
)
from .registry import register
from .tabular import (
    MENTION_RE,
    RowChecker,
    header_names,
    iter_chunks,
    parse_counts,
    parse_times,
    read_header,
)
from .times import DATE_ONLY


@register
class PostsCSVReader(Reader):
    name = "csv"
    platform = None  # each row names its platform
    description = "posts CSV (platform, post_id, author, created_at, text, ...)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.SNIFFERS["csv"](path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        names = read_header(path, options.mapping)
        header_names(path, names, REQUIRED, {})
        record = is_record(names)
        finder = LineFinder(path)
        try:
            try:
                # The blocks of a batch are put together by the converting thread, so
                # that the reading one goes on parsing meanwhile.
                converted = ordered_map(
                    lambda blocks: self._fast_or_reference(join_blocks(blocks), names, options),
                    iter_block_runs(path, len(names), progress, options.chunk_rows, record))
                # Rejects are placed on their physical lines here, batch after batch in file
                # order: the finder reads forward only, and a thread asking for an earlier
                # record would make it read the file again from the start.
                for batch in converted:
                    if batch.rejects:
                        batch.rejects = finder.relocate(batch.rejects)
                    yield batch
            except Unparsed as stop:  # carry on with the csv module where Arrow stopped
                for chunk in iter_chunks(path, REQUIRED, options.mapping, options.chunk_rows,
                                         progress, skip_records=stop.record - 1,
                                         is_record=record):
                    yield self._batch(chunk, options)
        finally:
            finder.close()

    def _fast_or_reference(self, raw: RawBatch, names: list[str],
                           options: ReadOptions) -> Batch:
        """The vectorised path for a clean batch; the row-checking path for any other.
        Rejects are still located by record number ("line <record>")."""
        posts = fast_posts(text_columns(raw.batch, names))
        if posts is not None:
            return Batch(posts=posts, rejects=list(raw.rejects), rows_read=raw.rows_read)
        chunk = reference_chunk(raw, names)
        return self._batch(chunk, options)

    def _batch(self, chunk, options: ReadOptions) -> Batch:
        import pandas as pd

        df = chunk.frame
        for col in OPTIONAL:
            if col not in df:
                df[col] = pd.Series(pd.NA, index=df.index, dtype="string")
        check = RowChecker(chunk)
        for col in FILLED:
            check.fail(df[col].isna(), f"{col} is empty")
        created, reasons = parse_times(df["created_at"], options.assume_tz, "created_at",
                                       options.day_precision, options.ambiguous_time)
        check.fail(reasons != "", reasons)
        text = df["text"].fillna("")
        check.fail(text.str.len() > TEXT_CAP, TEXT_CAP_REASON)
        counts = {}
        for col in COUNTS:
            counts[col], reasons = parse_counts(df[col], col)
            check.fail(reasons != "", reasons)
        kind = df["kind"].str.lower()
        check.fail(kind.notna() & ~kind.isin(KINDS), KIND_REASON)
        ok = ~check.bad
        out = pd.DataFrame(index=df.index[ok])
        out["platform"] = df["platform"][ok].str.lower()
        out["post_id"] = df["post_id"][ok]
        out["author"] = df["author"][ok].str.lstrip("@")
        out["author_id"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["created_at"] = created[ok]
        out["created_at_derived"] = False
        out["text"] = text[ok]
        out["lang"] = df["lang"][ok].str.lower()
        reply_to = df["in_reply_to_post_id"][ok]
        out["kind"] = kind[ok].fillna("post").where(
            kind[ok].notna() | reply_to.isna(), "reply"
        )
        out["in_reply_to_post_id"] = reply_to
        out["in_reply_to_author"] = df["in_reply_to_author"][ok].str.lstrip("@")
        out["conversation_id"] = df["conversation_id"][ok]
        out["mentions"] = text[ok].str.findall(MENTION_RE)
        out["url"] = df["url"][ok]
        for col in COUNTS:
            out[col] = counts[col][ok]
        out["deleted_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us, UTC]")
        out["raw"] = pd.Series(pd.NA, index=out.index, dtype="string")
        columns = list(READER_POST_COLUMNS)
        if options.day_precision:  # which times are dates alone, taken as midnight
            out["day_precision"] = df["created_at"][ok].str.match(DATE_ONLY, na=False)
            columns.append("day_precision")
        return Batch(
            posts=out[columns].reset_index(drop=True),
            rejects=check.all_rejects("post_id"),
            rows_read=chunk.rows_read,
        )
