"""Benchmark: ingest throughput and peak memory, with a baseline run side by side.

    python benchmarks/bench_ingest.py --quick
    python benchmarks/bench_ingest.py --sizes 250000,1000000 --twarc-size 200000
    python benchmarks/bench_ingest.py --stages twarc2 --real ../shared/real_data

Stages (each side runs in its own fresh process; see ``_measure.py``):

- ``csv``: the posts CSV of ``synth.py`` at each ``--sizes`` size.
  govwatch: ``python -m govwatch.cli ingest FILE --format csv -q --db NEW.duckdb``
  (streams the file in 50,000-row chunks, validates every cell, merges idempotently).
  Baseline: ``pandas.read_csv`` of the whole file (ids as text, created_at parsed to UTC)
  and DuckDB ``CREATE TABLE AS`` from the frame: no validation, no rejects, no merge.
  A "startup" row measures both on a one-post file: the fixed cost of each command.
- ``twarc2``: the same kind of posts written as Twitter API v2 pages (``synth.py
  --format twarc2``). govwatch: ``ingest --format twitter-v2``. Baseline: twarc-csv,
  the converter academics use (``twarc2 csv IN.jsonl OUT.csv``), installed on first
  use in its own virtual environment (twarc-csv needs pandas < 3).
- ``real`` (with ``--real DIR``): the real twarc2 pages in DIR/twarc2_api_v2_jsonl,
  replicated with shifted ids to ``--real-size`` tweets; the same two commands.
- ``real-flat`` (``--stages ...,real-flat`` with ``--real DIR``): the real flattened
  tweets (``twarc2 flatten``'s layout, one tweet a line) replicated the same way.

``--before TREE`` also pairs govwatch with the same command run from another source tree
(a checkout of an earlier commit, through ``_tree_cli.py``), interleaved with this one in the
same run and on the same file: the baseline is named ``before``.

``--keep-raw`` runs govwatch's JSON imports with ``ingest --keep-raw`` (each post's
original record stored too; the stage is then named ``twarc2+raw`` / ``real+raw``).

Every side is pinned to one CPU (``--cpu``; ``--cpu -1`` lets it use all of them).
``govwatch ingest`` reads a large JSON Lines file in parts with as many processes as it
may use CPUs (``--jobs``): pinned, with one; with ``--cpu -1``, with every CPU, while
twarc-csv (and the pandas baseline) use one whatever the pinning. Peak memory is then
the sum over govwatch's processes (see ``_measure.py``).
The table gives wall and CPU time, rows per second, peak RSS and the ratio
baseline/govwatch (above 1: govwatch is faster). The machine's load average is
recorded with every run: on a shared machine wall times are lower bounds of speed and
the CPU-time ratios are the steadier figures. Results also go to
``WORKDIR/ingest-results.md`` and, machine-readable, ``WORKDIR/ingest-results.json`` (a
list of rows: stage, posts, govwatch_wall_s, govwatch_cpu_s, govwatch_peak_rss_mib,
baseline_wall_s, baseline_cpu_s, baseline_peak_rss_mib, ratio (baseline / govwatch wall
time), load (1-minute load average when govwatch started), and a few more).
Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import _measure  # noqa: E402
import synth  # noqa: E402

CSV_TARGET_ROWS_PER_S = 100_000
# govwatch's wall time against twarc-csv's, on one pinned CPU: 15x up to 50,000 tweets,
# 20x from 200,000 (where the command's start-up weighs less).
def twarc_target(tweets: int) -> float:
    return 20.0 if tweets >= 200_000 else 15.0


# -- inputs ------------------------------------------------------------------------------------

def synthetic(workdir: Path, posts: int, fmt: str, seed: int, accounts: int) -> Path:
    """The synthetic file for ``posts`` in ``fmt`` (csv or twarc2), generated once and reused."""
    out = workdir / f"synth-{fmt}-{posts}"
    manifest = out / synth.FILES["manifest"]
    want = {"posts": posts, "seed": seed, "accounts": accounts, "format": fmt}
    if manifest.is_file():
        have = json.loads(manifest.read_text())
        if {k: have.get(k) for k in want} == want:
            return out / synth.FILES[fmt]
    print(f"  generating {posts:,} synthetic posts ({fmt}) in {out} ...", flush=True)
    started = time.perf_counter()
    synth.generate(out, posts, accounts, seed, fmt)
    print(f"  ... done in {time.perf_counter() - started:.1f} s", flush=True)
    return out / synth.FILES[fmt]


_ID_FIELD_RE = re.compile(
    r'"(id|author_id|conversation_id|in_reply_to_user_id|newest_id|oldest_id|pinned_tweet_id)'
    r'": "(\d+)"'
)
_ID_LIST_RE = re.compile(r'"edit_history_tweet_ids": \[([^\]]*)\]')
_DIGITS_RE = re.compile(r"\d+")


def replicate_real(real_dir: Path, out: Path, tweets: int,
                   flat: bool = False) -> tuple[Path, int]:
    """Real twarc2 lines copied with every id shifted by ``k << 22`` per copy ``k``
    (the time an id encodes moves by k milliseconds) until ``tweets`` tweets are written.
    Page-layout lines (``{"data": [...], ...}``) are used, or with ``flat`` the
    flattened ones (one tweet a line, users and referenced tweets expanded in place).
    Returns (file, tweets)."""
    src = real_dir / "twarc2_api_v2_jsonl"
    lines, per_copy = [], 0
    for path in sorted(src.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            obj = json.loads(line) if line.strip() else None
            if not isinstance(obj, dict):
                continue
            if not flat and isinstance(obj.get("data"), list):
                lines.append(line)
                per_copy += len(obj["data"])
            elif flat and "data" not in obj and "id" in obj and "text" in obj:
                lines.append(line)
                per_copy += 1
    if not lines:
        raise SystemExit(f"no twarc2 {'flattened' if flat else 'page-layout'} lines in {src}")
    copies = -(-tweets // per_copy)
    marker = out.with_suffix(".json")
    if marker.is_file() and json.loads(marker.read_text()) == {"copies": copies,
                                                               "per_copy": per_copy}:
        return out, copies * per_copy
    print(f"  replicating {len(lines)} real twarc2 pages x {copies:,} with shifted ids "
          f"into {out} ...", flush=True)
    with open(out, "w", encoding="utf-8") as f:
        for k in range(copies):
            shift = k << 22

            def one(m: re.Match, shift: int = shift) -> str:
                return f'"{m.group(1)}": "{int(m.group(2)) + shift}"'

            def many(m: re.Match, shift: int = shift) -> str:
                ids = _DIGITS_RE.sub(lambda d: str(int(d.group()) + shift), m.group(1))
                return f'"edit_history_tweet_ids": [{ids}]'

            for line in lines:
                f.write(_ID_LIST_RE.sub(many, _ID_FIELD_RE.sub(one, line)) + "\n")
    marker.write_text(json.dumps({"copies": copies, "per_copy": per_copy}))
    return out, copies * per_copy


def twarc_venv(workdir: Path) -> Path:
    """The ``twarc2`` command of a private venv holding twarc-csv (created on first use)."""
    venv = workdir / "twarc-venv"
    exe = venv / "bin" / "twarc2"
    if exe.is_file():
        return exe
    log = workdir / "twarc-venv-install.log"
    print(f"  first use: creating {venv} and installing twarc-csv with pandas<3 from PyPI "
          f"(log: {log}) ...", flush=True)
    with open(log, "wb") as out:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=out,
                       stderr=subprocess.STDOUT)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                        "twarc-csv", "pandas<3"], check=True, stdout=out, stderr=subprocess.STDOUT)
    return exe


# -- the measured commands -------------------------------------------------------------------


def govwatch_cmd(path: Path, fmt: str, db: Path, keep_raw: bool = False,
                 tree: Path | None = None) -> list[str]:
    """The ingest command of this tree or, with ``tree``, of another checkout."""
    cli = ["-m", "govwatch.cli"] if tree is None else [str(HERE / "_tree_cli.py"), str(tree)]
    return [sys.executable, *cli, "ingest", str(path), "--format", fmt, "-q",
            "--db", str(db), *(["--keep-raw"] if keep_raw else [])]


def before_row(args, stage: str, size: int, path: Path, fmt: str, workdir: Path,
               cpu: int | None) -> list[Row]:
    """With ``--before TREE``: govwatch against the same ingest from TREE, interleaved."""
    if args.before is None:
        return []
    out = workdir / f"before-{stage}-{size}.duckdb"
    return [measure_pair(stage, size, path, fmt, "before",
                         govwatch_cmd(path, fmt, out, stage.endswith("+raw"), args.before),
                         out, dict(os.environ), workdir, cpu, args.pairs)]


def anchor_csv(path: str, db: str) -> None:
    """The physical anchor for the posts CSV: DuckDB's own reader into a table, no checks
    (run in a child; DuckDB uses every CPU it may)."""
    import duckdb

    con = duckdb.connect(db)
    con.execute("CREATE TABLE posts AS SELECT * FROM read_csv(?, header = true, "
                "types = {'post_id': 'VARCHAR', 'in_reply_to_post_id': 'VARCHAR', "
                "'conversation_id': 'VARCHAR'})", [path])
    con.close()


def anchor_json(path: str, db: str) -> None:
    """The physical anchor for twarc2 pages: DuckDB ``read_json`` of the fields govwatch
    stores (each page's ``data`` unnested, authors' handles joined from
    ``includes.users``), no checks (run in a child)."""
    import duckdb

    con = duckdb.connect(db)
    con.execute("""
        CREATE TABLE posts AS
        WITH pages AS (SELECT data, includes FROM read_json(?, format = 'newline_delimited',
                                                          maximum_object_size = 1073741824)),
        tweets AS (SELECT unnest(data) AS t FROM pages),
        users AS (SELECT DISTINCT u.id, u.username
                  FROM (SELECT unnest(includes.users) AS u FROM pages))
        SELECT t.id AS post_id, users.username AS author, t.author_id,
               t.created_at::TIMESTAMPTZ AS created_at, t.text, t.lang, t.conversation_id,
               t.in_reply_to_user_id, t.public_metrics.like_count AS like_count,
               t.public_metrics.retweet_count AS share_count,
               t.public_metrics.reply_count AS reply_count
        FROM tweets LEFT JOIN users ON users.id = t.author_id""", [path])
    con.close()


def baseline_csv(path: str, db: str) -> None:
    """The straightforward loader: read everything, load it as is (run in a child)."""
    import duckdb
    import pandas as pd

    ids = {c: str for c in ("post_id", "in_reply_to_post_id", "conversation_id")}
    df = pd.read_csv(path, dtype=ids)
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True, format="ISO8601")
    con = duckdb.connect(db)
    con.execute("CREATE TABLE posts AS SELECT * FROM df")
    con.close()


def count_table(db: Path, table: str) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def count_csv_rows(path: Path) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute("SELECT count(*) FROM read_csv(?, all_varchar = true, header = true)",
                           [str(path)]).fetchone()[0]
    finally:
        con.close()


@dataclass
class Row:
    stage: str
    size: int  # posts in the input
    runs: _measure.Paired  # interleaved runs: govwatch, baseline, govwatch, baseline, ...
    ours_rows: int  # posts govwatch stored
    base_rows: int  # rows the baseline produced
    baseline: str
    cpu: int | None = None  # the CPU both sides were pinned to; None: unpinned
    fmt: str = "auto"  # the --format govwatch was given

    @staticmethod
    def _median_run(runs: list[_measure.Measurement]) -> _measure.Measurement:
        return sorted(runs, key=lambda m: m.wall_s)[(len(runs) - 1) // 2]

    @property
    def ours(self) -> _measure.Measurement:
        """govwatch's run of median wall time."""
        return self._median_run(self.runs.ours)

    @property
    def base(self) -> _measure.Measurement:
        return self._median_run(self.runs.base)

    @property
    def ratio(self) -> float:
        """Median over the pairs of baseline wall time / govwatch wall time."""
        return self.runs.summary()["ratio_wall"]["median"]

    @property
    def cpu_ratio(self) -> float:
        s = self.runs.summary()["ratio_cpu"]
        return s["median"] if s else float("nan")

    @property
    def pinned(self) -> str:
        return "unpinned" if self.cpu is None else "one CPU"


def _fresh(*paths: Path) -> None:
    for p in paths:
        for q in (p, p.with_name(p.name + ".wal")):
            if q.exists():
                q.unlink()


def measure_pair(stage: str, size: int, path: Path, fmt: str, baseline: str,
                 base_cmd: list[str], base_out: Path, base_env: dict[str, str] | None,
                 workdir: Path, cpu: int | None, pairs: int) -> Row:
    """Run govwatch and the baseline ``pairs`` times each, interleaved (A B A B ...)."""
    _measure.warm(path)
    db = workdir / f"gw-{stage}-{size}.duckdb"
    counted: list[int] = []

    def ours() -> _measure.Measurement:
        _fresh(db)
        m = _measure.run(govwatch_cmd(path, fmt, db, stage.endswith("+raw")), cpu=cpu,
                         env=dict(os.environ), cwd=REPO, log=workdir / f"gw-{stage}-{size}.log")
        counted.append(count_table(db, "posts"))
        return m

    def base() -> _measure.Measurement:
        _fresh(base_out)
        return _measure.run(base_cmd, cpu=cpu, env=base_env, cwd=workdir,
                            log=workdir / f"baseline-{stage}-{size}.log")

    runs = _measure.paired(ours, base, pairs)
    base_rows = (count_table(base_out, "posts") if base_out.suffix == ".duckdb"
                 else count_csv_rows(base_out))
    _fresh(db, base_out)
    row = Row(stage, size, runs, min(counted), base_rows, baseline, cpu, fmt)
    s = runs.summary()
    print(f"  {stage:<8} {size:>10,} {row.pinned:>8}  govwatch {row.ours.wall_s:7.2f} s "
          f"(CPU {row.ours.cpu_s:.2f} s) "
          f"({row.ours.rate(size):>9,.0f} rows/s, {_measure.mib(s['ours']['peak_rss_bytes'])})  "
          f"{baseline} {row.base.wall_s:7.2f} s (CPU {row.base.cpu_s:.2f} s, "
          f"{_measure.mib(s['base']['peak_rss_bytes'])})  "
          f"ratio {_measure.fmt_spread(s['ratio_wall'])}  [{_measure.machine_load()}]", flush=True)
    return row


# -- stages ----------------------------------------------------------------------------------

def stage_csv(args, workdir: Path, cpu: int | None) -> list[Row]:
    rows = []
    for size in [1, *args.sizes]:
        path = synthetic(workdir, size, "csv", args.seed, args.accounts)
        out = workdir / f"baseline-csv-{size}.duckdb"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--baseline-csv", str(path),
               str(out)]
        if not args.no_pandas:
            rows.append(measure_pair("csv" if size > 1 else "startup", size, path,
                                     "csv" if args.named_format else "auto",
                                     "pandas+DuckDB", cmd, out, None, workdir, cpu, args.pairs))
        rows += before_row(args, "csv" if size > 1 else "startup", size, path,
                           "csv" if args.named_format else "auto", workdir, cpu)
        if args.anchors and size > 1:
            out = workdir / f"anchor-csv-{size}.duckdb"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--anchor-csv", str(path),
                   str(out)]
            rows.append(measure_pair("csv", size, path, "csv" if args.named_format else "auto",
                                     "DuckDB read_csv", cmd, out, None, workdir, cpu,
                                     args.pairs))
    return rows


def stage_twarc(args, workdir: Path, cpu: int | None, path: Path, size: int,
                stage: str) -> list[Row]:
    stage += "+raw" if args.keep_raw else ""
    fmt = "twitter-v2" if args.named_format else "auto"
    rows = []
    if not args.no_twarc_csv:
        exe = twarc_venv(workdir)
        home = workdir / "twarc-home"
        home.mkdir(exist_ok=True)
        # twarc2 asks for API keys at start-up unless a token is set; `csv` never calls the API.
        env = dict(os.environ, HOME=str(home), BEARER_TOKEN="offline-unused")
        out = workdir / f"twarc-csv-{stage}-{size}.csv"
        rows.append(measure_pair(stage, size, path, fmt, "twarc-csv",
                                 [str(exe), "csv", str(path), str(out)], out, env, workdir,
                                 cpu, args.pairs))
    if args.anchors:
        out = workdir / f"anchor-{stage}-{size}.duckdb"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--anchor-json", str(path), str(out)]
        rows.append(measure_pair(stage, size, path, fmt, "DuckDB read_json", cmd, out, None,
                                 workdir, cpu, args.pairs))
    return rows + before_row(args, stage, size, path, fmt, workdir, cpu)


def stage_auto(args, workdir: Path, cpu: int | None, path: Path, size: int) -> list[Row]:
    """What `--format auto` costs: govwatch sniffing the format against govwatch told it
    (`--format twitter-v2`), on the same file. A ratio of 1.0 means it costs nothing."""
    out = workdir / f"named-twitter-v2-{size}.duckdb"
    return [measure_pair("auto", size, path, "auto", "--format twitter-v2",
                         govwatch_cmd(path, "twitter-v2", out), out, dict(os.environ), workdir,
                         cpu, args.pairs)]


# -- report ----------------------------------------------------------------------------------

HEADER = ("| stage | posts | CPUs | govwatch wall s | govwatch CPU s | rows/s (wall) "
          "| rows/s (CPU) | govwatch peak | baseline | baseline wall s | baseline CPU s "
          "| baseline peak | ratio wall (min-max) | ratio CPU (min-max) | load |")


def table(rows: list[Row]) -> str:
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for r in rows:
        s = r.runs.summary()
        rates = ("—", "—") if r.stage == "startup" else (
            f"{r.size / s['ours']['wall_s']:,.0f}", f"{r.size / s['ours']['cpu_s']:,.0f}")
        loads = s["load_1min"]
        lines.append(
            f"| {r.stage} | {r.size:,} | {r.pinned} | {s['ours']['wall_s']:.2f} "
            f"| {s['ours']['cpu_s']:.2f} | {rates[0]} | {rates[1]} "
            f"| {_measure.mib(s['ours']['peak_rss_bytes'])} | {r.baseline} "
            f"| {s['base']['wall_s']:.2f} | {s['base']['cpu_s']:.2f} "
            f"| {_measure.mib(s['base']['peak_rss_bytes'])} "
            f"| {_measure.fmt_spread(s['ratio_wall'])} | {_measure.fmt_spread(s['ratio_cpu'])} "
            f"| {min(loads):.1f}-{max(loads):.1f} |"
        )
    return "\n".join(lines)


def _takes(r: Row, ratio_name: str) -> str:
    """govwatch's wall and CPU time as multiples of the baseline's, with the ratios'
    spread over the pairs."""
    s = r.runs.summary()
    return (f"{1 / r.ratio:.3f}x the wall time ({ratio_name} "
            f"{_measure.fmt_spread(s['ratio_wall'], '.3f')}) and {1 / r.cpu_ratio:.3f}x the CPU "
            f"({ratio_name} {_measure.fmt_spread(s['ratio_cpu'], '.3f')})")


def verdicts(rows: list[Row]) -> list[str]:
    out = []
    startup = next((r for r in rows if r.stage == "startup"), None)
    for r in rows:
        if r.ours_rows != r.size and r.stage.split("+")[0] in ("csv", "twarc2"):
            out.append(f"- {r.stage} {r.size:,}: govwatch stored {r.ours_rows:,} posts, "
                       f"expected {r.size:,}.")
        if r.stage == "csv" and r.baseline == "pandas+DuckDB":
            ok = r.ours.rate(r.size) >= CSV_TARGET_ROWS_PER_S
            out.append(f"- csv {r.size:,} ({r.pinned}): {r.ours.rate(r.size):,.0f} posts/s wall, "
                       f"{r.ours.cpu_rate(r.size):,.0f} per CPU-second; target "
                       f"{CSV_TARGET_ROWS_PER_S:,}/s: {'met' if ok else 'NOT met'}"
                       + (f"; {r.size / max(1e-9, r.ours.cpu_s - startup.ours.cpu_s):,.0f} per "
                          "CPU-second net of the one-post fixed cost" if startup else "") + ".")
        if r.stage == "auto":
            out.append(f"- --format auto vs --format twitter-v2, {r.size:,} tweets ({r.pinned}): "
                       f"auto takes {_takes(r, 'named/auto')}.")
        if r.baseline == "before":
            out.append(f"- {r.stage} {r.size:,} ({r.pinned}): this tree takes "
                       f"{_takes(r, 'before/after')} of the tree before; it stored "
                       f"{r.base_rows:,} posts, this tree {r.ours_rows:,}.")
        if r.stage.split("+")[0] in ("twarc2", "real", "real-flat") and r.baseline == "twarc-csv":
            target = twarc_target(r.size)
            ok = r.ratio >= target
            out.append(f"- {r.stage} {r.size:,} ({r.pinned}): govwatch "
                       f"{_measure.fmt_spread(r.runs.summary()['ratio_wall'], '.1f')}x faster "
                       f"than twarc-csv (wall, median and min-max over the pairs; "
                       f"{r.cpu_ratio:.1f}x CPU); target {target:.0f}x: "
                       f"{'met' if ok else 'NOT met'}. twarc-csv wrote {r.base_rows:,} rows, "
                       f"govwatch stored {r.ours_rows:,} posts.")
    csv_rows = [r for r in rows if r.stage == "csv" and r.baseline == "pandas+DuckDB"
                and r.cpu == rows[0].cpu]
    if len(csv_rows) >= 2:
        a, b = csv_rows[0], csv_rows[-1]
        out.append(f"- peak RSS from {a.size:,} to {b.size:,} posts: govwatch "
                   f"{_measure.mib(a.ours.peak_rss_bytes)} -> {_measure.mib(b.ours.peak_rss_bytes)}"
                   f", baseline {_measure.mib(a.base.peak_rss_bytes)} -> "
                   f"{_measure.mib(b.base.peak_rss_bytes)}.")
    return out


def environment(cpus: list[int | None]) -> str:
    import duckdb
    import pandas as pd

    pinned = " and ".join(f"each side pinned to CPU {c}" if c is not None else "no CPU pinning"
                          for c in cpus)
    return (f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {platform.node()}; Python "
            f"{platform.python_version()}, pandas {pd.__version__}, duckdb {duckdb.__version__}; "
            f"{pinned}; {_measure.machine_load()} at the start")


def write_markdown(path: Path, env_line: str, rows: list[Row], notes: list[str]) -> None:
    text = [
        "# govwatch ingest benchmark", "",
        f"Run: {env_line}.", "",
        "Ratio = baseline time / govwatch time (above 1: govwatch is faster). Load = 1-minute "
        "load average when govwatch / the baseline started; on a loaded machine wall times "
        "are lower bounds of speed and CPU-time ratios are the steadier comparison. Each "
        "side ran in interleaved pairs (govwatch, baseline, govwatch, baseline, ...): times "
        "are the medians, peaks the largest of any run, ratios the median over the pairs "
        "with its min-max. Synthetic inputs from benchmarks/synth.py.", "",
        table(rows), "", *notes, "",
    ]
    path.write_text("\n".join(text), encoding="utf-8")


def json_rows(rows: list[Row]) -> list[dict]:
    """The table as data, for other scripts: medians over the pairs, peaks as the
    largest of any run, and each ratio's min / median / max."""
    out = []
    for r in rows:
        s = r.runs.summary()
        o, b = s["ours"], s["base"]
        out.append({
            "stage": r.stage,
            "posts": r.size,
            "cpu": r.cpu,
            "pinned": r.pinned,
            "format": r.fmt,
            "pairs": s["pairs"],
            "govwatch_wall_s": round(o["wall_s"], 3),
            "govwatch_cpu_s": round(o["cpu_s"], 3),
            "govwatch_peak_rss_mib": round(o["peak_rss_bytes"] / 2**20, 1),
            "govwatch_runs_wall_s": o["runs_wall_s"],
            "baseline_wall_s": round(b["wall_s"], 3),
            "baseline_cpu_s": round(b["cpu_s"], 3),
            "baseline_peak_rss_mib": round(b["peak_rss_bytes"] / 2**20, 1),
            "baseline_runs_wall_s": b["runs_wall_s"],
            "ratio": round(r.ratio, 3),
            "ratio_wall": s["ratio_wall"],
            "ratio_cpu": s["ratio_cpu"],
            "cpu_ratio": round(r.cpu_ratio, 3),
            "load": min(s["load_1min"]),
            "load_max": max(s["load_1min"]),
            "baseline": r.baseline,
            "govwatch_posts_stored": r.ours_rows,
            "baseline_rows": r.base_rows,
            "govwatch_posts_per_s": round(r.size / o["wall_s"], 1),
            "govwatch_posts_per_cpu_s": round(r.size / o["cpu_s"], 1),
        })
    return out


# -- entry point -----------------------------------------------------------------------------

def parse_args(argv: list[str] | None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="250000,1000000",
                    help="posts CSV sizes, comma-separated (default 250000,1000000)")
    ap.add_argument("--twarc-size", type=int, default=200_000,
                    help="tweets in the synthetic twarc2 file (default 200000)")
    ap.add_argument("--real", type=Path, default=None,
                    help="shared real_data folder: also benchmark its twarc2 pages, replicated")
    ap.add_argument("--real-size", type=int, default=None,
                    help="tweets to replicate the real pages to (default: --twarc-size)")
    ap.add_argument("--stages", default="csv,twarc2",
                    help="which stages to run: csv, twarc2, auto (--format auto against "
                         "--format twitter-v2 on the twarc2 file), real-flat (real runs when "
                         "--real is given; real-flat needs --real too)")
    ap.add_argument("--quick", action="store_true",
                    help="small smoke run: 20,000-post CSV, 5,000 tweets")
    ap.add_argument("--pairs", type=int, default=3,
                    help="interleaved runs per side (A B A B ...); the ratio is given as "
                         "min / median / max over the pairs (default 3)")
    ap.add_argument("--pinning", choices=("pinned", "unpinned", "both"), default="pinned",
                    help="pinned: every side on one CPU (--cpu); unpinned: every CPU, as "
                         "users run it; both: each stage both ways (default pinned)")
    ap.add_argument("--named-format", action="store_true",
                    help="give govwatch the format by name (--format csv / twitter-v2) "
                         "instead of its default --format auto")
    ap.add_argument("--anchors", action="store_true",
                    help="also pair govwatch with DuckDB reading the same file and fields "
                         "(read_csv / read_json, no checks): the physical anchor")
    ap.add_argument("--no-twarc-csv", action="store_true",
                    help="leave the twarc-csv baseline out of the twarc2 stages (keep "
                         "--anchors and --before): on a loaded machine it takes minutes a run")
    ap.add_argument("--no-pandas", action="store_true",
                    help="leave the pandas+DuckDB baseline out of the csv stage (keep "
                         "--anchors and --before): at 1M posts it costs more than both")
    ap.add_argument("--before", type=Path, default=None, metavar="TREE",
                    help="also pair govwatch with the same ingest run from another source "
                         "tree (a checkout of an earlier commit), interleaved")
    ap.add_argument("--keep-raw", action="store_true",
                    help="run govwatch's JSON imports with --keep-raw (stages named ...+raw)")
    ap.add_argument("--cpu", type=int, default=None,
                    help="CPU to pin each side to (default: the last one; -1: no pinning, "
                         "as --pinning unpinned)")
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=synth.DEFAULT_SEED)
    ap.add_argument("--workdir", type=Path, default=HERE / "work")
    args = ap.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        args.sizes, args.twarc_size = [20_000], 5_000
        args.real_size = args.real_size or 2_000
    args.real_size = args.real_size or args.twarc_size
    args.stages = {s.strip() for s in args.stages.split(",") if s.strip()}
    if args.before is not None:
        args.before = args.before.resolve()
        if not (args.before / "govwatch" / "cli.py").is_file():
            ap.error(f"--before {args.before}: not a govwatch source tree")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--baseline-csv"]:
        baseline_csv(argv[1], argv[2])
        return 0
    if argv[:1] == ["--anchor-csv"]:
        anchor_csv(argv[1], argv[2])
        return 0
    if argv[:1] == ["--anchor-json"]:
        anchor_json(argv[1], argv[2])
        return 0
    args = parse_args(argv)
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if args.cpu == -1:
        args.pinning = "unpinned"
    one = _measure.default_cpu() if args.cpu in (None, -1) else args.cpu
    cpus = {"pinned": [one], "unpinned": [None], "both": [one, None]}[args.pinning]
    env_line = environment(cpus)
    print(f"govwatch ingest benchmark: {env_line}", flush=True)
    _measure.compile_sources()  # twarc-csv's venv has its own bytecode from pip
    rows: list[Row] = []
    for cpu in cpus:
        if "csv" in args.stages:
            rows += stage_csv(args, workdir, cpu)
        if "twarc2" in args.stages:
            path = synthetic(workdir, args.twarc_size, "twarc2", args.seed, args.accounts)
            rows += stage_twarc(args, workdir, cpu, path, args.twarc_size, "twarc2")
        if "auto" in args.stages:
            path = synthetic(workdir, args.twarc_size, "twarc2", args.seed, args.accounts)
            rows += stage_auto(args, workdir, cpu, path, args.twarc_size)
        if args.real is not None:
            if not (args.real / "twarc2_api_v2_jsonl").is_dir():
                raise SystemExit(f"{args.real}/twarc2_api_v2_jsonl not found")
            path, size = replicate_real(args.real,
                                        workdir / f"real-twarc2-{args.real_size}.jsonl",
                                        args.real_size)
            rows += stage_twarc(args, workdir, cpu, path, size, "real")
            if "real-flat" in args.stages:
                path, size = replicate_real(
                    args.real, workdir / f"real-flat-twarc2-{args.real_size}.jsonl",
                    args.real_size, flat=True)
                rows += stage_twarc(args, workdir, cpu, path, size, "real-flat")
    notes = verdicts(rows)
    print()
    print(table(rows))
    print()
    print("\n".join(notes))
    md = workdir / "ingest-results.md"
    write_markdown(md, env_line, rows, notes)
    js = workdir / "ingest-results.json"
    js.write_text(json.dumps(json_rows(rows), indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten to {md} and {js}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
