"""Reader for tweets printed as Python dicts (``print(tweet)`` / ``repr``), one per line.

Some scrapers' users save legacy-shaped tweet objects (``{'created_at': 'Fri Apr 12
23:57:54 +0000 2024', 'id_str': ..., 'full_text': ..., 'user': {...}}``) with Python's
``repr`` instead of JSON: single quotes, ``True``/``False``/``None``. Such a file is not
JSON; this reader reads it without executing anything (``ast.literal_eval`` accepts
literals only).

- A record starts on a line that starts with ``{'`` and the same first key as the
  file's first record (``{'bookmark_count': ...``: a nested dict that a line break put at
  a line start does not start a record); lines up to the next such line belong to it. Line breaks inside a quoted string (editors and copy-paste insert them)
  are read as ``\\n``; line breaks between entries are allowed as they are.
- A record that is still not a dict literal (cut short, garbled) is rejected with its
  line and the parser's reason; a record over 1 MB is rejected unread.
- Each dict is mapped as a v1.1 tweet (``twitter_json.legacy_post``): ids from
  ``id_str``, the author from ``user.screen_name``, reply links from
  ``in_reply_to_status_id_str`` / ``in_reply_to_screen_name``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from govwatch.records import Account, Batch, Post, Reject, accounts_frame, excerpt, posts_frame

from . import sniffers
from .base import Reader, ReadOptions
from .jsonio import read_text_strict
from .registry import register
from .twitter_json import legacy_account, legacy_post

MAX_RECORD_CHARS = 1 << 20
_FIRST_KEY = re.compile(r"\s*\{'([^'\n]{1,80})':")


def repair_newlines(record: str) -> str:
    """``record`` with the line breaks inside quoted strings written as ``\\n``."""
    out: list[str] = []
    quote, escaped = None, False
    for ch in record:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
            elif ch == "\n":
                out.append("\\n")
                continue
        elif ch in "'\"":
            quote = ch
        out.append(ch)
    return "".join(out)


def records(text: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of each record of the file."""
    first = _FIRST_KEY.match(text)
    start_re = (re.compile("^\\{'" + re.escape(first.group(1)) + "':", re.MULTILINE) if first
                else re.compile("^\\{'", re.MULTILINE))
    starts = [m.start() for m in start_re.finditer(text)]
    if not starts or text[: starts[0]].strip():
        starts = [0, *starts]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        if chunk.strip():
            yield text.count("\n", 0, start) + 1, chunk.strip()


@register
class TweetReprReader(Reader):
    name = "tweet-repr"
    platform = "x"
    description = "tweets printed as Python dicts (repr), one per line; damaged records rejected"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.tweet_repr(path, head)

    def read(self, path: Path, options: ReadOptions,
             progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        text = read_text_strict(path)
        if progress:
            progress(path.stat().st_size)
        posts: list[Post] = []
        accounts: dict[str, Account] = {}
        rejects: list[Reject] = []
        rows = 0
        for line, chunk in records(text):
            rows += 1
            where = f"line {line}"
            if len(chunk) > MAX_RECORD_CHARS:
                rejects.append(Reject(where, "record longer than 1 MB", excerpt(chunk)))
                continue
            try:
                obj = ast.literal_eval(repair_newlines(chunk))
            except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
                reason = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
                rejects.append(Reject(where, f"not a Python dict literal ({reason})",
                                      excerpt(chunk)))
                continue
            post = legacy_post(obj, f"{where}: $", keep_raw=False)
            if isinstance(post, Reject):
                rejects.append(post)
                continue
            posts.append(post)
            account = legacy_account(obj.get("user"))
            if account is not None:
                accounts.setdefault(account.author, account)
        yield Batch(posts=posts_frame(posts) if posts else None,
                    accounts=accounts_frame(list(accounts.values())) if accounts else None,
                    rejects=rejects, rows_read=rows)
