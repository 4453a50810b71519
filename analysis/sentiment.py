"""VADER sentiment, exactly as vaderSentiment scores it, once per distinct text.

The text goes to vaderSentiment's ``SentimentIntensityAnalyzer.polarity_scores``
unchanged: no lower-casing, no stripping of emoji, capitals or punctuation
(VADER reads all of them), so every score equals vaderSentiment's own. The
analyzer is a subclass that skips work whose result is known in advance
(``govwatch.analysis.vader_fast``: about half of VADER's time per tweet), tested
equal to vaderSentiment on the test corpora (generated rule-word mixes, arbitrary
Unicode, VADER's 4,200 rated tweets).

- English texts are scored with VADER's own lexicon. Texts without any letter
  (only emoji, emoticons, punctuation) are scored too: VADER reads emoji.
- Another language gets a score only when the user configures a VADER-format
  lexicon for it (``word<TAB>mean valence[<TAB>...]`` per line, loaded with
  ``SentimentIntensityAnalyzer(lexicon_file=...)``); otherwise its sentiment is
  NULL with a note such as "language 'hi' has no VADER lexicon".
- Scores are cached in ``sentiment_cache`` by text hash (SHA-256 of the UTF-8
  text, the same as DuckDB's ``sha256()``) and analyzer version, which names the
  vaderSentiment release and, for a configured lexicon, its content hash. The
  cache has no index (it grows with the store, and an index of every text made
  each batch cost more than the one before): lookups join on ``text_key``, the
  first 124 bits of the hash as an integer, and the writes keep each (text hash,
  analyzer version) once themselves (:func:`insert_scores`).
- Large batches are spread over a process pool (VADER is pure Python: one
  process scores ~14-30k texts/s once its analyzer is built).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import pandas as pd

from govwatch.errors import InputError, read_text

from .workers import die_with_parent

SCORE_COLUMNS = ("compound", "pos", "neu", "neg")
ENGLISH = "en"
# Below this many texts to score, a pool costs more (worker start-up) than it saves.
POOL_MIN_TEXTS = 40_000
_CHUNK = 10_000


@cache
def vader_version() -> str:
    return f"vaderSentiment-{version('vaderSentiment')}"


def analyzer_version(lexicon: str | os.PathLike | None = None) -> str:
    """Cache key part naming the analyzer: the release, plus a lexicon's content hash."""
    if lexicon is None:
        return vader_version()
    return f"{vader_version()}+lexicon-{_file_digest(str(lexicon))}"


@cache
def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def text_hash(text: str) -> str:
    """SHA-256 hex of the UTF-8 text (equal to DuckDB's ``sha256(text)``)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_lexicon(path: str | os.PathLike) -> Path:
    """Validate a VADER-format lexicon file; raise InputError naming file and line."""
    path = Path(path)
    text = read_text(path, "lexicon")
    entries = 0
    for number, line in enumerate(text.rstrip("\n").split("\n"), start=1):
        if not line.strip():
            continue
        parts = line.strip().split("\t")
        if len(parts) < 2:
            raise InputError(str(path), "expected 'word<TAB>valence' (VADER lexicon format)",
                             f"line {number}")
        try:
            float(parts[1])
        except ValueError:
            raise InputError(str(path), f"valence {parts[1]!r} is not a number",
                             f"line {number}") from None
        entries += 1
    if not entries:
        raise InputError(str(path), "lexicon file has no entries")
    return path.resolve()


@dataclass(frozen=True)
class SentimentRoutes:
    """Which analyzer scores which language: English always, others by lexicon."""

    lexicons: Mapping[str, str] = field(default_factory=dict)

    def route(self, lang: str | None) -> tuple[str | None, str | None, str | None]:
        """(analyzer version, lexicon path or None, note) for a post's language.

        Version None means "not scored"; the note says why.
        """
        if lang is None or lang == ENGLISH:
            return analyzer_version(), None, None
        lexicon = self.lexicons.get(lang)
        if lexicon is None:
            return None, None, f"language '{lang}' has no VADER lexicon"
        return analyzer_version(lexicon), lexicon, None

    def signature(self) -> str:
        """Short text naming the analyzers in use (part of the tagging version)."""
        parts = [vader_version()] + [
            f"{lang}:{_file_digest(path)}" for lang, path in sorted(self.lexicons.items())
        ]
        return ",".join(parts)


# -- scoring -------------------------------------------------------------------


@cache
def _analyzer(lexicon: str | None):
    # Built once per process and lexicon: building it per text is ~100x slower.
    # vaderSentiment's analyzer, skipping work whose result is known (vader_fast).
    from .vader_fast import Analyzer

    if lexicon is None:
        return Analyzer()
    return Analyzer(lexicon_file=str(lexicon))


def _score_chunk(args: tuple[str | None, list[str]]) -> list[tuple[float, float, float, float]]:
    lexicon, texts = args
    score = _analyzer(lexicon).polarity_scores
    out = []
    for text in texts:
        s = score(text)
        out.append((s["compound"], s["pos"], s["neu"], s["neg"]))
    return out


def pool_context():
    """Fork where available: workers start in milliseconds, inherit the analyzer, and
    need no ``if __name__ == "__main__"`` guard in the caller's script. They run
    only VADER and the tagging model (govwatch.analysis.tagging.TaggingPool), never DuckDB,
    so forking a process that holds a DuckDB connection is safe here. Elsewhere:
    spawn."""
    methods = get_all_start_methods()
    return get_context("fork" if "fork" in methods else "spawn")


def score_texts(texts: Sequence[str | None], lexicon: str | None = None,
                workers: int | None = None, pool_min: int = POOL_MIN_TEXTS) -> pd.DataFrame:
    """compound, pos, neu, neg for each text, exactly as vaderSentiment scores it.

    Missing text scores as "" (vaderSentiment fails on None). With ``workers`` > 1
    (default: the machine's cores) batches of at least ``pool_min`` texts are
    spread over a process pool.
    """
    filled = [t if isinstance(t, str) else "" for t in texts]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    chunks = [(lexicon, filled[i:i + _CHUNK]) for i in range(0, len(filled), _CHUNK)]
    if workers > 1 and len(filled) >= max(pool_min, 1):
        with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            parts = list(pool.map(_score_chunk, chunks))
    else:
        parts = [_score_chunk(c) for c in chunks]
    rows = [row for part in parts for row in part]
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS), dtype="float64")


def update_cache(con, pending: pd.DataFrame, workers: int | None = None) -> pd.DataFrame:
    """Score texts whose (text_hash, analyzer_version) is not cached yet and add them
    to the cache.

    ``pending`` has columns text, text_hash, analyzer_version, lexicon (one row per
    distinct text and analyzer). Returns the scores of every pair of ``pending``:
    those just scored and those read from the cache (text_hash, analyzer_version,
    compound, pos, neu, neg), so the caller need not read the cache again.
    """
    if pending.empty:
        return score_pending(pending)
    cached = cached_scores(con, pending["text_hash"])
    scores = score_pending(drop_cached(pending, score_pairs(cached)), workers)
    insert_scores(con, scores)
    return with_cached(scores, cached)


def cached_scores(con, text_hashes: pd.Series) -> pd.DataFrame:
    """The rows of ``sentiment_cache`` for these texts (text_hash, analyzer_version
    and the four scores). One join of the batch's distinct hashes with the cache's
    ``text_key`` column: the cache grows with the store, and this reads one 16-byte
    integer per cached text, not its 64-character hash (the scores and versions are
    read for the rows that match)."""
    con.register("_sent_hashes", pd.DataFrame({"text_hash": text_hashes.to_numpy()}))
    try:
        return con.execute(
            f"WITH h AS (SELECT DISTINCT text_hash, {text_key_sql('text_hash')} AS text_key "
            "FROM _sent_hashes WHERE text_hash IS NOT NULL) "
            "SELECT h.text_hash, c.analyzer_version, c.compound, c.pos, c.neu, c.neg "
            "FROM sentiment_cache c JOIN h USING (text_key)").df()
    finally:
        con.unregister("_sent_hashes")


def text_key_sql(column: str) -> str:
    """SQL of the cache's ``text_key`` of a text hash column: its first 124 bits (31 hex
    digits) as a HUGEINT. Two texts share a key only if their SHA-256 hashes
    share their first 124 bits (odds about 1 in 10^21 among 10^8 texts)."""
    return f"('0x' || left({column}, 31))::HUGEINT"


def score_pairs(scores: pd.DataFrame) -> frozenset[tuple[str, str]]:
    """The (text_hash, analyzer_version) pairs of a frame of scores."""
    return frozenset(zip(scores["text_hash"], scores["analyzer_version"], strict=True))


def with_cached(scores: pd.DataFrame, cached: pd.DataFrame | None) -> pd.DataFrame:
    """New scores and cached ones in one frame, one row per (text_hash,
    analyzer_version): a pair scored again (the same analyzer gives the same score)
    keeps its new row."""
    if cached is None or cached.empty:
        return scores
    if scores.empty:
        return cached
    return pd.concat([scores, cached], ignore_index=True).drop_duplicates(
        ["text_hash", "analyzer_version"], ignore_index=True)


def drop_cached(pending: pd.DataFrame, cached: frozenset[tuple[str, str]]) -> pd.DataFrame:
    """The rows of ``pending`` whose (text_hash, analyzer_version) is not in ``cached``."""
    if not cached or pending.empty:
        return pending
    keep = [(h, v) not in cached for h, v in zip(pending["text_hash"],
                                                pending["analyzer_version"], strict=True)]
    return pending[keep]


def score_pending(pending: pd.DataFrame, workers: int | None = None) -> pd.DataFrame:
    """Scores of ``pending`` (text, text_hash, analyzer_version, lexicon): one row per
    input row with text_hash, analyzer_version, compound, pos, neu, neg. Needs no
    store, so a cluster worker can run it (``govwatch.analysis.engine``)."""
    parts = []
    for (version_, lexicon), group in pending.groupby(
        ["analyzer_version", pending["lexicon"].fillna("")], sort=True
    ):
        scores = score_texts(group["text"].tolist(), lexicon or None, workers)
        scores.insert(0, "analyzer_version", version_)
        scores.insert(0, "text_hash", group["text_hash"].to_numpy())
        parts.append(scores)
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object if c in ("text_hash",
                             "analyzer_version") else "float64")
                             for c in ("text_hash", "analyzer_version", *SCORE_COLUMNS)})
    return pd.concat(parts, ignore_index=True)


# The meta row a transaction that appends to the cache updates (and sets back to its
# value, so stores compare equal): DuckDB lets one transaction at a time update a row.
CACHE_WRITER = "sentiment_cache_writer"
CACHE_WRITER_VALUE = "one transaction at a time appends to sentiment_cache"


def insert_scores(con, scores: pd.DataFrame) -> None:
    """Add scores to ``sentiment_cache``; a (text_hash, analyzer_version) already
    there, or twice in ``scores``, is stored once (the same analyzer gives the same
    score).

    The cache has no unique index: the append skips the pairs already stored (a join
    on ``text_key``), and first updates the meta row :data:`CACHE_WRITER`, so that a
    second transaction appending at the same time fails on that row (DuckDB's write
    conflict) instead of storing a pair twice, as the primary key made it fail before.
    Run it in the transaction that writes the batch's tags."""
    if scores.empty:
        return
    con.execute("UPDATE meta SET value = 'appending' WHERE key = ?", [CACHE_WRITER])
    con.execute("UPDATE meta SET value = ? WHERE key = ?", [CACHE_WRITER_VALUE, CACHE_WRITER])
    con.register("_sent_scores", scores)
    try:
        con.execute(
            f"""
            INSERT INTO sentiment_cache BY NAME
            SELECT s.text_hash, s.analyzer_version, s.compound, s.pos, s.neu, s.neg,
                   s.text_key
            FROM (SELECT DISTINCT ON (text_hash, analyzer_version) *,
                         {text_key_sql('text_hash')} AS text_key
                  FROM _sent_scores) s
            ANTI JOIN sentiment_cache c
              ON c.text_key = s.text_key AND c.analyzer_version = s.analyzer_version
            """
        )
    finally:
        con.unregister("_sent_scores")
