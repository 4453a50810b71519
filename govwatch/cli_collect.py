"""``govwatch collect``: public posts and replies from Bluesky and Mastodon, saved, then imported."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from .cli_common import EXIT_REJECTS, db_option, err, handle_errors, out, parse_ts, quiet_option
from .config import db_path

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class _RichAccounts:
    """One progress bar per account on a terminal; one line per stage in logs."""

    def __init__(self, enabled: bool, err):
        self.enabled = enabled
        self.err = err
        self.bar: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.stage: dict[str, str] = {}

    def start(self, account: str) -> None:
        if not self.enabled:
            return
        err = self.err
        if err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            if self.bar is None:
                self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                    MofNCompleteColumn(), console=err)
                self.bar.start()
            self.tasks[account] = self.bar.add_task(account, total=None)
        else:
            err.print(f"• {account}")

    def update(self, account: str, done: int, total: int | None, what: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None and account in self.tasks:
            self.bar.update(self.tasks[account], completed=done, total=total,
                            description=f"{account} {what}")
        elif self.stage.get(account) != what:
            self.err.print(f"  {account}: {what}")
        self.stage[account] = what

    def finish(self, account: str) -> None:
        if self.bar is not None and account in self.tasks:
            task = self.bar.tasks[self.tasks[account]]
            self.bar.update(self.tasks[account], total=task.completed or 1,
                            completed=task.completed or 1, description=f"{account} done")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


@click.command(epilog="Example: govwatch collect --accounts accounts.csv --out collection "
               "--since 2026-01-01T00:00:00Z")
@click.argument("handles", nargs=-1)
@click.option("--accounts", "accounts_file", type=click.Path(exists=True, dir_okay=False),
              help="Accounts CSV (the file ingest takes): its Bluesky and Mastodon accounts are "
              "collected, and it is imported so that they count as official.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="collection",
              show_default=True, help="Collection folder: raw responses (JSON Lines, one file "
              "per request family) and state.json, which makes the next run incremental.")
@click.option("--since", metavar="TS", help="First run: go back no further than this time "
              "(ISO 8601 with offset).")
@click.option("--max-posts", type=click.IntRange(min=1), metavar="N",
              help="First run: at most N of each account's latest posts.")
@click.option("--refetch-days", type=click.FloatRange(min=0), default=7, show_default=True,
              help="Fetch the threads of posts this recent again, for late replies.")
@click.option("--thread-depth", type=click.IntRange(min=1, max=1000), default=20,
              show_default=True, help="Bluesky getPostThread depth; deeper replies are "
              "fetched in further requests.")
@click.option("--no-mentions", is_flag=True, help="Bluesky: do not search for posts that "
              "mention the accounts.")
@click.option("--timeout", type=click.FloatRange(min=1), default=30, show_default=True,
              help="Seconds to wait for one response.")
@click.option("--retries", type=click.IntRange(min=0), default=6, show_default=True,
              help="Retries of a request answered 429 or 5xx (backoff with jitter, honouring "
              "Retry-After and rate-limit reset headers).")
@click.option("--max-wait", type=click.FloatRange(min=0), default=300, show_default=True,
              help="Longest single wait, in seconds, before a retry.")
@click.option("--bluesky-api", default="https://public.api.bsky.app", show_default=True,
              help="Bluesky AppView to ask.")
@click.option("--mastodon-api", metavar="URL", help="Ask this base URL for every Mastodon "
              "account instead of https://<the account's instance> (a proxy or a test server).")
@click.option("--youtube-key", envvar="GOVWATCH_YOUTUBE_KEY", metavar="KEY",
              help="Your own YouTube Data API key, for youtube:CHANNEL_ID accounts (or "
              "$GOVWATCH_YOUTUBE_KEY). Never saved or printed.")
@click.option("--youtube-api", default="https://www.googleapis.com/youtube/v3",
              show_default=True, help="YouTube Data API base URL.")
@click.option("--no-ingest", is_flag=True, help="Collect only; import later with "
              "'govwatch ingest DIR/bluesky --format bluesky', "
              "'govwatch ingest DIR/mastodon/<instance> --format mastodon-api' and "
              "'govwatch ingest DIR/youtube --format youtube'.")
@quiet_option("No progress; the summary and errors only.")
@db_option
@handle_errors
def collect(handles, accounts_file, out_dir, since, max_posts, refetch_days, thread_depth,
            no_mentions, timeout, retries, max_wait, bluesky_api, mastodon_api, youtube_key,
            youtube_api, no_ingest, quiet, db):
    """Collect public posts of official accounts and the replies to them, then import them.

    HANDLES are bluesky:NAME.bsky.social, mastodon:USER@INSTANCE or youtube:CHANNEL_ID (the
    prefix may be left out when the form is plain). No login is needed for Bluesky's
    public API (author feed, post threads, mention search) and each Mastodon instance's
    public API (statuses, status context); YouTube comment threads need your own API key. Responses are saved to --out first, then imported into the store.
    Run the same command again to fetch only what is new (and recent threads again);
    an interrupted run resumes where it stopped, without duplicates.
    """
    from govwatch.ingest.collect import HttpClient, Settings, parse_handle, raw_files, read_targets
    from govwatch.ingest.collect import collect as run_collect

    targets = [parse_handle(h) for h in handles]
    if accounts_file:
        targets += read_targets(accounts_file)
    if not targets:
        raise click.UsageError("give HANDLES or an --accounts FILE with Bluesky, Mastodon or "
                               "YouTube rows")
    since_ts = parse_ts(since, "--since")
    settings = Settings(since=since_ts, max_posts=max_posts, refetch_days=refetch_days,
                        thread_depth=thread_depth, mentions=not no_mentions)
    client = HttpClient(timeout=timeout, retries=retries, max_wait=max_wait)
    progress = _RichAccounts(not quiet, err)
    try:
        summary = run_collect(out_dir, targets, settings, client, progress,
                              bluesky_api=bluesky_api, mastodon_api=mastodon_api,
                              youtube_api=youtube_api, youtube_key=youtube_key)
    except KeyboardInterrupt:
        progress.stop()
        err.print(f"Interrupted. Everything fetched so far is saved in {out_dir}; run the "
                  "same command again to resume.")
        sys.exit(1)
    finally:
        progress.stop()
    for a in summary.accounts:
        line = (f"{a.target.key}: {a.posts:,} posts, {a.threads:,} thread requests, "
                f"{a.responses:,} responses saved")
        if a.mentions:
            line += f", {a.mentions:,} mentions"
        if a.gone:
            line += f", {a.gone:,} threads deleted"
        if a.incomplete:
            line += f", {a.incomplete:,} threads shown only in part by the server"
        out.print(line + ".")
        for failure in a.failures:
            err.print(f"  {a.target.key}: {failure}")
    codes = ", ".join(f"{n:,} x {code or 'network error'}"
                      for code, n in sorted(summary.by_status.items()) if code != 200)
    out.print(f"{summary.requests:,} requests ({summary.retries:,} retried"
              f"{'; ' + codes if codes else ''}); waited {summary.waited_seconds:,.0f} s for "
              f"rate limits and errors; responses in {out_dir}.")
    rejected = False
    if not no_ingest:
        rejected = _ingest(out_dir, accounts_file, raw_files(out_dir), db)
    if summary.failed:
        err.print(f"{len(summary.failed)} of {len(summary.accounts)} accounts had failures "
                  "(above); run the same command again to retry them.")
        sys.exit(1)
    if rejected:
        sys.exit(EXIT_REJECTS)


def _ingest(out_dir, accounts_file, files: dict, db) -> bool:
    from govwatch.ingest.base import ReadOptions
    from govwatch.ingest.pipeline import import_paths

    from .cli import _report_import
    from .store import Store

    path = db_path(db)
    results = []
    with Store(path) as store:
        if accounts_file:
            results += import_paths(store, [accounts_file], "accounts-csv", ReadOptions(),
                                    kind="accounts").files
        for fmt, paths in sorted(files.items()):
            results += import_paths(store, paths, fmt, ReadOptions()).files
    _report_import(results, path)
    return any(r.rejected for r in results)
