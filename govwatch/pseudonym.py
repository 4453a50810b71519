"""Keyed pseudonyms for members of the public; officials are never pseudonymised.

A citizen's pseudonym is ``"p_"`` + the first 16 hex digits of
HMAC-SHA256(key, ``"<platform>:<handle in lower case>"``), where the key is the
store's secret ``meta.pseudonym_key`` (64 hex digits made at random when the
store was created; the UTF-8 bytes of that text are the HMAC key). So:

- the same citizen gets the same pseudonym in every export of one store (and
  across platforms a different one: the platform is part of the input);
- handles are case-insensitive, so ``@Foo`` and ``foo`` are one person;
- without the key the pseudonym cannot be reversed, nor recomputed from a
  guessed handle; the key stays in the store and is never written to an export.

Someone holding the store (and so the key) can re-identify; pseudonymised data
is still personal data under GDPR-like laws, to be handled as such.

:func:`redact_handles` finds @handles in a text by each platform's handle
grammar (:data:`HANDLE_GRAMMARS`: dots in Facebook and YouTube names, Bluesky's
domain handles, Mastodon's ``user@instance``) and replaces a citizen's with its
pseudonym; officials' handles stay as written.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable

import duckdb
import pandas as pd

from .errors import StoreError

PREFIX = "p_"
HEX_CHARS = 16
KEY_META = "pseudonym_key"


def pseudonym(key: str, platform: str, author: str) -> str:
    """The pseudonym of one (platform, author)."""
    message = f"{platform}:{author.lower()}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_CHARS]


def store_key(con: duckdb.DuckDBPyConnection) -> str:
    """The store's pseudonym key; a store without one cannot be exported pseudonymised."""
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [KEY_META]).fetchall()
    if not rows or not rows[0][0]:
        raise StoreError(
            "the store has no pseudonym key (meta.pseudonym_key); it was not created by govwatch"
        )
    return rows[0][0]


def pseudonym_frame(key: str, pairs: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """Columns platform, la (handle in lower case), pseudonym; one row per distinct pair."""
    seen: dict[tuple[str, str], str] = {}
    for platform, author in pairs:
        if platform is None or author is None:
            continue
        k = (platform, author.lower())
        if k not in seen:
            seen[k] = pseudonym(key, platform, author)
    return pd.DataFrame(
        {
            "platform": pd.Series([k[0] for k in seen], dtype="object"),
            "la": pd.Series([k[1] for k in seen], dtype="object"),
            "pseudonym": pd.Series(list(seen.values()), dtype="object"),
        }
    )


def pseudonymise_series(key: str, platforms: pd.Series, authors: pd.Series,
                        officials: set[tuple[str, str]]) -> pd.Series:
    """Pseudonyms for non-official authors, officials unchanged, missing stays missing.

    ``officials`` holds (platform, handle in lower case) pairs.
    """
    out: list = []
    for platform, author in zip(platforms, authors, strict=True):
        if author is None or (not isinstance(author, str) and pd.isna(author)):
            out.append(None)
        elif (platform, author.lower()) in officials:
            out.append(author)
        else:
            out.append(pseudonym(key, platform, author))
    return pd.Series(out, index=authors.index, dtype="object")


def register_pseudonyms(con: duckdb.DuckDBPyConnection, key: str, pairs_sql: str,
                        name: str = "_pseudonyms") -> int:
    """Compute pseudonyms for the (platform, author) rows ``pairs_sql`` yields and
    register them as the view ``name`` (platform, la, pseudonym) for SQL joins.

    Works on a read-only connection. Returns the number of distinct authors.
    """
    pairs = con.execute(f"SELECT DISTINCT platform, author FROM ({pairs_sql})").fetchall()
    frame = pseudonym_frame(key, pairs)
    con.register(name, frame)
    return len(frame)


# ------------------------------------------------------------------ handles in texts
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
# What a mention's handle may be on each platform, as its own rules write it:
HANDLE_GRAMMARS: dict[str, str] = {
    # X: letters, digits, underscore (15 today; older accounts and exports go longer)
    "x": r"[A-Za-z0-9_]{1,50}",
    # Telegram: letters, digits, underscore, 4-32
    "telegram": r"[A-Za-z0-9_]{4,32}",
    # Bluesky: a domain name (alice.bsky.social, maria.lopez.bsky.social, gov.example)
    "bluesky": _DOMAIN,
    # Mastodon: user, or user@instance (a domain)
    "mastodon": rf"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@{_DOMAIN})?",
    # Facebook usernames: letters, digits and dots (john.doe.1985)
    "facebook": r"[A-Za-z0-9](?:[A-Za-z0-9.]*[A-Za-z0-9])?",
    # YouTube handles: letters, digits, underscore, hyphen and dots
    "youtube": r"[A-Za-z0-9_-](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?",
}
HANDLE_GRAMMARS["twitter"] = HANDLE_GRAMMARS["x"]
# Unknown platforms: the widest of the above (any of them, with an instance).
DEFAULT_GRAMMAR = rf"[\w-](?:[\w.-]*[\w-])?(?:@{_DOMAIN})?"
# Characters glued to a handle that its grammar does not take ("@john.doe.1985"
# on X mentions @john): they may carry the rest of a name, so a citizen's
# handle is replaced together with them.
_TAIL = r"(?:[\w.@-]*\w)?"
_PATTERNS: dict[str | None, re.Pattern] = {}


def _pattern(platform: str | None) -> re.Pattern:
    key = platform.lower() if isinstance(platform, str) else None
    if key not in _PATTERNS:
        grammar = HANDLE_GRAMMARS.get(key, DEFAULT_GRAMMAR) if key else DEFAULT_GRAMMAR
        _PATTERNS[key] = re.compile(rf"(?<![\w@.])@(?P<handle>{grammar})(?P<tail>{_TAIL})")
    return _PATTERNS[key]


def redact_handles(text: str, platform: str | None, officials: frozenset[str] | set[str],
                   pseudonymise: Callable[[str], str]) -> str:
    """``text`` with every citizen's @handle (by ``platform``'s grammar, the widest
    when unknown) replaced by ``"@" + pseudonymise(handle)``, together with any
    name characters glued to it. A handle in ``officials`` (lower case) stays as
    written; on Mastodon a bare ``@user`` is an official's when an official is
    ``user@instance``."""
    local = {h.split("@", 1)[0] for h in officials if "@" in h}

    def handle(m: re.Match) -> str:
        name = m.group("handle")
        low = name.lower()
        if low in officials or ("@" not in low and low in local):
            return m.group(0)
        return "@" + pseudonymise(name)

    return _pattern(platform).sub(handle, text)
