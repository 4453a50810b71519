"""English word split of a lower-case Latin run (``nepalquake`` -> nepal quake).

wordninja's word list (Wikipedia word frequencies, shipped with the ``wordninja``
package) and its algorithm (dynamic programming over word costs, cost = log of the
word's rank times log of the list's length, Zipf's law), giving the same words.
``import wordninja`` builds the cost of all ~126,000 words as it loads, a third of
a first ``analyze``'s tagging time on a small store (and most hashtags never reach
the split); here the list is read into a rank table and a word's cost is computed
when the split looks it up, with the same arithmetic.
"""

from __future__ import annotations

import gzip
from importlib.util import find_spec
from math import log
from pathlib import Path

_UNKNOWN = 9e999  # wordninja's cost of a string not in the list (infinity)


class EnglishSplit:
    """``split(s)`` for a lower-case ASCII letter string, as ``wordninja.split(s)``."""

    def __init__(self, words: list[str]):
        # A repeated word keeps its last rank, as wordninja's cost dict keeps the last.
        self._rank = dict(zip(words, range(len(words)), strict=True))
        self._log_n = log(len(words))
        self._maxword = max(map(len, words))

    @classmethod
    def load(cls) -> EnglishSplit:
        spec = find_spec("wordninja")  # finds the module without running it
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError("wordninja is not installed")
        path = Path(spec.origin).parent / "wordninja" / "wordninja_words.txt.gz"
        with gzip.open(path) as f:
            return cls(f.read().decode().split())

    def _cost(self, word: str) -> float:
        rank = self._rank.get(word)
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
