"""Entry points of one group (third-party readers and metrics), found without
``importlib.metadata``.

``importlib.metadata.entry_points(group=...)`` imports ``email``, ``inspect`` and ``ast``
and builds a distribution object for every package on ``sys.path``: about 20 ms, most of
what ``govwatch formats`` cost over a bare interpreter. Here each folder on ``sys.path``
is listed once and only the ``entry_points.txt`` of its ``*.dist-info`` and ``*.egg-info``
folders are read, with the same rules: the first distribution of a name on ``sys.path``
wins (later copies of it are ignored), ``[group]`` sections hold ``name = module:attr``
lines, ``#`` starts a comment. A path entry that is not a folder (a zip or egg
file) makes this fall back to ``importlib.metadata``, which reads those too.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

_INFO = re.compile(r"\.(?:dist|egg)-info$", re.IGNORECASE)


@dataclass(frozen=True)
class EntryPoint:
    """``name = value`` of ``group``; ``load()`` imports and returns the object."""

    name: str
    value: str
    group: str

    def load(self):
        module, _, attrs = self.value.partition(":")
        obj = import_module(module.strip())
        for attr in filter(None, attrs.split("[")[0].strip().split(".")):
            obj = getattr(obj, attr)
        return obj


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _sections(text: str, group: str) -> list[tuple[str, str]]:
    """The ``name = value`` lines of section ``[group]`` of an entry_points.txt."""
    out, inside = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` of the distributions on ``sys.path``, in path order."""
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for entry in sys.path:
        folder = entry or "."
        try:
            names = sorted(os.listdir(folder))
        except NotADirectoryError:
            from importlib.metadata import entry_points as metadata_entry_points

            return [EntryPoint(ep.name, ep.value, group)
                    for ep in metadata_entry_points(group=group)]
        except OSError:
            continue
        for name in names:
            if _INFO.search(name) is None:
                continue
            dist = _normalised(name.rpartition(".")[0].partition("-")[0])
            if dist in seen:
                continue
            seen.add(dist)
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            if group in text:
                found += [EntryPoint(n, v, group) for n, v in _sections(text, group)]
    return found


class LoadOnce:
    """A registry's loader (import the shipped modules, then the entry points), run once
    for every thread of the process: the dashboard serves requests on many threads, and
    a request that found the registry half-filled by another request's load would miss
    entries. Callers wait for a load in progress. A load that fails runs again on the
    next call, so an error is never hidden behind a half-filled registry. A call made
    from inside the load (a module that reads the registry as it is imported) returns at
    once."""

    def __init__(self, load: Callable[[], None]):
        self._load = load
        self._lock = threading.RLock()
        self._running = False
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        with self._lock:
            if self.done or self._running:
                return
            self._running = True
            try:
                self._load()
            finally:
                self._running = False
            self.done = True
