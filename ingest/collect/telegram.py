"""Collect a public Telegram channel's posts from its web preview (``https://t.me/s/<name>``).

No login and no API key: the preview is the page Telegram shows anyone for a public channel
whose owner left it on. Each page holds the channel's latest messages (about 20);
``?before=<message id>`` gives the ones before. The first run pages back to ``--since``,
``--max-posts`` or the channel's first message; later runs page down to the newest message
seen before, or further while messages are younger than ``--refetch-days`` (edits and
reactions change). Pages are asked ``Settings.telegram_delay`` seconds apart (Telegram
documents no limit for the preview; a 429 is retried as everywhere).

Each page is saved as one line of ``telegram/<name>/preview.jsonl`` (see
:mod:`govwatch.ingest.telegram_preview`: the HTML as received, the channel's name and, when
the user gave it, its numeric id) and read by the ``telegram-preview`` reader.

The numeric id is not in the preview. Given (``telegram:NAME=ID``, or an accounts CSV row
``channel<ID>`` with a ``handle`` column), the posts get the keys a Telegram Desktop export of
the channel gives them, so the two merge in the store. A folder keeps the choice it was
started with: a channel collected by name cannot later be given an id there (its saved pages
are keyed by name), nor another id.

Comments are not in the preview: they live in the channel's discussion group, readable
only with the user's own Telegram API credentials or from a Desktop export of the group.
"""

from __future__ import annotations

import json

from govwatch.errors import CollectError

from ..telegram_preview import PAGE_KIND, parse_page
from .base import AccountResult, Progress, Settings, Target, run_start
from .http import HttpClient
from .state import Collection

DEFAULT_BASE = "https://t.me"
REQUEST = "t.me/s"


class TelegramCollector:
    platform = "telegram"

    def __init__(self, client: HttpClient, base: str = DEFAULT_BASE):
        self.client = client
        self.base = base.rstrip("/")

    @staticmethod
    def _ident(target: Target, acc: dict) -> str | None:
        stored, given = acc.get("channel_id"), target.ident
        if given and stored and given != stored:
            raise CollectError(target.handle, REQUEST, f"this folder keys the channel by id "
                               f"{stored}, not {given}: collect into a new folder")
        if given and not stored and ("head" in acc or "pass" in acc):
            raise CollectError(target.handle, REQUEST, "collected into this folder before "
                               "without its numeric id (posts keyed by its name): collect into a new "
                               "folder to key them by the id")
        if given:
            acc["channel_id"] = given
        return given or stored

    def collect(self, target: Target, coll: Collection, settings: Settings, run_started: str,
                progress: Progress) -> AccountResult:
        result = AccountResult(target)
        acc = coll.account(target.key)
        ident = self._ident(target, acc)
        first_run = "head" not in acc
        window = settings.window_start(run_start(run_started))
        p = acc.get("pass") or {"before": None, "top": None, "stop": acc.get("head"), "seen": 0}
        file = f"telegram/{target.handle}/preview.jsonl"
        asked = False
        while True:
            progress.update(target.key, p["seen"], None, "posts")
            if asked and settings.telegram_delay > 0:
                self.client.sleep(settings.telegram_delay)
            asked = True
            resp = self.client.get(f"{self.base}/s/{target.handle}", {"before": p["before"]},
                                   target.handle, REQUEST, html=True)
            page = parse_page(resp.text)
            msgs = [m for m in page.messages if m.mid]
            if not page.service and not page.messages:
                if page.title is None and p["before"] is None:
                    raise CollectError(target.handle, REQUEST, "no web preview: not a public "
                                       "channel, or its owner turned the preview off")
                done = True
            else:
                request = f"/s/{target.handle}" + (f"?before={p['before']}" if p["before"] else "")
                coll.append(file, json.dumps({"kind": PAGE_KIND, "channel": target.handle,
                                              "channel_id": ident, "request": request,
                                              "html": resp.text}, ensure_ascii=False))
                result.responses += 1
                done = self._advance(p, page, msgs, settings, first_run, window, result)
            if done:
                acc["head"] = max(filter(None, [p["top"], p["stop"]]), default=None)
                acc.pop("pass", None)
                coll.save()
                return result
            acc["pass"] = p
            coll.save()

    @staticmethod
    def _advance(p, page, msgs, settings, first_run, window, result) -> bool:
        """Note one page's messages; True when the run has gone back far enough."""
        ids = [m.mid for m in msgs] + [i for i in page.service if i]
        stop = p["stop"]
        new = [m for m in msgs if stop is None or m.mid > stop]
        p["top"] = max(ids + ([p["top"]] if p["top"] else []))
        p["seen"] += len(new)
        result.posts += len(new)
        dated = [m for m in msgs if m.created is not None]
        oldest = min(dated, key=lambda m: m.mid).created if dated else None
        if page.before is None:  # no older-messages link: the channel's first page
            return True
        if p["before"] is not None and min(ids) >= p["before"]:
            return True  # the server did not go back: stop rather than loop
        if stop is not None and min(ids) <= stop and (oldest is None or oldest < window):
            return True  # down to what the last run saw, and past the refetch window
        if first_run and settings.since and oldest and oldest < settings.since:
            return True
        if first_run and settings.max_posts and p["seen"] >= settings.max_posts:
            return True
        p["before"] = min(ids)
        return False
