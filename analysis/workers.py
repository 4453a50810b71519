"""Worker processes that end with their parent.

A pool worker made by fork inherits the write end of its own task pipe, so when
the parent is killed (``kill -9`` of ``govwatch analyze``) it never sees the pipe
close: it waits forever, holding its memory and the store's open file. Every
process pool of the analysis starts its workers with :func:`die_with_parent`
(``initializer=die_with_parent, initargs=(os.getpid(),)``, or called first in a
pool's own initializer): a daemon thread in the worker checks every
:data:`CHECK_SECONDS` whether its parent is still the process that started it
and ends the worker at once (``os._exit``) when it is not. Portable (no
``prctl``, which on Linux would also fire when the starting *thread* ends).
"""

from __future__ import annotations

import os
import threading

CHECK_SECONDS = 0.25


def die_with_parent(parent: int, interval: float = CHECK_SECONDS) -> None:
    """In a worker: end this process as soon as ``parent`` is no longer its parent."""
    if os.getppid() != parent:  # the parent died before the worker started
        os._exit(1)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            threading.Event().wait(interval)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()
