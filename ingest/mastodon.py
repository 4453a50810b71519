"""Mastodon readers: the account archive's ActivityPub outbox, and statuses saved from the REST API.

Handles are ``user@instance`` everywhere
----------------------------------------
A Mastodon username is unique only on its instance, so both readers write every author,
mention and reply target as ``user@instance`` (no leading ``@``, instance lower-cased). An
accounts CSV naming ``health@social.gov.example`` therefore matches that account's posts
whether they came from its archive or from the API. Local accounts, which the API (``acct``)
and ActivityPub (Mention ``name``) write without their instance, get it from their profile
URL (``account.url``, the Mention ``href``). Instances whose web domain differs from their
account domain (``WEB_DOMAIN``) are named by the web domain.

post_id is the status URI
-------------------------
post_id is the status's ActivityPub id, ``https://host/users/name/statuses/123`` on Mastodon:
the ``id`` of the Note in the archive and the ``uri`` of a Status in the API, so a status read
from both sources is stored once. A boost is stored under its own URI (``.../activity``), the
same in both sources, with kind ``repost`` and ``url`` pointing at the boosted status.

``mastodon-archive`` reads ``outbox.json`` from "Export > Request your archive": an
ActivityPub OrderedCollection whose ``orderedItems`` are ``Create`` (of a Note, Question or
Article) and ``Announce`` (a boost) activities. The file is one JSON document and is loaded
whole; an account's outbox is at most a few tens of megabytes. ``actor.json`` beside it names
the owner (``preferredUsername`` + the host of ``url``), who becomes an Account row
(not official: only an accounts file makes an account official). Without ``actor.json`` the
owner is read from the activities' ``actor`` URI. Locators are JSON paths such as
``$.orderedItems[12].object.published``.
- text: the HTML ``content`` as plain text (paragraphs and line breaks kept, tags dropped,
  entities unescaped), preceded by the content warning (``summary``) when there is one.
- in_reply_to_post_id: ``inReplyTo`` (dangling when the parent is not in the data).
  in_reply_to_author: the Mention in ``tag`` whose profile URL the parent URI starts with, else
  the user part of a Mastodon-style parent URI (``https://host/users/name/statuses/id``); other
  servers' URIs (``/objects/uuid``, ``/notes/id``) do not name the user, and it stays empty.
- mentions: the ``Mention`` entries of ``tag``; conversation_id: the Note's ``conversation``
  (Mastodon's thread URI; the REST API does not expose it); lang: the single ``contentMap`` key.
- visibility (``to``/``cc``) is not a column; ``--keep-raw`` keeps it in ``raw`` with the whole
  activity.

``mastodon-api`` reads what the REST API returned, saved as JSON: a list of Status entities
(``/api/v1/accounts/:id/statuses``, timelines), a Status (``/api/v1/statuses/:id``), a context
(``/api/v1/statuses/:id/context``: ``{ancestors, descendants}``), search results
(``{statuses}``), notifications (``/api/v1/notifications``: each mention's ``status``; other
notifications are skipped), or JSON Lines of any of them. This is where the public's replies to an
official live.
- Status ids and account ids are local to the instance that served the file, so one file must
  come from one instance. They are used only to resolve links: ``in_reply_to_id`` becomes
  1. the parent's ``uri`` when the parent is in the file; else
  2. when the parent's author is local to the serving instance (the status's ``mentions``
     list it, ``acct`` without ``@``) and the file shows Mastodon's URI scheme for local
     statuses (``https://host/users/<username>/statuses/<id>``, checked on a local status in
     the file), that URI, so a reply links to a parent saved in another file (a context
     response leaves out the status it is the context of); else
  3. ``https://<instance>/api/v1/statuses/<id>``: that status's address on the serving
     instance, a link that stays dangling.
  ``in_reply_to_account_id`` becomes a handle through the status's own ``mentions``
  (Mastodon lists the account replied to there) or any account in the file. The serving
  instance is the host of a local account's URL (``acct`` without ``@``); when no account in
  the file is local, the status's own host stands in.
- A JSON Lines file is read twice (first for those id maps, then for the rows); a JSON
  document is loaded whole.
- A boost (``reblog`` set) gives two rows: the boosted status and the boost (kind repost).
- like/share/reply counts: ``favourites_count``, ``reblogs_count``, ``replies_count``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from govwatch.errors import InputError
from govwatch.records import Account, Batch, Post, Reject, accounts_frame, excerpt, posts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions
from .json_recovery import load_json_document
from .jsonio import (
    NESTED_REASON,
    as_object,
    is_json_lines,
    iter_json_lines,
    jpath,
    load_json_text,
    parse_utc,
    read_text_strict,
)
from .registry import register

PLATFORM = "mastodon"
POST_OBJECT_TYPES = ("Note", "Question", "Article", "Page")
_AP_USER_URI = re.compile(r"^https?://([^/]+)/(?:users/|@)([^/@?#]+)")


# --------------------------------------------------------------------------- helpers


def _edited(when: object, options: ReadOptions) -> datetime | None:
    """A status's edit time (API ``edited_at``, ActivityPub ``updated``): Mastodon names
    every edit, so an unedited text is current since it was published."""
    if not isinstance(when, str) or not when:
        return None
    try:
        return parse_utc(when, options.assume_tz, options.ambiguous_time)
    except ValueError:
        return None


class _Bad(Exception):
    """A record that cannot be used: where and why (becomes a Reject)."""

    def __init__(self, locator: str, reason: str):
        super().__init__(reason)
        self.locator = locator
        self.reason = reason


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCKS and self.parts:
            self.parts.append("\n\n")
        elif tag == "li" and self.parts:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Plain text of Mastodon's status HTML: paragraphs become blank lines, ``<br>`` a line
    break; tags are dropped (a link keeps its full visible and hidden text, so URLs stay
    whole) and entities are unescaped."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _host(url: object) -> str | None:
    if not isinstance(url, str):
        return None
    host = urlsplit(url).hostname
    return host.lower() if host else None


def handle_from_acct(acct: object, profile_url: object) -> str | None:
    """``user@instance`` from an acct (``user`` or ``user@instance``) and a profile URL."""
    if not isinstance(acct, str) or not acct.strip("@ "):
        return None
    acct = acct.strip().lstrip("@")
    if "@" in acct:
        user, _, host = acct.partition("@")
        return f"{user}@{host.lower()}"
    domain = _host(profile_url)
    return f"{acct}@{domain}" if domain else None


def handle_from_uri(uri: object) -> str | None:
    """``user@host`` from a Mastodon-style actor or status URI, else None."""
    if not isinstance(uri, str):
        return None
    m = _AP_USER_URI.match(uri)
    return f"{m.group(2)}@{m.group(1).lower()}" if m else None


def _with_warning(warning: object, body: str) -> str:
    """The content warning (plain text in both ActivityPub and the API) above the body."""
    warning = warning.strip() if isinstance(warning, str) else ""
    return f"{warning}\n\n{body}".strip() if warning else body


def _lang(code: object) -> str | None:
    """A language code, lower-cased; Mastodon's camel-cased keys (``zhCn``) become ``zh-cn``."""
    if not isinstance(code, str) or not code:
        return None
    return re.sub(r"([a-z])([A-Z])", r"\1-\2", code).replace("_", "-").lower()


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _raw(record: object) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _check_text(text: str, locator: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise _Bad(locator, f"text longer than {MAX_TEXT_CHARS:,} characters")
    return text


@dataclass
class _Batcher:
    """Collects posts and rejects, and cuts them into Batches of ``size`` posts."""

    size: int
    posts: list[Post] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    rows: int = 0

    def full(self) -> bool:
        return len(self.posts) >= self.size

    def take(self) -> Batch:
        batch = Batch(
            posts=posts_frame(self.posts),
            accounts=accounts_frame(self.accounts) if self.accounts else None,
            rejects=self.rejects,
            rows_read=self.rows,
        )
        self.posts, self.rejects, self.accounts, self.rows = [], [], [], 0
        return batch

    def pending(self) -> bool:
        return bool(self.posts or self.rejects or self.accounts or self.rows)


# --------------------------------------------------------------------------- archive


@dataclass(frozen=True)
class _Owner:
    handle: str | None
    actor_id: str | None
    display_name: str | None = None


def _owner_from_actor(path: Path) -> tuple[_Owner | None, Reject | None]:
    actor_path = path.parent / "actor.json"
    if not actor_path.is_file():
        return None, None
    try:
        actor = json.loads(actor_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, Reject("actor.json", f"actor.json beside the outbox is unreadable: {exc}")
    except RecursionError:
        return None, Reject("actor.json", f"actor.json beside the outbox: {NESTED_REASON}")
    if not isinstance(actor, dict) or not isinstance(actor.get("preferredUsername"), str):
        return None, Reject("actor.json", "actor.json has no preferredUsername")
    host = _host(actor.get("url")) or _host(actor.get("id"))
    if host is None:
        return None, Reject("actor.json", "actor.json has neither url nor id to name the instance")
    name = actor.get("name") if isinstance(actor.get("name"), str) else None
    actor_id = actor.get("id") if isinstance(actor.get("id"), str) else None
    return _Owner(f"{actor['preferredUsername']}@{host}", actor_id, name or None), None


def _mention_handles(tags: object) -> list[tuple[str, str]]:
    """(profile URL, handle) of each Mention in an ActivityPub ``tag`` list."""
    out = []
    for tag in tags if isinstance(tags, list) else []:
        if not isinstance(tag, dict) or tag.get("type") != "Mention":
            continue
        href = tag.get("href")
        handle = handle_from_acct(tag.get("name"), href) or handle_from_uri(href)
        if handle:
            out.append((href if isinstance(href, str) else "", handle))
    return out


def _first_url(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _first_url(value.get("href"))
    if isinstance(value, list) and value:
        return _first_url(value[0])
    return None


def _object_id(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


@register
class MastodonArchiveReader(Reader):
    name = "mastodon-archive"
    platform = PLATFORM
    description = "Mastodon account archive: outbox.json (ActivityPub), with actor.json beside it"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.mastodon_archive(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        doc, bad = load_json_document(path)
        if progress:
            progress(path.stat().st_size)
        items = doc.get("orderedItems") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            if bad is not None:
                bad.rejects(())  # refuses the file, naming its first bad byte
            raise InputError(path, "not an ActivityPub outbox: no orderedItems list", "$")
        # activities holding bytes that are not UTF-8: rejected, the others imported
        spoilt = {} if bad is None else bad.rejects(
            ("orderedItems", i) for i in range(len(items)))
        owner, problem = _owner_from_actor(path)
        out = _Batcher(options.chunk_rows)
        if problem:
            out.rejects.append(problem)
        if owner is None:
            first_actor = next((item.get("actor") for i, item in enumerate(items)
                                if isinstance(item, dict) and ("orderedItems", i) not in spoilt),
                               None)
            owner = _Owner(handle_from_uri(first_actor), _object_id(first_actor))
        if owner.handle:
            out.accounts.append(
                Account(PLATFORM, owner.handle, official=False, display_name=owner.display_name)
            )
        for i, item in enumerate(items):
            out.rows += 1
            try:
                if ("orderedItems", i) in spoilt:
                    out.rejects.append(spoilt[("orderedItems", i)])
                else:
                    out.posts.append(self._activity(item, jpath("orderedItems", i), owner,
                                                    options))
            except _Bad as err:
                out.rejects.append(Reject(err.locator, err.reason, excerpt(_raw(item))))
            if out.full():
                yield out.take()
        if out.pending():
            yield out.take()

    def _activity(self, item: object, loc: str, owner: _Owner, options: ReadOptions) -> Post:
        if not isinstance(item, dict):
            raise _Bad(loc, "activity is not a JSON object")
        kind = item.get("type")
        if kind == "Announce":
            return self._announce(item, loc, owner, options)
        if kind != "Create":
            raise _Bad(f"{loc}.type", f"activity type '{kind}' is neither Create nor Announce")
        obj = item.get("object")
        if not isinstance(obj, dict):
            raise _Bad(f"{loc}.object", "Create activity has no object")
        if obj.get("type") not in POST_OBJECT_TYPES:
            raise _Bad(f"{loc}.object.type", f"object type '{obj.get('type')}' is not a post")
        post_id = obj.get("id")
        if not isinstance(post_id, str) or not post_id:
            raise _Bad(f"{loc}.object.id", "object has no id")
        author = self._author(obj.get("attributedTo") or item.get("actor"), owner, loc)
        when = obj.get("published") or item.get("published")
        try:
            created = parse_utc(when, options.assume_tz, options.ambiguous_time)
        except ValueError as exc:
            raise _Bad(f"{loc}.object.published", f"published: {exc}") from None
        text = _with_warning(obj.get("summary"), html_to_text(obj.get("content")))
        if obj.get("type") in ("Article", "Page") and isinstance(obj.get("name"), str):
            text = f"{obj['name']}\n\n{text}".strip()
        mentions = _mention_handles(obj.get("tag"))
        parent = _object_id(obj.get("inReplyTo"))
        langs = obj.get("contentMap")
        return Post(
            platform=PLATFORM,
            post_id=post_id,
            author=author,
            author_id=_object_id(obj.get("attributedTo")) or owner.actor_id,
            created_at=created,
            text=_check_text(text, f"{loc}.object.content"),
            kind="reply" if parent else "post",
            lang=_lang(next(iter(langs))) if isinstance(langs, dict) and len(langs) == 1 else None,
            in_reply_to_post_id=parent,
            in_reply_to_author=self._parent_author(parent, mentions, post_id, author),
            conversation_id=_object_id(obj.get("conversation") or obj.get("context")),
            mentions=tuple(dict.fromkeys(h for _, h in mentions)),
            url=_first_url(obj.get("url")),
            raw=_raw(item),
            version_at=_edited(obj.get("updated"), options) or created,
        )

    def _announce(self, item: dict, loc: str, owner: _Owner, options: ReadOptions) -> Post:
        post_id = item.get("id")
        if not isinstance(post_id, str) or not post_id:
            raise _Bad(f"{loc}.id", "Announce activity has no id")
        boosted = _object_id(item.get("object"))
        if boosted is None:
            raise _Bad(f"{loc}.object", "Announce activity names no boosted status")
        try:
            created = parse_utc(item.get("published"), options.assume_tz, options.ambiguous_time)
        except ValueError as exc:
            raise _Bad(f"{loc}.published", f"published: {exc}") from None
        return Post(
            platform=PLATFORM,
            post_id=post_id,
            author=self._author(item.get("actor"), owner, loc),
            author_id=_object_id(item.get("actor")) or owner.actor_id,
            created_at=created,
            kind="repost",
            url=boosted,
            raw=_raw(item),
        )

    @staticmethod
    def _author(actor: object, owner: _Owner, loc: str) -> str:
        actor_id = _object_id(actor)
        if owner.handle and (actor_id is None or actor_id == owner.actor_id):
            return owner.handle
        handle = handle_from_uri(actor_id)
        if handle is None:
            raise _Bad(f"{loc}.actor", "cannot tell who wrote this (no actor.json, odd actor URI)")
        return handle

    @staticmethod
    def _parent_author(
        parent: str | None, mentions: list[tuple[str, str]], post_id: str, author: str
    ) -> str | None:
        if not parent:
            return None
        for href, handle in mentions:
            if href and parent.startswith(href.rstrip("/") + "/"):
                return handle
        own_prefix = post_id.rsplit("/statuses/", 1)[0] + "/statuses/"
        if "/statuses/" in post_id and parent.startswith(own_prefix):
            return author  # a thread continued by its own author
        return handle_from_uri(parent)


# --------------------------------------------------------------------------- REST API


@dataclass
class _FileIndex:
    """What links inside one API file resolve against (ids are local to its instance)."""

    uri_by_id: dict[str, str] = field(default_factory=dict)
    handle_by_account_id: dict[str, str] = field(default_factory=dict)
    instance: str | None = None
    # "https://host/users/" when a local status in the file shows Mastodon's URI scheme
    # (uri = https://host/users/<username>/statuses/<id>), so local ids can be turned into URIs.
    local_uri_base: str | None = None

    def add(self, status: dict) -> None:
        for s in (status, status.get("reblog")):
            if not isinstance(s, dict):
                continue
            if isinstance(s.get("uri"), str) and s.get("id") is not None:
                self.uri_by_id[str(s["id"])] = s["uri"]
            account = s.get("account")
            if not isinstance(account, dict):
                continue
            if account.get("id") is not None:
                handle = handle_from_acct(account.get("acct"), account.get("url"))
                if handle:
                    self.handle_by_account_id[str(account["id"])] = handle
            acct = account.get("acct")
            if isinstance(acct, str) and acct and "@" not in acct:
                self.instance = self.instance or _host(account.get("url"))
                uri = s.get("uri")
                tail = f"/users/{account.get('username')}/statuses/{s.get('id')}"
                if self.local_uri_base is None and isinstance(uri, str) and uri.endswith(tail):
                    self.local_uri_base = uri[: -len(tail)] + "/users/"

    def parent_uri(self, parent_id: object, parent_mention: dict | None, own_uri: str) -> str:
        """The URI of the status ``parent_id`` (an id local to this file's instance)."""
        known = self.uri_by_id.get(str(parent_id))
        if known:
            return known
        acct = parent_mention.get("acct") if parent_mention else None
        username = parent_mention.get("username") if parent_mention else None
        if self.local_uri_base and isinstance(acct, str) and "@" not in acct and username:
            return f"{self.local_uri_base}{username}/statuses/{parent_id}"
        return f"https://{self.instance or _host(own_uri)}/api/v1/statuses/{parent_id}"


def _statuses(doc: object, prefix: str) -> Iterator[tuple[str, object]]:
    """(locator, status) for each Status in one saved API response."""
    if isinstance(doc, list):
        for i, s in enumerate(doc):
            if isinstance(s, dict) and isinstance(s.get("status"), dict) and "type" in s:
                yield f"{prefix}[{i}].status", s["status"]  # a Notification (a mention)
            elif isinstance(s, dict) and "type" in s and "status" not in s and "uri" not in s:
                continue  # a notification without a status (a follow): nothing to read
            else:
                yield f"{prefix}[{i}]", s
    elif isinstance(doc, dict) and ("ancestors" in doc or "descendants" in doc):
        for part in ("ancestors", "descendants"):
            for i, s in enumerate(doc.get(part) or []):
                yield f"{prefix}.{part}[{i}]", s
    elif isinstance(doc, dict) and isinstance(doc.get("statuses"), list):
        for i, s in enumerate(doc["statuses"]):
            yield f"{prefix}.statuses[{i}]", s
    else:
        yield prefix, doc


@register
class MastodonAPIReader(Reader):
    name = "mastodon-api"
    platform = PLATFORM
    description = ("Mastodon REST API statuses, /context, search or notifications responses "
                   "saved as JSON or JSON Lines")
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.mastodon_api(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        if is_json_lines(path):
            index = _FileIndex()
            for _, value in self._documents_lines(path, None):
                if not isinstance(value, Reject):
                    for _, status in _statuses(value, "$"):
                        if isinstance(status, dict):
                            index.add(status)
            yield from self._rows(self._documents_lines(path, progress), index, options)
        else:
            doc = load_json_text(path, read_text_strict(path))
            if progress:
                progress(path.stat().st_size)
            index = _FileIndex()
            for _, status in _statuses(doc, "$"):
                if isinstance(status, dict):
                    index.add(status)
            yield from self._rows([("", doc)], index, options)

    @staticmethod
    def _documents_lines(path: Path, progress) -> Iterator[tuple[str, object]]:
        for lineno, value in iter_json_lines(path, progress):
            yield f"line {lineno}: ", value

    def _rows(
        self, documents: Iterable[tuple[str, object]], index: _FileIndex, options: ReadOptions
    ) -> Iterator[Batch]:
        out = _Batcher(options.chunk_rows)
        for where, doc in documents:
            if isinstance(doc, Reject):
                out.rows += 1
                out.rejects.append(doc)
                continue
            for loc, status in _statuses(doc, f"{where}$"):
                out.rows += 1
                try:
                    out.posts.extend(self._status_posts(status, loc, index, options))
                except _Bad as bad:
                    out.rejects.append(Reject(bad.locator, bad.reason, excerpt(_raw(status))))
                if out.full():
                    yield out.take()
        if out.pending():
            yield out.take()

    def _status_posts(
        self, status: object, loc: str, index: _FileIndex, options: ReadOptions
    ) -> list[Post]:
        if not isinstance(status, dict):
            raise _Bad(loc, "not a Status object")
        reblog = status.get("reblog")
        if isinstance(reblog, dict):
            original = self._post(reblog, f"{loc}.reblog", index, options)
            boost = self._post(status, loc, index, options, repost_of=original)
            return [original, boost]
        return [self._post(status, loc, index, options)]

    def _post(
        self,
        s: dict,
        loc: str,
        index: _FileIndex,
        options: ReadOptions,
        repost_of: Post | None = None,
    ) -> Post:
        uri = s.get("uri")
        if not isinstance(uri, str) or not uri:
            raise _Bad(f"{loc}.uri", "status has no uri")
        account = as_object(s.get("account"))
        author = handle_from_acct(account.get("acct"), account.get("url") or uri)
        if author is None:
            raise _Bad(f"{loc}.account.acct", "status has no account acct")
        try:
            created = parse_utc(s.get("created_at"), options.assume_tz, options.ambiguous_time)
        except ValueError as exc:
            raise _Bad(f"{loc}.created_at", f"created_at: {exc}") from None
        common: dict[str, Any] = dict(
            platform=PLATFORM,
            post_id=uri,
            author=author,
            author_id=account.get("uri") if isinstance(account.get("uri"), str) else None,
            created_at=created,
            like_count=_count(s.get("favourites_count")),
            share_count=_count(s.get("reblogs_count")),
            reply_count=_count(s.get("replies_count")),
            raw=_raw(s),
            version_at=_edited(s.get("edited_at"), options) or created,
        )
        if repost_of is not None:
            return Post(**common, kind="repost", url=repost_of.url or repost_of.post_id)
        listed = [m for m in s.get("mentions") or [] if isinstance(m, dict)]
        mentions = [handle_from_acct(m.get("acct"), m.get("url")) for m in listed]
        parent_account = s.get("in_reply_to_account_id")
        parent_mention = next(
            (m for m in listed if parent_account is not None
             and str(m.get("id")) == str(parent_account)), None,
        )
        parent_id = s.get("in_reply_to_id")
        parent = None if parent_id is None else index.parent_uri(parent_id, parent_mention, uri)
        parent_author = None
        if parent_mention is not None:
            parent_author = handle_from_acct(parent_mention.get("acct"), parent_mention.get("url"))
        elif parent_account is not None:
            parent_author = index.handle_by_account_id.get(str(parent_account))
        text = _with_warning(s.get("spoiler_text"), html_to_text(s.get("content")))
        lang = s.get("language")
        return Post(
            **common,
            text=_check_text(text, f"{loc}.content"),
            kind="reply" if parent else "post",
            lang=_lang(lang),
            in_reply_to_post_id=parent,
            in_reply_to_author=parent_author,
            mentions=tuple(dict.fromkeys(h for h in mentions if h)),
            url=s.get("url") if isinstance(s.get("url"), str) else None,
        )
