"""The Twitter/X mapping rules, defined once.

Both Twitter readers' paths take them from here: the general one
(``govwatch.ingest.twitter_json``: every shape, each reject explained) and the typed fast
one (``govwatch.ingest.twitter_v2_fast``: pages and flattened lines in their usual shape).
So does the X account archive reader, whose tweets have the legacy shape. What a value
means (an id, a time, a language, a count, a kind, a text) is decided here and nowhere else.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone

from .base import MAX_TEXT_CHARS
from .times import OFFSET_RE

PLATFORM = "x"
INT64_MAX = 2**63 - 1  # counts are stored as BIGINT
TEXT_CAP = MAX_TEXT_CHARS
TEXT_CAP_REASON = f"text longer than {TEXT_CAP:,} characters"
# API v2 public_metrics field -> posts column.
V2_COUNTS = (("like_count", "like_count"), ("retweet_count", "share_count"),
             ("reply_count", "reply_count"))
# Legacy (v1.1, archive) field -> posts column.
LEGACY_COUNTS = (("favorite_count", "like_count"), ("retweet_count", "share_count"),
                 ("reply_count", "reply_count"))

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_LEGACY_TIME_RE = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$"
)
_ENTITY_RE = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
STATUS_URL_RE = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w+/status(?:es)?/(\d+)", re.IGNORECASE
)
# Twitter's language codes that name no language: undetermined, no text, media/hashtag/
# mention/cashtag/link/emoji only, ...
_NO_LANG = {"und", "zxx", "qme", "qam", "qct", "qht", "qst", "qlm", "qmt", "qed", "qnm"}
_OLD_LANG = {"in": "id", "iw": "he", "ji": "yi"}


def parse_legacy_time(value: object) -> datetime | None:
    """'Wed Oct 10 20:19:24 +0000 2018' -> aware UTC datetime (None if not that form)."""
    if not isinstance(value, str):
        return None
    m = _LEGACY_TIME_RE.match(value.strip())
    if not m:
        return None
    mon, day, hh, mm, ss, sign, oh, om, year = m.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
    try:
        local = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss),
                         tzinfo=timezone(offset))
    except ValueError:
        return None
    return local.astimezone(UTC)


def parse_iso_time(value: object) -> datetime | None:
    """ISO 8601 with a UTC offset (ingest/times.py) -> aware UTC datetime (None otherwise)."""
    if not isinstance(value, str) or not OFFSET_RE.search(value.strip()):
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("z", "Z")).astimezone(UTC)
    except ValueError:
        return None


def unescape_text(text: str) -> str:
    """Undo the three HTML escapes Twitter applies to post text (&amp; last, in one pass)."""
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(1)], text)


def norm_lang(code: object) -> str | None:
    if not isinstance(code, str) or not code.strip():
        return None
    code = code.strip().lower()
    if code in _NO_LANG:
        return None
    return _OLD_LANG.get(code, code)


def native_id(value: object) -> str | None:
    """A Twitter id as text, from a string or an integer; None if it is not one."""
    if type(value) is str and len(value) <= 30 and value.isdigit() and value.isascii():
        return value  # the usual case, first
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str):
        value = value.strip()
        if 0 < len(value) <= 30 and value.isascii() and value.isdigit():
            return value
    return None


def parse_count(value: object) -> tuple[int | None, bool]:
    """A whole number from 0 to 2**63-1 from an int or numeric string: (value, ok).
    Absent is (None, True)."""
    if value is None:
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, int) and 0 <= value <= INT64_MAX:
        return value, True
    return None, False


def post_text(long_text: object, text: object) -> object:
    """The text a post shows: the long form when the export has one (v2 ``note_tweet``,
    v1.1 ``extended_tweet``/``full_text``), else ``text``, with Twitter's HTML escapes
    undone; a value that is not text is returned as it is, for the caller to refuse."""
    chosen = long_text or text
    if isinstance(chosen, str) and "&" in chosen:
        return unescape_text(chosen)
    return chosen


def v2_kind(refs: dict[str, str | None]) -> tuple[str | None, str]:
    """(replied-to id, kind) from an API v2 tweet's referenced tweets, given as
    {type: id} (the last of a type wins): a retweet is a repost, a reply names its
    parent, a quote quotes."""
    reply_to = refs.get("replied_to")
    return reply_to, ("repost" if "retweeted" in refs else "reply" if reply_to
                      else "quote" if "quoted" in refs else "post")


def status_url(author: str | None, post_id: str) -> str:
    return status_prefix(author) + post_id


@functools.lru_cache(maxsize=65_536)
def status_prefix(author: str | None) -> str:
    if author and re.fullmatch(r"\w{1,50}", author) and not author.isdigit():
        return f"https://x.com/{author}/status/"
    return "https://x.com/i/web/status/"
