"""Readers for app-store reviews and the developer's replies.

A review is an inbound message to the app's publisher; the developer's reply is the
response. The publisher's account is the app id (a Play package such as
``com.cgt.bharatgas``, or an App Store app id): name it in the accounts file (platform
``google-play`` or ``app-store``) to make it official.

- ``google-play`` (CSV) and ``google-play-json``: the output of google-play-scraper's
  ``reviews()`` (``reviewId, userName, content, score, thumbsUpCount,
  reviewCreatedVersion, at, replyContent, repliedAt, appVersion``), written with
  pandas' ``to_csv`` or as a JSON list. Renamed columns seen in the wild are read too
  (``review`` for content, ``rating`` for score, ``tanggal`` for at). The app is the
  row's ``app_id``/``appId`` column, else ``--app-id``. Times are written without a zone
  (the scraper's local time): pass ``--assume-tz``.
- ``app-store``: App Store Connect API ``customerReviews`` responses (JSON:API, saved
  as JSON; ``data[]`` reviews with ``attributes.rating, title, body, reviewerNickname,
  createdDate``; replies in ``included[]`` as ``customerReviewResponses`` with
  ``responseBody`` and ``lastModifiedDate``). The app id comes from ``links.self``
  (``/v1/apps/{id}/customerReviews``), else ``--app-id``.

Posts: the review is ``post_id`` = review id by ``reviewer-<review id>`` (a store lets
each user review an app once, and display names are not identities: Play shows most as
"A Google user"), addressed to the app; the reply is ``<review id>#reply`` by the app,
replying to the review. ``message_attributes`` gives the channel ``review`` and the star
rating. A reply older than the review (the user edited the review after the reply; the
store keeps the old reply) is never a negative latency: both are flagged
``reply_predates_message`` and the analysis counts such reviews apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from govwatch.errors import InputError
from govwatch.records import Batch, MessageAttributes, Post, Reject, excerpt, posts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions
from .csv_records import read_records
from .jsonio import as_object, jpath, load_json_text, parse_utc, read_text_strict
from .registry import register

CHANNEL = "review"
FLAG = "reply_predates_message"
BATCH_REVIEWS = 50_000
# google-play-scraper's names, and renamings seen in published datasets.
PLAY_ALIASES = {"content": "text", "review": "text", "score": "rating", "at": "at",
                "tanggal": "at", "appid": "app_id", "app_id": "app_id"}
_APP_IN_LINK = re.compile(r"/apps/([^/]+)/customerReviews")


class ReviewError(ValueError):
    def __init__(self, where: str, reason: str):
        super().__init__(reason)
        self.where = where


def _text(value: object) -> str | None:
    if value is None:
        return None
    s = str(value)
    return s if s.strip() else None


def _rating(value: Any, where: str) -> int | None:  # a JSON or CSV cell
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        n = float(value)
    except (TypeError, ValueError):
        raise ReviewError(where, f"rating {str(value)[:20]!r} is not a number") from None
    if n != int(n) or not 1 <= n <= 5:
        raise ReviewError(where, f"rating {value!r} is not a whole number of stars 1-5")
    return int(n)


def _when(value: object, where: str, options: ReadOptions) -> datetime | None:
    """The time in ``value`` (UTC), None when empty; ReviewError when unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _required_when(value, where, options)


def _required_when(value: object, where: str, options: ReadOptions) -> datetime:
    """The time in ``value`` (UTC); ReviewError when empty or unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ReviewError(where, f"{where} is empty")
    try:
        return parse_utc(str(value), options.assume_tz, options.ambiguous_time)
    except ValueError as exc:
        raise ReviewError(where, f"{where}: {exc}") from None


class _Reviews:
    """Reviews and replies gathered as posts and attributes, flushed in batches."""

    def __init__(self, platform: str):
        self.platform = platform
        self.posts: list[Post] = []
        self.attrs: list[MessageAttributes] = []

    def add(self, review_id: str, app: str, at: datetime, text: str, rating: int | None,
            likes: int | None, version: str | None, reply_at: datetime | None,
            reply_text: str | None) -> None:
        p = self.platform
        author = f"reviewer-{review_id}"
        if len(text) > MAX_TEXT_CHARS:
            raise ReviewError("text", f"text longer than {MAX_TEXT_CHARS:,} characters")
        flag = FLAG if reply_at is not None and reply_at <= at else None
        self.posts.append(Post(p, review_id, author, at, text, kind="post",
                               in_reply_to_author=app, like_count=likes))
        self.attrs.append(MessageAttributes(p, review_id, CHANNEL, rating=rating,
                                            category=version, flag=flag))
        if reply_at is not None:
            rid = f"{review_id}#reply"
            self.posts.append(Post(p, rid, app, reply_at, reply_text or "", kind="reply",
                                   in_reply_to_post_id=review_id, in_reply_to_author=author))
            self.attrs.append(MessageAttributes(p, rid, CHANNEL, status="replied", flag=flag))

    def batch(self, rejects: list[Reject], rows: int) -> Batch:
        out = Batch(posts=posts_frame(self.posts) if self.posts else None,
                    attributes=self.attrs, rejects=rejects, rows_read=rows)
        self.posts, self.attrs = [], []
        return out


def _likes(value: Any) -> int | None:  # a JSON or CSV cell
    try:
        n = int(float(value))
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


def play_review(out: _Reviews, row: dict, options: ReadOptions) -> None:
    """Add one google-play-scraper row (keys: canonical names); ReviewError if unusable."""
    rid = _text(row.get("reviewid"))
    if rid is None:
        raise ReviewError("reviewId", "reviewId is empty")
    rid = rid.strip()
    app = _text(row.get("app_id")) or options.app_id
    if app is None:
        raise ReviewError("app_id", "the app is not named: the file has no app_id column; "
                          "pass --app-id PACKAGE")
    at = _required_when(row.get("at"), "at", options)
    reply_text = _text(row.get("replycontent"))
    reply_at = _when(row.get("repliedat"), "repliedAt", options)
    if reply_text and reply_at is None:
        raise ReviewError("repliedAt", "a reply without its time (repliedAt is empty)")
    out.add(rid, app.strip(), at, _text(row.get("text")) or "",
            _rating(row.get("rating"), "score"), _likes(row.get("thumbsupcount")),
            _text(row.get("reviewcreatedversion")) or _text(row.get("appversion")),
            reply_at, reply_text)


@register
class GooglePlayCSVReader(Reader):
    name = "google-play"
    platform = "google-play"
    description = "Google Play reviews with developer replies (google-play-scraper CSV)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.SNIFFERS["google-play"](path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        """A chunk of plainly valid rows is converted column by column
        (ingest/review_columns.py); any other goes row by row through ``play_review``."""
        from .review_columns import play_columns

        records = read_records(path, options, PLAY_ALIASES, ("reviewid", "at", "text"),
                               progress)
        handed = False
        while chunk := list(islice(records, BATCH_REVIEWS)):
            handed = True
            rejects = [row for _, row, _ in chunk if isinstance(row, Reject)]
            good = [(line, row, fields) for line, row, fields in chunk
                    if not isinstance(row, Reject)]
            fast = play_columns([row for _, row, _ in good], self.platform,
                                options) if good else None
            if fast is not None:
                posts, attrs = fast
                yield Batch(posts=posts, attributes=attrs, rejects=rejects,
                            rows_read=len(chunk))
                continue
            out = _Reviews(self.platform)
            for line, row, fields in good:
                try:
                    play_review(out, row, options)
                except ReviewError as exc:
                    rejects.append(Reject(f"line {line}, column {exc.where}", str(exc),
                                          excerpt(",".join(fields))))
            rejects.sort(key=lambda r: int(r.locator.split()[1].rstrip(",")))
            yield out.batch(rejects, len(chunk))
        if not handed:  # a header and nothing else
            yield Batch()


@register
class GooglePlayJSONReader(Reader):
    name = "google-play-json"
    platform = "google-play"
    description = "Google Play reviews with developer replies (google-play-scraper JSON list)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.google_play_json(path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        data = load_json_text(path, read_text_strict(path))
        if progress:
            progress(path.stat().st_size)
        if not isinstance(data, list):
            raise InputError(path, "expected a JSON list of reviews", "$")
        out = _Reviews(self.platform)
        rejects: list[Reject] = []
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                rejects.append(Reject(jpath(i), "review is not a JSON object",
                                      excerpt(json.dumps(item))))
                continue
            row = {PLAY_ALIASES.get(k.lower(), k.lower()): v for k, v in item.items()}
            try:
                play_review(out, row, options)
            except ReviewError as exc:
                rejects.append(Reject(jpath(i, exc.where), str(exc),
                                      excerpt(json.dumps(item, ensure_ascii=False, default=str))))
        yield out.batch(rejects, len(data))


@register
class AppStoreReader(Reader):
    name = "app-store"
    platform = "app-store"
    description = "App Store Connect customerReviews (JSON:API) with developer responses"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.app_store(path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        doc = load_json_text(path, read_text_strict(path))
        if progress:
            progress(path.stat().st_size)
        pages = doc if isinstance(doc, list) else [doc]
        out = _Reviews(self.platform)
        rejects: list[Reject] = []
        rows = 0
        for k, page in enumerate(pages):
            prefix = (lambda *p, k=k: jpath(k, *p)) if isinstance(doc, list) else jpath
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise InputError(path, "not a customerReviews response (no data list)",
                                 prefix("data"))
            link = str(as_object(page.get("links")).get("self") or "")
            m = _APP_IN_LINK.search(link)
            app = m.group(1) if m else options.app_id
            replies: dict[str, dict] = {}
            included = page.get("included")
            for inc in included if isinstance(included, list) else []:
                if (isinstance(inc, dict) and inc.get("type") == "customerReviewResponses"
                        and isinstance(inc.get("id"), str)):
                    replies[inc["id"]] = as_object(inc.get("attributes"))
            for i, rev in enumerate(page["data"]):
                rows += 1
                try:
                    self._review(out, rev, app, replies, options)
                except ReviewError as exc:
                    rejects.append(Reject(prefix("data", i, exc.where), str(exc),
                                          excerpt(json.dumps(rev, ensure_ascii=False))))
        yield out.batch(rejects, rows)

    @staticmethod
    def _review(out: _Reviews, rev: object, app: str | None, replies: dict,
                options: ReadOptions) -> None:
        if not isinstance(rev, dict):
            raise ReviewError("", "review is not a JSON object")
        rid = _text(rev.get("id"))
        if rid is None:
            raise ReviewError("id", "review id is empty")
        if app is None:
            raise ReviewError("id", "the app is not named (no /apps/{id}/ in links.self); "
                              "pass --app-id APP")
        a = as_object(rev.get("attributes"))
        at = _required_when(a.get("createdDate"), "attributes.createdDate", options)
        title, body = _text(a.get("title")), _text(a.get("body"))
        text = "\n".join(x for x in (title, body) if x)
        ref = as_object(as_object(as_object(rev.get("relationships")).get("response")).get("data"))
        ref_id = ref.get("id")
        reply = replies.get(ref_id) if isinstance(ref_id, str) else None
        reply_at = reply_text = None
        if reply:
            reply_at = _required_when(reply.get("lastModifiedDate"), "relationships.response",
                                      options)
            reply_text = _text(reply.get("responseBody"))
        out.add(rid, app, at, text, _rating(a.get("rating"), "attributes.rating"), None,
                None, reply_at, reply_text)
