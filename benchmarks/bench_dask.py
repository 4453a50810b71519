"""Tagging on the Dask engine: 1 worker vs 2 workers, with the local engine as reference.

    python benchmarks/bench_dask.py                  # 1,000,000 posts
    python benchmarks/bench_dask.py --posts 200000   # a quicker run
    python benchmarks/bench_dask.py --rounds 2       # 1 then 2 workers, twice

The posts are SYNTHETIC (benchmarks/synth.py, 200 official accounts), written once
to ``benchmarks/work/dask-synth-<N>/`` and loaded once into a store
``benchmarks/work/dask-store-<N>.duckdb`` with the default tagging model fitted;
both are reused by later runs. Each measured run tags every post of a fresh copy of
that store, in one run of this script, side by side:

- local: ``govwatch.analysis.tagging.tag_new_posts`` as ``govwatch analyze`` runs it (a pool
  of one process per core tags each batch, tags committed batch by batch);
- dask 1 / dask 2: the same call with the Dask engine (analysis/engine.py) on a
  ``distributed.LocalCluster`` of 1 and then 2 worker processes of one thread each
  (no dashboard): the engine writes the posts dataset (Parquet, one folder per
  official account), the workers tag it, the tags come back into the store.

Timed: the tagging call (dataset written, tasks run, tags written), with the model
already loaded and the workers already started and warm (their start-up is printed
apart). Peak memory is the largest sum of resident memory of this process and all
its child processes (the workers, VADER's pool) seen during the call, sampled every
0.2 s. The three runs must give the same tags and sentiment scores (a digest of
each table is compared). The machine's load is recorded with every run: on a
shared machine the 1 vs 2 worker ratio is only meaningful when a second core is
free. Writes ``benchmarks/work/dask-results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
WORK = REPO / "benchmarks" / "work"
TARGET_SPEEDUP = 1.6
ACCOUNTS = 200

TAG_DIGEST = """
SELECT count(*), sum(hash(platform, post_id, lang, sentiment, sentiment_pos, sentiment_neu,
       sentiment_neg, sentiment_note, topic, topic_confidence, critical, critical_confidence,
       needs_response, needs_response_confidence, deflection, model_version,
       text_hash)::HUGEINT)::VARCHAR FROM tags
"""
SCORE_DIGEST = """
SELECT count(*), sum(hash(text_hash, analyzer_version, compound, pos, neu, neg)::HUGEINT)::VARCHAR
FROM sentiment_cache
"""


def synth_data(posts: int) -> Path:
    out = WORK / f"dask-synth-{posts}"
    if not (out / "SYNTHETIC.json").is_file():
        sys.path.insert(0, str(REPO / "benchmarks"))
        import synth

        print(f"generating {posts:,} synthetic posts in {out}", flush=True)
        synth.generate(out, posts, ACCOUNTS, fmt="csv")
    return out


def base_store(posts: int) -> Path:
    """The store with the posts loaded and the default model fitted (built once)."""
    path = WORK / f"dask-store-{posts}.duckdb"
    if path.is_file():
        return path
    from govwatch.analysis.tagging import active_model, resolve_settings

    from govwatch.store import Store

    data = synth_data(posts)
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    t0 = time.perf_counter()
    with Store(building) as store:
        con = store.conn
        con.execute(f"""
            INSERT INTO accounts BY NAME
            SELECT platform, author, display_name, true AS official, institution, country,
                   level, timezone, office_hours
            FROM read_csv('{data / "accounts.csv"}', all_varchar = true)""")
        con.execute(f"""
            INSERT INTO posts BY NAME
            SELECT platform, post_id, author, created_at::TIMESTAMPTZ AS created_at, text, lang,
                   CASE WHEN in_reply_to_post_id IS NULL THEN 'post' ELSE 'reply' END AS kind,
                   in_reply_to_post_id, in_reply_to_author, conversation_id
            FROM read_csv('{data / "posts.csv"}', all_varchar = true)""")
        with store.transaction() as con:
            model = active_model(con, resolve_settings(con, None))
    building.rename(path)
    print(f"store {path.name}: {posts:,} posts loaded, model {model.version_} fitted in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    return path


class PeakRSS:
    """Largest total RSS of this process and its descendants while running."""

    def __init__(self, every: float = 0.2):
        import psutil

        self.me = psutil.Process()
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for p in [self.me, *self.me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except Exception:  # a child that just ended
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def one_run(base: Path, name: str, workers: int | None) -> dict:
    """Tag every post of a fresh copy of ``base``; ``workers`` None: the local engine."""
    from govwatch.analysis.engine import DaskEngine, start_local_cluster, warm_worker
    from govwatch.analysis.tagging import active_model, resolve_settings, tag_new_posts

    from govwatch.store import Store

    path = WORK / f"dask-run-{name}.duckdb"
    path.unlink(missing_ok=True)
    shutil.copy(base, path)
    cluster = client = engine = None
    started = time.perf_counter()
    if workers:
        from distributed import Client

        cluster = start_local_cluster(workers)  # as analyze starts it
        client = Client(cluster, set_as_default=False)
        engine = DaskEngine(client, work_dir=str(WORK))
        engine.check_workers()
        client.run(warm_worker)
    startup = time.perf_counter() - started
    try:
        with Store(path) as store:
            with store.transaction() as con:
                active_model(con, resolve_settings(con, None))  # loaded once, as a rerun finds it
            load = os.getloadavg()
            with PeakRSS() as rss:
                t0 = time.perf_counter()
                tagged = tag_new_posts(store.conn, engine=engine, commit_batches=True)  # as analyze
                wall = time.perf_counter() - t0
            tags = store.conn.execute(TAG_DIGEST).fetchone()
            scores = store.conn.execute(SCORE_DIGEST).fetchone()
    finally:
        if client is not None:
            client.close()
            cluster.close()
        path.unlink(missing_ok=True)
        Path(str(path) + ".wal").unlink(missing_ok=True)
    result = {"name": name, "workers": workers, "tagged": tagged, "wall_s": round(wall, 2),
              "posts_per_s": round(tagged / wall), "startup_s": round(startup, 2),
              "peak_rss_mib": round(rss.peak / 2**20), "load_1_5_15": [round(x, 2) for x in load],
              "tags_digest": list(tags), "scores_digest": list(scores)}
    print(f"{name:>7}: tagged {tagged:,} posts in {wall:7.1f} s ({tagged / wall:8,.0f} posts/s), "
          f"peak RSS {rss.peak / 2**20:6,.0f} MiB, start-up {startup:4.1f} s, "
          f"load {load[0]:.2f}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=WORK / "dask-results.json")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of 1 then 2 workers (default 1); the speed-up is the "
                             "median 1-worker time over the median 2-worker time")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    base = base_store(args.posts)
    print(f"{args.posts:,} synthetic posts, {ACCOUNTS} official accounts; "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}", flush=True)
    local = one_run(base, "local", None)
    rounds = [(one_run(base, f"dask-1.{i}" if args.rounds > 1 else "dask-1", 1),
               one_run(base, f"dask-2.{i}" if args.rounds > 1 else "dask-2", 2))
              for i in range(1, max(1, args.rounds) + 1)]
    runs = [local, *(r for pair in rounds for r in pair)]
    one_s = statistics.median(one["wall_s"] for one, _ in rounds)
    two_s = statistics.median(two["wall_s"] for _, two in rounds)
    speedup = one_s / two_s
    per_round = [round(one["wall_s"] / two["wall_s"], 3) for one, two in rounds]
    identical = all(r["tags_digest"] == local["tags_digest"]
                    and r["scores_digest"] == local["scores_digest"] for r in runs)
    print(f"speed-up 2 workers vs 1: {speedup:.2f}x (target {TARGET_SPEEDUP}x; per round "
          f"{', '.join(f'{x:.2f}x' for x in per_round)}); local engine {local['wall_s']:.1f} s; "
          f"identical tags in all runs: {identical}")
    result = {
        "posts": args.posts,
        "workers_1_s": one_s,
        "workers_2_s": two_s,
        "speedup": round(speedup, 3),
        "speedup_per_round": per_round,
        "local_s": local["wall_s"],
        "peak_rss_mib": {r["name"]: r["peak_rss_mib"] for r in runs},
        "load": {r["name"]: r["load_1_5_15"] for r in runs},
        "identical": identical,
        "cpus": os.cpu_count(),
        "runs": runs,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
