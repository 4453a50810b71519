"""`govwatch analyze`: tag posts and compute the metrics, with every setting an option
or a line of a settings file (``--settings``: TOML, JSON or an export manifest)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from govwatch.analysis import settings as S

from .cli_common import (
    EXIT_REJECTS,
    db_option,
    err,
    handle_errors,
    parse_ts,
    quiet_option,
    status_printer,
)
from .config import db_path

_D = S.AnalysisSettings()

# option name -> dotted setting it sets (the settings file's shape)
_SETTING_OPTIONS = {
    "min_n": "min_n",
    "include_unaddressed": "include_unaddressed",
    "bootstrap_samples": "selectivity.bootstrap_samples",
    "seed": "selectivity.seed",
    "min_peers": "benchmarks.min_peers",
    "index_min_weight_share": "benchmarks.index_min_weight_share",
    "peer_groups": "benchmarks.peer_groups",
    "peer_sets_file": "benchmarks.peer_sets_file",
    "benchmark_bootstrap_samples": "benchmarks.interval_samples",
    "burst_k": "bursts.k",
    "burst_baseline_days": "bursts.baseline_days",
    "burst_min_baseline_days": "bursts.min_baseline_days",
    "burst_min_messages": "bursts.min_messages",
    "change_dates": "change.dates",
    "change_window_days": "change.window_days",
    "silence_share": "silences.share",
    "silence_usual_share": "silences.usual_share",
    "silence_min_accounts": "silences.min_accounts",
    "silence_min_hours": "silences.min_hours",
    "silence_min_weeks": "silences.min_weeks",
    "blackout_min_expected": "silences.blackout_min_expected",
    "blackout_min_hours": "silences.blackout_min_hours",
    "blackout_min_accounts": "silences.blackout_min_accounts",
    "holidays": "business_clock.holidays_file",
    "engine": "execution.engine",
    "scheduler": "execution.scheduler",
    "dask_workers": "execution.dask_workers",
    "posts_parquet": "execution.posts_parquet",
    "work_dir": "execution.work_dir",
}
_SHARE = click.FloatRange(0, 1)
_POS = click.IntRange(min=1)


def _change_dates(values: tuple[str, ...]) -> tuple[str, ...] | None:
    for value in values:
        try:
            S.parse_change_date(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--change-date") from None
    return tuple(values) or None


def _weights(ctx, param, values) -> dict[str, float] | None:
    if not values:
        return None
    weights: dict[str, float] = {}
    for item in values:
        name, sep, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"{item!r}: write METRIC=WEIGHT, e.g. answered_rate=0.5",
                                     param_hint="--index-weight") from None
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: write METRIC=WEIGHT", param_hint="--index-weight")
    unknown = sorted(set(weights) - set(S.DEFAULT_INDEX_WEIGHTS))
    if unknown:
        raise click.BadParameter(
            f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(S.DEFAULT_INDEX_WEIGHTS)}",
            param_hint="--index-weight")
    return weights


@click.command(epilog="Example: govwatch analyze --events events.csv --seed 7 "
               "--index-weight answered_rate=0.5 --db govwatch.duckdb")
@click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False),
              help="Replay: settings from a TOML or JSON file of the shape recorded in "
              "analysis_runs.settings, or an export's manifest.json (its analysis.settings). "
              "Options given as well override the file.")
@click.option("--events", "events_file", type=click.Path(exists=True, dir_okay=False),
              help="Events CSV or YAML (event_id, name, onset, keywords, critical[, country]).")
@click.option("--observed-until", metavar="TS",
              help="Observation end (ISO 8601 with offset). Default: the latest post in the store.")
@click.option("--assume-tz", metavar="ZONE",
              help="IANA zone for event onsets written without a UTC offset.")
@click.option("--model", metavar="PATH|default",
              help="Tag with a model saved by 'govwatch train' (kept for later runs); 'default' "
              "goes back to the default: the taxonomy's seed rules, never fitted on the store.")
@click.option("--languages", metavar="CODES",
              help="Comma-separated language codes the detector may choose from "
              "(default en,hi,id,ru,kk).")
@click.option("--lexicon", "lexicons", multiple=True, metavar="LANG=FILE",
              help="A VADER-format lexicon to score LANG with (repeatable). VADER scores "
              "English only.")
@click.option("--taxonomy", type=click.Path(exists=True, dir_okay=False),
              help="A topic taxonomy YAML replacing the shipped one.")
@click.option("--holidays", type=click.Path(exists=True, dir_okay=False),
              help="CSV of days off (country,date,name) for the business clock.")
@click.option("--window-days", type=click.FloatRange(min=0, min_open=True),
              show_default=f"{_D.window_hours / 24:g}", help="Response-rate window.")
@click.option("--min-n", type=_POS, show_default=str(_D.min_n),
              help="Fewer messages than this and a figure reads 'too few'.")
@click.option("--bootstrap-samples", type=_POS, show_default=str(_D.selectivity.bootstrap_samples),
              help="Bootstrap replicates for the selectivity and critic gaps' 95% CIs.")
@click.option("--seed", type=int, show_default=str(_D.selectivity.seed),
              help="Seed of the bootstrap (each account's row derives its own stream).")
@click.option("--min-peers", type=_POS, show_default=str(_D.benchmarks.min_peers),
              help="Fewer peers with a value and a rank reads 'too few peers'.")
@click.option("--peers", "peer_groups", type=click.Choice(["country-level", "level", "type"]),
              show_default=_D.benchmarks.peer_groups,
              help="Peer groups of the benchmarks: same country and level, same level "
              "across countries, or same institution type (the accounts CSV's "
              "institution_type) across countries and levels.")
@click.option("--peer-sets", "peer_sets_file", type=click.Path(exists=True, dir_okay=False),
              help="CSV platform,author,peer_set naming each account's peer group (replaces "
              "--peers; accounts it does not list get no rank).")
@click.option("--benchmark-bootstrap-samples", type=_POS,
              show_default=str(_D.benchmarks.interval_samples),
              help="Bootstrap replicates for the 95% intervals of peer ranks and the "
              "composite index.")
@click.option("--index-weight", "index_weights", multiple=True, metavar="METRIC=W",
              callback=_weights,
              help="Weight of a metric in the composite index (repeatable); metrics not named "
              "keep their default: " + ", ".join(
                  f"{k}={v:g}" for k, v in S.DEFAULT_INDEX_WEIGHTS.items()) + ".")
@click.option("--index-min-weight-share", type=_SHARE,
              show_default=f"{_D.benchmarks.index_min_weight_share:g}",
              help="Share of the total weight an account's ranked metrics must carry for an index.")
@click.option("--burst-k", type=click.FloatRange(min=0), show_default=f"{_D.bursts.k:g}",
              help="Candidate events: a day's critical messages above the baseline median + "
              "this many robust spreads (max of 1.4826 x MAD and the square root of the "
              "median).")
@click.option("--burst-baseline-days", type=_POS, show_default=str(_D.bursts.baseline_days),
              help="Candidate events: trailing days of the baseline.")
@click.option("--burst-min-baseline-days", type=_POS,
              show_default=str(_D.bursts.min_baseline_days),
              help="Candidate events: days of baseline needed before a burst is called.")
@click.option("--burst-min-messages", type=_POS, show_default=str(_D.bursts.min_messages),
              help="Candidate events: fewest critical messages on a burst day.")
@click.option("--include-unaddressed", is_flag=True, default=None,
              help="Count public posts an official answered although they addressed no "
              "official (via answered_unaddressed) as inbound messages in every metric. Off "
              "by default: their unanswered twins are invisible, so they would inflate "
              "rates; the unaddressed_summary table counts them either way.")
@click.option("--change-date", "change_dates", multiple=True, metavar="DATE",
              callback=lambda ctx, param, values: _change_dates(values),
              help="Compare each account's response rate and median latency before and after "
              "this date (a new grievance policy, a minister's change), with the differences "
              "and their 95% intervals (the before_after table). Repeatable; a date alone is "
              "midnight UTC, or give a time with an offset.")
@click.option("--change-window-days", type=click.IntRange(min=0),
              show_default=str(_D.change.window_days),
              help="Days compared on each side of a --change-date; 0 compares everything "
              "before with everything after.")
@click.option("--silence-share", type=_SHARE, show_default=f"{_D.silences.share:g}",
              help="Platform silences: share of usually-active accounts silent in an hour.")
@click.option("--silence-usual-share", type=_SHARE,
              show_default=f"{_D.silences.usual_share:g}",
              help="Platform silences: an account is usually active in an hour of the week it "
              "posted in at least this share of weeks.")
@click.option("--silence-min-accounts", type=_POS, show_default=str(_D.silences.min_accounts),
              help="Platform silences: usually-active accounts an hour needs to be judged.")
@click.option("--silence-min-hours", type=_POS, show_default=str(_D.silences.min_hours),
              help="Platform silences: shortest silence reported, in hours.")
@click.option("--silence-min-weeks", type=_POS, show_default=str(_D.silences.min_weeks),
              help="Platform silences: weeks of history before an account counts as usually "
              "active.")
@click.option("--blackout-min-expected", type=click.FloatRange(min=0, min_open=True),
              show_default=f"{_D.silences.blackout_min_expected:g}",
              help="Platform blackouts: official posts a run of hours without any must have "
              "been expected to hold (at the accounts' own rates).")
@click.option("--blackout-min-hours", type=_POS, show_default=str(_D.silences.blackout_min_hours),
              help="Platform blackouts: shortest run of hours without an official post.")
@click.option("--blackout-min-accounts", type=_POS,
              show_default=str(_D.silences.blackout_min_accounts),
              help="Platform blackouts: accounts expected to post in the run.")
@click.option("--engine", type=click.Choice(["local", "dask"]), show_default=_D.execution.engine,
              help="Where tagging and the per-account metric chunks run: this machine's "
              "processes, or a Dask cluster (needs govwatch[dask]; docs/scaling.md). The "
              "results are the same.")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --engine dask: the Dask scheduler to connect to (e.g. "
              "tcp://10.0.0.5:8786). Default: a local cluster of worker processes.")
@click.option("--dask-workers", type=_POS, metavar="N",
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
@quiet_option()
@db_option
@click.pass_context
@handle_errors
def analyze(ctx, settings_file, events_file, observed_until, assume_tz, model, languages,
            lexicons, taxonomy, window_days, quiet, db, **options):
    """Tag posts and compute responsiveness metrics into the store.

    Only new or changed posts are tagged, and tags are committed batch by
    batch: a run that stops keeps them, and the next run tags only the rest.
    The derived tables are rebuilt in one transaction, so they are unchanged
    if anything fails. Every setting is recorded in analysis_runs and in each
    export's manifest; --settings replays a run from them. With --engine dask
    the work runs on a Dask cluster and the results come back into the store.
    """
    from govwatch.analysis.pipeline import run_analysis

    from .store import Store

    settings = S.load(settings_file) if settings_file else S.AnalysisSettings()
    changes = {
        key: options[name] for name, key in _SETTING_OPTIONS.items()
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
        and options.get(name) is not None
    }
    if options.get("index_weights"):
        changes["benchmarks.index_weights"] = {
            **settings.benchmarks.index_weights, **options["index_weights"]}
    if window_days is not None:
        changes["window_hours"] = window_days * 24
    if observed_until is not None:
        changes["observed_until"] = parse_ts(observed_until, "--observed-until")
    changes.update(_tagging_changes(model, languages, lexicons, taxonomy))
    settings = S.replace(settings, changes)
    _check_engine(settings.execution)
    say = status_printer(quiet)
    event_rejects = 0
    with Store(db_path(db), create=False) as store:
        if events_file:
            event_rejects = _load_events(store, events_file, assume_tz)
        result = run_analysis(store, settings, progress=say)
        unknown_bursts = store.conn.execute(
            "SELECT count(*) FROM candidate_events WHERE coalesce(known_event_ids, '') = ''"
        ).fetchall()[0][0]
    end = result.observation_end.isoformat() if result.observation_end else "-"
    # Plain text through click, as written: rich's console (a tenth of a second to load)
    # would read a "[" or ":name:" in a file name as markup or an emoji.
    click.echo(
        f"Analysed {result.messages:,} inbound messages to {result.accounts:,} official accounts "
        f"({result.answered:,} answered); tagged {result.tagged:,} new posts; "
        f"observation end {end}."
    )
    if unknown_bursts and not quiet:
        click.echo(
            f"{unknown_bursts:,} bursts of critical messages look like events not in your "
            "events file: see the candidate_events table (or the dashboard's Events page)."
        )
    if event_rejects:
        sys.exit(EXIT_REJECTS)


def _tagging_changes(model, languages, lexicons, taxonomy) -> dict:
    changes: dict = {}
    if lexicons:
        lexicon_map = {}
        for item in lexicons:
            lang, sep, file = item.partition("=")
            if not sep or not lang or not Path(file).is_file():
                raise click.BadParameter(f"{item!r}: write LANG=FILE with an existing file",
                                         param_hint="--lexicon")
            lexicon_map[lang.strip().lower()] = file
        changes["tagging.lexicons"] = lexicon_map
    if languages:
        changes["tagging.languages"] = tuple(c.strip() for c in languages.split(",") if c.strip())
    if taxonomy:
        changes["tagging.taxonomy"] = taxonomy
    if model:
        changes["tagging.model"] = model
    return changes


def _check_engine(execution: S.ExecutionSettings) -> None:
    if execution.engine == "dask":
        from govwatch.analysis.engine import require_dask

        require_dask()
        if execution.work_dir and not Path(execution.work_dir).is_dir():
            raise click.BadParameter(f"{execution.work_dir}: no such folder",
                                     param_hint="--work-dir")
        return
    given = [name for name, value in (("--scheduler", execution.scheduler),
                                      ("--dask-workers", execution.dask_workers),
                                      ("--posts-parquet", execution.posts_parquet),
                                      ("--work-dir", execution.work_dir)) if value]
    if given:
        raise click.UsageError(f"{', '.join(given)} needs --engine dask")


def _load_events(store, events_file, assume_tz=None) -> int:
    from govwatch.ingest.events import load_events

    n, rejects = load_events(store, events_file, assume_tz=assume_tz)
    click.echo(f"Loaded {n:,} events from {events_file}.")
    for r in rejects:
        err.print(f"  {events_file}: {r.locator}: {r.reason}")
    return len(rejects)
