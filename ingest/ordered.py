"""Work on a stream's items in threads, the results given in the stream's order.

The posts CSV's batches are checked and converted with Arrow's compute functions and
NumPy, which release the GIL while they work: with two CPUs, one thread parses the
next block of the file while others convert the blocks parsed before. With one CPU
(a process pinned to it) nothing is started and the items are converted one by one.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")

#: Threads converting at most. Batches held at once: up to MAX_WORKERS + 1 submitted
#: (one may wait for a free thread), plus the one being parsed.
MAX_WORKERS = 2


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None
                ) -> Iterator[R]:
    """``fn(item)`` for each item, in order. With ``workers`` above 1 (by default one per
    usable CPU, at most :data:`MAX_WORKERS`), up to ``workers`` items are converted at
    once while the next is taken from ``items``. An exception raised by ``items`` comes
    after the results of every item taken before it; one raised by ``fn`` comes in that
    item's place. Closing the iterator waits for the items being converted."""
    workers = min(usable_cpus(), MAX_WORKERS) if workers is None else workers
    if workers <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor  # not loaded when sniffing a format

    pending: deque[Future[R]] = deque()
    source = iter(items)
    with ThreadPoolExecutor(workers, thread_name_prefix="govwatch-convert") as pool:
        try:
            while True:
                try:
                    item = next(source)
                except StopIteration:
                    break
                except Exception:  # what was taken before comes first
                    while pending:
                        yield pending.popleft().result()
                    raise
                pending.append(pool.submit(fn, item))
                while len(pending) > workers or (pending and pending[0].done()):
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # closed early, or fn failed: what has not started never will
            for f in pending:
                f.cancel()
