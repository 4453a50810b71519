"""The posts CSV's UTF-8 gate and its converting threads (ingest/arrow_csv.py,
ingest/ordered.py)."""

from __future__ import annotations

import io
import random
import threading
import time

import pytest
from govwatch.ingest.arrow_csv import _Utf8Only
from govwatch.ingest.ordered import ordered_map


def _gate(blocks: list[bytes]) -> int:
    """How many blocks the gate passes before it raises; len(blocks) + 1 when it never does."""
    gate = _Utf8Only(io.BytesIO(b"".join(blocks)))
    buf = bytearray(max(map(len, blocks), default=1) or 1)
    for i, block in enumerate(blocks):
        try:
            got = gate.readinto(memoryview(buf)[:len(block)])
        except OSError:
            return i
        assert got == len(block)
    try:
        gate.readinto(buf)
    except OSError:
        return len(blocks)
    return len(blocks) + 1


def _valid(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_the_utf8_gate_passes_valid_text_and_nothing_invalid_that_could_end_a_row():
    """Valid UTF-8 passes whole; invalid UTF-8 raises, by the end of the file at the
    latest, and what passed before is valid but for the start of one character (at most
    three bytes, none ASCII: no separator or line end, so no row Arrow could deliver)."""
    rng = random.Random(11)
    chars = ["a", ",", "\n", "\u00e9", "\u0915", "\u20ac", "\U0001f600", "\u044f"]
    bad = [b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe0\x80", b"\xf4\x90\x80\x80",
           b"\xc3", b"\xf0\x9f\x98"]
    refused = 0
    for trial in range(3000):
        data = "".join(rng.choice(chars) for _ in range(rng.randrange(0, 40))).encode()
        if trial % 2:  # a bad sequence somewhere
            at = rng.randrange(0, len(data) + 1)
            data = data[:at] + rng.choice(bad) + data[at:]
        cuts = sorted(rng.sample(range(1, len(data)), min(3, max(0, len(data) - 1))))
        blocks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        blocks = [b for b in blocks if b]
        passed = _gate(blocks)
        if _valid(data):
            assert passed == len(blocks) + 1, (blocks, trial)
            continue
        refused += 1
        assert passed <= len(blocks), (blocks, trial)
        seen = b"".join(blocks[:passed])
        assert any(_valid(seen[:len(seen) - j]) and seen[len(seen) - j:].isascii() is (j == 0)
                   for j in range(4)), (blocks, trial)
    assert refused > 1000


def test_ordered_map_keeps_order_with_threads():
    def slow(i: int) -> tuple[int, str]:
        time.sleep(0.002 * (i % 3))
        return i, threading.current_thread().name

    got = list(ordered_map(slow, range(40), workers=2))
    assert [i for i, _ in got] == list(range(40))
    assert any(name.startswith("govwatch-convert") for _, name in got)
    assert all(name == threading.current_thread().name
               for _, name in ordered_map(slow, range(5), workers=1))


class _Stop(Exception):
    pass


def test_ordered_map_gives_what_came_before_a_failing_source():
    def source():
        yield from range(7)
        raise _Stop

    got = []
    with pytest.raises(_Stop):
        for x in ordered_map(lambda i: i * 10, source(), workers=2):
            got.append(x)
    assert got == [i * 10 for i in range(7)]


def test_ordered_map_raises_a_failing_item_in_its_place():
    def fn(i: int) -> int:
        if i == 5:
            raise ValueError("item 5")
        return i

    got = []
    with pytest.raises(ValueError, match="item 5"):
        for x in ordered_map(fn, range(20), workers=2):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]
