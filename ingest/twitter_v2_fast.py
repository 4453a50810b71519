"""The Twitter API v2 fast paths: typed decoding of page and flattened lines in their usual shape.

twarc2 writes one API response per line, each holding about a hundred tweets and
the users they name; ``twarc2 flatten`` writes one tweet per line with its author,
replied-to user, mentioned users and referenced tweets expanded in place. Parsing
every value of such a line into Python objects, most of which govwatch never reads
(user descriptions, edit histories, annotations), is what made the general reader slow.

:func:`read_page` decodes a page line with msgspec into typed structs that hold
only the fields the mapping reads; with ``keep_raw`` (``ingest --keep-raw``) a second,
untyped pass keeps each tweet's original JSON text as it is in the file (a slice of
the line, never re-encoded). :func:`read_flat` does the same for a flattened line
(without ``keep_raw`` only; with it, flattened lines take the general path). Each takes
a line only when every field it maps has the type the API documents (ids and times
as strings, counts as integers, tweets and users as objects) and no row of the line
would be rejected; then it adds the line's posts, accounts and row count to the batch
and returns True. Any other line returns False having changed nothing, and goes
through :func:`govwatch.ingest.twitter_json.v2_post`, which accepts the looser shapes and
explains each rejected row. :func:`read_line` offers a line to both.

The mappings below apply the same rules (``govwatch.ingest.twitter_rules``: ids, times,
languages, text, kinds, counts) to the same values, so a line gives the same rows either way;
the only difference is ``raw``, which holds the same JSON value written as the file
wrote it rather than re-encoded. tests/test_twitter_v2_fast.py compares both paths
on real pages and flattened lines, on documented ones and on mangled ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, Raw, Struct, UnsetType

from .twitter_rules import (
    INT64_MAX,
    PLATFORM,
    TEXT_CAP,
    V2_COUNTS,
    native_id,
    norm_lang,
    parse_iso_time,
    post_text,
    status_prefix,
    unescape_text,
    v2_kind,
)

# The public metrics in the posts table's order (like, share, reply).
_COUNTS = attrgetter(*(field for field, _ in V2_COUNTS))
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


# The flattened layout (``twarc2 flatten``): one tweet a line, its users expanded in place.
# ``UNSET`` tells a key that is absent from one that is null where the general path asks
# whether a key is there: a mention is a user only when it has a "name"; a referenced tweet
# is a post of its own only when it has a "created_at".
class _FlatUser(Struct, gc=False):
    id: str | None = None
    username: str | None = None
    name: str | None | UnsetType = UNSET


class _FlatEntities(Struct, gc=False):
    mentions: list[_FlatUser] | None = None


class _FlatTweet(Struct, gc=False):
    id: str | None | UnsetType = UNSET
    text: str | None | UnsetType = UNSET
    author_id: str | None = None
    created_at: str | None | UnsetType = UNSET
    conversation_id: str | None = None
    lang: str | None = None
    in_reply_to_user_id: str | None = None
    public_metrics: _Metrics | None = None
    referenced_tweets: list[_FlatRef] | None = None
    entities: _FlatEntities | None = None
    note_tweet: _Note | None = None
    author: _FlatUser | None = None
    in_reply_to_user: _FlatUser | None = None
    # A page, or a v1.1 tweet: never a flattened v2 tweet.
    data: Raw | UnsetType = UNSET
    id_str: Raw | UnsetType = UNSET
    user: Raw | UnsetType = UNSET


class _FlatRef(_FlatTweet, gc=False):
    type: str | None = None


_PAGE = msgspec.json.Decoder(_Page)
_RAW_PAGE = msgspec.json.Decoder(_RawPage)
_FLAT = msgspec.json.Decoder(_FlatTweet)
fromisoformat = datetime.fromisoformat
_NOT_TAKEN = (msgspec.DecodeError, msgspec.ValidationError, UnicodeError, ValueError,
              RecursionError)
# While a line is mapped, any exception leaves it to the general path, which explains
# each reject: the fast paths only make reading quicker, and a shape they did not foresee
# must never turn a user's bad line into a traceback. Nothing is added to the batch
# before the mapping has succeeded.


class _Skip(Exception):
    """The line is left to the general path."""


def read_line(line: bytes, out) -> bool:
    """read_page or read_flat, the likelier first: a line that begins as twarc2 writes a
    page ({"data": ...) is offered to read_page, any other to read_flat (without
    searching a long flattened line for a "data" key), and each leaves what it does
    not take to the other."""
    if b'"data"' in line[:32]:
        return read_page(line, out) or read_flat(line, out)
    return read_flat(line, out) or (b'"data"' in line and read_page(line, out))


def read_flat(line: bytes, out) -> bool:
    """Add one flattened tweet line's posts (the tweet, and each referenced tweet expanded
    with its own time) and users to ``out``: True, or False with ``out`` unchanged when
    the line is not in the usual shape or ``out.keep_raw`` (the general path then keeps
    each record)."""
    if out.keep_raw:
        return False
    try:
        t = _FLAT.decode(line)
    except _NOT_TAKEN:
        return False
    if t.data is not UNSET or t.id_str is not UNSET or t.user is not UNSET:
        return False  # a page, or a v1.1 tweet
    expanded = [t.author, t.in_reply_to_user]  # the users expanded in the line, in order
    if t.entities is not None and t.entities.mentions:
        expanded += t.entities.mentions
    refs = t.referenced_tweets or ()
    for ref in refs:
        expanded.append(ref.author)
        if ref.entities is not None and ref.entities.mentions:
            expanded += ref.entities.mentions
    found = [u for u in expanded if u is not None and u.name is not UNSET and u.username]
    try:
        rows = [_flat_row(t, found)]
        rows += [_flat_row(ref, found) for ref in refs if ref.created_at is not UNSET]
    except Exception:  # _Skip, or a shape not foreseen: see the note on _NOT_TAKEN
        return False
    for u in found:
        out.add_user(u.username, u.name)
    out.add_rows(rows)
    out.rows += len(rows)
    return True


def _flat_row(t: _FlatTweet, found: list[_FlatUser]) -> tuple:
    """One flattened tweet as a posts row (READER_POST_COLUMNS order), as v2_post maps it:
    its author and replied-to user are taken from the objects expanded in it first, else
    from the users expanded anywhere in the line (``found``)."""
    author_id = _id(t.author_id) or (_id(t.author.id) if t.author is not None else None)
    reply_user_id = _id(t.in_reply_to_user_id)
    return _mapped(
        t, None if t.id is UNSET else _id(t.id), author_id,
        ((t.author.username if t.author is not None else None)
         or _handle(found, author_id) or author_id),
        ((t.in_reply_to_user.username if t.in_reply_to_user is not None else None)
         or _handle(found, reply_user_id) or reply_user_id),
        None if t.created_at is UNSET else t.created_at,
        None if t.text is UNSET else t.text, None)


def _handle(found: list[_FlatUser], user_id: str | None) -> str | None:
    """The handle of the user with this id among ``found`` (the last one, as a map from
    id to handle built in order would give): a line names a few users, and most posts
    need none of them, so no map is built."""
    if user_id:
        for u in reversed(found):
            if _id(u.id) == user_id:
                return u.username
    return None


def _refs(refs: list) -> tuple[str | None, str]:
    """(replied-to id, kind) from referenced_tweets, by the rule v2_post applies too: the
    last of a type wins."""
    types = {}
    for r in refs:
        # a flattened reference may lack its id
        types[r.type] = None if r.id is UNSET else _id(r.id)
    return v2_kind(types)


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
            uid = user.id
            if uid is not None and not (uid.isdigit() and uid.isascii() and len(uid) <= 30):
                uid = native_id(uid)
            if uid:
                users[uid] = name
        if includes.tweets:
            tweets = tweets + includes.tweets
    raws: Sequence[Raw | None] | None = None
    if raw is not None:
        raws = raw.data + raw.includes.tweets if raw.includes and raw.includes.tweets else raw.data
    try:
        rows = _page_rows(tweets, raws, users)
    except Exception:  # _Skip, or a shape not foreseen: see the note on _NOT_TAKEN
        return False
    out.add_users(accounts)
    out.add_rows(rows)
    out.rows += len(rows)
    return True


def _id(value: str | None) -> str | None:
    """native_id for a string or None: the usual cases inline, the rest by native_id."""
    if value is None:
        return None
    if value.isdigit() and value.isascii() and len(value) <= 30:
        return value
    return native_id(value)


def _page_rows(tweets: list[_Tweet], raws: Sequence[Raw | None] | None,
               users: dict[str, str]) -> list[tuple]:
    """A page's tweets as posts rows (READER_POST_COLUMNS order), as v2_post maps them:
    each author and replied-to user is looked up in the page's users. The rules are
    _mapped's (which the flattened layout uses), written out in one loop: no function
    calls per tweet in the usual case (a page holds a hundred tweets). Raises _Skip for
    a tweet the general path is to read."""
    rows: list[tuple] = []
    append = rows.append
    langs = _LANGS
    uncached = _UNCACHED
    prefix = status_prefix
    for k, t in enumerate(tweets):
        if t.author is not None or t.in_reply_to_user is not None:
            raise _Skip
        post_id = t.id
        if post_id is None or not (post_id.isdigit() and post_id.isascii()
                                   and len(post_id) <= 30):
            post_id = native_id(post_id)
        author_id = t.author_id
        if author_id is None or not (author_id.isdigit() and author_id.isascii()
                                     and len(author_id) <= 30):
            author_id = native_id(author_id)
        reply_user_id = t.in_reply_to_user_id
        if reply_user_id is not None and not (reply_user_id.isdigit()
                                              and reply_user_id.isascii()
                                              and len(reply_user_id) <= 30):
            reply_user_id = native_id(reply_user_id)
        reply_author = users.get(reply_user_id, reply_user_id) if reply_user_id else None
        author = users.get(author_id, author_id) if author_id is not None else None
        when = t.created_at
        # parse_iso_time's result, without its checks where the time is in the API's own form
        created = (fromisoformat(when) if when is not None and when[-1:] == "Z"
                   else parse_iso_time(when))
        note = t.note_tweet
        shown = (note.text if note is not None else None) or t.text
        if type(shown) is not str:
            raise _Skip
        text: str = unescape_text(shown) if "&" in shown else shown  # as post_text
        if post_id is None or author is None or created is None or len(text) > TEXT_CAP:
            raise _Skip
        m = t.public_metrics
        if m is None:
            likes = shares = replies = None
        else:
            likes, shares, replies = m.like_count, m.retweet_count, m.reply_count
        refs = t.referenced_tweets
        if not refs:
            reply_to, kind = None, "post"
        elif len(refs) == 1:  # v2_kind's rule for one reference
            ref_type = refs[0].type
            reply_to = _id(refs[0].id) if ref_type == "replied_to" else None
            kind = ("repost" if ref_type == "retweeted" else "reply" if reply_to
                    else "quote" if ref_type == "quoted" else "post")
        else:
            reply_to, kind = _refs(refs)
        conversation = t.conversation_id
        if conversation != post_id and conversation is not None and not (
                conversation.isdigit() and conversation.isascii() and len(conversation) <= 30):
            conversation = native_id(conversation)
        entities = t.entities
        mentions = (tuple([x.username for x in entities.mentions if x.username])
                    if entities is not None and entities.mentions else ())
        lang = langs.get(t.lang, uncached)
        if lang is uncached:
            lang = _lang(t.lang)
        append((PLATFORM, post_id, author, author_id, created, False, text, lang,
                kind, reply_to, reply_author, conversation, mentions,
                prefix(author) + post_id, likes, shares, replies, None,
                None if raws is None else str(raws[k], "utf-8")))  # type: ignore[arg-type]
        # (a Raw is a buffer of the line, which is valid UTF-8)
    if raws is not None and len(raws) != len(rows):
        raise _Skip
    return rows


def _mapped(t: _Tweet | _FlatTweet, post_id: str | None, author_id: str | None,
            author: str | None, reply_author: str | None, when: str | None,
            text: str | None, raw: Raw | None) -> tuple:
    """The row both layouts share once the ids, author and replied-to user are known."""
    # parse_iso_time's result, without its checks where the time is in the API's own form
    created = (fromisoformat(when) if when is not None and when[-1:] == "Z"
               else parse_iso_time(when))
    note = t.note_tweet
    shown = post_text(note.text if note is not None else None, text)
    if post_id is None or author is None or created is None or not isinstance(shown, str):
        raise _Skip
    text = shown
    if len(text) > TEXT_CAP:
        raise _Skip
    m = t.public_metrics
    if m is None:
        likes = shares = replies = None
    else:
        likes, shares, replies = _COUNTS(m)
    reply_to, kind = _refs(t.referenced_tweets) if t.referenced_tweets else (None, "post")
    conversation = t.conversation_id
    if conversation != post_id:
        conversation = _id(conversation)
    entities = t.entities
    mentions = (tuple([x.username for x in entities.mentions if x.username])
                if entities is not None and entities.mentions else ())
    lang = _LANGS.get(t.lang, _UNCACHED)
    if lang is _UNCACHED:
        lang = _lang(t.lang)
    return (PLATFORM, post_id, author, author_id, created, False, text, lang,
            kind, reply_to, reply_author, conversation, mentions,
            status_prefix(author) + post_id, likes, shares, replies, None,
            None if raw is None else str(raw, "utf-8"))  # the line is valid UTF-8


_LANGS: dict[str | None, str | None] = {}
_UNCACHED = object()


def _lang(code: str | None) -> str | None:
    """norm_lang(code), remembered for the first thousand codes seen."""
    lang = norm_lang(code)
    if len(_LANGS) < 1000:
        _LANGS[code] = lang
    return lang
