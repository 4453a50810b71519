"""Every govwatch benchmark in one run, as one table: each row beside its baseline.

    python benchmarks/run_all.py --quick            # smoke run of the plumbing: 20,000 posts
    python benchmarks/run_all.py                    # the table: 200,000 posts, 50,000 tweets
    python benchmarks/run_all.py --full             # at scale: 1M posts, scaling to 10M (hours)
    python benchmarks/run_all.py --sizes 1000000 --only ingest,export   # any part on request

The default run is sized to fit 15 minutes (``--budget``, default 15). Every benchmark gets
its turn: each one may run until only the minutes kept back for the benchmarks after it
are left (``RESERVE_MIN``: what each takes on two idle cores), and one still running then
is stopped, its row saying so; ingest runs the posts CSV and the twarc2 pages as two
children with their own shares. A benchmark not started within the budget is not run
and its row says so. The run's minutes per benchmark are printed and kept with the
table.

Runs each benchmark script as a child process (its output goes to
``WORKDIR/run-all-<name>.log``), reads the machine-readable results it writes, and
prints one table: for each row govwatch's wall time, CPU time, throughput and peak
RSS, the baseline measured in the same run (its wall time, CPU time and peak RSS),
and the ratio baseline time / govwatch time (above 1: govwatch is faster).

Where a benchmark runs its two sides as commands (ingest, export), each ratio comes from
``--pairs`` interleaved runs (govwatch, baseline, govwatch, baseline, ...; 3 by default)
and is given as the median over the pairs with its min-max, never as the best run of one
side over the best of the other. Ingest runs every tool as users run it (govwatch with
its default ``--format auto``), both pinned to one CPU and unpinned (``--pinning``), and
also beside DuckDB reading the same file with no checks (the physical anchor). Exports
run under an enforced address-space cap (``--export-cap``), so their memory claim is
checked, not only sampled.

- startup: ``bench_startup.py`` (``govwatch --help`` and ``formats`` vs a bare
  interpreter importing click; the first ``analyze`` of the shipped sample vs importing
  pandas, scikit-learn and DuckDB).
- ingest: ``bench_ingest.py`` (posts CSV vs pandas.read_csv + DuckDB; synthetic twarc2
  pages vs twarc-csv); read from ``WORKDIR/ingest-results.json``.
- tagging: ``bench_tagging.py --json`` (govwatch's tagger vs language + vaderSentiment per
  post and ``model.predict`` on chunks of 10,000, at ``--tagging-distinct`` shares of
  distinct texts; the baseline runs on a sample and is extrapolated linearly).
- metrics: ``bench_metrics.py --json`` (every reply metric vs pandas merges + groupby
  with a per-group Kaplan-Meier).
- export: ``bench_export.py --json`` (``govwatch export`` of posts and responses to
  parquet and csv vs pandas reading from DuckDB + ``to_parquet``/``to_csv``).
- dashboard: ``bench_dashboard.py`` in headless Chromium (pre-aggregated tables vs a
  data layer recomputing from raw posts), when ``chromium`` and Playwright are present;
  otherwise skipped with the reason printed. Read from ``benchmarks/work/dashboard-results.json``.
- scaling: ``bench_scaling.py`` (ingest, analyze with its steps, every export, end to end
  through the CLI at ``--scaling-sizes``, every process under ``--scaling-cap``): each
  stage's cost at the larger size beside the smaller size's cost scaled linearly, so the
  ratio is linear / actual and the note gives the cost per post as a multiple (target at
  most 1.3x). analyze's steps include the derived tables the dashboard reads
  (pre-aggregation); steps under 2% of analyze's CPU are left to the JSON.
- dask: ``bench_dask.py`` (tagging on a LocalCluster, 1 vs 2 workers); its JSON goes to
  ``WORKDIR/run-all-dask-N.json``.

A benchmark that fails or writes no results gives a row saying so (and where its log
is); the others still run. The table and every figure also go to
``WORKDIR/run-all-results.md`` and ``.json``. The machine (CPU model, cores, RAM, OS,
Python and package versions) and the load average before and after each benchmark are
recorded: on a machine shared with other work, wall times stretch while CPU times barely
move, so compare the CPU-time ratios. Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import _measure  # noqa: E402

BENCHMARKS = ("startup", "ingest", "tagging", "metrics", "export", "dashboard", "dask",
              "scaling")
# Minutes the budget keeps back for each benchmark still to run: an estimate of what each
# takes at the default sizes on two idle cores, from the CPU time of its commands measured
# on their own (2026-12-05; 13 minutes in all). A benchmark still running when only the
# later ones' reserve is left is stopped (its row says so), so every benchmark gets its
# turn and the run ends near its budget whatever the load.
RESERVE_MIN = {"startup": 1.5, "ingest csv": 1.0, "ingest twarc2": 1.5, "tagging": 1.0,
               "metrics": 1.2, "export": 2.0, "dashboard": 2.0, "dask": 1.5, "scaling": 1.5}
MIN_CHILD_S = 30.0  # a started benchmark always gets at least this long (--min-share)
_min_child_s = MIN_CHILD_S

PACKAGES = ("duckdb", "pandas", "pyarrow", "numpy", "scikit-learn", "vaderSentiment",
            "py3langid", "dash", "plotly", "dask", "distributed", "playwright")


@dataclass
class Row:
    benchmark: str
    case: str
    size: int | None  # items processed (posts, messages, rows); None when not a count
    unit: str  # what size counts
    ours_wall_s: float | None = None
    ours_cpu_s: float | None = None
    ours_peak_bytes: int | None = None
    baseline: str = ""
    base_wall_s: float | None = None
    base_cpu_s: float | None = None
    base_peak_bytes: int | None = None
    note: str = ""
    load: str = ""  # 1-minute load average when the benchmark started / ended
    cpus: str = ""  # "one CPU" (both sides pinned) or "unpinned"
    pairs: int = 1  # interleaved govwatch/baseline pairs behind the ratios
    wall_range: dict | None = None  # {"min", "median", "max"} of the pairs' wall ratios
    cpu_range: dict | None = None

    @property
    def ratio_wall(self) -> float | None:
        if self.wall_range:
            return self.wall_range["median"]
        if self.ours_wall_s and self.base_wall_s is not None:
            return self.base_wall_s / self.ours_wall_s
        return None

    @property
    def ratio_cpu(self) -> float | None:
        if self.cpu_range:
            return self.cpu_range["median"]
        if self.ours_cpu_s and self.base_cpu_s is not None:
            return self.base_cpu_s / self.ours_cpu_s
        return None

    @property
    def throughput(self) -> float | None:
        # items per second; not for the one-post start-up nor for page timings
        if self.size and self.size > 1 and self.ours_wall_s and self.unit != "posts in store":
            return self.size / self.ours_wall_s
        return None


# -- the machine ------------------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                  if x.startswith("MemTotal:"))
        ram = kb * 1024
    except (OSError, StopIteration):
        pass
    os_name = platform.platform()
    try:
        info = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text()
                    .splitlines() if "=" in line)
        os_name = f"{info.get('PRETTY_NAME', '').strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = version(p)
        except PackageNotFoundError:
            versions[p] = None
    return {"cpu_model": cpu, "cpus": os.cpu_count(), "ram_bytes": ram, "os": os_name,
            "python": platform.python_version(), "packages": versions,
            "chromium": shutil.which("chromium")}


def machine_lines(m: dict) -> list[str]:
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    ram = f"{m['ram_bytes'] / 2**30:.1f} GiB" if m["ram_bytes"] else "unknown"
    return [f"- CPU: {m['cpu_model']}, {m['cpus']} cores", f"- RAM: {ram}",
            f"- OS: {m['os']}", f"- Python {m['python']}; {pk}"]


# -- running one benchmark ---------------------------------------------------------------------

def _load1() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def run_child(name: str, cmd: list[str], workdir: Path, log_name: str | None = None,
              deadline: float | None = None) -> dict:
    """Run one benchmark script; returns its cost and exit status (never raises).

    ``deadline`` (``time.time()``): the script is stopped then if still running (its
    share of the budget, see :func:`shares`), and the result says so."""
    log = workdir / f"run-all-{log_name or name}.log"
    env = dict(os.environ)
    load0 = _load1()
    timeout = None if deadline is None else max(deadline - time.time(), _min_child_s)
    print(f"- {name}: {' '.join(Path(c).name if i < 2 else c for i, c in enumerate(cmd))}"
          + (f" (at most {timeout / 60:.1f} min)" if timeout is not None else ""), flush=True)
    # no memory sampler: each benchmark measures its own sides, and one here, reading the
    # whole tree many times a second, would take CPU from the sides it runs
    m = _measure.run(cmd, env=env, cwd=REPO, log=log, ok=range(-64, 256), timeout=timeout,
                     sample_every=None)
    load = f"{load0} / {_load1()}"
    status = ("stopped at its share of the budget" if m.stopped
              else "ok" if m.returncode == 0 else f"exit status {m.returncode}")
    print(f"  done in {m.wall_s:.0f} s ({status}; log {log}) [{_measure.machine_load()}]",
          flush=True)
    return {"wall_s": m.wall_s, "returncode": m.returncode, "log": str(log), "load": load,
            "stopped": m.stopped}


def _fresh_json(path: Path, since: float) -> dict | None:
    """The JSON at ``path`` if it was written after ``since`` (this run), else None."""
    if path.is_file() and path.stat().st_mtime >= since:
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None
    return None


def failed(benchmark: str, run: dict, why: str) -> Row:
    if run.get("stopped"):
        why = (f"stopped after {run['wall_s'] / 60:.1f} min, its share of the budget "
               "(--budget), before it wrote its results")
    return Row(benchmark, "(no result)", None, "", note=f"{why}; see {run['log']}",
               load=run["load"])


# -- start-up -----------------------------------------------------------------------------------

def bench_startup(args, workdir: Path) -> list[Row]:
    out = workdir / "run-all-startup.json"
    started = time.time()
    cmd = [sys.executable, str(HERE / "bench_startup.py"), "--pairs", str(args.pairs),
           "--workdir", str(workdir), "--json", str(out)]
    run = run_child("startup", cmd, workdir, deadline=args.deadline)
    d = _fresh_json(out, started)
    if d is None:
        return [failed("startup", run, "no JSON written")]
    rows = []
    for r in d["rows"]:
        o, b = r["ours"], r["base"]
        slow = r["slowdown_wall"]
        rows.append(Row("startup", r["case"], None, "", o["wall_s"], o["cpu_s"],
                        o["peak_rss_bytes"], r["baseline"], b["wall_s"], b["cpu_s"],
                        b["peak_rss_bytes"], note=f"govwatch takes {_measure.fmt_spread(slow)}x "
                        f"the baseline's wall time (target at most {r['target']}x)",
                        load=run["load"], cpus="unpinned", pairs=r["pairs"],
                        wall_range=r["ratio_wall"], cpu_range=r["ratio_cpu"]))
    return rows


# -- ingest -------------------------------------------------------------------------------------

def _pick(d: dict, *keys: str):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def ingest_row_from_json(r: dict, load: str) -> Row:
    """One row of ingest-results.json (flat keys: govwatch_wall_s, govwatch_cpu_s,
    govwatch_peak_rss_mib, baseline, baseline_wall_s, ...)."""
    def peak(side: str) -> int | None:
        mib = r.get(f"{side}_peak_rss_mib")
        return int(mib * 2**20) if mib is not None else r.get(f"{side}_peak_rss_bytes")

    note = ""
    stored, wanted = r.get("govwatch_posts_stored"), r.get("posts")
    if r.get("stage") != "startup" and stored is not None and stored != wanted:
        note += f"govwatch stored {stored:,} of {wanted:,} posts; "
    note += f"govwatch --format {r.get('format', '?')}"
    return Row("ingest", str(r.get("stage")), r.get("posts"), "posts",
               ours_wall_s=r.get("govwatch_wall_s"), ours_cpu_s=r.get("govwatch_cpu_s"),
               ours_peak_bytes=peak("govwatch"), baseline=r.get("baseline") or "",
               base_wall_s=r.get("baseline_wall_s"), base_cpu_s=r.get("baseline_cpu_s"),
               base_peak_bytes=peak("baseline"), note=note, load=load,
               cpus=r.get("pinned", "one CPU"), pairs=r.get("pairs", 1),
               wall_range=r.get("ratio_wall") if isinstance(r.get("ratio_wall"), dict) else None,
               cpu_range=r.get("ratio_cpu") if isinstance(r.get("ratio_cpu"), dict) else None)


def bench_ingest(args, workdir: Path) -> list[Row]:
    """One child per stage (the posts CSV, then the twarc2 pages), each with its own
    share of the budget: a slow twarc-csv cannot take the CSV rows with it."""
    stages = [s.strip() for s in args.ingest_stages.split(",") if s.strip()]
    rows: list[Row] = []
    for i, stage in enumerate(stages):
        later = sum(RESERVE_MIN.get(f"ingest {s}", 1.0) for s in stages[i + 1:])
        deadline = None if args.deadline is None else args.deadline - 60 * later
        started = time.time()
        cmd = [sys.executable, str(HERE / "bench_ingest.py"), "--sizes",
               ",".join(str(s) for s in args.sizes), "--twarc-size", str(args.twarc_size),
               "--stages", stage, "--workdir", str(workdir), "--pairs",
               str(args.pairs), "--pinning", args.pinning, "--anchors"]
        run = run_child(f"ingest {stage}", cmd, workdir, f"ingest-{stage}", deadline)
        data = _fresh_json(workdir / "ingest-results.json", started)
        items = data.get("rows") if isinstance(data, dict) else data
        if isinstance(items, list) and items:
            rows += [ingest_row_from_json(r, run["load"]) for r in items]
        else:
            rows.append(failed("ingest", run, f"{stage}: no ingest-results.json written"))
    return rows


# -- tagging ------------------------------------------------------------------------------------

def bench_tagging(args, workdir: Path) -> list[Row]:
    rows = []
    for n, distinct in ((n, d) for n in args.sizes for d in args.tagging_distinct):
        out = workdir / f"run-all-tagging-{n}-{distinct:g}.json"
        started = time.time()
        cmd = [sys.executable, str(HERE / "bench_tagging.py"), "--posts", str(n),
               "--baseline-sample", str(min(n, args.tagging_sample)), "--vader-texts", "0",
               "--distinct", str(distinct), "--pairs", str(args.pairs), "--json", str(out)]
        run = run_child(f"tagging {n:,} ({distinct:.0%} distinct)", cmd, workdir,
                        f"tagging-{n}-{distinct:g}", args.deadline)
        d = _fresh_json(out, started)
        if d is None:
            rows.append(failed("tagging", run, "no JSON written"))
            continue
        b = d["baseline"]
        note = (f"{d['distinct_texts']:,} distinct texts; model fit {d['model_fit_s']:.1f} s "
                "not included")
        if b.get("extrapolated"):
            note += (f"; baseline measured on {b['measured_posts']:,} posts, extrapolated "
                     "linearly")
        if not d.get("identical_outputs"):
            note += "; OUTPUTS DIFFER"
        rows.append(Row("tagging", f"tag new posts, {distinct:.0%} distinct", n, "posts",
                        d["ours"]["wall_s"], d["ours"]["cpu_s"], d["ours"]["peak_rss_bytes"],
                        "language + VADER per post, predict on chunks", b["wall_s"],
                        b["cpu_s"], None,
                        note=note + "; both sides in one process (peak shown for govwatch's "
                        "side, corpus and store included)", load=run["load"],
                        pairs=len(d.get("pairs") or [None]),
                        wall_range=d.get("ratio_spread", {}).get("ratio_wall"),
                        cpu_range=d.get("ratio_spread", {}).get("ratio_cpu")))
    return rows


# -- metrics ------------------------------------------------------------------------------------

def bench_metrics(args, workdir: Path) -> list[Row]:
    rows = []
    for n in args.sizes:
        out = workdir / f"run-all-metrics-{n}.json"
        started = time.time()
        cmd = [sys.executable, str(HERE / "bench_metrics.py"), "--n", str(n), "--workdir",
               str(workdir / f"metrics-{n}"), "--json", str(out)]
        run = run_child(f"metrics {n:,}", cmd, workdir, f"metrics-{n}", args.deadline)
        d = _fresh_json(out, started)
        if d is None or "baseline" not in d.get("sides", {}):
            rows.append(failed("metrics", run, "no JSON written"))
            continue
        g, b = d["sides"]["govwatch"], d["sides"]["baseline"]
        diff = d.get("differences_above_1e-9")
        note = ("same figures (all differences <= 1e-9)" if not diff
                else f"{len(diff)} figures differ (largest {max(diff.values()):.3g})")
        if g.get("tree_peak_mib"):
            note += f"; govwatch process tree (with workers) peak {g['tree_peak_mib']:.0f} MiB"
        rows.append(Row("metrics", "every reply metric", n, "messages",
                        g["timings"]["total"], g["cpu_s"], int(g["peak_rss_mib"] * 2**20),
                        f"pandas merge/groupby + KM ({d.get('baseline_km', 'numpy')})",
                        b["timings"]["total"], b["cpu_s"], int(b["peak_rss_mib"] * 2**20),
                        note=note + "; times exclude interpreter start-up", load=run["load"]))
    return rows


# -- export -------------------------------------------------------------------------------------

def bench_export(args, workdir: Path) -> list[Row]:
    rows = []
    for n in args.sizes:
        out = workdir / f"run-all-export-{n}.json"
        started = time.time()
        cmd = [sys.executable, str(HERE / "bench_export.py"), "--posts", str(n), "--workdir",
               str(workdir), "--json", str(out), "--pairs", str(args.pairs),
               *(["--limit", args.export_cap] if args.export_cap else [])]
        run = run_child(f"export {n:,}", cmd, workdir, f"export-{n}", args.deadline)
        d = _fresh_json(out, started)
        if d is None:
            rows.append(failed("export", run, "no JSON written"))
            continue
        for f in d.get("failures", []):
            rows.append(Row("export", f["case"], None, "", note=f"FAILED: {f['error']}",
                            load=run["load"]))
        for r in d["rows"]:
            note = f"store of {n:,} posts"
            cap = r["ours"].get("limit_bytes")
            if cap:
                note += f"; govwatch ran under an address-space cap of {_measure.mib(cap)}"
            if r["rows"] != r["base_rows"]:
                note += f"; ROW COUNTS DIFFER ({r['rows']:,} vs {r['base_rows']:,})"
            rows.append(Row("export", r["case"], r["rows"], "rows", r["ours"]["wall_s"],
                            r["ours"]["cpu_s"], r["ours"]["peak_rss_bytes"],
                            "pandas from DuckDB", r["base"]["wall_s"], r["base"]["cpu_s"],
                            r["base"]["peak_rss_bytes"], note=note, load=run["load"],
                            cpus="unpinned" if r.get("cpu") is None else "one CPU",
                            pairs=r.get("pairs", 1), wall_range=r.get("ratio_wall"),
                            cpu_range=r.get("ratio_cpu")))
    return rows


# -- dashboard ----------------------------------------------------------------------------------

def dashboard_missing() -> str | None:
    """Why the browser benchmark cannot run here (None: it can)."""
    if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        return "chromium is not installed"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed"
    return None


def _dash_side(d: dict) -> dict:
    """{first, warm, p50, p95} in seconds from one side of dashboard-results.json."""
    def sec(key_s: str, key_ms: str) -> float | None:
        if d.get(key_s) is not None:
            return float(d[key_s])
        return float(d[key_ms]) / 1000 if d.get(key_ms) is not None else None

    return {"first": sec("first_render_cold_s", "first_render_cold_ms"),
            "warm": sec("first_render_warm_s", "first_render_warm_ms"),
            "p50": sec("filter_p50_s", "filter_p50_ms"),
            "p95": sec("filter_p95_s", "filter_p95_ms"),
            "peak": _pick(d, "server_peak_rss_bytes", "peak_rss_bytes")}


def bench_dashboard(args, workdir: Path) -> list[Row]:
    why = dashboard_missing()
    if why:
        print(f"- dashboard: skipped ({why})", flush=True)
        return [Row("dashboard", "(skipped)", None, "", note=f"skipped: {why}")]
    rows = []
    for n in args.sizes:
        started = time.time()
        cmd = [sys.executable, str(HERE / "bench_dashboard.py"), "--posts", str(n),
               "--changes", str(args.dashboard_changes), "--renders",
               str(args.dashboard_renders)]
        run = run_child(f"dashboard {n:,}", cmd, workdir, f"dashboard-{n}", args.deadline)
        sides: dict[str, dict] = {}
        # bench_dashboard.py writes its results beside itself, whatever --workdir says
        data = _fresh_json(HERE / "work" / "dashboard-results.json", started)
        if isinstance(data, dict) and data.get("first_render_cold_s") is not None:
            sides["ours"] = _dash_side(data)
            if isinstance(data.get("baseline"), dict):
                sides["baseline"] = _dash_side(data["baseline"])
        if "ours" not in sides:
            rows.append(failed("dashboard", run, "no figures found"))
            continue
        o, b = sides["ours"], sides.get("baseline", {})
        for case, key, target in (("first render (cold)", "first", "target < 2 s"),
                                  ("page load (warm, p50)", "warm", ""),
                                  ("filter change p95", "p95", "target < 0.3 s"),
                                  ("filter change p50", "p50", "")):
            if o.get(key) is None:
                continue
            rows.append(Row("dashboard", case, n, "posts in store", o.get(key), None,
                            o.get("peak"), "recompute from raw posts", b.get(key), None,
                            b.get("peak"), note=(f"{target}; " if target else "")
                            + "seconds in headless Chromium", load=run["load"]))
    return rows


# -- dask ---------------------------------------------------------------------------------------

def bench_dask(args, workdir: Path) -> list[Row]:
    rows = []
    for n in args.sizes:
        out = workdir / f"run-all-dask-{n}.json"
        cmd = [sys.executable, str(HERE / "bench_dask.py"), "--posts", str(n), "--out", str(out)]
        started = time.time()
        run = run_child(f"dask {n:,}", cmd, workdir, f"dask-{n}", args.deadline)
        data = _fresh_json(out, started)
        rows += ([failed("dask", run, f"no {out.name} written")] if data is None
                 else dask_rows(data, run["load"]))
    return rows


def dask_rows(data: dict, load: str) -> list[Row]:
    """Rows from dask-results.json: 2 workers (govwatch's side) against 1 worker."""
    items = data.get("rows") or data.get("runs") or data.get("results") or []
    if isinstance(items, dict):
        items = [{"workers": k, **v} for k, v in items.items() if isinstance(v, dict)]
    by_workers: dict[int, dict] = {}
    local = None
    for it in items:
        w = _pick(it, "workers", "n_workers")
        if w is not None:
            by_workers[int(w)] = it
        else:
            local = it

    def peak(it: dict) -> int | None:
        b = _pick(it, "peak_rss_bytes", "peak_bytes")
        mib = _pick(it, "peak_rss_mib")
        return b if b is not None else (int(mib * 2**20) if mib is not None else None)

    size = _pick(data, "posts", "messages", "rows", "n")
    if 1 in by_workers and 2 in by_workers:
        one, two = by_workers[1], by_workers[2]
        note = "tagging on a LocalCluster; peak = sum over this process and its workers"
        if local is not None:
            note += f"; local process-pool engine {local.get('wall_s')} s"
        if data.get("identical") is False:
            note += "; TAGS DIFFER between runs"
        return [Row("dask", "tagging, 2 workers vs 1", size, "posts", _pick(two, "wall_s"),
                    _pick(two, "cpu_s"), peak(two), "1 worker", _pick(one, "wall_s"),
                    _pick(one, "cpu_s"), peak(one), note=note, load=load)]
    return [Row("dask", "(see dask-results.json)", size, "", note=json.dumps(data)[:200],
                load=load)]


# -- scaling ------------------------------------------------------------------------------------

# Steps of ``analyze`` shown on their own in the scaling rows when they take at least this
# share of its CPU at the larger size (the others are in analyze's total and the JSON).
STEP_SHARE = 0.02


def bench_scaling(args, workdir: Path) -> list[Row]:
    """Each stage's cost per post at the larger size beside the smaller one, end to end
    through the CLI (``bench_scaling.py``), every command under ``--scaling-cap``."""
    out = workdir / "run-all-scaling.json"
    sizes = args.scaling_sizes
    started = time.time()
    cmd = [sys.executable, str(HERE / "bench_scaling.py"), "--sizes",
           ",".join(str(s) for s in sizes), "--workdir", str(workdir), "--results", str(out),
           "--fresh", "--cap", args.scaling_cap]
    run = run_child(f"scaling {' vs '.join(f'{s:,}' for s in sizes)}", cmd, workdir,
                    "scaling", args.deadline)
    data = _fresh_json(out, started)
    rows = scaling_rows(data["results"], run["load"]) if data is not None else []
    # stopped between sizes, it has written the smaller size only: no row to give
    return rows or [failed("scaling", run, "no JSON written" if data is None
                           else "results for fewer than two sizes")]


def _stage_costs(result: dict) -> dict[str, dict]:
    """stage -> {wall_s, cpu_s, peak} of one size, with analyze's steps as 'analyze: STEP'."""
    costs = {s["stage"]: {"wall_s": s["wall_s"], "cpu_s": s["cpu_s"],
                          "peak": s["tree_peak_bytes"], "stopped": s.get("stopped")}
             for s in result["stages"]}
    steps = result.get("analyze_steps_wall_s") or {}
    for name, wall in steps.items():
        if not name.startswith("cpu: "):
            costs[f"analyze: {name}"] = {"wall_s": wall, "cpu_s": steps.get(f"cpu: {name}"),
                                         "peak": None, "stopped": False}
    return costs


def scaling_rows(results: dict, load: str) -> list[Row]:
    """One row per stage for each size beside the next smaller one: govwatch's side is the
    larger run, the baseline the smaller run's cost scaled linearly to the larger size, so
    the ratio is linear cost / actual cost (1: linear; below 1: dearer per post)."""
    sizes = sorted(int(k) for k in results)
    rows = []
    for small, big in zip(sizes, sizes[1:], strict=False):
        f = big / small
        a, b = _stage_costs(results[str(small)]), _stage_costs(results[str(big)])
        analyze_cpu = (b.get("analyze") or {}).get("cpu_s") or 0
        for stage, o in b.items():
            s = a.get(stage)
            if s is None or not o["cpu_s"] or not s["cpu_s"]:
                continue
            if (stage.startswith("analyze: ") and stage not in SPLIT_STAGES
                    and o["cpu_s"] < STEP_SHARE * analyze_cpu):
                continue
            growth = (o["cpu_s"] / big) / (s["cpu_s"] / small)
            note = (f"cost per post (CPU) {growth:.2f}x that at {small:,} posts "
                    f"(target at most 1.3x); wall {(o['wall_s'] / big) / (s['wall_s'] / small):.2f}x")
            cap = results[str(big)].get("cap_bytes")
            if cap and o["peak"] is not None:
                note += f"; ran under an address-space cap of {_measure.mib(cap)} per process"
            if o.get("stopped"):
                note += "; STOPPED before it finished"
            rows.append(Row("scaling", stage, big, "posts", o["wall_s"], o["cpu_s"], o["peak"],
                            f"the same at {small:,} posts, x{f:g}", s["wall_s"] * f,
                            s["cpu_s"] * f, s["peak"], note=note, load=load,
                            cpus="unpinned"))
        for n in (small, big):
            r = results[str(n)]
            if r.get("failed_in") and not any(x.note.startswith(f"{n:,}: FAILED")
                                              for x in rows):
                rows.append(Row("scaling", r["failed_in"], n, "posts",
                                note=f"{n:,}: FAILED: {r.get('error', '')}", load=load))
    return rows


SPLIT_STAGES = ("analyze: start-up", "analyze: tagging", "analyze: metrics")


# -- report -------------------------------------------------------------------------------------

def _s(x: float | None, spec: str = ".2f") -> str:
    return "—" if x is None else format(x, spec)


def _b(x: int | None) -> str:
    return "—" if not x else _measure.mib(x)


HEAD = ("| benchmark | case | size | CPUs | govwatch wall s | govwatch CPU s "
        "| throughput /s (wall) | govwatch peak | baseline | baseline wall s | baseline CPU s "
        "| baseline peak | ratio wall | ratio CPU | pairs | load | notes |")


def _r(median: float | None, spread: dict | None) -> str:
    """The ratio; with its spread over the pairs when there were several."""
    if spread and spread.get("min") != spread.get("max"):
        return _measure.fmt_spread(spread)
    return _s(median)


def table(rows: list[Row]) -> str:
    lines = [HEAD, "|" + "---|" * HEAD.count(" | ") + "---|"]
    for r in rows:
        size = "—" if r.size is None else f"{r.size:,} {r.unit}".strip()
        lines.append(
            f"| {r.benchmark} | {r.case} | {size} | {r.cpus or '—'} | {_s(r.ours_wall_s)} "
            f"| {_s(r.ours_cpu_s)} | {_s(r.throughput, ',.0f')} | {_b(r.ours_peak_bytes)} "
            f"| {r.baseline or '—'} | {_s(r.base_wall_s)} | {_s(r.base_cpu_s)} "
            f"| {_b(r.base_peak_bytes)} | {_r(r.ratio_wall, r.wall_range)} "
            f"| {_r(r.ratio_cpu, r.cpu_range)} | {r.pairs} | {r.load or '—'} | {r.note} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="small sizes (20,000 posts, 5,000 tweets): a smoke run of the "
                         "plumbing, a few minutes")
    ap.add_argument("--full", action="store_true",
                    help="the figures at scale, hours not minutes: every benchmark at "
                         "1,000,000 posts (200,000 tweets) and the scaling run at 1,000,000 "
                         "and 10,000,000 posts; no time budget")
    ap.add_argument("--budget", type=float, default=None,
                    help="minutes (default 15; --full: none; 0: none): each benchmark may run "
                         "until only the minutes kept back for the later ones are left, "
                         "then it is stopped; one not started by then is not run (its row "
                         "says so either way)")
    ap.add_argument("--min-share", type=float, default=MIN_CHILD_S / 60,
                    help="minutes a started benchmark always gets, whatever is left of the "
                         "budget (default 0.5); raise it on a loaded machine, where a "
                         "small run can need longer than that to write its result")
    ap.add_argument("--scaling-sizes", default=None,
                    help="post counts of the scaling run, comma-separated: each stage's cost "
                         "per post at each size beside the next smaller one (default "
                         "40000,200000; --quick: 4000,20000; --full: 1000000,10000000)")
    ap.add_argument("--scaling-cap", default="8GiB",
                    help="address-space cap (RLIMIT_AS) of every process of the scaling run "
                         "(default 8GiB; '' for none)")
    ap.add_argument("--sizes", default=None,
                    help="post counts (messages for metrics), comma-separated (default "
                         "200000, sized to fit about 15 minutes on 2 idle cores; "
                         "--quick: 20000; 1000000 or 10000000 on request)")
    ap.add_argument("--twarc-size", type=int, default=None,
                    help="tweets in the twarc2 ingest file (default 50000; --quick: 5000)")
    ap.add_argument("--pairs", type=int, default=3,
                    help="interleaved govwatch/baseline pairs (A B A B ...) behind each ratio "
                         "where the benchmark runs its sides as commands (ingest, export; "
                         "default 3); ratios are given as median (min-max) over the pairs")
    ap.add_argument("--pinning", choices=("pinned", "unpinned", "both"), default="both",
                    help="ingest: each side on one CPU, on every CPU as users run it, or "
                         "both (default both)")
    ap.add_argument("--export-cap", default="6GiB",
                    help="address-space cap (RLIMIT_AS) govwatch's exports run under: a run "
                         "beyond it fails (default 6GiB; '' for none)")
    ap.add_argument("--only", default=",".join(BENCHMARKS),
                    help=f"benchmarks to run, comma-separated (default: {','.join(BENCHMARKS)})")
    ap.add_argument("--ingest-stages", default="csv,twarc2",
                    help="bench_ingest.py stages (default csv,twarc2; twarc2 needs twarc-csv, "
                         "which bench_ingest.py installs from PyPI on first use)")
    ap.add_argument("--tagging-sample", type=int, default=None,
                    help="posts the per-post tagging loop runs on before extrapolating "
                         "(default 20000; --quick: 1000)")
    ap.add_argument("--tagging-distinct", default="0.9",
                    help="shares of posts with a distinct text the tagging benchmark runs "
                         "at, comma-separated (default 0.9, the target's case; 0.9,0.45 "
                         "for both)")
    ap.add_argument("--dashboard-changes", type=int, default=None,
                    help="filter changes timed (default 30; --quick: 5)")
    ap.add_argument("--dashboard-renders", type=int, default=None,
                    help="page loads timed (default 5; --quick: 2)")
    ap.add_argument("--workdir", type=Path, default=HERE / "work")
    ap.add_argument("--report", action="store_true",
                    help="print the table of the last run-all-results.json and run nothing")
    ap.add_argument("--append", action="store_true",
                    help="keep the rows of the benchmarks not run now from the last "
                         "run-all-results.json (rerun one benchmark, keep one table)")
    args = ap.parse_args(argv)
    args.deadline = None  # set per benchmark by main() from --budget
    global _min_child_s
    _min_child_s = 60 * args.min_share
    q, full = args.quick, args.full
    if q and full:
        ap.error("--quick and --full exclude each other")
    args.sizes = ([int(s) for s in args.sizes.split(",") if s.strip()] if args.sizes
                  else [20_000] if q else [1_000_000] if full else [200_000])
    args.scaling_sizes = ([int(s) for s in args.scaling_sizes.split(",") if s.strip()]
                          if args.scaling_sizes else [4_000, 20_000] if q
                          else [1_000_000, 10_000_000] if full else [40_000, 200_000])
    if len(args.scaling_sizes) < 2:
        ap.error("--scaling-sizes needs at least two sizes")
    if args.budget is None:
        args.budget = 0 if full else 15
    args.twarc_size = args.twarc_size or (5_000 if q else 200_000 if full else 50_000)
    args.tagging_sample = args.tagging_sample or (1_000 if q else 20_000)
    args.tagging_distinct = [float(v) for v in args.tagging_distinct.split(",") if v.strip()]
    args.dashboard_changes = args.dashboard_changes or (5 if q else 30)
    args.dashboard_renders = args.dashboard_renders or (2 if q else 5)
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; "
                 f"choose from {', '.join(BENCHMARKS)}")
    return args


def _reserve(name: str, args) -> float:
    """Minutes kept back for benchmark ``name`` (its stages, for ingest)."""
    if name == "ingest":
        return sum(RESERVE_MIN.get(f"ingest {s.strip()}", 1.0)
                   for s in args.ingest_stages.split(",") if s.strip())
    return RESERVE_MIN.get(name, 1.0)


RUNNERS = {"startup": bench_startup, "ingest": bench_ingest, "tagging": bench_tagging,
           "metrics": bench_metrics, "export": bench_export, "dashboard": bench_dashboard,
           "dask": bench_dask, "scaling": bench_scaling}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    mach = machine()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load_start = _measure.machine_load()
    print(f"govwatch benchmarks, {started}; sizes {', '.join(f'{s:,}' for s in args.sizes)}; "
          f"{load_start}", flush=True)
    print("\n".join(machine_lines(mach)), flush=True)
    kept: list[Row] = []
    runs = [started]
    saved = workdir / "run-all-results.json"
    if args.report:
        fields = set(Row.__dataclass_fields__)
        print(table([Row(**{k: v for k, v in r.items() if k in fields})
                     for r in json.loads(saved.read_text())["rows"]]))
        return 0
    if args.append and saved.is_file():
        old = json.loads(saved.read_text())
        runs = [*old.get("runs", [old.get("started")]), started]
        fields = set(Row.__dataclass_fields__)
        kept = [Row(**{k: v for k, v in r.items() if k in fields}) for r in old["rows"]
                if r["benchmark"] not in args.only]
    rows: list[Row] = []
    t0, wall0 = time.perf_counter(), time.time()
    took: dict[str, float] = {}
    for name in BENCHMARKS:
        if name not in args.only:
            rows += [r for r in kept if r.benchmark == name]
            continue
        elapsed = (time.perf_counter() - t0) / 60
        if args.budget and elapsed >= args.budget:
            print(f"- {name}: not run (the run passed its {args.budget:g}-minute budget)",
                  flush=True)
            rows.append(Row(name, "(not run)", None, "", note=f"not run: the run had taken "
                            f"{elapsed:.1f} of its {args.budget:g}-minute budget (--budget)"))
            continue
        args.deadline = None
        if args.budget:
            later = [b for b in BENCHMARKS[BENCHMARKS.index(name) + 1:] if b in args.only]
            args.deadline = (wall0 + 60 * args.budget
                             - 60 * sum(_reserve(b, args) for b in later))
        began = time.perf_counter()
        rows += RUNNERS[name](args, workdir)
        took[name] = time.perf_counter() - began
    total = time.perf_counter() - t0
    spent = (f"The run took {total / 60:.1f} min"
             + (f" (budget {args.budget:g} min)" if args.budget else "") + ": "
             + ", ".join(f"{k} {v / 60:.1f}" for k, v in took.items()) + ".")
    load_end = _measure.machine_load()
    text = table(rows)
    print()
    print(text)
    print(f"\nratio = baseline time / govwatch time (above 1: govwatch is faster). "
          f"Load at start: {load_start}; at end: {load_end}. {spent}")
    mode = "quick" if args.quick else "full" if args.full else "default"
    md = workdir / "run-all-results.md"
    md.write_text("\n".join([
        "# govwatch benchmarks (run_all.py)", "",
        f"Run {', '.join(r for r in runs if r)} ({mode}; sizes "
        f"{', '.join(f'{s:,}' for s in args.sizes)}; scaling "
        f"{', '.join(f'{s:,}' for s in args.scaling_sizes)}). {load_start} at the start, "
        f"{load_end} at the end. {spent}", "", *machine_lines(mach), "", text, ""]),
        encoding="utf-8")
    (workdir / "run-all-results.json").write_text(json.dumps({
        "started": started, "runs": runs, "mode": mode, "sizes": args.sizes,
        "scaling_sizes": args.scaling_sizes, "machine": mach, "load_start": load_start,
        "load_end": load_end, "minutes": {k: round(v / 60, 2) for k, v in took.items()},
        "rows": [{**asdict(r), "ratio_wall": r.ratio_wall, "ratio_cpu": r.ratio_cpu,
                  "throughput": r.throughput} for r in rows]}, indent=2))
    print(f"written to {md} and run-all-results.json")
    return 0 if not any(r.case in ("(no result)", "(not run)") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
