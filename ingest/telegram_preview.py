"""Reader for a public Telegram channel's web preview (``https://t.me/s/<channel>``).

The preview is an HTML page of a channel's latest posts (about 20; ``?before=<id>`` gives
the ones before a message id). ``govwatch collect`` saves each page as one JSON line::

    {"kind": "govwatch#telegramPreviewPage", "channel": "citywater",
     "channel_id": "1878264527" or null, "request": "/s/citywater?before=118",
     "html": "<!DOCTYPE html>..."}

``html`` is the page exactly as received; ``channel_id`` is the channel's numeric id when
the user gave it (the preview does not show it). A page saved by hand (``.html``) is read
too, keyed by the channel name of its ``data-post`` attributes.

Each message is a ``div.tgme_widget_message`` with ``data-post="<channel>/<message id>"``;
its time is ``a.tgme_widget_message_date time[datetime]`` (ISO 8601 with offset), its text
``div.js-message_text`` (``<br>`` as a line break, links and emoji as their text), a reply
``a.tgme_widget_message_reply`` (linking ``https://t.me/<channel>/<id>``), a forward
``.tgme_widget_message_forwarded_from_name``, views ``span.tgme_widget_message_views``
("1.2K") and reactions ``.tgme_reaction``. Service messages (``service_message``) are
skipped, like the Desktop reader skips them.

How messages become posts, so that they meet a Telegram Desktop export of the same channel:

- The message id in ``data-post`` is the id the Desktop export gives the message.
- With the channel's numeric id, ``post_id`` is ``"<id>/<message id>"`` and ``author``
  ``"channel<id>"``: the Desktop reader's keys, so importing an export of the same channel
  merges with the collected posts instead of doubling them, and one accounts CSV row
  (``telegram,channel<id>,...``) makes both official.
- Without it, ``post_id`` is ``"<channel>/<message id>"`` and ``author`` ``"<channel>"``
  (the name lower-cased: it starts with a letter, so it never looks like a numeric id;
  an accounts CSV may write it ``@<channel>``). They do not meet an
  export's posts.
- ``kind`` is ``repost`` for a forward, ``reply`` for a reply (``in_reply_to_post_id`` the
  replied message's key in the same channel, ``in_reply_to_author`` the channel), ``post``
  otherwise; ``conversation_id`` is the first message of the reply chain among the file's
  messages; ``like_count`` the sum of the reactions, as in the Desktop reader; ``url`` the
  message's ``t.me`` link. Views go to ``raw`` only.
- A message seen on several pages (a re-fetch) is read from its last page: the latest
  edits and reactions win.

Where it cannot match an export: comments (they live in the discussion group, which has no
preview), an album's other photos (the preview shows an album as one message; the export
has one message per photo), and the edit time (the preview says "edited" without a time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from govwatch.errors import InputError
from govwatch.records import Account, Batch, Post, Reject, accounts_frame, excerpt, posts_frame

from . import sniffers
from .base import Reader, ReadOptions
from .jsonio import iter_json_lines, read_text_strict
from .registry import register
from .tabular import MENTION_RE

PLATFORM = "telegram"
PAGE_KIND = "govwatch#telegramPreviewPage"
_POST = re.compile(r"^([A-Za-z0-9_]{3,64})/(\d+)$")
_LINK = re.compile(r"^https?://t\.me/(?:s/)?([A-Za-z0-9_]{3,64})/(\d+)")
_BLOCK = ("p", "div", "pre", "blockquote")


@dataclass
class PreviewMessage:
    """One message of a preview page, as the page shows it."""

    channel: str  # lower-cased, from data-post
    mid: int
    created: datetime | None
    text: str
    reply_to: tuple[str, int] | None  # (channel, message id) of the replied message
    forwarded_from: str | None
    views: int | None
    reactions: int | None
    edited: bool
    html: str
    problem: str | None = None  # why it cannot be a post


@dataclass
class PreviewPage:
    messages: list[PreviewMessage] = field(default_factory=list)
    service: list[int] = field(default_factory=list)  # ids of the service messages skipped
    before: int | None = None  # the "older messages" link's message id, if any
    title: str | None = None  # the channel's display name


def _count(text: str) -> int | None:
    """Telegram's short counts: "987", "1.2K", "3M"."""
    m = re.fullmatch(r"\s*([\d.,]+)\s*([KkMm]?)\s*", text or "")
    if not m:
        return None
    try:
        value = float(m.group(1).replace(",", "."))
    except ValueError:
        return None
    return int(round(value * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]))


def _text(node) -> str:
    """A message text's plain text: ``<br>`` and block ends as line breaks; links and
    emoji as the text they show."""
    from bs4 import NavigableString, Tag

    parts: list[str] = []

    def walk(n) -> None:
        for child in n.children:
            if isinstance(child, NavigableString):
                parts.append(str(child))
            elif isinstance(child, Tag):
                if child.name == "br":
                    parts.append("\n")
                    continue
                walk(child)
                if child.name in _BLOCK:
                    parts.append("\n")

    walk(node)
    return "".join(parts).strip("\n")


def parse_page(html: str) -> PreviewPage:
    """The messages of one preview page, oldest first, as the page lists them."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    page = PreviewPage()
    title = soup.select_one(".tgme_channel_info_header_title")
    page.title = title.get_text(" ", strip=True) if title else None
    more = soup.select_one("a.tme_messages_more[data-before]")
    before = str(more.get("data-before", "")) if more is not None else ""
    if before.isdigit():
        page.before = int(before)
    for div in soup.select("div.tgme_widget_message[data-post]"):
        classes: list[str] = list(div.get("class") or [])
        post = str(div.get("data-post", ""))
        m = _POST.match(post)
        if "service_message" in classes:
            page.service.append(int(m.group(2)) if m else 0)
            continue
        if not m:
            page.messages.append(PreviewMessage("", 0, None, "", None, None, None, None, False,
                                                str(div), f"data-post {post!r} is not "
                                                "CHANNEL/ID"))
            continue
        channel, mid = m.group(1).lower(), int(m.group(2))
        created = None
        stamp = div.select_one("a.tgme_widget_message_date time[datetime]") or div.select_one(
            ".tgme_widget_message_meta time[datetime]")
        if stamp is not None:
            try:
                created = datetime.fromisoformat(str(stamp["datetime"]).replace("Z", "+00:00"))
            except ValueError:
                created = None
            if created is not None and created.tzinfo is None:
                created = None
        reply = None
        reply_link = div.select_one("a.tgme_widget_message_reply[href]")
        if reply_link is not None:
            r = _LINK.match(str(reply_link["href"]))
            if r:
                reply = (r.group(1).lower(), int(r.group(2)))
        text_node = next((t for t in div.select("div.js-message_text")
                          if t.find_parent("a", class_="tgme_widget_message_reply") is None),
                         None)
        fwd = div.select_one(".tgme_widget_message_forwarded_from_name")
        views = div.select_one("span.tgme_widget_message_views")
        reactions = [_count(r.get_text(" ", strip=True).split()[-1]) for r in
                     div.select(".tgme_reaction") if r.get_text(strip=True)]
        meta = div.select_one(".tgme_widget_message_meta")
        page.messages.append(PreviewMessage(
            channel, mid, created, _text(text_node) if text_node is not None else "", reply,
            fwd.get_text(" ", strip=True) if fwd is not None else None,
            _count(views.get_text()) if views is not None else None,
            sum(r for r in reactions if r is not None) if reactions else None,
            bool(meta and "edited" in meta.get_text(" ", strip=True).split()), str(div),
            None if created is not None else "no time with a zone (a.tgme_widget_message_date "
            "time[datetime])"))
    return page


class _Channel:
    """The messages of one channel in a file, by message id (the last page's wins)."""

    def __init__(self, channel: str, channel_id: str | None):
        self.channel = channel
        self.channel_id = channel_id
        self.title: str | None = None
        self.messages: dict[int, PreviewMessage] = {}

    @property
    def chat(self) -> str:
        return self.channel_id or self.channel

    @property
    def author(self) -> str:
        return f"channel{self.channel_id}" if self.channel_id else self.channel

    def posts(self) -> list[Post]:
        msgs = self.messages
        roots: dict[int, str] = {}

        def root(mid: int) -> str:
            chain, cur = [], mid
            while cur in msgs and cur not in roots and cur not in chain:
                chain.append(cur)
                parent = msgs[cur].reply_to
                if parent is None or parent[0] != self.channel:
                    break
                cur = parent[1]
            found = roots.get(cur, f"{self.chat}/{cur}")
            for c in chain:
                roots[c] = found
            return found

        out = []
        for mid in sorted(msgs):
            m = msgs[mid]
            if m.created is None:  # refused when read (a reject), never kept
                continue
            to_post = to_author = None
            kind = "repost" if m.forwarded_from else "post"
            if m.reply_to is not None:
                kind = "reply"
                if m.reply_to[0] == self.channel:
                    to_post, to_author = f"{self.chat}/{m.reply_to[1]}", self.author
                else:  # a reply to another channel's message: keyed by that channel's name
                    to_post, to_author = f"{m.reply_to[0]}/{m.reply_to[1]}", m.reply_to[0]
            raw = {"channel": self.channel, "channel_id": self.channel_id, "id": mid,
                   "views": m.views, "forwarded_from": m.forwarded_from, "edited": m.edited,
                   "html": m.html}
            out.append(Post(
                platform=PLATFORM, post_id=f"{self.chat}/{mid}", author=self.author,
                created_at=m.created, text=m.text or None, kind=kind, author_id=self.author,
                in_reply_to_post_id=to_post, in_reply_to_author=to_author,
                conversation_id=root(mid), mentions=tuple(re.findall(MENTION_RE, m.text)),
                url=f"https://t.me/{self.channel}/{mid}", like_count=m.reactions,
                raw=json.dumps(raw, ensure_ascii=False)))
        return out


def _frame(posts: list[Post]):
    import pandas as pd  # not at import: listing the formats loads no reader's pandas

    frame = posts_frame(posts)
    for col in ("like_count", "share_count", "reply_count"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    return frame


@register
class TelegramPreviewReader(Reader):
    name = "telegram-preview"
    platform = PLATFORM
    description = ("Telegram public channel web preview (t.me/s/CHANNEL pages, as saved by "
                   "govwatch collect or by hand)")
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.telegram_preview(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        channels: dict[tuple[str, str | None], _Channel] = {}
        rejects: list[Reject] = []
        rows = 0
        head = Path(path).read_bytes()[:1024].lstrip(b"\xef\xbb\xbf").lstrip()
        pages: Iterable[tuple[str, str | None, str]]
        if head.startswith(b"<"):
            pages = [("", None, read_text_strict(path))]
            if progress:
                progress(Path(path).stat().st_size)
        else:
            pages = self._pages(path, progress, rejects)
        for where, channel_id, html in pages:
            page = parse_page(html)
            rows += len(page.messages) + len(page.service)
            for i, m in enumerate(page.messages):
                loc = f"{where}message {i + 1}" + (f" ({m.channel}/{m.mid})" if m.mid else "")
                if m.problem:
                    rejects.append(Reject(loc, m.problem, excerpt(m.html)))
                    continue
                ch = channels.setdefault((m.channel, channel_id), _Channel(m.channel, channel_id))
                ch.title = page.title or ch.title
                ch.messages[m.mid] = m
        if not channels and not rejects and not rows:
            raise InputError(path, "no Telegram preview messages (div.tgme_widget_message "
                             "with data-post) in the file")
        posts = [p for ch in channels.values() for p in ch.posts()]
        accounts = {ch.author: ch.title for ch in channels.values()}
        yield Batch(posts=_frame(posts), rejects=rejects, rows_read=rows,
                    accounts=accounts_frame([Account(PLATFORM, a, official=False, display_name=n)
                                             for a, n in accounts.items()]))

    @staticmethod
    def _pages(path, progress, rejects) -> Iterator[tuple[str, str | None, str]]:
        """(locator prefix, channel id, html) of each saved page, one at a time."""
        for lineno, value in iter_json_lines(path, progress):
            if isinstance(value, Reject):
                rejects.append(value)
                continue
            if not isinstance(value, dict) or value.get("kind") != PAGE_KIND or not isinstance(
                    value.get("html"), str):
                rejects.append(Reject(f"line {lineno}", "not a saved preview page (kind "
                                      f"{PAGE_KIND!r} with an html string)",
                                      excerpt(json.dumps(value, ensure_ascii=False))))
                continue
            cid = value.get("channel_id")
            if cid is not None and not str(cid).isdigit():
                rejects.append(Reject(f"line {lineno} $.channel_id", "not a numeric channel id",
                                      excerpt(str(cid))))
                continue
            yield f"line {lineno} ", str(cid) if cid is not None else None, value["html"]
