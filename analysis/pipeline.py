"""`govwatch analyze`: tag new posts, then rebuild the derived tables in one transaction.

Tags are committed batch by batch (``govwatch.analysis.tagging``): they are a cache keyed
by tagging version and text hash, so a run that stops half-way keeps them and
the next run tags only the rest. Every derived table (responses, metrics,
benchmarks, the ``analysis_runs`` row) is written in one transaction, so the
tables always come from one complete run, and a run that fails leaves them as
they were."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from govwatch import DEFINITION_VERSION, __version__
from govwatch.config import DEFAULT_MIN_N, DEFAULT_WINDOW_HOURS
from govwatch.errors import UsageError
from govwatch.store import Store

from .engine import open_engine
from .registry import MetricContext, conform, metrics
from .replies import build_responses, observation_end
from .slices import CHUNK_EXECUTOR
from .tagging import TaggingSettings, tag_new_posts


@dataclass(frozen=True)
class AnalysisSettings:
    """Every setting that changes a figure; recorded with each run (analysis_runs,
    export manifests). Metric families read them by name with their own defaults."""

    observed_until: datetime | None = None
    window_hours: float = DEFAULT_WINDOW_HOURS
    min_n: int = DEFAULT_MIN_N  # below this many messages a figure reads "too few"
    bootstrap_samples: int = 1000  # selectivity and critic gaps' percentile CIs
    seed: int = 1234  # bootstrap resampling
    benchmark_min_peers: int = 5
    peer_groups: str = "country-level"  # or "level"; analysis/peers.py
    peer_sets_file: str | None = None  # platform,author,peer_set: replaces peer_groups
    benchmark_bootstrap_samples: int = 200  # intervals of peer ranks and the composite
    index_weights: dict | None = None  # composite index weights (None: documented defaults)
    holidays_file: str | None = None  # country,date,name: days off for the business clock
    tagging: TaggingSettings | None = None  # languages, lexicons, taxonomy, model
    # Where the work runs (analysis/engine.py); none of these changes a result.
    engine: str = "local"  # local (this machine's processes) or dask (a Dask cluster)
    scheduler: str | None = None  # dask: scheduler address; None starts a LocalCluster
    dask_workers: int | None = None  # dask, no scheduler: LocalCluster worker processes
    posts_parquet: str | None = None  # dask: posts dataset to read (else one is written)
    work_dir: str | None = None  # dask: where that dataset is written (shared with workers)


@dataclass
class AnalysisResult:
    run_id: int
    observation_end: datetime | None
    tagged: int
    messages: int
    answered: int
    accounts: int


def _replace(con, table: str, frame) -> None:
    con.execute(f'DELETE FROM "{table}"')
    if len(frame):
        con.register("_frame", frame)
        try:
            con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _frame')
        finally:
            con.unregister("_frame")


def run_analysis(store: Store, settings: AnalysisSettings | None = None, progress=None):
    """Tag, link replies, compute metrics. If anything fails, the derived tables
    are as they were (tags committed before the failure are kept)."""
    settings = settings or AnalysisSettings()
    say = progress or (lambda *a, **k: None)
    started = datetime.now(UTC)
    with open_engine(settings) as engine:
        if store.count("posts") == 0:
            raise UsageError("the store holds no posts: run 'govwatch ingest' first")
        say("tagging posts")
        tagged = tag_new_posts(store.conn, progress=lambda d, t: say("tagging posts", d, t),
                               settings=settings.tagging, engine=engine, commit_batches=True)
        with store.transaction() as con:
            result = _derive(store, con, engine, settings, started, tagged, say)
    return result


def _derive(store: Store, con, engine, settings: AnalysisSettings, started: datetime,
            tagged: int, say) -> AnalysisResult:
    obs_end = observation_end(con, settings.observed_until)
    say("linking messages and responses")
    n = build_responses(con, obs_end)
    ctx = MetricContext(con, obs_end, settings)
    if engine is not None:
        ctx.cache[CHUNK_EXECUTOR] = engine.chunk_executor()
    for metric in metrics():
        say(f"computing {metric.name}")
        frames = metric.compute(ctx)
        for table, columns in metric.tables.items():
            _replace(con, table, conform(frames[table], columns, f"{metric.name}.{table}"))
    summary = con.execute(
        "SELECT count(DISTINCT official_author) FROM account_metrics"
    ).fetchone()[0]
    run_id = store.next_id("analysis_runs", "run_id")
    con.execute(
        "INSERT INTO analysis_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_id, started, datetime.now(UTC), obs_end,
         json.dumps(asdict(settings), default=str, sort_keys=True),
         DEFINITION_VERSION, __version__],
    )
    answered = con.execute("SELECT count(*) FROM responses WHERE NOT censored").fetchone()[0]
    return AnalysisResult(run_id, obs_end, tagged, n, answered, summary)
