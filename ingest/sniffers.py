"""How each shipped reader recognises its files, without importing any reader.

``--format auto`` runs every reader's test on a file's first bytes. The readers pull in
pandas, pyarrow's CSV module, an HTML parser, ...; their tests need none of it. So the
tests live here, keyed by format name, and each reader's ``sniff`` calls its own: the
registry (ingest/registry.py) sniffs with these and imports only the reader it chooses.
This module imports the standard library and ingest/archive.py (zip member names), no
reader. Folders are not sniffed here: a reader that takes a whole folder decides itself.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeGuard

Sniff = Callable[[Path, bytes], bool]

_BOM_WS = b"\xef\xbb\xbf \t\r\n"


def _opens(head: bytes) -> bytes:
    """The first byte of ``head`` after a byte-order mark and white space."""
    return head.lstrip(_BOM_WS)[:1]


def sniff_header(head: bytes) -> set[str]:
    """Column names on the first line of ``head`` (lower-cased), or an empty set."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    try:
        row = next(csv.reader([first]))
    except (StopIteration, csv.Error):
        return set()
    return {c.strip().lower() for c in row}


# -- CSV headers ------------------------------------------------------------------------------
POSTS_REQUIRED = ("platform", "post_id", "author", "created_at", "text")
ACCOUNTS_REQUIRED = ("platform", "author", "institution", "country", "level", "timezone")
CT_REQUIRED = ("facebook id", "post created", "url")
CT_NAMES = ("page name", "group name")
MCL_REQUIRED = ("id", "creation_time")
TICKET_REQUIRED = ("ticket_id", "agency", "submitted_at")
PLAY_KEYS = {"reviewid", "repliedat"}


def _columns(required: tuple[str, ...] | set[str]) -> Sniff:
    need = set(required)
    return lambda path, head: need <= sniff_header(head)


def crowdtangle(path: Path, head: bytes) -> bool:
    header = sniff_header(head)
    return set(CT_REQUIRED) <= header and bool(header & set(CT_NAMES))


def meta_content_library(path: Path, head: bytes) -> bool:
    header = sniff_header(head)
    return set(MCL_REQUIRED) <= header and bool(
        header & {"post_owner.id", "post_owner.name", "post_owner.username"})


# -- Twitter/X --------------------------------------------------------------------------------
STREAM_CONTROL = {
    "delete", "limit", "scrub_geo", "status_withheld", "user_withheld", "disconnect",
    "warning", "friends", "event",
}
_SNIFF_LINES = 5
_V2_PAGE_RE = re.compile(r'^\s*\{\s*"data"\s*:\s*[\[{]')
_V2_ISO_RE = re.compile(r'"created_at"\s*:\s*"\d{4}-\d{2}-\d{2}T')
_V1_TIME_RE = re.compile(r'"created_at"\s*:\s*"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} ')


def _first_line(head: bytes) -> tuple[str, object | None]:
    """The first line of ``head`` holding data and its JSON value (None if cut off or not JSON).

    Blank lines and up to a few leading stream control messages (``{"limit": ...}``)
    are passed over.
    """
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    lines = [line for line in text.split("\n") if line.strip()]
    for i, line in enumerate(lines[:_SNIFF_LINES]):
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            return line, None
        is_control = isinstance(value, dict) and len(value) == 1 and value.keys() <= STREAM_CONTROL
        if not is_control or i == len(lines) - 1:
            return line, value
    return "", None


def looks_v2_tweet(t: object) -> TypeGuard[dict]:
    return (isinstance(t, dict) and "id" in t and "text" in t and "id_str" not in t
            and "user" not in t)


def looks_v2(head: bytes) -> bool:
    line, obj = _first_line(head)
    if isinstance(obj, dict):
        data = obj.get("data")
        if isinstance(data, list):
            return bool(data) and looks_v2_tweet(data[0])
        if isinstance(data, dict):
            return looks_v2_tweet(data)
        return looks_v2_tweet(obj) and ("author_id" in obj or "edit_history_tweet_ids" in obj)
    if obj is not None or not line.lstrip().startswith("{") or '"id_str"' in line:
        return False
    if _V2_PAGE_RE.match(line):
        return '"text"' in line and '"id"' in line
    return '"author_id"' in line and bool(_V2_ISO_RE.search(line))


def looks_v1(head: bytes) -> bool:
    line, obj = _first_line(head)
    if isinstance(obj, dict):
        user = obj.get("user")
        if not (("id_str" in obj or "id" in obj) and isinstance(user, dict)
                and "screen_name" in user):
            return False
        from .twitter_rules import parse_legacy_time

        return parse_legacy_time(obj.get("created_at")) is not None
    if obj is not None or not line.lstrip().startswith("{"):
        return False
    return ('"id_str"' in line and '"screen_name"' in line
            and bool(_V1_TIME_RE.search(line)))


TWEET_FILE_RE = re.compile(r"^tweets?(?:-part(\d+))?\.js$")
_TWEETS_HEAD_RE = re.compile(rb"^(?:\xef\xbb\xbf)?\s*window\.YTD\.tweets?\.part\d+\s*=")


def x_archive(path: Path, head: bytes) -> bool:
    if head[:2] != b"PK":  # not a zip: no need to load the zip module
        return bool(_TWEETS_HEAD_RE.match(head))
    from . import archive

    if archive.is_zip(head):
        return any(
            TWEET_FILE_RE.match(n.rsplit("/", 1)[-1])
            and archive.posix_parent(n).rsplit("/", 1)[-1] in ("data", "")
            for n in archive.zip_names(path)
        )
    return bool(_TWEETS_HEAD_RE.match(head))


_XDM_HEAD_RE = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*window\.YTD\.direct_messages(?:_group)?\.part\d+\s*=")
_FB_DM_HEAD_RE = re.compile(rb'^(?:\xef\xbb\xbf)?\s*\{\s*"participants"\s*:')


def x_dms(path: Path, head: bytes) -> bool:
    return bool(_XDM_HEAD_RE.match(head))


def facebook_messages(path: Path, head: bytes) -> bool:
    return bool(_FB_DM_HEAD_RE.match(head)) and b'"sender_name"' in head


_TWEET_REPR_HEAD = re.compile(rb"^\s*\{'[a-z_]+': ")


def tweet_repr(path: Path, head: bytes) -> bool:
    return bool(_TWEET_REPR_HEAD.match(head)) and b"'created_at'" in head and b"'id_str'" in head


# -- Facebook, Instagram, Telegram, YouTube, Mastodon, Bluesky ---------------------------------
_FB_HEAD_LIST = re.compile(rb'^\s*\[\s*\{\s*"(?:timestamp|data|attachments|title|tags)"\s*:')
_FB_HEAD_KEYS = re.compile(rb'^\s*\{\s*"(?:comments_v2|comments|group_posts_v2)"\s*:\s*\[')
_FB_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*\d{9,10}\s*[,}\n]')


def facebook(path: Path, head: bytes) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf")
    if _FB_HEAD_KEYS.match(head):
        return True
    return bool(_FB_HEAD_LIST.match(head)) and _FB_TIMESTAMP.search(head) is not None


def instagram(path: Path, head: bytes) -> bool:
    return _opens(head) in (b"{", b"[") and b'"username"' in head and b'"timestamp"' in head and (
        b'"replies"' in head or b'"comments"' in head or b'"permalink"' in head) and (
        b'"data"' in head)


TELEGRAM_CHAT_TYPES = (
    "personal_chat", "bot_chat", "saved_messages", "replies", "private_group",
    "private_supergroup", "public_supergroup", "private_channel", "public_channel",
)
_TELEGRAM_CHAT = re.compile(
    rb'"type"\s*:\s*"(?:' + b"|".join(t.encode() for t in TELEGRAM_CHAT_TYPES) + rb')"')


def telegram(path: Path, head: bytes) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"{"):
        return False
    if b'"messages"' in head and _TELEGRAM_CHAT.search(head):
        return True
    return b'"personal_information"' in head and b'"about"' in head and b"Telegram" in head


_PREVIEW_JSON = re.compile(rb'"kind"\s*:\s*"govwatch#telegramPreviewPage"')
_PREVIEW_HTML = re.compile(rb"tgme_widget_message|tgme_channel_info")


def telegram_preview(path: Path, head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf").lstrip()[:1]
    if start == b"{":
        return bool(_PREVIEW_JSON.search(head))
    return start == b"<" and bool(_PREVIEW_HTML.search(head))


_YOUTUBE_HEAD = re.compile(
    rb'"kind"\s*:\s*"youtube#comment(?:Thread(?:ListResponse)?|ListResponse)"')


def youtube(path: Path, head: bytes) -> bool:
    return bool(_YOUTUBE_HEAD.search(head)) and head.lstrip(b"\xef\xbb\xbf").lstrip()[:1] in (
        b"{", b"[")


_ACTIVITY_TYPE = re.compile(rb'"type"\s*:\s*"(?:Create|Announce)"')


def mastodon_archive(path: Path, head: bytes) -> bool:
    return b'"orderedItems"' in head and _ACTIVITY_TYPE.search(head) is not None


def mastodon_api(path: Path, head: bytes) -> bool:
    return (
        b'"acct"' in head
        and b'"uri"' in head
        and any(k in head for k in (b'"favourites_count"', b'"reblogs_count"',
                                    b'"in_reply_to_id"'))
    )


_BLUESKY_RESPONSE = re.compile(rb'"(?:feed|thread|posts)"\s*:')


def bluesky(path: Path, head: bytes) -> bool:
    return b'"at://' in head and _BLUESKY_RESPONSE.search(head) is not None


def bluesky_records(path: Path, head: bytes) -> bool:
    return (_opens(head) == b"[" and b'"app.bsky.feed.post"' in head
            and not bluesky(path, head))


# -- tickets, reviews, outages ----------------------------------------------------------------
_OPEN311_HEAD = re.compile(rb'"service_request_id"|"requested_datetime"')


def open311(path: Path, head: bytes) -> bool:
    return _opens(head) in (b"[", b"{") and bool(_OPEN311_HEAD.search(head))


def google_play_json(path: Path, head: bytes) -> bool:
    return _opens(head) == b"[" and b'"reviewId"' in head


def app_store(path: Path, head: bytes) -> bool:
    return _opens(head) == b"{" and b'"customerReviews"' in head


def keepiton_xlsx(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".xlsx" and head.startswith(b"PK")


def outages_json(path: Path, head: bytes) -> bool:
    return _opens(head) == b"[" and b'"state:name"' in head


# Format name -> its test, for every shipped reader that claims files by sniffing.
SNIFFERS: dict[str, Sniff] = {
    "csv": _columns(POSTS_REQUIRED),
    "accounts-csv": _columns(ACCOUNTS_REQUIRED),
    "x-archive": x_archive,
    "twitter-v2": lambda path, head: looks_v2(head),
    "twitter-v1": lambda path, head: looks_v1(head),
    "facebook": facebook,
    "crowdtangle": crowdtangle,
    "meta-content-library": meta_content_library,
    "telegram": telegram,
    "telegram-preview": telegram_preview,
    "youtube": youtube,
    "mastodon-archive": mastodon_archive,
    "mastodon-api": mastodon_api,
    "bluesky": bluesky,
    "open311": open311,
    "open311-csv": _columns({"service_request_id", "requested_datetime"}),
    "tickets-csv": _columns(TICKET_REQUIRED),
    "google-play": _columns(PLAY_KEYS),
    "google-play-json": google_play_json,
    "app-store": app_store,
    "tweet-repr": tweet_repr,
    "bluesky-records": bluesky_records,
    "keepiton-xlsx": keepiton_xlsx,
    "outages-json": outages_json,
    "outages-csv": _columns({"country", "start", "end", "scope"}),
    "x-dms": x_dms,
    "facebook-messages": facebook_messages,
    "instagram": instagram,
}
