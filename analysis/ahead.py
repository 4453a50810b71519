"""Metrics computed ahead: while ``govwatch analyze`` tags posts, on the second core.

A metric whose tables depend only on the canonical tables (posts, accounts, events)
and the settings, never on tags or on another metric's tables, sets
``Metric.canonical_only``. On a small store (fewer posts than
``tagging.POOL_MIN_POSTS``, where tagging runs in this process and leaves a core idle;
never beside the tagging pool, whose workers are forked and must not be forked from a
process with these threads running) the pipeline starts
such metrics before tagging, each in a thread of its own on its own cursor (a
connection of the same database: it reads what is committed, which is what the
metric would read later inside the analysis transaction, since analyze changes no
canonical table). DuckDB releases the GIL while a query runs, and so do NumPy's and
scikit-learn's compiled loops; the metric's pure-Python work shares the GIL with
tagging. (Topic discovery's fit in a forked process was tried and taken out: one
analyze under heavy load timed out with it, cause not found.) At its turn
in the registry's order the pipeline takes the metric's frames (:meth:`Ahead.take`)
instead of computing them, and writes them inside the transaction as before: the
tables are the same as computed in turn (tests/test_ahead.py compares every derived
table).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from .registry import Metric, MetricContext


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
        try:
            for metric in chosen:
                cursor = con.cursor()
                self._cursors.append(cursor)
                ctx = MetricContext(cursor, obs_end, settings, cache={})
                self._futures[metric.name] = self._pool.submit(metric.compute, ctx)
        except BaseException:
            self.__exit__()
            raise

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
