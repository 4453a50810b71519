"""A local stand-in for Bluesky's and Mastodon's public APIs, for the collector's tests.

Run as a process: ``python tests/collect_server.py CONFIG.json`` listens on 127.0.0.1 on a
free port and prints ``PORT <n>`` on its first line. Nothing here is recorded from the
live services: the responses are BUILT FROM THE DOCUMENTATION (the atproto lexicons
app.bsky.feed.getAuthorFeed / getPostThread / searchPosts and app.bsky.feed.defs#postView,
threadViewPost, notFoundPost; Mastodon's REST API pages for accounts/lookup,
accounts/:id/statuses, statuses/:id/context and the Status entity; the YouTube Data API
v3 reference for commentThreads.list, comments.list and the comment resources), filled with
generated accounts, posts and replies (seeded, so every run serves the same data), except
in ``fixture`` mode, where the Bluesky endpoints serve the REAL post views of
../shared/real_data/bluesky_twitwi_fixtures/bluesky-posts.json, read at start.

What the server imitates, because the collector must cope with it:
- cursors (Bluesky) and max_id/since_id (Mastodon, at most 40 per page, Link header);
- getPostThread's ``depth`` (a reply at the limit shows replyCount but no replies) and
  ``parentHeight``; a deleted root is ``400 {"error": "NotFound"}``, a deleted reply a
  ``notFoundPost``; Mastodon's context shows visitors at most ``context_limit`` descendants
  (breadth first) and ``context_depth`` levels; a deleted status is 404;
- rate limiting: ``faults`` makes chosen requests answer 429 (with Retry-After and the
  platform's reset headers) or 500; ``ratelimit-remaining``/``X-RateLimit-*`` headers on
  every response.

Control endpoints (for tests, not part of either API):
``/_control/stats`` (requests per endpoint), ``/_control/posts`` (every live post id per
platform), ``/_control/grow?posts=N&replies=M`` (new posts on every account with M replies
each), ``/_control/late?replies=M`` (M new replies under each account's newest post; with
``&under=comment``, under the newest comment on it),
``/_control/delete?platform=P&n=K`` (delete the first K replies that have no replies),
``/_control/delete_root?platform=P`` (delete the oldest post of an official account),
``/_control/faults`` (POST a JSON list of fault rules), ``/_control/hold?after=N``
(requests after the Nth wait until released; ``/_control/release``; ``/_control/held``
says how many wait),
``mastodon_tokens`` (token -> account) for the routes that want a login
(accounts/verify_credentials, notifications, v2 search), and ``mastodon_mention_posts``
(mentions of each Mastodon account outside its threads, found only with a token),
``/_control/telegram_grow?name=C&n=K`` (K new posts in a generated Telegram channel).

Telegram's web preview (``/s/<channel>``, HTML) is served from pages saved as files
(``telegram_dir``: the synthetic fixtures of tests/fixtures/telegram_preview) or drawn for
generated channels (``telegram_channels``), in the preview's markup.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
INSTANCE = "social.gov.example"
REMOTE = "mastodon.example"


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass
class Item:
    n: int  # global order of creation (ids grow with time)
    platform: str
    author: str  # bluesky handle / mastodon user@instance
    created: datetime
    text: str
    parent: int | None = None
    root: int | None = None
    deleted: bool = False
    children: list[int] = field(default_factory=list)
    mentions: tuple[str, ...] = ()


class World:
    """Every account, post and reply the server knows, on both platforms."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.rng = random.Random(cfg.get("seed", 1))
        self.items: dict[int, Item] = {}
        self.by_author: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.clock = START
        self.lock = threading.Lock()
        for platform in ("bluesky", "mastodon", "youtube"):
            for handle in cfg.get(platform, []):
                self._grow_account(platform, handle, cfg.get("posts", 20), cfg.get("replies", 100),
                                   cfg.get("deep", 0) if platform != "youtube" else 0)

    # -------------------------------------------------------------- generation

    def _tick(self, minutes: float = 7) -> datetime:
        self.clock += timedelta(minutes=self.rng.uniform(0.5, minutes))
        return self.clock

    def _add(self, platform, author, text, parent=None, mentions=()) -> Item:
        n = len(self.items) + 1
        root = None
        if parent is not None:
            p = self.items[parent]
            root = p.root or p.n
        item = Item(n, platform, author, self._tick(), text, parent, root, mentions=mentions)
        self.items[n] = item
        if parent is not None:
            self.items[parent].children.append(n)
        self.by_author[(platform, author)].append(n)
        return item

    def citizen(self, platform: str) -> str:
        k = self.rng.randrange(400)
        if platform == "bluesky":
            return f"citizen{k}.bsky.example"
        if platform == "youtube":
            return yt_channel(f"citizen{k}")
        return f"citizen{k}@{INSTANCE if k % 3 else REMOTE}"

    def _grow_account(self, platform, handle, posts, replies, deep) -> list[int]:
        made = []
        for i in range(posts):
            made.append(self._add(platform, handle, f"Notice {i} from {handle}: service update.").n)
        # Replies: mostly to the post, some to earlier replies (threads branch and deepen).
        for j in range(replies):
            root = made[self.rng.randrange(len(made))]
            thread = [root] + [c for c in self._subtree(root) if c != root]
            parent = root if self.rng.random() < 0.6 or len(thread) == 1 else self.rng.choice(
                thread[1:])
            who = self.citizen(platform)
            item = self._add(platform, who, f"Reply {j}: when will the water be back on?",
                             parent, mentions=(handle,))
            if self.rng.random() < 0.05:  # the account answers now and then
                self._add(platform, handle, "We are on it, thank you.", item.n,
                          mentions=(who,))
        for d in range(deep):  # chains deeper than one response
            parent = made[d % len(made)]
            for k in range(self.cfg.get("deep_length", 45)):
                parent = self._add(platform, self.citizen(platform), f"Chain {d}.{k}",
                                   parent).n
        # Messages outside the account's threads that it answers (from another instance on
        # Mastodon): the answer is in its timeline, the message in the answer's context.
        for i in range(self.cfg.get("answered_mentions", 0)):
            who = f"asker{i}@{REMOTE}" if platform == "mastodon" else self.citizen(platform)
            ask = self._add(platform, who, f"@{handle} is the clinic open on Sunday?",
                            mentions=(handle,))
            self._add(platform, handle, "Yes, 9 to 12.", ask.n, mentions=(who,))
        # Mentions outside any thread (Mastodon's apart: its search wants a login).
        key = {"bluesky": "mention_posts", "mastodon": "mastodon_mention_posts"}.get(platform)
        for _ in range(self.cfg.get(key, 0) if key else 0):
            self._add(platform, self.citizen(platform), f"@{handle} the bus did not come",
                      mentions=(handle,))
        return made

    def _subtree(self, n: int) -> list[int]:
        out, stack = [], [n]
        while stack:
            cur = stack.pop()
            out.append(cur)
            stack.extend(reversed(self.items[cur].children))
        return out

    def grow(self, posts: int, replies: int) -> None:
        for platform in ("bluesky", "mastodon", "youtube"):
            for handle in self.cfg.get(platform, []):
                self._grow_account(platform, handle, posts, replies, 0)

    def late(self, replies: int, under_comment: bool = False) -> None:
        """Late replies under each account's newest post (``under_comment``: under the
        newest comment on it, a reply inside an existing thread)."""
        for platform in ("bluesky", "mastodon", "youtube"):
            for handle in self.cfg.get(platform, []):
                own = [n for n in self.by_author[(platform, handle)]
                       if self.items[n].parent is None]
                parent = own[-1]
                if under_comment and self.items[parent].children:
                    parent = self.items[parent].children[-1]
                for j in range(replies):
                    self._add(platform, self.citizen(platform), f"Late reply {j}", parent,
                              mentions=(handle,))

    def delete(self, platform: str, k: int) -> list[int]:
        gone = [it.n for it in self.items.values()
                if it.platform == platform and it.parent is not None and not it.children
                and not it.deleted][:k]
        for n in gone:
            self.items[n].deleted = True
        return gone

    def live_ids(self) -> dict[str, list[str]]:
        out = defaultdict(list)
        for it in self.items.values():
            if it.platform == "youtube":
                if it.parent is not None and not it.deleted and yt_live(self, it):
                    out["youtube"].append(yt_comment_id(self, it))
                continue
            if not it.deleted and self.reachable(it):
                out[it.platform].append(bsky_uri(it) if it.platform == "bluesky" else
                                        masto_uri(it))
        return dict(out)

    def reachable(self, it: Item) -> bool:
        """Shown by some API: an official's post, a reply below one, or a mention."""
        while it.parent is not None:
            it = self.items[it.parent]
            if it.deleted:
                return False
        return True


# ------------------------------------------------------------------ Bluesky shapes


def did(handle: str) -> str:
    return "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]


def bsky_uri(it: Item) -> str:
    return f"at://{did(it.author)}/app.bsky.feed.post/3l{it.n:011d}"


def post_view(world: World, it: Item) -> dict:
    record = {"$type": "app.bsky.feed.post", "text": it.text, "createdAt": _ts(it.created),
              "langs": ["en"]}
    if it.parent is not None:
        parent, root = world.items[it.parent], world.items[it.root]
        record["reply"] = {"root": {"uri": bsky_uri(root), "cid": f"bafy{root.n}"},
                           "parent": {"uri": bsky_uri(parent), "cid": f"bafy{parent.n}"}}
    facets = []
    for h in it.mentions:
        shown = f"@{h}".encode()
        start = it.text.encode().find(shown)
        if start >= 0:
            facets.append({"index": {"byteStart": start, "byteEnd": start + len(shown)},
                           "features": [{"$type": "app.bsky.richtext.facet#mention",
                                         "did": did(h)}]})
    if facets:
        record["facets"] = facets
    return {
        "uri": bsky_uri(it), "cid": f"bafy{it.n}",
        "author": {"did": did(it.author), "handle": it.author,
                   "displayName": it.author.split(".")[0].title(), "labels": []},
        "record": record,
        "replyCount": sum(1 for c in it.children if not world.items[c].deleted),
        "repostCount": 0, "likeCount": it.n % 7, "quoteCount": 0,
        "indexedAt": _ts(it.created), "labels": [],
    }


def thread_view(world: World, it: Item, depth: int, parent_height: int) -> dict:
    node = _thread_down(world, it, depth)
    cur, up = node, it
    for _ in range(parent_height):
        if up.parent is None:
            break
        up = world.items[up.parent]
        cur["parent"] = ({"$type": "app.bsky.feed.defs#notFoundPost", "uri": bsky_uri(up),
                          "notFound": True} if up.deleted else
                         {"$type": "app.bsky.feed.defs#threadViewPost",
                          "post": post_view(world, up)})
        cur = cur["parent"]
    return node


def _thread_down(world: World, top: Item, depth: int) -> dict:
    root = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post_view(world, top)}
    stack = [(root, top, depth)]
    while stack:
        node, it, left = stack.pop()
        if left <= 0:
            continue
        node["replies"] = []
        for c in it.children:
            child = world.items[c]
            if child.deleted:
                node["replies"].append({"$type": "app.bsky.feed.defs#notFoundPost",
                                        "uri": bsky_uri(child), "notFound": True})
                continue
            sub = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post_view(world, child)}
            node["replies"].append(sub)
            stack.append((sub, child, left - 1))
    return root


# ------------------------------------------------------------------ Mastodon shapes


def _masto_parts(author: str) -> tuple[str, str]:
    user, _, host = author.partition("@")
    return user, host


def masto_id(it: Item) -> str:
    return str(110_000_000_000_000_000 + it.n * 1000)


def masto_uri(it: Item) -> str:
    user, host = _masto_parts(it.author)
    return f"https://{host}/users/{user}/statuses/{masto_id(it)}"


def masto_account(author: str) -> dict:
    user, host = _masto_parts(author)
    acct = user if host == INSTANCE else author
    return {"id": str(int(hashlib.sha256(author.encode()).hexdigest()[:12], 16)),
            "username": user, "acct": acct, "display_name": user.title(),
            "url": f"https://{host}/@{user}", "locked": False, "bot": False}


def status(world: World, it: Item) -> dict:
    parent = world.items[it.parent] if it.parent is not None else None
    mentions = [{k: masto_account(h)[k] for k in ("id", "username", "acct", "url")}
                for h in it.mentions]
    return {
        "id": masto_id(it), "uri": masto_uri(it),
        "url": f"https://{_masto_parts(it.author)[1]}/@{_masto_parts(it.author)[0]}/"
               f"{masto_id(it)}",
        "created_at": _ts(it.created), "account": masto_account(it.author),
        "content": f"<p>{it.text}</p>", "visibility": "public", "sensitive": False,
        "spoiler_text": "", "language": "en",
        "in_reply_to_id": masto_id(parent) if parent else None,
        "in_reply_to_account_id": masto_account(parent.author)["id"] if parent else None,
        "mentions": mentions, "tags": [], "emojis": [], "media_attachments": [],
        "reblog": None,
        "replies_count": sum(1 for c in it.children if not world.items[c].deleted),
        "reblogs_count": 0, "favourites_count": it.n % 5,
    }


# ------------------------------------------------------------------ YouTube shapes
# A video is an official's post; a comment on it is a thread's top-level comment; every
# deeper reply belongs to that thread (YouTube has two levels); at most YT_SHOWN replies
# per thread are included, as commentThreads.list does; comments.list (parentId) gives them
# all, oldest first, YT_PAGE to a page at most, without the videoId (the reader must not
# need it there).
YT_SHOWN = 5
YT_PAGE = 100


def yt_channel(name: str) -> str:
    return "UC" + hashlib.sha256(name.encode()).hexdigest()[:22]


def yt_top(world: World, it: Item) -> Item:
    while it.parent is not None and world.items[it.parent].parent is not None:
        it = world.items[it.parent]
    return it


def yt_replies(world: World, top: Item) -> list[Item]:
    out, stack = [], list(top.children)
    while stack:
        n = stack.pop()
        if not world.items[n].deleted:
            out.append(world.items[n])
        stack.extend(world.items[n].children)
    return sorted(out, key=lambda r: r.n)


def yt_live(world: World, it: Item) -> bool:
    """A comment the API still lists: its thread's top-level comment and video exist."""
    top = yt_top(world, it)
    return not top.deleted and not world.items[top.parent].deleted


def yt_comment_id(world: World, it: Item) -> str:
    top = yt_top(world, it)
    return f"Ug{top.n:010d}" if it is top else f"Ug{top.n:010d}.r{it.n:08d}"


def yt_comment(world: World, it: Item, video: Item) -> dict:
    top = yt_top(world, it)
    snippet = {"channelId": yt_channel(video.author), "videoId": f"v{video.n:010d}",
               "textDisplay": it.text, "textOriginal": it.text,
               "authorDisplayName": "@" + it.author[-6:],
               "authorChannelId": {"value": it.author if it.author.startswith("UC")
                                   else yt_channel(it.author)},
               "likeCount": it.n % 3, "publishedAt": _ts(it.created)[:19] + "Z",
               "updatedAt": _ts(it.created)[:19] + "Z"}
    if it is not top:
        snippet["parentId"] = yt_comment_id(world, top)
    return {"kind": "youtube#comment", "id": yt_comment_id(world, it), "snippet": snippet}


def yt_thread(world: World, top: Item) -> dict:
    video = world.items[top.parent]
    replies = yt_replies(world, top)
    return {"kind": "youtube#commentThread", "id": yt_comment_id(world, top),
            "snippet": {"channelId": yt_channel(video.author), "videoId": f"v{video.n:010d}",
                        "topLevelComment": yt_comment(world, top, video),
                        "totalReplyCount": len(replies), "canReply": True, "isPublic": True},
            **({"replies": {"comments": [yt_comment(world, r, video)
                                         for r in replies[:YT_SHOWN]]}} if replies else {})}


def _comments(st: State, q: dict):
    """comments.list with parentId: every reply of one thread, paged with pageToken."""
    w = st.world
    parent = q.get("parentId", "")
    try:
        top = w.items.get(int(parent[2:12]))
    except ValueError:
        top = None
    if top is None or top.deleted or top.parent is None or yt_comment_id(w, top) != parent:
        return 404, {"error": {"code": 404, "message": "The comment identified by the "
                               "request's parentId parameter could not be found.",
                               "errors": [{"reason": "commentNotFound"}]}}, {}
    video = w.items[top.parent]
    replies = yt_replies(w, top)
    start = int(q.get("pageToken") or 0)
    size = min(int(q.get("maxResults", 20)), YT_PAGE)
    page = replies[start:start + size]
    items = []
    for r in page:
        c = yt_comment(w, r, video)
        c["snippet"].pop("videoId", None)
        items.append(c)
    body = {"kind": "youtube#commentListResponse",
            "pageInfo": {"totalResults": len(page), "resultsPerPage": size}, "items": items}
    if start + size < len(replies):
        body["nextPageToken"] = str(start + size)
    return 200, body, {}


def _comment_threads(st: State, q: dict):
    w = st.world
    channel = q.get("allThreadsRelatedToChannelId", "")
    handle = next((h for (p, h) in w.by_author if p == "youtube" and yt_channel(h) == channel),
                  None)
    if handle is None:
        return 404, {"error": {"code": 404, "message": "channel not found"}}, {}
    tops = [w.items[c] for n in w.by_author[("youtube", handle)]
            if w.items[n].parent is None and not w.items[n].deleted
            for c in w.items[n].children if not w.items[c].deleted]
    tops.sort(key=lambda t: t.n, reverse=True)
    start = int(q.get("pageToken") or 0)
    size = min(int(q.get("maxResults", 20)), 100)
    page = tops[start:start + size]
    body = {"kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(page), "resultsPerPage": size},
            "items": [yt_thread(w, t) for t in page]}
    if start + size < len(tops):
        body["nextPageToken"] = str(start + size)
    return 200, body, {}


# ------------------------------------------------------------------ Telegram web preview
# Two sources: pages saved as files (tests/fixtures/telegram_preview: NAME.html for the
# newest page, NAME.before-N.html for ?before=N), read at each request so that a test can
# replace them; and generated channels (``telegram_channels``: name -> number of posts),
# drawn in the same markup, TG_PAGE messages to a page, oldest first, as the preview does.
TG_PAGE = 20


def _tg_message(name: str, mid: int, when: datetime, text: str) -> str:
    return (f'<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="'
            f'tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{name}/'
            f'{mid}"><div class="tgme_widget_message_bubble"><div class="tgme_widget_message_'
            f'text js-message_text" dir="auto">{text}</div><div class="tgme_widget_message_'
            f'footer compact js-message_footer"><div class="tgme_widget_message_info short '
            f'js-message_info"><span class="tgme_widget_message_views">{mid * 3}</span><span '
            f'class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https:'
            f'//t.me/{name}/{mid}"><time datetime="{when.isoformat()}" class="time">'
            f'{when:%H:%M}</time></a></span></div></div></div></div></div>\n')


def _tg_html(name: str, messages: list[str], before: int | None, channel: bool = True) -> bytes:
    info = (f'<div class="tgme_channel_info"><div class="tgme_channel_info_header"><div class="'
            f'tgme_channel_info_header_title"><span dir="auto">{name.title()}</span></div></div>'
            f'</div>' if channel else '<div class="tgme_page"><div class="tgme_page_title">'
            'Telegram</div></div>')
    more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{name}'
            f'?before={before}" class="tme_messages_more js-messages_more" data-before="'
            f'{before}"></a></div>' if before else "")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title></head>'
            f'<body><main class="tgme_main">{info}<section class="tgme_channel_history '
            f'js-message_history">{more}{"".join(messages)}</section></main></body></html>'
            ).encode()


def _telegram_page(st: State, name: str, before: str | None):
    folder = st.world.cfg.get("telegram_dir")
    if folder:
        path = Path(folder) / (f"{name}.before-{before}.html" if before else f"{name}.html")
        if path.exists():
            return 200, path.read_bytes(), {}
        if (Path(folder) / f"{name}.html").exists():
            return 200, _tg_html(name, [], None), {}  # before the channel's first message
    count = st.telegram.get(name)
    if count is None:  # t.me shows a plain page for a name that is no public channel
        return 200, _tg_html(name, [], None, channel=False), {}
    top = min(int(before) - 1, count) if before else count
    ids = list(range(max(1, top - TG_PAGE + 1), top + 1)) if top >= 1 else []
    page = [_tg_message(name, i, START + timedelta(minutes=37 * i), f"Notice {i} from {name}.")
            for i in ids]
    return 200, _tg_html(name, page, ids[0] if ids and ids[0] > 1 else None), {}


# ------------------------------------------------------------------ fixture mode (real data)


class Fixture:
    """Real Bluesky post views from twitwi's test resources, served as feeds and threads."""

    def __init__(self, path: Path):
        items = json.loads(path.read_text("utf-8"))
        self.views: dict[str, dict] = {}
        for item in items:
            pv = item.get("post") if "post" in item and "record" not in item else item
            self.views.setdefault(pv["uri"], pv)
        self.children: dict[str, list[str]] = defaultdict(list)
        for uri, pv in self.views.items():
            parent = ((pv["record"].get("reply") or {}).get("parent") or {}).get("uri")
            if parent in self.views:
                self.children[parent].append(uri)

    def feed(self, actor: str) -> list[dict]:
        own = [pv for pv in self.views.values()
               if actor in (pv["author"].get("handle"), pv["author"].get("did"))]
        return sorted(own, key=lambda pv: pv.get("indexedAt", ""), reverse=True)

    def thread(self, uri: str) -> dict | None:
        if uri not in self.views:
            return None
        node = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.views[uri]}
        node["replies"] = [self.thread(c) for c in self.children.get(uri, [])]
        return node


# ------------------------------------------------------------------ HTTP


class State:
    def __init__(self, cfg: dict):
        self.world = World(cfg)
        fixture = cfg.get("fixture")
        self.fixture = Fixture(Path(fixture)) if fixture else None
        self.stats: Counter = Counter()
        self.served = 0
        self.faults: list[dict] = list(cfg.get("faults", []))
        self.context_limit = cfg.get("context_limit", 60)
        self.context_depth = cfg.get("context_depth", 20)
        self.telegram: dict[str, int] = dict(cfg.get("telegram_channels", {}))
        self.hold_after: int | None = None
        self.held = 0  # requests waiting at the hold now
        self.release = threading.Event()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: object, headers: dict | None = None) -> None:
        html = isinstance(body, bytes)  # a web page (Telegram's preview), not JSON
        data = body if html else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if html else
                         "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        if url.path == "/_control/faults":
            with self.state.lock:
                self.state.faults = list(body)
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "NotFound"})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        st = self.state
        if url.path.startswith("/_control/"):
            return self._control(url.path, q)
        with st.lock:
            st.served += 1
            number = st.served
            hold = st.hold_after is not None and number > st.hold_after
            st.held += hold
        if hold:
            st.release.wait()
            with st.lock:
                st.held -= 1
        family = _family(url.path)
        fault = self._fault(number, family)
        if fault is not None:
            return fault
        with st.lock:
            st.stats[family] += 1
            st.stats["user-agent:" + self.headers.get("User-Agent", "")[:20]] += 1
        with st.world.lock:
            try:
                status_code, body, headers = route(st, url.path, q,
                                                   self.headers.get("Authorization"))
            except Exception as exc:  # a bug in the stand-in shows as a 500 with its reason
                status_code, body, headers = 500, {"error": "ServerBug", "message": repr(exc)}, {}
        headers = {**_rate_headers(family, 100), **headers}
        self._send(status_code, body, headers)

    def _fault(self, number: int, family: str):
        st = self.state
        with st.lock:
            for rule in st.faults:
                if rule.get("family") and rule["family"] != family:
                    continue
                if rule.get("from", 0) < number <= rule.get("from", 0) + rule.get("count", 0):
                    st.stats[f"fault:{rule['status']}"] += 1
                    break
            else:
                return None
        code = rule["status"]
        headers = {}
        if code == 429:
            headers = {**_rate_headers(family, 0, rule.get("reset", 1)),
                       "Retry-After": str(rule.get("retry_after", 1))}
            if rule.get("no_retry_after"):
                headers.pop("Retry-After")
            body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        else:
            body = {"error": "InternalServerError", "message": "Internal Server Error"}
        self._send(code, body, headers)
        return True

    def _control(self, path: str, q: dict) -> None:
        st = self.state
        w = st.world
        if path == "/_control/stats":
            with st.lock:
                return self._send(200, dict(st.stats))
        if path == "/_control/held":
            with st.lock:
                return self._send(200, {"held": st.held})
        if path == "/_control/release":
            st.hold_after = None
            st.release.set()
            return self._send(200, {"ok": True})
        if path == "/_control/hold":
            st.release.clear()
            st.hold_after = st.served + int(q.get("after", 0))
            return self._send(200, {"ok": True, "served": st.served})
        with w.lock:
            if path == "/_control/posts":
                return self._send(200, w.live_ids())
            if path == "/_control/telegram_grow":
                st.telegram[q["name"]] += int(q.get("n", 1))
                return self._send(200, {"ok": True})
            if path == "/_control/grow":
                w.grow(int(q.get("posts", 1)), int(q.get("replies", 0)))
            elif path == "/_control/late":
                w.late(int(q.get("replies", 1)), q.get("under") == "comment")
            elif path == "/_control/delete_root":
                own = sorted(n for (p, h), ns in w.by_author.items() if p == q["platform"]
                             and h in w.cfg.get(p, []) for n in ns if w.items[n].parent is None)
                it = w.items[own[0]]
                it.deleted = True
                return self._send(200, {"deleted": bsky_uri(it) if it.platform == "bluesky"
                                        else masto_uri(it)})
            elif path == "/_control/delete":
                gone = w.delete(q["platform"], int(q.get("n", 1)))
                return self._send(200, {"deleted": len(gone)})
            else:
                return self._send(404, {"error": "NotFound"})
        self._send(200, {"ok": True})


def _family(path: str) -> str:
    if path.startswith("/s/"):
        return "t.me/s"
    if path.startswith("/youtube/"):
        return "comments.list" if path.endswith("/comments") else "commentThreads.list"
    if path.startswith("/xrpc/"):
        return path[len("/xrpc/"):]
    if path.endswith("/context"):
        return "statuses/:id/context"
    if path.endswith("/statuses"):
        return "accounts/:id/statuses"
    if path.startswith("/api/v1/accounts/lookup"):
        return "accounts/lookup"
    if path.startswith("/api/v2/search"):
        return "search"
    if path.startswith("/api/v1/notifications"):
        return "notifications"
    return path


def _rate_headers(family: str, remaining: int, reset_in: float = 300) -> dict:
    if family.startswith("app.bsky"):
        return {"ratelimit-limit": "3000", "ratelimit-remaining": str(remaining),
                "ratelimit-reset": str(int(time.time() + reset_in)),
                "ratelimit-policy": "3000;w=300"}
    reset = datetime.now(UTC) + timedelta(seconds=reset_in)
    return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z")}


def route(st: State, path: str, q: dict, auth: str | None = None) -> tuple[int, object, dict]:
    w = st.world
    if path in ("/api/v1/accounts/verify_credentials", "/api/v1/notifications",
                "/api/v2/search"):
        return _with_token(st, path, q, auth)
    if path.startswith("/s/"):
        return _telegram_page(st, path[len("/s/"):].strip("/"), q.get("before"))
    if path == "/xrpc/app.bsky.feed.getAuthorFeed":
        return _author_feed(st, q)
    if path == "/xrpc/app.bsky.feed.getPostThread":
        return _post_thread(st, q)
    if path == "/xrpc/app.bsky.feed.searchPosts":
        return _search(st, q)
    if path.startswith("/youtube/") and not q.get("key"):
        return 403, {"error": {"code": 403, "message": "The request is missing a valid API key.",
                               "errors": [{"reason": "forbidden"}]}}, {}
    if path == "/youtube/v3/commentThreads":
        return _comment_threads(st, q)
    if path == "/youtube/v3/comments":
        return _comments(st, q)
    if path == "/api/v1/accounts/lookup":
        for (platform, handle) in w.by_author:
            if platform == "mastodon" and handle == f"{q.get('acct')}@{INSTANCE}":
                return 200, masto_account(handle), {}
        return 404, {"error": "Record not found"}, {}
    if path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
        return _statuses(st, path.split("/")[4], q)
    if path.startswith("/api/v1/statuses/") and path.endswith("/context"):
        return _context(st, path.split("/")[4])
    return 404, {"error": "NotFound", "message": f"no route {path}"}, {}


def _cursor_page(rows: list, key, q: dict, limit_max: int = 100):
    limit = min(int(q.get("limit", 50)), limit_max)
    cursor = q.get("cursor")
    if cursor:
        rows = [r for r in rows if key(r) < cursor]
    page = rows[:limit]
    next_cursor = key(page[-1]) if len(rows) > limit else None
    return page, next_cursor


def _author_feed(st: State, q: dict):
    actor = q.get("actor", "")
    if st.fixture is not None:
        rows = st.fixture.feed(actor)
        page, cursor = _cursor_page(rows, lambda pv: pv.get("indexedAt", "") + pv["uri"], q)
        return 200, {"feed": [{"post": pv} for pv in page], **({"cursor": cursor} if cursor
                                                                  else {})}, {}
    w = st.world
    handle = next((h for (p, h) in w.by_author if p == "bluesky" and actor in (h, did(h))), None)
    if handle is None:
        return 400, {"error": "InvalidRequest", "message": "Profile not found"}, {}
    own = [w.items[n] for n in w.by_author[("bluesky", handle)] if not w.items[n].deleted]
    own.sort(key=lambda it: (_ts(it.created), it.n), reverse=True)
    page, cursor = _cursor_page(own, lambda it: f"{_ts(it.created)}|{it.n:012d}", q)
    feed = []
    for it in page:
        item = {"post": post_view(w, it)}
        if it.parent is not None:
            parent, root = w.items[it.parent], w.items[it.root]
            item["reply"] = {"root": post_view(w, root), "parent": post_view(w, parent)}
        feed.append(item)
    return 200, {"feed": feed, **({"cursor": cursor} if cursor else {})}, {}


def _find_uri(st: State, uri: str) -> Item | None:
    try:
        n = int(uri.rsplit("/", 1)[1][2:])
    except (ValueError, IndexError):
        return None
    it = st.world.items.get(n)
    return it if it is not None and bsky_uri(it) == uri else None


def _post_thread(st: State, q: dict):
    uri = q.get("uri", "")
    depth = min(int(q.get("depth", 6)), 1000)
    height = min(int(q.get("parentHeight", 80)), 1000)
    if st.fixture is not None:
        node = st.fixture.thread(uri)
    else:
        it = _find_uri(st, uri)
        node = None if it is None or it.deleted else thread_view(st.world, it, depth, height)
    if node is None:
        return 400, {"error": "NotFound", "message": f"Post not found: {uri}"}, {}
    return 200, {"thread": node}, {}


def _search(st: State, q: dict):
    w = st.world
    who = q.get("mentions", "")
    since = q.get("since") or ""
    hits = [it for it in w.items.values() if it.platform == "bluesky" and not it.deleted
            and who in it.mentions and f"@{who}" in it.text and _ts(it.created) >= since]
    hits.sort(key=lambda it: (_ts(it.created), it.n), reverse=True)
    page, cursor = _cursor_page(hits, lambda it: f"{_ts(it.created)}|{it.n:012d}", q)
    return 200, {"posts": [post_view(w, it) for it in page],
                 **({"cursor": cursor} if cursor else {})}, {}


def _statuses(st: State, account_id: str, q: dict):
    w = st.world
    handle = next((h for (p, h) in w.by_author
                   if p == "mastodon" and masto_account(h)["id"] == account_id), None)
    if handle is None:
        return 404, {"error": "Record not found"}, {}
    rows = [w.items[n] for n in w.by_author[("mastodon", handle)] if not w.items[n].deleted]
    rows.sort(key=lambda it: it.n, reverse=True)
    key = lambda it: int(masto_id(it))  # noqa: E731
    if q.get("max_id"):
        rows = [it for it in rows if key(it) < int(q["max_id"])]
    if q.get("since_id"):
        rows = [it for it in rows if key(it) > int(q["since_id"])]
    page = rows[:min(int(q.get("limit", 20)), 40)]
    headers = {}
    if page:
        base = f"http://127.0.0.1/api/v1/accounts/{account_id}/statuses"
        headers["Link"] = (f'<{base}?max_id={masto_id(page[-1])}>; rel="next", '
                           f'<{base}?min_id={masto_id(page[0])}>; rel="prev"')
    return 200, [status(w, it) for it in page], headers


def _with_token(st: State, path: str, q: dict, auth: str | None):
    """The routes that want a login: the token names an account (``mastodon_tokens``)."""
    w = st.world
    token = auth[len("Bearer "):] if auth and auth.startswith("Bearer ") else None
    owner = st.world.cfg.get("mastodon_tokens", {}).get(token)
    if owner is None:
        return 401, {"error": "The access token is invalid"}, {}
    if path == "/api/v1/accounts/verify_credentials":
        return 200, masto_account(owner), {}
    limit = min(int(q.get("limit", 20)), 40)
    if path == "/api/v1/notifications":
        rows = [it for it in w.items.values() if it.platform == "mastodon" and not it.deleted
                and owner in it.mentions and it.author != owner]
        rows.sort(key=lambda it: it.n, reverse=True)
        if q.get("max_id"):
            rows = [it for it in rows if int(masto_id(it)) < int(q["max_id"])]
        if q.get("since_id"):
            rows = [it for it in rows if int(masto_id(it)) > int(q["since_id"])]
        return 200, [{"id": masto_id(it), "type": "mention", "created_at": _ts(it.created),
                      "account": masto_account(it.author), "status": status(w, it)}
                     for it in rows[:limit]], {}
    # /api/v2/search, type=statuses: the text "@user@instance" (or "@user" of a local one)
    needle = q.get("q", "")
    rows = [it for it in w.items.values() if it.platform == "mastodon" and not it.deleted
            and needle and needle in it.text]
    rows.sort(key=lambda it: it.n, reverse=True)
    if q.get("min_id"):
        rows = [it for it in rows if int(masto_id(it)) > int(q["min_id"])]
    offset = int(q.get("offset", 0))
    return 200, {"accounts": [], "hashtags": [],
                 "statuses": [status(w, it) for it in rows[offset:offset + limit]]}, {}


def _context(st: State, status_id: str):
    w = st.world
    try:
        n = (int(status_id) - 110_000_000_000_000_000) // 1000
    except ValueError:
        n = -1
    it = w.items.get(n)
    if it is None or it.deleted or masto_id(it) != status_id:
        return 404, {"error": "Record not found"}, {}
    ancestors = []
    up = it
    while up.parent is not None and len(ancestors) < 40:
        up = w.items[up.parent]
        ancestors.append(status(w, up))
    ancestors.reverse()
    descendants = []
    level = [(c, 1) for c in it.children]
    while level and len(descendants) < st.context_limit:  # breadth first, as a visitor sees it
        nxt = []
        for c, depth in level:
            child = w.items[c]
            if child.deleted:
                continue
            if len(descendants) >= st.context_limit:
                break
            descendants.append(status(w, child))
            if depth < st.context_depth:
                nxt.extend((g, depth + 1) for g in child.children)
        level = nxt
    return 200, {"ancestors": ancestors, "descendants": descendants}, {}


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text("utf-8"))
    Handler.state = State(cfg)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
