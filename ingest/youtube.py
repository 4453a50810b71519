"""Reader for YouTube Data API v3 ``commentThreads.list`` responses saved as JSON.

Accepted files: one response object (``{"kind": "youtube#commentThreadListResponse",
"items": [...]}``), a JSON list of responses, or JSON Lines with one response
per line (streamed line by line). A list or lines of bare ``youtube#commentThread``
resources are read the same way.

Each thread's ``snippet`` names the video (``videoId``) and the channel that owns
it (``channelId``: the official account when the channel is one);
``snippet.topLevelComment`` and ``replies.comments[]`` are comment resources with
``id``, ``snippet.authorDisplayName``, ``authorChannelId.value``,
``textOriginal`` / ``textDisplay``, ``publishedAt``, ``likeCount``, ``parentId``.

How comments become posts:

- ``author`` is the commenter's channel id (``authorChannelId.value``, "UC...")
  so that the video owner matches an accounts CSV naming its channel id; the
  display name ("@handle") goes to the accounts table. A comment without a
  channel id falls back to its display name.
- A top-level comment is kind ``comment``: ``in_reply_to_post_id`` is the video
  id (the video itself is not in the data), ``in_reply_to_author`` the channel
  that owns the video, ``conversation_id`` the thread id.
- A reply is kind ``reply`` with ``in_reply_to_post_id`` = ``parentId`` (always
  the top-level comment: YouTube keeps no link to a particular reply) and
  ``in_reply_to_author`` = the top-level comment's author. When a reply's text
  starts with "@handle" naming the author of *another reply* in the same thread
  (not the top-level author), it is addressed to that person: its
  ``in_reply_to_post_id`` is left empty and ``in_reply_to_author`` is that
  author's channel id, so that the analysis can pair it with their reply ("same
  thread, addressed to the author"). A reply by the video owner is the
  official's answer. A reply that answers another reply without naming its
  author stays linked to the top-level comment: the API gives nothing more.
- ``text`` is ``textOriginal``; when only ``textDisplay`` is present its HTML
  (``<br>``, links, entities) is turned back into plain text.
- ``like_count`` is ``likeCount``; a top-level comment's ``reply_count`` is the
  thread's ``totalReplyCount``. The API includes only some replies in a thread
  (``replies.comments`` is a subset when ``totalReplyCount`` is larger); an
  official answer among the missing ones is not in the data, and the question
  then looks unanswered. ``comments.list`` responses, which hold all replies,
  are not read by this reader.

Locators are JSON paths (``$.items[3].replies.comments[1].snippet.publishedAt``),
prefixed with ``line N`` for JSON Lines and with the response index for a list.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from govwatch.errors import InputError
from govwatch.records import Account, Batch, Post, Reject, accounts_frame, excerpt, posts_frame

from .base import MAX_TEXT_CHARS, Reader, ReadOptions, open_text
from .jsonio import as_object, iter_json_lines, jpath, load_json_text, read_text_strict
from .registry import register
from .tabular import MENTION_RE

if TYPE_CHECKING:
    pass

PLATFORM = "youtube"
_HEAD = re.compile(rb'"kind"\s*:\s*"youtube#commentThread(?:ListResponse)?"')
_LEADING_HANDLE = re.compile(r"^\s*@([\w.\-]+)")
_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _text_of(snippet: dict) -> str | None:
    if isinstance(snippet.get("textOriginal"), str):
        return snippet["textOriginal"]
    if isinstance(snippet.get("textDisplay"), str):
        return html.unescape(_TAG.sub("", _BR.sub("\n", snippet["textDisplay"])))
    return None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def _count(value: object) -> int | None | str:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "not a whole number >= 0"
    return value


def _handle(name: str | None) -> str | None:
    return name.lstrip("@").casefold() if name else None


class _Thread:
    """The comments of one commentThread resource, as Posts, Accounts and Rejects."""

    def __init__(self, thread: dict, loc: Callable[..., str]):
        self.thread = thread
        self.loc = loc
        self.posts: list[Post] = []
        self.accounts: dict[str, str] = {}
        self.rejects: list[Reject] = []
        self.rows = 0

    def read(self) -> _Thread:
        t, loc = self.thread, self.loc
        snippet = t.get("snippet")
        raw_thread = {k: v for k, v in t.items() if k != "replies"}
        if not isinstance(snippet, dict) or not isinstance(snippet.get("topLevelComment"), dict):
            self.rows = 1
            self.rejects.append(Reject(loc("snippet", "topLevelComment"),
                                       "thread has no top-level comment",
                                       excerpt(json.dumps(t, ensure_ascii=False))))
            return self
        top = snippet["topLevelComment"]
        thread_id = t.get("id") if isinstance(t.get("id"), str) else top.get("id")
        owner = snippet.get("channelId") or as_object(top.get("snippet")).get("channelId")
        video = snippet.get("videoId") or as_object(top.get("snippet")).get("videoId")
        replies = as_object(t.get("replies")).get("comments") or []
        if not isinstance(replies, list):
            replies = []
        self.rows = 1 + len(replies)
        top_post = self._comment(
            top, loc("snippet", "topLevelComment"), raw_thread,
            kind="comment", to_post=video, to_author=owner, thread_id=thread_id,
            reply_count=snippet.get("totalReplyCount"), video=video,
        )
        top_author = top_post.author if isinstance(top_post, Post) else None
        # Handles of the reply authors, to tell whom a "@handle ..." reply addresses.
        by_handle: dict[str, str] = {}
        for c in replies:
            s = c.get("snippet") if isinstance(c, dict) else None
            if isinstance(s, dict):
                who, handle = _author(s), _handle(s.get("authorDisplayName"))
                if who and handle:
                    by_handle.setdefault(handle, who)
        for j, c in enumerate(replies):
            where = loc("replies", "comments", j)
            if not isinstance(c, dict):
                self.rejects.append(Reject(where, "not a JSON object", excerpt(json.dumps(c))))
                continue
            parent = as_object(c.get("snippet")).get("parentId") or top.get("id")
            self._comment(c, where, c, kind="reply", to_post=parent, to_author=top_author,
                          thread_id=thread_id, video=video, addressed=by_handle)
        return self

    def _comment(self, c: dict, where: str, raw_obj: dict, *, kind: str, to_post: str | None,
                 to_author: str | None, thread_id: str | None, video: str | None,
                 reply_count: object = None, addressed: dict[str, str] | None = None
                 ) -> Post | Reject:
        def at(*parts: str) -> str:
            return ".".join((where, *parts))

        raw = json.dumps(raw_obj, ensure_ascii=False)
        s = c.get("snippet")
        if not isinstance(c.get("id"), str) or not c["id"]:
            return self._reject(at("id"), "missing comment id", raw)
        if not isinstance(s, dict):
            return self._reject(at("snippet"), "missing snippet", raw)
        author = _author(s)
        if author is None:
            return self._reject(at("snippet", "authorChannelId"),
                                "no author channel id and no display name", raw)
        created = _time(s.get("publishedAt"))
        if created is None:
            return self._reject(at("snippet", "publishedAt"),
                                "missing, or not an ISO 8601 time with a zone", raw)
        text = _text_of(s)
        if text is None:
            return self._reject(at("snippet", "textOriginal"), "no comment text", raw)
        if len(text) > MAX_TEXT_CHARS:
            return self._reject(at("snippet", "textOriginal"),
                                f"text longer than {MAX_TEXT_CHARS:,} characters", text)
        likes = _count(s.get("likeCount"))
        if isinstance(likes, str):
            return self._reject(at("snippet", "likeCount"), likes, raw)
        replies = _count(reply_count)
        if isinstance(replies, str):
            replies = None
        if addressed:
            m = _LEADING_HANDLE.match(text)
            target = addressed.get(m.group(1).casefold()) if m else None
            if target and target != author and target != to_author:
                to_post, to_author = None, target
        name = s.get("authorDisplayName")
        if isinstance(name, str) and name:
            self.accounts.setdefault(author, name)
        post = Post(
            platform=PLATFORM,
            post_id=c["id"],
            author=author,
            created_at=created,
            text=text or None,
            kind=kind,
            author_id=author,
            in_reply_to_post_id=to_post,
            in_reply_to_author=to_author,
            conversation_id=thread_id,
            mentions=tuple(re.findall(MENTION_RE, text)),
            url=(f"https://www.youtube.com/watch?v={video}&lc={c['id']}" if video else None),
            like_count=likes,
            reply_count=replies,
            raw=raw,
        )
        self.posts.append(post)
        return post

    def _reject(self, where: str, reason: str, raw: str) -> Reject:
        r = Reject(where, reason, excerpt(raw))
        self.rejects.append(r)
        return r


def _author(snippet: dict) -> str | None:
    channel = snippet.get("authorChannelId")
    if isinstance(channel, dict):
        channel = channel.get("value")
    if isinstance(channel, str) and channel.strip():
        return channel.strip()
    name = snippet.get("authorDisplayName")
    return name.strip() if isinstance(name, str) and name.strip() else None


def _is_thread(value: object) -> bool:
    """A commentThread resource (also when saved without its "kind")."""
    if not isinstance(value, dict):
        return False
    snippet = value.get("snippet")
    return value.get("kind") == "youtube#commentThread" or (
        isinstance(snippet, dict) and isinstance(snippet.get("topLevelComment"), dict)
    )


def _threads(value: object, base: tuple, prefix: str) -> Iterator[tuple[object, Callable]]:
    """(thread, locator) pairs of one response, one thread, or a list of them."""

    def locator(*parts: str | int) -> Callable[..., str]:
        return lambda *more: prefix + jpath(*base, *parts, *more)

    if _is_thread(value):
        yield value, locator()
    elif isinstance(value, dict) and isinstance(value.get("items"), list):
        for i, t in enumerate(value["items"]):
            yield t, locator("items", i)
    elif isinstance(value, list) and base == ():
        for i, v in enumerate(value):
            yield from _threads(v, (i,), prefix)
    else:
        yield None, locator()


@register
class YouTubeCommentsReader(Reader):
    name = "youtube"
    platform = PLATFORM
    description = "YouTube Data API v3 commentThreads.list responses (JSON or JSON Lines)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return bool(_HEAD.search(head)) and head.lstrip(b"\xef\xbb\xbf").lstrip()[:1] in (
            b"{", b"["
        )

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        if _is_json_lines(path):
            for lineno, value in iter_json_lines(path, progress):
                if isinstance(value, Reject):
                    yield Batch(rejects=[value], rows_read=1)
                else:
                    yield self._batch(path, value, f"line {lineno} ")
            return
        doc = load_json_text(path, read_text_strict(path))
        if progress:
            progress(Path(path).stat().st_size)
        if not isinstance(doc, dict | list):
            raise InputError(path, "not a commentThreads response: not an object or a list", "$")
        if isinstance(doc, dict) and not _is_thread(doc) and not isinstance(doc.get("items"), list):
            raise InputError(path, "not a commentThreads response: no 'items' list", "$")
        yield self._batch(path, doc, "")

    def _batch(self, path: Path, value: object, prefix: str) -> Batch:
        import pandas as pd

        posts: list[Post] = []
        accounts: dict[str, str] = {}
        rejects: list[Reject] = []
        rows = 0
        for thread, loc in _threads(value, (), prefix):
            if not isinstance(thread, dict):
                rows += 1
                rejects.append(Reject(loc(), "not a commentThread or a commentThreads response",
                                      excerpt(json.dumps(thread, ensure_ascii=False))))
                continue
            t = _Thread(thread, loc).read()
            posts += t.posts
            rejects += t.rejects
            rows += t.rows
            for a, n in t.accounts.items():
                accounts.setdefault(a, n)
        frame = posts_frame(posts)
        for col in ("like_count", "share_count", "reply_count"):
            frame[col] = pd.array(frame[col], dtype="Int64")
        return Batch(
            posts=frame,
            accounts=accounts_frame([Account(PLATFORM, a, official=False, display_name=n)
                                     for a, n in accounts.items()]),
            rejects=rejects,
            rows_read=rows,
        )


def _is_json_lines(path: Path) -> bool:
    """True when the first non-blank line is a whole JSON object on its own."""
    with open_text(path) as f:
        for line in f:
            if line.strip():
                if not line.lstrip().startswith("{"):
                    return False
                try:
                    return isinstance(json.loads(line), dict)
                except (json.JSONDecodeError, RecursionError):
                    return False
    return False
