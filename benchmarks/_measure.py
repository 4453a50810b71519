"""Measuring one command in its own process: wall time, CPU time and peak memory.

Each benchmarked side (govwatch or a baseline) runs as a fresh child process so that
its peak resident memory is its own: the figures come from ``os.wait4``'s resource
usage of that child (``ru_maxrss``, which on Linux also covers the descendants it
waited for, but as the largest of them, not their sum). A side that runs several
processes at once (govwatch reading a file in parts) needs their sum: on Linux the
process tree's memory is also sampled twenty times a second, as the sum of each
process's proportional set size (PSS: pages shared between processes, such as the
libraries each one maps, are split between them rather than counted in each), and the
peak is the larger of the two figures (a sampled sum can miss a peak shorter than 50 ms). With ``cpu=N`` the child is pinned to that one CPU before it starts
(``os.sched_setaffinity`` in the child), which is how "one core" is measured.

CPU time (user + system) is reported beside wall time: on a machine shared with
other work the wall clock stretches while the CPU time barely moves, so CPU-time
ratios are the steadier comparison and wall times are lower bounds of speed.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    """What one run of a command cost."""

    wall_s: float
    cpu_s: float  # user + system time of the child (and its waited-for children)
    peak_rss_bytes: int
    returncode: int
    load_1min: float  # the machine's 1-minute load average when the run started
    log: Path | None = None

    def rate(self, rows: int) -> float:
        """Rows per second of wall time."""
        return rows / self.wall_s if self.wall_s > 0 else float("inf")

    def cpu_rate(self, rows: int) -> float:
        """Rows per second of CPU time."""
        return rows / self.cpu_s if self.cpu_s > 0 else float("inf")


_PAGE = os.sysconf("SC_PAGE_SIZE")


class CommandFailed(RuntimeError):
    """A measured command exited with an unexpected status."""


def default_cpu() -> int:
    """The CPU to pin to: the highest-numbered one this process may use."""
    return max(os.sched_getaffinity(0))


def run(
    cmd: Sequence[str | os.PathLike],
    *,
    cpu: int | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    log: Path | None = None,
    ok: Sequence[int] = (0,),
) -> Measurement:
    """Run ``cmd`` to completion and measure it.

    Output (stdout and stderr) goes to ``log`` (or is discarded). Raises
    :class:`CommandFailed` naming the log when the exit status is not in ``ok``.
    """
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    out = open(log, "wb") if log else subprocess.DEVNULL
    load = os.getloadavg()[0]
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, preexec_fn=pin,
        )
        tree = TreeSampler(proc.pid, interval=0.05)
        tree.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        tree.stop()
    finally:
        if log:
            out.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        where = f"; output in {log}" if log else ""
        raise CommandFailed(f"{' '.join(map(str, cmd))} exited with {proc.returncode}{where}")
    return Measurement(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=max(usage.ru_maxrss * 1024, tree.peak),  # Linux reports kilobytes
        returncode=proc.returncode,
        load_1min=load,
        log=log,
    )


def _pss(pid: int) -> int | None:
    """Proportional set size of one process: shared pages (a forked worker's copy-on-write
    memory) are split between the processes sharing them, so a sum over a tree is honest."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _tree_rss(root: int) -> int:
    """Memory of ``root`` and all its descendants now: the sum of their PSS (their RSS
    where PSS cannot be read)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * _PAGE
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        pss = _pss(pid)
        total += pss if pss is not None else rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


class TreeSampler(threading.Thread):
    """Samples the resident memory of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            self.done.wait(self.interval)

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak


def best(runs: Sequence[Measurement]) -> Measurement:
    """The run with the least wall time (the one least disturbed by other work)."""
    return min(runs, key=lambda m: m.wall_s)


def warm(path: Path) -> None:
    """Read a file once so that every measured side finds it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def machine_load() -> str:
    """'load 4.39 5.07 4.93 on 2 CPUs' (1, 5 and 15-minute averages)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f} MiB"
