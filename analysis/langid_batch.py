"""py3langid's choice of language for many texts at once, identical to its ``classify``.

py3langid classifies one text at a time: it walks the text's UTF-8 bytes through a
finite automaton in Python (one dictionary-free array look-up per byte), counts the
byte n-gram features the walk emits, and scores each language as
``log1p(counts) @ P + prior`` (naive Bayes, float32, ``P`` stored as float16). The
walk is most of its cost (about 30 µs of a tweet's 55).

:func:`classify_many` runs the same automaton over thousands of texts in step: the
texts sorted by length, byte *t* of every text still that long moved through the
automaton with one numpy gather, so the Python loop runs once per byte position,
not once per byte. The feature counts go into a sparse matrix and every text is
scored with one product, in float64.

Identical, not close: float64 sums in another order can differ from py3langid's
float32 ones in the last bits, so a text whose two best languages are nearly tied
could be decided differently. For each text the worst-case difference is bounded
(``(k + 8) * 2**-24 * sum|log1p(count) * P|`` for k features, plus the rounding of
py3langid's normalisation: scaling by ``1/sqrt(bytes)``, ``exp``, division); where the top two scores are closer than the bounds
of both allow, the text goes to py3langid's own ``classify``. Everywhere else
both computations must agree on the best language, as does py3langid's
normalisation (``exp`` of scores scaled by a positive number keeps their order).
A text with no feature at all gets py3langid's answer for that case (its first
language: every score equal). An identifier with aliased languages or a
``min_confidence`` is classified text by text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

# Texts moved through the automaton together (bounds the padded byte matrix).
CHUNK = 8192
_U32 = 2.0 ** -24  # float32 unit roundoff


class BatchClassifier:
    """The arrays of one (restricted) py3langid identifier, ready for batches."""

    def __init__(self, ident, slack: float = 1.0):
        self.ident = ident
        self.slack = slack  # widens the near-tie bound (a test sends every text to py3langid)
        self.labels = list(ident.nb_classes)
        # views of py3langid's own arrays (the automaton's 9.8M entries are not copied)
        self._next = np.frombuffer(ident.tk_nextmove, dtype=np.dtype(ident.tk_nextmove.typecode))
        self._rowbase = np.frombuffer(ident.tk_row, dtype=np.dtype(ident.tk_row.typecode)
                                      ).astype(np.int64) << 8
        self._output = np.asarray(ident.tk_output, dtype=np.int32)
        self._ptc = np.asarray(ident.nb_ptc, dtype=np.float64)
        self._abs_ptc = np.abs(self._ptc)
        self._pc = np.asarray(ident.nb_pc, dtype=np.float64)
        self._exact_only = bool(ident._alias_pairs) or ident.min_confidence is not None
        self.fallbacks = 0  # texts sent to py3langid's own classify (near ties)

    def classify_many(self, texts: Sequence[str]) -> list[str]:
        """The language py3langid's ``classify(text)[0]`` gives each text."""
        if self._exact_only:
            return [self.ident.classify(t)[0] for t in texts]
        encoded = [self.ident._encode(t) for t in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        order = np.argsort(-lengths, kind="stable")
        out: list[str | None] = [None] * len(texts)
        for lo in range(0, len(order), CHUNK):
            part = order[lo:lo + CHUNK]
            best = self._decide([encoded[i] for i in part], lengths[part])
            for i, b in zip(part.tolist(), best.tolist(), strict=True):
                out[i] = self.labels[b] if b >= 0 else self.ident.classify(texts[i])[0]
        return out  # type: ignore[return-value]

    def _counts(self, encoded: list[bytes], lengths: np.ndarray) -> sp.csr_matrix:
        """Feature counts (texts x features); ``encoded`` sorted longest first."""
        n, width = len(encoded), int(lengths[0]) if len(lengths) else 0
        grid = np.zeros((width, n), dtype=np.uint8)  # byte t of text j at [t, j]
        flat = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        cols = np.repeat(np.arange(n), lengths)
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        grid[np.arange(len(flat)) - starts, cols] = flat
        # how many texts are longer than t, for each t (lengths descend)
        active = np.searchsorted(-lengths, -np.arange(width), side="left")
        state = np.zeros(n, dtype=self._next.dtype)
        rows, feats = [], []
        nxt, rowbase, output = self._next, self._rowbase, self._output
        for t in range(width):
            m = active[t]
            s = nxt[rowbase[state[:m]] + grid[t, :m]]
            state[:m] = s
            f = output[s]
            hit = np.flatnonzero(f >= 0)
            if len(hit):
                rows.append(hit)
                feats.append(f[hit])
        if rows:
            r, f = np.concatenate(rows), np.concatenate(feats)
        else:
            r = f = np.zeros(0, dtype=np.int64)
        counts = sp.coo_matrix((np.ones(len(r)), (r, f)), shape=(n, len(self._ptc))).tocsr()
        counts.sum_duplicates()
        return counts

    def _decide(self, encoded: list[bytes], lengths: np.ndarray) -> np.ndarray:
        """Index of the best language per text, or -1 where only py3langid's own
        float32 computation can decide (a near tie)."""
        counts = self._counts(encoded, lengths)
        k = np.diff(counts.indptr)
        counts.data = np.log1p(counts.data)
        scores = np.asarray(counts @ self._ptc) + self._pc
        magnitude = np.asarray(counts @ self._abs_ptc) + np.abs(self._pc)
        best = np.argmax(scores, axis=1)
        if scores.shape[1] < 2:
            return np.where(k > 0, best, 0)
        rows = np.arange(len(best))
        top = scores[rows, best]
        rest = scores.copy()
        rest[rows, best] = -np.inf
        second = np.argmax(rest, axis=1)
        runner = scores[rows, second]
        gamma = (k + 8) * _U32 / (1 - (k + 8) * _U32)
        # the sums' rounding, then py3langid's scaling by 1/sqrt(bytes), exp and
        # division: the scaled gap must stay well above float32's resolution near 1
        bound = (gamma * (magnitude[rows, best] + magnitude[rows, second])
                 + 8 * _U32 * (np.abs(top) + np.abs(runner))
                 + 2.0 ** -20 * np.sqrt(np.maximum(lengths, 1)))
        decided = np.where(top - runner > self.slack * bound, best, -1)
        self.fallbacks += int(np.count_nonzero(decided < 0))
        # no feature: py3langid scores every language 0 and takes the first
        return np.where(k > 0, decided, 0)
