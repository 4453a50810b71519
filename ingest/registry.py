"""The reader registry: the one way readers become known, built-in or not.

Built-in readers register through :func:`register` exactly as a third-party
package would; third-party packages can also expose readers under the entry-point
group ``govwatch.readers`` (each entry point names a Reader subclass).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

from govwatch.errors import InputError, UsageError

from .base import SNIFF_BYTES, Reader

ENTRY_POINT_GROUP = "govwatch.readers"

# The shipped readers: format name -> the module that registers it at import. A
# command naming its format imports only that module; sniffing and listing import all.
BUILTIN_READERS = {
    "csv": "govwatch.ingest.csv_posts",
    "accounts-csv": "govwatch.ingest.csv_accounts",
    "x-archive": "govwatch.ingest.x_archive",
    "twitter-v2": "govwatch.ingest.twitter_json",
    "twitter-v1": "govwatch.ingest.twitter_json",
    "facebook": "govwatch.ingest.facebook",
    "crowdtangle": "govwatch.ingest.crowdtangle",
    "meta-content-library": "govwatch.ingest.crowdtangle",
    "telegram": "govwatch.ingest.telegram",
    "telegram-preview": "govwatch.ingest.telegram_preview",
    "youtube": "govwatch.ingest.youtube",
    "mastodon-archive": "govwatch.ingest.mastodon",
    "mastodon-api": "govwatch.ingest.mastodon",
    "bluesky": "govwatch.ingest.bluesky",
    "mapped": "govwatch.ingest.mapped",
    "open311": "govwatch.ingest.open311",
    "open311-csv": "govwatch.ingest.open311",
    "tickets-csv": "govwatch.ingest.tickets",
    "google-play": "govwatch.ingest.app_reviews",
    "google-play-json": "govwatch.ingest.app_reviews",
    "app-store": "govwatch.ingest.app_reviews",
    "tweet-repr": "govwatch.ingest.tweet_repr",
    "bluesky-records": "govwatch.ingest.bluesky_records",
    "keepiton-xlsx": "govwatch.ingest.outages",
    "outages-json": "govwatch.ingest.outages",
    "outages-csv": "govwatch.ingest.outages",
}
BUILTIN_MODULES = tuple(dict.fromkeys(BUILTIN_READERS.values()))

_READERS: dict[str, Reader] = {}
_loaded = False


def register(cls: type[Reader]) -> type[Reader]:
    """Class decorator: make a Reader available under its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    existing = _READERS.get(cls.name)
    if existing is not None and type(existing) is not cls:
        raise ValueError(f"two readers are named {cls.name!r}")
    _READERS[cls.name] = cls()
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in BUILTIN_MODULES:
        import_module(mod)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        register(ep.load())


def reader_names() -> list[str]:
    """Every format name, shipped or installed, without importing a reader (for the
    command line's choices and shell completion)."""
    names = set(BUILTIN_READERS) | set(_READERS)
    names |= {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def readers() -> dict[str, Reader]:
    _load()
    return dict(_READERS)


def get(name: str) -> Reader:
    if name not in _READERS and name in BUILTIN_READERS:
        import_module(BUILTIN_READERS[name])
    if name in _READERS:
        return _READERS[name]
    all_ = readers()
    if name not in all_:
        raise UsageError(f"unknown format {name!r}; known formats: {', '.join(sorted(all_))}")
    return all_[name]


def folder_reader(path: Path, fmt: str = "auto") -> Reader | None:
    """The reader that reads folder ``path`` as one input, if any: any reader, or with a
    format named only that format's (the others are not even loaded)."""
    for r in readers().values() if fmt == "auto" else [get(fmt)]:
        if type(r).input_files is not Reader.input_files and r.sniff(path, b""):
            return r
    return None


def _sniffs(reader: Reader, path: Path, head: bytes) -> bool:
    """reader.sniff, False when the head is nested too deeply for it to look into."""
    try:
        return reader.sniff(path, head)
    except RecursionError:
        return False


def sniff(path: Path, kind: str | None = None) -> Reader:
    """The reader for ``path``, chosen by each reader's cheap sniff()."""
    if path.is_dir():
        found = folder_reader(path)
        if found is None:
            raise InputError(path, "a folder that no reader reads as one input")
        return found
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    if not head.strip():
        raise InputError(path, "the file is empty")
    matches = [
        r for r in readers().values() if (kind is None or r.kind == kind) and _sniffs(r, path, head)
    ]
    if not matches:
        raise InputError(
            path,
            "format not recognised; name it with --format (see 'govwatch formats')",
        )
    if len(matches) > 1:
        names = ", ".join(r.name for r in matches)
        raise InputError(path, f"format is ambiguous ({names}); name it with --format")
    return matches[0]
