"""Collect the comment threads on a YouTube channel's videos, with the user's own API key.

Requests (YouTube Data API v3, default https://www.googleapis.com/youtube/v3), each costing
1 unit of the key's daily quota (10,000 by default):

- ``commentThreads.list`` with ``part=snippet,replies``, ``allThreadsRelatedToChannelId``
  (the channel id, ``UC...``), ``order=time``, ``maxResults=100`` and ``pageToken``: every
  thread on the channel's videos, newest first. The first run pages back to ``--since`` or
  the end; later runs page down to the newest thread seen before, or further back while
  threads are younger than ``--refetch-days`` (their replies grow).
- ``comments.list`` with ``part=snippet``, ``parentId`` (a thread's id), ``maxResults=100``
  and ``pageToken``: all the replies of a thread whose ``totalReplyCount`` is above the few
  replies ``commentThreads.list`` includes (``replies.comments``). A thread's replies are
  fetched again only when its ``totalReplyCount`` changed since they were last fetched
  (kept in the state). ``Settings.youtube_replies = False`` (``--no-youtube-replies``)
  saves the quota; such threads are then counted as shown only in part.

Responses are saved to ``youtube/commentThreads.jsonl``, each thread's ``comments.list``
pages on the lines after the page that lists it, and read by the ``youtube`` reader, which
joins them to their thread there. The state holds the page being worked on, the threads of
it whose replies are still due and the reply page reached: an interrupted run resumes inside
a thread's replies, and the pages of one thread stay on consecutive lines. A thread removed
in between (404 on ``comments.list``) is counted as deleted.

The key travels only in the request: it is never saved or printed.
"""

from __future__ import annotations

from govwatch.errors import CollectError

from ..jsonio import as_object
from .base import AccountResult, Progress, Settings, Target, iso, run_start
from .http import HttpClient, server_message
from .state import Collection

DEFAULT_API = "https://www.googleapis.com/youtube/v3"
FILE = "youtube/commentThreads.jsonl"
REQUEST = "commentThreads.list"
REPLIES = "comments.list"


def _published(thread: dict) -> str:
    top = as_object(as_object(as_object(thread.get("snippet")).get("topLevelComment"))
                    .get("snippet"))
    return str(top.get("publishedAt") or "")


class YouTubeCollector:
    platform = "youtube"

    def __init__(self, client: HttpClient, api: str = DEFAULT_API, key: str | None = None):
        self.client = client
        self.api = api.rstrip("/")
        self.key = key

    def collect(self, target: Target, coll: Collection, settings: Settings, run_started: str,
                progress: Progress) -> AccountResult:
        result = AccountResult(target)
        if not self.key:
            raise CollectError(target.handle, REQUEST, "YouTube needs your own Data API key "
                               "(--youtube-key or GOVWATCH_YOUTUBE_KEY)")
        acc = coll.account(target.key)
        first_run = "head" not in acc
        window = iso(settings.window_start(run_start(run_started)))
        p = acc.get("pass") or {"token": None, "top": None, "stop": acc.get("head"), "seen": 0}
        since = iso(settings.since) if settings.since and first_run else None
        fetched = acc.setdefault("replies", {})  # thread id -> totalReplyCount last fetched
        while True:
            if p.get("todo") is None:
                self._page(target, coll, settings, p, window, since, fetched, result, progress)
                acc["pass"] = p
                coll.save()
            while p["todo"]:
                progress.update(target.key, p["seen"], None, "replies")
                self._replies(target, coll, p, fetched, result)
                coll.save()
            if p["last"]:
                acc["head"] = max(filter(None, [p["top"], p["stop"]]), default=None)
                acc.pop("pass", None)
                coll.save()
                return result
            p["token"], p["todo"] = p["next"], None
            coll.save()

    def _page(self, target, coll, settings, p, window, since, fetched, result, progress) -> None:
        """One commentThreads page: saved; its threads with replies due go to ``p["todo"]``."""
        progress.update(target.key, p["seen"], None, "comment threads")
        resp = self.client.get(f"{self.api}/commentThreads", {
            "part": "snippet,replies", "allThreadsRelatedToChannelId": target.handle,
            "order": "time", "maxResults": 100, "pageToken": p["token"], "key": self.key,
        }, target.handle, REQUEST, ok_statuses=frozenset({403}))
        if resp.status == 403:  # quota or a disabled API: stop; the next run resumes here
            raise CollectError(target.handle, REQUEST,
                               f"HTTP 403: {server_message(resp.body, resp.text)}")
        body = as_object(resp.body)
        items = body.get("items")
        if not isinstance(items, list):
            raise CollectError(target.handle, REQUEST, "the response has no items list")
        # Threads at or below the stop are known, unless recent enough for new replies.
        floor = min(p["stop"], window) if p["stop"] else None
        keep = [t for t in items if isinstance(t, dict)
                and (floor is None or _published(t) > floor)
                and (since is None or _published(t) >= since)]
        todo = []
        for t in keep:
            key = _published(t)
            if key and (p["top"] is None or key > p["top"]):
                p["top"] = key
            total = as_object(t.get("snippet")).get("totalReplyCount")
            comments = as_object(t.get("replies")).get("comments")
            shown = len(comments) if isinstance(comments, list) else 0
            tid = t.get("id")
            if not isinstance(total, int) or total <= shown or not isinstance(tid, str):
                continue
            if not settings.youtube_replies:
                result.incomplete += 1
            elif fetched.get(tid) != total:
                todo.append([tid, total])
        if keep:
            saved = coll.append(FILE, resp.text, same_as=f"page:{_published(keep[0])}")
            if todo and not saved:  # the replies that follow must come after their thread
                saved = coll.append(FILE, resp.text)
            result.responses += saved
        p["seen"] += len(keep)
        result.threads += len(keep)
        token = body.get("nextPageToken")
        p["last"] = len(keep) < len(items) or not token
        p["next"], p["todo"], p["reply_token"] = token, todo, None

    def _replies(self, target, coll, p, fetched, result) -> None:
        """One comments.list page of the first thread due."""
        tid, total = p["todo"][0]
        resp = self.client.get(f"{self.api}/comments", {
            "part": "snippet", "parentId": tid, "maxResults": 100,
            "pageToken": p["reply_token"], "key": self.key,
        }, target.handle, REPLIES, ok_statuses=frozenset({403, 404}))
        if resp.status == 403:
            raise CollectError(target.handle, REPLIES,
                               f"HTTP 403: {server_message(resp.body, resp.text)}")
        if resp.status == 404:  # the thread was removed after its page was fetched
            result.gone += 1
            token = None
        else:
            body = as_object(resp.body)
            items = body.get("items")
            if not isinstance(items, list):
                raise CollectError(target.handle, REPLIES, "the response has no items list")
            if items:
                result.responses += coll.append(FILE, resp.text)
            token = body.get("nextPageToken") if items else None
        if token:
            p["reply_token"] = token
            return
        fetched[tid] = total
        p["todo"].pop(0)
        p["reply_token"] = None
