"""Topic discovery: themes of the public's messages found by NMF, without a taxonomy.

The taxonomy (analysis/taxonomy.py) tags what the user expects; discovery shows
what people actually write about. Method: TF-IDF of word unigrams and bigrams
over the public's posts (authors not listed as official; no reposts; URLs and
@handles removed; words of 3+ letters; terms in over half of the texts dropped,
which removes function words in any language), then non-negative matrix
factorisation (NMF, deterministic ``nndsvda`` start) into ``n_themes`` themes.

Tables (rebuilt by every ``govwatch analyze``):

- ``discovered_topics``: theme, rank, term, weight (the term's weight in the
  theme), documents (posts whose strongest theme it is);
- ``post_themes``: each public post's strongest theme and its share of the
  post's theme weights (posts with no theme-bearing term have no row).

NMF is fitted on at most ``MAX_FIT_TEXTS`` distinct texts (chosen by hash, so
the choice is reproducible); every public post is then assigned in chunks of
``CHUNK`` posts. A store of more than one chunk assigns them on the run's Dask
cluster when it has one, else on a pool of spawned processes (the ``workers``
execution setting, default the machine's cores): the tokenising and the descent
are pure Python and numpy on one core, about 45 µs a post. Each chunk's descent
is the same wherever it runs, so the tables are too.

Both steps are written here in numpy, with scipy's sparse matrices for the products
(nothing else of scipy, and not scikit-learn: importing those took a quarter of a
first ``analyze`` of a small store). They follow scikit-learn's ``TfidfVectorizer``
and ``NMF(init="nndsvda", solver="cd")`` step by step: the same vocabulary and
TF-IDF weights, the same randomized SVD for the start (its range re-orthonormalised
by QR where scikit-learn uses LU: the same subspace), the same coordinate descent
and stopping rule. On the shipped sample the themes, their terms and every post's
theme equal scikit-learn's, weights within 1e-13 (tests/test_tagging.py compares).

NMF runs with one BLAS thread: its dense products are ``n_themes`` wide, too small
for threads to share, and OpenBLAS's threads spin while they wait. Measured on 2
cores, one thread fitted 4,800 texts in a quarter of the CPU and wall time and
49,000 texts in 0.6-0.9x of both, with the same themes and terms.
"""

from __future__ import annotations

import re
from collections import deque

import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from govwatch.schema import is_private_sql

from .registry import Metric, MetricContext, register_metric
from .slices import run_tasks

N_THEMES = 10
TOP_TERMS = 10
MAX_FIT_TEXTS = 100_000
MIN_TEXTS = 40
CHUNK = 100_000
# A store of at most this many posts is read in one go: one chunk, and all its distinct
# public texts are what the fit would choose.
SMALL_POSTS = min(CHUNK, MAX_FIT_TEXTS)
_CLEAN = re.compile(r"https?://\S+|www\.\S+|@\w+|\brt\b", re.IGNORECASE)
_TOKENS = r"(?u)(?:[^\W\d_]|[\u0900-\u0dff]){3,}"

DISCOVERED_TOPICS_COLUMNS = {
    "theme": "INTEGER",
    "rank": "INTEGER",
    "term": "VARCHAR",
    "weight": "DOUBLE",
    "documents": "BIGINT",
}
POST_THEMES_COLUMNS = {
    "platform": "VARCHAR",
    "post_id": "VARCHAR",
    "theme": "INTEGER",
    "weight": "DOUBLE",
}

_PUBLIC = """
SELECT p.platform, p.post_id, p.text
FROM posts p
WHERE p.text IS NOT NULL AND p.text <> '' AND p.deleted_at IS NULL
  AND coalesce(p.kind, 'post') <> 'repost'
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.official AND a.platform = p.platform
                  AND lower(a.author) = lower(p.author))
  AND NOT """ + is_private_sql("p")


def clean(texts) -> list[str]:
    return [_CLEAN.sub(" ", t) for t in texts]


class _Tfidf:
    """TF-IDF of word unigrams and bigrams, as scikit-learn's ``TfidfVectorizer`` with
    ``token_pattern=_TOKENS, ngram_range=(1, 2), min_df=3, max_df=0.5,
    max_features=50_000, sublinear_tf=True`` (lower-cased; smooth idf; rows of unit
    length), in numpy, into scipy's sparse rows. Where more than ``max_features`` terms
    qualify, the most frequent are kept and ties go to the alphabetically first (where
    scikit-learn's unstable sort leaves them to chance)."""

    def __init__(self, min_df: int = 3, max_df: float = 0.5, max_features: int = 50_000):
        self.min_df, self.max_df, self.max_features = min_df, max_df, max_features

    @staticmethod
    def _terms(texts: list[str]) -> tuple[list[str], np.ndarray]:
        """Every text's terms (words, then bigrams), one list, and each text's count."""
        find = re.compile(_TOKENS).findall
        terms: list[str] = []
        lens = np.zeros(len(texts), dtype=np.int64)
        for i, text in enumerate(clean(texts)):
            words = find(text.lower())
            terms += words
            terms += [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
            lens[i] = 2 * len(words) - 1 if words else 0
        return terms, lens

    @staticmethod
    def _matrix(codes: np.ndarray, lens: np.ndarray, width: int):
        """Counts per (text, term code) in compressed rows; codes -1 (not in the
        vocabulary) dropped."""
        import scipy.sparse as sp  # the sparse matrices only: not scipy.stats, not sklearn

        doc = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
        known = codes >= 0
        key, counts = np.unique(doc[known] * width + codes[known], return_counts=True)
        indptr = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key // width, minlength=len(lens)), out=indptr[1:])
        return sp.csr_matrix((counts.astype(np.float64), key % width, indptr),
                             shape=(len(lens), width))

    def fit_transform(self, texts: list[str]):
        terms, lens = self._terms(texts)
        codes, found = pd.factorize(pd.Series(terms, dtype=object), sort=True)
        counts = self._matrix(codes.astype(np.int64), lens, len(found))
        df = np.bincount(counts.indices, minlength=len(found))
        keep = (df <= self.max_df * len(texts)) & (df >= self.min_df)
        if keep.sum() > self.max_features:
            total = np.bincount(counts.indices, weights=counts.data, minlength=len(found))
            kept = np.flatnonzero(keep)
            keep[:] = False
            keep[kept[np.argsort(-total[kept], kind="stable")[:self.max_features]]] = True
        if not keep.any():
            raise ValueError("After pruning, no terms remain.")
        self.terms_ = np.asarray(found, dtype=object)[keep]
        self.idf_ = np.log((1 + len(texts)) / (1 + df[keep])) + 1.0
        new = np.full(len(found), -1, dtype=np.int64)
        new[keep] = np.arange(int(keep.sum()))
        return self._weighted(self._matrix(new[codes], lens, len(self.terms_)))

    def transform(self, texts: list[str]):
        terms, lens = self._terms(texts)
        codes = pd.Index(self.terms_).get_indexer(pd.Index(terms, dtype=object))
        return self._weighted(self._matrix(codes.astype(np.int64), lens, len(self.terms_)))

    def _weighted(self, x):
        x.data = (np.log(x.data) + 1.0) * self.idf_[x.indices]
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        norms = np.sqrt(np.bincount(rows, weights=x.data ** 2, minlength=x.shape[0]))
        x.data /= norms[rows]
        return x


def _svd(x, k: int, random_state: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` leading singular triplets of ``x`` by randomized SVD (10 extra columns,
    power iterations as scikit-learn chooses: 7, or 4 when k is 10% of the smaller side
    or more; re-orthonormalised by QR; the transpose when it has fewer columns)."""
    n, m = x.shape
    a = x.T.tocsr() if n < m else x  # work on the matrix with fewer columns
    at = a.T.tocsr()
    iters = 7 if k < 0.1 * min(n, m) else 4
    q = np.random.RandomState(random_state).normal(size=(a.shape[1], k + 10))
    for _ in range(iters):
        q = np.linalg.qr(a @ q)[0]
        q = np.linalg.qr(at @ q)[0]
    q = np.linalg.qr(a @ q)[0]
    u_hat, s, vt = np.linalg.svd((at @ q).T, full_matrices=False)
    u = q @ u_hat
    if n < m:  # a = x.T = u s vt: x = vt.T s u.T
        return vt[:k].T, s[:k], u[:, :k].T
    return u[:, :k], s[:k], vt[:k]


def _nndsvda(x, k: int, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """NNDSVD start (Boutsidis and Gallopoulos 2008), zeros filled with the mean of x."""
    u, s, v = _svd(x, k, random_state)
    w = np.zeros_like(u)
    h = np.zeros_like(v)
    w[:, 0] = np.sqrt(s[0]) * np.abs(u[:, 0])
    h[0, :] = np.sqrt(s[0]) * np.abs(v[0, :])
    for j in range(1, k):
        xs, ys = u[:, j], v[j, :]
        xp, yp = np.maximum(xs, 0), np.maximum(ys, 0)
        xn, yn = np.abs(np.minimum(xs, 0)), np.abs(np.minimum(ys, 0))
        xpn, ypn, xnn, ynn = (float(np.sqrt(np.dot(z, z))) for z in (xp, yp, xn, yn))
        mp, mn = xpn * ypn, xnn * ynn
        if mp > mn:
            uu, vv, sigma = xp / xpn, yp / ypn, mp
        else:
            uu, vv, sigma = xn / xnn, yn / ynn, mn
        lbd = np.sqrt(s[j] * sigma)
        w[:, j] = lbd * uu
        h[j, :] = lbd * vv
    w[w < 1e-6] = 0
    h[h < 1e-6] = 0
    avg = x.mean()
    w[w == 0] = avg
    h[h == 0] = avg
    return w, h


def _cd_update(w: np.ndarray, hht: np.ndarray, xht: np.ndarray) -> float:
    """One pass of cyclic coordinate descent over w's columns (scikit-learn's
    ``_update_cdnmf_fast``, every row of a column at once: rows are independent)."""
    violation = 0.0
    for t in range(w.shape[1]):
        grad = w @ hht[t] - xht[:, t]
        col = w[:, t]
        pg = np.where(col == 0, np.minimum(grad, 0.0), grad)
        violation += float(np.abs(pg).sum())
        if hht[t, t] != 0:
            w[:, t] = np.maximum(col - grad / hht[t, t], 0.0)
    return violation


def _coordinate_descent(x, w: np.ndarray, h: np.ndarray, xt,
                        tol: float = 1e-4, max_iter: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """NMF by coordinate descent (Cichocki and Phan 2009), as scikit-learn's solver
    ``cd``: alternate passes over W and H until the projected gradient falls to ``tol``
    of its first value. ``xt`` None: H is fixed (``h``), only W is solved for."""
    ht = np.ascontiguousarray(h.T)
    hht, xht = ht.T @ ht, x @ ht  # constant when H is fixed
    first = None
    for step in range(max_iter):
        if xt is not None and step:
            hht, xht = ht.T @ ht, x @ ht
        violation = _cd_update(w, hht, xht)
        if xt is not None:
            violation += _cd_update(ht, w.T @ w, xt @ w)
        if first is None:
            first = violation
        if first == 0 or violation / first <= tol:
            break
    return w, ht.T


class ThemeModel:
    """TF-IDF + NMF themes; ``fit`` on texts, ``themes`` per text, ``top_terms`` per theme.

    Both in numpy (no scikit-learn or scipy to import): the same TF-IDF as
    scikit-learn's ``TfidfVectorizer`` and the same NMF method as its ``NMF(init="nndsvda",
    solver="cd")``; the randomized SVD of the start differs in rounding only."""

    def __init__(self, n_themes: int = N_THEMES, random_state: int = 0):
        self.n_themes = n_themes
        self.random_state = random_state

    def fit(self, texts: list[str]) -> ThemeModel:
        self.vectorizer_ = _Tfidf()
        matrix = self.vectorizer_.fit_transform(texts)
        k = min(self.n_themes, max(2, matrix.shape[0] // 20), matrix.shape[1])
        with threadpool_limits(1, user_api="blas"):
            w, h = _nndsvda(matrix, k, self.random_state)
            self.components_ = _coordinate_descent(matrix, w, h, matrix.T.tocsr())[1]
        return self

    def top_terms(self, n: int = TOP_TERMS) -> pd.DataFrame:
        terms = self.vectorizer_.terms_
        rows = []
        for theme, weights in enumerate(self.components_):
            order = np.argsort(-weights, kind="stable")[:n]
            rows += [(theme, rank + 1, str(terms[i]), float(weights[i]))
                     for rank, i in enumerate(order) if weights[i] > 0]
        return pd.DataFrame(rows, columns=["theme", "rank", "term", "weight"])

    def themes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Strongest theme per text (-1 for none) and its share of the text's weights."""
        x = self.vectorizer_.transform(texts)
        with threadpool_limits(1, user_api="blas"):
            w = _coordinate_descent(x, np.zeros((len(texts), len(self.components_))),
                                    self.components_, None)[0]
        total = w.sum(axis=1)
        best = w.argmax(axis=1)
        share = np.divide(w.max(axis=1), total, out=np.zeros(len(texts)), where=total > 0)
        return np.where(total > 0, best, -1), share


@register_metric
class TopicDiscovery(Metric):
    name = "topics"
    description = "Themes of the public's messages found by NMF on TF-IDF (no taxonomy needed)."
    tables = {"discovered_topics": DISCOVERED_TOPICS_COLUMNS, "post_themes": POST_THEMES_COLUMNS}
    table_descriptions = {
        "discovered_topics": "themes discovered in the messages",
        "post_themes": "the theme of each message",
    }

    canonical_only = True  # posts and accounts only

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        con = ctx.con
        posts = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
        public = None
        if posts <= SMALL_POSTS:
            # A small store: its public posts in one read, fitted on all their distinct
            # texts (what the query below chooses when there are at most MAX_FIT_TEXTS).
            public = con.sql(f"{_PUBLIC} ORDER BY p.platform, p.post_id").to_arrow_table()
            texts = public.column("text").to_pylist()
            fit_texts = sorted(set(texts))
        else:
            fit_texts = sorted(r[0] for r in con.execute(
                f"SELECT DISTINCT text FROM ({_PUBLIC}) ORDER BY md5(text) LIMIT ?",
                [MAX_FIT_TEXTS]).fetchall())
        model = _fit(fit_texts)
        if model is None:
            return _empty()
        terms = model.top_terms()
        if public is not None:
            parts = [_keyed(public, *model.themes(texts))]
        else:
            # Keys stay in Arrow (a few bytes a post, not a Python string each): the
            # public posts of a large store number in the millions.
            total = (con.execute(f"SELECT count(*) FROM ({_PUBLIC})").fetchall()[0][0]
                     if ctx.progress else 0)
            reader = con.sql(f"{_PUBLIC} ORDER BY p.platform, p.post_id").to_arrow_reader(CHUNK)
            parts = list(_assign(ctx, model, (chunk for chunk in reader if chunk.num_rows),
                                 total))
        return _frames(terms, parts)


def _assign(ctx: MetricContext, model: ThemeModel, chunks, total: int = 0):
    """``_keyed`` of every chunk's themes, in chunk order, on the run's workers
    (:func:`govwatch.analysis.slices.run_tasks`); only the texts travel, the keys stay.
    Each chunk done is reported to ``ctx.progress`` (posts done of ``total``)."""
    keys: deque = deque()
    done = 0

    def tasks():
        for chunk in chunks:
            keys.append(chunk.select(["platform", "post_id"]))
            yield model, chunk.column("text").to_pylist()

    for theme, share in run_tasks(ctx, _themes, tasks()):
        chunk_keys = keys.popleft()
        done += chunk_keys.num_rows
        if ctx.progress:
            ctx.progress(done, total)
        yield _keyed(chunk_keys, theme, share)


def _themes(model: ThemeModel, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """In a worker: the strongest theme of each text and its share."""
    return model.themes(texts)


def _fit(texts: list[str]) -> ThemeModel | None:
    """The model fitted on ``texts`` (sorted, distinct); None when there are too few
    texts or no term occurs in 3 or more of them."""
    if len(texts) < MIN_TEXTS:
        return None
    try:
        return ThemeModel().fit(texts)
    except ValueError:  # no term occurs in 3+ texts
        return None


def _keyed(chunk, theme: np.ndarray, share: np.ndarray) -> pa.Table:
    """The keys of ``chunk``'s posts that have a theme, with it and its share."""
    keep = pa.array(theme >= 0)
    return pa.table({
        "platform": chunk.column("platform").filter(keep),
        "post_id": chunk.column("post_id").filter(keep),
        "theme": pa.array(theme.astype("int32")).filter(keep),
        "weight": pa.array(share.astype("float64")).filter(keep),
    })


def _frames(terms: pd.DataFrame, parts: list[pa.Table]) -> dict[str, pd.DataFrame]:
    if parts:
        posts = pa.concat_tables(parts).to_pandas(types_mapper=pd.ArrowDtype)
        posts["theme"] = posts["theme"].astype("int32")
        posts["weight"] = posts["weight"].astype("float64")
    else:
        posts = _empty()["post_themes"]
    counts = posts["theme"].value_counts()
    terms["documents"] = terms["theme"].map(counts).fillna(0).astype("int64")
    terms["theme"] = terms["theme"].astype("int32")
    terms["rank"] = terms["rank"].astype("int32")
    return {"discovered_topics": terms[list(DISCOVERED_TOPICS_COLUMNS)],
            "post_themes": posts[list(POST_THEMES_COLUMNS)]}


def _empty() -> dict[str, pd.DataFrame]:
    return {
        "discovered_topics": pd.DataFrame({
            "theme": pd.Series(dtype="int32"), "rank": pd.Series(dtype="int32"),
            "term": pd.Series(dtype=object), "weight": pd.Series(dtype="float64"),
            "documents": pd.Series(dtype="int64")}),
        "post_themes": pd.DataFrame({
            "platform": pd.Series(dtype=object), "post_id": pd.Series(dtype=object),
            "theme": pd.Series(dtype="int32"), "weight": pd.Series(dtype="float64")}),
    }
