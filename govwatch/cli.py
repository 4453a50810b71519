"""The `govwatch` command line. The only place that prints errors and picks exit codes.

Exit status: 0 all good; 1 failure; 2 usage error; 3 finished with rejected rows.
"""

from __future__ import annotations

import functools
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console

from . import __version__
from .config import DB_ENV, db_path
from .errors import GovwatchError, InputError, StoreError, UsageError

EXIT_REJECTS = 3
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _handle_errors(fn):
    """Turn the library's typed errors into messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from exc
        except (InputError, StoreError, GovwatchError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"DuckDB store file (default: ${DB_ENV} or ./govwatch.duckdb).",
)


def _parse_ts(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name) from None
    if ts.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no UTC offset (add Z or +HH:MM)", param_hint=name)
    return ts


class _RichImportProgress:
    """Byte-based progress bar per file, on stderr."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
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
            console=err,
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="govwatch")
def cli() -> None:
    """Measure whether governments listen on social media.

    Load exports of official accounts and of the public (ingest), tag posts and
    compute responsiveness metrics (analyze), then look at them (dashboard) or
    take them away (export).
    """


# ---------------------------------------------------------------- ingest
@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True), required=False)
@click.option(
    "--format",
    "fmt",
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
    "--mapping",
    "mapping",
    metavar="FILE|NAME",
    help="With --format mapped: a mapping YAML (or the name of a shipped one, e.g. twcs) saying "
    "where each field of a foreign export is. With other formats: a CSV or YAML file renaming "
    "foreign column headers to govwatch's (their_name -> our_name).",
)
@click.option("--strict", is_flag=True, help="Stop at the first rejected row; store nothing of that file.")
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
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@db_option
@_handle_errors
def ingest(paths, fmt, accounts_file, assume_tz, mapping, strict, keep_raw, jobs, quiet, db):
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
    )
    progress = _import_progress(quiet)
    path = db_path(db)
    with Store(path) as store:
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


def _index_weights(text: str | None) -> dict[str, float] | None:
    """'answered_rate=0.5,km_median_hours=0.5' -> weights (checked by the analysis)."""
    if not text:
        return None
    out = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: write METRIC=WEIGHT", param_hint="--index-weights")
    return out


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
    line += f" from {len(imported):,} file{'s' if len(imported) != 1 else ''} into {path}"
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
@cli.command()
def formats() -> None:
    """List the readers govwatch knows (the values of --format)."""
    from govwatch.ingest.registry import readers

    for name, reader in sorted(readers().items()):
        out.print(f"{name:<22} {reader.platform or '(per row)':<10} {reader.description}")


# ---------------------------------------------------------------- rejects
@cli.command()
@click.option("--limit", default=50, show_default=True, help="Rows to show.")
@db_option
@_handle_errors
def rejects(limit, db) -> None:
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
    if not rows:
        out.print("No rejected rows.")


# ---------------------------------------------------------------- analyze
@cli.command()
@click.option(
    "--events",
    "events_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Events CSV or YAML (event_id, name, onset, keywords, critical[, country]).",
)
@click.option(
    "--observed-until",
    metavar="TS",
    help="Observation end (ISO 8601 with offset). Default: the latest post in the store.",
)
@click.option(
    "--assume-tz",
    metavar="ZONE",
    help="IANA zone for event onsets written without a UTC offset.",
)
@click.option(
    "--model",
    metavar="PATH|default",
    help="Tag with a model saved by 'govwatch train' (kept for later runs); 'default' goes "
    "back to the model fitted on the store's own texts with the taxonomy's seed rules.",
)
@click.option(
    "--languages",
    metavar="CODES",
    help="Comma-separated language codes the detector may choose from (default en,hi,id,ru,kk).",
)
@click.option(
    "--lexicon",
    "lexicons",
    multiple=True,
    metavar="LANG=FILE",
    help="A VADER-format lexicon to score LANG with (repeatable). VADER scores English only.",
)
@click.option("--taxonomy", type=click.Path(exists=True, dir_okay=False),
              help="A topic taxonomy YAML replacing the shipped one.")
@click.option("--holidays", type=click.Path(exists=True, dir_okay=False),
              help="CSV of days off (country,date,name) for the business clock.")
@click.option("--window-days", type=click.FloatRange(min=0, min_open=True), default=7,
              show_default=True, help="Response-rate window.")
@click.option("--min-n", type=click.IntRange(min=1), default=10, show_default=True,
              help="Fewer messages than this and a figure reads 'too few'.")
@click.option("--min-peers", type=click.IntRange(min=1), default=5, show_default=True,
              help="Fewer peers with a figure than this and an account gets no rank.")
@click.option("--peers", "peer_groups", type=click.Choice(["country-level", "level"]),
              default="country-level", show_default=True,
              help="Peer groups for benchmarks: same country and level, or same level "
              "across countries.")
@click.option("--peer-sets", "peer_sets_file", type=click.Path(exists=True, dir_okay=False),
              help="CSV platform,author,peer_set naming each account's peer group "
              "(replaces --peers; accounts not listed are not ranked).")
@click.option("--index-weights", metavar="METRIC=W,...",
              help="Composite index weights, e.g. answered_rate=0.5,km_median_hours=0.5 "
              "(metrics not named keep their default; 0 leaves one out).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True,
              help="Where tagging and the per-account metric chunks run: this machine's "
              "processes, or a Dask cluster (needs govwatch[dask]; docs/scaling.md). The "
              "results are the same.")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --engine dask: the Dask scheduler to connect to (e.g. "
              "tcp://10.0.0.5:8786). Default: a local cluster of worker processes.")
@click.option("--dask-workers", type=click.IntRange(min=1), metavar="N",
              help="With --engine dask and no --scheduler: worker processes of the local "
              "cluster (default: the machine's cores).")
@click.option("--posts-parquet", metavar="PATH|URL",
              help="With --engine dask: read the posts to tag from this dataset, written by "
              "'govwatch export --what posts --format parquet --include-text --out DIR' "
              "(a folder or an fsspec URL the workers can read). Default: the engine writes "
              "one under --work-dir.")
@click.option("--work-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="With --engine dask: folder for the posts dataset the engine writes (on a "
              "filesystem the workers share; removed after the run). Default: the system's "
              "temporary folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
@db_option
@_handle_errors
def analyze(events_file, observed_until, assume_tz, model, languages, lexicons, taxonomy,
            holidays, window_days, min_n, min_peers, peer_groups, peer_sets_file,
            index_weights, engine, scheduler, dask_workers, posts_parquet,
            work_dir, quiet, db):
    """Tag posts and compute responsiveness metrics into the store.

    Only new or changed posts are tagged, and tags are committed batch by
    batch: a run that stops keeps them, and the next run tags only the rest.
    The derived tables are rebuilt in one transaction, so they are unchanged
    if anything fails. With --engine dask the work runs on a Dask cluster and
    the results come back into the store.
    """
    from govwatch.analysis.pipeline import AnalysisSettings, run_analysis
    from govwatch.analysis.tagging import TaggingSettings

    from .store import Store

    lexicon_map = {}
    for item in lexicons:
        lang, sep, file = item.partition("=")
        if not sep or not lang or not Path(file).is_file():
            raise click.BadParameter(f"{item!r}: write LANG=FILE with an existing file",
                                     param_hint="--lexicon")
        lexicon_map[lang.strip().lower()] = file
    tagging = TaggingSettings(
        languages=tuple(c.strip() for c in languages.split(",") if c.strip()) if languages
        else None,
        lexicons=lexicon_map or None,
        taxonomy=taxonomy,
        model=model,
    )
    if engine == "dask":
        from govwatch.analysis.engine import require_dask

        require_dask()
        if work_dir and not Path(work_dir).is_dir():
            raise click.BadParameter(f"{work_dir}: no such folder", param_hint="--work-dir")
    else:
        given = [name for name, value in (("--scheduler", scheduler),
                                          ("--dask-workers", dask_workers),
                                          ("--posts-parquet", posts_parquet),
                                          ("--work-dir", work_dir)) if value]
        if given:
            raise click.UsageError(f"{', '.join(given)} needs --engine dask")
    settings = AnalysisSettings(
        observed_until=_parse_ts(observed_until, "--observed-until"),
        window_hours=window_days * 24,
        min_n=min_n,
        benchmark_min_peers=min_peers,
        peer_groups=peer_groups,
        peer_sets_file=peer_sets_file,
        index_weights=_index_weights(index_weights),
        holidays_file=holidays,
        tagging=tagging,
        engine=engine,
        scheduler=scheduler,
        dask_workers=dask_workers,
        posts_parquet=posts_parquet,
        work_dir=work_dir,
    )
    say = _status_printer(quiet)
    event_rejects = 0
    with Store(db_path(db)) as store:
        if events_file:
            event_rejects = _load_events(store, events_file, assume_tz)
        result = run_analysis(store, settings, progress=say)
        unknown_bursts = store.conn.execute(
            "SELECT count(*) FROM candidate_events WHERE coalesce(known_event_ids, '') = ''"
        ).fetchone()[0]
    end = result.observation_end.isoformat() if result.observation_end else "-"
    out.print(
        f"Analysed {result.messages:,} inbound messages to {result.accounts:,} official accounts "
        f"({result.answered:,} answered); tagged {result.tagged:,} new posts; "
        f"observation end {end}."
    )
    if unknown_bursts:
        out.print(
            f"{unknown_bursts:,} bursts of critical messages look like events not in your "
            "events file: see the candidate_events table (or the dashboard's Events page)."
        )
    if event_rejects:
        sys.exit(EXIT_REJECTS)


def _load_events(store, events_file, assume_tz=None) -> int:
    from govwatch.ingest.events import load_events

    n, rejects = load_events(store, events_file, assume_tz=assume_tz)
    out.print(f"Loaded {n:,} events from {events_file}.")
    for r in rejects:
        err.print(f"  {events_file}: {r.locator}: {r.reason}")
    return len(rejects)


def _status_printer(quiet: bool):
    last = {"stage": None}

    def say(stage: str, done: int | None = None, total: int | None = None) -> None:
        if quiet:
            return
        if done is not None and total:
            err.print(f"  {stage}: {done:,}/{total:,}")
        elif stage != last["stage"]:
            err.print(f"• {stage}")
        last["stage"] = stage

    return say


# ---------------------------------------------------------------- train
@cli.command()
@click.option("--labels", "labels", type=click.Path(exists=True, dir_okay=False), required=True,
              help="Hand-coded CSV: a text column and any of topic, critical, needs_response.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="govwatch-model",
              show_default=True, help="Folder for the model and its cross-validated report.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=int)
@_handle_errors
def train(labels, out_dir, folds, seed):
    """Train the tagger on hand-coded labels, with stratified cross-validation.

    Writes the model (skops format, not pickle) and per-class precision, recall,
    F1 and confusion matrices beside it. Use it with 'govwatch analyze --model PATH'.
    """
    from govwatch.analysis.training import train_from_labels

    report = train_from_labels(labels, out_dir, folds=folds, random_state=seed,
                               progress=lambda msg: err.print(f"• {msg}"))
    out.print(f"Trained on {report.rows:,} coded texts; model {report.model_path}; report "
              f"{report.report_md}.")
    for target, t in report.targets.items():
        out.print(f"  {target}: macro F1 {t.macro_f1:.3f} ({t.folds}-fold cross-validated)")


# ---------------------------------------------------------------- export
@cli.command()
@click.option(
    "--what",
    type=click.Choice(["responses", "events", "accounts", "posts", "activity", "silences"]),
    required=True,
    help="Which table to export.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "dta"]),
    default="csv",
    show_default=True,
    help="csv, parquet or dta (Stata 118).",
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
@db_option
@_handle_errors
def export(what, fmt, out_path, population, include_text, identify_public, db):
    """Export a table with its codebook and manifest beside it.

    Platform-native post ids stay text. Citizens' handles are replaced by keyed
    pseudonyms (the key stays in the store); officials are never pseudonymised.
    """
    from .export import export as run_export

    result = run_export(
        db_path(db),
        what,
        fmt,
        Path(out_path),
        pseudonymise=not identify_public,
        include_text=include_text,
        population=population,
    )
    for note in result.notes:
        err.print(f"note: {note}")
    out.print(
        f"Wrote {result.rows:,} rows to {result.path} (+ {result.codebook.name}, "
        f"{result.manifest.name})."
    )


# ---------------------------------------------------------------- dashboard
@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but 127.0.0.1 exposes the store's figures.")
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Serve with gunicorn and this many worker processes (needs govwatch[serve]).")
@db_option
@_handle_errors
def dashboard(host, port, workers, db):
    """Serve the dashboard (reads the store read-only).

    Set GOVWATCH_DASH_USER and GOVWATCH_DASH_PASSWORD to require HTTP basic auth.
    """
    from govwatch.dashboard.serve import serve

    serve(db_path(db), host=host, port=port, workers=workers)


# ---------------------------------------------------------------- report
@cli.command()
@click.option("--account", "account", required=True, metavar="PLATFORM:AUTHOR",
              help="The official account, e.g. x:MinRail.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True,
              help="HTML file to write.")
@db_option
@_handle_errors
def report(account, out_path, db):
    """Write a self-contained HTML benchmark report for one official account."""
    from govwatch.dashboard.report import write_report

    platform, sep, author = account.partition(":")
    if not sep or not platform or not author:
        raise click.BadParameter("write it as PLATFORM:AUTHOR, e.g. x:MinRail",
                                 param_hint="--account")
    path = write_report(db_path(db), platform, author, Path(out_path))
    out.print(f"Wrote {path}.")


# ---------------------------------------------------------------- demo
@cli.command()
@click.option("--db", "db", type=click.Path(dir_okay=False), default="govwatch-demo.duckdb",
              show_default=True, help="Store to (re)create for the demo.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Build the demo store and stop.")
@_handle_errors
def demo(db, host, port, no_serve):
    """Sample data -> fresh store -> analyze -> dashboard.

    The sample data is synthetic (fictional countries, ministries and people),
    shipped in sample_data/small.
    """
    from .demo import build_demo

    say = _status_printer(False)
    path = Path(db)
    summary = build_demo(path, progress=say)
    out.print(summary)
    if no_serve:
        return
    out.print(f"Dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
    from govwatch.dashboard.serve import serve

    serve(path, host=host, port=port)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="govwatch")


if __name__ == "__main__":
    main()
