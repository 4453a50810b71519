"""English word split of a lower-case Latin run (``nepalquake`` -> nepal quake).

wordninja's word list (Wikipedia word frequencies, shipped with the ``wordninja``
package) and its algorithm (dynamic programming over word costs, cost = log of the
word's rank times log of the list's length, Zipf's law), giving the same words.
``import wordninja`` builds the cost of all ~126,000 words as it loads, a third of
a first ``analyze``'s tagging time on a small store (and most hashtags never reach
the split); here the list is read into a rank table and a word's cost is computed
when the split looks it up, with the same arithmetic. The rank table is kept in the
user's cache (:mod:`govwatch.usercache`) as one string of the words in sorted order with
their offsets and ranks, read in a millisecond and searched by bisection; past a few
thousand look-ups (a large store's many hashtags) it becomes the dictionary.
"""

from __future__ import annotations

import gzip
from array import array
from importlib.util import find_spec
from itertools import accumulate
from math import log
from pathlib import Path
from typing import Any

from govwatch import usercache

_UNKNOWN = 9e999  # wordninja's cost of a string not in the list (infinity)
# Bisections before the sorted table becomes a dictionary (about the dictionary's cost)
TABLE_LOOKUPS = 5000


class EnglishSplit:
    """``split(s)`` for a lower-case ASCII letter string, as ``wordninja.split(s)``."""

    def __init__(self, words: list[str]):
        # A repeated word keeps its last rank, as wordninja's cost dict keeps the last.
        self._rank: dict[str, int] | None = dict(zip(words, range(len(words)), strict=True))
        self._n = len(words)
        self._log_n = log(len(words))
        self._maxword = max(map(len, words))
        self._table: tuple[str, array, array] | None = None
        self._lookups = 0

    @classmethod
    def load(cls) -> EnglishSplit:
        spec = find_spec("wordninja")  # finds the module without running it
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError("wordninja is not installed")
        path = Path(spec.origin).parent / "wordninja" / "wordninja_words.txt.gz"
        raw = path.read_bytes()
        key = usercache.entry_key("wordsplit", raw, usercache.code_digest(__name__))
        split = cls.from_table(usercache.load(key))
        if split is None:
            split = cls(gzip.decompress(raw).decode().split())
            usercache.store(key, split.table())
        return split

    def table(self) -> tuple[str, bytes, bytes, int, int]:
        """The rank table as plain data: the distinct words sorted and joined by
        newlines, their start offsets (and the end's) and ranks as 64-bit integers, the
        list's length and its longest word's."""
        assert self._rank is not None
        ordered = sorted(self._rank)
        # each word and its newline, summed up (all in C: the list has 126,000 words)
        offsets = array("q", accumulate(map((1).__add__, map(len, ordered)), initial=0))
        ranks = array("q", map(self._rank.__getitem__, ordered))
        return "\n".join(ordered), offsets.tobytes(), ranks.tobytes(), self._n, self._maxword

    @classmethod
    def from_table(cls, table: Any) -> EnglishSplit | None:
        """:meth:`table`'s data back as a split (None for anything else)."""
        try:
            joined, offsets_bytes, ranks_bytes, n, maxword = table
            offsets, ranks = array("q"), array("q")
            offsets.frombytes(offsets_bytes)
            ranks.frombytes(ranks_bytes)
        except (TypeError, ValueError):
            return None
        if (not isinstance(joined, str) or len(offsets) != len(ranks) + 1 or not ranks
                or offsets[-1] != len(joined) + 1 or not isinstance(n, int) or n < len(ranks)
                or not isinstance(maxword, int)):
            return None
        split = cls.__new__(cls)
        split._rank, split._n, split._log_n, split._maxword = None, n, log(n), maxword
        split._table, split._lookups = (joined, offsets, ranks), 0
        return split

    def _rank_of(self, word: str) -> int | None:
        if self._rank is not None:
            return self._rank.get(word)
        joined, offsets, ranks = self._table  # type: ignore[misc]
        self._lookups += 1
        if self._lookups > TABLE_LOOKUPS:
            self._rank = dict(zip(joined.split("\n"), ranks, strict=True))
            return self._rank.get(word)
        lo, hi = 0, len(ranks)
        while lo < hi:
            mid = (lo + hi) // 2
            if joined[offsets[mid]:offsets[mid + 1] - 1] < word:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(ranks) and joined[offsets[lo]:offsets[lo + 1] - 1] == word:
            return ranks[lo]
        return None

    def _cost(self, word: str) -> float:
        rank = self._rank_of(word)
        return _UNKNOWN if rank is None else log((rank + 1) * self._log_n)

    def split(self, s: str) -> list[str]:
        """The likeliest words of ``s`` (lower-case ASCII letters only: wordninja's
        handling of digits, apostrophes and other characters is not needed here)."""
        if not s:
            return []
        cost = [0.0]
        step = [0]
        maxword = self._maxword
        for i in range(1, len(s) + 1):
            # wordninja's best_match: candidates ordered by length, ties to the shorter
            c, k = min((c + self._cost(s[i - k - 1:i]), k + 1)
                       for k, c in enumerate(reversed(cost[max(0, i - maxword):i])))
            cost.append(c)
            step.append(k)
        out = []
        i = len(s)
        while i > 0:
            k = step[i]
            out.append(s[i - k:i])
            i -= k
        out.reverse()
        return out
