"""govwatch.arrays builds the arrays pyarrow.array builds, and an import of Twitter JSON
or of a clean posts CSV never loads pandas."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from govwatch.arrays import array, from_numpy, scalar, to_numpy
from govwatch.records import ACCOUNT_ARROW_SCHEMA, POST_ARROW_SCHEMA

ROOT = Path(__file__).resolve().parents[1]
UTC_US = pa.timestamp("us", tz="UTC")
INT64 = st.integers(-(2**63), 2**63 - 1)
TEXT = st.text(st.characters(exclude_categories=("Cs",)))  # what a str column can hold
NO_DEADLINE = settings(deadline=None)  # the first pyarrow.array call loads pandas
TIMES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=st.none() | st.timezones() | st.just(UTC))


def same(values: list, type: pa.DataType) -> pa.Array:
    ours = array(values, type)
    assert ours.type == type
    ours.validate(full=True)
    assert ours.equals(pa.array(values, type)), (ours, values)
    return ours


@NO_DEADLINE
@given(st.lists(st.none() | TEXT))
@example([])
@example([None, None])
@example(["", "é", "日本語", "\U0001f600", "a\x00b"])
def test_strings(values):
    same(values, pa.string())


@NO_DEADLINE
@given(st.lists(st.none() | INT64))
@example([2**63 - 1, -(2**63)])
@example([0, None, 5])
def test_integers(values):
    same(values, pa.int64())
    same([v for v in values if v is None or -(2**31) <= v < 2**31], pa.int32())


@NO_DEADLINE
@given(st.lists(st.none() | st.booleans()))
def test_booleans(values):
    same(values, pa.bool_())


@NO_DEADLINE
@given(st.lists(st.none() | TIMES))
@example([datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5)))])
@example([datetime(2021, 5, 5, 3, 4, 5, 123456), None])  # naive: taken as UTC
def test_utc_microsecond_times(values):
    same(values, UTC_US)


@NO_DEADLINE
@given(st.lists(st.none() | st.lists(TEXT, max_size=4) | st.tuples(TEXT)))
@example([[], None, ["a", "b"], ()])
def test_lists_of_strings(values):
    same(values, pa.list_(pa.string()))


def test_values_only_pyarrow_takes_are_left_to_it():
    """A raw record kept as bytes (a slice of the file's line) is a string to pyarrow."""
    assert array([b"{\"id\": 1}", None], pa.string()).to_pylist() == ['{"id": 1}', None]
    assert array([1.0, None], pa.int64()).to_pylist() == [1, None]


def test_values_no_one_takes_raise_pyarrows_errors():
    for values, type in ([1], pa.string()), (["1"], pa.int64()), ([2**63], pa.int64()), (
            ["2020-01-01"], UTC_US), ([["a", 1]], pa.list_(pa.string())):
        with pytest.raises((pa.ArrowTypeError, pa.ArrowInvalid, OverflowError)):
            array(values, type)


# One filled value of each Arrow type the reader schemas use.
SAMPLES = {"string": "é", "int64": 3, "bool": True, "timestamp[us, tz=UTC]":
           datetime(2024, 5, 1, tzinfo=UTC), "list<item: string>": ["a"]}


def test_every_column_of_the_reader_schemas_is_built_without_loading_pandas():
    """Each type the posts and accounts tables use, filled and null, is built here (a
    type left to pyarrow.array would load pandas again), in a fresh interpreter."""
    types = {str(f.type) for f in (*POST_ARROW_SCHEMA, *ACCOUNT_ARROW_SCHEMA)}
    assert types <= set(SAMPLES), types - set(SAMPLES)
    _without_pandas(
        "import datetime\n"  # the samples' repr names datetime.datetime
        "from govwatch.arrays import array\n"
        "from govwatch.records import ACCOUNT_ARROW_SCHEMA, POST_ARROW_SCHEMA\n"
        f"samples = {SAMPLES!r}\n"
        "for f in (*POST_ARROW_SCHEMA, *ACCOUNT_ARROW_SCHEMA):\n"
        "    assert array([samples[str(f.type)], None], f.type).null_count == 1, f\n"
    )


def _without_pandas(code: str) -> str:
    """Run ``code`` in a fresh interpreter, assert it left pandas unloaded, and return what
    it printed."""
    out = subprocess.run(
        [sys.executable, "-c", code + "import sys\nprint('pandas loaded:', 'pandas' in sys.modules)\n"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "pandas loaded: False", out.stdout + out.stderr
    return out.stdout


@NO_DEADLINE
@given(st.sampled_from([np.int64, np.int32, np.uint8, np.bool_]),
       st.lists(st.integers(0, 100), max_size=40), st.integers(0, 5), st.integers(0, 5))
def test_numpy_round_trips_as_pyarrow_converts(dtype, values, start, stop):
    """from_numpy and to_numpy agree with pyarrow's own conversions, slices (offsets) too."""
    ours = from_numpy(np.array(values).astype(dtype))
    assert ours.equals(pa.array(np.array(values).astype(dtype)))
    sliced = ours.slice(start, max(0, len(values) - start - stop))
    back = to_numpy(sliced)
    assert back.dtype == sliced.to_numpy(zero_copy_only=False).dtype
    assert back.tolist() == sliced.to_numpy(zero_copy_only=False).tolist()


def test_numpy_conversions_refuse_what_they_do_not_handle():
    with pytest.raises(TypeError):
        from_numpy(np.array([1.5]))
    with pytest.raises(TypeError):
        to_numpy(pa.array(["a"]))
    with pytest.raises(ValueError):
        to_numpy(pa.array([1, None]))


def test_scalars_are_pyarrows():
    for value, type in ("", pa.string()), (None, pa.string()), (3, pa.int64()):
        assert scalar(value, type).equals(pa.scalar(value, type))


TWEETS = ROOT / "tests" / "fixtures" / "twitter"
# A page as twarc2 writes it (the API's documented fields, hand-written): a ministry's
# post and a citizen's reply mentioning it.
V2_PAGE = (
    '{"data": [{"id": "1500000000000000001", "text": "Trains run again (línea 2)", "author_id": "11", '
    '"created_at": "2022-03-05T10:00:00.000Z", "conversation_id": "1500000000000000001", '
    '"lang": "en", "public_metrics": {"like_count": 3, "retweet_count": 1, "reply_count": 1}}, '
    '{"id": "1500000000000000002", "text": "@rail_ministry not on my line", "author_id": "22", '
    '"created_at": "2022-03-05T10:05:00.000Z", "conversation_id": "1500000000000000001", '
    '"in_reply_to_user_id": "11", "referenced_tweets": [{"type": "replied_to", '
    '"id": "1500000000000000001"}], "entities": {"mentions": [{"start": 0, "end": 14, '
    '"username": "rail_ministry", "id": "11"}]}}], '
    '"includes": {"users": [{"id": "11", "username": "rail_ministry", "name": "Ministry"}, '
    '{"id": "22", "username": "a_citizen", "name": "A citizen"}]}}\n'
)


@pytest.mark.parametrize("fmt", ["twitter-v2", "twitter-v1", "x-archive", "csv"])
def test_importing_twitter_json_or_a_clean_csv_never_loads_pandas(tmp_path, fmt):
    """pandas takes about half a CPU-second to load: more than reading 10,000 tweets. (A
    CSV batch that is not in the plain form its Arrow path takes, or has a row to reject,
    goes through the row checks, which use pandas.)"""
    if fmt == "twitter-v2":
        path = tmp_path / "page.jsonl"
        path.write_text(V2_PAGE, encoding="utf-8")
    elif fmt == "csv":
        path = tmp_path / "posts.csv"
        path.write_text(
            "platform,post_id,author,created_at,text,in_reply_to_post_id\n"
            "x,1,rail_ministry,2024-05-01T10:00:00Z,Trains run again,\n"
            "x,2,a_citizen,2024-05-01T10:05:00Z,@rail_ministry not on my line,1\n",
            encoding="utf-8")
    else:
        path = TWEETS / ("handwritten_v1.jsonl" if fmt == "twitter-v1" else "x_archive")
    out = _without_pandas(
        "from govwatch.cli import main\n"
        "try:\n"
        f"    main(['ingest', {str(path)!r}, '--format', {fmt!r}, '--db', "
        f"{str(tmp_path / 's.duckdb')!r}])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
    )
    assert "Imported" in out and " 0 new posts" not in out, out
