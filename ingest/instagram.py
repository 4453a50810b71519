"""Reader for Instagram comments as the Instagram Graph API returns them to the account.

A city or ministry account on Instagram (a professional account) reads the comments on
its own posts, and its replies to them, with the Graph API; the responses, saved as
JSON, are what ``--format instagram`` reads:

- ``GET /{ig-user-id}/media?fields=id,caption,timestamp,username,permalink,
  comments{id,text,timestamp,username,like_count,replies{id,text,timestamp,username}}``:
  ``{"data": [media, ...]}``, each media with its ``comments.data`` and each comment's
  ``replies.data``. The account is the media's ``username``.
- ``GET /{ig-media-id}/comments?fields=id,text,timestamp,username,replies{...}``:
  ``{"data": [comment, ...]}`` for one post. The response names neither the post nor
  the account: pass ``--owner HANDLE``.
- A JSON list of such responses (pages saved one after another).

How they become posts (platform ``instagram``): a media is a post by the account (its
caption the text); a top-level comment is kind ``comment`` on it (``in_reply_to_post_id``
the media id, ``in_reply_to_author`` the account), in the conversation of the media; a
reply is kind ``reply`` to the top-level comment (``in_reply_to_author`` its author):
the account's reply is its answer. Instagram keeps no link from a reply to another
reply: every reply points at the top-level comment. Times (``2026-02-02T08:00:00+0000``)
carry their offset. A comment or media that cannot be read is rejected with its JSON
path (``$.data[0].comments.data[2].timestamp``) and the reason.

Instagram's "Download your information" files (``comments/post_comments_1.json``) are not
read: they hold only the comments the account itself wrote, with no id and no link to
the comment it answered, so no answer can be timed from them. A comments CSV from any
other tool is read with ``--format mapped`` and a mapping file (docs/formats.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from govwatch.errors import InputError
from govwatch.records import Account, Batch, Post, Reject, accounts_frame, excerpt, posts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, FieldError, Reader, ReadOptions
from .jsonio import jpath, load_json_text, parse_utc, read_text_strict
from .registry import register

PLATFORM = "instagram"


def _id(item: dict, key: str = "id") -> str:
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise FieldError(key, f"{key} is missing")
    return value.strip()


def _who(item: dict) -> str:
    name = item.get("username")
    if not isinstance(name, str) or not name.strip():
        raise FieldError("username", "username is missing")
    return name.strip().lstrip("@")


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(key, f"{key} is not a string")
    if len(value) > MAX_TEXT_CHARS:
        raise FieldError(key, f"{key} longer than {MAX_TEXT_CHARS:,} characters")
    return value


def _when(item: dict):
    try:
        return parse_utc(item.get("timestamp"), None)
    except ValueError as exc:
        raise FieldError("timestamp", f"timestamp: {exc}") from None


def _likes(item: dict) -> int | None:
    n = item.get("like_count")
    return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None


def _edges(item: dict, key: str) -> list:
    """``item[key].data`` (a Graph API edge), or [] when absent; FieldError if malformed."""
    edge = item.get(key)
    if edge is None:
        return []
    if not isinstance(edge, dict) or not isinstance(edge.get("data", []), list):
        raise FieldError(key, f"{key} is not an edge with a data list")
    return edge.get("data", [])


class _Out:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.rejects: list[Reject] = []
        self.accounts: dict[str, None] = {}
        self.rows = 0

    def reject(self, where: str, exc: FieldError, item: object) -> None:
        sub = f".{exc.where}" if exc.where else ""
        self.rejects.append(Reject(f"{where}{sub}", str(exc),
                                   excerpt(json.dumps(item, ensure_ascii=False, default=str))))


def _comment(out: _Out, c: object, where: str, media: str | None, owner: str,
             conversation: str | None) -> None:
    out.rows += 1
    try:
        if not isinstance(c, dict):
            raise FieldError("", "comment is not a JSON object")
        cid, who = _id(c), _who(c)
        replies = _edges(c, "replies")
        out.posts.append(Post(PLATFORM, cid, who, _when(c), _text(c, "text"), kind="comment",
                              in_reply_to_post_id=media, in_reply_to_author=owner,
                              conversation_id=conversation or cid, like_count=_likes(c)))
    except FieldError as exc:
        out.reject(where, exc, c)
        return
    for k, r in enumerate(replies):
        rwhere = f"{where}.replies.data[{k}]"
        out.rows += 1
        try:
            if not isinstance(r, dict):
                raise FieldError("", "reply is not a JSON object")
            out.posts.append(Post(PLATFORM, _id(r), _who(r), _when(r), _text(r, "text"),
                                  kind="reply", in_reply_to_post_id=cid, in_reply_to_author=who,
                                  conversation_id=conversation or cid, like_count=_likes(r)))
        except FieldError as exc:
            out.reject(rwhere, exc, r)


def _media(out: _Out, m: dict, where: str) -> None:
    out.rows += 1
    try:
        mid, owner = _id(m), _who(m)
        comments = _edges(m, "comments")
        link = m.get("permalink") if isinstance(m.get("permalink"), str) else None
        out.posts.append(Post(PLATFORM, mid, owner, _when(m), _text(m, "caption"), kind="post",
                              conversation_id=mid, url=link, like_count=_likes(m)))
        out.accounts[owner] = None
    except FieldError as exc:
        out.reject(where, exc, m)
        return
    for j, c in enumerate(comments):
        _comment(out, c, f"{where}.comments.data[{j}]", mid, owner, mid)


def _is_media(item: object) -> bool:
    return isinstance(item, dict) and any(k in item for k in ("caption", "comments",
                                                                "media_type", "permalink"))


@register
class InstagramReader(Reader):
    name = "instagram"
    platform = PLATFORM
    description = "Instagram Graph API media with comments and replies, or a post's comments"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.instagram(path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        doc = load_json_text(path, read_text_strict(path))
        if progress:
            progress(Path(path).stat().st_size)
        pages = doc if isinstance(doc, list) else [doc]
        out = _Out()
        for k, page in enumerate(pages):
            base = jpath(k) if isinstance(doc, list) else "$"
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise InputError(path, "not an Instagram Graph API response (no data list)",
                                 f"{base}.data")
            for i, item in enumerate(page["data"]):
                where = f"{base}.data[{i}]"
                if _is_media(item):
                    _media(out, item, where)
                elif options.owner is None:
                    raise InputError(path, "comments of one post name neither the post nor "
                                     "the account: pass --owner HANDLE", where)
                else:
                    _comment(out, item, where, None, options.owner, None)
        if options.owner:
            out.accounts[options.owner] = None
        yield Batch(posts=posts_frame(out.posts),
                    accounts=accounts_frame([Account(PLATFORM, a) for a in out.accounts]),
                    rejects=out.rejects, rows_read=out.rows)
