"""The one typed record shape every reader produces.

Readers of JSON-like exports yield :class:`Post`, :class:`Account` and
:class:`Reject` records; readers of large tabular files may build the same
columns directly as a frame (:func:`posts_frame` documents the shape). Either
way a :class:`Batch` is what reaches the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING

import pyarrow as pa

from .arrays import array
from .schema import ACCOUNT_COLUMNS, POST_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

# Columns a reader fills; the pipeline adds source_file and import_id. A reader may also
# give the OPTIONAL_POST_FIELDS (see Post.version_at and Post.day_precision).
VERSION_AT_FIELD = pa.field("version_at", pa.timestamp("us", tz="UTC"))
DAY_PRECISION_FIELD = pa.field("day_precision", pa.bool_())
OPTIONAL_POST_FIELDS = (VERSION_AT_FIELD, DAY_PRECISION_FIELD)
READER_POST_COLUMNS = tuple(c for c in POST_COLUMNS if c not in (
    "source_file", "import_id", *(f.name for f in OPTIONAL_POST_FIELDS)))
READER_ACCOUNT_COLUMNS = tuple(
    c for c in ACCOUNT_COLUMNS if c not in ("source_file", "import_id")
)


# The same shapes as Arrow schemas (what the import stages; see ingest/staging.py).
_UTC_US = pa.timestamp("us", tz="UTC")
_ARROW_TYPES = {"created_at": _UTC_US, "deleted_at": _UTC_US, "created_at_derived": pa.bool_(),
                "mentions": pa.list_(pa.string()), "like_count": pa.int64(),
                "share_count": pa.int64(), "reply_count": pa.int64(), "official": pa.bool_()}
POST_ARROW_SCHEMA = pa.schema([(c, _ARROW_TYPES.get(c, pa.string())) for c in READER_POST_COLUMNS])
ACCOUNT_ARROW_SCHEMA = pa.schema(
    [(c, _ARROW_TYPES.get(c, pa.string())) for c in READER_ACCOUNT_COLUMNS]
)


@dataclass(frozen=True, slots=True)
class Post:
    platform: str
    post_id: str
    author: str
    created_at: datetime  # tz-aware
    text: str | None = None
    kind: str = "post"
    author_id: str | None = None
    created_at_derived: bool = False
    lang: str | None = None
    in_reply_to_post_id: str | None = None
    in_reply_to_author: str | None = None
    conversation_id: str | None = None
    mentions: tuple[str, ...] = ()
    url: str | None = None
    like_count: int | None = None
    share_count: int | None = None
    reply_count: int | None = None
    deleted_at: datetime | None = None
    raw: str | None = None  # the original record as JSON text
    # When this text is known to have been the post's text: the export or collection time
    # the format carries, else the post's edit time (or created_at where the format would
    # name an edit); None when the export tells nothing. The newest by this time is kept.
    version_at: datetime | None = None
    # created_at was written as a date alone and taken as midnight (--day-precision).
    day_precision: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    platform: str
    author: str
    official: bool = False
    display_name: str | None = None
    institution: str | None = None
    country: str | None = None
    level: str | None = None
    timezone: str | None = None
    office_hours: str | None = None
    institution_type: str | None = None  # normalised: see institution_types()


def institution_types(values: pd.Series) -> pd.Series:
    """Institution types as stored: free text ("Ministry of  Health", "city_hall")
    normalised to lower case with single spaces ("ministry of health", "city hall"), so
    that peers of one type group together; empty text becomes missing."""
    out = values.astype("string").str.replace(r"[\s_]+", " ", regex=True).str.strip() \
        .str.lower()
    return out.mask(out == "")


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that could not be imported: where it is, why, and a short excerpt."""

    locator: str  # "line 12" or a JSON path such as "$[3].tweet.id_str"
    reason: str
    excerpt: str = ""


@dataclass(frozen=True, slots=True)
class MessageAttributes:
    """What a post is beyond the posts columns, for channels other than public replies:
    the channel it came through, a review's star rating, a ticket's status and category,
    and a data-quality flag (see docs/data-model.md, ``message_attributes``)."""

    platform: str
    post_id: str
    channel: str  # one of CHANNELS
    rating: int | None = None  # app-store review stars (1-5)
    status: str | None = None  # ticket: open|closed|acknowledged; reply: acknowledged|closed
    category: str | None = None  # ticket service name or category; review: app version
    flag: str | None = None  # e.g. reply_predates_message, bulk_update


# Channels a message can come through (responses.channel).
CHANNELS = ("public_reply", "comment", "review", "complaint_ticket", "direct_message")
ATTRIBUTE_COLUMNS = ("platform", "post_id", "channel", "rating", "status", "category", "flag")
ATTRIBUTE_ARROW_SCHEMA = pa.schema(
    [(c, pa.int64() if c == "rating" else pa.string()) for c in ATTRIBUTE_COLUMNS])


def attributes_table(records: list[MessageAttributes]) -> pa.Table:
    return _table([[getattr(r, c) for r in records] for c in ATTRIBUTE_COLUMNS],
                  ATTRIBUTE_ARROW_SCHEMA)


@dataclass(frozen=True, slots=True)
class Outage:
    """A period when the internet, or some platforms, were unreachable in a country (or a
    region of it), from an outage list such as Access Now's #KeepItOn."""

    outage_id: str
    country: str  # ISO 3166 alpha-2
    start_at: datetime
    end_at: datetime | None  # None: ongoing when the list was written
    scope: tuple[str, ...] = ("internet",)  # "internet" or platform names (x, facebook, ...)
    region: str | None = None
    end_known: bool = True  # False: the list gives no end; end_at is the assumed one
    kind: str | None = None  # shutdown, throttling, service-based, ...
    source: str | None = None


OUTAGE_COLUMNS = ("outage_id", "country", "region", "start_at", "end_at", "end_known", "scope",
                  "kind", "source")


@dataclass
class Batch:
    """What a reader hands to the store at a time."""

    # A pandas frame (see posts_frame) or an Arrow table in POST_ARROW_SCHEMA / ACCOUNT_ARROW_SCHEMA.
    posts: pd.DataFrame | pa.Table | None = None
    accounts: pd.DataFrame | pa.Table | None = None
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    # (platform, author) pairs this file holds in full (an account's own archive).
    # A post of that author stored earlier, older than the newest post of the
    # archive and missing from it, was deleted: the import sets its deleted_at.
    full_archive_of: list[tuple[str, str]] = field(default_factory=list)
    # Channel, rating, status of posts that come through other channels (tickets, reviews):
    # records, or an Arrow table in ATTRIBUTE_ARROW_SCHEMA.
    attributes: list[MessageAttributes] | pa.Table = field(default_factory=list)
    # Outage records (outage lists are read by their own readers).
    outages: list[Outage] = field(default_factory=list)


def posts_frame(records: list[Post]) -> pd.DataFrame:
    """Canonical posts frame from records (column order of the posts table).

    Built column by column: no per-record dict copies, typed columns (UTC
    microsecond times, nullable integer counts) whatever the records hold.
    """
    import pandas as pd  # only here: the JSON readers that build rows never load pandas

    if not records:
        return empty_posts()
    cols = {c: [getattr(r, c) for r in records] for c in READER_POST_COLUMNS}
    cols["mentions"] = [list(m) for m in cols["mentions"]]
    times = {c: pa.array(cols.pop(c), _UTC_US).to_pandas(coerce_temporal_nanoseconds=False)
             for c in ("created_at", "deleted_at")}  # any year: the import judges them
    df = pd.DataFrame(cols)
    for c, values in times.items():
        df[c] = values.astype("datetime64[us, UTC]")
    for c in ("like_count", "share_count", "reply_count"):
        df[c] = df[c].astype("Int64")
    df["created_at_derived"] = df["created_at_derived"].astype(bool)
    versions = [r.version_at for r in records]
    if any(v is not None for v in versions):
        df[VERSION_AT_FIELD.name] = pa.array(versions, _UTC_US).to_pandas(
            coerce_temporal_nanoseconds=False).astype("datetime64[us, UTC]")
    if any(r.day_precision for r in records):
        df[DAY_PRECISION_FIELD.name] = [r.day_precision for r in records]
    return df


def accounts_frame(records: list[Account]) -> pd.DataFrame:
    import pandas as pd

    if not records:
        return pd.DataFrame(columns=list(READER_ACCOUNT_COLUMNS))
    return pd.DataFrame({c: [getattr(r, c) for r in records] for c in READER_ACCOUNT_COLUMNS})


# A record's values in READER_POST_COLUMNS order.
post_row = attrgetter(*READER_POST_COLUMNS)


def columns_table(columns: list[list]) -> pa.Table:
    """Posts given as one list per column (READER_POST_COLUMNS order) as an Arrow
    table in POST_ARROW_SCHEMA."""
    return _table(columns, POST_ARROW_SCHEMA)


# A record's values in READER_ACCOUNT_COLUMNS order.
account_row = attrgetter(*READER_ACCOUNT_COLUMNS)


def account_rows_table(rows: list[tuple]) -> pa.Table:
    """Accounts given as rows (READER_ACCOUNT_COLUMNS order) as an Arrow table in
    ACCOUNT_ARROW_SCHEMA."""
    columns = zip(*rows, strict=True) if rows else ([] for _ in ACCOUNT_ARROW_SCHEMA)
    return _table(columns, ACCOUNT_ARROW_SCHEMA)


def _table(columns, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays(
        [array(col, f.type) for col, f in zip(columns, schema, strict=True)], schema=schema)


def empty_posts() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=list(READER_POST_COLUMNS))


def printable(text: str) -> str:
    """``text`` safe to store and print: bytes that were not valid UTF-8 (kept as
    surrogate escapes by the readers) become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def excerpt(text: object, limit: int = 120) -> str:
    s = "" if text is None else printable(str(text))
    s = s.replace("\r", " ").replace("\n", " ")
    return s if len(s) <= limit else s[: limit - 1] + "…"
