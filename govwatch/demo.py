"""The embedded default: synthetic sample data -> fresh store -> analysis."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .store import Store


def sample_dir() -> Path:
    return Path(str(files("govwatch.sample_data") / "small"))


def build_demo(path: Path, progress=None) -> str:
    """(Re)create ``path`` from the shipped synthetic sample and analyse it."""
    from govwatch.analysis.pipeline import run_analysis
    from govwatch.ingest.events import load_events
    from govwatch.ingest.pipeline import import_paths

    say = progress or (lambda *a, **k: None)
    src = sample_dir()
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    with Store(path) as store:
        say("importing synthetic sample data")
        accounts = import_paths(store, [src / "accounts.csv", src / "channel_accounts.csv"],
                                "accounts-csv", kind="accounts")
        posts = import_paths(store, [src / "posts.csv"], "csv")
        # the channel stories (sample_data/stories.py): a complaint queue, a templated app,
        # a protest week in which Telegram is blocked in Cordania (its outage record too)
        say("importing the complaint queue, the app reviews and the blocked Telegram week")
        stories = [import_paths(store, [src / "tickets.csv"], "tickets-csv"),
                   import_paths(store, [src / "app_reviews.csv"], "google-play"),
                   import_paths(store, [src / "telegram_posts.csv"], "csv")]
        outages = import_paths(store, [src / "outages.csv"], "outages-csv", kind="outages")
        problems = (accounts.rejected + posts.rejected + outages.rejected
                    + sum(s.rejected for s in stories))
        if problems:  # the shipped sample must be clean
            raise RuntimeError(f"the shipped sample data has {problems} rejected rows")
        say("loading events")
        for name in ("events.csv", "protest_events.csv"):
            _, rejects = load_events(store, src / name)
            if rejects:
                raise RuntimeError(f"the shipped {name} has {len(rejects)} rejected rows")
        result = run_analysis(store, progress=say)
    return (
        f"Demo store {path}: {posts.total('posts_added'):,} synthetic posts, "
        f"{sum(s.total('posts_added') for s in stories):,} complaint tickets, app reviews, "
        f"Telegram channel posts and their answers, {accounts.total('accounts_added'):,} official accounts, "
        f"{result.messages:,} inbound messages ({result.answered:,} answered)."
    )
