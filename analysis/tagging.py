"""Tag posts: language, VADER sentiment, topic, critical, needs-a-response, deflection.

:func:`tag_new_posts` is called by ``govwatch analyze`` before it rebuilds the
derived tables; it commits tags batch by batch (so a run that stops keeps what
it tagged, and the next one resumes). It tags only what changed: posts without
a tags row, posts whose text changed (``tags.text_hash`` differs from
``sha256(posts.text)``) and, when the tagging version changes (another model,
taxonomy, lexicon or language set), every post.

Settings (:class:`TaggingSettings`) persist in the store's ``meta`` table, so a
later ``analyze`` without options tags new posts the same way:

- ``meta['tagging_settings']``: JSON with the languages, lexicons and taxonomy path;
- ``meta['tagging_model']``: the version of the active model, a row of
  ``tagging_models`` (model bytes in skops format, never pickle). Absent: the
  default model.

The default model is the taxonomy's seed rules (a
:class:`govwatch.analysis.classifiers.PostTagger` fitted on no texts; analyze tags with
its stand-in :class:`govwatch.analysis.rule_tagger.RulesTagger`, the same version and
tags without importing scikit-learn, which only a saved model needs): a post's tags
are a function of its text and the model version, the same in any store,
whatever else it holds (a model fitted on the store's own texts made a store
collected during a crisis call most of its posts critical). A changed taxonomy
is a new version, so every post is re-tagged. A model trained on hand-coded
labels (``govwatch train``) is activated with ``--model PATH``; ``--model
default`` goes back to the default.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from govwatch.errors import UsageError
from govwatch.store import fewer_checkpoints, transaction

from .langid import DEFAULT_LANGUAGES, LanguageDetector, normalize_code
from .rule_tagger import RulesTagger, TaggerBase
from .sentiment import (
    POOL_MIN_TEXTS,
    SentimentRoutes,
    cached_scores,
    check_lexicon,
    drop_cached,
    insert_scores,
    pool_context,
    score_pairs,
    score_pending,
    update_cache,
    with_cached,
)
from .settings import TaggingSettings
from .taxonomy import load_taxonomy
from .workers import die_with_parent

__all__ = ["TaggingSettings", "tag_new_posts"]

BATCH = 100_000
# A run with at least this many posts to tag tags them on a pool of ``workers``
# processes (TaggingPool); a smaller one in this process.
POOL_MIN_POSTS = POOL_MIN_TEXTS
META_SETTINGS = "tagging_settings"
META_MODEL = "tagging_model"
META_VERSION = "tagging_version"
DEFAULT_MODEL = "default"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ResolvedSettings:
    languages: tuple[str, ...]
    lexicons: Mapping[str, str] = field(default_factory=dict)
    taxonomy: str | None = None
    model: str | None = None  # a file to activate, "default", or None (keep the active one)
    workers: int | None = None


def parse_lexicon_options(values: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["hi=hindi.txt", ...]`` (the CLI's ``--lexicon LANG=FILE``) as a mapping."""
    out = {}
    for value in values:
        lang, sep, path = value.partition("=")
        code = normalize_code(lang)
        if not sep or code is None or not path:
            raise UsageError(f"--lexicon expects LANG=FILE (e.g. hi=hindi_vader.txt), got {value!r}")
        out[code] = path
    return out


def parse_languages_option(value: str) -> tuple[str, ...]:
    """``"en,hi,id"`` (the CLI's ``--languages``) as a tuple of codes."""
    found = [normalize_code(v) for v in value.split(",") if v.strip()]
    codes = [c for c in found if c is not None]
    if not codes or len(codes) < len(found):
        raise UsageError(f"--languages expects comma-separated ISO 639-1 codes, got {value!r}")
    return tuple(dict.fromkeys(codes))


def resolve_settings(con, requested: TaggingSettings | None) -> ResolvedSettings:
    """Merge the request with the settings stored by the last run; store the result."""
    requested = requested or TaggingSettings()
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [META_SETTINGS]).fetchall()
    stored = json.loads(rows[0][0]) if rows else {}
    languages = requested.languages or tuple(stored.get("languages") or DEFAULT_LANGUAGES)
    if requested.languages:
        LanguageDetector(languages).validate()
    lexicons = requested.lexicons if requested.lexicons is not None else stored.get("lexicons", {})
    lexicons = {normalize_code(k) or k: str(check_lexicon(v)) for k, v in lexicons.items()}
    taxonomy = requested.taxonomy or stored.get("taxonomy")
    if taxonomy is not None:
        taxonomy = str(Path(taxonomy).resolve())
    payload = json.dumps({"languages": list(languages), "lexicons": lexicons, "taxonomy": taxonomy},
                         sort_keys=True)
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_SETTINGS, payload])
    return ResolvedSettings(tuple(languages), lexicons, taxonomy, requested.model, requested.workers)


# -- the active model ----------------------------------------------------------


def _store_model(con, model: TaggerBase, source: str, trained_on: int,
                 with_bytes: bool = True) -> None:
    """Record ``model`` in ``tagging_models``. Without ``with_bytes`` (the default
    model, rebuilt from its taxonomy whenever it is needed) the row names it with no
    skops bytes: serialising it would cost a first ``analyze`` more than tagging."""
    held = con.execute("SELECT skops IS NOT NULL FROM tagging_models WHERE model_version = ?",
                       [model.version_]).fetchall()
    if held and (held[0][0] or not with_bytes):
        return
    kind = model.version_.split("-", 1)[0]
    con.execute(
        "INSERT OR REPLACE INTO tagging_models VALUES (?, ?, ?, ?, ?, ?, ?)",
        [model.version_, kind, datetime.now(UTC), source, trained_on,
         model.taxonomy_.digest, _model_bytes(model) if with_bytes else None],
    )


def _model_bytes(model: TaggerBase) -> bytes:
    from .classifiers import PostTagger, model_to_bytes

    if not isinstance(model, PostTagger):
        raise TypeError(f"only a PostTagger is saved, not {type(model).__name__}")
    return model_to_bytes(model)


# Loaded models by version (a version names immutable content): parsing a skops
# file takes a second or more, and analyze may run many times in one process.
_LOADED: dict[str, TaggerBase] = {}


def _load_stored(con, model_version: str) -> TaggerBase | None:
    if model_version in _LOADED:
        return _LOADED[model_version]
    rows = con.execute("SELECT skops FROM tagging_models WHERE model_version = ?",
                       [model_version]).fetchall()
    if not rows or rows[0][0] is None:
        return None
    from .classifiers import model_from_bytes

    model = model_from_bytes(bytes(rows[0][0]), f"tagging_models[{model_version}]")
    if len(_LOADED) >= 4:
        _LOADED.clear()
    _LOADED[model_version] = model
    return model


def _default_model(con, settings: ResolvedSettings) -> RulesTagger:
    """The taxonomy's seed rules, never fitted on the store: a post's tags depend
    on its text and the model version only, whatever else the store holds."""
    tax = load_taxonomy(settings.taxonomy)
    tagger = RulesTagger(taxonomy=tax)
    _store_model(con, tagger, "rules", 0, with_bytes=False)
    return tagger


def active_model(con, settings: ResolvedSettings) -> TaggerBase:
    """The model to tag with (activating ``settings.model`` when given)."""
    if settings.model is not None and settings.model != DEFAULT_MODEL:
        path = Path(settings.model)
        from .classifiers import load_model

        model = load_model(path)
        _store_model(con, model, str(path.resolve()), model.n_train_texts_)
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_MODEL, model.version_])
        return model
    if settings.model == DEFAULT_MODEL:
        con.execute("DELETE FROM meta WHERE key = ?", [META_MODEL])
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [META_MODEL]).fetchall()
    if rows:
        stored = _load_stored(con, rows[0][0])
        if stored is None:
            raise UsageError(f"the store names tagging model {rows[0][0]} but does not hold it; "
                             "run 'govwatch analyze --model FILE' or '--model default'")
        return stored
    return _default_model(con, settings)


def tagging_version(model: TaggerBase, routes: SentimentRoutes, languages: tuple[str, ...]) -> str:
    """Everything that decides a tags row: model, analyzers and language set."""
    detail = f"{routes.signature()}|langid-{version('py3langid')}:{','.join(sorted(languages))}"
    return f"{model.version_};s-{hashlib.sha256(detail.encode()).hexdigest()[:8]}"


# -- tagging ---------------------------------------------------------------------


def tag_new_posts(con, progress: Progress | None = None,
                  settings: TaggingSettings | None = None, engine=None,
                  commit_batches: bool = False) -> int:
    """Tag posts that are new, whose text changed, or all when the version changed.

    By default the caller owns the transaction. With ``commit_batches`` the
    connection must be outside any transaction: the settings and model are
    committed first, then each batch of tags in a transaction of its own, so
    memory holds one batch whatever the store's size, and a run that stops
    half-way keeps the batches done (a tags row names its tagging version and
    text hash, so the next run tags only the rest). Returns how many posts were
    (re)tagged. With ``engine`` (``govwatch.analysis.engine.DaskEngine``) the posts are
    tagged on its cluster and the tags come back here to be written; the tags
    are the same.
    """
    with _transaction(con, commit_batches):
        resolved = resolve_settings(con, settings)
        model = active_model(con, resolved)
        routes = SentimentRoutes(dict(resolved.lexicons))
        version_ = tagging_version(model, routes, resolved.languages)
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_VERSION, json.dumps({
            "model_version": version_, "model": model.version_, "analyzers": routes.signature(),
            "languages": list(resolved.languages)})])
    # The posts to tag, by row id: a batch then reads only its own row groups of
    # ``posts`` (row ids stay put while analyze holds the store).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _tag_pending AS
        SELECT p.rowid AS rid, p.platform, p.post_id,
               row_number() OVER (ORDER BY p.rowid) AS rn
        FROM posts p LEFT JOIN tags t USING (platform, post_id)
        WHERE t.post_id IS NULL OR t.model_version IS DISTINCT FROM ?
           OR t.text_hash IS DISTINCT FROM sha256(p.text)
        """,
        [version_],
    )
    total = con.execute("SELECT count(*) FROM _tag_pending").fetchall()[0][0]
    detector = LanguageDetector(resolved.languages)
    try:
        with fewer_checkpoints(con) if commit_batches and total else nullcontext():
            return _tag_listed(con, total, model, detector, routes, resolved, version_,
                               engine, commit_batches, progress)
    finally:
        con.execute("DROP TABLE IF EXISTS _tag_pending")


def _tag_listed(con, total: int, model: TaggerBase, detector: LanguageDetector,
                routes: SentimentRoutes, resolved: ResolvedSettings, version_: str, engine,
                commit_batches: bool, progress: Progress | None) -> int:
    """Tag the posts listed in ``_tag_pending``; returns how many."""
    done = 0
    if engine is not None and total:
        for rows, scores in engine.tag(con, "_tag_pending", model, resolved.languages,
                                       dict(resolved.lexicons), version_):
            # A task's scores cover all its texts: the tags take theirs from them.
            _store_tags(con, rows, scores, version_, commit_batches)
            done += len(rows)
            if progress:
                progress(done, total)
        return done
    workers = resolved.workers if resolved.workers is not None else (os.cpu_count() or 1)
    pool = (TaggingPool(model, detector, routes, workers)
            if workers > 1 and total >= POOL_MIN_POSTS else None)
    try:
        queued: list[tuple[int, tuple[list[Future], pd.DataFrame]]] = []
        for start in range(0, total, BATCH):
            batch = _read_batch(con, start)
            if pool is None:
                with _transaction(con, commit_batches):
                    rows, scores = tag_frame(batch, model, detector, routes, con, workers)
                    rows["model_version"] = version_
                    _write(con, rows, scores)
                done += len(batch)
                if progress:
                    progress(done, total)
                continue
            # The pool tags this batch while the previous one is written.
            queued.append((len(batch), pool.submit(con, batch)))
            if len(queued) > 1:
                done += _write_pooled(con, *queued.pop(0), version_, commit_batches)
                if progress:
                    progress(done, total)
        for size, job in queued:
            done += _write_pooled(con, size, job, version_, commit_batches)
            if progress:
                progress(done, total)
    finally:
        if pool is not None:
            pool.close()
    return done


def _read_batch(con, start: int) -> pd.DataFrame:
    """Posts start+1 .. start+BATCH of ``_tag_pending``, read by row id."""
    lo, hi = con.execute("SELECT min(rid), max(rid) FROM _tag_pending "
                         "WHERE rn > ? AND rn <= ?", [start, start + BATCH]).fetchall()[0]
    return con.execute(
        "SELECT p.platform, p.post_id, p.text, p.lang, sha256(p.text) AS text_hash "
        "FROM posts p WHERE p.rowid BETWEEN ? AND ? AND p.rowid IN "
        "(SELECT rid FROM _tag_pending WHERE rn > ? AND rn <= ?) ORDER BY p.rowid",
        [lo, hi, start, start + BATCH],
    ).df()


def _write_pooled(con, size: int, job: tuple[list[Future], pd.DataFrame], version_: str,
                  commit_batches: bool) -> int:
    # The pool scored only texts not cached when the batch was submitted: the tags
    # take the others' scores from the cache rows read then.
    futures, cached = job
    rows, scores = TaggingPool.collect(futures)
    _store_tags(con, rows, scores, version_, commit_batches, cached)
    return size


def _store_tags(con, rows: pd.DataFrame, scores: pd.DataFrame, version_: str,
                commit_batches: bool, cached: pd.DataFrame | None = None) -> None:
    """New sentiment scores, then the tag rows, in one transaction. The rows'
    sentiment comes from ``scores`` and ``cached`` (cache rows read for the batch)."""
    with _transaction(con, commit_batches):
        insert_scores(con, scores)
        rows["model_version"] = version_
        _write(con, rows, with_cached(scores, cached))


# -- the local engine's process pool -------------------------------------------------

_POOL_TAGGER: tuple | None = None  # (model, detector, routes) in a pool process


def _start_pool_worker(model: TaggerBase, detector: LanguageDetector,
                       routes: SentimentRoutes, parent: int) -> None:
    global _POOL_TAGGER
    die_with_parent(parent)
    _POOL_TAGGER = (model, detector, routes)


def _tag_share(job: tuple[pd.DataFrame, frozenset]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """In a pool process: tags of a share of a batch, and the sentiment scores of
    its texts that are not in ``cached`` ((text_hash, analyzer_version) pairs)."""
    frame, cached = job
    if _POOL_TAGGER is None:
        raise RuntimeError("a tagging pool process was started without its tagger")
    model, detector, routes = _POOL_TAGGER
    rows, pending = tag_rows(frame, model, detector, routes)
    return rows, score_pending(drop_cached(pending, cached), workers=1)


class TaggingPool:
    """Processes that each tag a share of a batch from start to end (language,
    classifiers, VADER), as the Dask engine's workers tag a task: every core
    works the whole time, where tagging in this process leaves the other cores
    idle until VADER's turn. The model, detector and analyzers reach the
    processes once, when the pool starts; each share then travels with the
    sentiment-cache entries of its texts, so cached texts are not scored again.
    A batch is submitted before the one before it is written, so a text first
    seen in that previous batch is scored twice (the same score; the cache
    keeps one). The tags are the same as tag_frame's."""

    def __init__(self, model: TaggerBase, detector: LanguageDetector,
                 routes: SentimentRoutes, workers: int):
        self.workers = workers
        context = pool_context()
        if context.get_start_method() == "fork":
            detector.load()  # forked processes share py3langid's model instead of each loading it
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                         initializer=_start_pool_worker,
                                         initargs=(model, detector, routes, os.getpid()))

    def submit(self, con, batch: pd.DataFrame) -> tuple[list[Future], pd.DataFrame]:
        """The futures of a batch's shares, and the cache rows of its texts (read
        once, here, for the shares and for writing the tags)."""
        cached_rows = cached_scores(con, batch["text_hash"])
        cached = score_pairs(cached_rows)
        bounds = np.linspace(0, len(batch), 2 * self.workers + 1).astype(int)
        futures = []
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            if hi <= lo:
                continue
            share = batch.iloc[lo:hi].reset_index(drop=True)
            mine: frozenset[tuple[str, str]] = frozenset()
            if cached:
                hashes = set(share["text_hash"])
                mine = frozenset(p for p in cached if p[0] in hashes)
            futures.append(self._pool.submit(_tag_share, (share, mine)))
        return futures, cached_rows

    @staticmethod
    def collect(futures: list[Future]) -> tuple[pd.DataFrame, pd.DataFrame]:
        parts = [f.result() for f in futures]
        rows = pd.concat([r for r, _ in parts], ignore_index=True)
        scores = pd.concat([s for _, s in parts], ignore_index=True).drop_duplicates(
            ["text_hash", "analyzer_version"], ignore_index=True)
        return rows, scores

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _transaction(con, own: bool):
    """A transaction of our own when ``own``; else the caller's is used."""
    return transaction(con) if own else nullcontext()


def tag_frame(batch: pd.DataFrame, model: TaggerBase, detector: LanguageDetector,
              routes: SentimentRoutes, con, workers: int | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tags for a frame of posts (platform, post_id, text, lang, text_hash), and the
    sentiment scores of their texts (new ones also go to the store's
    ``sentiment_cache``; cached ones are read from it), for ``_write``."""
    out, pending = tag_rows(batch, model, detector, routes)
    return out, update_cache(con, pending, workers)


def tag_rows(batch: pd.DataFrame, model: TaggerBase, detector: LanguageDetector,
             routes: SentimentRoutes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tags of a frame of posts, texts to score). Needs no store, so a cluster
    worker can run it: the texts to score have one row per distinct text and
    analyzer (text, text_hash, analyzer_version, lexicon)."""
    texts = [t if isinstance(t, str) and t.strip() else None for t in batch["text"].tolist()]
    hashes = [h if isinstance(h, str) else None for h in batch["text_hash"].tolist()]
    langs = _languages(batch["lang"].tolist(), texts, detector)
    out = pd.DataFrame({"platform": batch["platform"].to_numpy(),
                        "post_id": batch["post_id"].to_numpy()})
    out["lang"] = pd.Series(langs, dtype=object)
    out["text_hash"] = pd.Series(hashes, dtype=object)
    versions: list[str | None] = []
    lexicons: list[str | None] = []
    notes: list[str | None] = []
    for text, lang in zip(texts, langs, strict=True):
        v, lex, note = (None, None, "no text") if text is None else routes.route(lang)
        versions.append(v)
        lexicons.append(lex)
        notes.append(note)
    out["analyzer_version"] = pd.Series(versions, dtype=object)
    out["sentiment_note"] = pd.Series(notes, dtype=object)
    pending = pd.DataFrame({"text": texts, "text_hash": hashes, "analyzer_version": versions,
                            "lexicon": lexicons})
    pending = pending[pending["analyzer_version"].notna()].drop_duplicates(
        ["text_hash", "analyzer_version"])
    predictions = _classify(model, texts)
    for col in predictions.columns:
        out[col] = predictions[col].to_numpy()
    return out, pending


def _languages(given: list, texts: list[str | None], detector: LanguageDetector) -> list:
    codes = [normalize_code(g) for g in given]
    todo = list({t: None for c, t in zip(codes, texts, strict=True) if c is None and t})
    detected = dict(zip(todo, detector.detect_many(todo), strict=True))
    return [c if c is not None else detected.get(t) if t else None
            for c, t in zip(codes, texts, strict=True)]


def _classify(model: TaggerBase, texts: list[str | None]) -> pd.DataFrame:
    """Predictions once per distinct text; NULL tags for posts without text."""
    distinct = sorted({t for t in texts if t})
    pred = model.predict(distinct) if distinct else None
    index = {t: i for i, t in enumerate(distinct)}
    rows = np.array([index.get(t, -1) if t else -1 for t in texts], dtype=np.int64)
    out = {}
    for col in ("topic", "topic_confidence", "critical", "critical_confidence",
                "needs_response", "needs_response_confidence", "deflection"):
        values = pred[col].to_numpy(dtype=object) if pred is not None else np.empty(0, dtype=object)
        col_out = np.full(len(texts), None, dtype=object)
        have = rows >= 0
        col_out[have] = values[rows[have]]
        out[col] = col_out
    return pd.DataFrame(out)


_COLUMNS = ("platform", "post_id", "lang", "sentiment", "sentiment_pos", "sentiment_neu",
            "sentiment_neg", "sentiment_note", "topic", "topic_confidence", "critical",
            "critical_confidence", "needs_response", "needs_response_confidence", "deflection",
            "model_version", "text_hash")


def _write(con, rows: pd.DataFrame, scores: pd.DataFrame) -> None:
    """Write tag rows, their sentiment taken from ``scores`` (the scores of these
    rows' texts). Never a join with the whole ``sentiment_cache``: it grows with the
    store, and joining it for every batch made tagging cost more per post the more
    posts a store held."""
    frame = rows.astype({"topic_confidence": "float64", "critical_confidence": "float64",
                         "needs_response_confidence": "float64"})
    con.register("_tag_rows", frame)
    con.register("_tag_scores", scores)
    try:
        con.execute(
            f"""
            INSERT OR REPLACE INTO tags ({", ".join(_COLUMNS)})
            SELECT b.platform, b.post_id, b.lang, c.compound, c.pos, c.neu, c.neg,
                   b.sentiment_note, b.topic, b.topic_confidence, b.critical::BOOLEAN,
                   b.critical_confidence, b.needs_response::BOOLEAN, b.needs_response_confidence,
                   b.deflection::BOOLEAN, b.model_version, b.text_hash
            FROM _tag_rows b
            LEFT JOIN _tag_scores c
              ON c.text_hash = b.text_hash AND c.analyzer_version = b.analyzer_version
            """
        )
    finally:
        con.unregister("_tag_rows")
        con.unregister("_tag_scores")
