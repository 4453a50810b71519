"""Reader for Facebook "Download your information" (DYI) JSON of a Page or profile.

Two files of the export are read:

- posts (``your_posts_1.json``, ``profile_posts_1.json``, ...): a JSON list of
  ``{timestamp, data: [{post: text}, {update_timestamp}], attachments, title}``;
  a ``{"group_posts_v2": [...]}`` object holds items of the same shape;
- comments (``comments.json``): ``{"comments_v2": [{timestamp, data: [{comment:
  {comment, author, timestamp}}], title}]}`` (older exports: ``"comments"``).

What the export does and does not say, and how each gap is filled:

- **Text encoding.** Facebook writes every UTF-8 byte as its own ``\\u00XX``
  escape, so "😂" arrives as four latin-1 characters. Every string of a record
  is repaired with ``s.encode("latin-1").decode("utf-8")`` when that round trip
  succeeds; a string it does not fit (true latin-1 text) is left as it is.
- **No post ids.** ``post_id`` is ``"dyi_"`` + the first 24 hex digits of the
  SHA-256 of owner, timestamp and repaired text (for a post without text, the
  canonical JSON of its attachments instead). The title is left out on purpose:
  it is written in the exporting user's interface language. The same post in a
  re-import or in an overlapping later export therefore gets the same id; an
  edited post (new text) gets a new one.
- **Owner.** The export never names its owner outright. The author of every
  post is the name that most titles start with ("Ministry of X updated its
  status." -> "Ministry of X"); in a comments file it is the comment's own
  ``author``. When no title names anyone, the profile file of the same export
  (``personal_information/profile_information/profile_information.json``) is
  looked for; failing that the file cannot be attributed and is refused. The
  accounts CSV must name a Facebook official by this display name.
- **No reply links.** Comments carry no id of the post they answer: they are
  kept as the owner's outbound activity (kind ``comment``, or ``reply`` when the
  title says "replied to"), with ``in_reply_to_author`` taken from the title
  ("... commented on Jane Doe's post." -> "Jane Doe").

Locators are JSON paths such as ``$[4].data[0].post`` or
``$.comments_v2[3].data[0].comment.timestamp``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from govwatch.errors import InputError
from govwatch.records import Account, Batch, Post, Reject, accounts_frame, excerpt, posts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions
from .json_recovery import load_json_document
from .jsonio import from_epoch, jpath
from .registry import register
from .tabular import MENTION_RE

PLATFORM = "facebook"
POST_LIST_KEYS = ("group_posts_v2",)
COMMENT_LIST_KEYS = ("comments_v2", "comments")
# Epoch seconds accepted as a post time: 2004-02-01 (Facebook opens) .. 2100.
MIN_EPOCH, MAX_EPOCH = 1_075_593_600, 4_102_444_800
PROFILE_FILES = (
    "personal_information/profile_information/profile_information.json",
    "profile_information/profile_information.json",
)
# Verbs that follow the owner's name in DYI titles ("X updated his status.").
_TITLE_VERB = re.compile(
    r"^(?P<name>.+?)\s+(?:updated|wrote|shared|posted|added|recommends|doesn't recommend|"
    r"was|is|commented|replied|likes|liked|reacted|created|changed|checked|became|"
    r"went|feels|felt|edited|published|uploaded|celebrated|reviewed|rated|tagged)\b"
)
_REPLY_TO = re.compile(r"\b(?:commented on|replied to)\s+(?P<who>.+?)'s?\s+(?:own\s+)?\w+\.?$")
_OWN = re.compile(r"\b(?:commented on|replied to)\s+(?:his|her|their|your|its)\s+own\b")
_SPACES = re.compile(r"\s+")


def repair_mojibake(s: str) -> str:
    """Undo Facebook's per-byte escaping of UTF-8; leave other strings alone."""
    if s.isascii():
        return s
    try:
        return s.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


def repair_tree(value: object) -> object:
    """``repair_mojibake`` applied to every string (keys too) of a JSON value."""
    if isinstance(value, str):
        return repair_mojibake(value)
    if isinstance(value, list):
        return [repair_tree(v) for v in value]
    if isinstance(value, dict):
        return {repair_mojibake(k): repair_tree(v) for k, v in value.items()}
    return value


def derive_post_id(owner: str, timestamp: int, text: str, attachments: object = None) -> str:
    """The stable id of a DYI post or comment (see the module docstring)."""
    who = _SPACES.sub(" ", unicodedata.normalize("NFC", owner)).strip().casefold()
    body = text if text else json.dumps(attachments, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{who}\x1f{int(timestamp)}\x1f{body}".encode()).hexdigest()
    return "dyi_" + digest[:24]


def _clean_name(name: str) -> str:
    return _SPACES.sub(" ", name).strip()


def owner_from_titles(titles: list[str]) -> str | None:
    """The name most titles start with, or None when no title names anyone."""
    names: Counter[str] = Counter()
    for title in titles:
        m = _TITLE_VERB.match(title)
        if m:
            names[_clean_name(m.group("name"))] += 1
    return names.most_common(1)[0][0] if names else None


def _owner_from_profile(path: Path) -> str | None:
    """The full name in the export's profile file, looked for beside the posts."""
    for folder in list(Path(path).resolve().parents)[:4]:
        for rel in PROFILE_FILES:
            candidate = folder / rel
            if not candidate.is_file():
                continue
            try:
                doc = json.loads(candidate.read_text("utf-8"))
                name = doc["profile_v2"]["name"]["full_name"]
            except (OSError, ValueError, KeyError, TypeError, RecursionError):
                continue
            if isinstance(name, str) and name.strip():
                return _clean_name(repair_mojibake(name))
    return None


class _Layout:
    """Where the records of a DYI file are and how to name their locations."""

    def __init__(self, path: Path, doc: object):
        if isinstance(doc, list):
            self.items, self.key, self.kind = doc, None, "post"
            return
        if isinstance(doc, dict):
            for key in COMMENT_LIST_KEYS + POST_LIST_KEYS:
                if isinstance(doc.get(key), list):
                    self.items, self.key = doc[key], key
                    self.kind = "comment" if key in COMMENT_LIST_KEYS else "post"
                    return
        raise InputError(
            path,
            "not a Facebook 'Download your information' posts or comments file: expected a "
            "JSON list of posts or an object with " + ", ".join(COMMENT_LIST_KEYS + POST_LIST_KEYS),
            "$",
        )

    def loc(self, i: int, *parts: str | int) -> str:
        return jpath(*self.parts(i), *parts)

    def parts(self, i: int) -> tuple:
        """JSON path parts of record ``i``."""
        return (i,) if self.key is None else (self.key, i)


@register
class FacebookDYIReader(Reader):
    name = "facebook"
    platform = PLATFORM
    description = 'Facebook "Download your information" JSON (your_posts_N.json, comments.json)'
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.facebook(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        doc, bad = load_json_document(path)
        if progress:
            progress(Path(path).stat().st_size)
        layout = _Layout(path, doc)
        # records holding bytes that are not UTF-8: rejected, the others imported
        spoilt = {} if bad is None else bad.rejects(
            layout.parts(i) for i in range(len(layout.items)))
        repaired = [repair_tree(item) for item in layout.items]
        owner = self._owner(path, layout, [r for i, r in enumerate(repaired)
                                           if layout.parts(i) not in spoilt])
        step = max(1, options.chunk_rows)
        for start in range(0, len(repaired), step):
            posts: list[Post] = []
            rejects: list[Reject] = []
            authors: dict[str, None] = {}
            for i in range(start, min(start + step, len(repaired))):
                made = (spoilt.get(layout.parts(i))
                        or _record(layout, i, layout.items[i], repaired[i], owner))
                if isinstance(made, Reject):
                    rejects.append(made)
                else:
                    posts.append(made)
                    authors[made.author] = None
            accounts = [Account(PLATFORM, a, official=False, display_name=a) for a in authors]
            yield Batch(
                posts=posts_frame(posts),
                accounts=accounts_frame(accounts),
                rejects=rejects,
                rows_read=min(start + step, len(repaired)) - start,
            )

    @staticmethod
    def _owner(path: Path, layout: _Layout, items: list[object]) -> str:
        titles = [it["title"] for it in items if isinstance(it, dict) and
                  isinstance(it.get("title"), str)]
        owner = owner_from_titles(titles)
        if owner is None and layout.kind == "comment":
            authors = Counter(
                _clean_name(c["author"]) for it in items for c in _comments(it)
                if isinstance(c.get("author"), str) and c["author"].strip()
            )
            owner = authors.most_common(1)[0][0] if authors else None
        owner = owner or _owner_from_profile(path)
        if owner is None and items:
            raise InputError(
                path,
                "cannot tell whose export this is: no title names the owner and no "
                "profile_information.json was found in the export folder",
                "$",
            )
        return owner or ""


def _comments(item: object) -> list[dict]:
    if not isinstance(item, dict) or not isinstance(item.get("data"), list):
        return []
    return [d["comment"] for d in item["data"]
            if isinstance(d, dict) and isinstance(d.get("comment"), dict)]


def _timestamp(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not MIN_EPOCH <= value <= MAX_EPOCH:
        return None
    return int(value)


def _record(layout: _Layout, i: int, original: object, item: object, owner: str) -> Post | Reject:
    """One Post from one DYI item, or a Reject naming the JSON path at fault."""
    raw = json.dumps(original, ensure_ascii=False)
    if not isinstance(item, dict):
        return Reject(layout.loc(i), "not a JSON object", excerpt(raw))
    data = item.get("data", [])
    if not isinstance(data, list):
        return Reject(layout.loc(i, "data"), "'data' is not a list", excerpt(raw))
    if layout.kind == "comment":
        return _comment(layout, i, item, raw, owner)
    ts = _timestamp(item.get("timestamp"))
    if ts is None:
        return Reject(layout.loc(i, "timestamp"), "missing or not a time in epoch seconds",
                      excerpt(raw))
    texts = []
    for j, entry in enumerate(data):
        if isinstance(entry, dict) and "post" in entry:
            if not isinstance(entry["post"], str):
                return Reject(layout.loc(i, "data", j, "post"), "post text is not a string",
                              excerpt(raw))
            texts.append(entry["post"])
    text = "\n\n".join(t for t in texts if t)
    if len(text) > MAX_TEXT_CHARS:
        return Reject(layout.loc(i, "data"), f"text longer than {MAX_TEXT_CHARS:,} characters",
                      excerpt(text))
    return Post(
        platform=PLATFORM,
        post_id=derive_post_id(owner, ts, text, item.get("attachments")),
        author=owner,
        created_at=from_epoch(ts),
        text=text or None,
        kind="post",
        mentions=tuple(re.findall(MENTION_RE, text)),
        raw=raw,
    )


def _comment(layout: _Layout, i: int, item: dict, raw: str, owner: str) -> Post | Reject:
    comments = _comments(item)
    body = comments[0] if comments else {}
    ts = _timestamp(item.get("timestamp", body.get("timestamp")))
    if ts is None:
        return Reject(layout.loc(i, "timestamp"), "missing or not a time in epoch seconds",
                      excerpt(raw))
    text = body.get("comment", "")
    if not isinstance(text, str):
        return Reject(layout.loc(i, "data", 0, "comment", "comment"),
                      "comment text is not a string", excerpt(raw))
    if len(text) > MAX_TEXT_CHARS:
        return Reject(layout.loc(i, "data", 0, "comment", "comment"),
                      f"text longer than {MAX_TEXT_CHARS:,} characters", excerpt(text))
    author = body.get("author")
    author = _clean_name(author) if isinstance(author, str) and author.strip() else owner
    given = item.get("title")
    title = given if isinstance(given, str) else ""
    to_author = None
    if _OWN.search(title):
        to_author = author
    else:
        m = _REPLY_TO.search(title)
        if m:
            to_author = _clean_name(m.group("who"))
    return Post(
        platform=PLATFORM,
        post_id=derive_post_id(author, ts, text, item.get("attachments")),
        author=author,
        created_at=from_epoch(ts),
        text=text or None,
        kind="reply" if " replied to " in title else "comment",
        in_reply_to_author=to_author,
        mentions=tuple(re.findall(MENTION_RE, text)),
        raw=raw,
    )
