"""Reading a large JSON Lines file in parts, by several processes at once.

A reader with ``line_parts`` (the Twitter API readers) carries nothing from one line
to the next, so a file of it can be cut at line starts into parts that are read
independently. :func:`plan` cuts the file; :class:`PartReaders` starts one process per
part after the first (``python -m govwatch.ingest.parts``), which loads what it needs while the
importing process hashes the file and numbers each part's first line in the same pass
(:func:`hash_and_number`), then reads its part once told that number. The importing
process reads the first part itself. Each process stages its part's rows in a folder of
its own inside the import's staging folder (:meth:`govwatch.ingest.staging.Staged.part_folder`),
numbering them from the part's ``_seq`` base, so that the import publishes every part in
one transaction and the file's order decides between repeated keys exactly as in one
process. Rejects come back to the importing process with the line numbers of the whole
file, in file order.

Nothing here touches the store. A part process dies with the importing process (on
Linux at once, elsewhere at its next batch), and what it staged is removed with the
import's staging folder, so an import killed at any point leaves the store as it was.

Only plain files are cut, and only where every part holds at least ``min_part_bytes``
(:data:`MIN_PART_BYTES`): a process needs about half a second to start, the time it
takes to read some 40 MB of tweets. The importing process's own part (the first) is
longer (:func:`plan`), as it starts reading before the others are ready. A file
with a carriage return not followed by a line feed is read whole (its line numbers
could not be counted from line feeds alone).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from govwatch.errors import InputError
from govwatch.records import Reject

from .base import Part, Reader, ReadOptions
from .ordered import usable_cpus
from .staging import Staged, StagedRead, stage_batches

MIN_PART_BYTES = 64 << 20
_BLOCK = 1 << 20


# Processes reading one file unless the user asks for more (--jobs): each holds a batch
# of up to 50,000 posts, some 0.2 GB, while it reads.
DEFAULT_MAX_JOBS = 8


def default_jobs() -> int:
    """The CPUs this process may run on (its affinity where the system says it), at most
    :data:`DEFAULT_MAX_JOBS`."""
    return max(1, min(usable_cpus(), DEFAULT_MAX_JOBS))


def plan(path: Path, jobs: int, min_part_bytes: int = MIN_PART_BYTES) -> list[tuple[int, int]]:
    """Where to cut the file: at most ``jobs`` byte ranges [start, end), each starting at
    a line start and at least ``min_part_bytes`` long; the first (which the importing
    process reads) longer than the others by three eighths of ``min_part_bytes`` (24 MiB
    for the default: about what it reads in the quarter of a second before the other
    processes are ready), the others of about equal size. One range (the whole file) when
    it is too small to cut. Only a few bytes around each cut are read;
    :func:`hash_and_number` numbers the parts' first lines."""
    lead_bytes = min_part_bytes * 3 // 8
    size = path.stat().st_size
    count = max(1, min(jobs, (size - lead_bytes) // max(1, min_part_bytes)))
    if count == 1:
        return [(0, size)]
    each = (size - lead_bytes) // count
    cuts = [0]
    with open(path, "rb") as f:
        for k in range(1, count):
            f.seek(max(cuts[-1], lead_bytes + each * k - 1))
            f.readline()  # to the end of the line holding the byte before the wanted start
            cut = f.tell()
            if cuts[-1] < cut < size:
                cuts.append(cut)
    return [(a, b) for a, b in zip(cuts, [*cuts[1:], size], strict=True)]


def hash_and_number(path: Path, starts: list[int]) -> tuple[str, list[int] | None]:
    """The file's SHA-256 (as :func:`govwatch.ingest.pipeline.sha256_file` gives it) and, in the
    same pass, the number of the line that begins at each of ``starts``, counting lines as
    :func:`govwatch.ingest.jsonio.iter_byte_lines` does; None instead of the numbers when the file
    holds a carriage return not followed by a line feed (then not cut)."""
    h = hashlib.sha256()
    firsts: list[int] = []
    pending = sorted(starts)
    lines = pos = 0
    bare_cr = after_cr = False
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
            if bare_cr:
                continue
            if after_cr and not block.startswith(b"\n"):
                bare_cr = True
            if b"\r" in block:
                bare_cr |= block.count(b"\r") != block.count(b"\r\n") + block.endswith(b"\r")
                after_cr = block.endswith(b"\r")
            else:
                after_cr = False
            while pending and pending[0] <= pos + len(block):
                firsts.append(lines + block.count(b"\n", 0, pending.pop(0) - pos) + 1)
            lines += _newlines(block)
            pos += len(block)
    firsts += [lines + 1] * len(pending)  # starts at the very end (none, from plan)
    return h.hexdigest(), None if bare_cr or after_cr else firsts


def _newlines(block: bytes) -> int:
    """How many line feeds ``block`` holds: with NumPy, about three times quicker than
    ``bytes.count`` on lines of tweets."""
    return int(np.count_nonzero(np.frombuffer(block, np.uint8) == 10))


class PartReaders:
    """One process for each part of a file after the first, reading it into its folder.

    The processes start at once and load what they need while the importing process
    hashes the file (:func:`hash_and_number`); :meth:`start` then tells each the number
    of its part's first line and lets it read, :meth:`cancel` stops them all (the file
    was imported before, or cannot be cut). Use as a context manager: leaving it stops
    every process still running. Progress (bytes read of each part) is followed by a
    thread per process: :meth:`bytes_read` sums it; :meth:`wait` returns what each part
    read.
    """

    def __init__(self, reader: Reader, path: Path, options: ReadOptions,
                 parts: list[tuple[int, tuple[int, int], Path]]):
        self._procs: list[subprocess.Popen] = []
        self._done: list[int] = [0] * len(parts)
        self._results: list[dict | None] = [None] * len(parts)
        self._threads: list[threading.Thread] = []
        self._logs: list[Path] = []
        self._parts = parts
        for slot, (index, (start, end), folder) in enumerate(parts):
            job = {
                "reader": f"{type(reader).__module__}:{type(reader).__qualname__}",
                "path": str(path), "start": start, "end": end, "folder": str(folder),
                "index": index, "options": asdict(options), "parent": os.getpid(),
            }
            # What a process writes to stderr (a failure's traceback) goes to a file beside
            # its folder: a pipe nobody reads until the end could fill and stop it.
            log = folder.with_suffix(".log")
            self._logs.append(log)
            with open(log, "wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "govwatch.ingest.parts", json.dumps(job)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                )
            self._procs.append(proc)
            t = threading.Thread(target=self._follow, args=(slot, proc), daemon=True)
            t.start()
            self._threads.append(t)

    def start(self, first_lines: list[int]) -> None:
        """Let each process read, its part's first line numbered ``first_lines[i]``."""
        for proc, first in zip(self._procs, first_lines, strict=True):
            self._tell(proc, b"%d\n" % first)

    def cancel(self) -> None:
        """Stop every process before it reads."""
        for proc in self._procs:
            self._tell(proc, b"")
            proc.kill()

    @staticmethod
    def _tell(proc: subprocess.Popen, message: bytes) -> None:
        assert proc.stdin is not None  # started with stdin=PIPE
        try:
            proc.stdin.write(message)
            proc.stdin.close()
        except OSError:  # it is gone already: wait() says why
            pass

    def _follow(self, slot: int, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None  # started with stdout=PIPE
        for line in proc.stdout:
            kind, _, payload = line.partition(b" ")
            if kind == b"read":
                self._done[slot] = int(payload)
            elif kind == b"result":
                self._results[slot] = json.loads(payload)

    def bytes_read(self) -> int:
        return sum(self._done)

    def wait(self, tick: Callable[[], None] | None = None) -> list[dict]:
        """Wait for every process; ``tick`` is called twenty times a second meanwhile.
        Returns each part's result (rows read, rejects, rows staged), in part order.
        Raises InputError for a part that stopped at a user's bad input (``--strict``),
        RuntimeError for a process that failed otherwise."""
        for proc, thread in zip(self._procs, self._threads, strict=True):
            while thread.is_alive():  # it ends when the process closes its output
                thread.join(0.05)
                if tick is not None:
                    tick()
            proc.wait()
        results = []
        for (index, _, _), proc, result, log in zip(self._parts, self._procs, self._results,
                                                    self._logs, strict=True):
            if result is None:
                err = log.read_text("utf-8", "replace").strip()
                raise RuntimeError(f"the process reading part {index + 1} of the file failed "
                                   f"(exit status {proc.returncode}): {err[-2000:]}")
            if "error" in result:
                e = result["error"]
                raise InputError(result["path"], e["reason"], e["locator"])
            results.append(result)
        return results

    def __enter__(self) -> PartReaders:
        return self

    def __exit__(self, *exc) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            if proc.stdin is not None and not proc.stdin.closed:
                proc.stdin.close()
        for proc in self._procs:
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def read_of(result: dict) -> StagedRead:
    """What a part process read, from its result."""
    return StagedRead(result["rows_read"], [Reject(*r) for r in result["rejects"]],
                      {tuple(a) for a in result["archives"]})


# -- the part process ---------------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the importing process dies (elsewhere, the
    closed pipe stops it at its next batch)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError, TypeError):  # not Linux
        pass
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


def _run(job: dict) -> None:
    from importlib import import_module

    _die_with_parent(job["parent"])
    out = os.fdopen(os.dup(1), "wb", buffering=0)  # this process's messages, and nothing else
    sys.stdout = sys.stderr
    module, _, name = job["reader"].partition(":")
    found: Any = import_module(module)
    for attr in name.split("."):
        found = getattr(found, attr)
    reader = found()
    options = ReadOptions(**job["options"])
    path = Path(job["path"])
    staged = Staged(None, folder=Path(job["folder"]), seq_base=Staged.part_seq_base(job["index"]))
    # Reading an empty part loads what reading needs (modules a reader imports when it
    # starts), while the importing process is still hashing the file.
    for _ in reader.read_part(path, options, Part(job["start"], job["start"])):
        pass
    told = sys.stdin.buffer.readline()  # the number of the part's first line, or nothing
    if not told.strip():
        return
    part = Part(job["start"], job["end"], int(told))
    last = [0]

    def progress(n: int) -> None:
        if n - last[0] >= _BLOCK * 8 or n >= part.end - part.start:
            out.write(b"read %d\n" % min(n, part.end - part.start))
            last[0] = n

    result: dict = {"path": str(path)}
    try:
        read = stage_batches(staged, path, reader.read_part(path, options, part, progress),
                             options)
        staged.close()
    except InputError as exc:
        result["error"] = {"reason": exc.reason, "locator": exc.locator}
    else:
        result.update(rows_read=read.rows_read, posts=staged.posts, accounts=staged.accounts,
                      archived=staged.archived, archives=sorted(read.archives),
                      rejects=[[r.locator, r.reason, r.excerpt] for r in read.rejects])
    out.write(b"result " + json.dumps(result).encode() + b"\n")


if __name__ == "__main__":
    _run(json.loads(sys.argv[1]))
