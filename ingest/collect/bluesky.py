"""Collect an account's posts, the replies to them, and mentions from Bluesky's public API.

Requests (the AppView, default https://public.api.bsky.app, needs no login):

- ``app.bsky.feed.getAuthorFeed`` (actor, ``filter=posts_with_replies``, limit <= 100,
  cursor): the account's posts newest first. The first run pages back to ``--since`` /
  ``--max-posts`` or the end; later runs page only until they reach the newest item seen
  before (the feed's sort time: ``reason.indexedAt`` for a repost, else ``post.indexedAt``).
- ``app.bsky.feed.getPostThread`` (uri, depth, parentHeight): for each of the account's own
  posts, its thread. A reply at the depth limit with ``replyCount`` above zero and no
  ``replies`` shown is fetched on its own (``parentHeight=0``), so threads deeper than one
  response are complete. A root gone (``NotFound``) is counted as deleted and not asked
  again; deleted replies come as ``notFoundPost`` and add nothing.
- ``app.bsky.feed.searchPosts`` (q, ``mentions``, ``sort=latest``, ``since``, cursor): posts
  mentioning the account. Some servers want a login for search: that is reported once and
  the rest of the collection goes on.

Each response is saved to ``bluesky/<request>.jsonl`` before the state moves past it.
"""

from __future__ import annotations

from govwatch.errors import CollectError

from ..jsonio import as_object
from .base import (
    AccountResult,
    Progress,
    Settings,
    Target,
    iso,
    parse_iso,
    threads_due,
)
from .http import HttpClient, server_message
from .state import Collection

DEFAULT_API = "https://public.api.bsky.app"
FEED_FILE = "bluesky/getAuthorFeed.jsonl"
THREAD_FILE = "bluesky/getPostThread.jsonl"
SEARCH_FILE = "bluesky/searchPosts.jsonl"


def _sort_key(item: dict) -> str:
    reason, post = as_object(item.get("reason")), as_object(item.get("post"))
    return str(reason.get("indexedAt") or post.get("indexedAt") or "")


class BlueskyCollector:
    platform = "bluesky"

    def __init__(self, client: HttpClient, api: str = DEFAULT_API):
        self.client = client
        self.api = api.rstrip("/")

    def _get(self, method: str, params: dict, target: Target, ok=frozenset()):
        return self.client.get(f"{self.api}/xrpc/{method}", params, target.handle, method, ok)

    def collect(self, target: Target, coll: Collection, settings: Settings, run_started: str,
                progress: Progress) -> AccountResult:
        result = AccountResult(target)
        acc = coll.account(target.key)
        self._feed(target, acc, coll, settings, result, progress)
        self._threads(target, acc, coll, settings, run_started, result, progress)
        if settings.mentions:
            self._search(target, acc, coll, settings, result, progress)
        return result

    # ------------------------------------------------------------------ feed

    def _feed(self, target, acc, coll, settings, result, progress) -> None:
        threads = acc.setdefault("threads", {})
        first_run = "feed_head" not in acc
        p = acc.get("feed_pass") or {"cursor": None, "top": None, "stop": acc.get("feed_head"),
                                     "own": 0}
        since = iso(settings.since) if settings.since and first_run else None
        while True:
            progress.update(target.key, p["own"], None, "timeline")
            resp = self._get("app.bsky.feed.getAuthorFeed", {
                "actor": target.handle, "filter": "posts_with_replies",
                "limit": min(settings.page_size, 100), "cursor": p["cursor"],
            }, target)
            feed = resp.body.get("feed") if isinstance(resp.body, dict) else None
            if not isinstance(feed, list):
                raise CollectError(target.handle, "app.bsky.feed.getAuthorFeed",
                                   "the response has no feed list")
            if feed and (not p["stop"] or _sort_key(feed[0]) > p["stop"]):
                coll.append(FEED_FILE, resp.text)  # a page without news is not saved
                result.responses += 1
            reached = False
            for item in feed:
                key = _sort_key(item)
                if p["stop"] and key and key <= p["stop"]:
                    reached = True
                    break
                if since and key and key < since:
                    reached = True
                    break
                if key and (p["top"] is None or key > p["top"]):
                    p["top"] = key
                post = item.get("post") if isinstance(item, dict) else None
                if not isinstance(post, dict) or "reason" in item and item["reason"]:
                    continue  # a repost of someone else's post: its thread is not ours
                author = as_object(post.get("author"))
                if target.handle not in (author.get("handle"), author.get("did")):
                    continue
                uri = post.get("uri")
                if not isinstance(uri, str):
                    continue
                record = as_object(post.get("record"))
                created = parse_iso(record.get("createdAt")) or parse_iso(post.get("indexedAt"))
                t = threads.setdefault(uri, {"created": iso(created) if created else None,
                                             "fetched": None})
                t["replies"] = post.get("replyCount")
                p["own"] += 1
                result.posts += 1
                if settings.max_posts and first_run and p["own"] >= settings.max_posts:
                    reached = True
                    break
            if _step(acc, coll, "feed", p, resp.body.get("cursor"), reached or not feed):
                return

    # ------------------------------------------------------------------ threads

    def _threads(self, target, acc, coll, settings, run_started, result, progress) -> None:
        threads = acc.setdefault("threads", {})
        started = parse_iso(run_started)
        due = threads_due(threads, run_started, settings.window_start(started))
        for n, uri in enumerate(due):
            progress.update(target.key, n, len(due), "threads")
            t = threads[uri]
            pending = t.get("pending")
            if pending is None:  # a fresh fetch of this thread (not a resumed one)
                pending = t["pending"] = [uri]
                t["asked"] = []
            while pending:
                node_uri = pending[0]
                root = node_uri == uri
                resp = self._get("app.bsky.feed.getPostThread", {
                    "uri": node_uri, "depth": settings.thread_depth,
                    "parentHeight": None if root else 0,
                }, target, ok=frozenset({400, 404}))
                result.threads += 1
                if resp.status in (400, 404):
                    if _not_found(resp):
                        if root:
                            t["gone"] = True
                            result.gone += 1
                    else:
                        result.failures.append(
                            f"app.bsky.feed.getPostThread: HTTP {resp.status}: "
                            f"{server_message(resp.body, resp.text)}")
                else:
                    result.responses += coll.append(THREAD_FILE, resp.text, same_as=node_uri)
                    asked = t["asked"]
                    for more in _truncated(resp.body):
                        if more not in asked and more not in pending:
                            pending.append(more)
                    asked.append(node_uri)
                pending.pop(0)
                coll.save()
            t["fetched"] = run_started
            t.pop("pending", None)
            t.pop("asked", None)
            coll.save()

    # ------------------------------------------------------------------ mentions

    def _search(self, target, acc, coll, settings, result, progress) -> None:
        first_run = "search_head" not in acc
        p = acc.get("search_pass") or {"cursor": None, "top": None, "stop": acc.get("search_head")}
        since = p["stop"] or (iso(settings.since) if settings.since and first_run else None)
        while True:
            progress.update(target.key, result.mentions, None, "mentions")
            resp = self._get("app.bsky.feed.searchPosts", {
                "q": target.handle, "mentions": target.handle, "sort": "latest",
                "since": since, "limit": min(settings.page_size, 100), "cursor": p["cursor"],
            }, target, ok=frozenset({401, 403}))
            if resp.status in (401, 403):
                result.failures.append(
                    "app.bsky.feed.searchPosts: this server wants a login for search "
                    f"({server_message(resp.body, resp.text)}); mentions were not collected")
                return
            posts = resp.body.get("posts") if isinstance(resp.body, dict) else None
            if not isinstance(posts, list):
                raise CollectError(target.handle, "app.bsky.feed.searchPosts",
                                   "the response has no posts list")
            new = [pv for pv in posts
                   if not p["stop"] or str(pv.get("indexedAt") or "") > p["stop"]]
            if new:
                coll.append(SEARCH_FILE, resp.text)
                result.responses += 1
            result.mentions += len(new)
            for pv in posts:
                key = str(pv.get("indexedAt") or "")
                if key and (p["top"] is None or key > p["top"]):
                    p["top"] = key
            if _step(acc, coll, "search", p, resp.body.get("cursor"), not posts or not new):
                return


def _step(acc: dict, coll: Collection, name: str, p: dict, cursor: object, done: bool) -> bool:
    """Record a paged pass's progress in the state; True when the pass is over (its
    newest item becomes the head the next run stops at)."""
    if done or not cursor:
        acc[f"{name}_head"] = p["top"] or p["stop"]
        acc.pop(f"{name}_pass", None)
        coll.save()
        return True
    p["cursor"] = cursor
    acc[f"{name}_pass"] = p
    coll.save()
    return False


def _not_found(resp) -> bool:
    body = resp.body if isinstance(resp.body, dict) else {}
    return resp.status == 404 or body.get("error") == "NotFound"


def _truncated(body: object) -> list[str]:
    """URIs of replies shown with replies below them but none included (the depth limit)."""
    out = []
    thread = body.get("thread") if isinstance(body, dict) else None
    stack = [(thread, True)]
    while stack:
        node, is_top = stack.pop()
        if not isinstance(node, dict) or not isinstance(node.get("post"), dict):
            continue
        replies = node.get("replies")
        count = node["post"].get("replyCount")
        if not replies and isinstance(count, int) and count > 0 and not is_top:
            uri = node["post"].get("uri")
            if isinstance(uri, str):
                out.append(uri)
        for child in replies or []:
            stack.append((child, False))
    return out
