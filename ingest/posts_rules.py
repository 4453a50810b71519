"""The posts CSV's rules, defined once.

The reader has two paths (ingest/csv_posts.py): a vectorised one (ingest/fast_posts.py)
that takes a batch only when every cell plainly meets these rules, and a row-checking
one that explains each row that does not. Both take the columns, the cells that must be
filled, the time rules (ingest/times.py), the caps and the kinds from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from govwatch.schema import POST_KINDS

from .base import MAX_TEXT_CHARS
from .sniffers import POSTS_REQUIRED
from .times import DATE

REQUIRED = POSTS_REQUIRED
OPTIONAL = (
    "in_reply_to_post_id",
    "in_reply_to_author",
    "conversation_id",
    "lang",
    "url",
    "like_count",
    "share_count",
    "reply_count",
    "kind",
)
COLUMNS = REQUIRED + OPTIONAL
# Required cells that may not be empty (an empty text is an empty post).
FILLED = ("platform", "post_id", "author", "created_at")
COUNTS = ("like_count", "share_count", "reply_count")
# Counts the vectorised path converts without a check (a whole number >= 0 that fits).
PLAIN_COUNT = r"^\d{1,18}$"
# Cells the vectorised path lower-cases as ASCII (Python lower-cases any script).
ASCII_CODES = ("platform", "lang", "kind")
KINDS = POST_KINDS
TEXT_CAP = MAX_TEXT_CHARS
TEXT_CAP_REASON = f"text longer than {TEXT_CAP:,} characters"
KIND_REASON = "kind must be one of " + ", ".join(KINDS)

_STARTS_AS_TIME = re.compile(rf"\s*{DATE}")


def is_record(names: list[str]) -> Callable[[list[str]], bool]:
    """Whether a physical line read on its own is a posts record: the header's width,
    the filled cells filled and a created_at that starts as a date. A quote left open
    takes in the lines after it; the first of them that is a record is where reading
    resumes (ingest/tabular.py, ``checked_rows``)."""
    width = len(names)
    filled = [names.index(c) for c in FILLED if c in names]
    created = names.index("created_at")

    def test(fields: list[str]) -> bool:
        return (len(fields) == width and all(fields[i].strip() for i in filled)
                and _STARTS_AS_TIME.match(fields[created]) is not None)

    return test
