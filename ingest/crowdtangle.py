"""Readers for Facebook Page/Group posts exported as CSV by CrowdTangle
("Historical Data" downloads) and by the Meta Content Library, its successor.

**CrowdTangle** (``--format crowdtangle``). Columns used: ``Page Name`` (or
``Group Name``), ``User Name``, ``Facebook Id``, ``Post Created``, ``Message``,
``URL``, ``Likes``, ``Comments``, ``Shares``; every other column (``Type``,
``Link``, reactions, ``Total Interactions`` ...) is kept in ``raw`` (with ``--keep-raw``).

- ``author`` is the Page's ``User Name`` (its vanity handle) and, for a Page
  without one, its ``Facebook Id``; ``author_id`` is always the ``Facebook Id``
  and ``display_name`` the Page or Group name. Name officials the same way in
  the accounts CSV.
- ``post_id`` is ``<Facebook Id>_<post number>``, Facebook's own post id form,
  with the number read from ``URL`` (``.../posts/123``, ``/videos/123``,
  ``/photos/a.1/123``, ``permalink.php?story_fbid=123``, ``pfbid...``).
- ``Post Created`` is written in the time zone of the dashboard that made the
  export, as an abbreviation: "2021-03-04 10:15:00 EST". An abbreviation with a
  single meaning (``EST``, ``EDT``, ``PST``, ``UTC``, ``CET``, ``JST`` ... see
  ``FIXED_ZONES``) is converted with its UTC offset. ``IST``, ``CST``, ``BST``,
  ``AST``, ``GST`` and ``SST`` each name several zones: they are accepted only
  with ``--assume-tz`` naming an IANA zone that uses the abbreviation at that
  moment (e.g. ``--assume-tz Asia/Kolkata`` for IST); otherwise the row is
  rejected with that advice. With ``--assume-tz``, an abbreviation the zone
  uses is read in that zone, which also settles the hour repeated when clocks
  go back (EDT or EST says which). Times with a numeric offset are read as
  such; times without any zone need ``--assume-tz``.
- ``Likes`` is the count of like reactions only (not all reactions).

**Meta Content Library** (``--format meta-content-library``). Columns as in
Meta's data dictionary, flattened with dots: ``id``, ``creation_time``,
``text``, ``lang``, ``post_owner.id``, ``post_owner.name``,
``post_owner.username``, ``statistics.like_count`` (else
``statistics.reaction_count``), ``statistics.comment_count``,
``statistics.share_count``, ``shared_post_id``, ``url``/``post_url``.

- ``post_id`` is the library's ``id``; ``author`` is ``post_owner.username``,
  else ``post_owner.id``; ``display_name`` is ``post_owner.name``.
- ``creation_time`` may be epoch seconds or ISO 8601; an ISO time without an
  offset needs ``--assume-tz`` (it is never guessed).
- A post with a ``shared_post_id`` is kind ``repost``.

Neither export holds comments, so these files give the Pages' own activity
(posts per week, silences, event acknowledgement), not response times.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from govwatch.records import READER_POST_COLUMNS, Account, Batch, accounts_frame

from . import sniffers
from .base import MAX_TEXT_CHARS, Reader, ReadOptions
from .registry import register
from .sniffers import CT_NAMES, CT_REQUIRED, MCL_REQUIRED
from .tabular import (
    MENTION_RE,
    Chunk,
    RowChecker,
    iter_chunks,
    parse_counts,
    parse_times,
)

if TYPE_CHECKING:
    import pandas as pd

PLATFORM = "facebook"

# Abbreviations with one meaning -> minutes east of UTC.
FIXED_ZONES: dict[str, int] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120,
    "EET": 120, "EEST": 180, "MSK": 180, "EAT": 180, "WAT": 60, "CAT": 120, "SAST": 120,
    "PKT": 300, "NPT": 345, "WIB": 420, "WITA": 480, "WIT": 540, "SGT": 480, "HKT": 480,
    "PHT": 480, "JST": 540, "KST": 540, "AWST": 480, "ACST": 570, "ACDT": 630,
    "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780, "BRT": -180, "ART": -180,
    "EST": -300, "EDT": -240, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480,
    "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "ADT": -180, "NST": -210,
    "NDT": -150,
}
# Abbreviations that name several zones: never converted without --assume-tz.
AMBIGUOUS_ZONES: dict[str, str] = {
    "IST": "India +05:30, Israel +02:00 or Ireland +01:00",
    "CST": "US Central -06:00, China +08:00 or Cuba -05:00",
    "BST": "British Summer +01:00 or Bangladesh +06:00",
    "AST": "Atlantic -04:00 or Arabia +03:00",
    "GST": "Gulf +04:00 or South Georgia -02:00",
    "SST": "Samoa -11:00 or Singapore +08:00",
}
_CT_TIME = r"^(?P<local>\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s+(?P<zone>[A-Za-z]{1,5})$"
# The post number in a Facebook post URL.
_URL_POST = (
    r"(?:story_fbid=(?P<q>pfbid\w+|\d+))"
    r"|(?:/(?P<p>pfbid\w+|\d+)/?(?:[?#].*)?$)"
)

CT_OPTIONAL = ("user name", "message", "likes", "comments", "shares")
MCL_OPTIONAL = (
    "text", "lang", "post_owner.id", "post_owner.name", "post_owner.username",
    "statistics.like_count", "statistics.reaction_count", "statistics.comment_count",
    "statistics.share_count", "shared_post_id", "url", "post_url",
)


def parse_abbreviated_times(values: pd.Series, assume_tz: str | None, column: str):
    """Parse "YYYY-MM-DD HH:MM[:SS] ABBR" (and anything parse_times reads) to UTC.

    Returns (times, reason-per-row-or-empty), like :func:`tabular.parse_times`.
    """
    import pandas as pd

    parts = values.str.extract(_CT_TIME)
    abbr = parts["zone"].str.upper()
    has_abbr = abbr.notna()
    out, reasons = parse_times(values.where(~has_abbr), assume_tz, column)
    reasons = reasons.where(~has_abbr, "")
    if not has_abbr.any():
        return out, reasons
    local = pd.to_datetime(parts["local"].where(has_abbr), format="ISO8601", errors="coerce")
    done = pd.Series(False, index=values.index)
    if assume_tz:
        hit, times = _in_zone(local.where(has_abbr), abbr, assume_tz)
        out[hit] = times[hit]
        done |= hit
    for name, minutes in FIXED_ZONES.items():
        rows = has_abbr & ~done & (abbr == name) & local.notna()
        if rows.any():
            utc = (local[rows] - pd.Timedelta(minutes=minutes)).dt.tz_localize("UTC")
            out[rows] = utc.astype("datetime64[us, UTC]")
            done |= rows
    left = has_abbr & ~done
    for name in abbr[left].unique():
        rows = left & (abbr == name)
        if local[rows].isna().all():
            reasons[rows] = f"{column} '" + values[rows].str.slice(0, 40) + "' is not a time"
        elif name in AMBIGUOUS_ZONES:
            in_zone = f" and {assume_tz} does not use it then" if assume_tz else ""
            reasons[rows] = (
                f"{column}: time zone '{name}' is ambiguous ({AMBIGUOUS_ZONES[name]}){in_zone}; "
                "pass --assume-tz with the zone of the dashboard that made the export"
            )
        else:
            reasons[rows] = (
                f"{column}: unknown time zone abbreviation '{name}'; "
                "pass --assume-tz with the zone of the dashboard that made the export"
            )
    return out, reasons


def _in_zone(local: pd.Series, abbr: pd.Series, zone: str):
    """Rows whose abbreviation is the one ``zone`` uses at that local time, in UTC."""
    import pandas as pd

    hit = pd.Series(False, index=local.index)
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us, UTC]")
    present = local.notna()
    if not present.any():
        return hit, out
    n = int(present.sum())
    # First the unambiguous hours, then the repeated hour as summer and as winter time.
    for ambiguous in ("NaT", np.ones(n, dtype=bool), np.zeros(n, dtype=bool)):
        localized = local[present].dt.tz_localize(zone, ambiguous=ambiguous, nonexistent="NaT")
        names = localized.dt.strftime("%Z")
        ok = localized.notna() & (names.str.upper() == abbr[present]) & ~hit[present]
        if ok.any():
            idx = ok[ok].index
            out[idx] = localized[idx].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
            hit[idx] = True
    return hit, out


def _post_numbers(urls: pd.Series) -> pd.Series:
    found = urls.str.extract(_URL_POST)
    return found["q"].fillna(found["p"])


def _raw(df: pd.DataFrame) -> pd.Series:
    """Each row as a JSON object (column -> text), the record's original content."""
    import pandas as pd

    records = df.astype(object).where(df.notna(), None).to_dict("records")
    return pd.Series([json.dumps(r, ensure_ascii=False) for r in records], index=df.index,
                     dtype="string")


def _fill(df: pd.DataFrame, columns: tuple[str, ...]) -> None:
    import pandas as pd

    for col in columns:
        if col not in df:
            df[col] = pd.Series(pd.NA, index=df.index, dtype="string")


def _counts(df: pd.DataFrame, check: RowChecker, columns: dict[str, str | None]) -> dict:
    """Parse count columns (thousands separators allowed); returns canonical -> Int64."""
    import pandas as pd

    out = {}
    for canonical, col in columns.items():
        if col is None:
            out[canonical] = pd.Series(pd.NA, index=df.index, dtype="Int64")
            continue
        values, reasons = parse_counts(df[col].str.replace(",", "", regex=False), col)
        check.fail(reasons != "", reasons)
        out[canonical] = values
    return out


def _frame(df, ok, *, post_id, author, author_id, created, text, kind, url, counts,
           lang=None) -> pd.DataFrame:
    import pandas as pd

    out = pd.DataFrame(index=df.index[ok])
    out["platform"] = PLATFORM
    out["post_id"] = post_id[ok]
    out["author"] = author[ok]
    out["author_id"] = author_id[ok]
    out["created_at"] = created[ok]
    out["created_at_derived"] = False
    out["text"] = text[ok]
    out["lang"] = lang[ok].str.lower() if lang is not None else pd.Series(
        pd.NA, index=out.index, dtype="string")
    out["kind"] = kind[ok]
    for col in ("in_reply_to_post_id", "in_reply_to_author", "conversation_id"):
        out[col] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["mentions"] = text[ok].fillna("").str.findall(MENTION_RE)
    out["url"] = url[ok]
    for col, values in counts.items():
        out[col] = values[ok]
    out["deleted_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us, UTC]")
    out["raw"] = _raw(df[ok])
    return out[list(READER_POST_COLUMNS)].reset_index(drop=True)


def _accounts(author: pd.Series, name: pd.Series, ok: pd.Series) -> pd.DataFrame:
    import pandas as pd

    pairs = pd.DataFrame({"author": author[ok], "name": name[ok]}).dropna(subset=["author"])
    pairs = pairs.drop_duplicates("author")
    return accounts_frame([
        Account(PLATFORM, a, official=False, display_name=None if pd.isna(n) else n)
        for a, n in zip(pairs["author"], pairs["name"], strict=True)
    ])


@register
class CrowdTangleReader(Reader):
    name = "crowdtangle"
    platform = PLATFORM
    description = "CrowdTangle historical-data CSV of Facebook Pages or Groups"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.crowdtangle(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        for chunk in iter_chunks(path, CT_REQUIRED, options.mapping, options.chunk_rows,
                                 progress):
            yield self._batch(chunk, options)

    def _batch(self, chunk: Chunk, options: ReadOptions) -> Batch:
        import pandas as pd

        df = chunk.frame
        _fill(df, CT_NAMES + CT_OPTIONAL)
        check = RowChecker(chunk)
        check.fail(df["facebook id"].isna(), "Facebook Id is empty")
        check.fail(df["url"].isna(), "URL is empty (the post id is read from it)")
        number = _post_numbers(df["url"])
        check.fail(
            number.isna(),
            "URL '" + df["url"].fillna("").str.slice(0, 80) + "' holds no post number",
        )
        created, reasons = parse_abbreviated_times(df["post created"], options.assume_tz,
                                                   "Post Created")
        check.fail(reasons != "", reasons)
        text = df["message"]
        check.fail(text.str.len() > MAX_TEXT_CHARS,
                   f"Message longer than {MAX_TEXT_CHARS:,} characters")
        counts = _counts(df, check, {"like_count": "likes", "share_count": "shares",
                                     "reply_count": "comments"})
        ok = ~check.bad
        author = df["user name"].str.lstrip("@").fillna(df["facebook id"])
        name = df["page name"].fillna(df["group name"])
        kind = pd.Series("post", index=df.index, dtype="string")
        posts = _frame(df, ok, post_id=df["facebook id"] + "_" + number, author=author,
                       author_id=df["facebook id"], created=created, text=text, kind=kind,
                       url=df["url"], counts=counts)
        return Batch(posts=posts, accounts=_accounts(author, name, ok),
                     rejects=check.all_rejects("url"), rows_read=chunk.rows_read)


@register
class MetaContentLibraryReader(Reader):
    name = "meta-content-library"
    platform = PLATFORM
    description = "Meta Content Library CSV of Facebook posts (id, creation_time, post_owner.*)"
    kind = "posts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.meta_content_library(path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        for chunk in iter_chunks(path, MCL_REQUIRED, options.mapping, options.chunk_rows,
                                 progress):
            yield self._batch(chunk, options)

    def _batch(self, chunk: Chunk, options: ReadOptions) -> Batch:
        import pandas as pd

        df = chunk.frame
        present = set(df.columns)
        _fill(df, MCL_OPTIONAL)
        check = RowChecker(chunk)
        check.fail(df["id"].isna(), "id is empty")
        author = df["post_owner.username"].str.lstrip("@").fillna(df["post_owner.id"])
        check.fail(author.isna(), "post_owner.username and post_owner.id are both empty")
        epoch = df["creation_time"].str.fullmatch(r"\d{9,10}").fillna(False)
        created, reasons = parse_times(df["creation_time"].where(~epoch), options.assume_tz,
                                       "creation_time", ambiguous=options.ambiguous_time)
        seconds = pd.to_numeric(df["creation_time"].where(epoch), errors="coerce")
        created[epoch] = pd.to_datetime(seconds[epoch], unit="s", utc=True).astype(
            "datetime64[us, UTC]")
        reasons[epoch] = ""
        check.fail(reasons != "", reasons)
        text = df["text"]
        check.fail(text.str.len() > MAX_TEXT_CHARS,
                   f"text longer than {MAX_TEXT_CHARS:,} characters")
        likes = "statistics.like_count" if "statistics.like_count" in present else (
            "statistics.reaction_count" if "statistics.reaction_count" in present else None)
        counts = _counts(df, check, {"like_count": likes,
                                     "share_count": "statistics.share_count",
                                     "reply_count": "statistics.comment_count"})
        ok = ~check.bad
        kind = pd.Series("post", index=df.index, dtype="string").where(
            df["shared_post_id"].isna(), "repost")
        posts = _frame(df, ok, post_id=df["id"], author=author, author_id=df["post_owner.id"],
                       created=created, text=text, kind=kind,
                       url=df["url"].fillna(df["post_url"]), counts=counts, lang=df["lang"])
        return Batch(posts=posts, accounts=_accounts(author, df["post_owner.name"], ok),
                     rejects=check.all_rejects("id"), rows_read=chunk.rows_read)
