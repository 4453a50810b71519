"""Reader for YouTube Data API v3 ``commentThreads.list`` (and ``comments.list``)
responses saved as JSON.

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
  official answer among the missing ones is then not in the data, unless the file
  also holds the thread's ``comments.list`` responses.
- ``comments.list`` responses (``youtube#commentListResponse``, asked with
  ``parentId`` = a thread id) hold all of a thread's replies, a page at a time.
  When they follow the ``commentThreads`` response that lists the thread (as
  ``govwatch collect`` writes them: the pages of one thread on consecutive lines,
  after the thread's page), the thread's replies are read from them, with the
  shown ones, and linked as above: the top-level comment's author, the video and
  the "@handle" addressing over all the replies. The replies of a thread that
  shows fewer than ``totalReplyCount`` wait for the lines after it, until the next
  ``commentThreads`` response: what the reader keeps in memory is one page of
  threads and one thread's replies. A ``comments.list`` response without its
  thread before it is read on its own: replies to ``parentId``, whose author is
  not known (``in_reply_to_author`` empty) and whose video is known only when the
  comment names it.

Locators are JSON paths (``$.items[3].replies.comments[1].snippet.publishedAt``),
prefixed with ``line N`` for JSON Lines and with the response index for a list.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from govwatch.errors import InputError
from govwatch.records import Account, Batch, Post, Reject, accounts_frame, excerpt, posts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions, open_text
from .json_recovery import load_json_document
from .jsonio import as_object, iter_json_lines, jpath
from .registry import register
from .tabular import MENTION_RE

if TYPE_CHECKING:
    pass

PLATFORM = "youtube"
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


@dataclass
class _Context:
    """What a thread's replies are linked with: its ids, top-level author and video, and
    the replies its commentThreads response showed (with their locators)."""

    top_id: str | None
    thread_id: str | None
    top_author: str | None
    video: str | None
    shown: list[tuple[object, str]] = field(default_factory=list)


class _Thread:
    """The comments of one commentThread resource (or of one thread's comments.list
    pages), as Posts, Accounts and Rejects."""

    def __init__(self, thread: dict | None, loc: Callable[..., str] | None = None,
                 spoilt: dict[str, Reject] | None = None):
        self.thread = thread
        self.loc = loc
        self.spoilt = spoilt or {}  # comments holding bytes that are not UTF-8, by locator
        self.posts: list[Post] = []
        self.accounts: dict[str, str] = {}
        self.rejects: list[Reject] = []
        self.rows = 0
        self.waiting: _Context | None = None  # replies left for the comments.list lines

    def read(self, defer: bool = False) -> _Thread:
        """The thread's comments; with ``defer``, a thread showing fewer replies than its
        ``totalReplyCount`` gives its top-level comment only and keeps the shown replies
        in ``waiting``."""
        t, loc = self.thread, self.loc
        if t is None or loc is None:
            raise ValueError("a _Thread built without its thread has only replies to read")
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
        self.rows = 1
        top_post = self._comment(
            top, loc("snippet", "topLevelComment"), raw_thread,
            kind="comment", to_post=video, to_author=owner, thread_id=thread_id,
            reply_count=snippet.get("totalReplyCount"), video=video,
        )
        ctx = _Context(top.get("id"), thread_id,
                       top_post.author if isinstance(top_post, Post) else None, video,
                       [(c, loc("replies", "comments", j)) for j, c in enumerate(replies)])
        total = snippet.get("totalReplyCount")
        if defer and isinstance(total, int) and total > len(replies) and ctx.top_id:
            self.waiting = ctx
            return self
        return self.read_replies(ctx, ctx.shown)

    def read_replies(self, ctx: _Context, replies: list[tuple[object, str]]) -> _Thread:
        """A thread's replies, linked to its top-level comment and author."""
        self.rows += len(replies)
        # Handles of the reply authors, to tell whom a "@handle ..." reply addresses.
        by_handle: dict[str, str] = {}
        for c, where in replies:
            s = c.get("snippet") if isinstance(c, dict) and where not in self.spoilt else None
            if isinstance(s, dict):
                who, handle = _author(s), _handle(s.get("authorDisplayName"))
                if who and handle:
                    by_handle.setdefault(handle, who)
        for c, where in replies:
            if not isinstance(c, dict):
                self.rejects.append(Reject(where, "not a JSON object", excerpt(json.dumps(c))))
                continue
            s = as_object(c.get("snippet"))
            self._comment(c, where, c, kind="reply", to_post=s.get("parentId") or ctx.top_id,
                          to_author=ctx.top_author, thread_id=ctx.thread_id,
                          video=ctx.video or s.get("videoId"), addressed=by_handle)
        return self

    def _comment(self, c: dict, where: str, raw_obj: dict, *, kind: str, to_post: str | None,
                 to_author: str | None, thread_id: str | None, video: str | None,
                 reply_count: object = None, addressed: dict[str, str] | None = None
                 ) -> Post | Reject:
        def at(*parts: str) -> str:
            return ".".join((where, *parts))

        if where in self.spoilt:
            self.rejects.append(self.spoilt[where])
            return self.spoilt[where]
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


def _is_comment_list(value: object) -> bool:
    return isinstance(value, dict) and value.get("kind") == "youtube#commentListResponse"


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


class _Assembler:
    """Reads responses in file order, joining each thread's comments.list pages (on the
    lines after its commentThreads response) to the thread."""

    def __init__(self, spoilt: dict[str, Reject] | None = None) -> None:
        self.spoilt = spoilt or {}  # records holding bytes that are not UTF-8, by locator
        self.waiting: dict[str, _Context] = {}  # threads of the last page, by top-level id
        self.parent: str | None = None  # the thread whose comments.list pages come now
        self.pages: list[tuple[object, str]] = []  # their replies, with locators

    def feed(self, value: object, base: tuple, prefix: str) -> list[_Thread]:
        if isinstance(value, dict) and _is_comment_list(value):
            items = value.get("items")
            if not isinstance(items, list):
                t = _Thread(None)
                t.rows = 1
                t.rejects.append(Reject(prefix + jpath(*base, "items"), "comments.list "
                                        "response without an items list",
                                        excerpt(json.dumps(value, ensure_ascii=False))))
                return [t]
            first = next((c for c in items if isinstance(c, dict)), {})
            parent = as_object(first.get("snippet")).get("parentId")
            done = self._finish_group() if parent != self.parent else []
            self.parent = parent
            self.pages += [(c, prefix + jpath(*base, "items", i)) for i, c in enumerate(items)]
            return done
        done = self.finish()
        for thread, loc in _threads(value, base, prefix):
            if loc() in self.spoilt:
                t = _Thread(None)
                t.rows = 1
                t.rejects.append(self.spoilt[loc()])
            elif not isinstance(thread, dict):
                t = _Thread(None)
                t.rows = 1
                t.rejects.append(Reject(loc(), "not a commentThread or a commentThreads "
                                        "response", excerpt(json.dumps(thread,
                                                                       ensure_ascii=False))))
            else:
                t = _Thread(thread, loc, self.spoilt).read(defer=True)
                if t.waiting is not None and t.waiting.top_id:
                    self.waiting[t.waiting.top_id] = t.waiting
            done.append(t)
        return done

    def _finish_group(self) -> list[_Thread]:
        if not self.pages:
            return []
        parent, pages = self.parent, self.pages
        self.parent, self.pages = None, []
        ctx = self.waiting.pop(parent, None) if parent else None
        if ctx is None:  # no thread before it: replies to parentId, author unknown
            ctx = _Context(parent, parent, None, None)
        have = {c.get("id") for c, _ in pages if isinstance(c, dict)}
        # A shown reply missing from the pages (removed in between) is still kept.
        extra = [(c, w) for c, w in ctx.shown if not (isinstance(c, dict) and c.get("id") in have)]
        return [_Thread(None, spoilt=self.spoilt).read_replies(ctx, pages + extra)]

    def finish(self) -> list[_Thread]:
        """Everything still held: the current pages, then the shown replies of threads
        whose pages never came."""
        done = self._finish_group()
        for ctx in self.waiting.values():
            done.append(_Thread(None, spoilt=self.spoilt).read_replies(ctx, ctx.shown))
        self.waiting.clear()
        return done


def _to_batch(parts: list[_Thread]) -> Batch:
    posts: list[Post] = []
    accounts: dict[str, str] = {}
    rejects: list[Reject] = []
    for t in parts:
        posts += t.posts
        rejects += t.rejects
        for a, n in t.accounts.items():
            accounts.setdefault(a, n)
    import pandas as pd

    frame = posts_frame(posts)
    for col in ("like_count", "share_count", "reply_count"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    return Batch(
        posts=frame,
        accounts=accounts_frame([Account(PLATFORM, a, official=False, display_name=n)
                                 for a, n in accounts.items()]),
        rejects=rejects,
        rows_read=sum(t.rows for t in parts),
    )


@register
class YouTubeCommentsReader(Reader):
    name = "youtube"
    platform = PLATFORM
    description = ("YouTube Data API v3 commentThreads.list responses, with comments.list "
                   "replies (JSON or JSON Lines)")
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.youtube(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        asm = _Assembler()
        if _is_json_lines(path):
            for lineno, value in iter_json_lines(path, progress):
                if isinstance(value, Reject):
                    yield Batch(rejects=[value], rows_read=1)
                else:
                    yield _to_batch(asm.feed(value, (), f"line {lineno} "))
            yield _to_batch(asm.finish())
            return
        doc, bad = load_json_document(path)
        if progress:
            progress(Path(path).stat().st_size)
        if not isinstance(doc, dict | list):
            raise InputError(path, "not a commentThreads response: not an object or a list", "$")
        if isinstance(doc, dict) and not (_is_thread(doc) or _is_comment_list(doc)
                                          or isinstance(doc.get("items"), list)):
            raise InputError(path, "not a commentThreads response: no 'items' list", "$")
        if bad is not None:  # records holding bytes that are not UTF-8: rejected alone
            asm.spoilt = {jpath(*at): r for at, r in bad.rejects(_records(doc)).items()}
        parts: list[_Thread] = []
        for base, value in ([((i,), v) for i, v in enumerate(doc)] if isinstance(doc, list)
                            else [((), doc)]):
            parts += asm.feed(value, base, "")
        yield _to_batch(parts + asm.finish())


def _records(doc: object) -> Iterator[tuple]:
    """JSON path parts of each record of a single-document export: every thread, its
    top-level comment and each reply it shows, and every comments.list item."""
    for base, value in ([((i,), v) for i, v in enumerate(doc)] if isinstance(doc, list)
                        else [((), doc)]):
        if isinstance(value, dict) and _is_comment_list(value):
            items = value.get("items")
            if isinstance(items, list):
                yield from ((*base, "items", i) for i in range(len(items)))
            continue
        threads = ([(base, value)] if _is_thread(value) else
                   [((*base, "items", i), t) for i, t in enumerate(value["items"])]
                   if isinstance(value, dict) and isinstance(value.get("items"), list) else [])
        for at, t in threads:
            yield at
            if isinstance(t, dict):
                yield (*at, "snippet", "topLevelComment")
                replies = as_object(t.get("replies")).get("comments")
                if isinstance(replies, list):
                    yield from ((*at, "replies", "comments", j) for j in range(len(replies)))


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
