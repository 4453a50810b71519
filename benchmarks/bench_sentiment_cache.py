"""What one tagging batch pays to look up and extend the sentiment cache, as it grows.

    python benchmarks/bench_sentiment_cache.py --batches 100 --batch 100000

Tagging reads, for each batch of posts, the cached scores of its texts, and adds the
scores of new texts. The cache grows with the store (one row per distinct text): work
that reads or indexes the whole cache costs more the more posts came before, and over
a whole run grows with the square of the posts. This replays the cache's side of a
first ``analyze`` batch by batch on a real DuckDB store, through govwatch's own
functions (``cached_scores``, ``insert_scores`` and the tag write), and, in the same run,
the way before migration 12 (a cache with a primary key on (text_hash,
analyzer_version), looked up by a semi-join on text_hash, added to with ``INSERT ... ON
CONFLICT DO NOTHING``), alternating batch by batch on two stores. It prints CPU time per
batch at the start and at the end: flat is linear. Not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
from govwatch.analysis import sentiment as S

from govwatch.store import Store

HERE = Path(__file__).resolve().parent

VERSION = "vaderSentiment-3.3.2"


def _batch(i: int, size: int, repeat: float, rng: np.random.Generator) -> pd.DataFrame:
    ids = np.arange(i * size, (i + 1) * size)
    if i:  # a share of texts seen in earlier batches
        k = int(repeat * size)
        ids[:k] = rng.integers(0, i * size, k)
    hashes = [hashlib.sha256(str(x).encode()).hexdigest() for x in ids]
    return pd.DataFrame({"text_hash": hashes, "analyzer_version": VERSION})


def _scores(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    rng = np.random.default_rng(len(frame))
    for c in S.SCORE_COLUMNS:
        out[c] = rng.random(len(frame)).round(4)  # VADER's scores have four decimals
    return out


def _tags(con, rows: pd.DataFrame, source: str) -> None:
    con.execute(f"SELECT count(c.compound) FROM _rows b LEFT JOIN {source} c "
                "ON c.text_hash = b.text_hash AND c.analyzer_version = b.analyzer_version"
                ).fetchall()


EARLIER_CACHE = """CREATE OR REPLACE TABLE sentiment_cache (
    text_hash VARCHAR, analyzer_version VARCHAR, compound DOUBLE, pos DOUBLE, neu DOUBLE,
    neg DOUBLE, PRIMARY KEY (text_hash, analyzer_version))"""


def earlier(con, rows: pd.DataFrame) -> None:
    """The cache before migration 12: looked up by text_hash, appended through its index."""
    con.register("_h", rows[["text_hash"]])
    cached = con.execute("SELECT text_hash, analyzer_version, compound, pos, neu, neg "
                         "FROM sentiment_cache SEMI JOIN _h USING (text_hash)").df()
    con.unregister("_h")
    new = _scores(S.drop_cached(rows, S.score_pairs(cached)))
    con.register("_new", new)
    con.execute("INSERT INTO sentiment_cache BY NAME SELECT * FROM _new ON CONFLICT DO NOTHING")
    con.unregister("_new")
    _tag(con, rows, S.with_cached(new, cached))


def now(con, rows: pd.DataFrame) -> None:
    """govwatch's way: the batch's cache rows read by text_key, new ones appended."""
    cached = S.cached_scores(con, rows["text_hash"])
    new = _scores(S.drop_cached(rows, S.score_pairs(cached)))
    S.insert_scores(con, new)
    _tag(con, rows, S.with_cached(new, cached))


def _tag(con, rows: pd.DataFrame, scores: pd.DataFrame) -> None:
    con.register("_rows", rows)
    con.register("_s", scores)
    _tags(con, rows, "_s")
    con.unregister("_rows")
    con.unregister("_s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--repeat", type=float, default=0.1, help="share of texts seen before")
    ap.add_argument("--workdir", type=Path, default=HERE / "work")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    stores = {}
    for name in ("earlier", "now"):
        path = args.workdir / f"sentiment-cache-{name}.duckdb"
        path.unlink(missing_ok=True)
        stores[name] = Store(path)
    stores["earlier"].conn.execute(EARLIER_CACHE)
    rng = np.random.default_rng(7)
    cpu: dict[str, list[float]] = {"earlier": [], "now": []}
    for i in range(args.batches):
        rows = _batch(i, args.batch, args.repeat, rng)
        for name, step in (("earlier", earlier), ("now", now))[:: 1 if i % 2 else -1]:
            t0 = time.process_time()
            con = stores[name].conn
            con.execute("BEGIN TRANSACTION")  # as tagging writes a batch
            step(con, rows)
            con.execute("COMMIT")
            cpu[name].append(time.process_time() - t0)
    sizes = {n: s.conn.execute("SELECT count(*), count(DISTINCT (text_hash, analyzer_version)) "
                               "FROM sentiment_cache").fetchone()
             for n, s in stores.items()}
    for s in stores.values():
        s.close()
    assert sizes["earlier"] == sizes["now"] and len(set(sizes["now"])) == 1, sizes
    tenth = max(args.batches // 10, 1)
    print(f"{args.batches} batches of {args.batch:,} texts; cache at the end {sizes['now'][0]:,} rows")
    for name, times in cpu.items():
        first, last = np.median(times[:tenth]), np.median(times[-tenth:])
        print(f"  {name:8s} CPU-s a batch: first tenth {first:.3f}, last tenth {last:.3f} "
              f"({last / first:.1f}x); all batches {sum(times):.1f} CPU-s")
    print(f"  earlier / now, all batches: {sum(cpu['earlier']) / sum(cpu['now']):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
