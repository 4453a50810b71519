"""Collect an account's statuses and the replies to them from any Mastodon instance.

Requests (public, no login, on the account's own instance):

- ``GET /api/v1/accounts/lookup?acct=USER``: the account's id on its instance (kept in
  the state; not saved as a response).
- ``GET /api/v1/accounts/:id/statuses`` (limit <= 40, ``max_id``, ``since_id``): the
  account's statuses newest first, paged down with ``max_id``; later runs add
  ``since_id`` (the newest status seen) and so fetch only what is new.
- ``GET /api/v1/statuses/:id/context``: the ancestors and descendants of each of the
  account's own statuses. Instances cap what they show to visitors without a login; a
  descendant whose ``replies_count`` is above the replies shown below it has its own
  context fetched, so chains deeper than one response are complete. A thread whose root
  shows more direct replies than any response contains is counted as incomplete. A root
  gone (404) is counted as deleted and not asked again.

- Mentions outside the account's threads: Mastodon has no search without a login, so they
  are collected only with an access token (``--mastodon-token``) valid on the account's
  instance. ``GET /api/v1/accounts/verify_credentials`` tells whose token it is. The
  account's own token (scope ``read:notifications``): ``GET /api/v1/notifications`` with
  ``types[]=mention`` (limit 40, ``max_id``; later runs add ``since_id``): every mention
  of the account. Another account's token (scope ``read:search``): ``GET /api/v2/search``
  with ``q=@user@instance``, ``type=statuses``, ``resolve=false`` (limit 40, ``offset``):
  what the instance's full-text search finds, which depends on it (without
  Elasticsearch/OpenSearch an instance searches only statuses the token's account wrote,
  favourited, bookmarked or was mentioned in; with it, since Mastodon 4.2, also public
  statuses of accounts that let themselves be indexed). Later runs ask only for what is
  newer than the newest mention seen (``since_id``; ``min_id`` for search). The token travels only in the Authorization header: never saved or printed.

All the request families are saved to one file per instance, ``mastodon/<instance>/api.jsonl``
(each line a response as the instance sent it: a list of statuses or a context). Status ids
are local to the serving instance and the ``mastodon-api`` reader resolves them within one
file: an official's reply to someone on another instance names its parent only by that
local id, and the parent comes in a context response. In two files the link would dangle
and the message would look unanswered.
"""

from __future__ import annotations

from collections import Counter

from govwatch.errors import CollectError

from .base import AccountResult, Progress, Settings, Target, iso, parse_iso, threads_due
from .http import HttpClient
from .state import Collection


def _id_key(status_id: str) -> tuple[int, str]:
    """Mastodon ids are decimal strings: longer is newer."""
    return (len(status_id), status_id)


class MastodonCollector:
    platform = "mastodon"

    def __init__(self, client: HttpClient, api: str | None = None, token: str | None = None):
        self.client = client
        self.api = api.rstrip("/") if api else None  # one base URL for every instance (tests)
        self.token = token
        self._whoami: dict[str, str] = {}  # base URL -> acct of the token's account there

    def _base(self, target: Target) -> str:
        return self.api or f"https://{target.handle.split('@', 1)[1]}"

    def _get(self, path: str, request: str, params: dict | None, target: Target, ok=frozenset(),
             auth: bool = False):
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else None
        return self.client.get(f"{self._base(target)}{path}", params, target.handle, request, ok,
                               headers=headers)

    def collect(self, target: Target, coll: Collection, settings: Settings, run_started: str,
                progress: Progress) -> AccountResult:
        result = AccountResult(target)
        acc = coll.account(target.key)
        instance = target.handle.split("@", 1)[1]
        file = f"mastodon/{instance}/api.jsonl"
        if "id" not in acc:
            resp = self._get("/api/v1/accounts/lookup", "accounts/lookup",
                             {"acct": target.handle.split("@", 1)[0]}, target)
            if not isinstance(resp.body, dict) or not resp.body.get("id"):
                raise CollectError(target.handle, "accounts/lookup", "the response has no id")
            acc["id"] = str(resp.body["id"])
            coll.save()
        self._statuses(target, acc, coll, settings, file, result, progress)
        self._contexts(target, acc, coll, settings, run_started, file, result, progress)
        if self.token and settings.mentions:
            self._mentions(target, acc, coll, file, result, progress)
        return result

    def _mentions(self, target, acc, coll, file, result, progress) -> None:
        """Mentions of the account outside its threads, with the user's access token."""
        base = self._base(target)
        if base not in self._whoami:
            me = self._get("/api/v1/accounts/verify_credentials",
                           "accounts/verify_credentials", None, target, auth=True).body
            acct = me.get("acct") if isinstance(me, dict) else None
            if not isinstance(acct, str) or not acct:
                raise CollectError(target.handle, "accounts/verify_credentials",
                                   "the response has no acct")
            self._whoami[base] = acct
        user, instance = target.handle.split("@", 1)
        own = self._whoami[base].lower() in (user.lower(), target.handle.lower())
        route = "notifications" if own else "search"
        head = f"mentions_head_{route}"  # notification ids and status ids differ
        p = acc.get("mentions_pass") or {"route": route, "max_id": None, "offset": 0,
                                         "top": None, "since_id": acc.get(head)}
        head = f"mentions_head_{p['route']}"
        while True:
            progress.update(target.key, result.mentions, None, "mentions")
            if p["route"] == "notifications":
                request = "notifications"
                resp = self._get("/api/v1/notifications", request, {
                    "types[]": "mention", "limit": 40, "max_id": p["max_id"],
                    "since_id": p["since_id"]}, target, auth=True)
                items = resp.body if isinstance(resp.body, list) else None
                statuses = [n.get("status") for n in items or [] if isinstance(n, dict)]
                ids = [str(n.get("id")) for n in items or [] if isinstance(n, dict)]
            else:
                request = "search"
                resp = self._get("/api/v2/search", request, {
                    "q": f"@{user}@{instance}", "type": "statuses", "resolve": "false",
                    "limit": 40, "offset": p["offset"], "min_id": p["since_id"]}, target,
                    auth=True)
                items = resp.body.get("statuses") if isinstance(resp.body, dict) else None
                statuses = list(items or [])
                ids = [str(s.get("id")) for s in statuses if isinstance(s, dict)]
            if items is None:
                raise CollectError(target.handle, request, "the response is not a list of "
                                   + ("notifications" if request == "notifications" else
                                      "statuses"))
            new = [i for i in ids if p["since_id"] is None or _id_key(i) > _id_key(p["since_id"])]
            if new:
                coll.append(file, resp.text)
                result.responses += 1
                result.mentions += sum(1 for s in statuses if isinstance(s, dict))
            for i in ids:
                if p["top"] is None or _id_key(i) > _id_key(p["top"]):
                    p["top"] = i
                if p["max_id"] is None or _id_key(i) < _id_key(p["max_id"]):
                    p["max_id"] = i
            p["offset"] += len(ids)
            # Done at an empty page, or one with nothing new (a server ignoring since_id).
            if not new:
                acc[head] = max(filter(None, [p["top"], p["since_id"]]), key=_id_key,
                                default=None)
                acc.pop("mentions_pass", None)
                coll.save()
                return
            acc["mentions_pass"] = p
            coll.save()

    def _statuses(self, target, acc, coll, settings, file, result, progress) -> None:
        threads = acc.setdefault("threads", {})
        first_run = "head" not in acc
        p = acc.get("pass") or {"max_id": None, "top": None, "since_id": acc.get("head"), "own": 0}
        while True:
            progress.update(target.key, p["own"], None, "timeline")
            resp = self._get(f"/api/v1/accounts/{acc['id']}/statuses", "accounts/:id/statuses", {
                "limit": min(settings.page_size, 40), "max_id": p["max_id"],
                "since_id": p["since_id"],
            }, target)
            page = resp.body
            if not isinstance(page, list):
                raise CollectError(target.handle, "accounts/:id/statuses",
                                   "the response is not a list of statuses")
            reached = not page
            if page:
                coll.append(file, resp.text)
                result.responses += 1
            for status in page:
                sid = str(status.get("id", "")) if isinstance(status, dict) else ""
                if not sid:
                    continue
                if p["top"] is None or _id_key(sid) > _id_key(p["top"]):
                    p["top"] = sid
                if p["max_id"] is None or _id_key(sid) < _id_key(p["max_id"]):
                    p["max_id"] = sid
                created = parse_iso(status.get("created_at"))
                if first_run and settings.since and created and created < settings.since:
                    reached = True
                    continue
                if status.get("reblog"):
                    continue  # a boost: the boosted status's thread is not the account's
                threads.setdefault(sid, {"created": iso(created) if created else None,
                                         "fetched": None})["replies"] = status.get("replies_count")
                p["own"] += 1
                result.posts += 1
                if settings.max_posts and first_run and p["own"] >= settings.max_posts:
                    reached = True
                    break
            if reached:
                acc["head"] = p["top"] or p["since_id"]
                acc.pop("pass", None)
                coll.save()
                return
            acc["pass"] = p
            coll.save()

    def _contexts(self, target, acc, coll, settings, run_started, file, result, progress) -> None:
        threads = acc.setdefault("threads", {})
        due = threads_due(threads, run_started, settings.window_start(parse_iso(run_started)))
        for n, sid in enumerate(due):
            progress.update(target.key, n, len(due), "threads")
            t = threads[sid]
            if t.get("pending") is None:
                t["pending"], t["asked"], t["direct"] = [sid], [], 0
            pending = t["pending"]
            while pending:
                node = pending[0]
                resp = self._get(f"/api/v1/statuses/{node}/context", "statuses/:id/context",
                                 None, target, ok=frozenset({404}))
                result.threads += 1
                if resp.status == 404:
                    if node == sid:
                        t["gone"] = True
                        result.gone += 1
                elif not isinstance(resp.body, dict) or not isinstance(
                        resp.body.get("descendants"), list):
                    result.failures.append("statuses/:id/context: the response has no "
                                           "descendants list")
                else:
                    result.responses += coll.append(file, resp.text, same_as=f"{file}#context/{node}")
                    descendants = [d for d in resp.body["descendants"] if isinstance(d, dict)]
                    children = Counter(str(d.get("in_reply_to_id")) for d in descendants)
                    if node == sid:
                        t["direct"] = children.get(sid, 0)
                    for d in descendants:
                        did = str(d.get("id"))
                        count = d.get("replies_count")
                        if (isinstance(count, int) and count > children.get(did, 0)
                                and did not in t["asked"] and did not in pending):
                            pending.append(did)
                    t["asked"].append(node)
                pending.pop(0)
                coll.save()
            replies = t.get("replies")
            if not t.get("gone") and isinstance(replies, int) and t["direct"] < replies:
                result.incomplete += 1
            t["fetched"] = run_started
            for k in ("pending", "asked", "direct"):
                t.pop(k, None)
            coll.save()
