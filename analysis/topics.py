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
the choice is reproducible); every public post is then assigned in chunks.

NMF runs with one BLAS thread: its dense products are ``n_themes`` wide, too small
for threads to share, and OpenBLAS's threads spin while they wait. Measured on 2
cores, one thread fitted 4,800 texts in a quarter of the CPU and wall time and
49,000 texts in 0.6-0.9x of both, with the same themes and terms.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from govwatch.schema import is_private_sql

from .registry import Metric, MetricContext, register_metric

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


class ThemeModel:
    """TF-IDF + NMF themes; ``fit`` on texts, ``themes`` per text, ``top_terms`` per theme."""

    def __init__(self, n_themes: int = N_THEMES, random_state: int = 0):
        self.n_themes = n_themes
        self.random_state = random_state

    def fit(self, texts: list[str]) -> ThemeModel:
        from sklearn.decomposition import NMF
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(token_pattern=_TOKENS, ngram_range=(1, 2), min_df=3,
                                           max_df=0.5, max_features=50_000, sublinear_tf=True)
        matrix = self.vectorizer_.fit_transform(clean(texts))
        k = min(self.n_themes, max(2, matrix.shape[0] // 20), matrix.shape[1])
        self.nmf_ = NMF(n_components=k, init="nndsvda", max_iter=300, random_state=self.random_state)
        with threadpool_limits(1, user_api="blas"):
            self.nmf_.fit(matrix)
        return self

    def top_terms(self, n: int = TOP_TERMS) -> pd.DataFrame:
        terms = self.vectorizer_.get_feature_names_out()
        rows = []
        for theme, weights in enumerate(self.nmf_.components_):
            order = np.argsort(-weights, kind="stable")[:n]
            rows += [(theme, rank + 1, str(terms[i]), float(weights[i]))
                     for rank, i in enumerate(order) if weights[i] > 0]
        return pd.DataFrame(rows, columns=["theme", "rank", "term", "weight"])

    def themes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Strongest theme per text (-1 for none) and its share of the text's weights."""
        with threadpool_limits(1, user_api="blas"):
            w = self.nmf_.transform(self.vectorizer_.transform(clean(texts)))
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
            reader = con.sql(f"{_PUBLIC} ORDER BY p.platform, p.post_id").to_arrow_reader(CHUNK)
            parts = [_keyed(chunk, *model.themes(chunk.column("text").to_pylist()))
                     for chunk in reader if chunk.num_rows]
        return _frames(terms, parts)


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
