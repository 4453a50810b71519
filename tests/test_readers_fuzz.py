"""Property tests: each reader fed mangled versions of its own sample never crashes,
explains every reject, and (for line-based formats) loses no valid row."""

from __future__ import annotations

import tempfile
from pathlib import Path

from govwatch.ingest.pipeline import import_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_registry import REPO, SAMPLES

from govwatch.store import Store

FILE_SAMPLES = {
    name: REPO / rel
    for name, (where, rel) in SAMPLES.items()
    if where == "repo" and (REPO / rel).is_file()
}
# Formats where one line is one record (after the header): a mangled line costs
# at most that line.
LINE_FORMATS = {"twitter-v1", "csv"}


def _import(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("input" + FILE_SAMPLES[name].suffix)
        path.write_bytes(data)
        with Store(Path(tmp) / "s.duckdb") as store:
            result = import_file(store, path, name)
            stored = store.count("posts") + store.count("accounts")
            rejects = store.conn.execute("SELECT locator, reason FROM rejects").fetchall()
    return result, stored, rejects


def _baseline(name: str) -> int:
    _, stored, _ = _import(name, FILE_SAMPLES[name].read_bytes())
    return stored


BYTES_MANGLES = st.sampled_from(["truncate", "flip", "delete", "insert_garbage", "nul"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FILE_SAMPLES)), op=BYTES_MANGLES,
       where=st.floats(0, 1), byte=st.integers(0, 255))
def test_mangled_bytes_never_crash_and_every_reject_is_explained(name, op, where, byte):
    data = FILE_SAMPLES[name].read_bytes()
    i = int(where * (len(data) - 1))
    mangled = {
        "truncate": data[:i],
        "flip": data[:i] + bytes([byte]) + data[i + 1:],
        "delete": data[:i] + data[i + 1:],
        "insert_garbage": data[:i] + b"\x00{\xff,\"]" + data[i:],
        "nul": data[:i] + b"\x00" + data[i:],
    }[op]
    result, _, rejects = _import(name, mangled)  # must not raise
    if result.failed:
        assert result.rejects and result.rejects[0].reason
    for locator, reason in rejects:
        assert locator and reason


LINE_MANGLES = st.sampled_from(["drop", "duplicate", "garbage"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(LINE_FORMATS & set(FILE_SAMPLES))), op=LINE_MANGLES,
       where=st.floats(0, 1))
def test_a_mangled_line_costs_at_most_that_line(name, op, where):
    lines = FILE_SAMPLES[name].read_bytes().splitlines(keepends=True)
    header = 1 if name == "csv" else 0
    # only lines that hold a whole record (no quoted newline runs through them)
    i = header + int(where * (len(lines) - header - 1))
    body = lines[i]
    if body.count(b'"') % 2:
        return
    changed = {
        "drop": lines[:i] + lines[i + 1:],
        "duplicate": lines[:i + 1] + lines[i:],
        "garbage": lines[:i] + [b"this is not a record\n"] + lines[i + 1:],
    }[op]
    result, stored, rejects = _import(name, b"".join(changed))
    assert not result.failed
    baseline = _baseline(name)
    assert stored >= baseline - 2  # the record itself, and a stub or account it brought
    if op == "garbage":
        assert len(rejects) >= 1 and all(loc and reason for loc, reason in rejects)
