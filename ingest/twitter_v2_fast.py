"""The Twitter API v2 page layout's fast path: typed decoding of pages in their usual shape.

twarc2 writes one API response per line, each holding about a hundred tweets and
the users they name. Parsing every value of such a line into Python objects, most
of which govwatch never reads (user descriptions, edit histories, annotations), is
what made the general reader slow.

:func:`read_page` decodes a page line with msgspec into typed structs that hold
only the fields the mapping reads; with ``keep_raw`` (``ingest --keep-raw``) a second,
untyped pass keeps each tweet's original JSON text as it is in the file (a slice of
the line, never re-encoded). It takes a line only when
every field it maps has the type the API documents (ids and times as strings,
counts as integers, tweets and users as objects, no expansions in place) and no
row of the line would be rejected; then it adds the line's posts, accounts and
row count to the batch and returns True. Any other line returns False having
changed nothing, and goes through :func:`ingest.twitter_json.v2_post`, which
accepts the looser shapes and explains each rejected row.

The mapping below applies the same helpers (``native_id``, ``parse_iso_time``,
``norm_lang``, ...) to the same values, so a line gives the same rows either way;
the only difference is ``raw``, which holds the same JSON value written as the file
wrote it rather than re-encoded. tests/test_twitter_v2_fast.py compares both paths
on real pages, on a documented one and on mangled ones. Flattened lines
(``twarc2 flatten``) always take the general path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta, Raw, Struct

from .base import MAX_TEXT_CHARS
from .twitter_json import (
    INT64_MAX,
    PLATFORM,
    native_id,
    norm_lang,
    parse_iso_time,
    status_prefix,
    unescape_text,
)

# A count as the posts table stores it (BIGINT, never negative).
_Count = Annotated[int, Meta(ge=0, le=INT64_MAX)]


# Structs hold no reference cycles: gc=False keeps millions of them out of the
# garbage collector's way.
class _Metrics(Struct, gc=False):
    like_count: _Count | None = None
    retweet_count: _Count | None = None
    reply_count: _Count | None = None


class _Ref(Struct, gc=False):
    type: str | None = None
    id: str | None = None


class _Mention(Struct, gc=False):
    username: str | None = None


class _Entities(Struct, gc=False):
    mentions: list[_Mention] | None = None


class _Note(Struct, gc=False):
    text: str | None = None


class _Tweet(Struct, gc=False):
    id: str | None = None
    text: str | None = None
    author_id: str | None = None
    created_at: str | None = None
    conversation_id: str | None = None
    lang: str | None = None
    in_reply_to_user_id: str | None = None
    public_metrics: _Metrics | None = None
    referenced_tweets: list[_Ref] | None = None
    entities: _Entities | None = None
    note_tweet: _Note | None = None
    # Expansions in place (the flattened layout's): present -> the general path.
    author: dict | None = None
    in_reply_to_user: dict | None = None


class _User(Struct, gc=False):
    id: str | None = None
    username: str | None = None
    name: str | None = None


class _Includes(Struct, gc=False):
    users: list[_User] | None = None
    tweets: list[_Tweet] | None = None


class _Page(Struct, gc=False):
    data: list[_Tweet]
    includes: _Includes | None = None


class _RawIncludes(Struct, gc=False):
    tweets: list[Raw] | None = None


class _RawPage(Struct, gc=False):
    data: list[Raw]
    includes: _RawIncludes | None = None


_PAGE = msgspec.json.Decoder(_Page)
_RAW_PAGE = msgspec.json.Decoder(_RawPage)
fromisoformat = datetime.fromisoformat
_NOT_TAKEN = (msgspec.DecodeError, msgspec.ValidationError, UnicodeError, ValueError)


class _Skip(Exception):
    """The line is left to the general path."""


def read_page(line: bytes, out) -> bool:
    """Add the posts and accounts of one page line to ``out`` (a BatchBuilder): True,
    or False with ``out`` unchanged when the line is not in the usual shape. Unless
    ``out.keep_raw``, the posts' ``raw`` is None and the line is decoded once."""
    try:
        page = _PAGE.decode(line)
        raw = _RAW_PAGE.decode(line) if out.keep_raw else None
    except _NOT_TAKEN:
        return False
    includes = page.includes
    users: dict[str, str] = {}
    accounts: list[tuple[str, str | None]] = []
    tweets = page.data
    if includes is not None:
        for user in includes.users or ():
            name = user.username
            if not name:
                return False  # rejected by the general path: the user has no username
            accounts.append((name, user.name))
            uid = _id(user.id)
            if uid:
                users[uid] = name
        if includes.tweets:
            tweets = tweets + includes.tweets
    if raw is None:
        raws = [None] * len(tweets)
    else:
        raws = raw.data + raw.includes.tweets if raw.includes and raw.includes.tweets else raw.data
    try:
        rows = [_row(t, r, users) for t, r in zip(tweets, raws, strict=True)]
    except (_Skip, *_NOT_TAKEN):
        return False
    for name, display_name in accounts:
        out.add_user(name, display_name)
    out.add_rows(rows)
    out.rows += len(rows)
    return True


def _id(value: str | None) -> str | None:
    """native_id for a string or None: the usual case inline, the rest by native_id."""
    if value is not None and value.isdigit() and value.isascii() and len(value) <= 30:
        return value
    return native_id(value)


def _row(t: _Tweet, raw: Raw | None, users: dict[str, str]) -> tuple:
    """One tweet as a posts row (READER_POST_COLUMNS order), as v2_post maps it."""
    if t.author is not None or t.in_reply_to_user is not None:
        raise _Skip
    post_id = t.id
    if post_id is None or not (post_id.isdigit() and post_id.isascii() and len(post_id) <= 30):
        post_id = native_id(post_id)
    author_id = t.author_id
    if author_id is None or not (
            author_id.isdigit() and author_id.isascii() and len(author_id) <= 30):
        author_id = native_id(author_id)
    when = t.created_at
    # parse_iso_time's result, without its checks where the time is in the API's own form
    created = (fromisoformat(when) if when is not None and when[-1:] == "Z"
               else parse_iso_time(when))
    note = t.note_tweet
    text = (note.text if note is not None else None) or t.text
    if post_id is None or author_id is None or created is None or text is None:
        raise _Skip
    if "&" in text:
        text = unescape_text(text)
    if len(text) > MAX_TEXT_CHARS:
        raise _Skip
    m = t.public_metrics
    if m is None:
        likes = shares = replies = None
    else:
        likes, shares, replies = m.like_count, m.retweet_count, m.reply_count
    reply_to = None
    kind = "post"
    if t.referenced_tweets:
        refs = {}  # type -> id, the last of a type winning as in v2_post
        for r in t.referenced_tweets:
            refs[r.type] = r.id
        reply_to = _id(refs.get("replied_to"))
        kind = ("repost" if "retweeted" in refs else "reply" if reply_to
                else "quote" if "quoted" in refs else "post")
    reply_user_id = t.in_reply_to_user_id
    if reply_user_id is not None:
        reply_user_id = _id(reply_user_id)
        reply_author = users.get(reply_user_id, reply_user_id) if reply_user_id else None
    else:
        reply_author = None
    conversation = t.conversation_id
    if conversation != post_id:
        conversation = _id(conversation)
    entities = t.entities
    mentions = (tuple(x.username for x in entities.mentions if x.username)
                if entities is not None and entities.mentions else ())
    author = users.get(author_id, author_id)
    lang = _LANGS.get(t.lang, _UNCACHED)
    if lang is _UNCACHED:
        lang = _lang(t.lang)
    return (PLATFORM, post_id, author, author_id, created, False, text, lang,
            kind, reply_to, reply_author, conversation, mentions,
            status_prefix(author) + post_id, likes, shares, replies, None,
            None if raw is None else bytes(raw))


_LANGS: dict[str | None, str | None] = {}
_UNCACHED = object()


def _lang(code: str | None) -> str | None:
    """norm_lang(code), remembered for the first thousand codes seen."""
    lang = norm_lang(code)
    if len(_LANGS) < 1000:
        _LANGS[code] = lang
    return lang
