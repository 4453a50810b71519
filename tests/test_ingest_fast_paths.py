"""Checks of the ingest shortcuts that replace a library call by a quicker one.

The plausible-time check reads each batch's times from their buffers with NumPy instead
of calling ``pyarrow.compute`` (whose import alone costs about a twentieth of a second
of every import); it must find what ``pyarrow.compute`` finds, nulls and slices included.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from govwatch.ingest.pipeline import import_paths
from govwatch.ingest.staging import _implausible
from govwatch.ingest.times import EARLIEST_US, LATEST_US
from hypothesis import given, settings
from hypothesis import strategies as st

from govwatch.store import Store

_TIME = pa.timestamp("us", tz="UTC")
_MICROS = st.one_of(
    st.none(),
    st.integers(EARLIEST_US - 10, EARLIEST_US + 10),
    st.integers(LATEST_US - 10, LATEST_US + 10),
    st.integers(EARLIEST_US, LATEST_US - 1),
    st.integers(-(2**62), 2**62),
)


def _reference(times: pa.Array) -> bool:
    micros = pc.cast(times, pa.int64())
    bad = pc.or_(pc.less(micros, EARLIEST_US), pc.greater_equal(micros, LATEST_US))
    return bool(pc.any(pc.fill_null(bad, False)).as_py())


@settings(max_examples=400, deadline=None)
@given(st.lists(_MICROS, max_size=40), st.data())
def test_implausible_finds_what_pyarrow_compute_finds(values, data):
    times = pa.array(values, pa.int64()).view(_TIME)
    start = data.draw(st.integers(0, len(values)))
    stop = data.draw(st.integers(start, len(values)))
    for piece in (times, times.slice(start, stop - start)):
        assert _implausible(piece) == _reference(piece)


def test_a_bad_time_among_nulls_and_behind_an_offset_is_found():
    ok = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
    times = pa.array([None] * 9 + [EARLIEST_US - 1, ok, None], pa.int64()).view(_TIME)
    assert _implausible(times)
    assert _implausible(times.slice(9))
    assert not _implausible(times.slice(10))
    assert not _implausible(times.slice(0, 9))  # nulls only


@pytest.mark.parametrize("year", [1900, 2150])
def test_an_implausible_tweet_is_rejected_and_the_others_kept(tmp_path, year):
    tweets = [{"id": str(1_700_000_000_000_000_000 + i), "text": f"t{i}", "author_id": "11",
               "created_at": "2024-03-01T10:00:00.000Z"} for i in range(3)]
    tweets[1]["created_at"] = f"{year}-03-01T10:00:00.000Z"
    page = {"data": tweets, "includes": {"users": [{"id": "11", "username": "a", "name": "A"}]}}
    path = tmp_path / "page.jsonl"
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [path]).files[0]
        ids = [r[0] for r in store.conn.execute(
            "SELECT post_id FROM posts ORDER BY post_id").fetchall()]
    assert ids == [tweets[0]["id"], tweets[2]["id"]]
    assert [r.locator for r in f.rejects] == [f"post_id {tweets[1]['id']}"]
    assert "outside the plausible range" in f.rejects[0].reason


def test_a_twarc2_import_loads_neither_pyarrow_compute_nor_pandas(tmp_path):
    """What the import of a clean twarc2 page has no use for stays unloaded."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from govwatch.ingest.pipeline import import_paths\n"
        "from govwatch.store import Store\n"
        f"d = Path({str(tmp_path)!r})\n"
        "page = {'data': [{'id': '1700000000000000001', 'text': 'hi', 'author_id': '11',\n"
        "        'created_at': '2024-03-01T10:00:00.000Z'}],\n"
        "        'includes': {'users': [{'id': '11', 'username': 'a', 'name': 'A'}]}}\n"
        "(d / 'p.jsonl').write_text(json.dumps(page) + '\\n')\n"
        "with Store(d / 's.duckdb') as store:\n"
        "    assert import_paths(store, [d / 'p.jsonl']).files[0].posts_added == 1\n"
        "print(sorted(m for m in ('pyarrow.compute', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
