"""Measuring one command in its own process: wall time, CPU time and peak memory.

Each benchmarked side (govwatch or a baseline) runs as a fresh child process so that
its start-up counts and its memory is its own. Wall time is taken around the child;
CPU time (user + system) comes from ``os.wait4``'s resource usage of the child (which
includes the descendants it waited for). Memory is the peak of the whole process tree
(the command and every worker it starts), sampled with psutil twenty times a second as
the sum of each process's proportional set size (PSS: pages shared between processes,
such as the libraries each maps or a forked worker's copy-on-write pages, are split
between them rather than counted in each). ``ru_maxrss`` is not used: a forked child
inherits the high-water mark of the process that forked it, so it would report at
least the size of the benchmark script itself. A spike shorter than 50 ms can escape
the sampler, which is one reason memory claims are checked under a cap (below).

A sampled peak is only an observation. A memory claim is checked by running the command
under an enforced cap: ``limit_bytes`` sets ``RLIMIT_AS`` (the address-space limit,
as ``prlimit --as`` does) in the child before it starts, so an allocation beyond it
fails and the command fails with it. The cap applies to each process of the tree on its
own and counts virtual memory, which is at least the resident memory: a run that
finishes under the cap used less than the cap in every process. Virtual memory can be
far larger than resident memory (DuckDB's allocator keeps address space it has given
back: 7.3 GB of it beside 2.6 GB resident), so this cap is much stricter than a memory
cap. :class:`MemoryCgroup` caps what matters, the resident memory of the whole tree
together: the command and its workers run in a memory cgroup of their own (cgroup v1's
memory controller or cgroup v2) whose limit the kernel enforces by reclaiming page cache
and then killing the tree; where no cgroup is writable, ``create`` gives None.

Ratios come from paired, interleaved runs (:func:`paired`: A B A B ..., at least three
pairs): each pair gives one ratio baseline / govwatch measured under the same
conditions, and the report is the minimum, median and maximum of those ratios, never the
best run of one side over the best of the other. With ``cpu=N`` a child is pinned to
that one CPU before it starts (``os.sched_setaffinity``), which is how "one core" is
measured; ``cpu=None`` lets it use every CPU, as users run it.

On a machine shared with other work the wall clock stretches while the CPU time barely
moves: the CPU-time ratios are the steadier comparison, and wall times are lower bounds
of speed. The load average is recorded with every run.
"""

from __future__ import annotations

import os
import resource
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Measurement:
    """What one run of a command cost."""

    wall_s: float
    cpu_s: float  # user + system time of the child (and its waited-for children)
    peak_rss_bytes: int  # peak of the process tree's PSS sum (sampled every 50 ms)
    returncode: int
    load_1min: float  # the machine's 1-minute load average when the run started
    log: Path | None = None
    limit_bytes: int | None = None  # the address-space cap it ran under, if any
    stopped: bool = False  # stopped at its timeout before it finished

    def rate(self, rows: int) -> float:
        """Rows per second of wall time."""
        return rows / self.wall_s if self.wall_s > 0 else float("inf")

    def cpu_rate(self, rows: int) -> float:
        """Rows per second of CPU time."""
        return rows / self.cpu_s if self.cpu_s > 0 else float("inf")

    def as_dict(self) -> dict:
        return {"wall_s": self.wall_s, "cpu_s": self.cpu_s,
                "peak_rss_bytes": self.peak_rss_bytes, "load_1min": self.load_1min,
                "limit_bytes": self.limit_bytes}


class CommandFailed(RuntimeError):
    """A measured command exited with an unexpected status."""


def default_cpu() -> int:
    """The CPU to pin to: the highest-numbered one this process may use."""
    return max(os.sched_getaffinity(0))


class MemoryCgroup:
    """A memory cgroup of its own for one command's process tree, with a hard limit.

    ``create(limit, name)`` makes it under this process's own cgroup (cgroup v1's memory
    controller, else cgroup v2 where the memory controller is already enabled for the
    children of this process's cgroup: v2 lets no cgroup that holds processes enable it, so
    under v2 this mostly gives None), or gives None where this machine lets it make none. ``enter()`` moves the calling process in (run it
    in the child before exec); every process it starts is then counted and capped
    together. ``peak()`` is the most the group used (v1 counts page cache too), and
    ``oom_killed()`` whether the kernel killed a process for passing the limit.
    ``remove()`` deletes the group once its processes have ended."""

    def __init__(self, path: Path, version: int, limit_bytes: int):
        self.path, self.version, self.limit_bytes = path, version, limit_bytes

    @staticmethod
    def _own(controller: str) -> str | None:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, where = line.split(":", 2)
            if controller in names.split(",") or (controller == "" and names == ""):
                return where
        return None

    @classmethod
    def create(cls, limit_bytes: int, name: str) -> MemoryCgroup | None:
        tries: list[tuple[Path, int]] = []
        try:
            v1 = cls._own("memory")
            if v1 is not None:
                tries.append((Path("/sys/fs/cgroup/memory") / v1.lstrip("/"), 1))
            v2 = cls._own("")
            if v2 is not None:
                for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
                    if (root / "cgroup.controllers").exists():
                        tries.append((root / v2.lstrip("/"), 2))
        except OSError:
            return None
        for parent, version in tries:
            path = parent / f"{name}-{os.getpid()}-{time.monotonic_ns()}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                limit_file = "memory.limit_in_bytes" if version == 1 else "memory.max"
                (path / limit_file).write_text(str(limit_bytes))
                if version == 1:  # no swap either, where the kernel accounts it
                    try:
                        (path / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))
                    except OSError:
                        pass
                return cls(path, version, limit_bytes)
            except OSError:
                path.rmdir()
        return None

    def enter(self) -> None:
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def peak(self) -> int | None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int((self.path / name).read_text())
        except (OSError, ValueError):
            return None

    def oom_killed(self) -> bool:
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def describe(self) -> str:
        return f"a memory cgroup (v{self.version}) capped at {mib(self.limit_bytes)}"

    def remove(self) -> None:
        for _ in range(50):  # the last processes may still be leaving
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def _preexec(cpu: int | None, limit_bytes: int | None,
             cgroup: MemoryCgroup | None = None) -> Callable[[], None] | None:
    if cpu is None and limit_bytes is None and cgroup is None:
        return None

    def setup() -> None:
        if cgroup is not None:
            cgroup.enter()
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return setup


def run(
    cmd: Sequence[str | os.PathLike],
    *,
    cpu: int | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    log: Path | None = None,
    ok: Sequence[int] = (0,),
    limit_bytes: int | None = None,
    timeout: float | None = None,
    sample_every: float | None = 0.05,
) -> Measurement:
    """Run ``cmd`` to completion and measure it.

    Output (stdout and stderr) goes to ``log`` (or is discarded). ``limit_bytes`` caps
    each process's address space (``RLIMIT_AS``). ``timeout`` (seconds): the command
    runs in its own session and, still running by then, its whole process group is
    stopped (SIGTERM, SIGKILL 10 s later); the measurement says so (``stopped``).
    Raises :class:`CommandFailed` naming the log when the exit status is not in ``ok``.
    ``sample_every`` (seconds): how often the process tree's memory is sampled for the
    peak (:class:`TreeSampler`); None: not sampled (the peak is then ``ru_maxrss``,
    see below), for a command whose peak nobody reads.
    """
    out = open(log, "wb") if log else subprocess.DEVNULL
    load = os.getloadavg()[0]
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd,
            preexec_fn=_preexec(cpu, limit_bytes), start_new_session=timeout is not None,
        )
        tree = TreeSampler(proc.pid, interval=sample_every) if sample_every else None
        if tree:
            tree.start()
        stopper = _Stopper(proc.pid, timeout) if timeout is not None else None
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        peak = tree.stop() if tree else 0
        if stopper:
            stopper.cancel()
    finally:
        if log:
            out.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        where = f"; output in {log}" if log else ""
        cap = f" under an address-space cap of {mib(limit_bytes)}" if limit_bytes else ""
        raise CommandFailed(f"{' '.join(map(str, cmd))} exited with {proc.returncode}{cap}{where}")
    return Measurement(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        # The sampled tree, not ru_maxrss: a forked child starts from the high-water mark
        # of the process that forked it (Linux keeps it across exec), so ru_maxrss
        # reports at least the benchmark script's own size.
        peak_rss_bytes=peak or usage.ru_maxrss * 1024,  # Linux reports kilobytes
        returncode=proc.returncode,
        load_1min=load,
        log=log,
        limit_bytes=limit_bytes,
        stopped=bool(stopper and stopper.fired),
    )


class _Stopper:
    """Stops the process group ``pgid`` after ``seconds`` unless cancelled first."""

    def __init__(self, pgid: int, seconds: float):
        self.pgid, self.fired = pgid, False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(max(seconds, 0.0),),
                                        daemon=True)
        self._thread.start()

    def _run(self, seconds: float) -> None:
        if self._done.wait(seconds):
            return
        self.fired = True
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 0.0)):
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                return
            if self._done.wait(grace):
                return

    def cancel(self) -> None:
        self._done.set()


def tree_memory(root: int) -> int:
    """Memory of ``root`` and all its descendants now: the sum of their PSS (their RSS
    where PSS cannot be read); 0 once the process is gone."""
    try:
        top = psutil.Process(root)
        procs = [top, *top.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_full_info().pss
        except psutil.AccessDenied:
            total += p.memory_info().rss
        except psutil.Error:  # ended meanwhile
            pass
    return total


class TreeSampler(threading.Thread):
    """Samples the memory of a process tree (:func:`tree_memory`) until stopped; keeps
    the peak. ``cpu_s`` is the CPU time the sampling took on its own thread: run inside
    a measured process, it is the harness's, not the side's.

    Reading a process's PSS walks its page tables: about 18 ms a sample for a process
    of 1.7 GB. Sampled every ``interval`` seconds whatever it costs, a sampler would
    take a quarter of a core from the two the benchmarks share; so it waits at least
    ``COST_FACTOR`` times as long as its last sample took (at most about 5% of a core).
    The memory claims themselves hold under an enforced limit (a cgroup or an
    address-space cap), not on the sampled peak alone."""

    COST_FACTOR = 20

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.cpu_s = pid, interval, 0, 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            took = time.perf_counter()
            self.peak = max(self.peak, tree_memory(self.pid))
            took = time.perf_counter() - took
            self.cpu_s = time.thread_time()
            self.done.wait(max(self.interval, self.COST_FACTOR * took))

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak


# -- paired, interleaved runs ------------------------------------------------------------------

@dataclass
class Paired:
    """Runs of govwatch (``ours``) and a baseline (``base``), interleaved A B A B ...;
    pair i is (ours[i], base[i]), measured back to back."""

    ours: list[Measurement] = field(default_factory=list)
    base: list[Measurement] = field(default_factory=list)

    @property
    def ratios_wall(self) -> list[float]:
        """Baseline wall time / govwatch wall time, per pair (above 1: govwatch faster)."""
        return [b.wall_s / o.wall_s for o, b in zip(self.ours, self.base, strict=True)]

    @property
    def ratios_cpu(self) -> list[float]:
        return [b.cpu_s / o.cpu_s for o, b in zip(self.ours, self.base, strict=True)
                if o.cpu_s > 0]

    def summary(self) -> dict:
        """Medians per side, peaks as the largest of any run, and each ratio's
        min / median / max over the pairs."""
        def side(runs: list[Measurement]) -> dict:
            return {"wall_s": statistics.median(m.wall_s for m in runs),
                    "cpu_s": statistics.median(m.cpu_s for m in runs),
                    "peak_rss_bytes": max(m.peak_rss_bytes for m in runs),
                    "limit_bytes": runs[0].limit_bytes,
                    "runs_wall_s": [round(m.wall_s, 3) for m in runs],
                    "runs_cpu_s": [round(m.cpu_s, 3) for m in runs]}
        return {"pairs": len(self.ours), "ours": side(self.ours), "base": side(self.base),
                "ratio_wall": spread(self.ratios_wall), "ratio_cpu": spread(self.ratios_cpu),
                "load_1min": [round(m.load_1min, 2) for m in self.ours + self.base]}


def spread(values: Sequence[float]) -> dict | None:
    """{"min", "median", "max"} of ``values`` (None when there are none)."""
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def fmt_spread(s: dict | None, spec: str = ".2f") -> str:
    """'3.51 (3.20-3.77)': the median, then the min and max."""
    if not s:
        return "—"
    return f"{format(s['median'], spec)} ({format(s['min'], spec)}-{format(s['max'], spec)})"


def paired(ours: Callable[[], Measurement], base: Callable[[], Measurement],
           pairs: int = 3) -> Paired:
    """Run ``ours`` and ``base`` alternately, ``pairs`` times each: A B A B ..."""
    if pairs < 1:
        raise ValueError("pairs must be at least 1")
    result = Paired()
    for _ in range(pairs):
        result.ours.append(ours())
        result.base.append(base())
    return result


def warm(path: Path) -> None:
    """Read a file once so that every measured side finds it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def machine_load() -> str:
    """'load 4.39 5.07 4.93 on 2 CPUs' (1, 5 and 15-minute averages)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def parse_size(text: str) -> int:
    """'6GiB', '512MiB', '6GB' or a number of bytes."""
    units = {"kib": 2**10, "mib": 2**20, "gib": 2**30, "kb": 10**3, "mb": 10**6, "gb": 10**9,
             "b": 1}
    t = text.strip().lower()
    for u, k in units.items():
        if t.endswith(u):
            return int(float(t[: -len(u)]) * k)
    return int(t)


def mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f} MiB"


# -- bytecode ---------------------------------------------------------------------------------

PACKAGE_DIRS = ("govwatch", "ingest", "analysis", "dashboard", "export", "sample_data")


def compile_sources() -> None:
    """Bytecode for govwatch's own modules, as installing a wheel writes it. Where
    PYTHONDONTWRITEBYTECODE is set (this machine sets it), an editable install would
    otherwise compile every govwatch module from source in every measured run, while
    the baselines' libraries load their bytecode."""
    import compileall

    repo = Path(__file__).resolve().parent.parent
    for package in PACKAGE_DIRS:
        compileall.compile_dir(repo / package, quiet=1)
