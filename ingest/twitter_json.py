"""Readers for Twitter/X API JSON Lines: API v2 as written by twarc2, and legacy v1.1 tweets.

``twitter-v2`` reads twarc2 output in either layout:

- page layout (``twarc2 search``/``timeline``): each line is one API response
  ``{"data": [...], "includes": {"users": [...], "tweets": [...]}, "meta": ..., "__twarc": ...}``;
- flattened layout (``twarc2 flatten``): each line is one tweet with ``author``,
  ``in_reply_to_user`` and ``referenced_tweets`` expanded in place.

Both give the same rows. Tweets in ``includes.tweets`` (or expanded in
``referenced_tweets``) are posts too: they are often the parents of the replies.
Users become accounts (official stays False; the accounts CSV decides that).

``twitter-v1`` reads the legacy v1.1 tweet object, one per line, as most academic
datasets and stream captures hold it. Embedded ``retweeted_status`` and
``quoted_status`` tweets are posts too. Stream control messages (``delete``,
``limit``, ``scrub_geo``, ...) carry no post and are counted as read only.

Field mapping (both): the native id is the post id; the author is the handle
(``username``/``screen_name``), falling back to the numeric user id when the
export does not name it; ``created_at`` becomes UTC; the text is the long form
when present (v2 ``note_tweet.text``, v1.1 ``extended_tweet.full_text`` or
``full_text``) with Twitter's HTML escapes ``&amp; &lt; &gt;`` undone; a retweet
is kind ``repost``, a reply (a parent id) ``reply``, a quote ``quote``, else
``post``; ``@mentions`` come from the entities; likes, retweets (share_count)
and replies from the metrics. Twitter's codes that name no language (``und``,
``zxx``, ``qme``, ``qht``, ...) become no language, and its old codes ``in`` and
``iw`` become ``id`` and ``he``. With ``--keep-raw`` the original JSON of each tweet is kept
in ``raw``. Page and flattened lines in the usual shape are read by typed fast paths
(``govwatch.ingest.twitter_v2_fast``) that give the same rows.

Both readers stream line by line and hand over a batch every 20,000 posts, so
memory stays bounded on multi-gigabyte files. Rows read are the tweet objects
read (included and embedded ones too) plus the lines that held none. A line that cannot be used becomes
a reject located as ``line N`` or ``line N: $.data[3].created_at``. The legacy
tweet mapping is also what the X account archive reader (``govwatch.ingest.x_archive``)
uses, since the archive stores tweets in that shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from govwatch.records import (
    READER_ACCOUNT_COLUMNS,
    READER_POST_COLUMNS,
    Account,
    Batch,
    Post,
    Reject,
    account_row,
    account_rows_table,
    columns_table,
    excerpt,
    post_row,
)

from .base import Part, Reader, ReadOptions, gc_paused
from .jsonio import as_object, decode_line, is_utf8, iter_byte_lines, parse_json_line
from .registry import register
from .sniffers import STREAM_CONTROL, looks_v1, looks_v2
from .sniffers import looks_v2_tweet as _looks_v2_tweet
from .twitter_rules import (
    LEGACY_COUNTS,
    PLATFORM,
    STATUS_URL_RE,
    TEXT_CAP,
    TEXT_CAP_REASON,
    V2_COUNTS,
    native_id,
    norm_lang,
    parse_count,
    parse_iso_time,
    parse_legacy_time,
    post_text,
    status_url,
    v2_kind,
)
from .twitter_v2_fast import read_line

BATCH_POSTS = 20_000

_STREAM_CONTROL = STREAM_CONTROL


_RAW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def raw_json(obj: object) -> str:
    return _RAW_ENCODER.encode(obj)


def _get(obj: object, key: str) -> object:
    return obj.get(key) if isinstance(obj, dict) else None


def _list(obj: object) -> list:
    return obj if isinstance(obj, list) else []


_DISPLAY_NAME = READER_ACCOUNT_COLUMNS.index("display_name")
assert READER_ACCOUNT_COLUMNS[:3] == ("platform", "author", "display_name")
# Account(PLATFORM, handle, display_name=...) as a row: the record's defaults after the name.
_USER_DEFAULTS = account_row(Account(PLATFORM, ""))[3:]


_PENDING_ROWS = 1024


class BatchBuilder:
    """Collects posts, accounts and rejects; hands them over as a Batch when full.

    Within a batch a post id is kept once (the first record wins) and an account
    once (a record with a display name beats one without). An account that is not
    official and was handed over in an earlier batch is not handed over again: the
    import keeps, of the records of one account, an official one or else the first
    (``staging.first_account_rows``), so a later one could never count. Up to
    ``HANDED_MAX`` handles are remembered; beyond, repeats are staged and the import
    drops them.
    """

    HANDED_MAX = 1_000_000

    def __init__(self, max_posts: int = BATCH_POSTS, keep_raw: bool = True):
        self.max_posts = max_posts
        self.keep_raw = keep_raw  # whether posts carry their original record (raw)
        self._handed: set[str] = set()
        self._reset()

    def _reset(self) -> None:
        # Posts are kept a list per column: no container per post for the garbage
        # collector to walk again and again while a batch fills. New rows wait in
        # _pending and join the columns a thousand at a time: a flattened file adds one
        # or two rows a line, and extending nineteen lists for each line cost more than
        # the rows; transposing a whole batch at once is slower still (its rows are no
        # longer in the processor's cache).
        self._columns: list[list] = [[] for _ in READER_POST_COLUMNS]
        self._pending: list[tuple] = []
        self._post_ids: set[str] = set()
        # handle -> the account as a row (READER_ACCOUNT_COLUMNS order): a tuple is
        # quicker to build than an Account, and a page names a hundred users.
        self.accounts: dict[str, tuple] = {}
        self.rejects: list[Reject] = []
        self.rows = 0

    def add(self, item: Post | Reject) -> None:
        if isinstance(item, Reject):
            self.rejects.append(item)
        else:
            self.add_rows([post_row(item)])

    def add_rows(self, rows: list[tuple]) -> None:
        """Posts given as rows (READER_POST_COLUMNS order, so the post id second)."""
        ids = self._post_ids
        pending = self._pending
        for row in rows:
            if row[1] not in ids:
                ids.add(row[1])
                pending.append(row)
        if len(pending) >= _PENDING_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            for column, values in zip(self._columns, zip(*self._pending, strict=True),
                                      strict=True):
                column.extend(values)
            self._pending = []

    def _keeps(self, handle: str, display_name: str | None, official: bool) -> bool:
        if not official and handle in self._handed:
            return False
        old = self.accounts.get(handle)
        return old is None or (old[_DISPLAY_NAME] is None and bool(display_name))

    def add_account(self, account: Account) -> None:
        if self._keeps(account.author, account.display_name, account.official):
            self.accounts[account.author] = account_row(account)

    def add_user(self, handle: str, display_name: str | None) -> None:
        """add_account(Account(PLATFORM, handle, display_name=display_name)), the row
        built only when it is kept."""
        if self._keeps(handle, display_name, False):
            self.accounts[handle] = (PLATFORM, handle, display_name) + _USER_DEFAULTS

    def add_users(self, users: list[tuple[str, str | None]]) -> None:
        """add_user for each (handle, display name), in order: a page names a hundred
        users, most of them already kept."""
        handed = self._handed
        accounts = self.accounts
        for handle, display_name in users:
            if handle in handed:
                continue
            old = accounts.get(handle)
            if old is None or (old[_DISPLAY_NAME] is None and display_name):
                accounts[handle] = (PLATFORM, handle, display_name) + _USER_DEFAULTS

    @property
    def full(self) -> bool:
        return len(self._post_ids) >= self.max_posts

    @property
    def empty(self) -> bool:
        return not (self._post_ids or self.accounts or self.rejects or self.rows)

    def take(self) -> Batch:
        self._flush()
        batch = Batch(
            posts=columns_table(self._columns) if self._post_ids else None,
            accounts=account_rows_table(list(self.accounts.values())) if self.accounts else None,
            rejects=self.rejects,
            rows_read=self.rows,
        )
        if len(self._handed) < self.HANDED_MAX:
            self._handed.update(self.accounts)
        self._reset()
        return batch


def _bad(where: str, field: str, reason: str, value: object = None) -> Reject:
    sep = "" if field.startswith("[") else "."
    return Reject(f"{where}{sep}{field}", reason, excerpt(value) if value is not None else "")


# -- the legacy (v1.1 and X archive) tweet object -------------------------------------------
def _legacy_kind(t: dict, text: str, reply_to: str | None, entities: object) -> str:
    if isinstance(t.get("retweeted_status"), dict) or text.startswith("RT @"):
        return "repost"
    if reply_to:
        return "reply"
    if "is_quote_status" in t or "quoted_status_id_str" in t or "quoted_status" in t:
        quoted = t.get("is_quote_status") is True or bool(
            t.get("quoted_status_id_str") or isinstance(t.get("quoted_status"), dict))
        return "quote" if quoted else "post"
    # The X archive keeps no quote fields: a quote shows as a link to another post.
    urls = _list(_get(entities, "urls"))
    if urls and STATUS_URL_RE.match(str(_get(urls[-1], "expanded_url") or "")):
        return "quote"
    return "post"


def legacy_post(
    t: object,
    where: str,
    author: str | None = None,
    author_id: str | None = None,
    keep_raw: bool = True,
) -> Post | Reject:
    """Map one legacy tweet object (v1.1 API or X archive) to a Post, or a Reject.

    ``where`` locates the tweet (e.g. ``$[3].tweet`` or ``line 7: $``). ``author``
    and ``author_id`` name the poster where the tweet has no ``user`` (the archive).
    """
    if not isinstance(t, dict):
        return Reject(where, "not a tweet object", excerpt(raw_json(t)))
    post_id = native_id(t.get("id_str")) or native_id(t.get("id"))
    if post_id is None:
        return _bad(where, "id_str", "id_str is missing or not a number", t.get("id_str"))
    if author is None:
        user = t.get("user")
        named = _get(user, "screen_name") or native_id(_get(user, "id_str"))
        author_id = native_id(_get(user, "id_str")) or native_id(_get(user, "id"))
        if not isinstance(named, str) or not named:
            return _bad(where, "user.screen_name", "the tweet names no user")
        author = named
    created = parse_legacy_time(t.get("created_at")) or parse_iso_time(t.get("created_at"))
    if created is None:
        return _bad(
            where, "created_at",
            f"created_at {t.get('created_at')!r} is not a Twitter time such as "
            "'Wed Oct 10 20:19:24 +0000 2018'",
        )
    ext = as_object(t.get("extended_tweet"))
    text = post_text(ext.get("full_text") or t.get("full_text"), t.get("text"))
    if not isinstance(text, str):
        return _bad(where, "full_text", "the tweet has no text (full_text or text)")
    if len(text) > TEXT_CAP:
        return _bad(where, "full_text", TEXT_CAP_REASON)
    counts: dict[str, Any] = {}  # like_count, share_count, ... for Post
    for field, column in LEGACY_COUNTS:
        counts[column], ok = parse_count(t.get(field))
        if not ok:
            return _bad(where, field, f"{field} is not a whole number >= 0", t.get(field))
    reply_to = native_id(t.get("in_reply_to_status_id_str")) or native_id(
        t.get("in_reply_to_status_id"))
    reply_user_id = native_id(t.get("in_reply_to_user_id_str"))
    reply_author = t.get("in_reply_to_screen_name") or reply_user_id
    if reply_user_id and reply_user_id == author_id:
        reply_author = author  # a thread: the handle may have changed since, the id has not
    entities = ext.get("entities") or t.get("entities")
    mentions = tuple(
        m["screen_name"] for m in _list(_get(entities, "user_mentions"))
        if isinstance(_get(m, "screen_name"), str)
    )
    return Post(
        platform=PLATFORM,
        post_id=post_id,
        author=author,
        author_id=author_id,
        created_at=created,
        text=text,
        kind=_legacy_kind(t, text, reply_to, entities),
        lang=norm_lang(t.get("lang")),
        in_reply_to_post_id=reply_to,
        in_reply_to_author=reply_author if isinstance(reply_author, str) else None,
        mentions=mentions,
        url=status_url(author, post_id),
        raw=raw_json(t) if keep_raw else None,
        **counts,
    )


def legacy_account(user: object) -> Account | None:
    handle = _get(user, "screen_name")
    if not isinstance(handle, str) or not handle:
        return None
    name = _get(user, "name")
    return Account(PLATFORM, handle, display_name=name if isinstance(name, str) else None)


def _v1_records(t: dict, where: str, keep_raw: bool,
                depth: int = 0) -> Iterator[tuple[Post | Reject, object]]:
    """The tweet and the tweets embedded in it (retweeted, quoted), with their users."""
    yield legacy_post(t, where, keep_raw=keep_raw), t.get("user")
    if depth >= 2:
        return
    for key in ("retweeted_status", "quoted_status"):
        inner = t.get(key)
        if isinstance(inner, dict):
            yield from _v1_records(inner, f"{where}.{key}", keep_raw, depth + 1)


# -- API v2 -----------------------------------------------------------------------------------
def _username(user: object) -> str | None:
    name = _get(user, "username")
    return name if isinstance(name, str) and name else None


def v2_post(t: object, where: str, users: dict[str, dict], keep_raw: bool = True) -> Post | Reject:
    """Map one API v2 tweet object to a Post, or a Reject located under ``where``.
    ``raw`` is the tweet re-encoded as JSON, or None without ``keep_raw``."""
    if not isinstance(t, dict):
        return Reject(where, "not a tweet object", excerpt(raw_json(t)))
    post_id = native_id(t.get("id"))
    if post_id is None:
        return _bad(where, "id", "id is missing or not a number", t.get("id"))
    author_id = native_id(t.get("author_id")) or native_id(_get(t.get("author"), "id"))
    author = _username(t.get("author")) or _username(users.get(author_id or "")) or author_id
    if author is None:
        return _bad(where, "author_id", "the tweet names no author (author_id)")
    created = parse_iso_time(t.get("created_at"))
    if created is None:
        return _bad(where, "created_at",
                    f"created_at {t.get('created_at')!r} is not an ISO 8601 time with an offset")
    text = post_text(_get(t.get("note_tweet"), "text"), t.get("text"))
    if not isinstance(text, str):
        return _bad(where, "text", "the tweet has no text")
    if len(text) > TEXT_CAP:
        return _bad(where, "text", TEXT_CAP_REASON)
    metrics = t.get("public_metrics")
    counts: dict[str, Any] = {}  # like_count, share_count, ... for Post
    for field, column in V2_COUNTS:
        counts[column], ok = parse_count(_get(metrics, field))
        if not ok:
            return _bad(where, f"public_metrics.{field}", f"{field} is not a whole number >= 0",
                        _get(metrics, field))
    refs = {}
    for r in _list(t.get("referenced_tweets")):
        ref_type = _get(r, "type")
        if isinstance(ref_type, str):  # one of replied_to, retweeted, quoted
            refs[ref_type] = native_id(_get(r, "id"))
    reply_to, kind = v2_kind(refs)
    reply_user_id = native_id(t.get("in_reply_to_user_id"))
    reply_author = (_username(t.get("in_reply_to_user")) or _username(users.get(reply_user_id or ""))
                    or reply_user_id)
    mentions = tuple(
        u for u in (_username(m) for m in _list(_get(t.get("entities"), "mentions"))) if u
    )
    conversation = native_id(t.get("conversation_id"))
    return Post(
        platform=PLATFORM,
        post_id=post_id,
        author=author,
        author_id=author_id,
        created_at=created,
        text=text,
        kind=kind,
        lang=norm_lang(t.get("lang")),
        in_reply_to_post_id=reply_to,
        in_reply_to_author=reply_author,
        conversation_id=conversation,
        mentions=mentions,
        url=status_url(author, post_id),
        raw=raw_json(t) if keep_raw else None,
        **counts,
    )


def v2_account(user: object, where: str) -> Account | Reject:
    name = _username(user)
    if name is None:
        return _bad(where, "username", "the user has no username")
    display = _get(user, "name")
    return Account(PLATFORM, name, display_name=display if isinstance(display, str) else None)


def _add_user(out: BatchBuilder, user: object, where: str) -> None:
    account = v2_account(user, where)
    if isinstance(account, Reject):
        out.add(account)
    else:
        out.add_account(account)


def _flat_users(t: dict) -> list[dict]:
    """User objects expanded in a flattened tweet (author, replied-to user, mentions, refs)."""
    found = [t.get("author"), t.get("in_reply_to_user")]
    found += _list(_get(t.get("entities"), "mentions"))
    for ref in _list(t.get("referenced_tweets")):
        found.append(_get(ref, "author"))
        found += _list(_get(_get(ref, "entities"), "mentions"))
    # a mention is a user object only where flatten expanded it (it then has a name)
    return [u for u in found if isinstance(u, dict) and "name" in u and _username(u)]


def _v2_page(obj: dict, lineno: int, out: BatchBuilder) -> None:
    includes = as_object(obj.get("includes"))
    users: dict[str, dict] = {}
    for k, user in enumerate(_list(includes.get("users"))):
        _add_user(out, user, f"line {lineno}: $.includes.users[{k}]")
        uid = native_id(_get(user, "id"))
        if uid:
            users[uid] = user
    data = obj["data"] if isinstance(obj["data"], list) else [obj["data"]]
    for section, tweets in (("data", data), ("includes.tweets", _list(includes.get("tweets")))):
        for i, t in enumerate(tweets):
            out.rows += 1
            out.add(v2_post(t, f"line {lineno}: $.{section}[{i}]", users, out.keep_raw))


def _v2_flat(obj: dict, lineno: int, out: BatchBuilder) -> None:
    users: dict[str, dict] = {}
    for user in _flat_users(obj):
        _add_user(out, user, f"line {lineno}: $")
        uid = native_id(user.get("id"))
        if uid:
            users[uid] = user
    out.rows += 1
    out.add(v2_post(obj, f"line {lineno}: $", users, out.keep_raw))
    for k, ref in enumerate(_list(obj.get("referenced_tweets"))):
        if isinstance(ref, dict) and "created_at" in ref:  # expanded, not just {type, id}
            out.rows += 1
            out.add(v2_post(ref, f"line {lineno}: $.referenced_tweets[{k}]", users,
                            out.keep_raw))


def _stream(
    path: Path,
    options: ReadOptions,
    progress: Callable[[int], None] | None,
    handle: Callable[[object, int, BatchBuilder], None],
    fast: Callable[[bytes, BatchBuilder], bool] | None = None,
    part: Part | None = None,
) -> Iterator[Batch]:
    """Batches of the file's lines: each line is offered to ``fast`` first (if given, and
    as bytes, when it is valid UTF-8), which either takes it whole or leaves it to
    ``handle`` and its explained rejects. Only lines left to ``handle`` are decoded.

    The cyclic garbage collector is paused while a batch fills: reading creates
    millions of short-lived objects and no reference cycles, and each collection
    would walk every object the batch holds so far.
    """
    out = BatchBuilder(min(options.chunk_rows, BATCH_POSTS), keep_raw=options.keep_raw)
    lines = iter_byte_lines(path, progress, part)
    done = False
    while not done:
        with gc_paused():
            for lineno, line in lines:
                if fast is not None and is_utf8(line) and fast(line, out):
                    pass
                else:
                    text, _ = decode_line(line)
                    if not text or text.isspace():
                        continue  # blank: not a row
                    if isinstance(value := parse_json_line(lineno, text), Reject):
                        out.rows += 1
                        out.add(value)
                    else:
                        handle(value, lineno, out)
                if out.full:
                    break
            else:
                done = True
            batch = None if out.empty else out.take()
        if batch is not None:
            yield batch


# -- the readers -----------------------------------------------------------------------------
@register
class TwitterV2Reader(Reader):
    name = "twitter-v2"
    platform = PLATFORM
    description = "Twitter/X API v2 JSON Lines as twarc2 writes them (pages or flattened)"
    kind = "posts"
    line_parts = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return looks_v2(head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        yield from self.read_part(path, options, None, progress)

    def read_part(
        self, path: Path, options: ReadOptions, part: Part | None,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[Batch]:
        yield from _stream(path, options, progress, self._line, fast=read_line, part=part)

    @staticmethod
    def _line(obj: object, lineno: int, out: BatchBuilder) -> None:
        if isinstance(obj, dict) and isinstance(obj.get("data"), list | dict):
            _v2_page(obj, lineno, out)
        elif _looks_v2_tweet(obj):
            _v2_flat(obj, lineno, out)
        elif isinstance(obj, dict) and "data" not in obj and ("meta" in obj or "errors" in obj):
            out.rows += 1  # a page without results (only meta/errors): nothing to import
        else:
            out.rows += 1
            out.add(Reject(f"line {lineno}", "not a Twitter API v2 page or tweet",
                           excerpt(raw_json(obj))))


@register
class TwitterV1Reader(Reader):
    name = "twitter-v1"
    platform = PLATFORM
    description = "legacy Twitter API v1.1 tweets, one JSON object per line"
    kind = "posts"
    line_parts = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return looks_v1(head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        yield from self.read_part(path, options, None, progress)

    def read_part(
        self, path: Path, options: ReadOptions, part: Part | None,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[Batch]:
        yield from _stream(path, options, progress, self._line, part=part)

    @staticmethod
    def _line(obj: object, lineno: int, out: BatchBuilder) -> None:
        if isinstance(obj, dict) and ("id_str" in obj or "id" in obj) and "user" in obj:
            for record, user in _v1_records(obj, f"line {lineno}: $", out.keep_raw):
                out.rows += 1
                out.add(record)
                account = legacy_account(user)
                if account is not None:
                    out.add_account(account)
        elif isinstance(obj, dict) and obj.keys() & _STREAM_CONTROL:
            out.rows += 1  # a stream control message (delete, limit, ...): it carries no post
        else:
            out.rows += 1
            out.add(Reject(f"line {lineno}", "not a Twitter API v1.1 tweet (needs id_str "
                           "and user)", excerpt(raw_json(obj))))

