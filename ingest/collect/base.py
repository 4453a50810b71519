"""What every collector shares: the accounts to collect, the settings, the per-account
result, the progress interface, and the threads bookkeeping that makes runs incremental."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from govwatch.errors import InputError, UsageError

PLATFORMS = ("bluesky", "mastodon", "youtube")


@dataclass(frozen=True)
class Target:
    platform: str
    handle: str  # as the accounts CSV names it: a Bluesky handle or DID; user@instance

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.handle}"


def parse_handle(text: str) -> Target:
    """``bluesky:name.bsky.social``, ``mastodon:user@instance``; without a prefix,
    ``@user@instance`` / ``user@instance`` is Mastodon and a dotted name or a DID Bluesky."""
    value = text.strip()
    platform, sep, rest = value.partition(":")
    if sep and platform.lower() in PLATFORMS:
        value = rest.strip()
        platform = platform.lower()
    elif value.lstrip("@").count("@") == 1:
        platform = "mastodon"
    elif value.startswith("UC") and len(value) == 24 and "." not in value:
        platform = "youtube"  # a channel id
    elif value.startswith("did:") or "." in value:
        platform = "bluesky"
    else:
        raise UsageError(f"cannot tell the platform of {text!r}: write bluesky:HANDLE, "
                         "mastodon:USER@INSTANCE or youtube:CHANNEL_ID")
    value = value.lstrip("@")
    if platform == "mastodon":
        user, _, instance = value.partition("@")
        if not user or not instance:
            raise UsageError(f"{text!r}: a Mastodon account is USER@INSTANCE")
        value = f"{user}@{instance.lower()}"
    elif not value:
        raise UsageError(f"{text!r}: empty handle")
    return Target(platform, value)


def read_targets(path: str | Path) -> list[Target]:
    """The Bluesky, Mastodon and YouTube accounts of an accounts CSV (the file ingest takes); other
    platforms' rows are left for other tools."""
    targets = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            names = {(n or "").strip().lower() for n in reader.fieldnames or []}
            if not {"platform", "author"} <= names:
                raise InputError(str(path), "an accounts CSV needs the columns platform and author",
                                 "line 1")
            for n, row in enumerate(reader, start=2):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
                if row["platform"].lower() in PLATFORMS and row["author"]:
                    targets.append(parse_handle(f"{row['platform'].lower()}:{row['author']}"))
                elif row["platform"].lower() in PLATFORMS:
                    raise InputError(str(path), "empty author", f"line {n}")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the accounts CSV: {exc}") from None
    return targets


@dataclass
class Settings:
    since: datetime | None = None  # the first run goes back no further than this
    max_posts: int | None = None  # per account, on the first run
    refetch_days: float = 7.0  # threads of posts this recent are fetched again (late replies)
    thread_depth: int = 20  # Bluesky getPostThread depth; deeper parts are fetched apart
    mentions: bool = True  # Bluesky: also search for posts mentioning the account
    page_size: int = 100  # Bluesky limit (max 100); Mastodon uses min(page_size, 40)
    now: datetime | None = None  # for the refetch window; default: the run's start

    def window_start(self, started: datetime) -> datetime:
        return (self.now or started) - timedelta(days=self.refetch_days)


@dataclass
class AccountResult:
    target: Target
    responses: int = 0
    posts: int = 0  # the account's own posts seen in its timeline this run
    threads: int = 0  # thread requests made
    gone: int = 0  # threads whose root was deleted (404 / NotFound)
    incomplete: int = 0  # threads the server showed only in part, even when asked again
    mentions: int = 0
    failures: list[str] = field(default_factory=list)


class Progress(Protocol):
    def start(self, account: str) -> None: ...
    def update(self, account: str, done: int, total: int | None, what: str) -> None: ...
    def finish(self, account: str) -> None: ...


class NoProgress:
    def start(self, account: str) -> None:
        pass

    def update(self, account: str, done: int, total: int | None, what: str) -> None:
        pass

    def finish(self, account: str) -> None:
        pass


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def run_start(run_started: str) -> datetime:
    """The run's start time, as the run's state records it (ISO 8601, written by run.py)."""
    started = parse_iso(run_started)
    if started is None:
        raise ValueError(f"not a run start time: {run_started!r}")
    return started


def parse_iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def threads_due(threads: dict, run_started: str, window_start: datetime) -> list[str]:
    """Thread roots to fetch in this run, oldest first: never fetched, or recent enough
    to get late replies and not yet fetched in this run; deleted roots are skipped."""
    due = []
    for key, t in threads.items():
        if t.get("gone") or t.get("fetched") == run_started:
            continue
        created = parse_iso(t.get("created"))
        if t.get("fetched") is None or (created is not None and created >= window_start):
            due.append((t.get("created") or "", key))
    return [key for _, key in sorted(due)]
