"""Reader for the X (Twitter) account archive: ``data/tweets.js`` and its parts.

The archive an account owner downloads from X ("Download an archive of your
data") is a zip holding ``data/tweets.js``::

    window.YTD.tweets.part0 = [ { "tweet" : { "id_str" : "...", ... } }, ... ]

Large accounts get more parts (``tweets-part1.js``, ...); archives made before
2022 call the file ``tweet.js`` (``window.YTD.tweet.part0``), and the oldest
ones leave out the ``{"tweet": ...}`` wrapper. All of these are read. The reader
accepts the zip itself, the extracted folder (or its ``data`` folder), or one
``tweets.js``/``tweets-partN.js`` file; the zip is streamed, never extracted
(see :mod:`govwatch.ingest.archive` for the checks against hostile archives).

Whose archive. The tweets carry no author: the archive holds only the owner's
own posts. The owner's handle, account id and display name come from, in this
order, ``account.js`` (only ``username``, ``accountId`` and
``accountDisplayName`` are read; its e-mail address never is), ``manifest.js``
(``userInfo``) or X's ``README.txt`` found beside the tweets. When none is
there (a lone ``tweets.js`` copied elsewhere), the handle is learnt from a reply
the owner made to one of its own posts (a thread): ``in_reply_to_screen_name``
of a reply whose parent is in the archive. If even that fails the import stops
with a message asking for the whole archive. The owner becomes an account row
(official stays False unless the accounts CSV says otherwise).

Field mapping (the legacy tweet shape, shared with ``twitter-v1``): ``id_str`` is
the post id; ``created_at`` ("Wed Oct 10 20:19:24 +0000 2018") becomes UTC;
``full_text`` is the text with ``&amp; &lt; &gt;`` undone;
``in_reply_to_status_id_str``/``in_reply_to_screen_name`` are the reply links
(a reply to the owner's own id names the owner's current handle, as handles change);
the kind is ``repost`` for text starting "RT @", ``reply`` when there is a
parent id, ``quote`` when the last link points at another post on X (the archive
keeps no quote fields; a reply that quotes stays a reply), else ``post``;
``entities.user_mentions`` give the mentions; ``favorite_count`` and
``retweet_count`` (text in the archive) the like and share counts; the url is
``https://x.com/<handle>/status/<id>``; ``raw`` keeps the tweet's JSON (with ``--keep-raw``).

Parents that are not in the archive. The owner's replies name the post they
answer, but that post (usually a citizen's question) is not in the owner's
archive. For each such parent the reader also emits a stub post: the parent id,
author ``in_reply_to_screen_name`` (the owner's handle when the parent is the
owner's own), no text, kind ``post``, and ``created_at`` derived from the id
(an X id encodes its creation time to the millisecond) with
``created_at_derived`` true. Response latency can then be timed even though the
question is absent; a later import that holds the real post replaces the derived
time and fills the text. Parents present in the archive (the owner's own
threads) get no stub; nor do parents with pre-2010 ids (no time in the id) or
with neither a handle nor a user id to name the author.

Bad entries become rejects located by JSON path (``$[12].tweet.created_at``,
prefixed by the file inside a folder or zip: ``data/tweets.js: $[12]...``). A
truncated file keeps every complete entry and rejects the cut one with its line
and column; an entry that is not valid JSON is rejected and reading resumes at
the next entry (found by the ``{"tweet" :`` wrapper, or for unwrapped entries by a
closing brace at the start of a line). A file that is not an archive data file at
all is an InputError.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from govwatch.errors import InputError
from govwatch.records import Account, Batch, Post, Reject, excerpt

from . import archive, sniffers
from .base import Reader, ReadOptions, open_text
from .jsonio import NESTED_REASON, jpath, snowflake_time
from .registry import register
from .sniffers import TWEET_FILE_RE
from .twitter_json import BATCH_POSTS, PLATFORM, BatchBuilder, legacy_post, native_id, status_url

_HEADER_RE = re.compile(r"\s*window\.YTD\.([A-Za-z0-9_]+)\.part(\d+)\s*=\s*\[")
_WS_RE = re.compile(r"[ \t\r\n]*")
_BAD_UTF8_RE = re.compile("[\udc80-\udcff]")
_UNWRAPPED_NEXT_RE = re.compile(r"\n[ \t]{0,2}\}[ \t]*(,)\s*\{")
_README_HANDLE_RE = re.compile(r"@username at the time the archive was generated:\s*@?(\w{1,50})")
_README_ID_RE = re.compile(r"Account ID:\s*(\d+)")
_METADATA_FILES = ("account.js", "manifest.js", "README.txt")
CHUNK_CHARS = 1 << 20
# A JSON error further than this before the end of the text read so far is a real
# syntax error, not an entry cut by the read boundary (no tweet entry is this long).
_SLACK = 1 << 20
_DECODER = json.JSONDecoder()


# -- streaming the array in window.YTD.<type>.partN = [ ... ] ----------------------------------
class JSArray:
    """The entries of one archive data file, decoded one at a time from a text stream.

    ``entries()`` yields ``(index, value)``; ``value`` is a Reject for an entry
    that cannot be decoded (invalid JSON, invalid UTF-8, cut off by truncation).
    """

    def __init__(self, stream: TextIO, file: str | Path, label: str | None = None,
                 wrapper: str | None = "tweet", expect: str = "tweets"):
        self._stream = stream
        self._file = file
        self._label = label
        self._buf = ""
        self._pos = 0
        self._line = 1  # line number at self._pos
        self._col_base = 0  # columns dropped before buf[0] on its line
        self._eof = False
        # The single key wrapping each entry ("tweet", "dmConversation"); None for the oldest,
        # unwrapped layout of tweets.
        self._wrapper: str | None = wrapper
        self._expect = expect
        self.data_type = self._header()

    # buffer -----------------------------------------------------------------
    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(CHUNK_CHARS)
        if not chunk:
            self._eof = True
            return False
        if self._pos > CHUNK_CHARS:
            dropped = self._buf[: self._pos]
            nl = dropped.rfind("\n")
            self._col_base = self._col_base + len(dropped) if nl < 0 else len(dropped) - nl - 1
            self._buf = self._buf[self._pos:]
            self._pos = 0
        self._buf += chunk
        return True

    def _advance(self, new: int) -> None:
        self._line += self._buf.count("\n", self._pos, new)
        self._pos = new

    def _peek(self) -> str:
        """Skip whitespace; the next character, or '' at the end of the file."""
        while True:
            ws = _WS_RE.match(self._buf, self._pos)  # \s* matches, if only ''
            self._advance(ws.end() if ws else self._pos)
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def where(self, pos: int | None = None) -> str:
        """'line L, column C' of a position at or after the current one (with the file label)."""
        pos = self._pos if pos is None else pos
        line = self._line + self._buf.count("\n", self._pos, pos)
        nl = self._buf.rfind("\n", 0, pos)
        col = pos - nl if nl >= 0 else self._col_base + pos + 1
        return self._at(f"line {line}, column {col}")

    def _at(self, locator: str) -> str:
        return f"{self._label}: {locator}" if self._label else locator

    def _header(self) -> str:
        while "[" not in self._buf and len(self._buf) < 4096 and self._fill():
            pass
        m = _HEADER_RE.match(self._buf)
        if not m:
            raise InputError(
                self._file,
                "not an X archive data file: it should start with "
                f"'window.YTD.{self._expect}.part0 = ['",
                self._at("line 1, column 1"),
            )
        self._advance(m.end())
        return m.group(1)

    # entries ----------------------------------------------------------------
    def entries(self) -> Iterator[tuple[int, object]]:
        index = 0
        while True:
            c = self._peek()
            if index and c == ",":
                self._advance(self._pos + 1)
                c = self._peek()
            elif index and c not in ("]", ""):
                reject = Reject(self.where(), f"expected ',' or ']' after entry {jpath(index - 1)}")
                yield index, self._resync(reject)
                if self._eof and self._pos >= len(self._buf):
                    return
                continue
            if c == "":
                yield index, Reject(self.where(), "the file ends before the closing ']': it "
                                    "looks truncated")
                return
            if c == "]":
                self._advance(self._pos + 1)
                return
            value = self._decode(index)
            yield index, value
            index += 1
            if isinstance(value, Reject) and self._eof and self._pos >= len(self._buf):
                return

    def _decode(self, index: int) -> object:
        while True:
            if not self._eof and len(self._buf) - self._pos < 64:
                self._fill()
            start = self._pos
            try:
                value, end = _DECODER.raw_decode(self._buf, start)
            except json.JSONDecodeError as exc:
                if not self._eof and exc.pos > len(self._buf) - _SLACK:
                    self._fill()  # the entry may just continue past the text read so far
                    continue
                return self._undecodable(index, start, exc)
            text = self._buf[start:end]
            bad = _BAD_UTF8_RE.search(text)
            where = (self.where(start + bad.start()).removeprefix(f"{self._label}: ")
                     if bad else "")
            self._advance(end)
            if bad:  # the entry is left out, the entries around it are read
                return Reject(self._at(jpath(index)), f"invalid UTF-8 at {where}",
                              excerpt(text.encode("utf-8", "surrogateescape").decode(
                                  "utf-8", "replace")))
            if isinstance(value, dict):
                self._wrapper = next(iter(value)) if len(value) == 1 else None
            return value

    def _undecodable(self, index: int, start: int, exc: json.JSONDecodeError) -> Reject:
        tail = self._buf[start:].rstrip()
        if self._eof and (exc.msg.startswith("Unterminated string")
                          or exc.pos >= start + len(tail)):
            reject = Reject(self.where(start), f"entry {jpath(index)} is cut off: the file ends "
                            "inside it (truncated?)", excerpt(tail[:200]))
            self._advance(len(self._buf))
            return reject
        reject = Reject(self.where(exc.pos), f"entry {jpath(index)} is not valid JSON "
                        f"({exc.msg})", excerpt(self._buf[exc.pos:exc.pos + 120]))
        return self._resync(reject, start + 1)  # the next entry may begin before exc.pos

    def _resync(self, reject: Reject, from_pos: int | None = None) -> Reject:
        """Move to the ',' before the next entry; say in the reject what was skipped."""
        if self._wrapper is not None:
            pattern = re.compile(r"(,)\s*\{\s*" + re.escape(json.dumps(self._wrapper)) + r"\s*:")
        else:  # unwrapped entries: X closes each at the start of a line, nested objects deeper
            pattern = _UNWRAPPED_NEXT_RE
        search_from = self._pos if from_pos is None else from_pos
        while True:
            m = pattern.search(self._buf, search_from)
            if m:
                skipped_to = self.where(m.start(1))
                self._advance(m.start(1))
                return Reject(reject.locator, f"{reject.reason}; skipped to the next entry "
                              f"({skipped_to})", reject.excerpt)
            # keep a short tail in case the next entry's start spans the read boundary
            self._advance(max(self._pos, len(self._buf) - 256))
            if not self._fill():
                self._advance(len(self._buf))
                return Reject(reject.locator, f"{reject.reason}; no later entry found, the "
                              "rest of the file was skipped", reject.excerpt)
            search_from = self._pos


def load_js_value(text: str, file: str | Path, label: str) -> object:
    """The value assigned in a small archive file such as account.js or manifest.js."""
    _, eq, rest = text.lstrip("\ufeff").partition("=")
    if not eq:
        raise InputError(file, "not an X archive data file (no '=')", label)
    try:
        return json.loads(rest.strip().rstrip(";"))
    except json.JSONDecodeError as exc:
        raise InputError(file, f"invalid JSON ({exc.msg})",
                         f"{label}: line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise InputError(file, NESTED_REASON, label) from None


# -- whose archive ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Owner:
    handle: str | None = None
    account_id: str | None = None
    display_name: str | None = None
    source: str = ""


def owner_from_account_js(value: object) -> Owner:
    entry = value[0] if isinstance(value, list) and value else {}
    acct = entry.get("account", entry) if isinstance(entry, dict) else {}
    if not isinstance(acct, dict):
        return Owner()
    return Owner(_str(acct.get("username")), native_id(acct.get("accountId")),
                 _str(acct.get("accountDisplayName")), "account.js")


def owner_from_manifest(value: object) -> Owner:
    info = value.get("userInfo") if isinstance(value, dict) else None
    if not isinstance(info, dict):
        return Owner()
    return Owner(_str(info.get("userName")), native_id(info.get("accountId")),
                 _str(info.get("displayName")), "manifest.js")


def owner_from_readme(text: str) -> Owner:
    handle = _README_HANDLE_RE.search(text)
    account_id = _README_ID_RE.search(text)
    return Owner(handle.group(1) if handle else None,
                 account_id.group(1) if account_id else None, None, "README.txt")


def _str(value: object) -> str | None:
    return value.strip().lstrip("@") if isinstance(value, str) and value.strip() else None


# -- where the files are: a single file, a folder, a zip ---------------------------------------
def _part_number(name: str) -> int:
    m = TWEET_FILE_RE.match(name.rsplit("/", 1)[-1])
    return int(m.group(1) or 0) if m else -1


class _Source:
    """The tweet files of one archive and the small files beside them."""

    file: Path
    parts: list[str]  # tweet files, relative to the input (a lone file: its name)

    def label(self, part: str) -> str | None:
        return part

    def open(self, part: str, progress: Callable[[int], None] | None) -> TextIO:
        raise NotImplementedError

    def small(self, name: str) -> str | None:
        """Text of a metadata file beside the tweets, or None if there is none."""
        raise NotImplementedError


class _DiskSource(_Source):
    def __init__(self, file: Path, base: Path, parts: list[str], single: bool):
        self.file, self._base, self.parts, self._single = file, base, parts, single
        self._sizes = [(base / p).stat().st_size for p in parts]

    def label(self, part: str) -> str | None:
        return None if self._single else part

    def open(self, part, progress):
        before = sum(self._sizes[: self.parts.index(part)])
        cb = (lambda n: progress(before + n)) if progress else None
        return open_text(self._base / part, cb)

    def small(self, name):
        folder = (self._base / self.parts[0]).parent
        path = folder / name
        if not path.is_file() or path.stat().st_size > 64 * archive.MiB:
            return None
        return path.read_bytes().decode("utf-8-sig", errors="replace")


class _ZipSource(_Source):
    def __init__(self, file: Path):
        self.file = file
        infos = archive.safe_members(file)
        tweets = [i.filename for i in infos
                  if not i.is_dir() and TWEET_FILE_RE.match(i.filename.rsplit("/", 1)[-1])]
        if not tweets:
            raise InputError(file, "the zip holds no data/tweets.js: is it an X archive?")
        folder = min({archive.posix_parent(n) for n in tweets},
                     key=lambda d: (not d.endswith("data"), d.count("/"), d))
        self._folder = folder
        self.parts = sorted((n for n in tweets if archive.posix_parent(n) == folder),
                            key=lambda n: (_part_number(n), n))
        infos = archive.check_members(file, self.parts)
        self._sizes = {i.filename: i.file_size for i in infos}
        self._total = max(sum(self._sizes.values()), 1)
        self._zip_bytes = file.stat().st_size

    def open(self, part, progress):
        before = sum(self._sizes[p] for p in self.parts[: self.parts.index(part)])
        scale = self._zip_bytes / self._total
        cb = (lambda n: progress(int((before + n) * scale))) if progress else None
        stream = archive.open_member(self.file, part, progress=cb)
        return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape")

    def small(self, name):
        member = f"{self._folder}/{name}" if self._folder else name
        if member not in {i.filename for i in archive.safe_members(self.file)}:
            return None
        return archive.read_member(self.file, member).decode("utf-8-sig", errors="replace")


def _tweet_files(folder: Path) -> list[str]:
    return sorted((p.name for p in folder.iterdir() if p.is_file() and TWEET_FILE_RE.match(p.name)),
                  key=lambda n: (_part_number(n), n))


def archive_folder(path: Path) -> Path | None:
    """The folder holding tweets.js inside an extracted archive folder (None if none)."""
    candidates = [path / "data", path]
    if path.is_dir():
        candidates += sorted(p / "data" for p in path.iterdir() if p.is_dir())
    for folder in candidates:
        if folder.is_dir() and _tweet_files(folder):
            return folder
    return None


def open_source(path: Path) -> _Source:
    """The archive at ``path``: a zip, an extracted folder, or one tweets.js file."""
    path = Path(path)
    if path.is_dir():
        folder = archive_folder(path)
        if folder is None:
            raise InputError(path, "the folder holds no data/tweets.js: is it an X archive?")
        parts = [str((folder / n).relative_to(path)) for n in _tweet_files(folder)]
        return _DiskSource(path, path, parts, single=False)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if archive.is_zip(head):
        return _ZipSource(path)
    return _DiskSource(path, path.parent, [path.name], single=True)


# -- the reader ---------------------------------------------------------------------------------
def read_owner(source: _Source) -> tuple[Owner, list[Reject]]:
    """The owner named by the archive's metadata files, and rejects for unreadable ones."""
    rejects: list[Reject] = []
    parse = {
        "account.js": lambda t: owner_from_account_js(load_js_value(t, source.file, "account.js")),
        "manifest.js": lambda t: owner_from_manifest(load_js_value(t, source.file, "manifest.js")),
        "README.txt": owner_from_readme,
    }
    for name in _METADATA_FILES:
        text = source.small(name)
        if text is None:
            continue
        try:
            owner = parse[name](text)
        except InputError as exc:
            rejects.append(Reject(exc.locator or name, f"{exc.reason}; the owner is taken "
                                  "from another file"))
            continue
        if owner.handle:
            return owner, rejects
    return Owner(), rejects


def _unwrap(entry: object, index: int) -> tuple[object, str]:
    if isinstance(entry, dict) and isinstance(entry.get("tweet"), dict):
        return entry["tweet"], jpath(index, "tweet")
    return entry, jpath(index)


def _entries(source: _Source, part: str, progress) -> Iterator[tuple[int, object]]:
    with source.open(part, progress) as stream:
        js = JSArray(stream, source.file, source.label(part))
        if js.data_type not in ("tweets", "tweet"):
            raise InputError(source.file, f"this archive file holds '{js.data_type}', not tweets",
                             source.label(part))
        yield from js.entries()


def infer_owner(source: _Source) -> Owner:
    """The handle of the archive's owner from a reply to one of its own posts (a thread)."""
    ids: set[str] = set()
    replies: list[tuple[str, object, object]] = []
    for part in source.parts:
        for index, entry in _entries(source, part, None):
            tweet, _ = _unwrap(entry, index)
            if not isinstance(tweet, dict):
                continue
            post_id = native_id(tweet.get("id_str"))
            if post_id:
                ids.add(post_id)
            parent = native_id(tweet.get("in_reply_to_status_id_str"))
            if parent:
                replies.append((parent, tweet.get("in_reply_to_screen_name"),
                                tweet.get("in_reply_to_user_id_str")))
    for parent, handle, user_id in replies:
        if parent in ids and _str(handle):
            return Owner(_str(handle), native_id(user_id), None, "a self-reply")
    return Owner()


def stub_parent(parent_id: str, handle: str | None, user_id: str | None, owner: Owner) -> Post | None:
    """A placeholder for a replied-to post absent from the archive (time from its id)."""
    created = snowflake_time(parent_id)
    if user_id and user_id == owner.account_id:
        handle = owner.handle
    author = handle or user_id
    if created is None or not author:
        return None
    return Post(
        platform=PLATFORM, post_id=parent_id, author=author, author_id=user_id,
        created_at=created, created_at_derived=True, text=None, kind="post",
        url=status_url(author, parent_id),
    )


@register
class XArchiveReader(Reader):
    name = "x-archive"
    platform = PLATFORM
    description = "X/Twitter account archive (the zip, its folder, or data/tweets.js)"
    kind = "posts"
    full_archives = True  # a whole archive holds every post of its owner

    def sniff(self, path: Path, head: bytes) -> bool:
        if Path(path).is_dir():
            return archive_folder(Path(path)) is not None
        return sniffers.x_archive(path, head)

    @staticmethod
    def input_files(path: Path) -> list[Path]:
        """The files read from an extracted archive folder (tweet parts, then metadata files).

        For a folder given as one input: what to hash to recognise a re-import and
        to size the progress bar. A zip or a single file is its own input.
        """
        path = Path(path)
        if not path.is_dir():
            return [path]
        folder = archive_folder(path)
        if folder is None:
            return []
        tweets = [folder / n for n in _tweet_files(folder)]
        return tweets + [folder / n for n in _METADATA_FILES if (folder / n).is_file()]

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        source = open_source(Path(path))
        owner, meta_rejects = read_owner(source)
        if owner.handle is None:
            owner = infer_owner(source)
        if owner.handle is None:
            raise InputError(
                path,
                "cannot tell whose archive this is: no account.js, manifest.js or README.txt "
                "beside the tweets and no reply to the account's own posts to learn the handle "
                "from; import the whole archive (the zip or its folder)",
            )
        out = BatchBuilder(min(options.chunk_rows, BATCH_POSTS), keep_raw=options.keep_raw)
        out.add_account(Account(PLATFORM, owner.handle, display_name=owner.display_name))
        # A whole archive (the zip or its folder) holds every post of its owner, so a
        # post stored from an earlier archive and missing from this one was deleted.
        # A lone tweets file may be one part of several: it proves nothing of the kind.
        whole = Path(path).is_dir() or zipfile.is_zipfile(path)
        full_archive_of = [(PLATFORM, owner.handle)] if whole else []

        def take() -> Batch:
            batch = out.take()
            batch.full_archive_of = full_archive_of
            return batch

        for reject in meta_rejects:
            out.add(reject)
        seen: set[str] = set()
        parents: dict[str, tuple[str | None, str | None]] = {}
        for part in source.parts:
            label = source.label(part)
            for index, entry in _entries(source, part, progress):
                out.rows += 1
                if isinstance(entry, Reject):
                    out.add(entry)
                    continue
                tweet, where = _unwrap(entry, index)
                post = legacy_post(tweet, f"{label}: {where}" if label else where,
                                   owner.handle, owner.account_id, options.keep_raw)
                out.add(post)
                if isinstance(post, Post) and isinstance(tweet, dict):  # a Post: a dict
                    seen.add(post.post_id)
                    if post.in_reply_to_post_id:
                        parents.setdefault(post.in_reply_to_post_id, (
                            _str(tweet.get("in_reply_to_screen_name")),
                            native_id(tweet.get("in_reply_to_user_id_str"))))
                if out.full:
                    yield take()
        for parent_id, (handle, user_id) in parents.items():
            if parent_id not in seen:
                stub = stub_parent(parent_id, handle, user_id, owner)
                if stub is not None:
                    out.add(stub)
            if out.full:
                yield take()
        if not out.empty:
            yield take()
