"""The metric and reader registries load once for every thread: the dashboard serves
requests on many threads, and the first requests after start read the metric registry
together (a page that lists every per-account table, the compare page)."""

from __future__ import annotations

import json
import subprocess
import sys

# In a fresh interpreter (nothing registered yet): threads released together by a
# barrier each read the registry; each prints what it saw, or its error.
SCRIPT = r"""
import json, threading
from govwatch.analysis import registry as metric_registry
from govwatch.ingest import registry as reader_registry

THREADS = 8
barrier = threading.Barrier(THREADS)
seen = []

def read(kind):
    barrier.wait()
    try:
        if kind == "metrics":
            seen.append(("metrics", sorted(m.name for m in metric_registry.metrics())))
        else:
            seen.append(("readers", sorted(reader_registry.readers())))
    except Exception as exc:
        seen.append(("error", f"{type(exc).__name__}: {exc}"))

kind = __import__("sys").argv[1]
threads = [threading.Thread(target=read, args=(kind,)) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(seen))
"""


def _read_together(kind: str) -> list:
    done = subprocess.run([sys.executable, "-c", SCRIPT, kind], capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_threads_reading_the_metric_registry_at_once_all_see_every_metric():
    from govwatch.analysis.registry import metrics

    everything = sorted(m.name for m in metrics())
    seen = _read_together("metrics")
    assert len(seen) == 8
    assert [s for s in seen if s[0] == "error"] == []
    assert all(names == everything for _, names in seen)


def test_threads_reading_the_reader_registry_at_once_all_see_every_reader():
    from govwatch.ingest.registry import readers

    everything = sorted(readers())
    seen = _read_together("readers")
    assert len(seen) == 8
    assert [s for s in seen if s[0] == "error"] == []
    assert all(names == everything for _, names in seen)


def test_a_failed_load_runs_again_and_a_load_from_inside_the_load_returns():
    from govwatch.entrypoints import LoadOnce

    calls = []

    def load():
        calls.append(1)
        once()  # a module that reads the registry while it is being imported
        if len(calls) == 1:
            raise RuntimeError("an entry point failed to import")

    once = LoadOnce(load)
    try:
        once()
    except RuntimeError:
        pass
    else:
        raise AssertionError("the first load's error was hidden")
    assert not once.done
    once()
    assert once.done and len(calls) == 2
    once()
    assert len(calls) == 2
