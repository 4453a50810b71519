"""The Dask engine on real dask.distributed clusters of worker processes.

Every derived table of a Dask run is compared with the local engine's on copies
of the same store, row for row and exactly: the workers run the same functions
on the same inputs, and every figure is computed per account or per text, so
nothing depends on where or in what order it ran.

Dask is an optional extra (govwatch[dask]); where it is not installed the tests
that need it skip, except when GOVWATCH_REQUIRE_SHARED=1 (CI), where they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as pads
import pytest
from builders import ACCOUNT_HEADER, POST_HEADER, account, assert_same_tables, post, write_csv
from click.testing import CliRunner
from govwatch.analysis.engine import LOCAL_CLUSTER_CONFIG, plan_tasks, require_dask
from govwatch.analysis.pipeline import run_analysis
from govwatch.analysis.settings import build
from govwatch.export import export
from govwatch.ingest.events import load_events
from govwatch.ingest.pipeline import import_paths

from govwatch.cli import cli
from govwatch.demo import sample_dir
from govwatch.errors import UsageError
from govwatch.store import Store

REPO = Path(__file__).resolve().parents[1]


def _need_dask() -> None:
    if importlib.util.find_spec("distributed") and importlib.util.find_spec("dask"):
        return
    reason = "Dask is not installed (pip install 'govwatch[dask]')"
    if os.environ.get("GOVWATCH_REQUIRE_SHARED") == "1":
        pytest.fail(reason + "; GOVWATCH_REQUIRE_SHARED=1 makes the Dask tests mandatory")
    pytest.skip(reason)


Settings = build  # the analysis settings with keyword changes


@pytest.fixture(scope="module")
def cluster():
    """A real LocalCluster, as analyze starts one: two worker processes of one
    thread each, no dashboard."""
    _need_dask()
    from distributed import Client
    from govwatch.analysis.engine import start_local_cluster

    with start_local_cluster(2) as lc, Client(lc, set_as_default=False) as client:
        yield lc.scheduler_address, client


# -- helpers --------------------------------------------------------------------------


def last_settings(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return json.loads(con.execute(
            "SELECT settings FROM analysis_runs ORDER BY run_id DESC LIMIT 1").fetchone()[0])
    finally:
        con.close()


def copies(base: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        path = base.parent / f"{name}.duckdb"
        shutil.copy(base, path)
        out.append(path)
    return out


def _synth():
    spec = importlib.util.spec_from_file_location("govwatch_bench_synth",
                                                  REPO / "benchmarks" / "synth.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- the same results as the local engine ----------------------------------------------


def test_sample_data_same_as_local_engine(tmp_path):
    """The shipped sample through the CLI: --engine dask starts its own LocalCluster of
    two worker processes and writes the posts dataset itself."""
    _need_dask()
    src = sample_dir()
    base = tmp_path / "base.duckdb"
    with Store(base) as store:
        import_paths(store, [src / "accounts.csv"], "accounts-csv", kind="accounts")
        import_paths(store, [src / "posts.csv"], "csv")
        load_events(store, src / "events.csv")
    local, dask = copies(base, "local", "dask")
    with Store(local) as store:
        expected = run_analysis(store)
    work = tmp_path / "work"
    work.mkdir()
    result = CliRunner().invoke(cli, ["analyze", "--engine", "dask", "--dask-workers", "2",
                                      "--work-dir", str(work), "--db", str(dask), "-q"])
    assert result.exit_code == 0, result.output
    assert (f"Analysed {expected.messages:,} inbound messages to {expected.accounts:,} "
            "official accounts") in result.output
    counts = assert_same_tables(local, dask)
    assert counts["tags"] > 5000 and counts["slice_metrics"] > 0 and counts["km_curves"] > 0
    assert last_settings(dask)["execution"]["engine"] == "dask"
    assert list(work.iterdir()) == []  # the engine's posts dataset (post texts) is removed


def test_several_accounts_from_an_exported_dataset(tmp_path, cluster):
    """A store of many accounts; the workers read a dataset written by
    'govwatch export --what posts --format parquet --include-text'; one account per
    metric chunk, so chunks and tagging tasks spread over both workers."""
    address, client = cluster
    data = tmp_path / "synth"
    _synth().generate(data, 3_000, 12, seed=11, fmt="csv", chunk_rows=1_000)
    base = tmp_path / "base.duckdb"
    with Store(base) as store:
        import_paths(store, [data / "accounts.csv"], "accounts-csv", kind="accounts")
        import_paths(store, [data / "posts.csv"], "csv")
    dataset = tmp_path / "posts"
    exported = export(base, "posts", "parquet", dataset, include_text=True)
    local, dask = copies(base, "local", "dask")

    # Whole threads in one partition: every post of a conversation in one account folder.
    frame = pads.dataset(dataset, partitioning="hive").to_table(
        columns=["post_id", "official_account"]).to_pandas()
    with Store(base) as store:
        threads = store.conn.execute("SELECT post_id, conversation_id FROM posts").df()
    frame = frame.merge(threads, on="post_id")
    assert len(frame) == exported.rows == 3_000
    assert frame.groupby("conversation_id")["official_account"].nunique().max() == 1
    assert frame["official_account"].nunique() >= 12

    before = client.run(lambda dask_worker: dask_worker.state.executed_count)
    with Store(local) as store:
        run_analysis(store, Settings(chunk_rows=1))
    with Store(dask) as store:
        result = run_analysis(store, Settings(chunk_rows=1, engine="dask", scheduler=address,
                                              posts_parquet=str(dataset)))
    assert result.tagged == 3_000
    after = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(after) == 2 and all(after[w] > before.get(w, 0) for w in after)
    counts = assert_same_tables(local, dask)
    assert counts["tags"] == 3_000 and counts["account_metrics"] > 0


def test_theme_chunks_on_the_cluster_equal_this_process(tmp_path, cluster, monkeypatch):
    """Topic discovery sends each chunk of public posts to the cluster's workers; the
    themes equal those assigned in one process, row for row."""
    import pandas as pd
    from govwatch.analysis import topics
    from govwatch.analysis.registry import MetricContext
    from govwatch.analysis.slices import CHUNK_EXECUTOR

    _, client = cluster
    src = sample_dir()
    monkeypatch.setattr(topics, "CHUNK", 1024)  # the sample's public posts in several chunks
    monkeypatch.setattr(topics, "SMALL_POSTS", 1024)
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [src / "accounts.csv"], "accounts-csv", kind="accounts")
        import_paths(store, [src / "posts.csv"], "csv")
        here = topics.TopicDiscovery().compute(
            MetricContext(store.conn, None, Settings(execution__workers=1)))
        before = client.run(lambda dask_worker: dask_worker.state.executed_count)
        ctx = MetricContext(store.conn, None, Settings(execution__workers=1))
        ctx.cache[CHUNK_EXECUTOR] = (client.get_executor(pure=False), 4)
        there = topics.TopicDiscovery().compute(ctx)
        after = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert sum(after.values()) - sum(before.values()) >= 3  # one task a chunk
    assert len(here["post_themes"]) > 3 * 1024
    for table in ("discovered_topics", "post_themes"):
        pd.testing.assert_frame_equal(there[table], here[table], check_exact=True)


def test_stale_or_textless_dataset_fails_and_leaves_the_derived_tables_unchanged(tmp_path, cluster):
    address, _ = cluster
    posts = [post("1", "MinRail", "2026-01-01T00:00:00Z", "Trains run on time"),
             post("2", "citizen_a", "2026-01-01T01:00:00Z", "@MinRail where is train 12?",
                  reply_to="1", reply_author="MinRail")]
    write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, [account("MinRail")])
    write_csv(tmp_path / "posts.csv", POST_HEADER, posts)
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        import_paths(store, [tmp_path / "accounts.csv"], kind="accounts")
        import_paths(store, [tmp_path / "posts.csv"])
    with_text = export(path, "posts", "parquet", tmp_path / "ds_text", include_text=True)
    without = export(path, "posts", "parquet", tmp_path / "ds_plain")
    write_csv(tmp_path / "more.csv", POST_HEADER,
              [post("3", "citizen_b", "2026-01-02T00:00:00Z", "@MinRail no train today")])
    with Store(path) as store:
        import_paths(store, [tmp_path / "more.csv"])
        textless = r"lacks the column\(s\) text \(export it with --include-text\)"
        for dataset, message in ((with_text.path, "lacks 1 of the 3 posts to tag"),
                                 (without.path, textless)):
            settings = build(engine="dask", scheduler=address,
                                        posts_parquet=str(dataset))
            with pytest.raises(UsageError, match=message):
                run_analysis(store, settings)
            for table in ("analysis_runs", "responses"):  # the derived tables: untouched
                assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
            # Tags committed before the error are those of the dataset's posts, each
            # checked against the store's text; the post the dataset lacks has none.
            tagged = store.conn.execute(
                "SELECT t.post_id, t.text_hash = sha256(p.text) FROM tags t "
                "JOIN posts p USING (platform, post_id) ORDER BY 1").fetchall()
            assert tagged == [("1", True), ("2", True)]


# -- options and installation ---------------------------------------------------------------


def test_without_dask_the_engine_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(UsageError, match=r"pip install 'govwatch\[dask\]'"):
        require_dask()
    result = CliRunner().invoke(cli, ["analyze", "--engine", "dask",
                                      "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2 and "pip install 'govwatch[dask]'" in result.output
    assert not (tmp_path / "s.duckdb").exists()


def test_dask_options_need_the_dask_engine(tmp_path):
    result = CliRunner().invoke(cli, ["analyze", "--scheduler", "tcp://127.0.0.1:8786",
                                      "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2 and "--scheduler needs --engine dask" in result.output
    with Store(tmp_path / "t.duckdb") as store, pytest.raises(
            UsageError, match="the setting execution.posts_parquet needs the dask engine"):
        run_analysis(store, build(posts_parquet="posts/"))


def _worker_settings() -> dict:
    import dask

    return {key: dask.config.get(key) for key in LOCAL_CLUSTER_CONFIG}


def test_local_cluster_workers_run_without_the_profiler(cluster):
    _, client = cluster
    settings = client.run(_worker_settings)
    assert len(settings) == 2
    for got in settings.values():
        assert got == LOCAL_CLUSTER_CONFIG
        assert got["distributed.worker.profile.enabled"] is False


def test_tasks_are_whole_account_folders_of_similar_size():
    folders = [(f"root/platform=x/official_account=a{i}",
                [(f"root/platform=x/official_account=a{i}/data_{j}.parquet", 100 * (i + 1))
                 for j in range(2)]) for i in range(8)]
    tasks = plan_tasks(folders, workers=2)
    flat = [f for task in tasks for f in task]
    assert flat == [f for _, files in folders for f, _ in files]  # all, in order, once
    for task in tasks:  # a folder is never split between tasks
        dirs = {f.rsplit("/", 1)[0] for f in task}
        assert all(sum(f.startswith(d + "/") for f in task) == 2 for d in dirs)
    assert len(tasks) >= 4  # several tasks per worker
