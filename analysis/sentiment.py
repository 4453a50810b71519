"""VADER sentiment, exactly as vaderSentiment scores it.

The text is passed to vaderSentiment unchanged: no lower-casing, no stripping
of emoji, capitals or punctuation (VADER reads all of them). Each distinct text
is scored once and cached in the store by text hash and analyzer version.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import version

import pandas as pd


@cache
def analyzer_version() -> str:
    return f"vaderSentiment-{version('vaderSentiment')}"


@cache
def _analyzer():
    # Built once per process: building it per text is ~100x slower.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def score_texts(texts: list[str]) -> pd.DataFrame:
    """compound, pos, neu, neg for each text (missing text scores as "")."""
    analyzer = _analyzer()
    rows = [analyzer.polarity_scores(t if isinstance(t, str) else "") for t in texts]
    return pd.DataFrame(rows, columns=["neg", "neu", "pos", "compound"])[
        ["compound", "pos", "neu", "neg"]
    ]


def update_cache(con, texts: pd.Series) -> int:
    """Score the distinct texts not yet in ``sentiment_cache``; returns how many were scored."""
    distinct = pd.DataFrame({"text": texts.dropna().unique()})
    if distinct.empty:
        return 0
    distinct["text_hash"] = distinct["text"].map(text_hash)
    con.register("_texts", distinct)
    try:
        missing = con.execute(
            "SELECT t.text_hash, t.text FROM _texts t LEFT JOIN sentiment_cache c "
            "ON c.text_hash = t.text_hash AND c.analyzer_version = ? WHERE c.text_hash IS NULL",
            [analyzer_version()],
        ).df()
    finally:
        con.unregister("_texts")
    if missing.empty:
        return 0
    scores = score_texts(missing["text"].tolist())
    scores.insert(0, "analyzer_version", analyzer_version())
    scores.insert(0, "text_hash", missing["text_hash"].to_numpy())
    con.register("_scores", scores)
    try:
        con.execute("INSERT INTO sentiment_cache BY NAME SELECT * FROM _scores ON CONFLICT DO NOTHING")
    finally:
        con.unregister("_scores")
    return len(scores)
