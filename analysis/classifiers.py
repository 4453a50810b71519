"""Classifiers for topic, critical issue and needs-a-response, plus the deflection flag.

:class:`PostTagger` is a scikit-learn estimator. Its seed rules (the taxonomy's
terms, see :mod:`govwatch.analysis.taxonomy`) give weak labels on whatever texts it is
fitted on; a linear model on word and character n-gram TF-IDF features learns
from those labels (or from hand-coded ones when given) and so recognises texts
that contain no seed term ("#BostonStrong", a district name that keeps coming
up in flood reports). How the two combine:

- critical: with weak labels, a post is critical when a critical-category
  term occurs or the model's probability reaches ``critical_threshold``;
  trained on hand-coded labels, the model decides alone.
- needs_response: request/problem cues (questions, "please", "not working",
  critical-issue terms) against praise/thanks/chatter cues; where they do not
  settle it (no cue, or a tie) the model decides.
- topic: the category with most seed-term hits; with none, the model's most
  probable category when its probability reaches ``topic_threshold``, else the
  taxonomy's fallback ("other").
- deflection: a deflection phrase occurs ("DM us", "call the helpline") and no
  action phrase ("complaint registered", "forwarded to the division"); rules only.

The decisions above are :class:`govwatch.analysis.rule_tagger.TaggerBase`'s, shared
with the default model (:class:`~govwatch.analysis.rule_tagger.RulesTagger`, the seed
rules alone), which tags without importing scikit-learn.

Every prediction carries a confidence: the estimated probability that the
stored label is right. Critical and needs-response are independent of
sentiment: a calm report of a derailment is critical.

Saved models use skops (:func:`save_model`, :func:`load_model`), never pickle.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted

from govwatch.errors import InputError

from .rule_tagger import OUTPUT_COLUMNS, TARGETS, RuleScores, TaggerBase

__all__ = ["OUTPUT_COLUMNS", "TARGETS", "PostTagger", "RuleScores", "load_model",
           "prepare_texts", "save_model"]

# Word tokens for the TF-IDF model: letters, digits and Indic combining marks.
TOKEN_PATTERN = r"(?u)(?:[^\W_]|[\u0300-\u036f\u0483-\u0489\u0900-\u0dff])(?:[^\W_]|[\u0300-\u036f\u0483-\u0489\u0900-\u0dff])+"
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")


def prepare_texts(texts: Iterable[str | None]) -> list[str]:
    """What the n-gram model reads: URLs and @handles replaced by placeholders."""
    out = []
    for t in texts:
        if not isinstance(t, str):
            out.append("")
            continue
        out.append(_HANDLE.sub(" @user ", _URL.sub(" httpurl ", t)))
    return out


class CompactTfidfVectorizer(TfidfVectorizer):
    """A TfidfVectorizer whose saved state holds the vocabulary as two arrays.

    skops saves a Python dict node by node: a 45,000-term vocabulary took
    minutes to save and ~20 s to load; as arrays it takes well under a second.
    Behaviour is exactly TfidfVectorizer's.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: never change the live object
        vocabulary = state.pop("vocabulary_", None)
        if vocabulary is not None:
            state["vocabulary_terms_"] = np.array(list(vocabulary), dtype=str)
            state["vocabulary_index_"] = np.fromiter(vocabulary.values(), dtype=np.int64,
                                                     count=len(vocabulary))
        return state

    def __setstate__(self, state):
        terms = state.pop("vocabulary_terms_", None)
        index = state.pop("vocabulary_index_", None)
        super().__setstate__(state)
        if terms is not None:
            self.vocabulary_ = dict(zip(terms.tolist(), index.tolist(), strict=True))


def make_vectorizer(word_ngram_range=(1, 2), char_ngram_range=(3, 5), max_features=100_000,
                    min_df=2, char_features=2**18) -> FeatureUnion:
    """Word n-gram TF-IDF and (unless ``char_ngram_range`` is None) hashed
    character n-gram TF-IDF side by side; sparse float32.

    Character n-grams are hashed: counting them through a vocabulary was 2-4x
    slower to fit and transform (docs/evaluation.md)."""
    word = CompactTfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=word_ngram_range,
                           min_df=min_df, max_features=max_features, sublinear_tf=True,
                           dtype=np.float32)
    parts = [("word", word)]
    if char_ngram_range is not None:
        char = Pipeline([
            ("hash", HashingVectorizer(analyzer="char_wb", ngram_range=char_ngram_range,
                                       n_features=char_features, alternate_sign=False,
                                       norm=None, dtype=np.float32)),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ])
        parts.append(("char", char))
    return FeatureUnion(parts)


class PostTagger(TaggerBase, BaseEstimator):
    """Tags texts with topic, critical, needs_response (+ confidences) and deflection.

    ``fit(X)`` learns from the seed rules' weak labels on ``X``; ``fit(X, y)``
    with a frame holding any of the columns ``topic``, ``critical``,
    ``needs_response`` learns those targets from the hand-coded labels (missing
    values are skipped) and the others from weak labels.

    Parameters
    ----------
    taxonomy : Taxonomy, dict (the YAML shape), path, or None for the packaged default.
    word_ngram_range, char_ngram_range, max_features, min_df, char_features : the
        TF-IDF features (``char_ngram_range=None`` leaves character n-grams out).
    rule_features : for targets learned from hand-coded labels, also give the model
        the seed-rule hit counts as features, so it learns how far to trust them.
    alpha, loss, class_weight, max_iter : the SGDClassifier (one per target, on the
        shared features).
    max_train_texts : at most this many distinct texts are used to fit (chosen by
        text hash, so the choice does not depend on row order).
    critical_threshold, needs_response_threshold, topic_threshold : decision thresholds
        on the model's probability.
    min_class_examples : a target's model is fitted only when each of at least two
        classes has this many examples; otherwise the rules decide alone.
    min_weak_texts : a model learning from weak labels needs at least this many
        texts (on fewer, its errors outweigh what it adds to the rules).
    random_state : seed of the SGD solver.
    """

    # -- fitting -------------------------------------------------------------
    def fit(self, X, y=None):
        texts = [t if isinstance(t, str) else "" for t in X]
        tax = self._resolve_taxonomy()
        self.taxonomy_ = tax
        labels = _check_labels(y, len(texts))
        if labels is None:
            texts = sorted(set(texts))
        keep = _sample_by_hash(texts, self.max_train_texts)
        texts = [texts[i] for i in keep]
        if labels is not None:
            labels = labels.iloc[keep].reset_index(drop=True)
        rules = RuleScores(tax, self._matcher(), texts)
        weak = rules.weak_labels(tax)
        self.label_source_ = {}
        targets: dict[str, pd.Series] = {}
        for target in TARGETS:
            if labels is not None and target in labels and labels[target].notna().any():
                targets[target] = labels[target]
                self.label_source_[target] = "labels"
            else:
                targets[target] = weak[target]
                self.label_source_[target] = "weak"
        self.vectorizer_ = None
        self.models_ = {}
        self.n_train_texts_ = len(texts)
        fit_rows = [t for t in texts if t]
        if len(fit_rows) >= 2 * self.min_class_examples:
            self.vectorizer_ = make_vectorizer(self.word_ngram_range, self.char_ngram_range,
                                               self.max_features, self.min_df, self.char_features)
            try:
                matrix = self.vectorizer_.fit_transform(prepare_texts(texts))
            except ValueError:  # empty vocabulary: too few or too short texts
                self.vectorizer_ = None
        if self.vectorizer_ is not None:
            for target in TARGETS:
                features = self._features(matrix, rules, target)
                self.models_[target] = self._fit_target(features, targets[target], target)
        self.version_ = self._version(texts, targets)
        return self

    def _fit_target(self, matrix, labels: pd.Series, target: str):
        mask = labels.notna().to_numpy()
        if target != "topic":
            values = labels[mask].astype(bool).to_numpy()
        else:
            values = labels[mask].astype(str).to_numpy()
        classes, counts = np.unique(values, return_counts=True)
        if len(classes) < 2 or (counts >= self.min_class_examples).sum() < 2:
            return None
        if self.label_source_[target] == "weak" and len(values) < self.min_weak_texts:
            return None
        from sklearn.linear_model import SGDClassifier  # only to train: analyze need not load it

        model = SGDClassifier(loss=self.loss, alpha=self.alpha, max_iter=self.max_iter, tol=None,
                              class_weight=self.class_weight, random_state=self.random_state)
        return model.fit(matrix[mask], values)

    # -- prediction (the decisions are TaggerBase's) ------------------------
    def _check_fitted(self) -> None:
        check_is_fitted(self, "version_")

    def _features(self, matrix, rules: RuleScores, target: str):
        """N-gram features, plus seed-rule counts for targets learned from labels."""
        if not self.rule_features or self.label_source_[target] != "labels":
            return matrix
        extra = np.column_stack([rules.topic, rules.critical, rules.strong, rules.support,
                                 rules.cancel, rules.request, rules.no_response])
        extra = np.minimum(extra, 3.0) / 3.0
        return sp.hstack([matrix, sp.csr_matrix(extra.astype(np.float32))], format="csr")

    def probabilities(self, texts: Sequence[str], rules: RuleScores | None = None
                      ) -> dict[str, np.ndarray | None]:
        """Model probabilities per target (None where no model was fitted)."""
        self._check_fitted()
        out: dict[str, np.ndarray | None] = dict.fromkeys(TARGETS)
        if self.vectorizer_ is None or not len(texts):
            return out
        if rules is None:
            rules = RuleScores(self._tax(), self._matcher(), texts)
        matrix = self.vectorizer_.transform(prepare_texts(texts))
        for target, model in self.models_.items():
            if model is None:
                continue
            proba = model.predict_proba(self._features(matrix, rules, target))
            if target == "topic":
                out[target] = proba
            else:
                out[target] = proba[:, list(model.classes_).index(True)]
        return out


def _check_labels(y, n: int) -> pd.DataFrame | None:
    if y is None:
        return None
    labels = pd.DataFrame(y).reset_index(drop=True)
    if len(labels) != n:
        raise ValueError(f"y has {len(labels)} rows for {n} texts")
    unknown = [c for c in labels.columns if c not in TARGETS]
    if unknown:
        raise ValueError(f"unknown label columns {unknown}; expected any of {list(TARGETS)}")
    for col in ("critical", "needs_response"):
        if col in labels:
            labels[col] = labels[col].map(_as_bool, na_action="ignore").astype(object)
    if "topic" in labels:
        labels["topic"] = labels["topic"].astype(object).where(labels["topic"].notna(), None)
    return labels


_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def _as_bool(value) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        if value != value:  # NaN
            return None
        if value in (0, 1):
            return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text == "":
        return None
    raise ValueError(f"cannot read {value!r} as yes/no (use true/false, yes/no or 1/0)")


def _sample_by_hash(texts: Sequence[str], limit: int) -> list[int]:
    """Indices of at most ``limit`` texts, chosen by text hash (order-independent)."""
    if len(texts) <= limit:
        return list(range(len(texts)))
    keyed = sorted(range(len(texts)),
                   key=lambda i: hashlib.blake2b(texts[i].encode("utf-8", "surrogatepass"),
                                                 digest_size=8).digest())
    return sorted(keyed[:limit])


# -- saving and loading (skops, never pickle) --------------------------------

TRUSTED_TYPES = [
    "govwatch.analysis.classifiers.PostTagger",
    "govwatch.analysis.classifiers.CompactTfidfVectorizer",
    "govwatch.analysis.taxonomy.Taxonomy",
    "govwatch.analysis.taxonomy.Category",
]


def model_to_bytes(model: PostTagger) -> bytes:
    from zipfile import ZIP_DEFLATED

    import skops.io as sio

    return sio.dumps(model, compression=ZIP_DEFLATED)


def model_from_bytes(data: bytes, source: str = "<model>") -> PostTagger:
    """Load a skops-saved PostTagger, trusting only sklearn's and govwatch's own types."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # not a zip / not a skops file
        raise InputError(source, f"not a skops model file: {exc}") from exc
    foreign = sorted(set(untrusted) - set(TRUSTED_TYPES) - _numpy_scalar_types(untrusted))
    if foreign:
        raise InputError(source, f"model contains types govwatch does not trust: {foreign}")
    model = sio.loads(data, trusted=untrusted)
    if not isinstance(model, PostTagger) or not hasattr(model, "version_"):
        raise InputError(source, "not a fitted govwatch tagging model (PostTagger)")
    return model


def _numpy_scalar_types(types: Iterable[str]) -> set[str]:
    return {t for t in types if t.startswith("numpy.") and t.split(".")[-1] in {"float32", "float64", "int64", "bool_", "dtype"}}


def save_model(model: PostTagger, path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(model_to_bytes(model))
    return path


def load_model(path: str | Path) -> PostTagger:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read model file: {exc}") from exc
    return model_from_bytes(data, str(path))
