"""Export speed and memory: ``govwatch export`` beside a pandas read-and-write baseline.

    python benchmarks/bench_export.py --posts 1000000
    python benchmarks/bench_export.py --posts 20000 --json benchmarks/work/export-results.json

1. Builds (once per size; reused while ``WORKDIR/export-store-N.duckdb`` and its marker
   exist) a store from ``synth.py``'s posts CSV of N posts through the real CLI:
   ``govwatch ingest`` of the accounts and posts CSV, then ``govwatch analyze``.
2. For each case (posts or responses, to parquet or csv), runs each side in a fresh
   child process (``_measure.py``: wall time, CPU time and peak RSS from ``os.wait4``):

   - govwatch: ``python -m govwatch.cli export --what W --format F --out FILE --db DB``:
     one DuckDB ``COPY`` of the export query (posts: joined with accounts, tags and the
     responses table to name the addressed official account; citizens' handles replaced
     by keyed pseudonyms; responses: every column, citizens pseudonymised), then a
     codebook and a manifest with the sha256 of each file written.
   - baseline: the straightforward way without govwatch: open the store read-only with
     ``duckdb``, read the rows into pandas with one SQL query (posts joined with accounts
     and tags, ``mentions`` joined with ';'; or ``SELECT * FROM responses``, ordered as
     govwatch orders them) and write them with ``DataFrame.to_parquet`` (pyarrow, zstd)
     or ``DataFrame.to_csv``. No pseudonyms, no codebook, no manifest.

Both sides must write the same number of rows (checked and printed). Ratio = baseline
time / govwatch time (above 1: govwatch is faster). Nothing is pinned unless ``--cpu N``
is given (DuckDB and pyarrow both use every core). ``--json PATH`` writes the rows as JSON
for ``run_all.py``. Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import _measure  # noqa: E402
import synth  # noqa: E402

CASES = (("posts", "parquet"), ("posts", "csv"), ("responses", "parquet"), ("responses", "csv"))

BASELINE_SQL = {
    "posts": """
        SELECT p.platform, p.post_id, p.author, a.author IS NOT NULL AS author_is_official,
               p.created_at, p.lang, p.kind, p.in_reply_to_post_id, p.in_reply_to_author,
               p.conversation_id, array_to_string(p.mentions, ';') AS mentions, p.url,
               p.like_count, p.share_count, p.reply_count, p.deleted_at, p.import_id,
               t.sentiment, t.topic, t.critical, t.needs_response
        FROM posts p
        LEFT JOIN accounts a ON a.official AND a.platform = p.platform AND a.author = p.author
        LEFT JOIN tags t ON t.platform = p.platform AND t.post_id = p.post_id
        ORDER BY p.platform, p.created_at, p.post_id""",
    "responses": """
        SELECT * FROM responses
        ORDER BY platform, official_author, message_created_at, message_id""",
}



def build_store(workdir: Path, posts: int, accounts: int, seed: int) -> Path:
    """An ingested and analysed store of ``posts`` synthetic posts (built once)."""
    db = workdir / f"export-store-{posts}.duckdb"
    marker = db.with_suffix(".json")
    want = {"posts": posts, "accounts": accounts, "seed": seed}
    if db.is_file() and marker.is_file() and json.loads(marker.read_text()) == want:
        # a store cached by an older govwatch: opening it for writing applies the migrations
        subprocess.run([sys.executable, "-c", "import sys; from govwatch.store import Store; "
                        "Store(sys.argv[1]).close()", str(db)], check=True, cwd=REPO, env=dict(os.environ))
        return db
    for p in (db, db.with_name(db.name + ".wal"), marker):
        if p.exists():
            p.unlink()
    src = workdir / f"synth-csv-{posts}"
    manifest = src / synth.FILES["manifest"]
    have = json.loads(manifest.read_text()) if manifest.is_file() else {}
    if ({k: have.get(k) for k in want} != want or have.get("format") not in ("csv", "both")
            or have.get("shape_options")):
        print(f"  generating {posts:,} synthetic posts in {src} ...", flush=True)
        synth.generate(src, posts, accounts, seed, "csv")
    print(f"  building the store {db} (ingest + analyze) ...", flush=True)
    started = time.perf_counter()
    cli = [sys.executable, "-m", "govwatch.cli"]
    with open(workdir / f"export-store-{posts}.log", "wb") as log:
        for args in (["ingest", str(src / synth.FILES["csv"]), "--format", "csv", "--accounts",
                      str(src / synth.FILES["accounts"]), "-q", "--db", str(db)],
                     ["analyze", "-q", "--db", str(db)]):
            subprocess.run(cli + args, check=True, cwd=REPO, env=dict(os.environ), stdout=log,
                           stderr=subprocess.STDOUT)
    marker.write_text(json.dumps(want))
    print(f"  ... done in {time.perf_counter() - started:.0f} s", flush=True)
    return db


def baseline(what: str, fmt: str, db: str, out: str) -> None:
    """The straightforward export (run in a child process)."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    df = con.execute(BASELINE_SQL[what]).df()
    con.close()
    if fmt == "parquet":
        df.to_parquet(out, compression="zstd", index=False)
    else:
        df.to_csv(out, index=False)


def count_rows(path: Path, fmt: str) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        if fmt == "parquet":
            return con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
        return con.execute("SELECT count(*) FROM read_csv(?, all_varchar = true, header = true)",
                           [str(path)]).fetchone()[0]
    finally:
        con.close()


@dataclass
class Row:
    case: str  # e.g. "posts -> parquet"
    what: str
    fmt: str
    posts: int  # posts in the store
    rows: int  # rows govwatch wrote
    base_rows: int  # rows the baseline wrote
    ours: dict  # medians over the pairs: wall_s, cpu_s; peak_rss_bytes (largest), runs
    base: dict
    ratio_wall: dict  # min / median / max over the pairs of baseline / govwatch
    ratio_cpu: dict | None
    pairs: int
    cpu: int | None  # the CPU both sides were pinned to, or None (every CPU)


def _clear(*paths: Path) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def measure_case(db: Path, posts: int, what: str, fmt: str, workdir: Path, cpu: int | None,
                 pairs: int, limit_bytes: int | None = None) -> Row:
    """``pairs`` interleaved runs of govwatch and the baseline (A B A B ...); govwatch
    under the address-space cap ``limit_bytes`` when given."""
    out = workdir / f"export-{posts}"
    out.mkdir(exist_ok=True)
    ours_file, base_file = out / f"gw-{what}.{fmt}", out / f"baseline-{what}.{fmt}"
    side = [Path(f"{ours_file}.codebook.csv"), Path(f"{ours_file}.manifest.json")]
    env = dict(os.environ)

    def ours() -> _measure.Measurement:
        _clear(ours_file, *side)
        return _measure.run([sys.executable, "-m", "govwatch.cli", "export", "--what", what, "--format", fmt,
             "--out", str(ours_file), "--db", str(db)], cpu=cpu, env=env, cwd=REPO,
            log=workdir / f"export-gw-{what}-{fmt}.log", limit_bytes=limit_bytes)

    def base() -> _measure.Measurement:
        _clear(base_file)
        return _measure.run(
            [sys.executable, str(Path(__file__).resolve()), "--baseline", what, fmt, str(db),
             str(base_file)], cpu=cpu, env=env, cwd=REPO,
            log=workdir / f"export-baseline-{what}-{fmt}.log")

    runs = _measure.paired(ours, base, pairs)
    s = runs.summary()
    row = Row(f"{what} -> {fmt}", what, fmt, posts, count_rows(ours_file, fmt),
              count_rows(base_file, fmt), s["ours"], s["base"], s["ratio_wall"], s["ratio_cpu"],
              s["pairs"], cpu)
    _clear(ours_file, base_file, *side)
    o, b = row.ours, row.base
    print(f"  {row.case:<22} {row.rows:>11,} rows  govwatch {o['wall_s']:7.2f} s "
          f"(CPU {o['cpu_s']:.2f} s, {_measure.mib(o['peak_rss_bytes'])})  pandas "
          f"{b['wall_s']:7.2f} s (CPU {b['cpu_s']:.2f} s, {_measure.mib(b['peak_rss_bytes'])})  "
          f"ratio {_measure.fmt_spread(row.ratio_wall)}  [{_measure.machine_load()}]", flush=True)
    return row


def table(rows: list[Row]) -> str:
    head = ("| case | store posts | pinned | rows | govwatch wall s | govwatch CPU s "
            "| CPU µs per post | govwatch peak | pandas wall s | pandas CPU s | pandas peak "
            "| ratio wall (min-max) | ratio CPU (min-max) | same rows |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        cap = (f" (cap {_measure.mib(r.ours['limit_bytes'])})" if r.ours.get("limit_bytes")
               else "")
        lines.append(
            f"| {r.case} | {r.posts:,} | {'no' if r.cpu is None else 'one CPU'} | {r.rows:,} "
            f"| {r.ours['wall_s']:.2f} | {r.ours['cpu_s']:.2f} "
            f"| {r.ours['cpu_s'] / r.posts * 1e6:.2f} "
            f"| {_measure.mib(r.ours['peak_rss_bytes'])}{cap} | {r.base['wall_s']:.2f} "
            f"| {r.base['cpu_s']:.2f} | {_measure.mib(r.base['peak_rss_bytes'])} "
            f"| {_measure.fmt_spread(r.ratio_wall)} | {_measure.fmt_spread(r.ratio_cpu)} "
            f"| {'yes' if r.rows == r.base_rows else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--baseline"]:
        baseline(*argv[1:5])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000, help="posts in the store")
    ap.add_argument("--cases", default=",".join(f"{w}:{f}" for w, f in CASES),
                    help="what:format pairs, comma-separated (default: posts and responses "
                         "to parquet and csv)")
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=synth.DEFAULT_SEED)
    ap.add_argument("--pairs", type=int, default=3,
                    help="interleaved runs per side (A B A B ...); ratios are reported as "
                         "min / median / max over the pairs (default 3)")
    ap.add_argument("--cpu", type=int, default=None,
                    help="pin each side to this CPU (default: unpinned; -1 runs both)")
    ap.add_argument("--limit", default=None,
                    help="run govwatch under this address-space cap (RLIMIT_AS), e.g. 6GiB: "
                         "a run that exceeds it fails")
    ap.add_argument("--workdir", type=Path, default=HERE / "work")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    cases = [tuple(c.split(":")) for c in args.cases.split(",") if c.strip()]
    for c in cases:
        if c not in CASES:
            ap.error(f"unknown case {':'.join(c)}; choose from "
                     + ", ".join(f"{w}:{f}" for w, f in CASES))
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"govwatch export benchmark: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; "
          f"{_measure.machine_load()}", flush=True)
    db = build_store(workdir, args.posts, args.accounts, args.seed)
    rows, failures = [], []
    limit = _measure.parse_size(args.limit) if args.limit else None
    cpus = ([None, _measure.default_cpu()] if args.cpu == -1
            else [None if args.cpu is None else args.cpu])
    for (w, f), cpu in ((c, cpu) for c in cases for cpu in cpus):
        try:
            rows.append(measure_case(db, args.posts, w, f, workdir, cpu, args.pairs, limit))
        except _measure.CommandFailed as e:
            print(f"  {w} -> {f}: FAILED: {e}", flush=True)
            failures.append({"case": f"{w} -> {f}", "error": str(e)})
    print()
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "benchmark": "export", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "load": _measure.machine_load(), "rows": [asdict(r) for r in rows],
            "failures": failures}, indent=2))
        print(f"\nwritten to {args.json}")
    return 0 if not failures and all(r.rows == r.base_rows for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
