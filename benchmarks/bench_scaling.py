"""Scaling curve: every stage of govwatch end to end through the real CLI, at several sizes.

    python benchmarks/bench_scaling.py --sizes 100000,1000000
    python benchmarks/bench_scaling.py --sizes 10000000      # adds to the table

For each size N, on the posts CSV of ``synth.py`` (generated once per size into
``WORKDIR/synth-csv-N``, the same folder ``bench_ingest.py`` uses) and a fresh store:

1. ``ingest``: ``python -m govwatch.cli ingest posts.csv --format csv --accounts
   accounts.csv -q --db NEW.duckdb``;
2. ``analyze``: ``python -m govwatch.cli analyze --db ...`` (tagging, reply linking and
   every metric; tags committed batch by batch, the derived tables in one transaction). Its progress lines on stderr (``• tagging posts``,
   ``• linking messages and responses``, ``• computing <metric>``) are time-stamped as
   they arrive, and at each one the command's CPU time so far (``/proc/PID/stat``,
   including worker processes already ended) is read, so the one command is split into
   ``analyze: start-up`` (imports, opening the store), ``analyze: tagging`` (the
   tagging line to the linking line) and ``analyze: metrics`` (the
   linking line to the end); the per-metric split is kept in the JSON;
3. ``export``: ``govwatch export --what posts --format parquet`` and ``--what responses
   --format csv`` (these two count in "end to end"), then posts to csv and responses to
   parquet (measured for their cost per post, not added to the total).

Each stage is a fresh child process measured as ``_measure.py`` does: wall time around it,
CPU time (user + system, including the worker processes it waited for) and peak RSS from
``os.wait4``. ``ru_maxrss`` is the peak of the largest single process (the command or one
of its workers), not of all of them at once, and on Linux it starts from the size of the
process that forked it (the high-water mark survives exec), so it overstates small commands
run from a large parent. A sampler on psutil (``_measure.TreeSampler``) therefore also
adds up the memory of the command and all its descendants every 0.2 s (proportional set
size, so pages a forked worker shares with its parent count once): "tree peak" is the machine's
view, and the memory target is judged on it. Nothing is pinned: this is the whole
machine's throughput. The load average is recorded with every stage.

Memory is also checked under an enforced cap: ``--cgroup-cap`` (default 6GiB) runs each
stage's whole process tree in a memory cgroup of its own (``_measure.MemoryCgroup``), whose
limit the kernel enforces on the tree's resident memory together: a stage needing more is
killed, and the table says so, instead of only showing a large sampled peak. Where this
machine gives no writable cgroup, the run says it was not capped. ``--cap`` adds an
address-space cap (``RLIMIT_AS``) per process; it is off by default, because it counts
the address space DuckDB's allocator keeps without using it (7.3 GB beside 2.6 GB resident
in a 10M analyze), so it fails runs far below their real memory.

Results are merged by size into ``WORKDIR/scaling-results.json`` (so a 10M run can be added
later to a table of smaller ones) and the table is printed, with "x per 10x": how much
longer a stage took for ten times the posts (10 = linear), in wall time and in CPU time
(the steadier one on a shared machine). ``--stop-at HH:MM`` (UTC) stops the running stage
at that time and records how far it got; ``--report`` prints the table of the results file.

Target: the whole pipeline on 10,000,000 posts on a 2-core, 24 GB machine in under 20 minutes
with peak memory (process tree) under 6 GiB; a run that failed or was stopped is not judged.
Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import _measure  # noqa: E402
import synth  # noqa: E402

MEMORY_TARGET_BYTES = 6 * 2**30  # peak of the process tree
TIME_TARGET_S = 20 * 60  # end to end, on 2 cores
TARGET_POSTS = 10_000_000
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- inputs ---------------------------------------------------------------------------------------

def synthetic(workdir: Path, posts: int, accounts: int, seed: int) -> tuple[Path, dict | None]:
    """The synth.py folder for ``posts`` (posts CSV + accounts CSV), generated once and reused.

    Returns the folder and the measurement of generating it (None when reused)."""
    out = workdir / f"synth-csv-{posts}"
    manifest = out / synth.FILES["manifest"]
    want = {"posts": posts, "seed": seed, "accounts": accounts}
    if manifest.is_file():
        have = json.loads(manifest.read_text())
        if ({k: have.get(k) for k in want} == want and have.get("format") in ("csv", "both")
                and not have.get("shape_options")):
            return out, None
    print(f"  generating {posts:,} synthetic posts in {out} ...", flush=True)
    m = _measure.run([sys.executable, str(HERE / "synth.py"), "--posts", str(posts),
                      "--accounts", str(accounts), "--seed", str(seed), "--out", str(out),
                      "-q"], log=workdir / f"scaling-synth-{posts}.log")
    return out, {"wall_s": m.wall_s, "cpu_s": m.cpu_s, "peak_rss_bytes": m.peak_rss_bytes,
                 "load_1min": m.load_1min}


# -- measuring one command with its progress lines and its process tree ----------------------

def _cpu_so_far(pid: int) -> float | None:
    """utime + stime + cutime + cstime of a live process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


@dataclass
class Traced:
    """One command's cost, plus its progress marks: (seconds since start, line, CPU so far)."""

    wall_s: float
    cpu_s: float
    peak_rss_bytes: int  # ru_maxrss: the largest single process of the tree
    tree_peak_bytes: int  # sampled sum over the process tree
    load_1min: float
    returncode: int
    marks: list[tuple[float, str, float | None]] = field(default_factory=list)
    # progress lines ("  tagging posts: 200,000/1,000,000"): (seconds, step, done, total)
    progress: list[tuple[float, str, int, int]] = field(default_factory=list)
    stopped: bool = False  # ended by --stop-at before it finished


_PROGRESS = re.compile(r"^\s*(?P<step>[^:•]+): (?P<done>[\d,]+)/(?P<total>[\d,]+)\s*$")


def run_traced(cmd: list[str], log: Path, env: dict[str, str] | None = None,
               ok: tuple[int, ...] = (0,), stop_at: float | None = None,
               limit_bytes: int | None = None,
               cgroup: _measure.MemoryCgroup | None = None) -> Traced:
    """Run ``cmd`` as ``_measure.run`` does (wall, ``os.wait4`` CPU and ru_maxrss), also
    sampling the process tree's memory and time-stamping each stderr line that starts
    with '•' (a stage of ``govwatch analyze``) or counts progress ('step: k/n'). stdout
    and stderr go to ``log``. At ``stop_at`` (a ``time.time()``) the command and its
    workers are stopped (SIGTERM to its process group) and the result says so.
    ``limit_bytes`` caps each process's address space (``RLIMIT_AS``); ``cgroup`` runs the
    whole tree in a memory cgroup (its limit the tree's resident memory together)."""
    load = os.getloadavg()[0]
    marks: list[tuple[float, str, float | None]] = []
    progress: list[tuple[float, str, int, int]] = []
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env, cwd=REPO,
                                start_new_session=True,
                                preexec_fn=_measure._preexec(None, limit_bytes, cgroup))
        sampler = _measure.TreeSampler(proc.pid)
        sampler.start()
        stopped = threading.Event()

        def read() -> None:
            for raw in proc.stderr:
                now = time.perf_counter() - started
                line = raw.decode("utf-8", "replace").rstrip()
                if line.startswith("•"):
                    marks.append((now, line.lstrip("• ").strip(), _cpu_so_far(proc.pid)))
                elif m := _PROGRESS.match(line):
                    progress.append((now, m["step"].strip(), int(m["done"].replace(",", "")),
                                     int(m["total"].replace(",", ""))))
                out.write(f"[{now:9.2f}] ".encode() + raw)
                out.flush()

        def watch() -> None:
            while stop_at is not None and not sampler.done.wait(1.0):
                if time.time() >= stop_at:
                    stopped.set()
                    try:
                        os.killpg(proc.pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        reader.join()
        tree = sampler.stop()
        watcher.join()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in ok and not stopped.is_set():
        cap = f" under an address-space cap of {_measure.mib(limit_bytes)}" if limit_bytes else ""
        if cgroup is not None:
            cap += (f"; killed by the kernel in {cgroup.describe()}" if cgroup.oom_killed()
                    else f", in {cgroup.describe()}")
        raise _measure.CommandFailed(f"{' '.join(cmd)} exited with {code}{cap}; output in {log}")
    # The sampled tree, not max(tree, ru_maxrss): ru_maxrss starts from the size of the
    # process that forked the command (Linux keeps the high-water mark across exec).
    return Traced(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024,
                  tree or usage.ru_maxrss * 1024, load, code, marks, progress,
                  stopped.is_set())


# -- the stages -----------------------------------------------------------------------------------

@dataclass
class Stage:
    stage: str
    posts: int
    wall_s: float
    cpu_s: float | None
    peak_rss_bytes: int | None
    tree_peak_bytes: int | None
    load_1min: float
    note: str = ""
    stopped: bool = False



# Every export whose size grows with the posts (the per-account ones do not).
EXPORTS = (("export posts parquet", "posts", "parquet"),
           ("export responses csv", "responses", "csv"),
           ("export posts csv", "posts", "csv"),
           ("export responses parquet", "responses", "parquet"))


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "govwatch.cli", *args]


def _fresh(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def split_analyze(t: Traced, posts: int) -> tuple[list[Stage], dict[str, float]]:
    """'analyze: tagging' and 'analyze: metrics' rows from the progress marks, and the
    wall seconds of each progress step (for the JSON; CPU seconds under 'cpu: STEP')."""
    marks = t.marks
    steps: dict[str, float] = {}
    for (at, name, cpu), nxt in zip(marks, [*marks[1:], (t.wall_s, "end", t.cpu_s)],
                                    strict=True):
        steps[name] = steps.get(name, 0.0) + nxt[0] - at
        if cpu is not None and nxt[2] is not None:
            steps[f"cpu: {name}"] = steps.get(f"cpu: {name}", 0.0) + nxt[2] - cpu
    tag = next((m for m in marks if m[1].startswith("tagging")), None)
    link = next((m for m in marks if m[1].startswith("linking")), None)
    if tag is None or link is None:
        return [], steps
    rows = [Stage("analyze: start-up", posts, marks[0][0], marks[0][2], None, None, t.load_1min,
                  "imports and opening the store, before the first progress line")]
    for name, (a, b) in (("analyze: tagging", (tag, link)),
                         ("analyze: metrics", (link, (t.wall_s, "end", t.cpu_s)))):
        cpu = b[2] - a[2] if a[2] is not None and b[2] is not None else None
        rows.append(Stage(name, posts, b[0] - a[0], cpu, None, None, t.load_1min,
                          "split of the analyze command by its progress lines"))
    return rows, steps


def run_size(posts: int, args, workdir: Path) -> dict:
    folder, generated = synthetic(workdir, posts, args.accounts, args.seed)
    posts_csv, accounts_csv = folder / synth.FILES["csv"], folder / synth.FILES["accounts"]
    _measure.warm(posts_csv)
    db = workdir / f"scaling-{posts}.duckdb"
    outdir = workdir / f"scaling-export-{posts}"
    _fresh(db)
    _fresh(outdir)
    outdir.mkdir(parents=True)
    env = dict(os.environ)
    rows: list[Stage] = []
    result: dict = {"posts": posts, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                    "synth": generated, "cap_bytes": args.cap,
                    "cgroup_bytes": args.cgroup_cap if args.cgroup_cap else None}

    def stage(name: str, cmd: list[str], ok=(0,)) -> Traced | None:
        print(f"  {posts:>11,}  {name:<24}", end="", flush=True)
        cgroup = (_measure.MemoryCgroup.create(args.cgroup_cap, "govwatch-scaling")
                  if args.cgroup_cap else None)
        if args.cgroup_cap and cgroup is None:
            result["cgroup_bytes"] = None
            print("(no writable memory cgroup here: not capped) ", end="", flush=True)
        try:
            t = run_traced(cmd, workdir / f"scaling-{posts}-{'-'.join(name.split())}.log",
                           env, ok, stop_at=args.stop_at, limit_bytes=args.cap, cgroup=cgroup)
        except _measure.CommandFailed as e:  # recorded; the later stages are not run
            print(f"FAILED: {e}", flush=True)
            result["failed_in"], result["error"] = name, str(e)
            return None
        finally:
            if cgroup is not None:
                result.setdefault("cgroup_peak", {})[name] = cgroup.peak()
                cgroup.remove()
        rows.append(Stage(name, posts, t.wall_s, t.cpu_s, t.peak_rss_bytes, t.tree_peak_bytes,
                          t.load_1min, "STOPPED before it finished (--stop-at)" if t.stopped
                          else "", t.stopped))
        print(f"wall {t.wall_s:8.1f} s  CPU {t.cpu_s:8.1f} s  peak {_measure.mib(t.peak_rss_bytes)}"
              f"  tree {_measure.mib(t.tree_peak_bytes)}  [{_measure.machine_load()}]"
              + ("  STOPPED (--stop-at)" if t.stopped else ""), flush=True)
        if t.progress:
            result.setdefault("progress", {})[name] = t.progress
        if t.stopped:
            result["stopped_in"] = name
        return t

    def done() -> dict:
        result["stages"] = [asdict(r) for r in rows]
        if not args.keep:
            _fresh(db)
            _fresh(outdir)
        return result

    t = stage("ingest", cli("ingest", str(posts_csv), "--format", "csv", "--accounts",
                            str(accounts_csv), "-q", "--db", str(db)))
    if t is None or t.stopped:
        return done()
    result["store_bytes_after_ingest"] = db.stat().st_size
    t = stage("analyze", cli("analyze", "--db", str(db)))
    if t is None:
        return done()
    parts, steps = split_analyze(t, posts)
    rows += parts
    for p in parts:
        print(f"  {'':>11}    {p.stage:<22}wall {p.wall_s:8.1f} s  CPU "
              f"{p.cpu_s if p.cpu_s is not None else float('nan'):8.1f} s", flush=True)
    result["analyze_steps_wall_s"] = steps
    if t.stopped:
        return done()
    result["store_bytes_after_analyze"] = db.stat().st_size
    for name, what, fmt in EXPORTS:
        t = stage(name, cli("export", "--what", what, "--format", fmt, "--out",
                            str(outdir / f"{what}.{fmt}"), "--db", str(db)))
        if t is None or t.stopped:
            return done()
    result["export_bytes"] = sum(p.stat().st_size for p in outdir.rglob("*") if p.is_file())
    return done()


# -- report ---------------------------------------------------------------------------------------

# End to end: ingest, analyze and the two exports a study takes; the other exports are
# measured for their per-post cost, not added to it.
WHOLE = ("ingest", "analyze", "export posts parquet", "export responses csv")


def _fmt(x: float | None, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def _growth(now: dict | None, before: dict | None, key: str, factor: float) -> str:
    """How much longer for ten times the posts (10 = linear)."""
    if not now or not before or not now.get(key) or not before.get(key):
        return "—"
    return f"{now[key] / before[key] * 10 / factor:.1f}"


def _totals(stages: list[dict]) -> dict:
    whole = [s for s in stages if s["stage"] in WHOLE]
    return {"stage": "end to end", "wall_s": sum(s["wall_s"] for s in whole),
            "cpu_s": sum(s["cpu_s"] or 0 for s in whole),
            "peak_rss_bytes": max((s["peak_rss_bytes"] or 0 for s in stages), default=0),
            "tree_peak_bytes": max((s["tree_peak_bytes"] or 0 for s in stages), default=0),
            "load_1min": None}


def table(results: dict[str, dict]) -> str:
    head = ("| posts | stage | wall s | CPU s | posts/s (wall) | peak RSS (largest process) "
            "| peak RSS (process tree) | x per 10x posts (wall) | x per 10x posts (CPU) "
            "| load |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    sizes = sorted(int(k) for k in results)
    by = {(int(k), s["stage"]): s for k, r in results.items() for s in r["stages"]}
    for n in sizes:
        r = results[str(n)]
        total = _totals(r["stages"])
        by[(n, "end to end")] = total
        smaller = [m for m in sizes if m < n]
        for s in [*r["stages"], total]:
            prev = by.get((smaller[-1], s["stage"])) if smaller else None
            factor = n / smaller[-1] if smaller else 1
            name = s["stage"] if s["stage"] != "end to end" else (
                "**end to end**" if not (r.get("stopped_in") or r.get("failed_in"))
                else "**end to end (incomplete)**")
            if s.get("stopped"):
                name += " (STOPPED)"
            lines.append(
                f"| {n:,} | {name} | {s['wall_s']:.1f} | {_fmt(s['cpu_s'], '.1f')} "
                f"| {n / s['wall_s']:,.0f} "
                f"| {'—' if not s['peak_rss_bytes'] else _measure.mib(s['peak_rss_bytes'])} "
                f"| {'—' if not s['tree_peak_bytes'] else _measure.mib(s['tree_peak_bytes'])} "
                f"| {_growth(s, prev, 'wall_s', factor)} | {_growth(s, prev, 'cpu_s', factor)} "
                f"| {_fmt(s['load_1min'], '.1f')} |")
    return "\n".join(lines)


def verdict(results: dict[str, dict]) -> list[str]:
    out = []
    for k, r in sorted(results.items(), key=lambda kv: int(kv[0])):
        tree = max(s["tree_peak_bytes"] or 0 for s in r["stages"])
        wall = sum(s["wall_s"] for s in r["stages"] if s["stage"] in WHOLE)
        unfinished = r.get("failed_in") or r.get("stopped_in")
        if int(k) < TARGET_POSTS:
            judged = ""
        elif unfinished:  # a run that did not finish meets no target
            judged = f"; targets (10M posts in 20 min, under 6 GiB): not judged, the run " \
                     f"did not finish ({unfinished})"
        else:
            judged = (f"; targets (10M posts in 20 min, under 6 GiB): time "
                      f"{'met' if wall < TIME_TARGET_S else 'NOT met'}, memory "
                      f"{'met' if tree < MEMORY_TARGET_BYTES else 'NOT met'}")
        out.append(f"- {int(k):,} posts: end to end {wall / 60:.1f} min"
                   f"{' (stages that finished)' if unfinished else ''}, peak memory "
                   f"{tree / 2**30:.2f} GiB (process tree){judged}.")
        if r.get("cap_bytes"):
            out.append(f"  every stage ran under an address-space cap of "
                       f"{_measure.mib(r['cap_bytes'])} per process.")
        if r.get("cgroup_bytes"):
            peaks = r.get("cgroup_peak") or {}
            top = max((v for v in peaks.values() if v), default=0)
            out.append(f"  every stage's process tree ran in a memory cgroup capped at "
                       f"{_measure.mib(r['cgroup_bytes'])} (enforced by the kernel); the "
                       f"cgroup's own peak, page cache included: {_measure.mib(top)}.")
        if r.get("failed_in"):
            out.append(f"  FAILED during {r['failed_in']}: {r['error']}")
        if r.get("stopped_in"):
            out.append(f"  stopped by --stop-at during {r['stopped_in']}; stages after it "
                       "did not run.")
            for step, marks in (r.get("progress") or {}).items():
                at, what, k, total = marks[-1]
                out.append(f"  {step}: last progress line '{what}: {k:,}/{total:,}' at "
                           f"{at:.0f} s.")
        steps = r.get("analyze_steps_wall_s") or {}
        if steps:
            top = sorted(((k, v) for k, v in steps.items() if not k.startswith("cpu: ")),
                         key=lambda kv: -kv[1])[:4]
            out.append("  analyze's longest steps: " + ", ".join(
                f"{name} {sec:.0f} s" for name, sec in top) + ".")
    return out


def environment() -> dict:
    import duckdb
    import pandas as pd

    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": platform.node(),
            "python": platform.python_version(), "pandas": pd.__version__,
            "duckdb": duckdb.__version__, "cpus": os.cpu_count(),
            "load_at_start": _measure.machine_load()}


def stop_time(hhmm: str) -> float:
    """The next time.time() at which the UTC clock reads HH:MM."""
    h, m = (int(x) for x in hhmm.split(":"))
    now = time.time()
    today = now - now % 86400 + h * 3600 + m * 60
    return today if today > now else today + 86400


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000,10000000",
                    help="post counts, comma-separated (default 100000,1000000,10000000)")
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=synth.DEFAULT_SEED)
    ap.add_argument("--workdir", type=Path, default=HERE / "work")
    ap.add_argument("--results", type=Path, default=None,
                    help="JSON file the results are merged into "
                         "(default WORKDIR/scaling-results.json)")
    ap.add_argument("--fresh", action="store_true",
                    help="start a new results file instead of adding to it")
    ap.add_argument("--keep", action="store_true", help="keep the stores and exports")
    ap.add_argument("--stop-at", default=None, metavar="HH:MM",
                    help="stop the running stage at this UTC time of day and record how far "
                         "it got (its progress lines); later stages are not run")
    ap.add_argument("--cgroup-cap", default="6GiB",
                    help="memory cap of each stage's whole process tree, enforced by the "
                         "kernel through a memory cgroup made for the stage (default 6GiB; "
                         "'' for none); where no cgroup is writable, the run says so")
    ap.add_argument("--cap", default="",
                    help="address-space cap (RLIMIT_AS) of each process of each stage "
                         "(default none: it counts address space DuckDB reserves without "
                         "using, so it fails runs far below their real memory)")
    ap.add_argument("--report", action="store_true",
                    help="print the table of the results file and run nothing")
    args = ap.parse_args(argv)
    args.cap = _measure.parse_size(args.cap) if args.cap else None
    args.cgroup_cap = _measure.parse_size(args.cgroup_cap) if args.cgroup_cap else None
    args.stop_at = stop_time(args.stop_at) if args.stop_at else None
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    path = args.results or workdir / "scaling-results.json"
    if args.report:
        results = json.loads(path.read_text())["results"]
        print(table(results))
        print()
        print("\n".join(verdict(results)))
        return 0
    saved = json.loads(path.read_text()) if path.is_file() and not args.fresh else {}
    results = saved.get("results", {})
    env = environment()
    print(f"govwatch scaling: {env['date']}; Python {env['python']}, pandas {env['pandas']}, "
          f"duckdb {env['duckdb']}; {env['load_at_start']}", flush=True)
    for n in sizes:
        free = shutil.disk_usage(workdir).free
        print(f"  ({free / 2**30:,.0f} GiB free in {workdir})", flush=True)
        result = {**run_size(n, args, workdir), "environment": env}
        if path.is_file() and not (args.fresh and n == sizes[0]):
            # another run may have added sizes meanwhile: merge into what is there now
            results = {**json.loads(path.read_text()).get("results", {}), **results}
        results[str(n)] = result
        path.write_text(json.dumps({"results": results}, indent=2))
    print()
    print(table(results))
    print()
    print("\n".join(verdict(results)))
    print(f"\nresults in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
