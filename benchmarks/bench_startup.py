"""What a user waits for on small inputs: start-up of the CLI and the first ``analyze``.

    python benchmarks/bench_startup.py                 # 5 pairs of each case
    python benchmarks/bench_startup.py --pairs 3 --json benchmarks/work/startup-results.json

Each case pairs a govwatch command with the bare interpreter doing the least the command
could do, run alternately in fresh processes (``_measure.paired``: A B A B ...), and
reports the ratio govwatch / baseline (here above 1 means govwatch takes longer: the
targets are upper bounds on it) as the median and min-max over the pairs:

- ``--help``: ``govwatch --help`` against ``python -c "import click"``; target 1.5x.
- ``formats``: ``govwatch formats`` against the same; target 1.5x.
- ``first analyze``: ``govwatch analyze`` of a fresh store holding the shipped sample
  (``sample_data/small``: accounts and posts ingested before each run, not timed; the
  events file given to ``analyze``) against ``python -c "import pandas, sklearn, duckdb"``; target 2x.
- ``analyze 500``: the same for a store of 500 synthetic posts over 20 accounts
  (``benchmarks/synth.py --posts 500 --accounts 20``, made once); target 2x.

With ``--before TREE`` (a checkout of the code before a change, e.g. ``git archive main |
tar -x -C TREE``) each case also runs that tree's CLI with the same interpreter and
libraries (``_tree_cli.py``), interleaved in every round (before, after, baseline), and
reports before / baseline and after / before beside after / baseline.

Commands run as users run them: the installed ``govwatch`` entry point, unpinned, with
govwatch's modules compiled to bytecode first, as installing a wheel does (this machine
sets ``PYTHONDONTWRITEBYTECODE``, so an editable install would otherwise compile every
govwatch module from source on every run while the baseline's libraries load their
bytecode). A
profile of the first analyze (``--profile``) writes ``python -X importtime`` and
cProfile output to the work folder. Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import _measure  # noqa: E402

SAMPLE = REPO / "sample_data" / "small"
GOVWATCH = [sys.executable, "-m", "govwatch.cli"]
TARGETS = {"--help": 1.5, "formats": 1.5, "first analyze": 2.0, "analyze 500": 2.0}


def fresh_sample_store(db: Path, sample: Path = SAMPLE) -> None:
    """A new store holding ``sample``'s posts and accounts, ingested (not timed)."""
    for p in (db, db.with_name(db.name + ".wal")):
        if p.exists():
            p.unlink()
    subprocess.run([*GOVWATCH, "ingest", str(sample / "posts.csv"), "--accounts",
                    str(sample / "accounts.csv"), "-q", "--db", str(db)], check=True, cwd=REPO, stdout=subprocess.DEVNULL)


def small_synthetic(workdir: Path, posts: int = 500, accounts: int = 20) -> Path:
    """A folder of ``posts`` synthetic posts (benchmarks/synth.py), made once."""
    out = workdir / f"startup-synth-{posts}"
    if not (out / "posts.csv").exists():
        subprocess.run([sys.executable, str(HERE / "synth.py"), "--posts", str(posts),
                        "--accounts", str(accounts), "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
    return out


def cases(workdir: Path, cli: list[str] | None = None, tag: str = "") -> dict[str, tuple]:
    """name -> (govwatch run, baseline run, baseline label); ``cli`` runs another
    tree's CLI (default: the installed one), on stores of its own (``tag``)."""
    govwatch = cli or GOVWATCH
    db = workdir / f"startup-sample{tag}.duckdb"
    db500 = workdir / f"startup-500{tag}.duckdb"
    env = dict(os.environ)
    bare_click = [sys.executable, "-c", "import click"]
    bare_stack = [sys.executable, "-c", "import pandas, sklearn, duckdb"]

    def cmd(args: list[str], log: str, before=None):
        def run() -> _measure.Measurement:
            if before is not None:
                before()
            return _measure.run(args, env=env, cwd=REPO, log=workdir / f"startup-{log}.log")
        return run

    return {
        "--help": (cmd([*govwatch, "--help"], f"help{tag}"), cmd(bare_click, "click"),
                   "python -c 'import click'"),
        "formats": (cmd([*govwatch, "formats"], f"formats{tag}"), cmd(bare_click, "click"),
                    "python -c 'import click'"),
        "first analyze": (cmd([*govwatch, "analyze", "--events", str(SAMPLE / "events.csv"),
                               "-q", "--db", str(db)], f"analyze{tag}",
                              before=lambda: fresh_sample_store(db)),
                          cmd(bare_stack, "stack"), "python -c 'import pandas, sklearn, duckdb'"),
        "analyze 500": (cmd([*govwatch, "analyze", "-q", "--db", str(db500)], f"analyze-500{tag}",
                            before=lambda: fresh_sample_store(db500, small_synthetic(workdir))),
                        cmd(bare_stack, "stack"), "python -c 'import pandas, sklearn, duckdb'"),
    }


def _inv(d: dict | None) -> dict | None:
    """A ratio's spread turned over (baseline / govwatch becomes govwatch / baseline)."""
    return None if not d else {"min": 1 / d["max"], "median": 1 / d["median"],
                               "max": 1 / d["min"]}


def profile(workdir: Path) -> None:
    """importtime and cProfile of a first analyze of the sample."""
    db = workdir / "startup-sample.duckdb"
    fresh_sample_store(db)
    with open(workdir / "startup-analyze-importtime.txt", "wb") as f:
        subprocess.run([sys.executable, "-X", "importtime", "-m", "govwatch.cli", "analyze",
                        "--events", str(SAMPLE / "events.csv"), "-q", "--db", str(db)], stderr=f, stdout=subprocess.DEVNULL, cwd=REPO,
                       check=True)
    fresh_sample_store(db)
    prof = workdir / "startup-analyze.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "govwatch.cli",
                    "analyze", "--events", str(SAMPLE / "events.csv"), "-q", "--db", str(db)], stdout=subprocess.DEVNULL, cwd=REPO,
                   check=True)
    import pstats

    with open(workdir / "startup-analyze-profile.txt", "w") as f:
        pstats.Stats(str(prof), stream=f).sort_stats("cumulative").print_stats(40)
    print(f"  profile in {workdir}/startup-analyze-profile.txt and -importtime.txt", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--cases", default=",".join(TARGETS),
                    help=f"comma-separated, of {', '.join(TARGETS)}")
    ap.add_argument("--profile", action="store_true", help="also profile the first analyze")
    ap.add_argument("--workdir", type=Path, default=HERE / "work")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--before", type=Path, default=None, metavar="TREE",
                    help="also run this source tree's CLI (the code before a change), "
                    "interleaved: before, after, baseline in every round")
    args = ap.parse_args(argv)
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(chosen) - set(TARGETS)
    if unknown:
        ap.error(f"unknown case(s) {', '.join(sorted(unknown))}")
    print(f"govwatch start-up benchmark: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; "
          f"{_measure.machine_load()}", flush=True)
    _measure.compile_sources()
    found = cases(workdir)
    earlier = None
    if args.before:
        tree = args.before.resolve()
        for package in _measure.PACKAGE_DIRS:
            compileall.compile_dir(tree / package, quiet=1)
        earlier = cases(workdir, [sys.executable, str(HERE / "_tree_cli.py"), str(tree)],
                        "-before")
    rows = []
    for name in chosen:
        ours, base, label = found[name]
        extra: dict = {}
        if earlier is None:
            s = _measure.paired(ours, base, args.pairs).summary()
        else:
            after, before = _measure.Paired(), _measure.Paired()
            for _ in range(args.pairs):
                before.ours.append(earlier[name][0]())
                after.ours.append(ours())
                after.base.append(base())
            before.base = after.base
            s = after.summary()
            b = before.summary()
            change = _measure.Paired(after.ours, before.ours).summary()
            extra = {"before": b["ours"], "before_slowdown_wall": _inv(b["ratio_wall"]),
                     "before_slowdown_cpu": _inv(b["ratio_cpu"]),
                     "after_over_before_wall": _inv(change["ratio_wall"]),
                     "after_over_before_cpu": _inv(change["ratio_cpu"])}
        # the ratio the targets bound: govwatch / baseline (the inverse of the other tables)
        row = {"case": name, "baseline": label, "target": TARGETS[name], **s,
               "slowdown_wall": _inv(s["ratio_wall"]), "slowdown_cpu": _inv(s["ratio_cpu"]),
               **extra}
        rows.append(row)
        print(f"  {name:<14} govwatch {s['ours']['wall_s']:.2f} s (CPU {s['ours']['cpu_s']:.2f})"
              f"  {label} {s['base']['wall_s']:.2f} s (CPU {s['base']['cpu_s']:.2f})  govwatch "
              f"/ baseline {_measure.fmt_spread(row['slowdown_wall'])} wall, "
              f"{_measure.fmt_spread(row['slowdown_cpu'])} CPU; target {TARGETS[name]}x  "
              f"[{_measure.machine_load()}]", flush=True)
        if extra:
            print(f"  {'':<14} before {extra['before']['wall_s']:.2f} s (CPU "
                  f"{extra['before']['cpu_s']:.2f}): before / baseline "
                  f"{_measure.fmt_spread(extra['before_slowdown_wall'])} wall, "
                  f"{_measure.fmt_spread(extra['before_slowdown_cpu'])} CPU; after / before "
                  f"{_measure.fmt_spread(extra['after_over_before_wall'])} wall, "
                  f"{_measure.fmt_spread(extra['after_over_before_cpu'])} CPU", flush=True)
    if args.profile:
        profile(workdir)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"benchmark": "startup", "rows": rows,
                                         "load": _measure.machine_load()}, indent=1))
    shutil.rmtree(workdir / "startup-sample.duckdb.tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
