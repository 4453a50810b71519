"""What one tagging batch pays to look up the sentiment cache, as the cache grows.

    python benchmarks/bench_sentiment_cache.py --batches 100 --batch 100000

Tagging reads, for each batch of posts, the cached scores of its texts. The cache grows
with the store (one row per distinct text), and a lookup that scans it costs more the
more posts came before: over a whole run the cost grows with the square of the posts.
This replays the cache's side of a first ``analyze`` batch by batch on a real DuckDB
store, through govwatch's own functions (``cached_scores``, ``insert_scores`` and the
tag write), and, in the same run, the earlier way (a lookup of the pairs, then a join of
the tag rows with the whole cache), alternating batch by batch on two stores. It prints
CPU time per batch at the start and at the end: flat is linear. Not a test.
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
    for c in S.SCORE_COLUMNS:
        out[c] = 0.5
    return out


def _tags(con, rows: pd.DataFrame, source: str) -> None:
    con.execute(f"SELECT count(c.compound) FROM _rows b LEFT JOIN {source} c "
                "ON c.text_hash = b.text_hash AND c.analyzer_version = b.analyzer_version"
                ).fetchall()


def earlier(con, rows: pd.DataFrame) -> None:
    """The pairs looked up, new ones written, then the rows joined with the whole cache."""
    con.register("_h", rows[["text_hash"]])
    pairs = frozenset(con.execute("SELECT text_hash, analyzer_version FROM sentiment_cache "
                                  "SEMI JOIN _h USING (text_hash)").fetchall())
    con.unregister("_h")
    S.insert_scores(con, _scores(S.drop_cached(rows, pairs)))
    con.register("_rows", rows)
    _tags(con, rows, "sentiment_cache")
    con.unregister("_rows")


def now(con, rows: pd.DataFrame) -> None:
    """govwatch's way: the batch's cache rows read once, the rows joined with them."""
    cached = S.cached_scores(con, rows["text_hash"])
    new = _scores(S.drop_cached(rows, S.score_pairs(cached)))
    S.insert_scores(con, new)
    con.register("_rows", rows)
    con.register("_s", S.with_cached(new, cached))
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
    rng = np.random.default_rng(7)
    cpu: dict[str, list[float]] = {"earlier": [], "now": []}
    for i in range(args.batches):
        rows = _batch(i, args.batch, args.repeat, rng)
        for name, step in (("earlier", earlier), ("now", now))[:: 1 if i % 2 else -1]:
            t0 = time.process_time()
            step(stores[name].conn, rows)
            cpu[name].append(time.process_time() - t0)
    sizes = {n: s.conn.execute("SELECT count(*) FROM sentiment_cache").fetchone()[0]
             for n, s in stores.items()}
    for s in stores.values():
        s.close()
    assert sizes["earlier"] == sizes["now"], sizes
    tenth = max(args.batches // 10, 1)
    print(f"{args.batches} batches of {args.batch:,} texts; cache at the end {sizes['now']:,} rows")
    for name, times in cpu.items():
        first, last = np.median(times[:tenth]), np.median(times[-tenth:])
        print(f"  {name:8s} CPU-s a batch: first tenth {first:.3f}, last tenth {last:.3f} "
              f"({last / first:.1f}x); all batches {sum(times):.1f} CPU-s")
    print(f"  earlier / now, all batches: {sum(cpu['earlier']) / sum(cpu['now']):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
