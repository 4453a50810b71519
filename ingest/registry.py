"""The reader registry: the one way readers become known, built-in or not.

Built-in readers register through :func:`register` exactly as a third-party
package would; third-party packages can also expose readers under the entry-point
group ``govwatch.readers`` (each entry point names a Reader subclass).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from govwatch.entrypoints import LoadOnce, entry_points
from govwatch.errors import InputError, UsageError

if TYPE_CHECKING:
    from .base import Reader

ENTRY_POINT_GROUP = "govwatch.readers"

# The shipped readers: format name -> the module that registers it at import, and
# what `govwatch formats` shows of it, so that listing the formats imports no reader
# (the readers pull in pandas and pyarrow: ten times the start-up of the command). A
# command naming its format imports only that module, and so does --format auto: the
# shipped readers are sniffed by ingest/sniffers.py, which imports none of them. A test
# checks each row against its reader class.
@dataclass(frozen=True)
class ReaderInfo:
    module: str
    platform: str | None
    kind: str
    description: str
    # False for a reader that never claims a file by sniffing (it must be named): sniffing
    # with --format auto then does not even import it.
    sniffs: bool = True


BUILTIN_READERS: dict[str, ReaderInfo] = {
    "csv": ReaderInfo("govwatch.ingest.csv_posts", None, "posts",
                       "posts CSV (platform, post_id, author, created_at, text, ...)"),
    "accounts-csv": ReaderInfo("govwatch.ingest.csv_accounts", None, "accounts",
                       "official accounts CSV (platform, author, institution, country, level, timezone)"),
    "x-archive": ReaderInfo("govwatch.ingest.x_archive", "x", "posts",
                       "X/Twitter account archive (the zip, its folder, or data/tweets.js)"),
    "twitter-v2": ReaderInfo("govwatch.ingest.twitter_json", "x", "posts",
                       "Twitter/X API v2 JSON Lines as twarc2 writes them (pages or flattened)"),
    "twitter-v1": ReaderInfo("govwatch.ingest.twitter_json", "x", "posts",
                       "legacy Twitter API v1.1 tweets, one JSON object per line"),
    "facebook": ReaderInfo("govwatch.ingest.facebook", "facebook", "posts",
                       'Facebook "Download your information" JSON (your_posts_N.json, comments.json)'),
    "crowdtangle": ReaderInfo("govwatch.ingest.crowdtangle", "facebook", "posts",
                       "CrowdTangle historical-data CSV of Facebook Pages or Groups"),
    "meta-content-library": ReaderInfo("govwatch.ingest.crowdtangle", "facebook", "posts",
                       "Meta Content Library CSV of Facebook posts (id, creation_time, post_owner.*)"),
    "telegram": ReaderInfo("govwatch.ingest.telegram", "telegram", "posts",
                       "Telegram Desktop export result.json (channel, discussion group, or account)"),
    "telegram-preview": ReaderInfo("govwatch.ingest.telegram_preview", "telegram", "posts",
                       "Telegram public channel web preview (t.me/s/CHANNEL pages, as saved by "
                       "govwatch collect or by hand)"),
    "youtube": ReaderInfo("govwatch.ingest.youtube", "youtube", "posts",
                       "YouTube Data API v3 commentThreads.list responses, with comments.list "
                       "replies (JSON or JSON Lines)"),
    "mastodon-archive": ReaderInfo("govwatch.ingest.mastodon", "mastodon", "posts",
                       "Mastodon account archive: outbox.json (ActivityPub), with actor.json beside it"),
    "mastodon-api": ReaderInfo("govwatch.ingest.mastodon", "mastodon", "posts",
                       "Mastodon REST API statuses, /context, search or notifications responses "
                       "saved as JSON or JSON Lines"),
    "bluesky": ReaderInfo("govwatch.ingest.bluesky", "bluesky", "posts",
                       "Bluesky getAuthorFeed / getPostThread responses saved as JSON or JSON Lines"),
    "mapped": ReaderInfo("govwatch.ingest.mapped", None, "posts",
                       "any CSV / JSON Lines / JSON array described by a mapping file (--mapping)",
                       sniffs=False),
    "open311": ReaderInfo("govwatch.ingest.open311", "open311", "posts",
                       "Open311 GeoReport v2 service requests (JSON), as complaint tickets"),
    "open311-csv": ReaderInfo("govwatch.ingest.open311", "open311", "posts",
                       "Open311 GeoReport v2 service requests (CSV with the GeoReport field names)"),
    "tickets-csv": ReaderInfo("govwatch.ingest.tickets", None, "posts",
                       ("complaint tickets CSV (ticket_id, agency, submitted_at[, acknowledged_at, "
                        "closed_at, text, category, status, ...]); --mapping renames other "
                        "systems'")),
    "google-play": ReaderInfo("govwatch.ingest.app_reviews", "google-play", "posts",
                       "Google Play reviews with developer replies (google-play-scraper CSV)"),
    "google-play-json": ReaderInfo("govwatch.ingest.app_reviews", "google-play", "posts",
                       "Google Play reviews with developer replies (google-play-scraper JSON list)"),
    "app-store": ReaderInfo("govwatch.ingest.app_reviews", "app-store", "posts",
                       "App Store Connect customerReviews (JSON:API) with developer responses"),
    "tweet-repr": ReaderInfo("govwatch.ingest.tweet_repr", "x", "posts",
                       "tweets printed as Python dicts (repr), one per line; damaged records rejected"),
    "bluesky-records": ReaderInfo("govwatch.ingest.bluesky_records", "bluesky", "posts",
                       ("Bluesky posts as a JSON list: post views, feed items, Jetstream commits or "
                        "Tap records")),
    "keepiton-xlsx": ReaderInfo("govwatch.ingest.outages", None, "outages",
                       "Access Now #KeepItOn STOP workbook (xlsx): shutdowns and blocked platforms"),
    "outages-json": ReaderInfo("govwatch.ingest.outages", None, "outages",
                       "SFLC.in Internet Shutdowns Tracker JSON (India): shutdown start days"),
    "outages-csv": ReaderInfo("govwatch.ingest.outages", None, "outages",
                       "outages CSV (country, region, start, end, scope[, kind, source])"),
    "x-dms": ReaderInfo("govwatch.ingest.direct_messages", "x", "posts",
                       "X/Twitter archive direct messages (data/direct-messages.js, -group.js)"),
    "facebook-messages": ReaderInfo("govwatch.ingest.direct_messages", "facebook", "posts",
                       ("Facebook Page messages (messages/inbox/<thread>/message_N.json, or the "
                        "folder)")),
    "instagram": ReaderInfo("govwatch.ingest.instagram", "instagram", "posts",
                       "Instagram Graph API media with comments and replies, or a post's comments"),
}
BUILTIN_MODULES = tuple(dict.fromkeys(info.module for info in BUILTIN_READERS.values()))

_READERS: dict[str, Reader] = {}


def register(cls: type[Reader]) -> type[Reader]:
    """Class decorator: make a Reader available under its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    existing = _READERS.get(cls.name)
    if existing is not None and type(existing) is not cls:
        raise ValueError(f"two readers are named {cls.name!r}")
    _READERS[cls.name] = cls()
    return cls


def _load_readers() -> None:
    for mod in BUILTIN_MODULES:
        import_module(mod)
    for ep in _entry_points():
        register(ep.load())


_load = LoadOnce(_load_readers)


def _entry_points():
    # govwatch.entrypoints, not importlib.metadata: a fiftieth of a second, most of what
    # `formats` costs
    return entry_points(ENTRY_POINT_GROUP)


def reader_names() -> list[str]:
    """Every format name, shipped or installed, without importing a reader (for the
    command line's choices and shell completion)."""
    names = set(BUILTIN_READERS) | set(_READERS)
    names |= {ep.name for ep in _entry_points()}
    return sorted(names)


def catalogue() -> dict[str, ReaderInfo]:
    """Every format's module, platform, kind and description, for listing them: the
    shipped readers' from :data:`BUILTIN_READERS` (none imported), the others' from
    their classes (installed readers are loaded through their entry points)."""
    for ep in _entry_points():
        if ep.name not in _READERS:
            register(ep.load())
    found = dict(BUILTIN_READERS)
    for name, r in _READERS.items():
        if name not in found:
            found[name] = ReaderInfo(type(r).__module__, r.platform, r.kind, r.description)
    return found


def readers() -> dict[str, Reader]:
    _load()
    return dict(_READERS)


def get(name: str) -> Reader:
    if name not in _READERS and name in BUILTIN_READERS:
        import_module(BUILTIN_READERS[name].module)
    if name in _READERS:
        return _READERS[name]
    all_ = readers()
    if name not in all_:
        raise UsageError(f"unknown format {name!r}; known formats: {', '.join(sorted(all_))}")
    return all_[name]


def folder_reader(path: Path, fmt: str = "auto") -> Reader | None:
    """The reader that reads folder ``path`` as one input, if any: any reader, or with a
    format named only that format's (the others are not even loaded)."""
    from .base import Reader

    for r in readers().values() if fmt == "auto" else [get(fmt)]:
        if type(r).input_files is not Reader.input_files and r.sniff(path, b""):
            return r
    return None


def _installed() -> list[Reader]:
    """The readers that are not shipped (entry points, or registered by hand): they are
    sniffed through their own ``sniff``."""
    for ep in _entry_points():
        if ep.name not in _READERS:
            register(ep.load())
    return [r for name, r in _READERS.items() if name not in BUILTIN_READERS]


def _sniffs(test: Callable[[Path, bytes], bool], path: Path, head: bytes) -> bool:
    """test(path, head), False when the head is nested too deeply for it to look into."""
    try:
        return test(path, head)
    except RecursionError:
        return False


def sniff(path: Path, kind: str | None = None) -> Reader:
    """The reader for ``path``, chosen by each reader's cheap sniff()."""
    if path.is_dir():
        found = folder_reader(path)
        if found is None:
            raise InputError(path, "a folder that no reader reads as one input")
        return found
    from .base import SNIFF_BYTES

    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    if not head.strip():
        raise InputError(path, "the file is empty")
    # The shipped readers' tests import no reader (ingest/sniffers.py): only the chosen
    # one is imported, below.
    from .sniffers import SNIFFERS

    matches = [name for name, test in SNIFFERS.items()
               if (kind is None or BUILTIN_READERS[name].kind == kind)
               and _sniffs(test, path, head)]
    matches += [r.name for r in _installed()
                if (kind is None or r.kind == kind) and _sniffs(r.sniff, path, head)]
    if not matches:
        raise InputError(
            path,
            "format not recognised; name it with --format (see 'govwatch formats')",
        )
    if len(matches) > 1:
        names = ", ".join(matches)
        raise InputError(path, f"format is ambiguous ({names}); name it with --format")
    return get(matches[0])
