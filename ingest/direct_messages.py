"""Readers for direct messages: an X archive's DM files and a Facebook Page's inbox.

Direct messages are the account's own data, for a ministry's self-benchmark: how fast
does its team answer the messages the public sends it privately? They are read only
from the account owner's own download, and kept out of every public figure and view
(see docs/methodology.md, section 1, "Direct message"): the analysis never writes
them to ``responses`` and keeps only their aggregate per account (``channel_metrics``);
the dashboard and the exports leave them out unless asked (``--include-dms``).

- ``x-dms``: ``data/direct-messages.js`` (``window.YTD.direct_messages.part0 = [...]``),
  its parts, and ``direct-messages-group.js`` (``direct_messages_group``) of the archive
  X lets an account download: the zip, its folder, or one of these files. Each entry is
  ``{"dmConversation": {"conversationId", "messages": [{"messageCreate": {"id",
  "senderId", "recipientId", "text", "createdAt"}}, ...]}}``; other message events
  (joins, reactions, renames) are not messages and are passed over. The owner's handle and
  id come from the archive's ``account.js`` (else ``manifest.js`` or ``README.txt``); for
  a lone file, ``--owner HANDLE`` names the handle, and the id is the one taking part in
  every one-to-one conversation (``conversationId`` is ``<id>-<id>``). Counterparts are
  known only by their numeric ids, which become their author names. An archive read with
  ``--format auto`` gives its tweets (``x-archive``): its DMs are read only when asked for
  with ``--format x-dms``.
- ``facebook-messages``: ``messages/inbox/<thread>/message_N.json`` of a Facebook Page's
  "Download your information" (a file, or a folder holding such files, each thread's
  files read together): ``participants[].name``, ``messages[]`` with ``sender_name``,
  ``timestamp_ms``, ``content``, and the thread's ``thread_path``. Facebook writes UTF-8
  as latin-1 escapes (mojibake); every string is repaired as in the ``facebook`` reader.
  The Page is ``--owner NAME``, else the one participant of every thread in the folder.
  Messages carry no id: each gets ``fbdm_`` + a hash of thread, sender, time and text, so
  a re-import or an overlapping download merges (two identical messages sent in the same
  millisecond become one).

Rows (platform ``x`` or ``facebook``, the same as the account's public posts, so that the
official account is the one named in the accounts file): one post per message, kind
``post``, in the conversation ``dm:<conversation id>``. A counterpart's message is
addressed to the owner (``in_reply_to_author``); the owner's message to the counterpart
(in a one-to-one conversation; in a group, to whoever wrote last before it). The analysis
then times a response as for threaded replies: the owner's first message after the
counterpart's, in the same conversation. Every message gets the channel
``direct_message`` in ``message_attributes``. Entries that cannot be read are rejected
with their file and JSON path (``data/direct-messages.js: $[3].dmConversation.messages[0]
.messageCreate.createdAt``) and the reason; the rest is kept.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from govwatch.errors import InputError
from govwatch.records import Account, Batch, MessageAttributes, Post, Reject, excerpt, posts_frame

from . import archive, sniffers
from .base import MAX_TEXT_CHARS, FieldError, Reader, ReadOptions, open_text
from .facebook import MAX_EPOCH, MIN_EPOCH, repair_tree
from .jsonio import jpath, load_json_text, parse_utc, read_text_strict
from .registry import register
from .twitter_rules import native_id
from .x_archive import JSArray, read_owner

CHANNEL = "direct_message"
BATCH_POSTS = 50_000
X_PLATFORM = "x"
FB_PLATFORM = "facebook"
XDM_FILE_RE = re.compile(r"^direct-messages(-group)?(?:-part\d+)?\.js$")
FB_FILE_RE = re.compile(r"^message_\d+\.json$")


@dataclass(frozen=True, slots=True)
class Message:
    """One direct message as read, before it is addressed."""

    msg_id: str
    sender: str  # X: the sender's user id; Facebook: the sender's name
    at: datetime
    text: str
    recipient: str | None = None  # X one-to-one messages name it


def conversation_posts(platform: str, conversation: str, messages: list[Message], owner: str,
                       owner_key: str, counterpart: str | None,
                       author_of: Callable[[str], str]) -> list[Post]:
    """The posts of one conversation, in time order, each addressed (see the module doc).

    ``owner_key`` is how messages name the owner as sender; ``counterpart`` the other
    participant of a one-to-one conversation (None for a group)."""
    out: list[Post] = []
    last_other = None
    for m in sorted(messages, key=lambda m: (m.at, m.msg_id)):
        if m.sender == owner_key:
            author = owner
            to = author_of(m.recipient) if m.recipient else (counterpart or last_other)
        else:
            author = author_of(m.sender)
            to = owner
            last_other = author
        out.append(Post(platform, m.msg_id, author, m.at, m.text, kind="post",
                        author_id=m.sender if platform == X_PLATFORM else None,
                        in_reply_to_author=to, conversation_id=f"dm:{conversation}"))
    return out


class _Out:
    """Posts and their channel attribute, flushed in batches."""

    def __init__(self, owner_account: Account):
        self.posts: list[Post] = []
        self.rejects: list[Reject] = []
        self.rows = 0
        self._account = owner_account
        self._first = True

    def add(self, posts: list[Post]) -> None:
        self.posts.extend(posts)

    @property
    def full(self) -> bool:
        return len(self.posts) >= BATCH_POSTS

    def take(self) -> Batch:
        from govwatch.records import accounts_frame

        posts, self.posts = self.posts, []
        attrs = [MessageAttributes(p.platform, p.post_id, CHANNEL) for p in posts]
        batch = Batch(posts=posts_frame(posts) if posts else None,
                      accounts=accounts_frame([self._account]) if self._first else None,
                      rejects=self.rejects, rows_read=self.rows, attributes=attrs)
        self._first, self.rejects, self.rows = False, [], 0
        return batch


def _text(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(where, "text is not a string")
    if len(value) > MAX_TEXT_CHARS:
        raise FieldError(where, f"text longer than {MAX_TEXT_CHARS:,} characters")
    return value


# -- X ------------------------------------------------------------------------------------------
class _XSource:
    """The DM files of one X archive (a zip, a folder, or one file) and the small files
    beside them (account.js, manifest.js, README.txt: whose archive it is)."""

    def __init__(self, path: Path):
        self.file = path
        self._zip = False
        if path.is_dir():
            folder = _xdm_folder(path)
            if folder is None:
                raise InputError(path, "the folder holds no data/direct-messages.js")
            self._base, self._folder = path, folder
            self.parts = [str((folder / n).relative_to(path)) for n in _xdm_files(folder)]
            return
        try:
            with open(path, "rb") as f:
                head = f.read(8)
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
        if archive.is_zip(head):
            self._zip = True
            names = [i.filename for i in archive.safe_members(path) if not i.is_dir()
                     and XDM_FILE_RE.match(i.filename.rsplit("/", 1)[-1])]
            if not names:
                raise InputError(path, "the zip holds no data/direct-messages.js: is it an X "
                                 "archive with messages?")
            zfolder = min({archive.posix_parent(n) for n in names},
                          key=lambda d: (not d.endswith("data"), d.count("/"), d))
            self._zfolder = zfolder
            self.parts = sorted(n for n in names if archive.posix_parent(n) == zfolder)
            archive.check_members(path, self.parts)
            return
        self._base, self._folder, self.parts = path.parent, path.parent, [path.name]

    def label(self, part: str) -> str | None:
        return None if self.parts == [self.file.name] and not self._zip else part

    def open(self, part: str) -> TextIO:
        if self._zip:
            return io.TextIOWrapper(archive.open_member(self.file, part),
                                    encoding="utf-8-sig", errors="surrogateescape")
        return open_text(self._base / part)

    def small(self, name: str) -> str | None:
        if self._zip:
            member = f"{self._zfolder}/{name}" if self._zfolder else name
            if member not in {i.filename for i in archive.safe_members(self.file)}:
                return None
            return archive.read_member(self.file, member).decode("utf-8-sig", errors="replace")
        path = self._folder / name
        if not path.is_file() or path.stat().st_size > 64 * archive.MiB:
            return None
        return path.read_bytes().decode("utf-8-sig", errors="replace")


def _xdm_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and XDM_FILE_RE.match(p.name))


def _xdm_folder(path: Path) -> Path | None:
    candidates = [path / "data", path]
    candidates += sorted(p / "data" for p in path.iterdir() if p.is_dir())
    return next((f for f in candidates if f.is_dir() and _xdm_files(f)), None)


def _conversations(source: _XSource, part: str) -> Iterator[tuple[str, dict | Reject]]:
    """(locator, dmConversation value or Reject) of one DM file."""
    label = source.label(part)
    with source.open(part) as stream:
        js = JSArray(stream, source.file, label, wrapper="dmConversation",
                     expect="direct_messages")
        if js.data_type not in ("direct_messages", "direct_messages_group"):
            raise InputError(source.file, f"this archive file holds '{js.data_type}', not "
                             "direct messages", label)
        for index, entry in js.entries():
            where = jpath(index, "dmConversation")
            where = f"{label}: {where}" if label else where
            if isinstance(entry, Reject):
                yield where, entry
            elif isinstance(entry, dict) and isinstance(entry.get("dmConversation"), dict):
                yield where, entry["dmConversation"]
            else:
                yield where, Reject(where, "not a dmConversation entry",
                                    excerpt(str(entry)))


def _pair(conversation_id: str) -> tuple[str, str] | None:
    a, sep, b = conversation_id.partition("-")
    return (a, b) if sep and a.isdigit() and b.isdigit() else None


def _owner_id(source: _XSource) -> str | None:
    """The one user id taking part in every one-to-one conversation of the files."""
    common: set[str] | None = None
    for part in source.parts:
        for _, conv in _conversations(source, part):
            pair = _pair(str(conv.get("conversationId"))) if isinstance(conv, dict) else None
            if pair:
                common = set(pair) if common is None else common & set(pair)
    return next(iter(common)) if common and len(common) == 1 else None


def _x_message(mc: dict) -> Message:
    msg_id = native_id(mc.get("id"))
    if msg_id is None:
        raise FieldError("id", "message id is missing or not a number")
    sender = native_id(mc.get("senderId"))
    if sender is None:
        raise FieldError("senderId", "senderId is missing or not a number")
    try:
        at = parse_utc(mc.get("createdAt"), None)
    except ValueError as exc:
        raise FieldError("createdAt", f"createdAt: {exc}") from None
    return Message(msg_id, sender, at, _text(mc.get("text"), "text"),
                   native_id(mc.get("recipientId")))


@register
class XDirectMessagesReader(Reader):
    name = "x-dms"
    platform = X_PLATFORM
    description = "X/Twitter archive direct messages (data/direct-messages.js, -group.js)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        if Path(path).is_dir():  # a whole archive is x-archive's unless this format is named
            return _xdm_folder(Path(path)) is not None
        return sniffers.x_dms(path, head)

    @staticmethod
    def input_files(path: Path) -> list[Path]:
        path = Path(path)
        if not path.is_dir():
            return [path]
        folder = _xdm_folder(path)
        if folder is None:
            return []
        meta = [folder / n for n in ("account.js", "manifest.js", "README.txt")
                if (folder / n).is_file()]
        return [folder / n for n in _xdm_files(folder)] + meta

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        source = _XSource(Path(path))
        owner, meta_rejects = read_owner(source)  # type: ignore[arg-type]
        handle = options.owner or owner.handle
        owner_id = owner.account_id or _owner_id(source)
        if handle is None or owner_id is None:
            raise InputError(path, "cannot tell whose messages these are: import the whole "
                             "archive (the zip or its folder, with account.js), or pass "
                             "--owner HANDLE with a file holding two or more conversations")
        out = _Out(Account(X_PLATFORM, handle, display_name=owner.display_name))
        out.rejects.extend(meta_rejects)

        def author_of(user_id: str) -> str:
            return handle if user_id == owner_id else user_id

        for part in source.parts:
            for where, conv in _conversations(source, part):
                if isinstance(conv, Reject):
                    out.rows += 1
                    out.rejects.append(conv)
                    continue
                out.add(self._conversation(conv, where, out, owner_id, handle, author_of))
                if out.full:
                    yield out.take()
        if progress:
            progress(sum(f.stat().st_size for f in self.input_files(Path(path))))
        yield out.take()

    @staticmethod
    def _conversation(conv: dict, where: str, out: _Out, owner_id: str, handle: str,
                      author_of: Callable[[str], str]) -> list[Post]:
        cid = conv.get("conversationId")
        items = conv.get("messages")
        if not isinstance(cid, str | int) or not str(cid).strip():
            out.rows += 1
            out.rejects.append(Reject(f"{where}.conversationId", "conversationId is missing",
                                      excerpt(str(conv))))
            return []
        if not isinstance(items, list):
            out.rows += 1
            out.rejects.append(Reject(f"{where}.messages", "messages is not a list",
                                      excerpt(str(items))))
            return []
        cid = str(cid).strip()
        pair = _pair(cid)
        if pair and owner_id not in pair:
            out.rows += len(items)
            out.rejects.append(Reject(f"{where}.conversationId", f"the account ({owner_id}) "
                                      "does not take part in this conversation", cid))
            return []
        counterpart = None if pair is None else author_of(pair[1] if pair[0] == owner_id
                                                          else pair[0])
        messages = []
        for j, item in enumerate(items):
            loc = f"{where}.messages[{j}]"
            if not isinstance(item, dict):
                out.rows += 1
                out.rejects.append(Reject(loc, "message is not a JSON object", excerpt(str(item))))
                continue
            mc = item.get("messageCreate")
            if mc is None:
                continue  # a join, a rename, a reaction: not a message
            out.rows += 1
            try:
                if not isinstance(mc, dict):
                    raise FieldError("", "messageCreate is not a JSON object")
                messages.append(_x_message(mc))
            except FieldError as exc:
                sub = f".{exc.where}" if exc.where else ""
                out.rejects.append(Reject(f"{loc}.messageCreate{sub}", str(exc),
                                          excerpt(str(mc))))
        return conversation_posts(X_PLATFORM, cid, messages, handle, owner_id, counterpart,
                                  author_of)


# -- Facebook -----------------------------------------------------------------------------------
def _fb_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("message_*.json")
                  if p.is_file() and FB_FILE_RE.match(p.name))


def _messages_folder(folder: Path) -> bool:
    """True for a folder of message files only (an inbox, or one thread): a whole download
    folder holds posts too, and is read file by file."""
    found = False
    for p in folder.rglob("*.json"):
        if not FB_FILE_RE.match(p.name):
            return False
        found = True
    return found


def _fb_doc(file: Path) -> dict:
    doc = repair_tree(load_json_text(file, read_text_strict(file)))
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise InputError(file, "not a Facebook messages file: expected an object with "
                         "participants and a messages list", "$")
    return doc


def _participants(doc: dict) -> list[str]:
    people = doc.get("participants")
    if not isinstance(people, list):
        return []
    return [p["name"].strip() for p in people
            if isinstance(p, dict) and isinstance(p.get("name"), str) and p["name"].strip()]


def fb_message_id(thread: str, sender: str, ms: int, text: str) -> str:
    digest = hashlib.sha256(f"{thread}\x1f{sender}\x1f{ms}\x1f{text}".encode()).hexdigest()
    return "fbdm_" + digest[:24]


def _fb_message(thread: str, item: object) -> Message:
    if not isinstance(item, dict):
        raise FieldError("", "message is not a JSON object")
    sender = item.get("sender_name")
    if not isinstance(sender, str) or not sender.strip():
        raise FieldError("sender_name", "sender_name is missing")
    ms = item.get("timestamp_ms")
    if isinstance(ms, bool) or not isinstance(ms, int) or not (
            MIN_EPOCH * 1000 <= ms <= MAX_EPOCH * 1000):
        raise FieldError("timestamp_ms", f"timestamp_ms {str(ms)[:20]!r} is not a time in "
                   "milliseconds since 1970 (2004-2100)")
    text = _text(item.get("content"), "content")
    sender = sender.strip()
    return Message(fb_message_id(thread, sender, ms, text), sender,
                   datetime.fromtimestamp(ms / 1000, tz=UTC), text)


@register
class FacebookMessagesReader(Reader):
    name = "facebook-messages"
    platform = FB_PLATFORM
    description = "Facebook Page messages (messages/inbox/<thread>/message_N.json, or the folder)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        if Path(path).is_dir():
            return _messages_folder(Path(path))
        return sniffers.facebook_messages(path, head)

    @staticmethod
    def input_files(path: Path) -> list[Path]:
        path = Path(path)
        return _fb_files(path) if path.is_dir() else [path]

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        path = Path(path)
        folder = path.is_dir()
        files = _fb_files(path) if folder else [path]
        threads: dict[str, list[tuple[Path, str | None]]] = defaultdict(list)
        for f in files:  # a thread's files (message_1.json, message_2.json) sit together
            threads[str(f.parent)].append((f, str(f.relative_to(path)) if folder else None))
        owner = options.owner or self._common_participant(path, files, folder)
        out = _Out(Account(FB_PLATFORM, owner, display_name=owner))
        done = 0
        for key in sorted(threads):
            out.add(self._thread(threads[key], owner, out))
            done += sum(f.stat().st_size for f, _ in threads[key])
            if progress:
                progress(done)
            if out.full:
                yield out.take()
        yield out.take()

    @staticmethod
    def _common_participant(path: Path, files: list[Path], folder: bool) -> str:
        common: set[str] | None = None
        threads = set()
        for f in files:
            try:
                names = set(_participants(_fb_doc(f)))
            except InputError:
                continue  # rejected when read
            threads.add(f.parent)
            common = names if common is None else common & names
        if len(threads) < 2 or not common or len(common) != 1:
            raise InputError(path, "cannot tell which participant is the Page: pass --owner "
                             "'Page name'" + ("" if folder else " (or import the inbox folder)"))
        return next(iter(common))

    @staticmethod
    def _thread(files: list[tuple[Path, str | None]], owner: str, out: _Out) -> list[Post]:
        messages: list[Message] = []
        people: set[str] = set()
        thread = None
        for file, label in files:
            prefix = f"{label}: " if label else ""
            try:
                doc = _fb_doc(file)
            except InputError as exc:
                if label is None:
                    raise
                out.rows += 1
                out.rejects.append(Reject(f"{prefix}{exc.locator or '$'}", exc.reason))
                continue
            names = _participants(doc)
            people.update(names)
            thread = thread or (doc.get("thread_path") if isinstance(doc.get("thread_path"), str)
                                else None) or file.parent.name
            if owner not in names:
                out.rows += len(doc["messages"])
                out.rejects.append(Reject(f"{prefix}$.participants", f"the Page {owner!r} is not "
                                          "a participant of this thread", excerpt(", ".join(names))))
                continue
            for j, item in enumerate(doc["messages"]):
                out.rows += 1
                try:
                    messages.append(_fb_message(thread, item))
                except FieldError as exc:
                    sub = f".{exc.where}" if exc.where else ""
                    out.rejects.append(Reject(f"{prefix}$.messages[{j}]{sub}", str(exc),
                                              excerpt(str(item))))
        others = sorted(people - {owner})
        counterpart = others[0] if len(others) == 1 else None
        return conversation_posts(FB_PLATFORM, thread or "", messages, owner, owner,
                                  counterpart, lambda name: name)
