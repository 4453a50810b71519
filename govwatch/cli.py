"""The `govwatch` command line. The only place that prints errors and picks exit codes.

Exit status: 0 all good; 1 failure; 2 usage error; 3 finished with rejected rows.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cli_check import check
from .cli_common import (
    EXIT_REJECTS,
    ReaderFormat,
    account_arg,
    db_option,
    err,
    handle_errors,
    out,
    quiet_option,
    status_printer,
)
from .cli_publish import publish
from .config import db_path
from .errors import InputError


class _RichImportProgress:
    """Byte-based progress bar per file, on stderr."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Any = None
        self.task = None

    def start_file(self, name: str, total_bytes: int) -> None:
        if not self.enabled:
            return
        # Loaded only for a bar on a terminal: a fiftieth of a second saved otherwise.
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err.real(),
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task(name, total=total_bytes or None)

    def advance(self, done_bytes: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done_bytes)

    def end_file(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


class _PlainImportProgress:
    """Progress for logs (stderr is not a terminal): one line per tenth of each file."""

    def __init__(self):
        self.name = ""
        self.total = 0
        self.next_tenth = 1

    def start_file(self, name: str, total_bytes: int) -> None:
        self.name, self.total, self.next_tenth = name, total_bytes, 1

    def advance(self, done_bytes: int) -> None:
        if not self.total:
            return
        tenth = done_bytes * 10 // self.total
        if tenth >= self.next_tenth and tenth < 10:
            click.echo(f"{self.name}: read {tenth * 10}% of {self.total:,} bytes", err=True)
            self.next_tenth = tenth + 1

    def end_file(self) -> None:
        pass


def _import_progress(quiet: bool):
    if quiet:
        return None
    return _RichImportProgress(True) if err.is_terminal else _PlainImportProgress()


# Commands whose modules load only when the command is named: each module, the command
# in it, and the first paragraph of its help (what `govwatch --help` lists; a test holds
# it to the command's own). `analyze`'s options read the analysis settings' defaults, a
# quarter of the time `govwatch formats` or `--help` took beyond importing click.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "audit": ("govwatch.cli_audit", "audit",
              "Check a tag on your own accounts' posts: a blind coding sample, then its score."),
    "analyze": ("govwatch.cli_analyze", "analyze",
                "Tag posts and compute responsiveness metrics into the store."),
    "collect": ("govwatch.cli_collect", "collect",
                "Collect public posts of official accounts and the replies to them, "
                "then import them."),
}


class _Group(click.Group):
    """A group loading the commands of ``LAZY_COMMANDS`` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attr, _ = LAZY_COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return self.commands.get(cmd_name)

    def all_commands(self) -> dict[str, click.Command]:
        """Every command, loaded (for the reference docs and the tests)."""
        for name in LAZY_COMMANDS:
            self.get_command(click.Context(self), name)
        return dict(sorted(self.commands.items()))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's list of commands, a command not loaded yet listed by its help's
        first paragraph (shortened by click's own rule) without loading it."""
        commands = []
        for name in self.list_commands(ctx):
            cmd = self.commands.get(name) or click.Command(name, help=LAZY_COMMANDS[name][2])
            if not cmd.hidden:
                commands.append((name, cmd))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit))
                                    for name, cmd in commands])


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="govwatch")
def cli() -> None:
    """Measure whether governments listen on social media.

    Load exports of official accounts and of the public (ingest), tag posts and
    compute responsiveness metrics (analyze), then look at them (dashboard) or
    take them away (export).
    """


# ---------------------------------------------------------------- ingest
@cli.command(epilog="Example: govwatch ingest tweets.jsonl replies.csv --accounts accounts.csv --db govwatch.duckdb")
@click.argument("paths", nargs=-1, type=click.Path(exists=True), required=False)
@click.option(
    "--format",
    "fmt",
    type=ReaderFormat(),
    default="auto",
    show_default=True,
    help="Reader to use for PATHS; 'auto' sniffs each file (see 'govwatch formats').",
)
@click.option(
    "--accounts",
    "accounts_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Accounts CSV naming the official accounts (platform, author, institution, country, "
    "level, timezone[, office_hours, display_name]).",
)
@click.option(
    "--assume-tz",
    metavar="ZONE",
    help="IANA zone for timestamps written without a UTC offset (otherwise such rows are rejected).",
)
@click.option(
    "--ambiguous-time",
    type=click.Choice(["reject", "earlier", "later"]),
    default="reject",
    show_default=True,
    help="A local time (--assume-tz) that the clock passes twice when daylight saving ends: "
    "reject the row, or take the earlier or the later of the two; the import records the "
    "choice.",
)
@click.option(
    "--day-precision",
    is_flag=True,
    help="Take a time written as a date alone (2026-02-02) as midnight (in the --assume-tz "
    "zone, else UTC) instead of rejecting it; the import records the option.",
)
@click.option(
    "--mapping",
    "mapping",
    metavar="FILE|NAME",
    help="With --format mapped: a mapping YAML (or the name of a shipped one, e.g. twcs) saying "
    "where each field of a foreign export is. With other formats: a CSV or YAML file renaming "
    "foreign column headers to govwatch's (their_name -> our_name).",
)
@click.option("--strict", is_flag=True, help="Stop at the first rejected row; store nothing of that file.")
@click.option(
    "--add-to-db",
    "adopt",
    is_flag=True,
    help="Let --db name a DuckDB file that holds other tables: govwatch's tables are added "
    "beside them (without it such a file is refused, left as it was).",
)
@click.option(
    "--keep-raw",
    is_flag=True,
    help="Also store each post's original JSON record (posts.raw). Off by default: govwatch "
    "never reads it, it is most of a JSON import's size, and it holds more about the public "
    "than the analysis needs; posts keep the file they came from (source_file).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that read a large JSON Lines file (Twitter API v2 or v1.1) in parts at "
    "once, each part at least 64 MiB. Default: the CPUs this command may use, at most 8. "
    "The store receives the same rows whatever the number.",
)
@click.option(
    "--app-id",
    metavar="APP",
    help="App-store reviews: the app (Play package or App Store id) the reviews are about, "
    "for files that do not name it (google-play-scraper's CSV).",
)
@click.option(
    "--owner",
    metavar="ACCOUNT",
    help="The account a file belongs to, for files that do not say: direct messages (x-dms: "
    "its X handle; facebook-messages: the Page's name) or one Instagram post's comments "
    "(instagram: its handle).",
)
@quiet_option("No progress bar; the summary line, rejected rows and errors only.")
@db_option
@handle_errors
def ingest(paths, fmt, accounts_file, assume_tz, ambiguous_time, day_precision, mapping, strict,
           adopt, keep_raw, app_id, owner, jobs, quiet, db):
    """Import export files (and an accounts CSV) into the store.

    Each file is imported in one transaction: importing the same file again
    changes nothing, overlapping exports merge, and bad rows are reported with
    their file, line and reason while every valid row is kept. Exit status 3
    means some rows were rejected (listed, and kept in the 'rejects' table).
    """
    from govwatch.ingest.base import ReadOptions
    from govwatch.ingest.parts import default_jobs
    from govwatch.ingest.pipeline import import_paths

    from .store import Store

    if not paths and not accounts_file:
        raise click.UsageError("give at least one PATH or --accounts FILE")
    if assume_tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(assume_tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise click.BadParameter(
                f"unknown time zone {assume_tz!r}", param_hint="--assume-tz"
            ) from None
    if fmt == "mapped" and not mapping:
        raise click.UsageError("--format mapped needs --mapping FILE|NAME")
    options = ReadOptions(
        assume_tz=assume_tz,
        mapping=_load_mapping(mapping) if mapping and fmt != "mapped" else {},
        mapping_file=mapping if fmt == "mapped" else None,
        strict=strict,
        keep_raw=keep_raw,
        day_precision=day_precision,
        ambiguous_time=ambiguous_time,
        app_id=app_id,
        owner=owner.strip().lstrip("@") if owner else None,
    )
    progress = _import_progress(quiet)
    path = db_path(db)
    with Store(path, adopt=adopt) as store:
        results = []
        if accounts_file:
            fmt_accounts = "accounts-csv"
            results += import_paths(
                store, [accounts_file], fmt_accounts, options, progress, kind="accounts"
            ).files
        if paths:
            results += import_paths(store, paths, fmt, options, progress,
                                    jobs=jobs or default_jobs()).files
        platforms = store.conn.execute(
            "SELECT DISTINCT platform FROM posts WHERE import_id IN (SELECT unnest($ids))",
            {"ids": [r.import_id for r in results if r.import_id is not None]},
        ).fetchall()
        from govwatch.ingest.coverage import thread_coverage

        coverage = thread_coverage(store.conn, [p for (p,) in platforms])
    _report_import(results, path)
    for row in coverage:
        out.print(
            f"Thread coverage on {row.platform}: {row.replies:,} replies; parent present "
            f"{row.present:,}, derivable from the id {row.derivable:,}, missing {row.missing:,}."
        )
    if strict and any(r.failed for r in results):
        sys.exit(1)
    if any(r.rejected for r in results):
        sys.exit(EXIT_REJECTS)


def _load_mapping(path: str) -> dict[str, str]:
    """Header renames from a two-column CSV (from,to) or a YAML/JSON mapping."""
    p = Path(path)
    if not p.is_file():
        raise click.BadParameter(f"no such file: {path}", param_hint="--mapping")
    text = p.read_text("utf-8-sig")
    if p.suffix.lower() in (".yaml", ".yml", ".json"):
        import yaml

        data = yaml.safe_load(text) or {}
        data = data.get("columns", data) if isinstance(data, dict) else data
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise InputError(path, "a mapping must map their column names to govwatch's names")
        return {str(k): v for k, v in data.items()}
    import csv

    rows = list(csv.reader(text.splitlines()))
    mapping = {}
    for i, row in enumerate(rows, start=1):
        if i == 1 and [c.strip().lower() for c in row[:2]] == ["from", "to"]:
            continue
        if len(row) != 2:
            raise InputError(path, "expected two columns: their_name,our_name", f"line {i}")
        mapping[row[0].strip()] = row[1].strip()
    return mapping


def _report_import(results, path: Path) -> None:
    from govwatch.ingest.pipeline import ImportSummary

    from .records import printable

    summary = ImportSummary(files=results)
    imported = [r for r in results if not r.skipped_as and not r.failed]
    for r in results:
        if r.skipped_as:
            err.print(f"{r.file}: already imported (import {r.skipped_as}), nothing changed")
    posts = summary.total("posts_added")
    merged = summary.total("posts_merged")
    accounts = summary.total("accounts_added")
    line = f"Imported {posts:,} new posts"
    if merged:
        line += f" ({merged:,} already stored, merged)"
    if accounts:
        line += f" and {accounts:,} accounts"
    outages = summary.total("outages_added")
    if outages:
        line += f" and {outages:,} outage records"
    line += f" from {len(imported):,} file{'s' if len(imported) != 1 else ''} into {path}"
    changed = summary.total("posts_changed")
    if changed:
        line += (f"; {changed:,} stored post{'s' if changed != 1 else ''} had another text "
                 "(edited): the newer text kept (by the export's own time, else this "
                 "import's), the other in post_versions")
    deleted = summary.total("marked_deleted")
    if deleted:
        line += f"; {deleted:,} stored posts are missing from a newer full archive: marked deleted"
    if summary.rejected:
        reasons = ", ".join(f"{n:,} {why}" for why, n in summary.reasons().most_common())
        line += f"; rejected {summary.rejected:,}: {reasons}"
    out.print(line + ".")
    shown = 0
    for r in results:
        for rej in r.rejects:
            if shown == 20:
                err.print("… more in the store's 'rejects' table (govwatch rejects).")
                return
            err.print(f"  {r.file}: {printable(rej.locator)}: {printable(rej.reason)}")
            shown += 1


# ---------------------------------------------------------------- formats
@cli.command(epilog="Example: govwatch formats")
@quiet_option("Names only, one a line.")
def formats(quiet) -> None:
    """List the readers govwatch knows (the values of --format)."""
    from govwatch.ingest.registry import catalogue

    # Plain text through click: rich's console would cost more than the whole listing.
    for name, info in sorted(catalogue().items()):
        if quiet:
            click.echo(name)
            continue
        click.echo(f"{name:<22} {info.platform or '(per row)':<10} {info.description}")


# ---------------------------------------------------------------- rejects
@cli.command(epilog="Example: govwatch rejects --limit 20 --db govwatch.duckdb")
@click.option("--limit", default=50, show_default=True, help="Rows to show.")
@quiet_option("Rows only: nothing when there are none.")
@db_option
@handle_errors
def rejects(limit, quiet, db) -> None:
    """Show rows that imports rejected, with file, line and reason."""
    from .store import Store

    with Store(db_path(db), read_only=True) as store:
        rows = store.conn.execute(
            "SELECT import_id, file, locator, reason FROM rejects ORDER BY import_id, file, "
            "try_cast(regexp_extract(locator, '\\d+') AS BIGINT) LIMIT ?",
            [limit],
        ).fetchall()
    for import_id, file, locator, reason in rows:
        out.print(f"[{import_id}] {file}: {locator}: {reason}")
    if not rows and not quiet:
        out.print("No rejected rows.")


# ---------------------------------------------------------------- train
@cli.command(epilog="Example: govwatch train --labels coded.csv --out my-model --folds 5")
@click.option("--labels", "labels", type=click.Path(exists=True, dir_okay=False), required=True,
              help="Hand-coded CSV: a text column and any of topic, critical, needs_response.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="govwatch-model",
              show_default=True, help="Folder for the model and its cross-validated report.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=int)
@quiet_option()
@handle_errors
def train(labels, out_dir, folds, seed, quiet):
    """Train the tagger on hand-coded labels, with stratified cross-validation.

    Writes the model (skops format, not pickle) and per-class precision, recall,
    F1 and confusion matrices beside it. Use it with 'govwatch analyze --model PATH'.
    """
    from govwatch.analysis.training import train_from_labels

    report = train_from_labels(labels, out_dir, folds=folds, random_state=seed,
                               progress=None if quiet else lambda msg: err.print(f"• {msg}"))
    out.print(f"Trained on {report.rows:,} coded texts; model {report.model_path}; report "
              f"{report.report_md}.")
    for target, t in report.targets.items():
        out.print(f"  {target}: macro F1 {t.macro_f1:.3f} ({t.folds}-fold cross-validated)")


# ---------------------------------------------------------------- export
@cli.command(epilog="Example: govwatch export --what accounts --out accounts.dta --db govwatch.duckdb")
@click.option(
    "--what",
    type=click.Choice(["responses", "events", "accounts", "posts", "activity", "silences",
                       "worklist", "series", "before_after", "candidates"]),
    required=True,
    help="Which table to export. worklist: an account's open messages (needing a response "
    "or critical, unanswered), oldest first. series: weekly and monthly response rates and "
    "medians with intervals. before_after: the comparisons around 'analyze --change-date'. "
    "candidates: candidate events found in the data.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "dta"]),
    default=None,
    help="csv, parquet or dta (Stata 118). Default: the one --out's suffix names "
    "(.csv, .parquet, .dta), else csv; a suffix naming another format is refused.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(),
    required=True,
    help="Output file. With --what posts --format parquet, a new folder gives a dataset "
    "partitioned by platform and the official account whose thread a post is in (what "
    "'analyze --engine dask --posts-parquet' reads, with --include-text).",
)
@click.option(
    "--population",
    type=click.Choice(["needs_response", "all"]),
    default="needs_response",
    show_default=True,
    help="Inbound messages the account figures are computed on.",
)
@click.option(
    "--include-text",
    is_flag=True,
    help="Include post texts (written by members of the public: personal data).",
)
@click.option(
    "--identify-public",
    "--no-pseudonymise",
    "identify_public",
    is_flag=True,
    help="Write citizens' handles in clear instead of keyed pseudonyms (personal data: only "
    "when you have a basis to process it).",
)
@click.option(
    "--raw-csv",
    is_flag=True,
    help="Write CSV cells unchanged. By default a text starting with = + - @, a tab or a "
    "carriage return gets a leading apostrophe so that spreadsheets do not run it as a formula.",
)
@click.option(
    "--include-dms",
    is_flag=True,
    help="Include direct messages (x-dms, facebook-messages imports) in responses and posts. "
    "They are private to the account and left out by default.",
)
@click.option(
    "--account",
    metavar="PLATFORM:AUTHOR",
    help="With --what worklist: only this official account's messages, e.g. x:MinRail.",
)
@quiet_option("No summary line; warnings about personal data and errors only.")
@db_option
@handle_errors
def export(what, fmt, out_path, population, include_text, identify_public, raw_csv, include_dms,
           account, quiet, db):
    """Export a table with its codebook and manifest beside it.

    Platform-native post ids stay text. Citizens' handles are replaced by keyed
    pseudonyms (the key stays in the store); officials are never pseudonymised.
    """
    from .export import export as run_export

    if account is not None:
        if what != "worklist":
            raise click.UsageError("--account goes with --what worklist")
        account = account_arg(account)
    result = run_export(
        db_path(db),
        what,
        fmt,
        Path(out_path),
        pseudonymise=not identify_public,
        include_text=include_text,
        population=population,
        raw_csv=raw_csv,
        include_dms=include_dms,
        account=account,
    )
    for note in result.notes:
        err.print(f"note: {note}")
    if quiet:
        return
    out.print(
        f"Wrote {result.rows:,} rows to {result.path} (+ {result.codebook.name}, "
        f"{result.manifest.name})."
    )


# ---------------------------------------------------------------- dashboard
@cli.command(epilog="Example: govwatch dashboard --port 8050 --db govwatch.duckdb")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but 127.0.0.1 exposes the store's figures.")
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Serve with gunicorn and this many worker processes (needs govwatch[serve]).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(min=1),
              help="Threads per process serving requests.")
@click.option("--dev-server", is_flag=True,
              help="Use Flask's development server instead of waitress (not for production).")
@click.option("--include-dms", is_flag=True,
              help="Show the direct-message channel's aggregate figures (private to the "
              "account; hidden by default). Message texts are never shown.")
@quiet_option("No address line; the server's own log only.")
@db_option
@handle_errors
def dashboard(host, port, workers, threads, dev_server, include_dms, quiet, db):
    """Serve the dashboard (reads the store read-only) with waitress, a production
    WSGI server; --workers N serves with gunicorn.

    Set GOVWATCH_DASH_USER and GOVWATCH_DASH_PASSWORD to require HTTP basic auth.
    """
    from govwatch.dashboard.data import INCLUDE_DMS_ENV
    from govwatch.dashboard.serve import serve

    if include_dms:  # read by every serving process's data layer
        os.environ[INCLUDE_DMS_ENV] = "1"
    if not quiet:
        out.print(f"Dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
    serve(db_path(db), host=host, port=port, workers=workers, threads=threads,
          dev=dev_server)


# ---------------------------------------------------------------- report
@cli.command(epilog="Example: govwatch report --account x:MinRail --out minrail.html --db govwatch.duckdb")
@click.option("--account", "account", required=True, metavar="PLATFORM:AUTHOR",
              help="The official account, e.g. x:MinRail.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True,
              help="HTML file to write.")
@quiet_option("No result line; errors only.")
@db_option
@handle_errors
def report(account, out_path, quiet, db):
    """Write a self-contained HTML benchmark report for one official account."""
    from govwatch.dashboard.report import write_report

    platform, author = account_arg(account)
    path = write_report(db_path(db), platform, author, Path(out_path))
    if not quiet:
        out.print(f"Wrote {path}.")


# ---------------------------------------------------------------- demo
@cli.command(epilog="Example: govwatch demo --no-serve --db govwatch-demo.duckdb")
@click.option("--db", "db", type=click.Path(dir_okay=False), default="govwatch-demo.duckdb",
              show_default=True, help="Store to (re)create for the demo.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Build the demo store and stop.")
@quiet_option()
@handle_errors
def demo(db, host, port, no_serve, quiet):
    """Sample data -> fresh store -> analyze -> dashboard.

    The sample data is synthetic (fictional countries, ministries and people),
    shipped in sample_data/small.
    """
    from .demo import build_demo

    say = status_printer(quiet)
    path = Path(db)
    summary = build_demo(path, progress=say)
    if not quiet:
        out.print(summary)
    if no_serve:
        return
    if not quiet:
        out.print(f"Dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
    from govwatch.dashboard.serve import serve

    serve(path, host=host, port=port)


cli.add_command(publish)
cli.add_command(check)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="govwatch")


if __name__ == "__main__":
    main()
