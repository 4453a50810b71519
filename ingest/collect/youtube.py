"""Collect the comment threads on a YouTube channel's videos, with the user's own API key.

Request (YouTube Data API v3, default https://www.googleapis.com/youtube/v3):
``commentThreads.list`` with ``part=snippet,replies``, ``allThreadsRelatedToChannelId``
(the channel id, ``UC...``), ``order=time``, ``maxResults=100`` and ``pageToken``: every
thread on the channel's videos, newest first; each costs 1 unit of the key's daily quota
(10,000 by default). The first run pages back to ``--since`` or the end; later runs page
down to the newest thread seen before, or further back while threads are younger than
``--refetch-days`` (their replies grow). The API shows at most a few replies per thread
(``replies.comments``, a subset when ``totalReplyCount`` is larger); the summary counts
such threads as shown only in part.

Responses are saved to ``youtube/commentThreads.jsonl`` and read by the ``youtube`` reader.
The key travels only in the request: it is never saved or printed.
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
    run_start,
)
from .http import HttpClient, server_message
from .state import Collection

DEFAULT_API = "https://www.googleapis.com/youtube/v3"
FILE = "youtube/commentThreads.jsonl"
REQUEST = "commentThreads.list"


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
        while True:
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
            if keep:
                result.responses += coll.append(FILE, resp.text, same_as=f"page:{_published(keep[0])}")
            for t in keep:
                key = _published(t)
                if key and (p["top"] is None or key > p["top"]):
                    p["top"] = key
                total = as_object(t.get("snippet")).get("totalReplyCount")
                comments = as_object(t.get("replies")).get("comments")
                shown = len(comments) if isinstance(comments, list) else 0
                if isinstance(total, int) and total > shown:
                    result.incomplete += 1
            p["seen"] += len(keep)
            result.threads += len(keep)
            token = body.get("nextPageToken")
            if len(keep) < len(items) or not token:
                acc["head"] = max(filter(None, [p["top"], p["stop"]]), default=None)
                acc.pop("pass", None)
                coll.save()
                return result
            p["token"] = token
            acc["pass"] = p
            coll.save()
