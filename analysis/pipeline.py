"""`govwatch analyze`: tag new posts, then rebuild the derived tables in one transaction.

Tags are committed batch by batch (``govwatch.analysis.tagging``): they are a cache keyed
by tagging version and text hash, so a run that stops half-way keeps them and
the next run tags only the rest. Every derived table (responses, metrics,
benchmarks, the ``analysis_runs`` row) is written in one transaction, so the
tables always come from one complete run, and a run that fails leaves them as
they were."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from govwatch import DEFINITION_VERSION, __version__
from govwatch.errors import UsageError
from govwatch.store import DERIVED_WRITE_SETTINGS, Store, duckdb_settings

from .ahead import Ahead
from .engine import open_engine
from .registry import MetricContext, conform, create_table, ensure_tables, metrics
from .replies import build_responses, observation_end
from .settings import AnalysisSettings, to_json
from .slices import CHUNK_EXECUTOR
from .tagging import META_SETTINGS, POOL_MIN_POSTS, tag_new_posts

__all__ = ["AnalysisResult", "AnalysisSettings", "run_analysis"]


@dataclass
class AnalysisResult:
    run_id: int
    observation_end: datetime | None
    tagged: int
    messages: int
    answered: int
    accounts: int


def _replace(con, table: str, columns: dict[str, str], frame) -> None:
    """``table`` made anew from its declaration, holding ``frame``'s rows (whose
    columns are the declared ones, in order: :func:`registry.conform`): one statement,
    each column cast to its declared type as an insert into the declared table would."""
    if not len(frame):
        create_table(con, table, columns)
        return
    con.register("_frame", frame)
    try:
        cast = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in columns.items())
        con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT {cast} FROM _frame')
    finally:
        con.unregister("_frame")


def run_analysis(store: Store, settings: AnalysisSettings | None = None, progress=None):
    """Tag, link replies, compute metrics. If anything fails, the derived tables
    are as they were (tags committed before the failure are kept)."""
    settings = settings or AnalysisSettings()
    say = progress or (lambda *a, **k: None)
    started = datetime.now(UTC)
    with open_engine(settings.execution) as engine:
        posts = store.count("posts")
        if posts == 0:
            raise UsageError("the store holds no posts: run 'govwatch ingest' first")
        obs_end = observation_end(store.conn, settings.observed_until)
        # On a small store, tagging leaves a core idle: metrics that read no tags start now.
        with Ahead(store.conn, obs_end, settings, metrics(),
                   enabled=engine is None and posts < POOL_MIN_POSTS) as ahead:
            say("tagging posts")
            tagged = tag_new_posts(store.conn, progress=lambda d, t: say("tagging posts", d, t),
                                   settings=settings.tagging, engine=engine,
                                   commit_batches=True)
            with duckdb_settings(store.conn, DERIVED_WRITE_SETTINGS), \
                    store.transaction() as con:
                result = _derive(store, con, engine, settings, started, tagged, say, obs_end,
                                 ahead)
    return result


def _as_run(con, settings: AnalysisSettings) -> AnalysisSettings:
    """The settings as the run used them: the tagger's languages, lexicons and
    taxonomy as resolved (given, else kept from the store's last run, else the
    default), so the record replays in a fresh store."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [META_SETTINGS]).fetchall()
    if not row:
        return settings
    used = json.loads(row[0][0])
    tagging = dataclasses.replace(
        settings.tagging, languages=tuple(used.get("languages") or ()) or None,
        lexicons=used.get("lexicons") or None, taxonomy=used.get("taxonomy"))
    return dataclasses.replace(settings, tagging=tagging)


def _derive(store: Store, con, engine, settings: AnalysisSettings, started: datetime,
            tagged: int, say, obs_end, ahead: Ahead) -> AnalysisResult:
    say("linking messages and responses")
    n = build_responses(con, obs_end, settings.include_unaddressed)
    ctx = MetricContext(con, obs_end, settings)
    if engine is not None:
        ctx.cache[CHUNK_EXECUTOR] = engine.chunk_executor()
    ensure_tables(con, {t: c for metric in metrics() for t, c in metric.tables.items()})
    for metric in metrics():
        stage = f"computing {metric.name}"
        say(stage)
        frames = ahead.take(metric)
        if frames is None:
            ctx.progress = lambda done, total, stage=stage: say(stage, done, total)
            frames = metric.compute(ctx)
            ctx.progress = None
        for table, columns in metric.tables.items():
            _replace(con, table, columns,
                     conform(frames[table], columns, f"{metric.name}.{table}"))
    summary = con.execute(
        "SELECT count(DISTINCT official_author) FROM account_metrics"
    ).fetchone()[0]
    run_id = store.next_id("analysis_runs", "run_id")
    con.execute(
        "INSERT INTO analysis_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_id, started, datetime.now(UTC), obs_end,
         to_json(_as_run(con, settings)),
         DEFINITION_VERSION, __version__],
    )
    answered = con.execute("SELECT count(*) FROM responses WHERE NOT censored").fetchone()[0]
    return AnalysisResult(run_id, obs_end, tagged, n, answered, summary)
