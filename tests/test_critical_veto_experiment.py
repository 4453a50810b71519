"""The learned second stage for *critical* (benchmarks/experiment_critical_veto.py, not shipped):
what it decides, its estimator contract, and that it never trains on a held-out post."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from sklearn.base import clone


def _experiment(repo):
    spec = importlib.util.spec_from_file_location(
        "experiment_critical_veto", repo / "benchmarks" / "experiment_critical_veto.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_stage_vetoes_rule_positives_and_rescues_only_when_asked(repo):
    ex = _experiment(repo)
    rule = np.array([True, True, False, False])
    proba = np.array([0.05, 0.9, 0.95, 0.1])
    assert ex.decide(rule, proba, 0.2, None).tolist() == [False, True, False, False]
    assert ex.decide(rule, proba, 0.2, 0.9).tolist() == [False, True, True, False]
    assert ex.decide(rule, proba, 0.0, None).tolist() == rule.tolist()


@pytest.mark.parametrize("features", ["words", "words+chars"])
def test_the_model_keeps_the_estimator_contract(repo, features):
    ex = _experiment(repo)
    texts = ["flood waters rising, families trapped"] * 6 + ["happy diwali to all"] * 6
    labels = np.array([True] * 6 + [False] * 6)
    model = clone(ex.make_model(features, 1.0)).fit(texts, labels)
    proba = model.predict_proba(["families trapped by flood waters", "diwali wishes"])[:, 1]
    assert proba[0] > 0.5 > proba[1]
    assert model.predict(texts).tolist() == labels.tolist()


@pytest.mark.shared
def test_it_trains_on_no_held_out_post(shared_data, repo):
    ex = _experiment(repo)
    dev = ex.dev_material(shared_data)
    main = ex.load_critical(shared_data)
    assert set(dev["item"]) & set(main.loc[main["half"] == "test", "item"]) == set()
    held_out = set()
    for name in ("handcoded_critical_hindi.csv", "handcoded_critical_own_posts.csv",
                 "handcoded_critical_official_replies.csv"):
        held_out |= set(ex.load_critical(shared_data, name)["native_id"])
    test_ids = set(main.loc[main["half"] == "test", "native_id"])
    assert not set(dev["native_id"]) & (held_out | test_ids)
    # the rules' own calls are what the stage starts from
    assert dev["rule"].dtype == bool and dev["rule"].sum() > 100
