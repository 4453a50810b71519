"""Google Play CSV rows converted column by column (ingest/app_reviews.py's fast path).

:func:`play_columns` takes a chunk of rows keyed by canonical names and gives the posts
and attributes that ``app_reviews.play_review`` would make of them, when every cell is
plainly valid: review ids present, the app named, texts within the cap, times plain ISO
(with an offset, or local in ``--assume-tz`` and neither skipped nor repeated by the
clock), star ratings 1-5 written as whole numbers, likes as digits, and every reply
with its time. Otherwise None, and the reader goes row by row, which explains each bad
row (tests/test_review_columns.py checks the two agree).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from govwatch.records import ATTRIBUTE_ARROW_SCHEMA, posts_frame

from .app_reviews import CHANNEL, FLAG
from .arrow_cells import all_true, plain_times, series, strings
from .base import MAX_TEXT_CHARS, ReadOptions
from .fast_posts import PY_WHITESPACE

_STARS = r"^\s*[1-5](\.0*)?\s*$"
_DIGITS = r"^\d+$"
_NULL = pa.scalar(None, pa.string())


def _text(values: list) -> pa.Array:
    """app_reviews._text: the cell as written, null when blank."""
    raw = strings(values)
    blank = pc.equal(pc.utf8_trim(pc.fill_null(raw, ""), PY_WHITESPACE), "")
    return pc.if_else(blank, _NULL, raw)


def play_columns(rows: list[dict], platform: str, options: ReadOptions
                 ) -> tuple[pd.DataFrame, pa.Table] | None:
    """(posts, attributes) of the reviews in ``rows``, or None (see the module doc)."""
    def col(name: str) -> list:
        return [r.get(name) for r in rows]

    n = len(rows)
    rid = _text(col("reviewid"))
    app = _text(col("app_id"))
    if options.app_id is not None:
        app = pc.fill_null(app, options.app_id)
    if rid.null_count or app.null_count:
        return None
    rid = pc.utf8_trim(rid, PY_WHITESPACE)
    app = pc.utf8_trim(app, PY_WHITESPACE)
    text = pc.fill_null(_text(col("text")), "")
    if n and pc.max(pc.utf8_length(text)).as_py() > MAX_TEXT_CHARS:
        return None
    at = plain_times(col("at"), options.assume_tz)
    reply_at = plain_times(col("repliedat"), options.assume_tz)
    if at is None or reply_at is None or at.null_count:
        return None
    reply_text = _text(col("replycontent"))
    if not all_true(pc.or_kleene(pc.is_null(reply_text), pc.is_valid(reply_at))):
        return None  # a reply without its time: the row path rejects it
    stars = _text(col("rating"))
    if not all_true(pc.or_kleene(pc.is_null(stars), pc.match_substring_regex(stars, _STARS))):
        return None
    likes = _text(col("thumbsupcount"))
    if not all_true(pc.or_kleene(pc.is_null(likes), pc.match_substring_regex(likes, _DIGITS))):
        return None
    version = pc.coalesce(_text(col("reviewcreatedversion")), _text(col("appversion")))
    rating = pc.cast(pc.cast(pc.utf8_trim_whitespace(stars), pa.float64()), pa.int64())
    flag = pc.if_else(pc.fill_null(pc.less_equal(reply_at, at), False),
                      pa.scalar(FLAG, pa.string()), _NULL)
    replied = np.asarray(pc.is_valid(reply_at))
    rid_s, app_s = series(rid), series(app)
    author = "reviewer-" + rid_s
    review = pd.DataFrame({
        "i": np.arange(n), "o": 0, "post_id": rid_s, "author": author,
        "created_at": series(at), "text": series(text), "kind": "post",
        "in_reply_to_post_id": None, "in_reply_to_author": app_s,
        "like_count": pd.array(pc.cast(likes, pa.int64()).to_pandas(), dtype="Int64"),
        "rating": pd.array(rating.to_pandas(), dtype="Int64"), "category": series(version),
        "status": None, "flag": series(flag)})
    reply = pd.DataFrame({
        "i": np.arange(n), "o": 1, "post_id": rid_s + "#reply", "author": app_s,
        "created_at": series(reply_at), "text": series(pc.fill_null(reply_text, "")),
        "kind": "reply", "in_reply_to_post_id": rid_s, "in_reply_to_author": author,
        "like_count": pd.array([None] * n, dtype="Int64"),
        "rating": pd.array([None] * n, dtype="Int64"), "category": None,
        "status": "replied", "flag": series(flag)})[replied]
    both = pd.concat([review, reply], ignore_index=True).sort_values(["i", "o"], kind="stable")
    posts = posts_frame([])
    posts = pd.DataFrame({c: posts[c] for c in posts.columns}).reindex(range(len(both)))
    posts["platform"] = platform
    for c in ("post_id", "author", "text", "kind", "in_reply_to_post_id", "in_reply_to_author"):
        posts[c] = both[c].to_numpy()
    posts["like_count"] = both["like_count"].array
    posts["created_at"] = both["created_at"].astype("datetime64[us, UTC]").array
    posts["created_at_derived"] = False
    posts["mentions"] = [[] for _ in range(len(both))]
    attrs = pa.table({
        "platform": pa.array([platform] * len(both), pa.string()),
        "post_id": pa.array(both["post_id"].to_numpy(), pa.string(), from_pandas=True),
        "channel": pa.array([CHANNEL] * len(both), pa.string()),
        "rating": pa.array(both["rating"].array, pa.int64(), from_pandas=True),
        "status": pa.array(both["status"].to_numpy(), pa.string(), from_pandas=True),
        "category": pa.array(both["category"].to_numpy(), pa.string(), from_pandas=True),
        "flag": pa.array(both["flag"].to_numpy(), pa.string(), from_pandas=True)},
        schema=ATTRIBUTE_ARROW_SCHEMA)
    return posts, attrs
