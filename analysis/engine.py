"""The Dask cluster engine: ``govwatch analyze --engine dask [--scheduler ADDRESS]``.

The local engine tags posts and computes metric chunks in this machine's
processes. The Dask engine sends the same work to a ``dask.distributed`` cluster:
a ``LocalCluster`` of worker processes on 127.0.0.1 when no address is given
(no dashboard server), else the scheduler at ``ADDRESS`` (for example one
started by dask-jobqueue on a SLURM cluster; docs/scaling.md).

- Tagging: the posts to tag are read by the workers from a Parquet dataset
  partitioned Hive-style by platform and official account
  (``platform=<p>/official_account=<a>/*.parquet``, the layout of ``govwatch
  export --what posts --format parquet --out DIR``; govwatch.export says which
  account a post's thread belongs to). Either the user gives such a dataset,
  exported with ``--include-text`` (``--posts-parquet``, a path or an fsspec URL),
  or the engine writes one itself, holding only the posts to tag and only the
  columns tagging reads, into a new folder under ``--work-dir`` (default: the
  system's temporary folder), removed after the run. Whole account folders are
  packed into tasks of similar size; each worker tags its task's posts with the
  same functions the local engine uses (govwatch.analysis.tagging.tag_rows,
  govwatch.analysis.sentiment.score_pending), and the tags and sentiment scores come back
  to this process, which writes them to the store, one transaction per task.
- Metrics: the metric families that compute chunks of whole accounts
  (govwatch.analysis.slices.map_chunks) and topic discovery's assignment of a large
  store's public posts submit their chunks to the cluster's workers
  (govwatch.analysis.slices.run_tasks). The other families run in this process, on DuckDB.

Results are the same as the local engine's (tests/test_engine_dask.py compares
every derived table). Dask is an optional dependency: ``pip install govwatch[dask]``.
"""

from __future__ import annotations

import logging
import os
import posixpath
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pandas as pd

from govwatch import __version__
from govwatch.errors import UsageError

from .settings import ExecutionSettings

ENGINES = ("local", "dask")
INSTALL_HINT = "pip install 'govwatch[dask]'"
# Tasks are whole account folders packed up to this many Parquet bytes, and at
# most this size: total / (workers x TASKS_PER_WORKER), so every worker gets
# several tasks and a slow one does not hold up the run.
MAX_TASK_BYTES = 64 * 2**20
TASKS_PER_WORKER = 4
READ_COLUMNS = ("platform", "post_id", "text", "lang")
_KEY_SEP = "\x1f"
CONNECT_TIMEOUT_S = 30
# The local cluster has no dashboard, so nothing reads the workers' statistical
# profiles (a stack sample every 10 ms that costs a pure-Python task like tagging
# 10-20% of its time here) or the system monitor's samples; and a slower event
# loop tick frees the scheduler in this process. Measured in benchmarks/RESULTS.md.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "1s",
}


def require_dask() -> None:
    """Raise a UsageError saying how to install Dask when it is missing."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"--engine dask needs Dask, which is not installed ({exc}): "
                         f"{INSTALL_HINT}") from None


class DaskEngine:
    """A connected ``distributed.Client`` and where the posts are read from."""

    def __init__(self, client, posts_parquet: str | None = None, work_dir: str | None = None,
                 storage_options: dict | None = None):
        self.client = client
        self.posts_parquet = posts_parquet
        self.work_dir = work_dir
        self.storage_options = storage_options or {}

    # -- the cluster -------------------------------------------------------------

    def slots(self) -> int:
        """Threads over all workers (each runs one task at a time per thread)."""
        workers = self.client.scheduler_info()["workers"].values()
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers))

    def check_workers(self) -> None:
        """Fail early, with the reason, when the workers cannot run govwatch."""
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # distributed raises TimeoutError subclasses
            raise UsageError(f"the Dask cluster has no worker ({exc})") from None
        try:
            versions = self.client.run(worker_version)
        except Exception as exc:
            raise UsageError(f"the Dask workers cannot run govwatch: install govwatch "
                             f"{__version__} on every worker ({type(exc).__name__}: {exc})"
                             ) from None
        other = {addr: v for addr, v in versions.items() if v != __version__}
        if other:
            addr, v = next(iter(other.items()))
            raise UsageError(f"Dask worker {addr} runs govwatch {v}, this process "
                             f"{__version__}: install the same version everywhere")
        # Import the tagging stack on every worker while this process prepares the
        # model and the dataset (the futures are kept so the tasks are not dropped).
        self._warming = [self.client.submit(warm_worker, workers=[addr], pure=False)
                         for addr in versions]

    def chunk_executor(self):
        """(executor, tasks in flight) for analysis.slices.run_tasks."""
        return self.client.get_executor(pure=False), 2 * self.slots()

    # -- tagging -----------------------------------------------------------------

    def tag(self, con, pending_table: str, model, languages: tuple[str, ...],
            lexicons: dict[str, str], version: str
            ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        """Tag the posts listed in ``pending_table`` (platform, post_id) on the
        cluster; yields (tag rows, sentiment scores) per task, in task order, for
        the caller to write. With a dataset given (``posts_parquet``) each task's
        posts are first checked against the store (present, same text). Then
        checks that every listed post has tags of ``version`` (the tagging
        version) in the store."""
        total = con.execute(f"SELECT count(*) FROM {pending_table}").fetchall()[0][0]
        own = None
        if self.posts_parquet:
            url, keys = self.posts_parquet, _pending_keys(con, pending_table)
        else:
            own = tempfile.mkdtemp(prefix="govwatch-posts-", dir=self.work_dir)
            url, keys = str(Path(own) / "posts"), None
            write_posts_dataset(con, url, pending_table)
        try:
            fs, root, folders = list_dataset(url, self.storage_options)
            check_columns(fs, url, folders)
            tasks = plan_tasks(folders, self.slots())
            client = self.client
            [model_f] = client.scatter([model], broadcast=True, hash=False)
            keys_f = client.scatter([keys], broadcast=True, hash=False)[0] if keys is not None \
                else None
            futures = [client.submit(tag_task, fs, root, files, keys_f, model_f,
                                     tuple(languages), dict(lexicons), pure=False)
                       for files in tasks]
            for future in futures:
                rows, scores = future.result()
                future.release()
                if own is None:
                    # A dataset written elsewhere may be stale. The one written
                    # above holds this store's texts as of now: analyze holds
                    # the store's only write connection until the tags are in.
                    _check_rows(con, rows, url)
                yield rows, scores
            missing = con.execute(
                f"SELECT count(*) FROM {pending_table} q LEFT JOIN tags t "
                "USING (platform, post_id) WHERE t.model_version IS DISTINCT FROM ?",
                [version]).fetchall()[0][0]
            if missing:
                raise UsageError(
                    f"the posts dataset {url} lacks {missing:,} of the {total:,} posts to tag: "
                    "export it again from this store with 'govwatch export --what posts "
                    "--format parquet --include-text', or leave out --posts-parquet")
        finally:
            if own is not None:
                shutil.rmtree(own, ignore_errors=True)


@contextmanager
def open_engine(settings: ExecutionSettings) -> Iterator[DaskEngine | None]:
    """The engine ``settings.engine`` names (the analysis settings' ``execution``
    section): None for the local engine."""
    engine = settings.engine or "local"
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "local":
        for name in ("scheduler", "posts_parquet", "work_dir", "dask_workers"):
            if getattr(settings, name, None):
                raise UsageError(f"the setting execution.{name} needs the dask engine "
                                 f"(--engine dask)")
        yield None
        return
    require_dask()
    from distributed import Client

    cluster = None
    scheduler = settings.scheduler
    if scheduler and settings.dask_workers:
        raise UsageError("--dask-workers sizes the local cluster; a cluster reached with "
                         "--scheduler has the workers it was started with")
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except Exception as exc:
                raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: "
                                 f"{type(exc).__name__}: {exc}") from None
        else:
            cluster = start_local_cluster(
                settings.dask_workers or os.cpu_count() or 1)
            client = Client(cluster, set_as_default=False)
        try:
            dask_engine = DaskEngine(client, settings.posts_parquet,
                                     settings.work_dir)
            dask_engine.check_workers()
            yield dask_engine
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def start_local_cluster(workers: int):
    """A LocalCluster of ``workers`` processes of one thread each on 127.0.0.1,
    without a dashboard, started with LOCAL_CLUSTER_CONFIG."""
    import dask
    from distributed import LocalCluster

    with warnings.catch_warnings(), dask.config.set(LOCAL_CLUSTER_CONFIG):
        # Without a dashboard the scheduler still serves health checks over HTTP
        # on 127.0.0.1, at port 8787 or, when that is taken, another port: say nothing.
        warnings.filterwarnings("ignore", "Port 8787 is already in use")
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address=None,
                            silence_logs=logging.ERROR)


# -- the posts dataset ------------------------------------------------------------


def write_posts_dataset(con, url: str, pending_table: str) -> None:
    """The posts listed in ``pending_table``, in the export's layout, with only
    the columns tagging reads (no author or other handle)."""
    from govwatch.threads import POST_ACCOUNT_CTES

    path = "'" + url.replace("'", "''") + "'"
    con.execute(f"""
        COPY (WITH RECURSIVE {POST_ACCOUNT_CTES}
              SELECT p.platform, pa.official_account, p.post_id, p.text, p.lang
              FROM {pending_table} q
              JOIN posts p USING (platform, post_id)
              JOIN post_account pa USING (platform, post_id)
              ORDER BY p.platform, pa.official_account, p.post_id)
        TO {path} (FORMAT parquet, COMPRESSION zstd,
                   PARTITION_BY (platform, official_account))""")


def list_dataset(url: str, storage_options: dict | None = None):
    """(filesystem, root, [(folder, [(file, bytes), ...]), ...]) of a Parquet
    dataset: its files grouped by folder (one folder per official account)."""
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    except (ImportError, ValueError) as exc:
        raise UsageError(f"cannot open the posts dataset {url}: {exc}") from None
    if not fs.isdir(root):
        raise UsageError(f"the posts dataset {url} is not a folder (write one with 'govwatch "
                         "export --what posts --format parquet --include-text --out DIR')")
    found = fs.find(root, detail=True)
    files = sorted((p, int(info.get("size") or 0)) for p, info in found.items()
                   if p.endswith(".parquet"))
    if not files:
        raise UsageError(f"the posts dataset {url} holds no .parquet file")
    folders: dict[str, list[tuple[str, int]]] = {}
    for path, size in files:
        folders.setdefault(posixpath.dirname(path), []).append((path, size))
    return fs, root, sorted(folders.items())


def check_columns(fs, url: str, folders) -> None:
    """The dataset has what tagging reads (hive partition names count as columns)."""
    import pyarrow.parquet as pq

    path = folders[0][1][0][0]
    names = set(pq.read_schema(path, filesystem=fs).names)
    names |= {part.split("=", 1)[0] for part in path.split("/") if "=" in part}
    missing = [c for c in READ_COLUMNS if c not in names]
    if missing:
        hint = (" (export it with --include-text)" if missing == ["text"] else "")
        raise UsageError(f"the posts dataset {url} lacks the column(s) {', '.join(missing)}"
                         f"{hint}")


def plan_tasks(folders, workers: int) -> list[list[str]]:
    """Whole folders packed in order into tasks of about the same size."""
    total = sum(size for _, files in folders for _, size in files)
    target = max(1, min(MAX_TASK_BYTES, total // max(1, workers * TASKS_PER_WORKER)))
    tasks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for _, files in folders:
        current += [path for path, _ in files]
        size += sum(s for _, s in files)
        if size >= target:
            tasks.append(current)
            current, size = [], 0
    if current:
        tasks.append(current)
    return tasks


def _pending_keys(con, pending_table: str) -> pd.Index:
    keys = con.execute(
        f"SELECT platform || chr(31) || post_id FROM {pending_table}").fetchnumpy()
    return pd.Index(next(iter(keys.values())).astype(object))


def _check_rows(con, rows: pd.DataFrame, url: str) -> None:
    """Every tagged post is in the store with the same text (same SHA-256)."""
    con.register("_engine_rows", rows[["platform", "post_id", "text_hash"]])
    try:
        bad = con.execute(
            "SELECT r.platform, r.post_id, p.post_id IS NULL FROM _engine_rows r "
            "LEFT JOIN posts p USING (platform, post_id) "
            "WHERE p.post_id IS NULL OR r.text_hash IS DISTINCT FROM sha256(p.text) LIMIT 1"
        ).fetchall()
    finally:
        con.unregister("_engine_rows")
    if bad:
        platform, post_id, absent = bad[0]
        why = "is not in the store" if absent else "has another text than in the store"
        raise UsageError(f"the posts dataset {url} is stale: post {platform}:{post_id} {why}; "
                         "export it again or leave out --posts-parquet")


# -- on the workers -----------------------------------------------------------------


def worker_version() -> str:
    return __version__


def warm_worker() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: F401

    from . import classifiers, tagging  # noqa: F401


@cache
def _detector(languages: tuple[str, ...]):
    from .langid import LanguageDetector

    return LanguageDetector(languages)


def tag_task(fs, root: str, files: list[str], keys: pd.Index | None, model,
             languages: tuple[str, ...], lexicons: dict[str, str]):
    """Tag the posts of some account folders (those in ``keys`` when given).

    Returns (tag rows as govwatch.analysis.tagging.tag_rows gives them, sentiment scores
    of their distinct texts)."""
    import pyarrow.dataset as pads

    from .sentiment import SentimentRoutes, score_pending, text_hash
    from .tagging import tag_rows

    dataset = pads.dataset(files, filesystem=fs, format="parquet", partitioning="hive",
                           partition_base_dir=root)
    frame = dataset.to_table(columns=list(READ_COLUMNS)).to_pandas()
    frame["platform"] = frame["platform"].astype(str)
    frame["post_id"] = frame["post_id"].astype(str)
    if keys is not None:
        frame = frame[(frame["platform"] + _KEY_SEP + frame["post_id"]).isin(keys)]
    frame = frame.reset_index(drop=True)
    frame["text_hash"] = pd.Series(
        [text_hash(t) if isinstance(t, str) else None for t in frame["text"]], dtype=object)
    rows, pending = tag_rows(frame, model, _detector(tuple(languages)),
                             SentimentRoutes(dict(lexicons)))
    return rows, score_pending(pending, workers=1)
