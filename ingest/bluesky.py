"""Bluesky reader: app.bsky.feed.getAuthorFeed and getPostThread responses saved as JSON.

Input: one response (``{"feed": [...], "cursor"}`` from getAuthorFeed, ``{"thread": {...}}``
from getPostThread, ``{"posts": [...]}`` from searchPosts), a JSON list of responses, or
JSON Lines with one response per line (the usual way to save paged results). A JSON document
is loaded whole; JSON Lines are streamed. Locators are JSON paths, with the line first for
JSON Lines: ``line 3: $.feed[7].post.record.createdAt``.

Rows (platform ``bluesky``):
- post_id is the post's ``at://`` URI; author is the handle (the DID when the handle is
  ``handle.invalid``), author_id the DID; created_at is ``record.createdAt`` (UTC); text is
  ``record.text``; lang the first of ``record.langs``; url the bsky.app page of the post;
  like/share/reply counts are ``likeCount``, ``repostCount``, ``replyCount``.
- Reply links: ``record.reply.parent.uri`` -> in_reply_to_post_id; ``record.reply.root.uri``
  -> conversation_id (a thread's root has its own URI as conversation_id). in_reply_to_author
  is the handle of the parent's author where the response shows it: the feed item's
  ``reply.parent.author``, ``reply.grandparentAuthor`` for the parent itself, the parent node
  in a thread; else the handle of the DID in the parent URI when that account appears
  earlier in the file; else empty.
- kind: ``reply`` when the record replies, ``quote`` when it embeds another post, else
  ``post``.
- mentions: the mention facets of the record. A facet names a DID; it becomes the handle the
  text shows at the facet's byte range (``@name.example`` -> ``name.example``), else the handle
  of that DID seen in the file, else stays the DID.
- Posts the response shows around the author's own: a feed item's ``reply.parent`` and
  ``reply.root`` are full posts (often the public's message the official answered) and are
  stored too; parents shown as not found or blocked carry no post and give no row.
- Reposts: a feed item with ``reason`` of type ``reasonRepost`` is the feed's owner
  (``reason.by``) reposting someone's post. Both are stored: the original post as it is, and
  a repost row by ``reason.by`` with kind ``repost``, created_at ``reason.indexedAt`` (the
  repost record's own time is not in the response), url pointing at the original, and
  post_id the repost record URI (``reason.uri``) or, in responses that lack it,
  ``<original uri>#repost-by-<did>`` (one repost per account and post). Pinned-post reasons
  add nothing.
- Threads (getPostThread) are walked with explicit stacks, up through ``parent`` and down
  through nested ``replies``, so a deep thread never hits Python's recursion limit. (Python's
  own JSON parser stops at about 900 levels of nesting, some 450 levels of replies; such a
  file is reported as too deeply nested.)
- A post seen several times in one batch (a thread root in many feed items) is one row,
  filled in from every sighting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import TypeGuard

from govwatch.errors import InputError
from govwatch.records import Batch, Post, Reject, excerpt, posts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions
from .jsonio import (
    NESTED_REASON,
    as_object,
    is_json_lines,
    iter_json_lines,
    parse_utc,
    read_text_strict,
)
from .registry import register

PLATFORM = "bluesky"
_MENTION = "app.bsky.richtext.facet#mention"
_QUOTE_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")
_HANDLE = re.compile(r"^@?([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z0-9-]+)$")


class _Bad(Exception):
    """A record that cannot be used: where and why (becomes a Reject)."""

    def __init__(self, locator: str, reason: str):
        super().__init__(reason)
        self.locator = locator
        self.reason = reason


def did_of(uri: object) -> str | None:
    """The DID (authority) of an ``at://did:.../collection/rkey`` URI."""
    if isinstance(uri, str) and uri.startswith("at://did:"):
        return uri[5:].split("/", 1)[0]
    return None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_post_view(value: object) -> TypeGuard[dict]:
    return isinstance(value, dict) and "record" in value and "author" in value


@dataclass
class _Rows:
    """Posts of the current batch keyed by URI (repeats merged), rejects, and the
    DID -> handle map learnt from every author in the file so far."""

    posts: dict[str, Post] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    handles: dict[str, str] = field(default_factory=dict)
    rows: int = 0

    def add(self, post: Post) -> None:
        old = self.posts.get(post.post_id)
        if old is None:
            self.posts[post.post_id] = post
            return
        fills = {
            f.name: getattr(post, f.name)
            for f in fields(Post)
            if getattr(old, f.name) in (None, ()) and getattr(post, f.name) not in (None, ())
        }
        if fills:
            self.posts[post.post_id] = replace(old, **fills)

    def take(self) -> Batch:
        batch = Batch(
            posts=posts_frame(list(self.posts.values())), rejects=self.rejects, rows_read=self.rows
        )
        self.posts, self.rejects, self.rows = {}, [], 0
        return batch


@register
class BlueskyReader(Reader):
    name = "bluesky"
    platform = PLATFORM
    description = "Bluesky getAuthorFeed / getPostThread responses saved as JSON or JSON Lines"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.bluesky(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        out = _Rows()
        for where, doc in self._documents(path, progress):
            if isinstance(doc, Reject):
                out.rows += 1
                out.rejects.append(doc)
                continue
            responses = doc if isinstance(doc, list) else [doc]
            for i, response in enumerate(responses):
                prefix = f"{where}$[{i}]" if isinstance(doc, list) else f"{where}$"
                self._response(response, prefix, out, options)
                if len(out.posts) >= options.chunk_rows:
                    yield out.take()
        if out.posts or out.rejects or out.rows:
            yield out.take()

    # ------------------------------------------------------------------ documents

    @staticmethod
    def _documents(path: Path, progress) -> Iterable[tuple[str, object]]:
        """("line N: " or "", parsed value-or-Reject) for each JSON document in the file."""
        if is_json_lines(path):
            return ((f"line {n}: ", v) for n, v in iter_json_lines(path, progress))
        text = read_text_strict(path)
        try:
            doc = json.loads(text)
        except RecursionError:
            raise InputError(path, NESTED_REASON) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                path, f"invalid JSON ({exc.msg}); the file may be truncated or not JSON",
                f"line {exc.lineno}, column {exc.colno}",
            ) from None
        if progress:
            progress(path.stat().st_size)
        return [("", doc)]

    def _response(self, response: object, loc: str, out: _Rows, options: ReadOptions) -> None:
        if isinstance(response, dict) and isinstance(response.get("feed"), list):
            for i, item in enumerate(response["feed"]):
                out.rows += 1
                self._feed_item(item, f"{loc}.feed[{i}]", out, options)
        elif isinstance(response, dict) and isinstance(response.get("thread"), dict):
            self._thread(response["thread"], f"{loc}.thread", out, options)
        elif isinstance(response, dict) and isinstance(response.get("posts"), list):
            for i, pv in enumerate(response["posts"]):
                out.rows += 1
                self._try(partial(self._post, pv, f"{loc}.posts[{i}]", out, options),
                          pv, f"{loc}.posts[{i}]", out)
        else:
            out.rows += 1
            out.rejects.append(Reject(
                loc, "not a getAuthorFeed, getPostThread or searchPosts response",
                excerpt(json.dumps(response, ensure_ascii=False)),
            ))

    @staticmethod
    def _try(make: Callable[[], Post], record: object, loc: str, out: _Rows) -> Post | None:
        try:
            post = make()
        except _Bad as bad:
            out.rejects.append(
                Reject(bad.locator, bad.reason, excerpt(json.dumps(record, ensure_ascii=False)))
            )
            return None
        out.add(post)
        return post

    # ------------------------------------------------------------------ feed

    def _feed_item(self, item: object, loc: str, out: _Rows, options: ReadOptions) -> None:
        if not isinstance(item, dict) or not isinstance(item.get("post"), dict):
            out.rejects.append(Reject(loc, "feed item has no post", excerpt(json.dumps(item))))
            return
        reply = as_object(item.get("reply"))
        parent, root = reply.get("parent"), reply.get("root")
        grand = reply.get("grandparentAuthor")
        # Context posts first, so that their authors' handles are known for the main post.
        if _is_post_view(root) and not (_is_post_view(parent) and parent.get("uri") == root.get("uri")):
            self._try(lambda: self._post(root, f"{loc}.reply.root", out, options),
                      root, f"{loc}.reply.root", out)
        if _is_post_view(parent):
            grand_handle = _str(grand.get("handle")) if isinstance(grand, dict) else None
            self._try(lambda: self._post(parent, f"{loc}.reply.parent", out, options, grand_handle),
                      parent, f"{loc}.reply.parent", out)
        parent_handle = (
            _str(parent["author"].get("handle"))
            if _is_post_view(parent) and isinstance(parent.get("author"), dict) else None
        )
        post = self._try(
            lambda: self._post(item["post"], f"{loc}.post", out, options, parent_handle),
            item["post"], f"{loc}.post", out,
        )
        reason = item.get("reason")
        if post is not None and isinstance(reason, dict) and "reasonRepost" in str(
            reason.get("$type", "")
        ):
            self._try(lambda: self._repost(reason, post, f"{loc}.reason", out, options),
                      reason, f"{loc}.reason", out)

    def _repost(self, reason: dict, original: Post, loc: str, out: _Rows, options) -> Post:
        by = as_object(reason.get("by"))
        did = _str(by.get("did"))
        author = self._author_name(by, did, f"{loc}.by", out)
        try:
            created = parse_utc(reason.get("indexedAt"), options.assume_tz, options.ambiguous_time)
        except ValueError as exc:
            raise _Bad(f"{loc}.indexedAt", f"indexedAt: {exc}") from None
        return Post(
            platform=PLATFORM,
            post_id=_str(reason.get("uri")) or f"{original.post_id}#repost-by-{did or author}",
            author=author,
            author_id=did,
            created_at=created,
            kind="repost",
            url=original.url,
            raw=json.dumps(reason, ensure_ascii=False, separators=(",", ":")),
        )

    # ------------------------------------------------------------------ threads

    def _thread(self, node: dict, loc: str, out: _Rows, options: ReadOptions) -> None:
        # Up: the chain of parents, nearest first; each one's parent is the next.
        chain: list[tuple[dict, str]] = []
        up, up_loc = node.get("parent"), f"{loc}.parent"
        while isinstance(up, dict):
            if _is_post_view(up.get("post")):
                chain.append((up, up_loc))
            up, up_loc = up.get("parent"), f"{up_loc}.parent"
        for k in range(len(chain) - 1, -1, -1):  # from the top, so handles are learnt first
            above = chain[k + 1][0]["post"] if k + 1 < len(chain) else None
            self._thread_post(chain[k][0]["post"], f"{chain[k][1]}.post", above, out, options)
        # Down: this node and its replies, depth first, in the order of the response.
        start_parent = chain[0][0]["post"] if chain else None
        stack: list[tuple[object, str, dict | None]] = [(node, loc, start_parent)]
        while stack:
            current, cur_loc, parent_post = stack.pop()
            if not isinstance(current, dict) or not _is_post_view(current.get("post")):
                continue  # notFoundPost / blockedPost: no post to store
            self._thread_post(current["post"], f"{cur_loc}.post", parent_post, out, options)
            replies = current.get("replies")
            if isinstance(replies, list):
                for j in range(len(replies) - 1, -1, -1):
                    stack.append((replies[j], f"{cur_loc}.replies[{j}]", current["post"]))

    def _thread_post(self, pv: dict, loc: str, parent: dict | None, out: _Rows, options) -> None:
        out.rows += 1
        handle = None
        if parent is not None and isinstance(parent.get("author"), dict):
            handle = _str(parent["author"].get("handle"))
        self._try(lambda: self._post(pv, loc, out, options, handle), pv, loc, out)

    # ------------------------------------------------------------------ one post

    def _author_name(self, author: dict, did: str | None, loc: str, out: _Rows) -> str:
        handle = _str(author.get("handle"))
        if handle == "handle.invalid":
            handle = None
        if did and handle:
            out.handles[did] = handle
        name = handle or did
        if not name:
            raise _Bad(f"{loc}.handle", "author has neither handle nor did")
        return name

    def _post(
        self,
        pv: object,
        loc: str,
        out: _Rows,
        options: ReadOptions,
        parent_author: str | None = None,
    ) -> Post:
        if not isinstance(pv, dict):
            raise _Bad(loc, "post is not a JSON object")
        uri = _str(pv.get("uri"))
        if uri is None or not uri.startswith("at://"):
            raise _Bad(f"{loc}.uri", "post has no at:// uri")
        author_obj = as_object(pv.get("author"))
        did = _str(author_obj.get("did")) or did_of(uri)
        author = self._author_name(author_obj, did, f"{loc}.author", out)
        record = pv.get("record")
        if not isinstance(record, dict):
            raise _Bad(f"{loc}.record", "post has no record")
        try:
            created = parse_utc(record.get("createdAt"), options.assume_tz, options.ambiguous_time)
        except ValueError as exc:
            raise _Bad(f"{loc}.record.createdAt", f"createdAt: {exc}") from None
        given = record.get("text")
        text = given if isinstance(given, str) else ""
        if len(text) > MAX_TEXT_CHARS:
            raise _Bad(f"{loc}.record.text", f"text longer than {MAX_TEXT_CHARS:,} characters")
        reply = record.get("reply")
        if not isinstance(reply, dict):
            reply = None
        parent_uri = root_uri = None
        if reply is not None:
            parent_uri = _str(as_object(reply.get("parent")).get("uri"))
            root_uri = _str(as_object(reply.get("root")).get("uri"))
            if parent_uri is None:
                raise _Bad(f"{loc}.record.reply.parent.uri", "reply names no parent uri")
        if parent_author is None and parent_uri:
            parent_author = out.handles.get(did_of(parent_uri) or "")
        embed = as_object(record.get("embed"))
        kind = "reply" if reply else ("quote" if embed.get("$type") in _QUOTE_EMBEDS else "post")
        langs = record.get("langs")
        rkey = uri.rsplit("/", 1)[-1]
        return Post(
            platform=PLATFORM,
            post_id=uri,
            author=author,
            author_id=did,
            created_at=created,
            text=text,
            kind=kind,
            lang=langs[0].lower() if isinstance(langs, list) and langs and isinstance(
                langs[0], str) else None,
            in_reply_to_post_id=parent_uri,
            in_reply_to_author=parent_author,
            conversation_id=(root_uri or parent_uri) if reply else uri,
            mentions=tuple(dict.fromkeys(self._mentions(record, text, out))),
            url=f"https://bsky.app/profile/{author}/post/{rkey}",
            like_count=_count(pv.get("likeCount")),
            share_count=_count(pv.get("repostCount")),
            reply_count=_count(pv.get("replyCount")),
            raw=json.dumps(pv, ensure_ascii=False, separators=(",", ":")),
        )

    @staticmethod
    def _mentions(record: dict, text: str, out: _Rows) -> list[str]:
        """Handles of the mention facets (from the text they cover, else learnt, else DID)."""
        found = []
        data = text.encode("utf-8")
        for facet in record.get("facets") or []:
            if not isinstance(facet, dict):
                continue
            index = as_object(facet.get("index"))
            for feature in facet.get("features") or []:
                if not isinstance(feature, dict) or feature.get("$type") != _MENTION:
                    continue
                did = _str(feature.get("did"))
                if did is None:
                    continue
                start, end = index.get("byteStart"), index.get("byteEnd")
                shown = None
                if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
                    m = _HANDLE.match(data[start:end].decode("utf-8", "replace"))
                    shown = m.group(1).lower() if m else None
                if shown:
                    out.handles.setdefault(did, shown)
                found.append(shown or out.handles.get(did) or did)
        return found
