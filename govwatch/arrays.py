"""Python values to Arrow and back, without pandas.

``pyarrow.array`` asks whether pandas is installed before it converts any list (to
tell pandas objects apart), and so imports it: about half a CPU-second, more than
reading 10,000 tweets. ``pyarrow.scalar`` (and so every Python literal handed to a
``pyarrow.compute`` function) and ``Array.to_numpy`` do too. A reader that builds its
columns as Python lists (the Twitter and X readers) converts them here instead, with
nanoarrow's builders; the posts CSV's Arrow path takes its literals and NumPy arrays
from here. An import of such a file never loads pandas. nanoarrow also builds a string
array in about half the time pyarrow takes.

:func:`array` gives the array ``pyarrow.array(values, type)`` gives for the types the
posts and accounts tables use (strings, 64-bit integers, booleans, UTC microsecond
times and lists of strings); tests/test_arrays.py holds it to ``pyarrow.array``.
Other types are left to ``pyarrow.array``.
"""

from __future__ import annotations

import sys
from array import array as _machine_array
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate, chain

import numpy as np
import pyarrow as pa

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
# The columns nanoarrow builds (imported on the first one: a tenth of a second that a
# command building no column, such as an analyze, need not pay).
_NANOARROW_TYPES = {pa.string(): "string", pa.int64(): "int64", pa.bool_(): "bool_",
                    pa.int32(): "int32"}
# Integers without nulls go through the array module, four times quicker than nanoarrow:
# its machine integers are Arrow's own layout on a little-endian machine.
_MACHINE_CODES = {pa.int64(): "q", pa.int32(): "i"} if sys.byteorder == "little" else {}
# String lists up to this long are built here from their buffers (see _small_strings);
# longer ones by nanoarrow, which is quicker per value.
_SMALL = 64 if sys.byteorder == "little" else 0


def array(values: Sequence, type: pa.DataType) -> pa.Array:
    """``values`` (Python objects, None for null) as an Arrow array of ``type``.

    Values are expected in the column's own Python type (str, int, bool, datetime, a
    list of str), as govwatch's readers build them. A value the builders here do not
    take (a bytes-like raw record, a float in an integer column) sends the whole list
    to ``pyarrow.array``, which converts it or raises its own error.
    """
    try:
        built = _build(values, type)
    except (TypeError, ValueError, OverflowError, AttributeError):
        built = None
    return pa.array(values, type) if built is None else built


def _build(values: Sequence, type: pa.DataType) -> pa.Array | None:
    if (isinstance(values, list | tuple) and values and values[0] is None
            and values.count(None) == len(values)):
        return pa.nulls(len(values), type)  # a column the reader never fills (deleted_at)
    code = _MACHINE_CODES.get(type)
    if code is not None:
        try:
            data = _machine_array(code, values)
        except TypeError:  # a null: nanoarrow builds the validity bitmap
            pass
        else:
            return pa.Array.from_buffers(type, len(data), [None, pa.py_buffer(data)])
    if type == pa.string() and len(values) <= _SMALL:
        small = _small_strings(values)
        if small is not None:
            return small
    simple = _NANOARROW_TYPES.get(type)
    if simple is not None:
        import nanoarrow as na

        return pa.array(na.c_array(values, getattr(na, simple)()))
    if _is_us_time(type):
        try:  # aware times, the usual case, inline
            micros = [None if v is None else (v - _EPOCH) // _MICROSECOND for v in values]
        except TypeError:  # a naive time among them
            micros = [None if v is None else _micros(v) for v in values]
        ints = _build(micros, pa.int64())
        assert ints is not None  # int64 always has a machine code
        return ints.view(type)
    if _is_string_list(type):
        return _string_lists(values, type)
    return None


def _small_strings(values: Sequence) -> pa.Array | None:
    """A few strings (no null) as a string array built from its buffers: the literals of
    the posts CSV's checks, without loading nanoarrow for them (its import costs more
    than the whole of a one-post import's conversion). None if a value is not a str."""
    if not all(type(v) is str for v in values):
        return None
    data = [v.encode("utf-8") for v in values]
    offsets = _machine_array("i", [0, *accumulate(map(len, data))])
    return pa.Array.from_buffers(pa.string(), len(data),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def scalar(value: object, type: pa.DataType) -> pa.Scalar:
    """``pyarrow.scalar(value, type)``, which would load pandas, as the one value of an
    array: for the literals handed to ``pyarrow.compute`` functions."""
    return array([value], type)[0]


def from_numpy(values: np.ndarray) -> pa.Array:
    """A one-dimensional NumPy array of integers or booleans as an Arrow array (integers
    without a copy), without ``pyarrow.array``'s look for pandas."""
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    if values.dtype.kind not in "iu":
        raise TypeError(f"from_numpy takes integers or booleans, not {values.dtype}")
    data = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(data.dtype), len(data),
                                 [None, pa.py_buffer(data)])


def to_numpy(values: pa.Array) -> np.ndarray:
    """An Arrow array of integers or booleans without nulls as NumPy (integers without a
    copy), without ``Array.to_numpy``, whose conversion loads pandas."""
    if values.null_count:
        raise ValueError("to_numpy takes arrays without nulls")
    n, offset, data = len(values), values.offset, values.buffers()[1]
    if pa.types.is_boolean(values.type):
        bits = np.unpackbits(np.frombuffer(data, np.uint8), count=offset + n, bitorder="little")
        return bits[offset:].view(np.bool_)
    if not pa.types.is_integer(values.type):
        raise TypeError(f"to_numpy takes integers or booleans, not {values.type}")
    dtype = np.dtype(str(values.type))  # int8 ... uint64: NumPy's names too
    return np.frombuffer(data, dtype, count=n, offset=offset * dtype.itemsize)


def _is_us_time(type: pa.DataType) -> bool:
    return pa.types.is_timestamp(type) and type.unit == "us"


def _is_string_list(type: pa.DataType) -> bool:
    return pa.types.is_list(type) and type.value_type == pa.string()


def _micros(value: datetime) -> int:
    """Microseconds since the epoch; a naive time is taken as UTC, as pyarrow takes it."""
    epoch = _NAIVE_EPOCH if value.tzinfo is None else _EPOCH
    return (value - epoch) // _MICROSECOND


def _string_lists(values: Sequence, type: pa.DataType) -> pa.Array:
    mask = None
    try:
        offsets = [0, *accumulate(map(len, values))]
    except TypeError:  # a null list
        mask = array([v is None for v in values], pa.bool_())
        values = [() if v is None else v for v in values]
        offsets = [0, *accumulate(map(len, values))]
    flat = list(chain.from_iterable(values))
    return pa.ListArray.from_arrays(array(offsets, pa.int32()), array(flat, pa.string()),
                                    type=type, mask=mask)
