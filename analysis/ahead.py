"""Metrics computed ahead: while ``govwatch analyze`` tags posts, on the second core.

A metric whose tables depend only on the canonical tables (posts, accounts, events)
and the settings, never on tags or on another metric's tables, sets
``Metric.canonical_only``. On a small store (at most :data:`AHEAD_MAX_POSTS` posts,
below which tagging runs in one process and leaves a core idle) the pipeline starts
such metrics before tagging, each in a thread of its own on its own cursor (a
connection of the same database: it reads what is committed, which is what the
metric would read later inside the analysis transaction, since analyze changes no
canonical table). DuckDB releases the GIL while a query runs; Python work a metric
hands to ``ctx.cache[OFFLOAD]`` (:func:`in_child`) runs in a forked process, so it
does not wait for the GIL either (topic discovery's TF-IDF and NMF do). At its turn
in the registry's order the pipeline takes the metric's frames (:meth:`Ahead.take`)
instead of computing them, and writes them inside the transaction as before: the
tables are the same as computed in turn (tests/test_ahead.py compares every derived
table).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Any

from .registry import Metric, MetricContext

# Tagging runs in this process below this many posts (tagging.POOL_MIN_POSTS); above
# it the tagging pool keeps both cores busy and metrics run in turn, as before.
AHEAD_MAX_POSTS = 40_000
# ctx.cache key: a function ``(fn, *args) -> fn(*args)`` that may run fn elsewhere.
OFFLOAD = "offload"
# Hand topic discovery's fit to a forked process (see in_child). Off: one analyze
# subprocess in the test suite timed out under heavy load while this was on, cause not
# yet found; with it off the metrics still run ahead, in threads.
FORK_CHILDREN = False


def in_process(fn: Callable, *args: Any) -> Any:
    return fn(*args)


def in_child(fn: Callable, *args: Any) -> Any:
    """``fn(*args)`` computed in a forked child process; its result (or its exception)
    comes back pickled. The child inherits this process's memory, so ``fn`` and its
    arguments are not pickled; it must not touch DuckDB (it runs only Python and
    numpy work, like the tagging pool's forked workers) and it leaves through
    ``os._exit``, so no inherited connection is closed or checkpointed there."""
    ctx = get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    proc.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(f"the process computing {fn.__name__} ended without a result "
                           f"(exit code {proc.exitcode})") from None
    finally:
        receive.close()
    proc.join()
    if not ok:
        raise value
    return value


def _child(send, fn: Callable, args: tuple) -> None:
    try:
        result: tuple[bool, Any] = (True, fn(*args))
    except BaseException as exc:  # noqa: BLE001 - sent back and raised in the parent
        result = (False, exc)
    try:
        send.send(result)
    except Exception as exc:  # the exception itself would not pickle
        send.send((False, RuntimeError(f"{type(result[1]).__name__}: {result[1]} ({exc})")))
    send.close()


class Ahead:
    """Metrics started before tagging, each in a thread on its own cursor of ``con``.

    Use as a context manager: leaving it waits for every started metric and closes
    their cursors, whether or not their frames were taken."""

    def __init__(self, con, obs_end, settings, metrics: list[Metric], enabled: bool = True):
        self._futures: dict[str, Future] = {}
        self._cursors: list = []
        self._pool: ThreadPoolExecutor | None = None
        chosen = [m for m in metrics if m.canonical_only] if enabled else []
        if not chosen:
            return
        self._pool = ThreadPoolExecutor(max_workers=len(chosen),
                                        thread_name_prefix="govwatch-ahead")
        for metric in chosen:
            cursor = con.cursor()
            self._cursors.append(cursor)
            # Forked children stay off until a timed-out analyze under load is explained
            # (FORK_CHILDREN); without fork (Windows) work stays here in any case.
            offload = (in_child if FORK_CHILDREN and "fork" in get_all_start_methods()
                       else in_process)
            ctx = MetricContext(cursor, obs_end, settings, cache={OFFLOAD: offload})
            self._futures[metric.name] = self._pool.submit(metric.compute, ctx)

    def take(self, metric: Metric):
        """The frames of ``metric`` computed ahead (raising what it raised), or None
        when it was not started ahead."""
        future = self._futures.pop(metric.name, None)
        return None if future is None else future.result()

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for cursor in self._cursors:
            cursor.close()
