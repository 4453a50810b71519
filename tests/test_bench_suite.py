"""The benchmark suite's plumbing (benchmarks/run_all.py, bench_scaling.py) on tiny inputs:
real child processes, real measurements, real tables. No speed is asserted."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"govwatch_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run_all = _load("run_all")
scaling = _load("bench_scaling")


def test_run_all_ingest_row_beside_its_baseline(tmp_path, capsys):
    # a budget of 0.001 minutes: ingest starts (nothing has run yet), scaling does not;
    # ingest's guaranteed share is raised from 30 s so a loaded machine cannot stop it
    code = run_all.main(["--only", "ingest,scaling", "--ingest-stages", "csv", "--sizes",
                         "300", "--pairs", "2", "--pinning", "pinned", "--budget", "0.001",
                         "--min-share", "10", "--workdir", str(tmp_path)])
    assert code == 1  # a benchmark was not run
    printed = capsys.readouterr().out
    saved = json.loads((tmp_path / "run-all-results.json").read_text())
    assert saved["sizes"] == [300] and saved["machine"]["cpus"] >= 1
    assert saved["machine"]["cpu_model"] and saved["machine"]["packages"]["duckdb"]
    assert set(saved["minutes"]) == {"ingest"}
    skipped = [r for r in saved["rows"] if r["benchmark"] == "scaling"]
    assert [r["case"] for r in skipped] == ["(not run)"]
    assert "0.001-minute budget" in skipped[0]["note"]
    assert "The run took" in (tmp_path / "run-all-results.md").read_text()
    rows = {(r["case"], r["baseline"]): r for r in saved["rows"] if r["benchmark"] == "ingest"}
    assert set(rows) == {("startup", "pandas+DuckDB"), ("csv", "pandas+DuckDB"),
                         ("csv", "DuckDB read_csv")}
    csv_row = rows["csv", "pandas+DuckDB"]
    assert csv_row["benchmark"] == "ingest" and csv_row["size"] == 300
    assert csv_row["cpus"] == "one CPU" and csv_row["pairs"] == 2
    assert "--format auto" in csv_row["note"]
    for side in ("ours", "base"):
        assert csv_row[f"{side}_wall_s"] > 0 and csv_row[f"{side}_cpu_s"] > 0
        assert csv_row[f"{side}_peak_bytes"] > 20 * 2**20
    spread = csv_row["wall_range"]
    assert spread["min"] <= spread["median"] <= spread["max"]
    assert csv_row["ratio_wall"] == spread["median"]
    assert "| ingest | csv | 300 posts | one CPU |" in printed
    assert (tmp_path / "run-all-results.md").read_text().count("| ingest |") == 3


def test_unknown_benchmark_is_a_usage_error():
    with pytest.raises(SystemExit) as info:
        run_all.parse_args(["--only", "ingest,nonsense"])
    assert info.value.code == 2


def test_traced_command_sees_its_whole_process_tree_and_its_stages(tmp_path):
    # A parent forks a child; each then holds ~150 MB of its own; two stage lines.
    child = textwrap.dedent("""
        import os, sys, time
        print("• tagging posts", file=sys.stderr, flush=True)
        pid = os.fork()
        if pid == 0:
            other = bytearray(150 * 2**20)
            time.sleep(2.0)
            os._exit(0)
        block = bytearray(150 * 2**20)
        time.sleep(0.3)
        print("• linking messages and responses", file=sys.stderr, flush=True)
        os.waitpid(pid, 0)
        x = sum(range(3_000_000))
    """)
    t = scaling.run_traced([sys.executable, "-c", child], tmp_path / "log.txt")
    assert [m[1] for m in t.marks] == ["tagging posts", "linking messages and responses"]
    assert t.marks[0][0] < t.marks[1][0] < t.wall_s
    # ru_maxrss: at least the largest single process (on Linux it also starts from the
    # size of the process that forked the command, here pytest, so no upper bound).
    assert t.peak_rss_bytes > 140 * 2**20
    assert t.tree_peak_bytes > 280 * 2**20  # sampled: both processes at once
    rows, steps = scaling.split_analyze(t, 10)
    assert [r.stage for r in rows] == ["analyze: start-up", "analyze: tagging",
                                       "analyze: metrics"]
    assert sum(r.wall_s for r in rows) == pytest.approx(t.wall_s)
    assert set(steps) == {"tagging posts", "linking messages and responses",
                          "cpu: tagging posts", "cpu: linking messages and responses"}
    assert steps["cpu: linking messages and responses"] > 0  # the sum() after it
    assert "[" in (tmp_path / "log.txt").read_text()


def test_traced_command_is_stopped_at_the_stop_time(tmp_path):
    child = textwrap.dedent("""
        import sys, time
        print("• tagging posts", file=sys.stderr, flush=True)
        print("  tagging posts: 100/1,000", file=sys.stderr, flush=True)
        time.sleep(60)
    """)
    t = scaling.run_traced([sys.executable, "-c", child], tmp_path / "log.txt",
                           stop_at=time.time() + 2)
    assert t.stopped and t.returncode != 0  # the child sleeps 60 s and would exit 0
    assert t.progress and t.progress[-1][1:] == ("tagging posts", 100, 1000)


def test_traced_command_under_a_cap_fails_beyond_it(tmp_path):
    grab = [sys.executable, "-c", "b = bytearray(700 * 2**20); print(len(b))"]
    with pytest.raises(run_all._measure.CommandFailed, match="address-space cap of 512 MiB"):
        scaling.run_traced(grab, tmp_path / "over.txt", limit_bytes=512 * 2**20)
    small = [sys.executable, "-c",
             "import time; b = b'x' * (50 * 2**20); time.sleep(1); print(len(b))"]
    t = scaling.run_traced(small, tmp_path / "under.txt", limit_bytes=512 * 2**20)
    assert t.returncode == 0 and t.tree_peak_bytes > 40 * 2**20


def _cgroup(limit_bytes: int):
    cgroup = run_all._measure.MemoryCgroup.create(limit_bytes, "govwatch-test")
    if cgroup is None:
        pytest.skip("this machine gives no writable memory cgroup")
    return cgroup


def test_traced_command_in_a_memory_cgroup_is_killed_beyond_it(tmp_path):
    """The cgroup caps the resident memory of the tree: 700 MiB in a 512 MiB group is
    killed by the kernel and the failure says so; 50 MiB runs and the peak is seen."""
    grab = [sys.executable, "-c", "b = bytearray(700 * 2**20); print(len(b))"]
    cgroup = _cgroup(512 * 2**20)
    try:
        with pytest.raises(run_all._measure.CommandFailed,
                           match=r"killed by the kernel in a memory cgroup \(v\d\) capped at 512 MiB"):
            scaling.run_traced(grab, tmp_path / "over.txt", cgroup=cgroup)
    finally:
        cgroup.remove()
    assert not cgroup.path.exists()
    small = [sys.executable, "-c",
             "import time; b = b'x' * (50 * 2**20); time.sleep(1); print(len(b))"]
    cgroup = _cgroup(512 * 2**20)
    try:
        t = scaling.run_traced(small, tmp_path / "under.txt", cgroup=cgroup)
        assert t.returncode == 0 and not cgroup.oom_killed()
        assert 50 * 2**20 <= cgroup.peak() < 512 * 2**20
    finally:
        cgroup.remove()


@pytest.mark.parametrize("where", ["its own cgroup", "a parent cgroup"])
def test_duckdb_leaves_room_under_a_cgroup_memory_limit(tmp_path, where):
    """In a memory cgroup of 3 GiB, or in a cgroup without a limit inside one of 3 GiB
    (a systemd slice's or a pod's limit), a store's DuckDB gets 40% of it, not the 2.5 GB default."""
    code = ("from govwatch.store import Store; import sys; s = Store(sys.argv[1]); "
            "print(s.conn.execute(\"SELECT current_setting('memory_limit')\").fetchone()[0])")
    cgroup = _cgroup(3 * 2**30)
    inner = cgroup
    if where == "a parent cgroup":
        inner = run_all._measure.MemoryCgroup(cgroup.path / "inner", cgroup.version, 0)
        inner.path.mkdir()
    try:
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s.duckdb")],
                             capture_output=True, text=True,
                             env={k: v for k, v in os.environ.items()
                                  if k != "GOVWATCH_MEMORY_LIMIT"},
                             preexec_fn=run_all._measure._preexec(None, None, inner))
    finally:
        if inner is not cgroup:
            inner.remove()
        cgroup.remove()
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().replace(" ", "") in {"1.1GiB", "1.2GiB", "1228.0MiB"}, out.stdout


def test_scaling_rows_give_each_stage_per_post_cost_beside_the_smaller_size(tmp_path):
    # the real pipeline (ingest, analyze, every export) at two tiny sizes, capped
    code = run_all.main(["--only", "scaling", "--scaling-sizes", "300,900",
                         "--scaling-cap", "6GiB", "--workdir", str(tmp_path)])
    assert code == 0
    saved = json.loads((tmp_path / "run-all-results.json").read_text())
    assert saved["scaling_sizes"] == [300, 900]
    rows = {r["case"]: r for r in saved["rows"] if r["benchmark"] == "scaling"}
    for stage in ("ingest", "analyze", "analyze: tagging", "analyze: metrics",
                  "export posts parquet", "export posts csv", "export responses csv",
                  "export responses parquet"):
        r = rows[stage]
        assert r["size"] == 900 and r["baseline"] == "the same at 300 posts, x3"
        assert r["ours_cpu_s"] > 0 and r["base_cpu_s"] > 0
        # the ratio is the linear cost over the actual one: the note's figure inverted
        growth = float(r["note"].split("cost per post (CPU) ")[1].split("x")[0])
        assert r["ratio_cpu"] == pytest.approx(1 / growth, rel=0.02)
    assert "cap of 6,144 MiB" in rows["export posts parquet"]["note"]
    results = json.loads((tmp_path / "run-all-scaling.json").read_text())["results"]
    assert results["900"]["cap_bytes"] == 6 * 2**30


def test_a_benchmark_past_its_share_of_the_budget_is_stopped_with_its_workers(
        tmp_path, monkeypatch):
    # the script starts a worker, then both sleep; the deadline stops the whole group
    script = textwrap.dedent(f"""
        import subprocess, sys, time
        w = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        open({str(tmp_path / 'worker.pid')!r}, "w").write(str(w.pid))
        time.sleep(120)
    """)
    monkeypatch.setattr(run_all, "_min_child_s", 0.5)
    began = time.time()
    run = run_all.run_child("slow", [sys.executable, "-c", script], tmp_path,
                            deadline=time.time() + 3)
    assert run["stopped"] and run["returncode"] != 0
    assert time.time() - began < 30
    worker = int((tmp_path / "worker.pid").read_text())
    deadline = time.time() + 5
    while run_all._measure.psutil.pid_exists(worker) and time.time() < deadline:
        time.sleep(0.1)
    gone = not run_all._measure.psutil.pid_exists(worker) or (
        run_all._measure.psutil.Process(worker).status() == "zombie")
    assert gone
    row = run_all.failed("slow", run, "no JSON written")
    assert row.case == "(no result)" and "its share of the budget" in row.note
    # a command that finishes in time is not marked
    quick = run_all.run_child("quick", [sys.executable, "-c", "pass"], tmp_path,
                              deadline=time.time() + 60)
    assert not quick["stopped"] and quick["returncode"] == 0


def test_each_benchmark_may_run_until_the_later_ones_reserve(tmp_path, monkeypatch):
    seen = {}

    def fake(name):
        def runner(args, workdir):
            seen[name] = args.deadline
            return [run_all.Row(name, "case", 1, "posts", note="ran")]
        return runner

    monkeypatch.setattr(run_all, "RUNNERS", {b: fake(b) for b in run_all.BENCHMARKS})
    began = time.time()
    code = run_all.main(["--only", "startup,export,scaling", "--budget", "15",
                         "--workdir", str(tmp_path)])
    assert code == 0 and set(seen) == {"startup", "export", "scaling"}
    reserve = run_all.RESERVE_MIN
    end = began + 15 * 60
    assert seen["scaling"] == pytest.approx(end, abs=5)
    assert seen["export"] == pytest.approx(end - 60 * reserve["scaling"], abs=5)
    assert seen["startup"] == pytest.approx(
        end - 60 * (reserve["scaling"] + reserve["export"]), abs=5)
    # --full: no budget, no deadline
    seen.clear()
    run_all.main(["--only", "export", "--full", "--workdir", str(tmp_path)])
    assert seen == {"export": None}
