"""The tagger's decisions from seed-rule scores and model probabilities, and the
default tagger (the taxonomy's seed rules, no model) without scikit-learn.

:class:`TaggerBase` holds what :class:`govwatch.analysis.classifiers.PostTagger` (the
scikit-learn estimator) decides from the seed rules' hit counts and its models'
probabilities: its parameters, the version it records, and ``predict``.
:class:`RulesTagger` is the default model, a PostTagger fitted on no texts, with
the same parameters, version and tags: ``govwatch analyze`` tags with it without
importing scikit-learn (most of a small store's start-up otherwise). It cannot be
fitted or saved; :meth:`RulesTagger.to_estimator` gives the PostTagger it stands for.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .taxonomy import Taxonomy, TermMatcher, load_taxonomy, parse_taxonomy, taxonomy_matcher

TARGETS = ("topic", "critical", "needs_response")
OUTPUT_COLUMNS = (
    "topic", "topic_confidence", "critical", "critical_confidence",
    "needs_response", "needs_response_confidence", "deflection",
)
# Confidence of a rules-only "no" when no model is available.
_RULE_ONLY_NO = 0.2


# A year that dates a riot, a massacre or a fire ("victims of riots in '84", "the 2002
# riots", "lost her baby in a fire in 2013"): an incident of the past (docs/codebook.md,
# rule 2), unless the post also says it happens now ("right now", "tonight": the
# ``current`` markers). Violence and fire nouns only: storm and flood posts compare with
# floods of earlier years ("worse than the 1974 floods") while they report the current one.
_EVENT = r"(?:riots?|carnage|massacre|pogrom|genocide|killings|blasts|bombings?|attacks?|fire|murders?)"
_YEAR = r"(?:\b(?:19|20)\d\d|['’]\d\d)\b"
# The victims or survivors of a year ("1984 victims", "2002 riot survivors") are history too;
# "victims of 2013 floods" is not matched (a year after the noun may date a current disaster's
# aftermath).
_DATED_EVENT = re.compile(
    rf"\b{_EVENT}\s+(?:of|in)\s+{_YEAR}|{_YEAR}\s+(?:anti[- ]\w+\s+)?"
    rf"(?:{_EVENT}|(?:riots?\s+)?(?:victims|survivors|widows))\b", re.IGNORECASE)
_YEAR_HINT = re.compile(r"(?:19|20)\d\d|['’]\d\d")  # a quick test first: most texts have none


def _dated(texts: Sequence[str], rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (indices into ``texts``) name an incident by a year."""
    out = np.zeros(len(texts), dtype=bool)
    hint, dated = _YEAR_HINT.search, _DATED_EVENT.search
    for i in rows:
        out[i] = hint(texts[i]) is not None and dated(texts[i]) is not None
    return out


def _rule_probability(hits: np.ndarray) -> np.ndarray:
    """Seed-term hits as a probability: 1 hit -> 0.75, 2 -> 0.875, ..."""
    return np.where(hits > 0, 1.0 - 0.5 ** (hits + 1), 0.0)


class RuleScores:
    """Seed-term hit counts of a batch of texts, per taxonomy group.

    The rules call a text critical when its strong critical-issue terms
    outnumber its not-critical contexts (greetings, ceremonies, elections,
    natural-death obituaries), or when it has support terms only ("pray for",
    "victims") and no such context, soft or not. Weak terms ("strike",
    "hospital", "died") count as support terms beside another critical term
    or a marker of a current incident ("right now") only. A past marker
    ("anniversary", "25 years ago") makes a text not critical whatever else it
    holds: it talks about an incident of the past, and so does a riot, a massacre
    or a fire dated by a year ("riots in '84") when no marker says it is current.
    ``critical`` is the number of critical terms of a text the rules call
    critical, else 0.
    """

    def __init__(self, tax: Taxonomy, matcher: TermMatcher, texts: Sequence[str]):
        counts = matcher.counts(texts)
        k = len(tax.categories)
        self.topic = counts[:, :k]
        (self.request, self.no_response, deflection, self.strong, self.support,
         self.cancel, soft, action, weak, past, now) = (counts[:, k + i] for i in range(11))
        # Weak terms ("strike", "died", "terrorist") count only beside another critical
        # term or a marker of a current incident ("right now", "on the loose").
        self.support = self.support + np.where(self.strong + self.support + now > 0, weak, 0.0)
        # A reply that reports an action ("complaint registered, no. 123") is no deflection.
        self.deflection = np.where(action > 0, 0.0, deflection)
        critical = ((self.strong > self.cancel) | (
            (self.strong == 0) & (self.support > 0) & (self.cancel + soft == 0))) & (past == 0)
        # an incident dated by a year is history too, unless the post says it is current
        past = past + _dated(texts, np.flatnonzero(critical & (now == 0)))
        critical &= past == 0
        self.cancel = self.cancel + soft + past
        self.critical = np.where(critical, self.strong + self.support, 0.0)
        self.request = self.request + critical

    def weak_labels(self, tax: Taxonomy) -> pd.DataFrame:
        """Labels the rules can give: topic and needs_response are None where undecided."""
        keys = np.array(tax.category_keys, dtype=object)
        has_topic = self.topic.sum(axis=1) > 0
        topic = np.where(has_topic, keys[self.topic.argmax(axis=1)], None)
        nr = np.full(len(self.request), None, dtype=object)
        nr[self.request > self.no_response] = True
        nr[self.no_response > self.request] = False
        return pd.DataFrame({"topic": topic, "critical": self.critical > 0, "needs_response": nr})


class TaggerBase:
    """The tagger's parameters (see PostTagger), its version and its decisions.

    A subclass provides ``probabilities(texts, rules)`` (the models' probabilities
    per target, None where there is no model) and ``_check_fitted()``; a fitted
    tagger has ``taxonomy_``, ``label_source_``, ``models_`` and ``version_``."""

    # learned state, set by fitting (declared only: an unfitted tagger has none)
    taxonomy_: Taxonomy
    label_source_: dict[str, str]
    models_: dict
    version_: str

    def __init__(self, taxonomy=None, word_ngram_range=(1, 2), char_ngram_range=None,
                 max_features=100_000, min_df=2, char_features=2**18, rule_features=True,
                 alpha=1e-4, loss="log_loss", class_weight=None, max_iter=20,
                 max_train_texts=200_000,
                 critical_threshold=0.5, needs_response_threshold=0.5, topic_threshold=0.5,
                 min_class_examples=10, min_weak_texts=500, random_state=0):
        self.taxonomy = taxonomy
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.max_features = max_features
        self.min_df = min_df
        self.char_features = char_features
        self.rule_features = rule_features
        self.alpha = alpha
        self.loss = loss
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.max_train_texts = max_train_texts
        self.critical_threshold = critical_threshold
        self.needs_response_threshold = needs_response_threshold
        self.topic_threshold = topic_threshold
        self.min_class_examples = min_class_examples
        self.min_weak_texts = min_weak_texts
        self.random_state = random_state

    @classmethod
    def _param_names(cls) -> list[str]:
        """The parameters of ``__init__``, as scikit-learn's ``get_params`` lists them."""
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def _params(self) -> dict:
        return {name: getattr(self, name) for name in self._param_names()}

    def _resolve_taxonomy(self) -> Taxonomy:
        if self.taxonomy is None:
            return load_taxonomy()
        if isinstance(self.taxonomy, Taxonomy):
            return self.taxonomy
        if isinstance(self.taxonomy, dict):
            return parse_taxonomy(self.taxonomy, "<taxonomy parameter>")
        return load_taxonomy(self.taxonomy)

    def _version(self, texts: list[str], targets: dict[str, pd.Series]) -> str:
        h = hashlib.sha256()
        params = {k: (v if k != "taxonomy" else None) for k, v in self._params().items()}
        h.update(json.dumps(params, sort_keys=True, default=str).encode())
        h.update(self.taxonomy_.digest.encode())
        for t in texts:
            h.update(t.encode("utf-8", "surrogatepass") + b"\0")
        for target in TARGETS:
            h.update(target.encode() + self.label_source_[target].encode())
            if self.label_source_[target] == "labels":
                h.update("\0".join(map(str, targets[target].tolist())).encode())
        kind = "trained" if "labels" in self.label_source_.values() else "weak"
        return f"{kind}-{h.hexdigest()[:12]}"

    def _matcher(self) -> TermMatcher:
        matcher = self.__dict__.get("_matcher_cache")
        if matcher is None:
            matcher = taxonomy_matcher(self._tax())
            self.__dict__["_matcher_cache"] = matcher
        return matcher

    def _tax(self) -> Taxonomy:
        tax = getattr(self, "taxonomy_", None)
        return tax if tax is not None else self._resolve_taxonomy()

    def _check_fitted(self) -> None:
        raise NotImplementedError

    def __getstate__(self):
        # a copy without the term matcher (rebuilt on demand): never change the live
        # object; scikit-learn's own state (PostTagger) comes from the next class
        state = dict(super().__getstate__() or {})
        state.pop("_matcher_cache", None)
        return state

    def probabilities(self, texts: Sequence[str], rules: RuleScores | None = None
                      ) -> dict[str, np.ndarray | None]:
        raise NotImplementedError

    def predict(self, X) -> pd.DataFrame:
        """One row per text with the columns of ``OUTPUT_COLUMNS``."""
        self._check_fitted()
        texts = [t if isinstance(t, str) else "" for t in X]
        tax = self._tax()
        rules = RuleScores(tax, self._matcher(), texts)
        proba = self.probabilities(texts, rules)
        critical, critical_conf = self._decide_critical(rules, proba["critical"])
        nr, nr_conf = self._decide_needs_response(rules, proba["needs_response"])
        topic, topic_conf = self._decide_topic(rules, proba["topic"], tax)
        return pd.DataFrame({
            "topic": topic,
            "topic_confidence": topic_conf,
            "critical": critical,
            "critical_confidence": critical_conf,
            "needs_response": nr,
            "needs_response_confidence": nr_conf,
            "deflection": rules.deflection > 0,
        })

    def _decide_critical(self, rules: RuleScores, p_model):
        p_rule = _rule_probability(rules.critical)
        if self.label_source_["critical"] == "labels" and p_model is not None:
            p = p_model
        elif p_model is not None:
            p = np.maximum(p_rule, p_model)
        else:
            p = np.where(rules.critical > 0, p_rule, _RULE_ONLY_NO)
        yes = p >= self.critical_threshold
        return yes, np.where(yes, p, 1.0 - p)

    def _decide_needs_response(self, rules: RuleScores, p_model):
        margin = rules.request - rules.no_response
        p_rule = np.where(margin > 0, 1.0 - 0.5 ** (margin + 1), 0.5 ** (-margin + 1))
        undecided = margin == 0
        if self.label_source_["needs_response"] == "labels" and p_model is not None:
            p = p_model
        elif p_model is not None:
            p = np.where(undecided, p_model, p_rule)
        else:
            p = np.where(undecided, 0.5, p_rule)
        yes = p >= self.needs_response_threshold
        return yes, np.where(yes, p, 1.0 - p)

    def _decide_topic(self, rules: RuleScores, p_model, tax: Taxonomy):
        n = len(rules.topic)
        keys = np.array(tax.category_keys, dtype=object)
        total = rules.topic.sum(axis=1)
        best = rules.topic.max(axis=1) if n else np.zeros(0)
        rule_topic = keys[rules.topic.argmax(axis=1)] if n else np.zeros(0, dtype=object)
        rule_conf = np.divide(best, total, out=np.zeros(n), where=total > 0) * (1 - 0.5 ** (best + 1))
        if self.label_source_["topic"] == "labels" and p_model is not None:
            classes = np.array(self.models_["topic"].classes_, dtype=object)
            return classes[p_model.argmax(axis=1)], p_model.max(axis=1)
        topic = np.where(total > 0, rule_topic, tax.fallback).astype(object)
        conf = np.where(total > 0, rule_conf, 1.0 - _RULE_ONLY_NO)
        if p_model is not None:
            classes = np.array(self.models_["topic"].classes_, dtype=object)
            top = p_model.max(axis=1)
            use = (total == 0) & (top >= self.topic_threshold)
            topic = np.where(use, classes[p_model.argmax(axis=1)], topic)
            conf = np.where(use, top, np.where(total > 0, conf, 1.0 - top))
        return topic, conf


class RulesTagger(TaggerBase):
    """The taxonomy's seed rules, no model: what ``PostTagger(**params).fit([])``
    is (the same version and tags), built without scikit-learn. Fitted as made."""

    def __init__(self, taxonomy=None, **params):
        super().__init__(taxonomy, **params)
        self.taxonomy_ = self._resolve_taxonomy()
        self.label_source_ = dict.fromkeys(TARGETS, "weak")
        self.vectorizer_ = None
        self.models_: dict = {}
        self.n_train_texts_ = 0
        self.version_ = self._version([], {})

    @classmethod
    def _param_names(cls) -> list[str]:
        return TaggerBase._param_names()

    def _check_fitted(self) -> None:
        return None  # made fitted

    def probabilities(self, texts: Sequence[str], rules: RuleScores | None = None
                      ) -> dict[str, np.ndarray | None]:
        return dict.fromkeys(TARGETS)

    def to_estimator(self):
        """The scikit-learn estimator this tagger stands for (to save or refit it)."""
        from .classifiers import PostTagger

        return PostTagger(**self._params()).fit([])
