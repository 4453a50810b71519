"""One collection run over many accounts, and the raw files it leaves for the readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from govwatch.errors import CollectError

from .base import AccountResult, NoProgress, Progress, Settings, Target, iso, utc_now
from .bluesky import DEFAULT_API, BlueskyCollector
from .http import HttpClient
from .mastodon import MastodonCollector
from .state import Collection
from .youtube import DEFAULT_API as YOUTUBE_API
from .youtube import YouTubeCollector

# The reader (``govwatch formats``) of each platform's raw files.
READERS = {"bluesky": "bluesky", "mastodon": "mastodon-api", "youtube": "youtube"}


@dataclass
class RunSummary:
    accounts: list[AccountResult] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    by_status: dict[int, int] = field(default_factory=dict)

    @property
    def failed(self) -> list[AccountResult]:
        return [a for a in self.accounts if a.failures]


def collect(
    root: str | Path,
    targets: list[Target],
    settings: Settings | None = None,
    client: HttpClient | None = None,
    progress: Progress | None = None,
    bluesky_api: str = DEFAULT_API,
    mastodon_api: str | None = None,
    youtube_api: str = YOUTUBE_API,
    youtube_key: str | None = None,
) -> RunSummary:
    """Collect every target into the collection folder ``root``; one account's failure
    is recorded in its result and the others go on. A run that was interrupted is resumed
    (same run start, so threads it already fetched are not fetched again)."""
    settings = settings or Settings()
    client = client or HttpClient()
    progress = progress or NoProgress()
    collectors: dict[str, BlueskyCollector | MastodonCollector | YouTubeCollector] = {
        "bluesky": BlueskyCollector(client, bluesky_api),
        "mastodon": MastodonCollector(client, mastodon_api),
        "youtube": YouTubeCollector(client, youtube_api, youtube_key),
    }
    summary = RunSummary()
    with Collection(root) as coll:
        run = coll.state.get("run")
        if not run or run.get("done"):
            run = coll.state["run"] = {"started": iso(utc_now()), "done": False}
            coll.save()
        for target in dict.fromkeys(targets):
            progress.start(target.key)
            try:
                result = collectors[target.platform].collect(
                    target, coll, settings, run["started"], progress)
            except CollectError as exc:
                result = AccountResult(target, failures=[f"{exc.request}: {exc.reason}"])
            finally:
                progress.finish(target.key)
            summary.accounts.append(result)
        run["done"] = True
        coll.save()
    stats = client.stats
    summary.requests, summary.retries = stats.requests, stats.retries
    summary.waited_seconds, summary.by_status = stats.waited_seconds, dict(stats.by_status)
    return summary


def raw_files(root: str | Path) -> dict[str, list[Path]]:
    """The committed raw files of a collection folder by the reader that reads them."""
    with Collection(root) as coll:
        files = coll.files()
    out: dict[str, list[Path]] = {}
    for path in files:
        platform = path.relative_to(Path(root)).parts[0]
        if platform in READERS:
            out.setdefault(READERS[platform], []).append(path)
    return out
