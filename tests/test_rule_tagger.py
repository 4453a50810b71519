"""The default tagger without scikit-learn: RulesTagger stands for PostTagger().fit([])
(same version, same tags), and the English word split is wordninja's."""

from __future__ import annotations

import pickle
import random
import string
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from govwatch.analysis.classifiers import PostTagger
from govwatch.analysis.rule_tagger import RulesTagger
from govwatch.analysis.taxonomy import load_taxonomy
from govwatch.analysis.word_split import EnglishSplit

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "sample_data" / "small"


def _sample_texts() -> list[str]:
    texts = pd.read_csv(SMALL / "posts.csv", dtype=str)["text"].dropna().tolist()
    assert len(texts) > 1000
    return texts


def test_rules_tagger_has_the_version_and_tags_of_the_estimator_fitted_on_nothing():
    texts = _sample_texts()
    rules = RulesTagger()
    estimator = PostTagger().fit([])
    assert rules.version_ == estimator.version_
    pd.testing.assert_frame_equal(rules.predict(texts), estimator.predict(texts))
    # a taxonomy given as an object, and other parameters, change both alike
    tax = load_taxonomy()
    assert RulesTagger(taxonomy=tax, critical_threshold=0.8).version_ == PostTagger(
        taxonomy=tax, critical_threshold=0.8).fit([]).version_
    assert RulesTagger(critical_threshold=0.8).version_ != rules.version_


def test_rules_tagger_travels_to_processes_and_becomes_the_estimator():
    texts = _sample_texts()[:200]
    rules = RulesTagger()
    rules.predict(texts[:1])  # builds the matcher, which is not pickled
    copy = pickle.loads(pickle.dumps(rules))
    assert "_matcher_cache" not in copy.__dict__
    pd.testing.assert_frame_equal(copy.predict(texts), rules.predict(texts))
    estimator = rules.to_estimator()
    assert isinstance(estimator, PostTagger)
    assert estimator.version_ == rules.version_


@pytest.mark.parametrize("params", [{}, {"alpha": 3e-4, "min_df": 5, "taxonomy": None},
                                    {"char_ngram_range": (2, 4), "class_weight": "balanced"}])
def test_parameters_behind_the_version_are_scikit_learns_get_params(params):
    tagger = PostTagger(**params)
    assert tagger._params() == tagger.get_params()


def test_the_default_tagger_and_the_pipeline_import_no_scikit_learn():
    code = ("import sys\n"
            "import govwatch.analysis.pipeline\n"
            "from govwatch.analysis.rule_tagger import RulesTagger\n"
            "RulesTagger().predict(['Flood at #yycflood, please send help'])\n"
            "print(sorted(m for m in ('sklearn', 'scipy', 'wordninja') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "[]"


def test_english_split_is_wordninjas():
    import wordninja

    ours = EnglishSplit.load()
    rng = random.Random(7)
    words = ["flood", "yyc", "trio", "tree", "pray", "for", "boston", "strong", "help",
             "manila", "bahamas", "earthquake", "relief", "now", "a", "the", "isnot"]
    cases = ["", "a", "yycflood", "triotree", "prayforboston", "zzzzzzqqq"]
    cases += ["".join(rng.choice(words) for _ in range(rng.randint(1, 5))) for _ in range(300)]
    cases += ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 30)))
              for _ in range(300)]
    for case in cases:
        assert ours.split(case) == list(wordninja.split(case)), case
    assert ours.split("prayforboston") == ["pray", "for", "boston"]
