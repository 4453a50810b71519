"""Reader for Telegram Desktop JSON exports (``result.json``) of a channel and of
its linked discussion group, where the channel's comments live.

A single-chat export is ``{name, type, id, messages: [...]}``; a whole-account
export holds such chats under ``chats.list`` (and ``left_chats.list``). Each
message has ``id``, ``type`` ("message" or "service"), ``date`` (local time, no
zone), ``date_unixtime`` (epoch seconds, used here), ``from``, ``from_id``
("user123", "channel456"), ``text`` (a string, or a list of strings and
``{type, text}`` entities), ``reply_to_message_id`` (in the same chat unless
``reply_to_peer_id`` names another), ``forwarded_from`` and ``reactions``.

How messages become posts:

- ``post_id`` is ``"<chat id>/<message id>"``: message ids restart in every chat.
- ``author`` is the export's ``from_id`` ("channel1006503122", "user52344"),
  which never changes, unlike a display name; the name goes to the accounts
  table. A channel posts as itself, so the official account of a channel is
  ``channel<id of the channel export>``; name it so in the accounts CSV. A
  channel post without ``from_id`` is attributed to the channel it is in.
- Service messages (joins, pins, ...) and "unsupported" placeholders are
  skipped: they are counted in ``rows_read`` but are neither posts nor rejects.
- Discussion groups: every channel post arrives in the linked group as an
  automatic forward (``from_id`` is the channel, ``forwarded_from`` names it),
  and comments are replies to that copy. The export does not record which
  channel message the copy is of. When the channel itself is in the same file
  (a whole-account export), the copy is matched to the channel post with the
  same text posted within 60 seconds; the copy is then not stored and comments
  point at the channel post (``<channel id>/<message id>``). Otherwise the copy
  is stored as a ``repost`` by the channel and comments point at it; either
  way a comment's ``in_reply_to_author`` is the channel, its kind is
  ``comment`` and its ``conversation_id`` is the post it hangs under.
- Other replies are kind ``reply``; ``conversation_id`` is the first message of
  the reply chain found in the file (or the id the chain points to when that
  message is not in the export). A reply to a message the export lacks keeps
  that id as a dangling ``in_reply_to_post_id``.
- ``like_count`` is the sum of the message's reaction counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from govwatch.errors import InputError, UsageError
from govwatch.records import Account, Batch, Post, Reject, accounts_frame, excerpt, posts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions
from .json_recovery import load_json_document
from .jsonio import from_epoch, jpath
from .registry import register
from .tabular import MENTION_RE

if TYPE_CHECKING:
    import pandas as pd

PLATFORM = "telegram"
CHAT_TYPES = sniffers.TELEGRAM_CHAT_TYPES
COPY_MATCH_SECONDS = 60
_PEER = re.compile(r"^(?:user|channel|chat)?(\d+)$")


@dataclass
class _Msg:
    """What the first pass learns about one message of a chat."""

    index: int
    mid: int
    author: str
    name: str | None
    created: datetime
    text: str
    reply_to: int | None
    reply_peer: str | None
    is_copy: bool  # automatic forward of a channel post into its discussion group
    forwarded: bool
    raw: str
    likes: int | None
    edited: datetime | None = None  # edited_unixtime: when the text was last edited



@dataclass
class _Chat:
    chat_id: str
    name: str | None
    is_channel: bool
    messages: list
    prefix: tuple  # JSON path parts leading to the chat object


def flatten_text(value: object) -> str | None:
    """Telegram's ``text``: a string, or a list of strings and {type, text} parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                return None
        return "".join(parts)
    return None


def _peer_id(value: object) -> str | None:
    """The bare numeric id of a from_id / reply_to_peer_id ("channel123" -> "123")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        m = _PEER.match(value.strip())
        if m:
            return m.group(1)
    return None


def _author(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"user{value}"  # exports before 2020 wrote a bare user id
    if isinstance(value, str) and _PEER.match(value.strip()):
        return value.strip()
    return None


def _chats(path: Path, doc: object) -> list[_Chat]:
    """The chats of a single-chat or whole-account export."""
    if not isinstance(doc, dict):
        raise InputError(path, "not a Telegram Desktop export: the document is not an object",
                         "$")
    found: list[tuple[dict, tuple]] = []
    if "messages" in doc:
        found.append((doc, ()))
    for group in ("chats", "left_chats"):
        lst = doc.get(group, {}).get("list") if isinstance(doc.get(group), dict) else None
        if isinstance(lst, list):
            found.extend((c, (group, "list", i)) for i, c in enumerate(lst) if isinstance(c, dict))
    if not found:
        raise InputError(
            path, "not a Telegram Desktop export: no 'messages' list and no 'chats.list'", "$"
        )
    chats = []
    for chat, prefix in found:
        if not isinstance(chat.get("messages"), list):
            raise InputError(path, "'messages' is not a list", jpath(*prefix, "messages"))
        cid = chat.get("id")
        if isinstance(cid, bool) or not isinstance(cid, int | str) or not str(cid).strip():
            raise InputError(path, "the chat has no id", jpath(*prefix, "id"))
        chats.append(
            _Chat(str(cid).strip(), chat.get("name") if isinstance(chat.get("name"), str) else None,
                  str(chat.get("type", "")).endswith("_channel"), chat["messages"], prefix)
        )
    return chats


def _zone(options: ReadOptions) -> ZoneInfo | None:
    if not options.assume_tz:
        return None
    try:
        return ZoneInfo(options.assume_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {options.assume_tz!r}") from None


def _created(msg: dict, zone: ZoneInfo | None) -> datetime | str:
    """The message time in UTC, or the reason it cannot be known."""
    unix = msg.get("date_unixtime")
    if unix is not None:
        if isinstance(unix, int | str) and not isinstance(unix, bool) and str(unix).isdigit():
            return from_epoch(int(unix))
        return "date_unixtime is not epoch seconds"
    date = msg.get("date")
    if not isinstance(date, str):
        return "no date_unixtime and no date"
    if zone is None:
        return "no date_unixtime, and date has no time zone; pass --assume-tz ZONE"
    try:
        local = datetime.fromisoformat(date)
    except ValueError:
        return f"date '{date[:40]}' is not an ISO 8601 time"
    if local.tzinfo is not None:
        return from_epoch(local.timestamp())
    return from_epoch(local.replace(tzinfo=zone).timestamp())


def _edited(msg: dict) -> datetime | None:
    """When the message was last edited (``edited_unixtime``), if the export says."""
    unix = msg.get("edited_unixtime")
    if isinstance(unix, int | str) and not isinstance(unix, bool) and str(unix).isdigit():
        return from_epoch(int(unix))
    return None


def _likes(msg: dict) -> int | None:
    reactions = msg.get("reactions")
    if not isinstance(reactions, list):
        return None
    found = [r.get("count") for r in reactions if isinstance(r, dict)]
    counts = [c for c in found if isinstance(c, int) and not isinstance(c, bool) and c >= 0]
    return sum(counts) if counts else None


class _Locator:
    """JSON path of message ``i`` of a chat, and of its fields."""

    def __init__(self, prefix: tuple, i: int):
        self.base = (*prefix, "messages", i)

    def __call__(self, *parts: str | int) -> str:
        return jpath(*self.base, *parts)


def _first_pass(chat: _Chat, zone: ZoneInfo | None, spoilt: dict[tuple, Reject]
                ) -> tuple[dict[int, _Msg], list[Reject]]:
    """Parse the messages of one chat (service messages are left out); those in
    ``spoilt`` (by JSON path) are rejected as they are."""
    msgs: dict[int, _Msg] = {}
    rejects: list[Reject] = []
    for i, msg in enumerate(chat.messages):
        loc = _Locator(chat.prefix, i)
        made = spoilt.get(loc.base) or _message(chat, loc, msg, zone)
        if isinstance(made, _Msg) and made.mid in msgs:
            made = Reject(loc("id"), f"message id {made.mid} appears twice", excerpt(made.raw))
        if isinstance(made, Reject):
            rejects.append(made)
        elif made is not None:
            msgs[made.mid] = made
    return msgs, rejects


def _message(chat: _Chat, loc: _Locator, msg: object, zone: ZoneInfo | None
             ) -> _Msg | Reject | None:
    """One message of the export, a Reject naming the field at fault, or None to skip it."""
    if not isinstance(msg, dict):
        return Reject(loc(), "not a JSON object", excerpt(json.dumps(msg)))
    raw = json.dumps(msg, ensure_ascii=False)
    if msg.get("type") in ("service", "unsupported"):
        return None  # counted in rows_read, neither a post nor a reject
    if msg.get("type") != "message":
        return Reject(loc("type"), f"unknown message type {msg.get('type')!r}", excerpt(raw))
    mid = msg.get("id")
    if isinstance(mid, bool) or not isinstance(mid, int):
        return Reject(loc("id"), "missing or not a whole number", excerpt(raw))
    created = _created(msg, zone)
    if isinstance(created, str):
        return Reject(loc("date_unixtime"), created, excerpt(raw))
    channel_author = f"channel{chat.chat_id}"
    if "from_id" in msg:
        author = _author(msg["from_id"])
    else:
        author = channel_author if chat.is_channel else None
    if author is None:
        return Reject(loc("from_id"), "missing or not a Telegram peer id", excerpt(raw))
    text = flatten_text(msg.get("text", ""))
    if text is None:
        return Reject(loc("text"), "not a string or a list of text parts", excerpt(raw))
    if len(text) > MAX_TEXT_CHARS:
        return Reject(loc("text"), f"text longer than {MAX_TEXT_CHARS:,} characters",
                      excerpt(text))
    reply_to = msg.get("reply_to_message_id")
    if reply_to is not None and (isinstance(reply_to, bool) or not isinstance(reply_to, int)):
        return Reject(loc("reply_to_message_id"), "not a whole number", excerpt(raw))
    reply_peer = None
    if reply_to is not None and msg.get("reply_to_peer_id") is not None:
        reply_peer = _peer_id(msg["reply_to_peer_id"])
        if reply_peer is None:
            return Reject(loc("reply_to_peer_id"), "not a Telegram peer id", excerpt(raw))
        if reply_peer == chat.chat_id:
            reply_peer = None
    forwarded = isinstance(msg.get("forwarded_from"), str) or "forwarded_from_id" in msg
    fwd_id = _author(msg.get("forwarded_from_id")) if "forwarded_from_id" in msg else None
    is_copy = (
        not chat.is_channel and forwarded and author.startswith("channel")
        and (fwd_id == author if fwd_id else msg.get("forwarded_from") == msg.get("from"))
    )
    name = msg.get("from") if isinstance(msg.get("from"), str) else None
    if author == channel_author and name is None:
        name = chat.name
    return _Msg(loc.base[-1], mid, author, name, created, text, reply_to, reply_peer, is_copy,
                forwarded, raw, _likes(msg), _edited(msg))


class _ChannelPosts:
    """Channel posts of the same file, to tell which one a discussion copy is."""

    def __init__(self, parsed: list[tuple[_Chat, dict[int, _Msg]]]):
        self._by_key: dict[tuple[str, str], list[_Msg]] = {}
        for chat, msgs in parsed:
            if chat.is_channel:
                for m in msgs.values():
                    self._by_key.setdefault((f"channel{chat.chat_id}", m.text), []).append(m)
        self._chat_of = {f"channel{c.chat_id}": c.chat_id for c, _ in parsed if c.is_channel}

    def original(self, copy: _Msg) -> str | None:
        """``<channel id>/<message id>`` of the post ``copy`` repeats, if in the file."""
        candidates = self._by_key.get((copy.author, copy.text), [])
        best = min(candidates, default=None,
                   key=lambda m: abs((m.created - copy.created).total_seconds()))
        if best is None or abs((best.created - copy.created).total_seconds()) > COPY_MATCH_SECONDS:
            return None
        return f"{self._chat_of[copy.author]}/{best.mid}"


def _posts(chat: _Chat, msgs: dict[int, _Msg], originals: _ChannelPosts,
           authors_elsewhere: dict[str, str]) -> list[Post]:
    """Second pass: Posts with reply links and threads."""
    key: dict[int, str] = {}
    for m in msgs.values():
        resolved = originals.original(m) if m.is_copy else None
        key[m.mid] = resolved or f"{chat.chat_id}/{m.mid}"

    roots: dict[int, str] = {}

    def root(mid: int) -> str:
        """Key of the first message of the reply chain that ``mid`` is in."""
        chain: list[int] = []
        cur = mid
        while True:
            if cur in roots:
                found = roots[cur]
                break
            m = msgs.get(cur)
            if m is None:  # the chain leads out of the export
                found = f"{chat.chat_id}/{cur}"
                break
            chain.append(cur)
            if m.reply_to is None or m.reply_peer is not None or m.reply_to in chain:
                found = key[cur]
                break
            cur = m.reply_to
        for c in chain:
            roots[c] = found
        return found

    out = []
    for m in msgs.values():
        if key[m.mid] != f"{chat.chat_id}/{m.mid}":
            continue  # a copy of a channel post that is in this file
        to_post = to_author = None
        kind = "repost" if m.forwarded else "post"
        if m.reply_to is not None:
            if m.reply_peer is not None:
                to_post = f"{m.reply_peer}/{m.reply_to}"
                to_author = authors_elsewhere.get(to_post)
                kind = "reply"
            else:
                parent = msgs.get(m.reply_to)
                to_post = key[m.reply_to] if parent else f"{chat.chat_id}/{m.reply_to}"
                to_author = parent.author if parent else None
                kind = "comment" if parent is not None and parent.is_copy else "reply"
        out.append(Post(
            platform=PLATFORM,
            post_id=key[m.mid],
            author=m.author,
            created_at=m.created,
            text=m.text or None,
            kind=kind,
            author_id=m.author,
            in_reply_to_post_id=to_post,
            in_reply_to_author=to_author,
            conversation_id=root(m.mid),
            mentions=tuple(re.findall(MENTION_RE, m.text)),
            like_count=m.likes,
            raw=m.raw,
            # The export names every edit: an unedited text is current since it was sent.
            version_at=m.edited or m.created,
        ))
    return out


@register
class TelegramReader(Reader):
    name = "telegram"
    platform = PLATFORM
    description = "Telegram Desktop export result.json (channel, discussion group, or account)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.telegram(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        doc, bad = load_json_document(path)
        if progress:
            progress(Path(path).stat().st_size)
        zone = _zone(options)
        chats = _chats(path, doc)
        # messages holding bytes that are not UTF-8: rejected, the others imported
        spoilt = {} if bad is None else bad.rejects(
            _Locator(chat.prefix, i).base for chat in chats for i in range(len(chat.messages)))
        parsed = [(chat, *_first_pass(chat, zone, spoilt)) for chat in chats]
        originals = _ChannelPosts([(c, m) for c, m, _ in parsed])
        authors_elsewhere = {f"{c.chat_id}/{mid}": msg.author
                             for c, m, _ in parsed for mid, msg in m.items()}
        step = max(1, options.chunk_rows)
        for chat, msgs, rejects in parsed:
            posts = _posts(chat, msgs, originals, authors_elsewhere)
            names = {m.author: m.name for m in msgs.values() if m.name}
            accounts = [Account(PLATFORM, a, official=False, display_name=n)
                        for a, n in names.items()]
            yield Batch(accounts=accounts_frame(accounts), rejects=rejects,
                        rows_read=len(chat.messages))
            for i in range(0, len(posts), step):
                yield Batch(posts=_frame(posts[i:i + step]))


def _frame(posts: list[Post]) -> pd.DataFrame:
    import pandas as pd

    frame = posts_frame(posts)
    for col in ("like_count", "share_count", "reply_count"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    return frame
