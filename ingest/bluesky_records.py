"""Reader for Bluesky posts saved as a JSON list of post views, feed items, or sync events.

The ``bluesky`` reader reads whole API responses (``{"feed": [...]}``, ``{"thread": ...}``);
tools that collect Bluesky posts often save a bare JSON list instead. This reader takes a
list (one JSON document, loaded whole) whose items are any of:

- ``PostView`` (``{uri, cid, author, record, likeCount, ...}``) and ``FeedViewPost``
  (``{post, reply?, reason?}``), read exactly as the ``bluesky`` reader reads them in a
  response (see ingest/bluesky.py for every rule);
- Jetstream commit events (``{did, time_us, kind: "commit", commit: {operation,
  collection: "app.bsky.feed.post", rkey, record}}``);
- Tap sync records (``{id, type: "record", record: {did, collection, rkey, action,
  record}}``).

A sync event carries the record and the author's DID, not a handle: author is the DID
(name the account by its DID in the accounts file) and the counts are empty. A ``delete``
event, or an event of another collection (likes, follows), holds no post and is rejected
with that reason; so is a record whose ``createdAt`` is not a time (``0000-10-14...``).
Locators are JSON paths: ``$[3].commit.record.createdAt``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from govwatch.records import Batch, Reject, excerpt

from . import sniffers
from .base import ReadOptions
from .bluesky import BlueskyReader, _is_post_view, _Rows
from .jsonio import load_json_text, read_text_strict
from .registry import register

_POST = "app.bsky.feed.post"

def _event_post(item: dict) -> tuple[dict | None, str, str]:
    """(a PostView-shaped dict, locator suffix, reason) for a Jetstream or Tap event."""
    if item.get("kind") == "commit" and isinstance(item.get("commit"), dict):
        c, did, where = item["commit"], item.get("did"), "commit"
        action = c.get("operation")
    elif item.get("type") == "record" and isinstance(item.get("record"), dict):
        c, where = item["record"], "record"
        did, action = c.get("did"), c.get("action")
    else:
        return None, "", "not a post view, feed item, Jetstream commit or Tap record"
    if c.get("collection") != _POST:
        return None, f".{where}.collection", f"a {c.get('collection')!r} event holds no post"
    if action not in ("create", "update"):
        return None, f".{where}", f"a {action!r} event holds no post"
    if not isinstance(did, str) or not isinstance(c.get("rkey"), str):
        return None, f".{where}.rkey", "the event names no did and rkey"
    return ({"uri": f"at://{did}/{_POST}/{c['rkey']}", "author": {"did": did},
             "record": c.get("record")}, f".{where}", "")

@register
class BlueskyRecordsReader(BlueskyReader):
    name = "bluesky-records"
    description = ("Bluesky posts as a JSON list: post views, feed items, Jetstream commits "
                   "or Tap records")

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.bluesky_records(path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        doc = load_json_text(path, read_text_strict(path))
        if progress:
            progress(path.stat().st_size)
        items = doc if isinstance(doc, list) else [doc]
        out = _Rows()
        for i, item in enumerate(items):
            loc = f"$[{i}]"
            if _is_post_view(item):
                out.rows += 1
                self._try(partial(self._post, item, loc, out, options), item, loc, out)
            elif isinstance(item, dict) and isinstance(item.get("post"), dict):
                out.rows += 1
                self._feed_item(item, loc, out, options)
            elif isinstance(item, dict):
                out.rows += 1
                pv, suffix, reason = _event_post(item)
                if pv is None:
                    out.rejects.append(Reject(loc + suffix, reason,
                                              excerpt(json.dumps(item, ensure_ascii=False))))
                    continue
                self._try(partial(self._post, pv, loc + suffix, out, options),
                          item, loc + suffix, out)
            else:
                out.rows += 1
                out.rejects.append(Reject(loc, "not a JSON object", excerpt(json.dumps(item))))
            if len(out.posts) >= options.chunk_rows:
                yield out.take()
        yield out.take()
