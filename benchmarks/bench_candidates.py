"""Candidate acknowledgements: the per-signature aggregates against the row per
(candidate, matching post) they replace, on analysed stores.

    python benchmarks/bench_candidates.py --db benchmarks/work/cand-200000.duckdb \
        --db benchmarks/work/cand-1000000.duckdb --pairs 2

For each store (analysed by ``govwatch analyze``, so ``candidate_events`` is there), the
acknowledgement step of the metric ``critical_bursts`` runs in a fresh child process per
side, measured as ``_measure.py`` does (CPU time, peak memory of the process tree),
interleaved old, new, old, new, ...:

- ``old``: ``event_acknowledgements`` on the candidates with :func:`match_by_keyword`
  (kept here, no longer in the package), which materialises ``_ev_matches``, one row per
  candidate and matching post (what ``analyze`` ran before the aggregates);
- ``new``: ``candidate_acknowledgements`` (``keyword_aggregates``), what ``analyze`` runs.

Both read the store only (their work is in temporary tables). Each child writes its two
tables to Parquet; the parent checks they are identical (``assert_frame_equal``, exact)
and reports the rows each side materialised: ``_ev_matches`` for old, the largest of
the aggregates' tables for new. Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _measure  # noqa: E402


def match_by_keyword(con, obs_end, source: str) -> int:
    """Fill ``_ev_matches`` exactly as ``events.match_events`` does, scanning the posts
    once per distinct keyword instead of once per event.

    An event's pattern is an alternation of one sub-pattern per keyword
    (``events.keyword_regex``), so a post matches the event exactly when it matches one
    of its keywords' own patterns: each keyword's matching posts (from the earliest
    onset) are found once (``bursts._keyword_posts``, which the aggregates also use), and
    each event takes the distinct posts of its keywords from its own onset. The rows are
    one per (event, matching post): they grow with the square of the store when events
    do, which is why ``analyze`` uses ``bursts.keyword_aggregates`` instead."""
    from govwatch.analysis import bursts, events

    con.execute(events._MATCHES_TABLE)
    try:
        if not bursts._keyword_posts(con, obs_end, source):
            return 0
        con.execute("""
            INSERT INTO _ev_matches
            SELECT DISTINCT w.event_id, k.platform, k.post_id, k.la, k.created_at,
                   k.official, k.day
            FROM _cand_kw_wanted w
            JOIN _cand_kw_posts k ON k.kw = w.kw AND k.created_at >= w.onset""")
    finally:
        for t in ("_cand_kw_posts", "_cand_kw_wanted"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return con.execute("SELECT count(*) FROM _ev_matches").fetchall()[0][0]


def child(db: str, side: str, out: Path) -> None:
    import duckdb
    from govwatch.analysis import bursts, events

    con = duckdb.connect(db, read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    cands = con.execute("SELECT * FROM candidate_events ORDER BY day, country, candidate_id"
                        ).df()
    obs_end = con.execute("SELECT max(created_at) FROM posts").fetchall()[0][0]
    started = time.process_time()
    if side == "old":
        bursts.candidates_as_events(con, cands)
        rows = {"_ev_matches": match_by_keyword(con, obs_end, "_cand_events")}
        acks, summary = events.event_acknowledgements(
            con, obs_end, "_cand_events", matcher=lambda *_: None)
    else:
        rows = {}
        acks, summary = bursts.candidate_acknowledgements(con, cands, obs_end, rows)
    cpu = time.process_time() - started
    acks.to_parquet(out / f"{side}-acks.parquet")
    summary.to_parquet(out / f"{side}-summary.parquet")
    (out / f"{side}.json").write_text(json.dumps({"rows": rows, "cpu_s": cpu,
                                                  "candidates": len(cands)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", action="append", default=[])
    ap.add_argument("--pairs", type=int, default=1)
    ap.add_argument("--child", nargs=3, metavar=("DB", "SIDE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]))
        return
    import pandas as pd

    print(f"candidate acknowledgements, old (row per candidate and post) vs new; "
          f"{_measure.machine_load()}")
    for db in args.db:
        posts = Path(db).stem
        out = HERE / "work" / f"cand-bench-{posts}"
        out.mkdir(parents=True, exist_ok=True)
        m = {"old": [], "new": []}
        for _ in range(args.pairs):
            for side in ("old", "new"):
                m[side].append(_measure.run([sys.executable, __file__, "--child", db, side,
                                             str(out)], log=out / f"{side}.log"))
        for part in ("acks", "summary"):
            pd.testing.assert_frame_equal(pd.read_parquet(out / f"old-{part}.parquet"),
                                          pd.read_parquet(out / f"new-{part}.parquet"),
                                          check_exact=True)
        info = {s: json.loads((out / f"{s}.json").read_text()) for s in m}
        print(f"{posts}: {info['new']['candidates']} candidates; tables identical")
        for side in ("old", "new"):
            cpu = sorted(x.cpu_s for x in m[side])
            peak = max(x.peak_rss_bytes for x in m[side])
            step = info[side]["cpu_s"]
            rows = info[side]["rows"]
            big = max(rows.values()) if rows else 0
            print(f"  {side}: process CPU {', '.join(f'{c:.1f}' for c in cpu)} s; "
                  f"step CPU (last run) {step:.1f} s; tree peak {_measure.mib(peak)}; "
                  f"largest table {big:,} rows {json.dumps(rows)}")
        ratios = [o.cpu_s / n.cpu_s for o, n in zip(m["old"], m["new"], strict=True)]
        print(f"  old/new process CPU per pair: {', '.join(f'{r:.2f}' for r in ratios)}; "
              f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
