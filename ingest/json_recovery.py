"""A single JSON document holding bytes that are not UTF-8: keep what does not hold them.

A Telegram ``result.json``, an X archive's ``.js`` part, a Facebook JSON file, a Mastodon
archive's ``outbox.json`` or a YouTube response saved whole is one document, so one byte that is not UTF-8 used to refuse the whole file. Such a byte
almost always sits inside a string (a message text cut or mis-encoded by another tool);
the document around it still parses. :func:`load_json_document` reads the document with
each bad byte kept as a surrogate escape and lists the strings that hold one, with their
JSON paths and byte offsets. The reader then names its records (:meth:`BadStrings.rejects`):
each record holding a bad string becomes a reject naming its path, the byte offset and
the string's path, and every other record is imported. A bad byte outside every record
(a channel's name, the document's structure) still refuses the file as before
(ingest/jsonio.py: ``read_text_strict``), so nothing is stored with a bad byte in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from govwatch.errors import InputError
from govwatch.records import Reject, excerpt

from .jsonio import _SURROGATES, jpath, load_json_text, read_text_strict


@dataclass
class BadStrings:
    """The strings of a document that hold invalid bytes: (JSON path parts, byte offset
    in the file of the string's first bad byte or None when it cannot be told, text)."""

    path: Path
    found: list[tuple[tuple, int | None, str]]

    def rejects(self, records: Iterable[tuple]) -> dict[tuple, Reject]:
        """One reject per record (given as JSON path parts) that holds a bad string, by
        record path. Raises the file's refusal (InputError) when a bad string lies in
        no record."""
        records = set(records)
        out: dict[tuple, Reject] = {}
        for at, offset, value in self.found:
            record = next((at[:n] for n in range(len(at), 0, -1) if at[:n] in records), None)
            if record is None:
                read_text_strict(self.path)  # raises, naming the first bad byte
                raise InputError(self.path, "invalid UTF-8", jpath(*at))  # pragma: no cover
            if record not in out:
                where = f"byte {offset}" if offset is not None else "a byte"
                out[record] = Reject(
                    jpath(*record),
                    f"invalid UTF-8 at {where} (in the string at {jpath(*at)}); this "
                    "element is left out, the rest of the file is imported",
                    excerpt(value))
        return out


def load_json_document(path: Path) -> tuple[object, BadStrings | None]:
    """The file's JSON document, and the strings holding bytes that are not UTF-8 (None
    when every byte is). A file that is not a JSON document apart from those bytes is
    refused as :func:`read_text_strict` refuses it."""
    data = Path(path).read_bytes()
    try:
        return load_json_text(path, data.decode("utf-8-sig")), None
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "surrogateescape")
    try:
        doc = json.loads(text.removeprefix("\ufeff"))
    except (json.JSONDecodeError, RecursionError):
        read_text_strict(path)  # raises: the byte's offset, and why the rest cannot help
        raise
    offsets = _bad_byte_offsets(text)
    found: list[tuple[tuple, int | None, str]] = []
    seen = 0
    for at, value in _strings(doc):
        n = len(_SURROGATES.findall(value))
        if n:
            found.append((at, offsets[seen] if seen < len(offsets) else None, value))
            seen += n
    if seen != len(offsets):  # a "\udc80" written as an escape: offsets cannot be matched
        found = [(at, None, value) for at, _, value in found]
    if not found:  # the bad bytes are outside every string
        read_text_strict(path)
    return doc, BadStrings(Path(path), found)


def _bad_byte_offsets(text: str) -> list[int]:
    """The byte offset in the file of each invalid byte (a surrogate escape of ``text``,
    the file decoded as UTF-8 with surrogateescape), in order."""
    out = []
    pos = 0  # characters of text already measured
    size = 0  # their length in bytes
    for m in _SURROGATES.finditer(text):
        size += len(text[pos:m.start()].encode("utf-8", "surrogateescape"))
        out.append(size)
        size += 1
        pos = m.end()
    return out


def _strings(doc: object):
    """(JSON path parts, text) of every key and string value, in document order."""
    stack: list[tuple[object, tuple]] = [(doc, ())]
    while stack:
        value, at = stack.pop()
        if isinstance(value, str):
            yield at, value
        elif isinstance(value, dict):
            items = list(value.items())
            for key, item in reversed(items):
                stack.append((item, (*at, key)))
                stack.append((key, (*at, key)))
        elif isinstance(value, list):
            stack.extend((item, (*at, i)) for i, item in reversed(list(enumerate(value))))
